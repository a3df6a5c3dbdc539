"""``serviceframe channel``: the channels of the organisation file; bringing messages in (R4)."""

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, table, warn_failures

OUTCOME_LABELS = {
    "filed": "新问题",
    "replied": "回复",
    "rated": "评价",
    "quarantined": "隔离",
    "duplicate": "重复",
}


@click.group()
def channel() -> None:
    """Channels (渠道): e-mail, SMS, chat apps, hotline exports, as the organisation file sets them."""


@channel.command("list")
@json_option
@click.pass_obj
def list_channels(obj: CliContext, as_json: bool) -> None:
    """List the configured channels. Secrets are never shown: only the variable they come from."""
    from serviceframe.services.channels import list_channels as list_

    infos = list_(obj.app)
    if as_json:
        emit_json(infos)
        return
    if not infos:
        click.echo("no channels: add [[channels]] to the organisation file (docs/channels.md)")
        return
    rows = []
    for c in infos:
        ways = "/".join(w for w, on in (("入 in", c.inbound), ("出 out", c.outbound)) if on)
        secrets = ", ".join(
            f"{k} ← ${v}{'' if c.secret_set[k] else ' (未设置 not set)'}"
            for k, v in c.secrets.items()
        )
        rows.append(
            (
                c.name,
                c.kind,
                c.jurisdiction,
                ways or "—",
                ",".join(c.address),
                c.problem or secrets,
            )
        )
    table(("名称 name", "类型 kind", "辖区", "方向", "地址 address", "密钥 secrets / 问题"), rows)


@channel.command()
@click.argument("name")
@json_option
@click.pass_obj
def poll(obj: CliContext, name: str, as_json: bool) -> None:
    """Bring in what channel NAME has waiting: new issues, replies, ratings; the rest to quarantine."""
    from serviceframe.services.inbound import poll as poll_

    report = poll_(obj.app, name)
    warn_failures(obj.app.plugins.failures)
    if as_json:
        emit_json(report)
        return
    counts = ", ".join(
        f"{label} {outcome} {report.count(outcome)}" for outcome, label in OUTCOME_LABELS.items()
    )
    click.echo(f"channel {name}: {len(report.handled)} message(s): {counts}")
    for h in report.handled:
        if h.outcome == "quarantined":
            click.echo(f"  隔离 quarantine #{h.inbound_id} {h.message_id}: {h.reason}")
        elif h.outcome != "duplicate":
            click.echo(f"  {OUTCOME_LABELS[h.outcome]} issue {h.issue_id} ← {h.message_id}")
