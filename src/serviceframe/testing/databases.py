"""Fresh, migrated databases for tests, cheap enough to have one per test.

A template is built once per test session (migrated, optionally filled with data) and each
test gets a copy: a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL.
"""

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

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


# Everything a test could change about a database's shape; a recycled database must match.
_SHAPE = """
SELECT 'column', table_schema, table_name, column_name,
       data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
  FROM information_schema.columns
 WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
UNION ALL
SELECT 'index', schemaname, tablename, indexname, indexdef
  FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
UNION ALL
SELECT 'constraint', n.nspname, c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
  FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
UNION ALL
SELECT 'function', n.nspname, p.proname, '', pg_get_function_identity_arguments(p.oid)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
UNION ALL
SELECT 'trigger', '', t.tgrelid::regclass::text, t.tgname, ''
  FROM pg_trigger t WHERE NOT t.tgisinternal
UNION ALL
SELECT 'relation', n.nspname, c.relname, c.relkind::text, ''
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
   AND c.relkind IN ('r', 'v', 'm', 'S', 'p', 'f')
 ORDER BY 1, 2, 3, 4, 5
"""

# Tables in an order that satisfies their foreign keys (parents first).
_TABLES = """
SELECT c.relname,
       coalesce(array_agg(DISTINCT f.relname) FILTER (WHERE f.relname IS NOT NULL
                                                      AND f.relname <> c.relname), '{}')
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
  LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f'
  LEFT JOIN pg_class f ON f.oid = k.confrelid
 WHERE c.relkind IN ('r', 'p')
 GROUP BY c.relname
"""

_SEQUENCES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind = 'S'
"""

SNAPSHOT = "sf_test_snapshot"


class _Template:
    """How to put a copy of one template back the way the template was."""

    def __init__(
        self,
        shape: list[tuple[str, ...]],
        tables: list[str],
        sequences: dict[str, tuple[int, bool]],
    ) -> None:
        self.shape = shape
        self.tables = tables
        self.sequences = sequences


class PostgreSQLDatabases:
    """One database per test, copied from a template.

    ``CREATE DATABASE … TEMPLATE`` costs the server about a second, so a database is made
    that way only when no used one can be recycled. After a test its database is put back
    the way the template was (tables truncated and refilled from a snapshot the template
    carries in schema ``sf_test_snapshot``, sequences reset) and handed to the next test;
    a database whose shape the test changed (a migration, a new table, an index) is dropped
    instead. Recycling and dropping happen in the background, off the tests' path.
    """

    name = "postgresql"

    def __init__(self, admin_url: str) -> None:
        self.admin_url = resolve_url(admin_url)
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        self.templates: list[str] = []
        self._plans: dict[str, _Template] = {}
        self._template_of: dict[str, str] = {}
        # Recycling is quick and a test may be waiting for it: it never queues behind the
        # slow work (CREATE and DROP DATABASE), which has a thread of its own.
        self._recycler = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sf-test-recycle")
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sf-test-db")
        self._ready: dict[str, list[Future[str | None]]] = {}
        self._spares: dict[str, Future[str]] = {}
        self._pending: list[Future[object]] = []

    def _url(self, database: str) -> str:
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def template(self, build: Builder) -> str:
        name = f"sft_{uuid.uuid4().hex}"
        self._execute(f'CREATE DATABASE "{name}"')
        self.templates.append(name)
        build(self._url(name))
        self._plans[name] = self._snapshot(name)
        return name

    def _snapshot(self, name: str) -> _Template:
        """Copy the template's rows into its own snapshot schema, which every clone inherits."""
        engine = create_engine(self._url(name))
        try:
            with engine.begin() as conn:
                parents = {t: set(p) for t, p in conn.execute(text(_TABLES))}
                tables = _parents_first(parents)
                sequences: dict[str, tuple[int, bool]] = {}
                for (seq,) in conn.execute(text(_SEQUENCES)):
                    last, called = conn.execute(
                        text(f'SELECT last_value, is_called FROM public."{seq}"')
                    ).one()
                    sequences[seq] = (int(last), bool(called))
                conn.execute(text(f'CREATE SCHEMA "{SNAPSHOT}"'))
                for table in tables:
                    conn.execute(
                        text(f'CREATE TABLE "{SNAPSHOT}"."{table}" AS TABLE public."{table}"')
                    )
                shape = [tuple(r) for r in conn.execute(text(_SHAPE))]
        finally:
            engine.dispose()
        return _Template(shape, tables, sequences)

    def _create(self, template: str) -> str:
        name = f"sfc_{uuid.uuid4().hex}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self._template_of[name] = template
        return name

    def clone(self, template: str) -> str:
        ready = self._ready.setdefault(template, [])
        while True:
            # A database already put back is best; else a new copy (made in the background
            # while the previous test ran) or whichever recycling finishes first.
            done = [f for f in ready if f.done()]
            if done:
                ready.remove(done[0])
                if (name := done[0].result()) is not None:
                    return self._url(name)
                continue
            spare = self._spares.get(template)
            if spare is None:
                spare = self._spares[template] = self._background.submit(self._create, template)
            waiting: list[Future[Any]] = [*ready, spare]
            wait(waiting, return_when=FIRST_COMPLETED)
            if spare.done():
                # The next test's copy starts now, in case recycling cannot keep up.
                self._spares[template] = self._background.submit(self._create, template)
                return self._url(spare.result())

    def drop(self, url: str) -> None:
        """Done with a clone: recycle it for the next test of its template, or drop it."""
        name = make_url(url).database or ""
        template = self._template_of.get(name)
        if template is None:
            self._pending.append(self._background.submit(self._drop_now, name))
            return
        self._ready.setdefault(template, []).append(
            self._recycler.submit(self._recycle, name, template)
        )

    def _recycle(self, name: str, template: str) -> str | None:
        plan = self._plans[template]
        try:
            self._disconnect_others(name)
            engine = create_engine(self._url(name))
            try:
                with engine.begin() as conn:
                    shape = [tuple(r) for r in conn.execute(text(_SHAPE))]
                    if shape != plan.shape and not plan.tables:
                        # An empty template (migration tests): empty the copy again.
                        conn.execute(text("DROP SCHEMA public CASCADE"))
                        conn.execute(text("CREATE SCHEMA public"))
                        shape = [tuple(r) for r in conn.execute(text(_SHAPE))]
                    if shape != plan.shape:
                        raise _Reshaped()
                    if plan.tables:
                        tables = ", ".join(f'public."{t}"' for t in plan.tables)
                        conn.execute(text(f"TRUNCATE {tables}"))
                    for table in plan.tables:
                        conn.execute(
                            text(
                                f'INSERT INTO public."{table}" OVERRIDING SYSTEM VALUE '
                                f'SELECT * FROM "{SNAPSHOT}"."{table}"'
                            )
                        )
                    for seq, (last, called) in plan.sequences.items():
                        conn.execute(
                            text("SELECT setval(CAST(:seq AS regclass), :last, :called)"),
                            {"seq": f'public."{seq}"', "last": last, "called": called},
                        )
            finally:
                engine.dispose()
        except Exception:  # reshaped, or anything odd: a fresh copy is cheaper than doubt
            self._template_of.pop(name, None)
            self._pending.append(self._background.submit(self._drop_now, name))
            return None
        return name

    def _disconnect_others(self, name: str) -> None:
        # Connections a test left open (an app it never closed) would block the TRUNCATE.
        with self.admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )

    def _drop_now(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        leftovers: list[str] = []
        for futures in self._ready.values():
            leftovers += [n for f in futures if (n := f.result()) is not None]
        self._recycler.shutdown(wait=True)
        leftovers += [f.result() for f in self._spares.values()]
        self._ready.clear()
        self._spares.clear()
        self._background.shutdown(wait=True)  # the drops still queued
        for name in [*leftovers, *self.templates]:
            self._drop_now(name)
        self.admin.dispose()


class _Reshaped(Exception):
    """The test changed the database's shape: it cannot be recycled."""


def _parents_first(parents: dict[str, set[str]]) -> list[str]:
    ordered: list[str] = []
    done: set[str] = set()

    def visit(table: str, path: frozenset[str]) -> None:
        if table in done or table in path:
            return
        for parent in sorted(parents.get(table, ())):
            visit(parent, path | {table})
        done.add(table)
        ordered.append(table)

    for table in sorted(parents):
        visit(table, frozenset())
    return ordered


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
