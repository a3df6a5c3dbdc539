"""``serviceframe coordination``: the state of service work per county and unit (R8)."""

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, table


@click.command()
@click.option("--period", required=True, help="2026, 2026-Q3, 2026-09 or 2026-09-01..2026-09-30")
@json_option
@click.pass_obj
def coordination(obj: CliContext, period: str, as_json: bool) -> None:
    """Received, on time, overdue, escalated, supervised and resolved, per county and per unit."""
    from serviceframe.services.coordination import coordination as run

    report = run(obj.app, period)
    if as_json:
        emit_json(report)
        return
    headers = (
        "",
        "名称",
        "受理",
        "办结",
        "按时",
        "逾期",
        "提级",
        "督办",
        "满意",
        "基本满意",
        "不满意",
        "满意度",
    )
    for title, lines in (
        ("按县(市)区 by county", report.counties),
        ("按承办单位 by unit", report.units),
    ):
        click.echo(f"\n{title} — {report.period.start}..{report.period.end}")
        table(
            headers,
            [
                (
                    x.key,
                    x.name,
                    x.received,
                    x.resolved,
                    x.on_time,
                    x.overdue,
                    x.escalated,
                    x.supervised,
                    x.satisfied,
                    x.basic,
                    x.unsatisfied,
                    "—" if x.satisfaction is None else f"{x.satisfaction:.1%}",
                )
                for x in lines
            ],
        )
    click.echo(
        f"\n{len(report.supervision)} current supervision orders (serviceframe supervision list)"
    )
