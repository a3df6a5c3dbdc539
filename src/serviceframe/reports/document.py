"""What a report is, whatever it is rendered as: titled sections of paragraphs, a table and
a chart. A report kind builds one; the renderers (text, JSON, XLSX with native Excel charts,
HTML with charts drawn in a Chinese font) need nothing else.

Everything is checked when it is built, so a county's report that puts a row of the wrong
length or a chart with a missing value is told so by name, before any file is written.
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from attrs import field, frozen
from attrs.validators import in_, instance_of

if TYPE_CHECKING:  # kept out of plugin loading: periods bring the calendar
    from serviceframe.domain.period import Period

COLUMN_KINDS = ("text", "int", "number", "percent", "date", "datetime")
CHART_KINDS = ("bar", "barh", "line", "pie")


# Plugins may hand in lists; the document keeps tuples (typed converters, for mypy's sake).
def _texts(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(items)


def _values(items: Iterable[float | int | None]) -> tuple[float | int | None, ...]:
    return tuple(items)


def _row_tuples(items: Iterable[Iterable[Any]]) -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(row) for row in items)


@frozen
class Column:
    key: str  # the JSON key
    title: str  # the Chinese header
    kind: str = field(default="text", validator=in_(COLUMN_KINDS))  # percent: a share 0..1


def _rows(table: "Table", _attribute: object, rows: tuple[tuple[Any, ...], ...]) -> None:
    width = len(table.columns)
    for n, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(f"row {n}: {len(row)} values for {width} columns")


def _columns(items: Iterable[Any]) -> tuple[Column, ...]:
    """Columns, or shorthands: a title (``"事项"``), or a title and a kind (``("受理", "int")``);
    the title is then the JSON key too."""
    columns = []
    for item in items:
        if isinstance(item, str):
            item = Column(item, item)
        elif isinstance(item, tuple) and len(item) == 2:
            item = Column(item[0], item[0], item[1])
        if not isinstance(item, Column):
            raise ValueError(f"column {item!r}: give a Column, a title or (title, kind)")
        columns.append(item)
    return tuple(columns)


@frozen
class Table:
    columns: tuple[Column, ...] = field(converter=_columns)
    rows: tuple[tuple[Any, ...], ...] = field(converter=_row_tuples, validator=_rows)
    more: int = 0  # rows left out of a capped list

    def records(self) -> list[dict[str, Any]]:
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


@frozen
class Series:
    name: str
    values: tuple[float | int | None, ...] = field(converter=_values)


def _series(chart: "Chart", _attribute: object, series: tuple[Series, ...]) -> None:
    if not series:
        raise ValueError("a chart needs at least one series")
    for s in series:
        if len(s.values) != len(chart.categories):
            raise ValueError(
                f"series {s.name!r}: {len(s.values)} values for {len(chart.categories)} categories"
            )


@frozen
class Chart:
    kind: str = field(validator=in_(CHART_KINDS))  # bar: columns; barh: horizontal bars
    title: str
    categories: tuple[str, ...] = field(converter=_texts)
    series: tuple[Series, ...] = field(converter=lambda v: _series_tuple(v), validator=_series)
    percent: bool = False  # values are shares 0..1, shown as percentages


@frozen
class Section:
    key: str  # for JSON, and the sheet's name in English
    title: str  # the heading; the sheet's name in XLSX
    paragraphs: tuple[str, ...] = field(default=(), converter=_texts)
    table: Table | None = field(default=None, validator=instance_of((Table, type(None))))
    chart: Chart | None = field(default=None, validator=instance_of((Chart, type(None))))


@frozen
class Report:
    kind: str
    title: str
    subtitle: str
    period: "Period"
    jurisdiction: str
    generated_at: datetime
    sections: tuple[Section, ...] = field(converter=lambda v: _section_tuple(v))
    data: Mapping[str, Any] = field(factory=dict)  # the figures themselves, for JSON

    @property
    def charts(self) -> list[Chart]:
        return [s.chart for s in self.sections if s.chart is not None]


def _series_tuple(items: Iterable[Series]) -> tuple[Series, ...]:
    return tuple(items)


def _section_tuple(items: Iterable[Section]) -> tuple[Section, ...]:
    return tuple(items)


def cell_text(value: Any, kind: str) -> str:
    """A value as people read it: percentages, Beijing times, a dash for nothing."""
    if value is None or value == "":
        return "—" if kind != "text" else ""
    if kind == "percent":
        return f"{value:.1%}"
    if kind == "number" and isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        from serviceframe.serialise import BEIJING

        return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
