"""Running the migrations shipped inside the package (``serviceframe db upgrade``)."""

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from serviceframe.errors import StoreError
from serviceframe.store.database import safe_url, store_error

VERSION_TABLE = "serviceframe_version"


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
        with engine.begin() as conn:
            run_migrations(conn, revision)
    except SQLAlchemyError as exc:
        raise store_error(exc, str(engine.url)) from exc
    return before, current(engine) or ""


def run_migrations(conn: Connection, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` in the caller's transaction on ``conn``."""
    config = _config()
    config.attributes["connection"] = conn
    command.upgrade(config, revision)


def require_head(engine: Engine) -> None:
    """Refuse to work on a database that is older (or newer) than this code."""
    found = current(engine)
    wanted = head()
    if found != wanted:
        where = safe_url(str(engine.url))
        if found is None:
            raise StoreError(f"database {where} is empty; run `serviceframe db upgrade` first")
        raise StoreError(
            f"database {where} is at schema {found}, this serviceframe needs {wanted}; "
            "run `serviceframe db upgrade`"
        )
