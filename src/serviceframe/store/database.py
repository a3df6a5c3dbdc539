"""Engines, URLs and the one place where driver exceptions become ``StoreError``."""

import os
from typing import Any, cast

from sqlalchemy import Engine, QueuePool, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.exc import SQLAlchemyError

from serviceframe.errors import StoreError
from serviceframe.serialise import dumps_column

DEFAULT_URL = "sqlite:///serviceframe.db"

# The revision of the newest migration in migrations/versions: a new migration sets it to its
# own revision (tests/test_store.py checks it is alembic's head). With it, a command that only
# reads or writes rows checks the schema without importing alembic (`db` commands do).
SCHEMA_REVISION = "0010"
VERSION_TABLE = "serviceframe_version"


def resolve_url(url: str | None = None) -> str:
    """The database URL: the argument, else ``SERVICEFRAME_DB``, else ./serviceframe.db.

    A bare path is taken as a SQLite file; ``postgresql://`` uses psycopg 3.
    """
    url = url or os.environ.get("SERVICEFRAME_DB") or DEFAULT_URL
    if "://" not in url:
        url = f"sqlite:///{url}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str | None = None) -> Engine:
    url = resolve_url(url)
    try:
        engine = create_engine(url, json_serializer=dumps_column, **_pool_options(url))
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(f"cannot open database {safe_url(url)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _pool_options(url: str) -> dict[str, Any]:
    """Hand out the connection returned last (LIFO), not the one idle longest (the default).
    A unit of work opened inside another (a cache built on first use) leaves two connections
    in the pool; taken in turn, each finds the file changed by the other, SQLite drops its
    page cache and every transaction reads its pages again: ~10% of a filed issue's CPU.
    On PostgreSQL the warm connection is the one with the prepared statements. Only a
    QueuePool takes the option (an in-memory SQLite database has one connection a thread)."""
    parsed = make_url(url)
    dialect = cast(type[DefaultDialect], parsed.get_dialect())
    if issubclass(dialect.get_pool_class(parsed), QueuePool):
        return {"pool_use_lifo": True}
    return {}


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # Foreign keys are off by default in SQLite; WAL lets the CLI read while a worker writes.
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.execute("PRAGMA synchronous = NORMAL")
    # A 16 MiB page cache (SQLite's default is 2 MiB), filled only as pages are read: a
    # large import's near-duplicate look-ups read the newest issues again and again, and a
    # page missing from the cache is looked up in the WAL, whose index grows with the
    # transaction (a million-row import: 192 s with the default, 153 s with this).
    cursor.execute("PRAGMA cache_size = -16384")
    cursor.close()


def stored_revision(engine: Engine) -> str | None:
    """The schema revision the database says it is at; None for an empty database."""
    try:
        with engine.connect() as conn:
            if not conn.dialect.has_table(conn, VERSION_TABLE):
                return None
            return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    except SQLAlchemyError as exc:
        raise store_error(exc, str(engine.url)) from exc


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a database that is older (or newer) than this code."""
    found = stored_revision(engine)
    if found != SCHEMA_REVISION:
        where = safe_url(str(engine.url))
        if found is None:
            raise StoreError(f"database {where} is empty; run `serviceframe db upgrade` first")
        raise StoreError(
            f"database {where} is at schema {found}, this serviceframe needs "
            f"{SCHEMA_REVISION}; run `serviceframe db upgrade`"
        )


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def store_error(exc: SQLAlchemyError, url: str) -> StoreError:
    """A ``StoreError`` naming the database and the first line of the driver's complaint."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return StoreError(f"database {safe_url(url)}: {detail}")
