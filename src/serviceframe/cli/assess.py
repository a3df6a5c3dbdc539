"""``serviceframe assess``: each unit's and official's satisfaction result for a period (R9)."""

from typing import TYPE_CHECKING

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, table, warn_failures

if TYPE_CHECKING:
    from serviceframe.services.assessment import Result


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _row(r: "Result") -> tuple[object, ...]:
    f = r.figures
    return (
        r.rank or "—",
        f.key,
        f.name,
        _pct(r.score),
        f"{f.lead.satisfied}/{f.lead.basic}/{f.lead.unsatisfied}",
        f"{f.co.satisfied}/{f.co.basic}/{f.co.unsatisfied}" if f.co.rated else "",
        f.unrated,
        f.handled,
        _pct(f.acknowledge.on_time_rate),
        _pct(f.resolve.on_time_rate),
        f.redo,
        f.supervision,
        _pct(f.response_rate),
    )


HEADERS = (
    "名次",
    "编号",
    "名称",
    "结果",
    "满意/基本/不满意",
    "协办评价",
    "未评价",
    "承办",
    "签收按期",
    "办结按期",
    "重办",
    "督办",
    "评价回复率",
)


@click.command()
@click.option(
    "--period", required=True, metavar="P", help="2026, 2026-H1, 2026-Q3, 2026-09 or A..B."
)
@click.option("--unit", help="Show this unit (and its officials), ranked among all.")
@click.option("--jurisdiction", help="A jurisdiction (code or name) and everything below it.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the assessment as XLSX for the personnel office (or .html, .json, .txt).",
)
@json_option
@click.pass_obj
def assess(
    obj: CliContext,
    period: str,
    unit: str | None,
    jurisdiction: str | None,
    out: str | None,
    as_json: bool,
) -> None:
    """The assessment: each unit's and official's result from the enterprises' ratings of
    completed items (the sole standard), ranked, with items handled, deadlines kept, redos,
    supervision orders and the response rate beside it (not scored).

    \b
    The result is the organisation file's scoring profile ([assessment] profile,
    default "satisfaction": 满意 1, 基本满意 0.8, 不满意 0, every round counted);
    see docs/assessment.md. Equal results share a place (1, 2, 2, 4).

    \b
    Examples:
      serviceframe assess --period 2026
      serviceframe assess --period 2026-Q4 --jurisdiction 解放区 --out 考核.xlsx
    """
    from serviceframe.serialise import beijing_iso
    from serviceframe.services.assessment import assess as run
    from serviceframe.services.assessment import assessment_dict

    result = run(obj.app, period, jurisdiction, unit)
    warn_failures(obj.app.plugins.failures)
    if out:
        from serviceframe.reports.run import write_report

        written = write_report(obj.app, "assessment", out, period, jurisdiction, {"unit": unit})
        click.echo(f"{out}: the assessment ({written})", err=True)
    if as_json:
        emit_json(assessment_dict(result))
        return
    rules = result.rules
    click.echo(
        f"满意度考核 {result.period} (辖区 {result.jurisdiction}, as of "
        f"{beijing_iso(result.as_of)[:16].replace('T', ' ')})\n"
        f"结果 = {result.profile_label} [{result.profile}]; 基本满意按{float(rules.basic_weight):g}计, "
        f"协办权重{float(rules.co_weight):g}; 每轮评价均计, 未评价不计入"
    )
    click.echo("\n单位 units")
    table(HEADERS, [_row(r) for r in result.units])
    if result.officials:
        click.echo("\n领导 officials (the issues routed to them)")
        table(HEADERS, [_row(r) for r in result.officials])
