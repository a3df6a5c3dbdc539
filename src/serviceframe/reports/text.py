"""A report as plain text for a terminal or an e-mail: headings, paragraphs, aligned tables."""

import unicodedata

from serviceframe.reports.document import Report, Table, cell_text

NUMERALS = "一二三四五六七八九十"


def numbered(n: int, title: str) -> str:
    """一、总体情况 … 十一、…"""
    if n <= 10:
        mark = NUMERALS[n - 1]
    else:
        mark = NUMERALS[n // 10 - 1] * (n >= 20) + "十" + (NUMERALS[n % 10 - 1] if n % 10 else "")
    return f"{mark}、{title}"


def width(text: str) -> int:
    """Columns a text takes in a terminal or a spreadsheet: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table_lines(table: Table) -> list[str]:
    cells = [[c.title for c in table.columns]] + [
        [cell_text(v, c.kind) for v, c in zip(row, table.columns, strict=True)]
        for row in table.rows
    ]
    widths = [max(width(row[i]) for row in cells) for i in range(len(table.columns))]
    right = [c.kind != "text" for c in table.columns]
    lines = []
    for n, row in enumerate(cells):
        padded = [
            " " * (w - width(v)) + v if r and n else v + " " * (w - width(v))
            for v, w, r in zip(row, widths, right, strict=True)
        ]
        lines.append("  ".join(padded).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    if table.more:
        lines.append(f"(另有 {table.more} 项未列出 {table.more} more not listed)")
    return lines


def render_text(report: Report) -> str:
    out = [report.title, report.subtitle, f"生成时间 {cell_text(report.generated_at, 'datetime')}"]
    for n, section in enumerate(report.sections, start=1):
        out += ["", numbered(n, section.title)]
        out += list(section.paragraphs)
        if section.table is not None:
            out += (
                ["", *table_lines(section.table)]
                if section.paragraphs
                else table_lines(section.table)
            )
    return "\n".join(out) + "\n"
