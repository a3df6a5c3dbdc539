"""A report as one standalone HTML page: tables, and charts drawn by matplotlib in a Chinese
font and embedded as SVG (text as glyph outlines), so the page opens offline, anywhere, and
its charts look the same without any Chinese font on the reader's machine.

matplotlib is imported here only, when a page is drawn. The font is the first CJK font
matplotlib knows of (WenQuanYi Micro Hei, Noto Sans CJK, Source Han Sans, SimHei, Microsoft
YaHei, PingFang …), or the file named by ``SERVICEFRAME_CJK_FONT``. On Debian:
``apt-get install fonts-wqy-microhei``.
"""

import html
import io
import os
from pathlib import Path
from typing import IO, Any

from serviceframe.errors import ServiceFrameError
from serviceframe.reports.document import Chart, Report, Section, cell_text
from serviceframe.reports.text import numbered

CJK_FAMILIES = (
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
# Font files of those families, for a matplotlib font cache built before they were installed.
_CJK_FILES = ("wqy", "notosanscjk", "notoserifcjk", "sourcehansans", "droidsansfallback", "uming")
PALETTE = ("#1f5fa8", "#e07b39", "#4c9a5b", "#b8433f", "#7d5ba6", "#8c6d31", "#3f8fa6")
FONT_ENV = "SERVICEFRAME_CJK_FONT"


def cjk_family() -> str:
    """The name of a font family that has Chinese glyphs; a clear error when there is none."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    given = os.environ.get(FONT_ENV)
    if given:
        if not Path(given).is_file():
            raise ServiceFrameError(f"{FONT_ENV}={given!r}: no such font file")
        manager.addfont(given)
        return str(font_manager.FontProperties(fname=given).get_name())
    known = {f.name for f in manager.ttflist}
    found = next((f for f in CJK_FAMILIES if f in known), None)
    if found is None:
        for path in font_manager.findSystemFonts():
            if any(key in Path(path).name.lower().replace("-", "") for key in _CJK_FILES):
                manager.addfont(path)
        known = {f.name for f in manager.ttflist}
        found = next((f for f in CJK_FAMILIES if f in known), None)
    if found is None:
        raise ServiceFrameError(
            "HTML charts need a font with Chinese characters and none was found: install one "
            "(Debian/Ubuntu: apt-get install fonts-wqy-microhei) or set "
            f"{FONT_ENV}=/path/to/font.ttf"
        )
    return found


def chart_svg(chart: Chart, family: str) -> str:
    """One chart as an SVG document, its text drawn as outlines of the CJK font."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    many = len(chart.categories)
    height = max(2.8, 0.32 * many + 1.2) if chart.kind == "barh" else 3.4
    style: dict[str, Any] = {
        "font.family": "sans-serif",
        "font.sans-serif": [family, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.fonttype": "path",
        "svg.hashsalt": "serviceframe",  # the same report gives the same page
        "font.size": 9,
    }
    with rc_context(style):  # type: ignore[arg-type]
        figure = Figure(figsize=(7.6, height), layout="constrained")
        axes = figure.add_subplot()
        axes.set_title(chart.title, fontsize=11)
        values = [[0 if v is None else v for v in s.values] for s in chart.series]
        if chart.kind == "pie":
            axes.pie(
                values[0],
                labels=list(chart.categories),
                colors=PALETTE,
                autopct="%1.0f%%",
                startangle=90,
                counterclock=False,
            )
            axes.axis("equal")
        elif chart.kind == "line":
            for n, (series, ys) in enumerate(zip(chart.series, values, strict=True)):
                axes.plot(
                    list(chart.categories),
                    ys,
                    marker="o",
                    label=series.name,
                    color=PALETTE[n % len(PALETTE)],
                )
        else:
            _bars(axes, chart, values)
        if chart.percent and chart.kind != "pie":
            axis = axes.xaxis if chart.kind == "barh" else axes.yaxis
            axis.set_major_formatter(PercentFormatter(1.0))
        if len(chart.series) > 1:
            axes.legend(frameon=False)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]  # inline: no XML declaration or DOCTYPE


def _bars(axes: Any, chart: Chart, values: list[list[float]]) -> None:
    count = len(chart.series)
    step = 0.8 / count
    positions = range(len(chart.categories))
    for n, (series, ys) in enumerate(zip(chart.series, values, strict=True)):
        offsets = [p - 0.4 + step * (n + 0.5) for p in positions]
        color = PALETTE[n % len(PALETTE)]
        if chart.kind == "barh":
            bars = axes.barh(offsets, ys, height=step, label=series.name, color=color)
        else:
            bars = axes.bar(offsets, ys, width=step, label=series.name, color=color)
        labels = [
            "" if v is None else (f"{v:.0%}" if chart.percent else f"{v:g}") for v in series.values
        ]
        axes.bar_label(bars, labels=labels, padding=2, fontsize=7)
    if chart.kind == "barh":
        axes.set_yticks(list(positions), list(chart.categories))
        axes.invert_yaxis()  # the first category on top
    else:
        axes.set_xticks(list(positions), list(chart.categories))
        if max((len(c) for c in chart.categories), default=0) * len(chart.categories) > 40:
            for label in axes.get_xticklabels():
                label.set_rotation(30)
                label.set_horizontalalignment("right")


STYLE = """
body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei",
  "PingFang SC", "Source Han Sans SC", sans-serif; margin: 2em auto; max-width: 60em;
  color: #222; line-height: 1.6; padding: 0 1em; }
header { border-bottom: 3px solid #b8433f; margin-bottom: 1.5em; }
h1 { font-size: 1.7em; margin: 0 0 .2em; color: #b8433f; text-align: center; }
.sub, .meta { text-align: center; margin: .2em 0; } .meta { color: #666; font-size: .9em; }
h2 { font-size: 1.25em; border-left: 5px solid #1f5fa8; padding-left: .5em; margin-top: 2em; }
table { border-collapse: collapse; width: 100%; font-size: .9em; margin: .8em 0; }
th, td { border: 1px solid #ccc; padding: .3em .5em; }
th { background: #ddebf7; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; text-align: center; } figure svg { max-width: 100%; height: auto; }
.more { color: #666; font-size: .9em; }
"""


def render_html(report: Report) -> str:
    family = cjk_family()
    generated = cell_text(report.generated_at, "datetime")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(report.title)} {html.escape(str(report.period))}</title>",
        f"<style>{STYLE}</style></head><body>",
        f'<header><h1>{html.escape(report.title)}</h1><p class="sub">'
        f"{html.escape(report.subtitle)}</p>"
        f'<p class="meta">生成时间 {generated} · serviceframe</p></header>',
    ]
    for n, section in enumerate(report.sections, start=1):
        parts.append(_section(n, section, family))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _section(n: int, section: Section, family: str) -> str:
    out = [
        f'<section id="{html.escape(section.key)}">',
        f"<h2>{html.escape(numbered(n, section.title))}</h2>",
    ]
    out += [f"<p>{html.escape(p)}</p>" for p in section.paragraphs]
    if section.chart is not None:
        title = html.escape(section.chart.title)
        out.append(
            f'<figure class="chart" aria-label="{title}">{chart_svg(section.chart, family)}</figure>'
        )
    if section.table is not None:
        table = section.table
        out.append("<table><thead><tr>")
        out += [f"<th>{html.escape(c.title)}</th>" for c in table.columns]
        out.append("</tr></thead><tbody>")
        for row in table.rows:
            cells = [
                f"<td{' class=n' if c.kind != 'text' else ''}>"
                f"{html.escape(cell_text(v, c.kind))}</td>"
                for v, c in zip(row, table.columns, strict=True)
            ]
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</tbody></table>")
        if table.more:
            out.append(f'<p class="more">另有 {table.more} 项未列出</p>')
    out.append("</section>")
    return "\n".join(out)


def write_html(report: Report, out: str | Path | IO[bytes]) -> None:
    data = render_html(report).encode("utf-8")
    if isinstance(out, str | Path):
        Path(out).write_bytes(data)
    else:
        out.write(data)
