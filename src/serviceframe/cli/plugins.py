"""``serviceframe plugins``: what is installed, and what is broken or disabled."""

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, table


@click.group()
def plugins() -> None:
    """Installed plugins (entry-point group ``serviceframe``)."""


@plugins.command("list")
@json_option
@click.pass_obj
def list_plugins(obj: CliContext, as_json: bool) -> None:
    """List built-in and installed plugins with their hooks and status."""
    infos = obj.app.plugins.list()
    if as_json:
        emit_json(infos)
        return
    table(
        ("name", "status", "origin", "hooks / error"),
        [(p.name, p.status, p.origin, p.error or ", ".join(p.hooks)) for p in infos],
    )
