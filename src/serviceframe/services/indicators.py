"""Monthly operating indicators (工业运行监测, R6): import them, and roll them up by industry and
jurisdiction for the reports.

A file has one row per enterprise and month, and a column per indicator (用电量, 工业总产值,
税收, 从业人员; docs/file-formats.md). The enterprise is named by its credit code or by its
registered name. A figure is kept once per enterprise, month and indicator: importing a file
again changes nothing, a corrected figure replaces the stored one. The file is read in chunks,
each looked up and upserted with set-based statements, all in one transaction: a database that
fails part-way keeps nothing of the file.
"""

import contextlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from attrs import frozen
from sqlalchemy import and_, case, func, select

from serviceframe.app import App
from serviceframe.domain.credit_code import normalise_credit_code
from serviceframe.domain.indicators import INDICATORS, month_text, parse_month, parse_value
from serviceframe.domain.principal import Action
from serviceframe.errors import ValidationError, shown
from serviceframe.progress import Progress, no_progress
from serviceframe.services.enterprises import ImportReport, RowError
from serviceframe.services.events import event_row
from serviceframe.store import tables as t
from serviceframe.store.sql import chunks, upsert
from serviceframe.tabular import Row, RowProblem, count_rows, map_columns, problem_in, read_rows

# Each field and the headers it may have (as clerks write them, or English).
COLUMNS: dict[str, tuple[str, ...]] = {
    "credit_code": ("统一社会信用代码", "信用代码", "credit_code"),
    "name": ("企业名称", "企业", "name"),
    "month": ("月份", "统计月份", "month"),
    "electricity": ("用电量", "用电量(万千瓦时)", "electricity"),
    "output": ("工业总产值", "工业总产值(万元)", "output"),
    "tax": ("税收", "税收(万元)", "实缴税金", "tax"),
    "employees": ("从业人员", "从业人员(人)", "从业人数", "employees"),
}
REQUIRED = ("month",)  # and the credit code or the name, and at least one indicator
CHUNK = 2000  # rows looked up and upserted together


@frozen
class _Figure:
    line: int
    enterprise: str
    month_no: int
    indicator: str
    value: float


def import_indicators(
    app: App,
    path: str | Path,
    encoding: str | None = None,
    actor: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Add or update monthly indicators from a CSV (UTF-8 or GBK) or XLSX file.

    ``rows`` counts the file's rows; ``inserted``, ``updated`` and ``unchanged`` count figures
    (a row holds up to four). A bad row is reported with line, column and reason and none of
    its figures is kept; the good rows go in. One event (``indicators_imported``) records the
    import.
    """
    actor = actor or app.settings.actor
    headers, rows = read_rows(path, encoding)
    columns = map_columns(headers, COLUMNS, REQUIRED, str(path))
    if "credit_code" not in columns and "name" not in columns:
        raise ValidationError(
            "header", shown(",".join(headers)), f"{path} lacks column 统一社会信用代码 or 企业名称"
        )
    if not set(INDICATORS) & set(columns):
        raise ValidationError(
            "header",
            shown(",".join(headers)),
            f"{path} has no indicator column: 用电量, 工业总产值, 税收 or 从业人员",
        )
    report = progress or no_progress
    # A person watching a bar is told the total: one more pass over the file, only then.
    total = count_rows(path, encoding) if progress is not None else 0
    now = app.now()
    errors: list[RowError] = []
    counts = {"rows": 0, "inserted": 0, "updated": 0, "unchanged": 0}
    seen: dict[tuple[str, int], int] = {}  # (enterprise, month) -> its first line
    with app.uow() as uow:
        uow.authorise(Action.CONFIGURE)
        for chunk in chunks(rows, CHUNK):
            counts["rows"] += len(chunk)
            figures = _parse_chunk(uow, chunk, columns, seen, errors)
            stats = _store(uow, figures, now)
            for key, n in stats.items():
                counts[key] += n
            report(counts["rows"], total)
        uow.record(
            [
                event_row(
                    "indicators_imported",
                    "indicators",
                    actor,
                    now,
                    source=str(path),
                    rows=counts["rows"],
                    inserted=counts["inserted"],
                    updated=counts["updated"],
                    rejected=len(errors),
                )
            ]
        )
        uow.commit()
    return ImportReport(
        source=str(path),
        rows=counts["rows"],
        inserted=counts["inserted"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        errors=tuple(errors),
    )


def _parse_chunk(
    uow: Any,
    chunk: Sequence[Row | RowProblem],
    columns: dict[str, str],
    seen: dict[tuple[str, int], int],
    errors: list[RowError],
) -> list[_Figure]:
    used = set(columns.values())
    rows: list[tuple[int, dict[str, str]]] = []
    for item in chunk:
        item = problem_in(item, used)
        if isinstance(item, RowProblem):
            errors.append(RowError(item.line, item.column, item.value, item.reason))
        else:
            line, raw = item
            rows.append((line, {f: raw.get(h, "").strip() for f, h in columns.items()}))
    codes, names = _enterprises(uow, rows)
    figures: list[_Figure] = []
    for line, values in rows:
        try:
            code = _enterprise_of(values, codes, names)
            month_no = parse_month(values["month"])
            found = [
                (name, parse_value(name, values[name])) for name in INDICATORS if name in values
            ]
        except ValidationError as exc:
            column = columns.get(exc.field, exc.field)
            errors.append(RowError(line, column, shown(exc.value), exc.reason))
            continue
        first = seen.setdefault((code, month_no), line)
        if first != line:
            errors.append(
                RowError(
                    line,
                    columns["month"],
                    values["month"],
                    f"the same enterprise and month as line {first}",
                )
            )
            continue
        figures += [
            _Figure(line, code, month_no, name, value) for name, value in found if value is not None
        ]
    return figures


def _enterprises(
    uow: Any, rows: Sequence[tuple[int, dict[str, str]]]
) -> tuple[set[str], dict[str, list[str]]]:
    """The registered credit codes among the chunk's, and the codes of its names."""
    e = t.enterprises.c
    wanted_codes = set()
    for _, values in rows:
        with contextlib.suppress(ValidationError):
            wanted_codes.add(_normal(values.get("credit_code", "")))
    wanted_names = {values["name"] for _, values in rows if values.get("name")}
    codes = set(
        uow.connection.scalars(select(e.credit_code).where(e.credit_code.in_(sorted(wanted_codes))))
    )
    names: dict[str, list[str]] = {}
    if wanted_names:
        for row in uow.connection.execute(
            select(e.name, e.credit_code).where(e.name.in_(sorted(wanted_names)))
        ):
            names.setdefault(row.name, []).append(row.credit_code)
    return codes, names


@lru_cache(maxsize=1 << 16)
def _normal(code: str) -> str:
    """A credit code checked once however many months of it the file has (checking costs
    more than the rest of a row)."""
    return normalise_credit_code(code)


def _enterprise_of(values: dict[str, str], codes: set[str], names: dict[str, list[str]]) -> str:
    if values.get("credit_code"):
        code = _normal(values["credit_code"])
        if code not in codes:
            raise ValidationError(
                "credit_code", values["credit_code"], "not a registered enterprise"
            )
        return code
    name = values.get("name", "")
    if not name:
        raise ValidationError("credit_code", "", "give the credit code or the enterprise's name")
    found = names.get(name, [])
    if not found:
        raise ValidationError("name", name, "no registered enterprise has this name")
    if len(found) > 1:
        raise ValidationError(
            "name", name, f"{len(found)} enterprises have this name; give the credit code"
        )
    return found[0]


def _store(uow: Any, figures: Sequence[_Figure], now: Any) -> dict[str, int]:
    """Upsert the chunk's figures; count what was new, changed and the same."""
    if not figures:
        return {}
    i = t.indicators.c
    # What is stored for the chunk's enterprises in its months: by the primary key's leading
    # column, a range of months, so every database uses the index (a list of row values
    # would not be, on SQLite).
    codes = sorted({f.enterprise for f in figures})
    first, last = min(f.month_no for f in figures), max(f.month_no for f in figures)
    stored: dict[tuple[str, str, int], float] = {}
    for batch in chunks(codes, 500):
        rows = uow.connection.execute(
            select(i.enterprise_code, i.indicator, i.month_no, i.value).where(
                i.enterprise_code.in_(batch), i.month_no.between(first, last)
            )
        )
        stored |= {(r.enterprise_code, r.indicator, r.month_no): r.value for r in rows}
    changed = []
    stats = {"inserted": 0, "updated": 0, "unchanged": 0}
    for f in figures:
        old = stored.get((f.enterprise, f.indicator, f.month_no))
        if old is not None and old == f.value:
            stats["unchanged"] += 1
            continue
        stats["inserted" if old is None else "updated"] += 1
        changed.append(
            {
                "enterprise_code": f.enterprise,
                "indicator": f.indicator,
                "month_no": f.month_no,
                "value": f.value,
                "updated_at": now,
            }
        )
    upsert(uow.connection, t.indicators, changed, ["enterprise_code", "indicator", "month_no"])
    return stats


# --- reading -------------------------------------------------------------------------------


def latest_month(uow: Any) -> int | None:
    """The newest month any indicator was reported for."""
    value: int | None = uow.connection.scalar(select(func.max(t.indicators.c.month_no)))
    return value


def sizes(uow: Any, codes: Sequence[str] | None = None) -> dict[str, str | None]:
    """The statistical size of enterprises (domain.indicators.size_of): employees in their
    newest reported month and output value over the twelve months up to it; one query."""
    from serviceframe.domain.indicators import size_of

    i = t.indicators.c
    newest = (
        select(i.enterprise_code, func.max(i.month_no).label("month_no"))
        .where(i.indicator == "employees")
        .group_by(i.enterprise_code)
    )
    if codes is not None:
        newest = newest.where(i.enterprise_code.in_(sorted(codes)))
    last = newest.subquery()
    people = (
        select(i.enterprise_code, i.value)
        .join(
            last,
            and_(
                i.enterprise_code == last.c.enterprise_code,
                i.month_no == last.c.month_no,
                i.indicator == "employees",
            ),
        )
        .subquery()
    )
    o = t.indicators.alias("o")
    output = (
        select(
            last.c.enterprise_code,
            func.sum(o.c.value).label("output"),
            func.count(o.c.value).label("months"),
        )
        .join(
            o,
            and_(
                o.c.enterprise_code == last.c.enterprise_code,
                o.c.indicator == "output",
                o.c.month_no > last.c.month_no - 12,
                o.c.month_no <= last.c.month_no,
            ),
        )
        .group_by(last.c.enterprise_code)
        .subquery()
    )
    rows = uow.connection.execute(
        select(people.c.enterprise_code, people.c.value, output.c.output, output.c.months).join(
            output, output.c.enterprise_code == people.c.enterprise_code
        )
    )
    # Fewer than twelve months reported: the year's output is scaled up from those there are.
    return {
        r.enterprise_code: size_of(r.value, r.output * 12 / r.months if r.months else None)
        for r in rows
    }


@frozen
class RollupLine:
    """One group's figures for a month: the sum over its enterprises, the same a year
    earlier (over the same enterprises), and how many enterprises reported."""

    key: str  # an industry code or a jurisdiction code
    name: str
    indicator: str
    enterprises: int
    value: float
    year_before: float | None

    @property
    def change(self) -> float | None:
        if not self.year_before:
            return None
        return self.value / self.year_before - 1


def rollup(
    app: App,
    month_no: int,
    by: str = "jurisdiction",
    jurisdiction: str | None = None,
    industry_digits: int = 2,
) -> list[RollupLine]:
    """The month's indicators summed by ``jurisdiction`` (each child of ``jurisdiction``, or of
    the root, with everything below it) or by ``industry`` (GB/T 4754 at ``industry_digits``
    digits); year on year over the enterprises that reported both months. One query."""
    from serviceframe.services.configured import organisation_of

    if by not in ("jurisdiction", "industry"):
        raise ValidationError("by", by, "jurisdiction or industry")
    i, e = t.indicators.c, t.enterprises.c
    before = t.indicators.alias("before")
    with app.uow() as uow:
        uow.authorise(Action.READ)
        org = organisation_of(app, uow)
        # Any place for those who see everything; a county office its own (the default).
        top = uow.principal.report_place(org, jurisdiction)
        if by == "jurisdiction":
            # Each enterprise counts in the child of ``top`` its place lies under.
            children = org.children(top) or (org.jurisdiction(top),)
            whens = [
                (e.jurisdiction_code.in_(org.descendants(c.code)), c.code)
                for c in children
                if c is not None
            ]
            group: Any = case(*whens, else_=None)
            names = {c.code: c.name for c in children if c is not None}
        else:
            group = func.substr(e.industry, 1, 1 + industry_digits)
            names = {}
        scope = e.jurisdiction_code.in_(org.descendants(top))
        q = (
            select(
                group.label("key"),
                i.indicator,
                func.count().label("enterprises"),
                func.sum(i.value).label("value"),
                func.sum(before.c.value).label("year_before"),
            )
            .join(t.enterprises, e.credit_code == i.enterprise_code)
            .outerjoin(
                before,
                and_(
                    before.c.enterprise_code == i.enterprise_code,
                    before.c.indicator == i.indicator,
                    before.c.month_no == i.month_no - 12,
                ),
            )
            .where(i.month_no == month_no, scope)
            .group_by(group, i.indicator)
            .order_by(group, i.indicator)
        )
        rows = uow.connection.execute(q).all()
    order = list(INDICATORS)
    lines = [
        RollupLine(
            r.key, names.get(r.key, r.key), r.indicator, r.enterprises, r.value, r.year_before
        )
        for r in rows
        if r.key is not None
    ]
    return sorted(lines, key=lambda ln: (ln.key, order.index(ln.indicator)))


def months_reported(app: App) -> list[str]:
    """The months with indicators, newest first (for `warnings` and reports)."""
    with app.uow() as uow:
        uow.authorise(Action.REPORT)
        found = uow.connection.scalars(
            select(t.indicators.c.month_no).distinct().order_by(t.indicators.c.month_no.desc())
        )
        return [month_text(m) for m in found]
