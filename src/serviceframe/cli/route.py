"""``serviceframe route``, ``escalate``, ``supervision``: the leaders' ladder (R7)."""

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, progress_bar, table, warn_failures


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
    from serviceframe.services.routing import explain_route, route_issue

    view = route_issue(obj.app, issue_id) if apply_ else explain_route(obj.app, issue_id)
    warn_failures(obj.app.plugins.failures)
    if as_json:
        emit_json(view)
        return
    d = view.decision
    current = view.current
    if current is None:
        click.echo(f"issue {issue_id}: not routed yet (accept it first)")
    else:
        click.echo(
            f"issue {issue_id}: {current.rung.label} {current.official or ''} at {current.level}"
        )
        click.echo(f"  why: {current.reason}")
        if current.escalations:
            click.echo(f"  escalated {current.escalations} time(s)")
        if current.cluster:
            click.echo(
                f"  part of widespread-issue cluster {current.cluster} (topic {current.topic})"
            )
        if current.agenda_item:
            click.echo(f"  on the executive meeting agenda as item {current.agenda_item}")
        if current.decision:
            click.echo(f"  decision: {current.decision}")
    moved_on = current is not None and (current.escalations or current.cluster)
    if (
        d is not None
        and not moved_on
        and (
            current is None
            or (d.level, d.rung, d.official) != (current.level, current.rung, current.official)
        )
    ):
        click.echo(f"router now says: {d.rung.label} {d.official or ''} at {d.level} — {d.reason}")
    for o in view.supervision:
        click.echo(
            f"  督办 #{o['id']} {o['deadline']} due {o['due']}: {o['overdue_unit']} → {o['to_rung']} {o['to_official'] or ''}"
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
    """Supervise every missed deadline (督办) and move each such issue one rung up the ladder."""
    from serviceframe.domain.clock import parse_local_time
    from serviceframe.services.routing import escalate as run

    when = parse_local_time(now_, "--now") if now_ else None
    with progress_bar("督办 escalating", as_json) as bar:
        done = run(obj.app, when, dry_run=dry_run, progress=bar)
    warn_failures(obj.app.plugins.failures)
    if as_json:
        emit_json(done)
        return
    if not done:
        click.echo("nothing to escalate")
        return
    table(
        ("issue", "missed", "due", "overdue unit", "person", "from", "to", ""),
        [
            (
                e.issue,
                e.deadline,
                e.due,
                e.overdue_unit or "",
                e.overdue_official or "",
                f"{e.from_rung} {e.from_official or ''}",
                f"{e.to_rung} {e.to_official or ''}",
                "" if e.moved else "top of the ladder",
            )
            for e in done
        ],
    )
    click.echo(f"{len(done)} supervision orders{' (dry run: nothing stored)' if dry_run else ''}")


@click.group()
def supervision() -> None:
    """Supervision orders (督办)."""


@supervision.command("list")
@click.option(
    "--all", "all_", is_flag=True, help="Include orders whose issue has since been resolved."
)
@json_option
@click.pass_obj
def list_(obj: CliContext, all_: bool, as_json: bool) -> None:
    """List current supervision orders: the overdue unit and person, and who took the issue over."""
    from serviceframe.services.routing import supervision_orders

    orders = supervision_orders(obj.app, open_only=not all_)
    if as_json:
        emit_json(orders)
        return
    table(
        ("#", "issue", "missed", "due", "overdue unit", "person", "now with", "issued"),
        [
            (
                o["id"],
                o["issue_id"],
                o["deadline"],
                o["due"],
                o["overdue_unit"] or "",
                o["overdue_official"] or "",
                f"{o['to_rung']} {o['to_official'] or ''}",
                o["created_at"].date(),
            )
            for o in orders
        ],
    )
    click.echo(f"{len(orders)} orders")
