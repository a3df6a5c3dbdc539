"""Small SQL helpers shared by the repositories."""

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    CursorResult,
    Select,
    String,
    Table,
    bindparam,
    cast,
    func,
    select,
)
from sqlalchemy.types import TypeEngine


def dicts(result: CursorResult[Any]) -> list[dict[str, Any]]:
    """Every row of ``result`` as a dict: fetched at once, the keys looked up once (a row's
    ``_mapping`` per row costs several times the fetch on a report of thousands of rows)."""
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]


def upsert(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Insert rows, updating the other columns of those whose keys exist already (set-based)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":  # imported here: SQLite users never load it
        from sqlalchemy.dialects import postgresql as dialect
    else:
        from sqlalchemy.dialects import sqlite as dialect  # type: ignore[no-redef]
    stmt = dialect.insert(table)
    others = [c for c in rows[0] if c not in keys]
    if others:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in others}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    for batch in chunks(rows, 2000):
        conn.execute(stmt, list(batch))


def json_values(conn: Connection, name: str, type_: TypeEngine[Any]) -> Select[Any]:
    """``SELECT value`` of each item of the JSON array parameter ``name`` (of ``type_``), for
    ``IN``: thousands of keys in one parameter, with no statement of thousands of
    placeholders to build and parse, and no driver limit to batch for."""
    if conn.dialect.name == "postgresql":
        items = func.json_array_elements_text(cast(bindparam(name, type_=String), JSON))
        return select(cast(items.table_valued("value").c.value, type_))
    return select(func.json_each(bindparam(name, type_=String)).table_valued("value").c.value)


def chunks(items: Sequence[Any] | Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Batches small enough for any driver's bound-parameter limit."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
