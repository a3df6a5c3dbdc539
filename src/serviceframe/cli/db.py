"""``serviceframe db``: the database schema."""

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option


@click.group()
def db() -> None:
    """The database schema (migrations shipped inside the package)."""


@db.command()
@json_option
@click.pass_obj
def upgrade(obj: CliContext, as_json: bool) -> None:
    """Create the tables, or bring an older database up to this version."""
    from serviceframe.store.database import safe_url
    from serviceframe.store.migrate import upgrade as run_upgrade

    engine = obj.app.engine
    before, after = run_upgrade(engine)
    url = safe_url(str(engine.url))
    if as_json:
        emit_json({"database": url, "before": before, "after": after})
    elif before == after:
        click.echo(f"{url}: already at schema {after}")
    else:
        click.echo(f"{url}: schema {before or '(empty)'} -> {after}")


@db.command()
@json_option
@click.pass_obj
def current(obj: CliContext, as_json: bool) -> None:
    """Show the schema version of the database and of this code."""
    from serviceframe.store.database import safe_url
    from serviceframe.store.migrate import current as current_rev
    from serviceframe.store.migrate import head

    engine = obj.app.engine
    found, wanted = current_rev(engine), head()
    if as_json:
        emit_json({"database": safe_url(str(engine.url)), "current": found, "head": wanted})
    else:
        state = "up to date" if found == wanted else "needs `serviceframe db upgrade`"
        click.echo(
            f"{safe_url(str(engine.url))}: schema {found or '(empty)'}, code {wanted}: {state}"
        )


@db.command()
@json_option
@click.pass_obj
def check(obj: CliContext, as_json: bool) -> None:
    """Compare the database's schema with a fresh one at this version; exit 1 on any drift.

    A database can be at the right version and still differ (built by an edited release,
    changed by hand). The fresh schema is built in a throwaway place (a temporary file; on
    PostgreSQL a schema inside a transaction that is rolled back) and nothing is changed.
    """
    from serviceframe.store.database import safe_url
    from serviceframe.store.drift import drift
    from serviceframe.store.migrate import current as current_rev
    from serviceframe.store.migrate import head

    engine = obj.app.engine
    url = safe_url(str(engine.url))
    found, wanted = current_rev(engine), head()
    differences = drift(engine) if found == wanted else []
    matches = found == wanted and not differences
    if as_json:
        emit_json(
            {
                "database": url,
                "current": found,
                "head": wanted,
                "matches": matches,
                "differences": differences,
            }
        )
    elif found != wanted:
        click.echo(
            f"{url}: schema {found or '(empty)'}, this serviceframe needs {wanted}; "
            "run `serviceframe db upgrade` first · 请先升级数据库"
        )
    elif not differences:
        click.echo(f"{url}: schema {found}, same as a fresh database · 与新建数据库一致")
    else:
        click.echo(
            f"{url}: schema {found}, {len(differences)} differences from a fresh database "
            "· 与新建数据库不一致:"
        )
        for line in differences:
            click.echo(f"  {line}")
    if not matches:
        raise SystemExit(1)
