"""``serviceframe event``: service events (服务活动): bank–enterprise matchmaking (银企对接),
policy briefings and training, with invitations, attendance, outcomes and follow-ups."""

from typing import TYPE_CHECKING

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, table, warn_failures

if TYPE_CHECKING:
    from serviceframe.domain.service_event import ServiceEvent


@click.group()
def event() -> None:
    """Service events (服务活动): matchmaking meetings, policy briefings, training."""


@event.command("add")
@click.option(
    "--kind", required=True, help="matchmaking (银企对接), briefing (政策宣讲) or training (培训)."
)
@click.option("--title", required=True, help="The event's title.")
@click.option("--date", "day", required=True, help="The day it takes place, e.g. 2026-11-18.")
@click.option(
    "--organiser", "organisers", multiple=True, required=True, help="An organising unit (id)."
)
@click.option("--jurisdiction", help="Whose event it is (default: the first organiser's).")
@click.option("--place", default="", help="Where (地点).")
@json_option
@click.pass_obj
def add(
    obj: CliContext,
    kind: str,
    title: str,
    day: str,
    organisers: tuple[str, ...],
    jurisdiction: str | None,
    place: str,
    as_json: bool,
) -> None:
    """Add a service event.

    \b
    Example:
      serviceframe event add --kind 银企对接 --title 2026年第四季度银企对接会 \\
          --date 2026-11-18 --organiser jz-jrb --organiser jz-edsb --place 市政府三楼会议室
    """
    from serviceframe.services.service_events import add_event

    found = add_event(obj.app, kind, title, day, organisers, jurisdiction, place)
    warn_failures(obj.app.plugins.failures)
    if as_json:
        emit_json(found)
        return
    _show(found)


@event.command("invite")
@click.argument("event_id", type=int)
@click.option("--jurisdiction", help="Enterprises of this place and those below it.")
@click.option("--key", help="Key enterprises of at least this level: county, city, province.")
@click.option("--industry", help="An industry code or its start (C32 takes C3216).")
@click.option("--enterprise", "enterprises", multiple=True, help="Only these credit codes.")
@click.option("--channel", "channels", multiple=True, help="Send through these channels only.")
@json_option
@click.pass_obj
def invite(
    obj: CliContext,
    event_id: int,
    jurisdiction: str | None,
    key: str | None,
    industry: str | None,
    enterprises: tuple[str, ...],
    channels: tuple[str, ...],
    as_json: bool,
) -> None:
    """Invite the enterprises the filter selects; each contact person gets an invitation
    through the outbox (``outbox deliver`` sends it)."""
    from serviceframe.services.service_events import Invitees
    from serviceframe.services.service_events import invite as run

    done = run(obj.app, event_id, Invitees(jurisdiction, key, industry, enterprises), channels)
    warn_failures(obj.app.plugins.failures)
    if as_json:
        emit_json(done)
        return
    click.echo(
        f"活动 {event_id}: invited {len(done.invited)} enterprises ({done.already} before); "
        f"{done.notifications} invitations in the outbox, {done.unreachable} unreachable"
    )


@event.command("attend")
@click.argument("event_id", type=int)
@click.argument("enterprises", nargs=-1, required=True)
@click.option("--absent", is_flag=True, help="Record that they did not come.")
@json_option
@click.pass_obj
def attend(
    obj: CliContext, event_id: int, enterprises: tuple[str, ...], absent: bool, as_json: bool
) -> None:
    """Record which invited enterprises came."""
    from serviceframe.services.service_events import attend as run

    found = run(obj.app, event_id, enterprises, attended=not absent)
    warn_failures(obj.app.plugins.failures)
    if as_json:
        emit_json(found)
        return
    _show(found)


@event.command("outcome")
@click.argument("event_id", type=int)
@click.argument("enterprise")
@click.option("--bank", default="", help="The bank (matchmaking).")
@click.option("--intended", default="0", help="Loans intended (意向), 万元.")
@click.option("--signed", default="0", help="Loans signed (签约), 万元.")
@click.option("--note", default="", help="What came of it.")
@click.option("--follow-up", help="A follow-up item: filed as an issue of the enterprise.")
@json_option
@click.pass_obj
def outcome(
    obj: CliContext,
    event_id: int,
    enterprise: str,
    bank: str,
    intended: str,
    signed: str,
    note: str,
    follow_up: str | None,
    as_json: bool,
) -> None:
    """Record the outcome for one enterprise; a follow-up item becomes an issue.

    \b
    Example:
      serviceframe event outcome 1 914108026469439561 --bank 中国银行焦作分行 \\
          --intended 3000 --signed 2000 --follow-up 剩余1000万元需补充抵押物评估
    """
    from serviceframe.services.service_events import record_outcome

    found, issue = record_outcome(
        obj.app, event_id, enterprise, bank, intended, signed, note, follow_up
    )
    warn_failures(obj.app.plugins.failures)
    if as_json:
        emit_json({"event": found, "issue": issue})
        return
    _show(found)
    if issue is not None:
        click.echo(f"跟进事项 filed as issue {issue}")


@event.command("list")
@click.option("--kind", help="matchmaking, briefing or training.")
@json_option
@click.pass_obj
def list_(obj: CliContext, kind: str | None, as_json: bool) -> None:
    """The events, with invitations, attendance and loans (万元)."""
    from serviceframe.services.service_events import list_events

    found = list_events(obj.app, kind)
    if as_json:
        emit_json(found)
        return
    table(
        ("编号", "日期", "类型", "名称", "邀请", "参加", "意向(户/万元)", "签约(户/万元)"),
        [
            (
                s.event.id,
                s.event.date.isoformat(),
                s.event.kind.label,
                s.event.title,
                s.invited,
                s.attended,
                f"{s.loans_intended}/{s.intended}",
                f"{s.loans_signed}/{s.signed}",
            )
            for s in found
        ],
    )


@event.command("show")
@click.argument("event_id", type=int)
@json_option
@click.pass_obj
def show(obj: CliContext, event_id: int, as_json: bool) -> None:
    """One event: who was invited and came, the outcomes, the follow-up issues."""
    from serviceframe.services.service_events import get_event

    found = get_event(obj.app, event_id)
    if as_json:
        emit_json(found)
        return
    _show(found)


def _show(e: "ServiceEvent") -> None:
    click.echo(f"活动 {e.id} {e.kind.label} {e.title}  {e.date.isoformat()} {e.place}")
    click.echo(f"  主办 {'、'.join(e.organisers)}  辖区 {e.jurisdiction}")
    if e.participants:
        table(
            ("企业", "名称", "参加", "银行", "意向(万元)", "签约(万元)", "情况"),
            [
                (
                    p.enterprise,
                    p.name,
                    {True: "是", False: "否", None: "—"}[p.attended],
                    p.bank,
                    p.intended or "",
                    p.signed or "",
                    p.note,
                )
                for p in e.participants
            ],
        )
    if e.follow_ups:
        click.echo(f"  跟进事项 issues: {', '.join(map(str, e.follow_ups))}")
