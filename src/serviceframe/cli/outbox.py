"""``serviceframe outbox``: the notifications waiting, sent and failed; delivering them."""

import signal
import threading
from types import FrameType

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, table

STATUSES = ("pending", "sending", "sent", "failed")


@click.group()
def outbox() -> None:
    """The outbox (发件箱): every notification, written with the change that caused it."""


@outbox.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only notifications in this state.")
@click.option("--channel", help="Only those of this channel.")
@click.option("--issue", "issue_id", type=int, help="Only those about this issue.")
@click.option("--limit", type=int, default=200, show_default=True, help="At most this many.")
@json_option
@click.pass_obj
def list_outbox(
    obj: CliContext,
    status: str | None,
    channel: str | None,
    issue_id: int | None,
    limit: int,
    as_json: bool,
) -> None:
    """List notifications, newest first."""
    from serviceframe.serialise import beijing_iso
    from serviceframe.services.outbox import STATUS_LABELS
    from serviceframe.services.outbox import list_outbox as list_

    rows = list_(obj.app, status, channel, issue_id, limit)
    if as_json:
        emit_json(rows)
        return
    table(
        (
            "id",
            "状态 status",
            "渠道",
            "收件人 to",
            "地址",
            "主题 subject",
            "尝试",
            "下次/发送",
            "错误",
        ),
        [
            (
                r["id"],
                f"{STATUS_LABELS[r['status']]} {r['status']}",
                r["channel"] or "—",
                r["recipient_name"],
                r["address"],
                r["subject"][:30],
                r["attempts"],
                beijing_iso(r["sent_at"] or r["next_attempt_at"])[:16],
                r["last_error"][:60],
            )
            for r in rows
        ],
    )


@outbox.command()
@click.argument("outbox_id", type=int)
@json_option
@click.pass_obj
def show(obj: CliContext, outbox_id: int, as_json: bool) -> None:
    """Show one notification and every attempt at it."""
    from serviceframe.serialise import beijing_iso
    from serviceframe.services.outbox import STATUS_LABELS, show_outbox

    row = show_outbox(obj.app, outbox_id)
    if as_json:
        emit_json(row)
        return
    click.echo(f"#{row['id']} {STATUS_LABELS[row['status']]} ({row['status']}) {row['kind']}")
    click.echo(f"  收件人 {row['recipient_name']} ({row['recipient_kind']} {row['recipient_id']})")
    click.echo(f"  渠道 {row['channel'] or '—'} → {row['address'] or '—'}   key {row['key']}")
    click.echo(f"  主题 {row['subject']}")
    for line in row["body"].splitlines():
        click.echo(f"    {line}")
    if row["last_error"]:
        click.echo(f"  错误 {row['last_error']}")
    for a in row["attempt_log"]:
        finished = beijing_iso(a["finished_at"]) if a["finished_at"] else "—"
        click.echo(
            f"  attempt {a['number']} by {a['worker']} at {beijing_iso(a['started_at'])}: "
            f"{a['outcome'] or 'in flight'} ({finished}) {a['detail']}"
        )


@outbox.command()
@click.option(
    "--once",
    "mode",
    flag_value="once",
    default=True,
    help="Deliver what is due now, then stop [default].",
)
@click.option(
    "--worker",
    "mode",
    flag_value="worker",
    help="Keep delivering until SIGTERM or SIGINT (Ctrl-C).",
)
@click.option(
    "--batch", type=int, default=100, show_default=True, help="Notifications claimed at a time."
)
@click.option(
    "--idle",
    type=float,
    default=5.0,
    show_default=True,
    help="Seconds to rest when nothing is due (--worker).",
)
@json_option
@click.pass_obj
def deliver(obj: CliContext, mode: str, batch: int, idle: float, as_json: bool) -> None:
    """Send the notifications that are due, retrying failures with back-off.

    Several deliverers may run at once, on several machines against one PostgreSQL: each
    notification is claimed by one of them. A deliverer stops gracefully on SIGTERM or SIGINT,
    after the notification it is sending.
    """
    from serviceframe.services.outbox import deliver_due, run_worker

    def say(report: object) -> None:
        if as_json:
            emit_json(report)
            return
        for a in report.attempts:  # type: ignore[attr-defined]
            click.echo(f"#{a.outbox_id} {a.outcome} {a.channel or '—'} → {a.recipient} {a.detail}")

    if mode == "once":
        report = deliver_due(obj.app, batch)
        say(report)
        if not as_json:
            click.echo(
                f"{report.claimed} due: sent {report.count('sent') + report.count('confirmed')}, "
                f"to retry {report.count('retry')}, failed {report.count('failed')}"
            )
        return
    stop = threading.Event()

    def handle(signum: int, _frame: FrameType | None) -> None:
        click.echo(
            f"{signal.Signals(signum).name}: stopping after the current notification", err=True
        )
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handle)
    click.echo("outbox deliverer running; SIGTERM or Ctrl-C stops it", err=True)
    run_worker(obj.app, stop, batch, idle, on_report=say)
    click.echo("outbox deliverer stopped", err=True)


@outbox.command()
@click.argument("outbox_id", type=int)
@json_option
@click.pass_obj
def retry(obj: CliContext, outbox_id: int, as_json: bool) -> None:
    """Send failed notification OUTBOX_ID again (from now on, with a fresh count of attempts)."""
    from serviceframe.services.outbox import retry as retry_

    row = retry_(obj.app, outbox_id)
    if as_json:
        emit_json(row)
        return
    click.echo(
        f"#{row['id']} pending again: {row['channel']} → {row['recipient_name']} {row['address']}"
    )
