"""Schema drift: does a live database have exactly the schema a fresh one gets at this version?

A database can claim the right version and still differ: built by a release whose migration was
later edited, or altered by hand. ``serviceframe db check`` builds a fresh schema at head in a
throwaway place — a temporary SQLite file, or on PostgreSQL a schema of its own inside a
transaction that is rolled back — describes both the same way (tables, columns, keys,
constraints, indexes with their conditions, triggers, functions) and lists every difference.
"""

import re
import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from serviceframe.store.database import make_engine, store_error

Description = dict[str, dict[str, Any]]  # kind of object -> name -> what it is


def drift(engine: Engine) -> list[str]:
    """Every difference between the database and a fresh one at head, as lines for people."""
    try:
        with engine.connect() as conn:
            live = describe(conn)
        fresh = reference(engine)
    except SQLAlchemyError as exc:
        raise store_error(exc, str(engine.url)) from exc
    return compare(live, fresh)


def reference(engine: Engine) -> Description:
    """The description of a fresh database at head, of the same kind as ``engine``'s."""
    from serviceframe.store.migrate import run_migrations, upgrade

    if engine.dialect.name == "postgresql":
        schema = f"sf_reference_{uuid.uuid4().hex[:12]}"
        with engine.connect() as conn:
            try:
                enter_scratch_schema(conn, schema)
                run_migrations(conn, version_schema=schema)
                return _unqualified(describe(conn, schema), schema)
            finally:
                conn.rollback()  # nothing of the reference is ever kept
    with tempfile.TemporaryDirectory(prefix="serviceframe-reference-") as tmp:
        scratch = make_engine(f"sqlite:///{Path(tmp) / 'reference.db'}")
        try:
            upgrade(scratch)
            with scratch.connect() as conn:
                return describe(conn)
        finally:
            scratch.dispose()


def enter_scratch_schema(conn: Connection, schema: str) -> None:
    """Create ``schema`` and put it first on this transaction's search path.

    The rest of the path stays behind it: extensions such as pg_trgm exist once per database
    (in the live schema's path), and the reference's indexes must find their operator classes
    where the live database's do.
    """
    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    conn.execute(
        text("SELECT set_config('search_path', :path, true)"),
        {"path": f'"{schema}", ' + str(conn.scalar(text("SELECT current_setting('search_path')")))},
    )


def describe(conn: Connection, schema: str | None = None) -> Description:
    """What a schema holds, in terms that compare equal when two schemas behave the same."""
    insp = inspect(conn)
    found: Description = {
        "table": {},
        "column": {},
        "primary key": {},
        "foreign key": {},
        "unique constraint": {},
        "check constraint": {},
        "index": {},
    }
    for table in insp.get_table_names(schema=schema):
        found["table"][table] = "exists"
        for c in insp.get_columns(table, schema=schema):
            default = _squash(c.get("default"))
            found["column"][f"{table}.{c['name']}"] = (
                f"{c['type']} {'NULL' if c['nullable'] else 'NOT NULL'}"
                + (f" DEFAULT {default}" if default else "")
            )
        pk = insp.get_pk_constraint(table, schema=schema)
        found["primary key"][table] = f"({', '.join(pk['constrained_columns'])})"
        for fk in insp.get_foreign_keys(table, schema=schema):
            found["foreign key"][f"{table}.{fk['name'] or ','.join(fk['constrained_columns'])}"] = (
                f"({', '.join(fk['constrained_columns'])}) -> "
                f"{fk['referred_table']} ({', '.join(fk['referred_columns'])})"
            )
        for uq in insp.get_unique_constraints(table, schema=schema):
            found["unique constraint"][f"{table}.{uq['name']}"] = (
                f"({', '.join(uq['column_names'])})"
            )
        for ck in insp.get_check_constraints(table, schema=schema):
            found["check constraint"][f"{table}.{ck['name']}"] = _squash(ck["sqltext"])
        for ix in insp.get_indexes(table, schema=schema):
            if ix.get("duplicates_constraint"):
                continue  # PostgreSQL's own index of a unique constraint, listed above
            options = ix.get("dialect_options", {})
            where = options.get("postgresql_where") or options.get("sqlite_where")
            found["index"][f"{table}.{ix['name']}"] = (
                f"{'UNIQUE ' if ix['unique'] else ''}({', '.join(map(str, ix['column_names']))})"
                + (f" WHERE {_squash(where)}" if where is not None else "")
            )
    found |= _routines(conn, schema)
    return found


def _routines(conn: Connection, schema: str | None) -> Description:
    """Triggers (and on PostgreSQL the functions they call), which the inspector does not see."""
    if conn.dialect.name == "postgresql":
        where = schema or str(conn.execute(text("SELECT current_schema()")).scalar())
        triggers = conn.execute(
            text(
                "SELECT c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid) "
                "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE NOT t.tgisinternal AND n.nspname = :schema"
            ),
            {"schema": where},
        )
        functions = conn.execute(
            text(
                "SELECT p.proname, pg_get_function_identity_arguments(p.oid) || ' ' || "
                "md5(p.prosrc) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = :schema AND NOT EXISTS ("
                # an extension's own functions (pg_trgm's) belong to it, not to our schema
                "SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass "
                "AND d.objid = p.oid AND d.deptype = 'e')"
            ),
            {"schema": where},
        )
        return {
            "trigger": {name: _squash(d).replace(f"{where}.", "") for name, d in triggers},
            "function": {name: what for name, what in functions},
        }
    triggers = conn.execute(
        text("SELECT tbl_name || '.' || name, sql FROM sqlite_master WHERE type = 'trigger'")
    )
    return {"trigger": {name: _squash(sql) for name, sql in triggers}}


def _squash(value: Any) -> str:
    """SQL text with its layout ironed out: one space between tokens, no quotes on names."""
    if value is None:
        return ""
    sql = str(getattr(value, "text", value))
    sql = re.sub(r'"(\w+)"', r"\1", sql)
    return re.sub(r"\s+", " ", sql).strip()


def _unqualified(found: Description, schema: str) -> Description:
    return {
        kind: {name: str(what).replace(f"{schema}.", "") for name, what in items.items()}
        for kind, items in found.items()
    }


def compare(live: Description, fresh: Description) -> list[str]:
    """Lines naming each object that is missing, extra or different in ``live``."""
    lines: list[str] = []
    for kind in fresh.keys() | live.keys():
        have, want = live.get(kind, {}), fresh.get(kind, {})
        tables_missing = set(fresh["table"]) - set(live["table"])
        tables_extra = set(live["table"]) - set(fresh["table"])
        for name in sorted(want.keys() - have.keys()):
            if kind == "table":
                lines.append(f"table {name}: missing")
            elif name.split(".")[0] not in tables_missing:  # else said once, for the table
                lines.append(f"{kind} {name}: missing (a fresh database has {want[name]})")
        for name in sorted(have.keys() - want.keys()):
            if kind == "table":
                lines.append(f"table {name}: not in a fresh database")
            elif name.split(".")[0] not in tables_extra:
                lines.append(f"{kind} {name}: not in a fresh database ({have[name]})")
        for name in sorted(have.keys() & want.keys()):
            if have[name] != want[name]:
                lines.append(
                    f"{kind} {name}: the database has {have[name]}, a fresh one {want[name]}"
                )
    return sorted(lines, key=_order)


def _order(line: str) -> tuple[int, str]:
    kinds: Iterable[str] = ("table", "column", "primary key", "foreign key", "unique", "check")
    for i, kind in enumerate(kinds):
        if line.startswith(kind):
            return i, line
    return len(tuple(kinds)), line
