"""``serviceframe coordination``: the state of service work per jurisdiction and unit (R8)."""

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import (
    beijing_date,
    emit_json,
    json_option,
    jurisdiction_options,
    table,
)


@click.command()
@click.option("--period", required=True, help="2026, 2026-Q3, 2026-09 or 2026-09-01..2026-09-30")
@jurisdiction_options
@json_option
@click.pass_obj
def coordination(
    obj: CliContext, period: str, jurisdiction: str | None, depth: int | None, as_json: bool
) -> None:
    """Received, on time, overdue, escalated, supervised and resolved, per jurisdiction (each
    with the places below it rolled up) and per lead unit; and the issues listed as
    long-overdue (挂牌督办)."""
    from serviceframe.services.coordination import coordination as run

    report = run(obj.app, period, jurisdiction=jurisdiction, depth=depth)
    if as_json:
        emit_json(report)
        return
    headers = (
        "代码",
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
        ("按辖区(含下级) by jurisdiction, rolled up", report.jurisdictions),
        ("按承办单位 by unit", report.units),
    ):
        click.echo(f"\n{title} — {report.period.start}..{report.period.end}")
        table(
            headers,
            [
                (
                    x.key,
                    "  " * x.depth + x.name,
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
    click.echo(f"\n{len(report.supervision)} 份督办单在办 current supervision orders")
    if report.long_overdue:
        click.echo(f"\n挂牌督办 long-overdue: {len(report.long_overdue)}")
        table(
            ("问题", "企业", "标题", "受理日期", "已历时(天)"),
            [
                (
                    row["issue_id"],
                    row["enterprise_name"],
                    row["title"][:20],
                    beijing_date(row["received_at"]),
                    row["days_open"],
                )
                for row in report.long_overdue
            ],
        )
    click.echo("(serviceframe supervision list)")
