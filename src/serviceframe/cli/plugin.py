"""``serviceframe plugin new``: start a plugin package (the template; docs/howto/)."""

from pathlib import Path

import click


@click.group()
def plugin() -> None:
    """Write a new plugin package (see `plugins list` for the installed ones)."""


@plugin.command("new")
@click.argument("name")
@click.option(
    "--kind",
    type=click.Choice(["channel", "report", "classifier"]),
    required=True,
    help="What the plugin adds: a channel kind, a report kind or a classifier.",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to write the package's folder, NAME.",
)
def new(name: str, kind: str, directory: Path) -> None:
    """Write NAME/ (e.g. wenxian-sms): pyproject with the `serviceframe` entry point, the hook
    implementation, and tests with serviceframe's contract suite, ready to
    `pip install -e 'NAME[test]'` and `pytest`."""
    from serviceframe.plugin_template import write_plugin

    package = write_plugin(name, kind, directory)  # a bad NAME: one line on stderr, exit 1
    click.echo(f"wrote {package}: cd {package} && pip install -e '.[test]' && pytest")
