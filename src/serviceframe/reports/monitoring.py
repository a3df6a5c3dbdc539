"""The monitoring report (工业运行监测报告, R6; category 2): the month's operating indicators
rolled up by jurisdiction and by industry, year on year, and the month's early warnings.

The month is the last month of the requested period (``--period 2026-10``, or ``2026-Q4``
for its December); the jurisdiction, with every place below it, as for every report.
"""

from typing import Any

from serviceframe.domain.indicators import INDICATORS, month_text
from serviceframe.reports.document import Chart, Column, Report, Section, Series, Table
from serviceframe.reports.kinds import ReportRequest

ROLLUP_COLUMNS = (
    Column("name", "分组"),
    Column("indicator", "指标"),
    Column("enterprises", "企业数", "int"),
    Column("value", "本月", "number"),
    Column("year_before", "上年同月", "number"),
    Column("change", "同比", "percent"),
)


def build_monitoring(app: Any, request: ReportRequest) -> Report:
    from serviceframe.services.configured import organisation_of
    from serviceframe.services.early_warning import list_warnings
    from serviceframe.services.indicators import rollup

    end = request.period.end
    month_no = end.year * 12 + end.month - 1
    month = month_text(month_no)
    with app.uow() as uow:
        org = organisation_of(app, uow)
    top = request.jurisdiction or org.root.code
    place = org.place(top)
    by_place = rollup(app, month_no, "jurisdiction", top)
    by_industry = rollup(app, month_no, "industry", top)
    warnings = list_warnings(app, month, top)
    sections = [
        _summary(month, place, by_place, warnings),
        _rollup_section("jurisdictions", "按县(市)区", "辖区", by_place, chart=True),
        _rollup_section("industries", "按行业(GB/T 4754 大类)", "行业", by_industry),
        Section(
            "warnings",
            "预警企业",
            (f"本月共有{len({w.enterprise for w in warnings})}户企业触发预警{len(warnings)}条。",),
            Table(
                (
                    Column("enterprise", "企业"),
                    Column("jurisdiction", "辖区"),
                    Column("rule", "预警规则"),
                    Column("detail", "情况"),
                    Column("issue", "问题编号"),
                ),
                [
                    (
                        w.enterprise_name,
                        org.place(w.jurisdiction),
                        w.rule_title,
                        w.detail,
                        w.issue_id,
                    )
                    for w in warnings
                ],
            ),
        ),
    ]
    return Report(
        "monitoring",
        f"{place}工业运行监测报告",
        f"{month}",
        request.period,
        top,
        request.now,
        sections,
        {
            "month": month,
            "jurisdictions": [_line(ln) for ln in by_place],
            "industries": [_line(ln) for ln in by_industry],
            "warnings": len(warnings),
        },
    )


def _line(ln: Any) -> dict[str, Any]:
    return {
        "key": ln.key,
        "name": ln.name,
        "indicator": ln.indicator,
        "enterprises": ln.enterprises,
        "value": ln.value,
        "year_before": ln.year_before,
        "change": ln.change,
    }


def _summary(month: str, place: str, lines: list[Any], warnings: list[Any]) -> Section:
    totals: dict[str, list[float]] = {}
    for ln in lines:
        now, before = totals.setdefault(ln.indicator, [0.0, 0.0])
        totals[ln.indicator] = [now + ln.value, before + (ln.year_before or 0.0)]
    parts = []
    for indicator, (now, before) in totals.items():
        label, unit = INDICATORS[indicator]
        change = f",同比{now / before - 1:+.1%}" if before else ""
        parts.append(f"{label}{now:,.1f}{unit}{change}")
    text = (
        f"{month},{place}报送运行指标的企业:" + ";".join(parts) + "。"
        if parts
        else f"{month},{place}尚无企业报送运行指标。"
    )
    return Section("summary", "总体情况", (text, f"本月预警{len(warnings)}条。"))


def _rollup_section(
    key: str, title: str, first: str, lines: list[Any], chart: bool = False
) -> Section:
    rows = [
        (ln.name, INDICATORS[ln.indicator][0], ln.enterprises, ln.value, ln.year_before, ln.change)
        for ln in lines
    ]
    figure = None
    power = [ln for ln in lines if ln.indicator == "electricity"]
    if chart and power:
        figure = Chart(
            "bar",
            "各地用电量同比",
            [ln.name for ln in power],
            [Series("同比", [ln.change for ln in power])],
            percent=True,
        )
    columns = (Column("name", first), *ROLLUP_COLUMNS[1:])
    return Section(key, title, (), Table(columns, rows), figure)
