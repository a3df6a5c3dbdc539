"""``serviceframe ledger``: a unit's service ledger (服务台帐) for a period, shown or exported;
or the ledger of every unit of a jurisdiction and the places below it, rolled up."""

import sys
from typing import TYPE_CHECKING

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, jurisdiction_options, table

if TYPE_CHECKING:
    from serviceframe.services.ledger import DeadlineCheck, Ledger


def _deadline_cell(check: "DeadlineCheck") -> str:
    if check.due is None:
        return ""
    return f"{check.due_text} {check.state_label}".strip()


def _print(ledger: "Ledger") -> None:
    from serviceframe.services.ledger import DEADLINE_LABELS, summary_lines

    click.echo(
        f"服务台帐 {ledger.unit_name} ({ledger.unit})  "
        f"{ledger.period.start.isoformat()} .. {ledger.period.end.isoformat()}"
    )
    table(
        (
            "编号",
            "企业名称",
            "标题",
            "本单位角色",
            "状态",
            "签收",
            "反馈",
            "办结",
            "重办",
            "满意度",
        ),
        [
            (
                r.issue_id,
                r.enterprise_name[:14],
                r.title[:16],
                r.role_label,
                r.status.label,
                _deadline_cell(r.acknowledge),
                _deadline_cell(r.feedback),
                _deadline_cell(r.resolve),
                r.redo_count or "",
                r.satisfaction.label if r.satisfaction else "",
            )
            for r in ledger.rows
        ],
    )
    click.echo("")
    for label, value in summary_lines(ledger)[3:]:
        if isinstance(value, float):
            value = f"{value:.1%}"
        elif value is None:
            value = "—"
        click.echo(f"{label}: {value}")
    if any(c.provisional for r in ledger.rows for c in r.deadlines.values()):
        names = "/".join(DEADLINE_LABELS.values())
        click.echo(
            f"warning: some {names} deadlines fall in a year with no holiday data and are "
            "provisional (暂定, Mon–Fri)",
            err=True,
        )


@click.command()
@click.argument("unit", required=False)
@click.option(
    "--period",
    required=True,
    metavar="P",
    help="2026, 2026-Q3 (2026Q3), 2026-09, or 2026-09-01..2026-09-30 (Beijing dates, inclusive).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx"]),
    help="Export format (default: from the --out suffix; csv without --out prints CSV).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the ledger to this file (.csv or .xlsx).",
)
@click.option(
    "--encoding",
    metavar="E",
    help="CSV encoding: utf-8-sig (default, with BOM for Excel) or gbk.",
)
@jurisdiction_options
@json_option
@click.pass_obj
def ledger(
    obj: CliContext,
    unit: str | None,
    period: str,
    fmt: str | None,
    out: str | None,
    encoding: str | None,
    jurisdiction: str | None,
    depth: int | None,
    as_json: bool,
) -> None:
    """The service ledger of UNIT: every issue it received first or handled in the period,
    owners, deadlines met or missed, status and the enterprise's rating. With --jurisdiction
    instead of UNIT: the ledger of every unit of that jurisdiction and of the places below
    it (--depth levels), each issue once. Without either: a department's own ledger
    (--as UNIT), a county office's whole jurisdiction (--as its office).

    \b
    Examples:
      serviceframe ledger jz-fgw --period 2026-Q3
      serviceframe ledger jz-fgw --period 2026-09 --out 台帐.xlsx
      serviceframe ledger jz-edsb --period 2026 --out ledger.csv --encoding gbk
      serviceframe ledger --jurisdiction 温县 --period 2026-Q4
    """
    from serviceframe.services.ledger import (
        build_ledger,
        export_ledger,
        ledger_dict,
        normalise_encoding,
        write_csv,
    )

    if encoding:
        normalise_encoding(encoding)  # a bad name fails before the query runs
    if unit is not None and jurisdiction is not None:
        raise click.UsageError("give a UNIT or --jurisdiction CODE, not both")
    if depth is not None and jurisdiction is None:
        raise click.UsageError("--depth goes with --jurisdiction")
    result = build_ledger(obj.app, unit, period, jurisdiction=jurisdiction, depth=depth)
    if out:
        written = export_ledger(result, out, fmt, encoding)
        if not as_json:
            click.echo(f"{out}: {len(result.rows)} rows ({written})", err=True)
    elif fmt == "xlsx":
        raise click.UsageError("--format xlsx needs --out FILE")
    elif fmt == "csv" and not as_json:
        write_csv(result, sys.stdout.buffer, encoding)
        sys.stdout.flush()
        return
    if as_json:
        emit_json(ledger_dict(result))
    elif not out:
        _print(result)
