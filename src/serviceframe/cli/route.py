"""``serviceframe route``, ``escalate``, ``supervision``: the leaders' ladder (R7)."""

from typing import TYPE_CHECKING, Any

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import (
    beijing_date,
    emit_json,
    json_option,
    progress_bar,
    table,
    warn_failures,
)

if TYPE_CHECKING:
    from serviceframe.domain.organisation import Organisation


def _place(org: "Organisation", level: str, rung: str, official: str | None) -> str:
    """``焦作市(410800) 张伟 常务副市长 (jz-evm)``, or ``焦作市(410800) 市政府常务会议``:
    where an issue stands, for people (the official's title says the rung)."""
    from serviceframe.domain.routing import Rung

    here = org.jurisdiction(level)
    who = org.who(official) or Rung(rung).label_at(here.kind if here is not None else None)
    return f"{org.place(level)}({level}) {who}"


@click.command()
@click.argument("issue_id", type=int)
@click.option(
    "--apply",
    "apply_",
    is_flag=True,
    help="Record the router's decision now (after the organisation changed).",
)
@json_option
@click.pass_obj
def route(obj: CliContext, issue_id: int, apply_: bool, as_json: bool) -> None:
    """Show which leader answers for issue ISSUE_ID, at which level, and why."""
    from serviceframe.services.organisation import organisation
    from serviceframe.services.routing import ORDER_LABELS, explain_route, route_issue

    view = route_issue(obj.app, issue_id) if apply_ else explain_route(obj.app, issue_id)
    warn_failures(obj.app.plugins.failures)
    if as_json:
        emit_json(view)
        return
    org = organisation(obj.app)
    d = view.decision
    current = view.current
    if current is None:
        click.echo(f"问题 {issue_id}: 尚未确定责任领导 not routed yet (accept it first)")
    else:
        click.echo(f"问题 {issue_id}: {_place(org, current.level, current.rung, current.official)}")
        click.echo(f"  理由 why: {current.reason}")
        if current.informed:
            click.echo(f"  抄告 informed: {'、'.join(org.place(c) for c in current.informed)}")
        if current.escalations:
            click.echo(f"  已提级 {current.escalations} 次 escalated")
        if current.listed_at:
            click.echo(f"  挂牌督办 listed as long-overdue since {beijing_date(current.listed_at)}")
        if current.cluster:
            click.echo(
                f"  普遍性问题 widespread-issue cluster {current.cluster} (topic {current.topic})"
            )
        if current.agenda_item:
            click.echo(
                f"  列入常务会议议题 on the executive meeting agenda: item {current.agenda_item}"
            )
        if current.decision:
            click.echo(f"  会议决定 decision: {current.decision}")
    moved_on = current is not None and (current.escalations or current.cluster)
    if (
        d is not None
        and not moved_on
        and (
            current is None
            or (d.level, d.rung, d.official) != (current.level, current.rung, current.official)
        )
    ):
        click.echo(
            f"按现在的组织机构应交 router now says: {_place(org, d.level, d.rung, d.official)}"
            f" — {d.reason}"
        )
    if d is not None:
        for skip in d.skipped:
            click.echo(f"  跳过 skipped: {skip.why}")
    for o in view.supervision:
        click.echo(
            f"  督办 #{o['id']} {ORDER_LABELS.get(o['deadline'], o['deadline'])} 期限 {o['due']}: "
            f"逾期单位 {o['overdue_unit'] or ''} → "
            f"{_place(org, o['to_level'], o['to_rung'], o['to_official'])}"
        )


@click.command()
@click.option(
    "--now",
    "now_",
    metavar="ISO",
    help="Sweep as of this moment (default: now; no zone = Beijing time).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be escalated; store nothing.")
@json_option
@click.pass_obj
def escalate(obj: CliContext, now_: str | None, dry_run: bool, as_json: bool) -> None:
    """Supervise every missed deadline (督办) and every order left unanswered past its reply
    limit (催办), moving each such issue one rung up the ladder (at most one per run); at the
    top, list it as long-overdue (挂牌督办). Rungs nobody holds are skipped and named.

    One sweep runs at a time per database: started while another runs, it does nothing, says
    so and exits 0 (the next run does whatever is left), so a scheduler may start it often.
    """
    from serviceframe.domain.clock import parse_local_time
    from serviceframe.services.organisation import organisation
    from serviceframe.services.routing import ORDER_LABELS
    from serviceframe.services.routing import escalate as run

    when = parse_local_time(now_, "--now") if now_ else None
    if not dry_run:  # a major project's step waiting past its limit is an issue first
        from serviceframe.errors import AlreadyRunning
        from serviceframe.services.projects import file_stalled_steps

        try:
            stalled = file_stalled_steps(obj.app)
        except AlreadyRunning:  # another process is filing them: the sweep still runs
            stalled = []
        if stalled and not as_json:
            click.echo(f"重大项目 {len(stalled)} stalled step(s) filed as issues {stalled}")
    with progress_bar("督办 escalating", as_json) as bar:
        done = run(obj.app, when, dry_run=dry_run, progress=bar)
    warn_failures(obj.app.plugins.failures)
    if as_json:
        emit_json(done)
        return
    if not done:
        click.echo("没有需要督办的问题 nothing to escalate")
        return
    org = organisation(obj.app)
    table(
        (
            "问题",
            "督办事项",
            "期限",
            "逾期单位",
            "责任人",
            "原责任领导",
            "提级至",
            "回复期限",
            "说明",
        ),
        [
            (
                e.issue,
                ORDER_LABELS.get(e.deadline, e.deadline),
                e.due,
                e.overdue_unit or "",
                org.who(e.overdue_official),
                _place(org, e.from_level, e.from_rung, e.from_official),
                _place(org, e.to_level, e.to_rung, e.to_official) if e.moved else "—",
                e.reply_due or "",
                e.note,
            )
            for e in done
        ],
    )
    skipped = dict.fromkeys(s.why for e in done for s in e.skipped)
    if skipped:
        click.echo("\n跳过的层级 rungs skipped (nobody could take the issue there):")
        for why in skipped:
            click.echo(f"  - {why}")
        click.echo("补齐组织机构 fill the gaps: serviceframe org check")
    click.echo(
        f"{len(done)} 份督办单 supervision orders{'(试运行,未保存 dry run: nothing stored)' if dry_run else ''}"
    )


@click.group()
def supervision() -> None:
    """Supervision orders (督办) and issues listed as long-overdue (挂牌督办)."""


@supervision.command("list")
@click.option(
    "--all", "all_", is_flag=True, help="Include orders whose issue has since been resolved."
)
@json_option
@click.pass_obj
def list_(obj: CliContext, all_: bool, as_json: bool) -> None:
    """List supervision orders: the overdue unit and person, who took the issue over, the reply
    limit; then the issues listed as long-overdue, with how long each has been open."""
    from serviceframe.services.organisation import organisation
    from serviceframe.services.routing import ORDER_LABELS, long_overdue, supervision_orders

    orders = supervision_orders(obj.app, open_only=not all_)
    listed = long_overdue(obj.app)
    if as_json:
        emit_json({"orders": orders, "long_overdue": listed})
        return
    org = organisation(obj.app)
    table(
        (
            "督办单",
            "问题",
            "督办事项",
            "期限",
            "逾期单位",
            "责任人",
            "现由",
            "下发日期",
            "回复期限",
        ),
        [
            (
                o["id"],
                o["issue_id"],
                ORDER_LABELS.get(o["deadline"], o["deadline"]),
                o["due"],
                o["overdue_unit"] or "",
                org.who(o["overdue_official"]),
                _place(org, o["to_level"], o["to_rung"], o["to_official"]),
                beijing_date(o["created_at"]),
                o["reply_due"] or "",
            )
            for o in orders
        ],
    )
    click.echo(f"{len(orders)} 份督办单 orders")
    _long_overdue(org, listed)


def _long_overdue(org: "Organisation", listed: list[dict[str, Any]]) -> None:
    if not listed:
        return
    click.echo(f"\n挂牌督办 long-overdue (已至最高层级仍未办结): {len(listed)}")
    table(
        ("问题", "企业", "标题", "主办单位", "现由", "受理日期", "已历时(天)", "督办次数"),
        [
            (
                row["issue_id"],
                row["enterprise_name"],
                row["title"][:20],
                row["lead_unit"] or "",
                _place(org, row["level"], row["rung"], row["official"]),
                beijing_date(row["received_at"]),
                row["days_open"],
                row["orders"],
            )
            for row in listed
        ],
    )
