"""A report as an Excel workbook: a cover sheet with the text, then a sheet per section with
its table (Chinese headers, widths that fit Chinese text, frozen header, filters) and a native
Excel chart of its data, so the office can restyle or reuse it in Excel."""

from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from serviceframe.reports.document import Chart, Report, Section
from serviceframe.reports.text import numbered, width

FORMATS = {
    "percent": "0.0%",
    "number": "0.00",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
_BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def sheet_name(title: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    name = title.translate(_BAD_SHEET_CHARS)[:31] or "Sheet"
    candidate, n = name, 2
    while candidate in taken:
        suffix = f"({n})"
        candidate, n = name[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate)
    return candidate


def write_xlsx(report: Report, out: str | Path | IO[bytes]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    cover = book.active
    assert cover is not None
    taken: set[str] = set()
    cover.title = sheet_name("报告", taken)
    cover.append([report.title])
    cover["A1"].font = Font(bold=True, size=16)
    cover.append([report.subtitle])
    cover.append([f"生成时间 {report.generated_at.astimezone(_beijing()):%Y-%m-%d %H:%M}"])
    for n, section in enumerate(report.sections, start=1):
        cover.append([])
        cover.append([numbered(n, section.title)])
        cover.cell(cover.max_row, 1).font = Font(bold=True, size=12)
        for paragraph in section.paragraphs:
            cover.append([paragraph])
            cover.cell(cover.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
    cover.column_dimensions["A"].width = 100
    for section in report.sections:
        if section.table is not None or section.chart is not None:
            _section_sheet(book, section, sheet_name(section.title, taken))
    book.save(out)


def _beijing() -> Any:
    from serviceframe.serialise import BEIJING

    return BEIJING


def _excel_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(_beijing()).replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, date | int | float) or value is None:
        return value
    return str(value)


def _section_sheet(book: Any, section: Section, name: str) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(name)
    sheet.append([section.title])
    sheet["A1"].font = Font(bold=True, size=14)
    header_row = 2
    table = section.table
    columns = len(table.columns) if table else 0
    if table is not None:
        bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        sheet.append([c.title for c in table.columns])
        widths = [width(c.title) for c in table.columns]
        for row in table.rows:
            sheet.append([_excel_value(v) for v in row])
            for n, (value, column) in enumerate(zip(row, table.columns, strict=True)):
                cell = sheet.cell(sheet.max_row, n + 1)
                if column.kind in FORMATS:
                    cell.number_format = FORMATS[column.kind]
                if isinstance(value, str):
                    cell.data_type = "s"  # text is never a formula
                shown = 16 if column.kind == "datetime" else width(_shown(value, column.kind))
                widths[n] = max(widths[n], shown)
        for cell in sheet[header_row]:
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for n, w in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(n)].width = min(max(w + 2, 8), 60)
        sheet.freeze_panes = sheet.cell(header_row + 1, 1)
        if table.rows:
            last = f"{get_column_letter(columns)}{header_row + len(table.rows)}"
            sheet.auto_filter.ref = f"A{header_row}:{last}"
        if table.more:
            sheet.append([f"另有 {table.more} 项未列出"])
    if section.chart is not None:
        _chart(sheet, section.chart, columns + 2, sheet.max_row + 2)


def _shown(value: Any, kind: str) -> str:
    from serviceframe.reports.document import cell_text

    return cell_text(value, kind)


def _chart(sheet: Any, chart: Chart, first_column: int, anchor_row: int) -> None:
    """The chart's data beside the table (its own small block), and a native chart of it."""
    from openpyxl.chart import BarChart, LineChart, PieChart, Reference
    from openpyxl.utils import get_column_letter

    top = 2
    sheet.cell(top, first_column, "图表数据")
    for n, series in enumerate(chart.series, start=1):
        sheet.cell(top, first_column + n, series.name)
    for row, category in enumerate(chart.categories, start=top + 1):
        sheet.cell(row, first_column, category)
        for n, series in enumerate(chart.series, start=1):
            cell = sheet.cell(row, first_column + n, series.values[row - top - 1])
            if chart.percent:
                cell.number_format = "0.0%"
    last = top + len(chart.categories)
    data = Reference(
        sheet,
        min_col=first_column + 1,
        max_col=first_column + len(chart.series),
        min_row=top,
        max_row=last,
    )
    labels = Reference(sheet, min_col=first_column, min_row=top + 1, max_row=last)
    if chart.kind == "pie":
        native: Any = PieChart()
    elif chart.kind == "line":
        native = LineChart()
    else:
        native = BarChart()
        native.type = "bar" if chart.kind == "barh" else "col"
        if chart.kind == "barh":
            native.y_axis.scaling.orientation = "minMax"
            native.x_axis.scaling.orientation = "maxMin"  # the first category on top
    native.title = chart.title
    native.add_data(data, titles_from_data=True)
    native.set_categories(labels)
    if chart.percent and chart.kind != "pie":
        native.y_axis.number_format = "0%"
    native.height = max(7.5, 0.6 * len(chart.categories) + 3) if chart.kind == "barh" else 8
    native.width = 18
    sheet.column_dimensions[get_column_letter(first_column)].width = max(
        [10, *(width(c) + 2 for c in chart.categories)]
    )
    sheet.add_chart(native, f"{get_column_letter(first_column)}{max(anchor_row, last + 2)}")
