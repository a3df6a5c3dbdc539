"""``serviceframe demo``: the bundled city (Jiaozuo) on a fresh SQLite database."""

from pathlib import Path

import click

from serviceframe.cli.context import CliContext


@click.command()
@click.option(
    "--out",
    default="serviceframe-demo.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The SQLite file to build; an existing one is replaced.",
)
@click.pass_obj
def demo(obj: CliContext, out: str) -> None:
    """Build the Jiaozuo example city on a fresh SQLite file and run the mechanism on it."""
    from serviceframe.app import Settings, bootstrap
    from serviceframe.demo import run_demo, write_reports

    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    app = bootstrap(
        Settings(
            db_url=f"sqlite:///{path}",
            disabled_plugins=obj.disabled,
            check_schema=False,
            acting_as="office",  # the demo plays the root office, which runs everything
        )
    )
    if obj.actor:
        app.settings.actor = obj.actor
    click.echo(f"serviceframe demo: 焦作市 on {path}")
    run_demo(app, click.echo)
    write_reports(app, path.parent, click.echo)
    app.close()
    click.echo(f"done. Explore it with: serviceframe --db {path} coverage")
