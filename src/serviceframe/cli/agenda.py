"""``serviceframe agenda``: the executive meeting's agenda (常务会议)."""

from datetime import date

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, table, warn_failures


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date such as 2026-12-10", param_hint=option
        ) from None


@click.group(invoke_without_command=True)
@click.option("--meeting", metavar="DATE", help="The meeting's date (default: the next meeting).")
@click.option(
    "--jurisdiction", metavar="CODE", help="Whose government, code or name (default: the top one)."
)
@json_option
@click.pass_context
def agenda(
    ctx: click.Context, meeting: str | None, jurisdiction: str | None, as_json: bool
) -> None:
    """Show the items for an executive meeting: policy issues and widespread clusters."""
    if ctx.invoked_subcommand is not None:
        return
    from serviceframe.services.agenda import agenda as run

    obj: CliContext = ctx.obj
    found = run(obj.app, _date(meeting, "--meeting"), jurisdiction)
    if as_json:
        emit_json(found)
        return
    m = found["meeting"]
    click.echo(
        f"{found['jurisdiction']}: "
        + (
            f"{m['name'] or '常务会议'} (executive meeting {m['date']})"
            if m
            else "尚未安排常务会议,议题留待下次会议 (no meeting scheduled)"
        )
    )
    table(
        ("议题", "状态", "事项", "标题", "会议决定"),
        [
            (
                i["id"],
                _ITEM_STATUS.get(i["status"], i["status"]),
                f"问题 {i['issue_id']}" if i["issue_id"] else f"问题群 {i['cluster_id']}",
                i["title"][:30],
                i["decision"][:30],
            )
            for i in found["items"]
        ],
    )


_ITEM_STATUS = {"pending": "待议", "decided": "已决定"}


@agenda.command()
@click.argument("item_id", type=int)
@click.option("--decision", required=True, help="What the meeting decided.")
@click.option("--settle", is_flag=True, help="The decision also resolves the linked open issues.")
@json_option
@click.pass_obj
def decide(obj: CliContext, item_id: int, decision: str, settle: bool, as_json: bool) -> None:
    """Record the meeting's decision on ITEM; it is written to every linked issue."""
    from serviceframe.services.agenda import decide as run

    result = run(obj.app, item_id, decision, settle)
    warn_failures(obj.app.plugins.failures)
    if as_json:
        emit_json(result)
    else:
        click.echo(
            f"item {item_id} decided; written to issues {', '.join(map(str, result['issues']))}"
        )
        if result["settled"]:
            click.echo(f"已一并办结问题 settled: {', '.join(map(str, result['settled']))}")


@agenda.command()
@click.option("--date", "on", required=True, metavar="DATE")
@click.option(
    "--jurisdiction", metavar="CODE", help="Whose government, code or name (default: the top one)."
)
@click.option("--name", default="", help="e.g. 市政府第12次常务会议")
@json_option
@click.pass_obj
def schedule(obj: CliContext, on: str, jurisdiction: str | None, name: str, as_json: bool) -> None:
    """Schedule an executive meeting; waiting items go onto the next one."""
    from serviceframe.services.agenda import schedule_meeting

    meeting = schedule_meeting(obj.app, _date(on, "--date"), jurisdiction, name)  # type: ignore[arg-type]
    if as_json:
        emit_json(meeting)
    else:
        click.echo(f"已安排常务会议 {meeting['date']}({meeting['jurisdiction']})")
