"""``serviceframe audit``: verify the tamper-evident history; take and list its anchors."""

from typing import TextIO

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, table


@click.group()
def audit() -> None:
    """The tamper-evident history (审计): every event is chained to the one before it."""


@audit.command()
@click.option(
    "--anchors",
    "kept",
    type=click.File("r", encoding="utf-8"),
    help="Anchors kept elsewhere (what `audit anchors --json` printed) to check against.",
)
@json_option
@click.pass_obj
def verify(obj: CliContext, kept: TextIO | None, as_json: bool) -> None:
    """Check every event's hash chain and every anchor; exit 1 at the first broken link.

    Finds an event changed, removed, inserted or moved with plain SQL, an anchor changed,
    a history no longer matching the anchors kept elsewhere (--anchors), an issue whose history
    was removed, and a removed append-only guard.
    """
    from serviceframe.serialise import beijing_iso
    from serviceframe.services.audit import read_kept
    from serviceframe.services.audit import verify as run

    report = run(obj.app, read_kept(kept) if kept is not None else ())
    if as_json:
        emit_json(report)
    elif report.ok:
        click.echo(
            f"审计通过 history verified: {report.events} events in {report.subjects} histories, "
            f"{report.anchors} anchors"
        )
    else:
        click.echo(
            f"审计未通过 history broken: {report.problems} problems in {report.events} events "
            f"of {report.subjects} histories, {report.anchors} anchors"
        )
        first = report.first_broken
        assert first is not None
        where = f"event {first.event} ({first.subject} #{first.seq}, {first.kind}, "
        when = beijing_iso(first.at) if first.at else ""
        click.echo(
            "first broken link 首个断点: "
            + (f"{where}{when}): " if first.event is not None else "")
            + first.problem
        )
        table(
            ("event", "history", "#", "kind", "problem 问题"),
            [(b.event or "", b.subject, b.seq or "", b.kind, b.problem) for b in report.broken],
        )
    if not report.ok:
        raise SystemExit(1)


@audit.command()
@json_option
@click.pass_obj
def anchor(obj: CliContext, as_json: bool) -> None:
    """Take an anchor: certify the head of every history that grew since the last one.

    Run it on a schedule (daily, say) and keep its digest elsewhere — printed, mailed, in
    another system: a history rewritten from the start no longer matches it.
    """
    from serviceframe.services.audit import take_anchor

    taken = take_anchor(obj.app)
    if as_json:
        emit_json(taken)
        return
    click.echo(
        f"anchor 锚点 {taken.id}: {taken.digest} ({taken.subjects} histories grew, "
        f"{taken.events} events in all)"
    )


@audit.command("anchors")
@json_option
@click.pass_obj
def list_anchors(obj: CliContext, as_json: bool) -> None:
    """List the anchors, oldest first; `--json` is the copy to keep elsewhere."""
    from serviceframe.serialise import beijing_iso
    from serviceframe.services.audit import anchors

    found = anchors(obj.app)
    if as_json:
        emit_json(found)
        return
    table(
        ("anchor 锚点", "taken 时间", "histories", "events", "digest"),
        [(a.id, beijing_iso(a.at), a.subjects, a.events, a.digest) for a in found],
    )
