"""Fresh, migrated databases for tests, cheap enough to have one per test.

A template is built once per test session (migrated, optionally filled with data) and each
test gets a copy: a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL.
"""

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from serviceframe.store.database import resolve_url

Builder = Callable[[str], None]  # fills a freshly created database given its URL


class SQLiteDatabases:
    name = "sqlite"

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="serviceframe-test-"))

    def template(self, build: Builder) -> str:
        path = self.root / f"template-{uuid.uuid4().hex}.db"
        build(f"sqlite:///{path}")
        return str(path)

    def clone(self, template: str) -> str:
        path = self.root / f"db-{uuid.uuid4().hex}.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        path = make_url(url).database or ""
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class PostgreSQLDatabases:
    name = "postgresql"

    def __init__(self, admin_url: str) -> None:
        self.admin_url = resolve_url(admin_url)
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        self.templates: list[str] = []

    def _url(self, database: str) -> str:
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    def template(self, build: Builder) -> str:
        name = f"sft_{uuid.uuid4().hex}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.templates.append(name)
        build(self._url(name))
        return name

    def clone(self, template: str) -> str:
        name = f"sfc_{uuid.uuid4().hex}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        return self._url(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        for name in self.templates:
            self.drop(self._url(name))
        self.admin.dispose()


def test_databases() -> SQLiteDatabases | PostgreSQLDatabases:
    """PostgreSQL when ``SERVICEFRAME_TEST_DB`` names one, else SQLite files in a temp folder."""
    url = os.environ.get("SERVICEFRAME_TEST_DB", "")
    if url.startswith("postgres"):
        return PostgreSQLDatabases(url)
    return SQLiteDatabases()


def empty(url: str) -> None:
    """Builder: a database with nothing in it, not even the schema (for migration tests)."""
    from serviceframe.store.database import make_engine

    engine = make_engine(url)
    try:
        with engine.connect():
            pass  # creates the SQLite file; a PostgreSQL database exists already
    finally:
        engine.dispose()


def migrated(url: str) -> None:
    """Builder: the schema at head and nothing else."""
    from serviceframe.store.database import make_engine
    from serviceframe.store.migrate import upgrade

    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
