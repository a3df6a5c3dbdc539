"""Running the migrations shipped inside the package (``serviceframe db upgrade``).

Only the ``db`` commands import this module (and alembic): other commands check the schema
against ``database.SCHEMA_REVISION`` without it.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from serviceframe.errors import StoreError
from serviceframe.store.database import VERSION_TABLE, store_error

__all__ = ["VERSION_TABLE", "current", "head", "run_migrations", "upgrade"]


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", "serviceframe.store:migrations")
    return config


def head() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(
                conn, opts={"version_table": VERSION_TABLE}
            ).get_current_revision()
    except SQLAlchemyError as exc:
        raise store_error(exc, str(engine.url)) from exc


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Bring the database to ``revision``; returns (revision before, revision after)."""
    before = current(engine)
    try:
        with engine.connect() as conn, _sqlite_foreign_keys_off(conn), conn.begin():
            run_migrations(conn, revision)
            if conn.dialect.name == "sqlite":
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise StoreError(f"the migration left rows pointing nowhere: {broken[:5]}")
    except SQLAlchemyError as exc:
        raise store_error(exc, str(engine.url)) from exc
    return before, current(engine) or ""


def run_migrations(
    conn: Connection, revision: str = "head", version_schema: str | None = None
) -> None:
    """Run the migrations up to ``revision`` in the caller's transaction on ``conn``.
    ``version_schema``: where the version table is (the drift reference's scratch schema)."""
    config = _config()
    config.attributes["connection"] = conn
    config.attributes["version_schema"] = version_schema
    command.upgrade(config, revision)


@contextmanager
def _sqlite_foreign_keys_off(conn: Connection) -> Iterator[None]:
    """On SQLite a batch ALTER copies a table and drops the old one, which foreign keys refuse
    while other tables point at it: they are off while migrating (SQLite takes this only
    outside a transaction; the rows are checked before the commit) and on again after."""
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
    conn.commit()
    try:
        yield
    finally:
        conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        conn.commit()
