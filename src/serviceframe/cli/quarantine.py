"""``serviceframe quarantine``: inbound messages nobody could place, waiting for a person."""

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, table


@click.group()
def quarantine() -> None:
    """The quarantine (隔离区): messages whose sender is unknown or that could not be read."""


@quarantine.command("list")
@click.option("--limit", type=int, default=200, show_default=True, help="At most this many.")
@json_option
@click.pass_obj
def list_quarantine(obj: CliContext, limit: int, as_json: bool) -> None:
    """List quarantined messages, newest first."""
    from serviceframe.serialise import beijing_iso
    from serviceframe.services.inbound import quarantined

    rows = quarantined(obj.app, limit)
    if as_json:
        emit_json(rows)
        return
    table(
        ("id", "渠道 channel", "收到 received", "发件人 sender", "原因 reason", "来源"),
        [
            (
                r["id"],
                r["channel"],
                beijing_iso(r["received_at"])[:16],
                r["sender"],
                r["reason"][:80],
                " ".join(f"{k}={v}" for k, v in r["meta"].items())[:60],
            )
            for r in rows
        ],
    )


@quarantine.command()
@click.argument("message_id", type=int)
@json_option
@click.pass_obj
def retry(obj: CliContext, message_id: int, as_json: bool) -> None:
    """Handle quarantined message MESSAGE_ID again (after registering its sender, say)."""
    from serviceframe.services.inbound import retry_quarantined

    handled = retry_quarantined(obj.app, message_id)
    if as_json:
        emit_json(handled)
        return
    if handled.outcome == "quarantined":
        click.echo(f"#{message_id} still quarantined: {handled.reason}")
    else:
        click.echo(f"#{message_id} {handled.outcome}: issue {handled.issue_id}")


@quarantine.command()
@click.argument("message_id", type=int)
@click.option("--reason", required=True, help="Why it is dismissed (spam, an automatic reply…).")
@json_option
@click.pass_obj
def dismiss(obj: CliContext, message_id: int, reason: str, as_json: bool) -> None:
    """Take MESSAGE_ID out of the quarantine for good; it stays on record with the reason."""
    from serviceframe.services.inbound import dismiss as dismiss_

    row = dismiss_(obj.app, message_id, reason)
    if as_json:
        emit_json(row)
        return
    click.echo(f"#{message_id} dismissed: {row['reason']}")
