"""Statements compiled once per database and run on the driver's own cursor.

Filing an issue runs a few small statements; through ``Connection.execute`` each one costs more
in building, cache look-up and result handling than the database spends running it. The hot
paths (intake, the event log) therefore compile their Core statement once per dialect and
then only convert the values with the columns' own bind and result processors (exactly the
conversions SQLAlchemy applies) before handing them to the driver. Driver errors come out as
SQLAlchemy's exceptions, as from ``Connection.execute``.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

Processor = Callable[[Any], Any] | None

_compiled: "WeakKeyDictionary[Dialect, dict[str, Prepared]]" = WeakKeyDictionary()


class Prepared:
    """One statement compiled for one dialect: its SQL, its parameters and their conversions."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.sql = str(compiled)
        self.dialect = dialect
        names = compiled.positiontup if dialect.positional else compiled.bind_names.values()
        assert names is not None
        self.names: tuple[str, ...] = tuple(names)
        # Values written into the statement itself (a constant in a WHERE, a LIMIT).
        self.defaults: dict[str, Any] = dict(compiled.params)
        processors = [
            _converter(compiled.binds[n].type.dialect_impl(dialect), dialect) for n in self.names
        ]
        self.processed = [(i, p) for i, p in enumerate(processors) if p is not None]
        returned = getattr(statement, "exported_columns", ())  # selected or RETURNING columns
        self.results: tuple[Processor, ...] = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in returned
        )

    def parameters(self, values: Mapping[str, Any]) -> Any:
        """The driver's parameters (a tuple or a dict, as its paramstyle wants)."""
        defaults = self.defaults
        converted = [values[n] if n in values else defaults[n] for n in self.names]
        for i, process in self.processed:
            converted[i] = process(converted[i])
        if self.dialect.positional:
            return tuple(converted)
        return dict(zip(self.names, converted, strict=True))

    def rows(self, raw: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
        if not any(self.results):
            return [tuple(r) for r in raw]
        return [
            tuple(v if p is None else p(v) for v, p in zip(r, self.results, strict=True))
            for r in raw
        ]

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run once; the rows it returns (none for a write without RETURNING)."""
        params = self.parameters(values)
        with driver_cursor(conn, self.sql, params) as cursor:
            cursor.execute(self.sql, params)
            return self.rows(cursor.fetchall()) if cursor.description else []

    def executemany(self, conn: Connection, values: Iterable[Mapping[str, Any]]) -> None:
        params = [self.parameters(v) for v in values]
        if params:
            with driver_cursor(conn, self.sql, params) as cursor:
                if len(params) == 1:  # the drivers' executemany costs more for one row
                    cursor.execute(self.sql, params[0])
                else:
                    cursor.executemany(self.sql, params)


def _converter(type_: Any, dialect: Dialect) -> Processor:
    """The bind processor of ``type_``; for a time, one that remembers the last time it
    converted: the rows of a bulk insert bind the same moment again and again (the chunk's
    "now", in every issue and event row), and converting it costs more than the look-up.
    A datetime is immutable, so the same object always converts to the same value."""
    process = type_.bind_processor(dialect)
    if process is None or not isinstance(getattr(type_, "impl_instance", type_), DateTime):
        return process
    last: tuple[Any, Any] = (None, process(None))

    def convert(value: Any) -> Any:
        nonlocal last
        seen, result = last
        if value is not seen:
            result = process(value)
            last = (value, result)  # one assignment: threads sharing the statement see a pair
        return result

    return convert


def run_together(
    conn: Connection, runs: Sequence[tuple[Prepared, Mapping[str, Any]]]
) -> list[list[tuple[Any, ...]]]:
    """Run statements one after the other; the rows of each. On PostgreSQL they go to the
    server together, in one round trip (psycopg's pipeline mode), not one round trip each."""
    if conn.dialect.name != "postgresql" or len(runs) <= 1:
        return [stmt.execute(conn, values) for stmt, values in runs]
    driver = conn.connection.driver_connection
    assert driver is not None
    params = [stmt.parameters(values) for stmt, values in runs]
    with driver_cursor(conn, runs[0][0].sql, params[0]):  # for its errors
        cursors = [driver.cursor() for _ in runs]
        with driver.pipeline():
            for cursor, (stmt, _), p in zip(cursors, runs, params, strict=True):
                cursor.execute(stmt.sql, p)
        return [
            stmt.rows(cursor.fetchall()) for cursor, (stmt, _) in zip(cursors, runs, strict=True)
        ]


def prepared(conn: Connection, name: str, build: Callable[[], ClauseElement]) -> Prepared:
    """The statement ``name`` compiled for ``conn``'s dialect, built on first use."""
    cache = _compiled.setdefault(conn.dialect, {})
    found = cache.get(name)
    if found is None:
        found = cache[name] = Prepared(build(), conn.dialect)
    return found


@contextmanager
def driver_cursor(conn: Connection, sql: str, params: Any) -> Iterator[Any]:
    """A cursor of ``conn``'s driver connection (in its transaction); the driver's errors
    are raised as the SQLAlchemy exceptions ``Connection.execute`` would raise."""
    dbapi = conn.dialect.loaded_dbapi
    cursor = conn.connection.cursor()
    try:
        yield cursor
    except dbapi.Error as exc:
        raise DBAPIError.instance(sql, params, exc, dbapi.Error, dialect=conn.dialect) from exc
    finally:
        cursor.close()
