"""The policy search index: how each database finds a piece of Chinese text fast.

Chinese has no spaces between words, so search looks for the query's terms as substrings of
the folded title and text (``policies.search_title``, ``policies.search_body``). An index of
character *trigrams* turns that into an index lookup for any term of three or more
characters:

- SQLite: an FTS5 table with the ``trigram`` tokenizer (SQLite 3.34+) over those two columns,
  as an external-content table kept in step by triggers on ``policies``, so no write can
  forget it;
- PostgreSQL: GIN indexes with ``gin_trgm_ops`` of the ``pg_trgm`` extension on the two
  columns, used by ``LIKE '%term%'``.

A term of one or two characters (融资, 用电) has no trigram: it is matched by scanning the
folded text (``instr`` / ``strpos``), on the rows the longer terms of the same query left, or on
the whole catalogue. When the index cannot be made (an SQLite built without FTS5, a PostgreSQL
role that may not create the extension) search still works, by scanning, and says so
(:func:`kind` is ``None``); ``serviceframe policy reindex`` makes the index once it can.

Migration 0007 builds the index with :func:`create`. The names all start with
``policy_search`` (``store.tables.outside_metadata``). Changing the DDL here needs a new
migration that drops and recreates the index.
"""

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

SQLITE_FTS = "fts5-trigram"
PG_TRGM = "pg_trgm"
MIN_INDEXED = 3  # a trigram index finds terms of at least this many characters

_SQLITE_DDL = (
    "CREATE VIRTUAL TABLE policy_search USING fts5("
    "search_title, search_body, content='policies', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER policy_search_insert AFTER INSERT ON policies BEGIN "
    "INSERT INTO policy_search (rowid, search_title, search_body) "
    "VALUES (new.id, new.search_title, new.search_body); END",
    "CREATE TRIGGER policy_search_delete AFTER DELETE ON policies BEGIN "
    "INSERT INTO policy_search (policy_search, rowid, search_title, search_body) "
    "VALUES ('delete', old.id, old.search_title, old.search_body); END",
    "CREATE TRIGGER policy_search_update AFTER UPDATE OF search_title, search_body ON policies "
    "BEGIN INSERT INTO policy_search (policy_search, rowid, search_title, search_body) "
    "VALUES ('delete', old.id, old.search_title, old.search_body); "
    "INSERT INTO policy_search (rowid, search_title, search_body) "
    "VALUES (new.id, new.search_title, new.search_body); END",
    "INSERT INTO policy_search (policy_search) VALUES ('rebuild')",
)
# {ops} is pg_trgm's operator class qualified by the schema the extension lives in: an
# extension exists once per database, and a schema whose search path does not reach it (the
# reference schema of `db check`) must still find it.
_PG_DDL = (
    "CREATE INDEX IF NOT EXISTS policy_search_title ON policies USING gin (search_title {ops})",
    "CREATE INDEX IF NOT EXISTS policy_search_body ON policies USING gin (search_body {ops})",
)


def kind(conn: Connection) -> str | None:
    """Which index this database has for policy search, or ``None`` (search scans)."""
    if conn.dialect.name == "postgresql":
        found = conn.scalar(
            text(
                "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() "
                "AND indexname IN ('policy_search_title', 'policy_search_body')"
            )
        )
        return PG_TRGM if found == 2 else None
    found = conn.scalar(
        text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'policy_search'")
    )
    return SQLITE_FTS if found else None


def create(conn: Connection) -> str | None:
    """Make the index if this database can; returns :func:`kind` afterwards.

    Each attempt runs in a savepoint: a database that refuses (no FTS5 or no trigram
    tokenizer in this SQLite, no pg_trgm or no right to create it) leaves the surrounding
    transaction, a migration's, intact.
    """
    if kind(conn) is not None:
        return kind(conn)
    statements = _PG_DDL if conn.dialect.name == "postgresql" else _SQLITE_DDL
    try:
        with conn.begin_nested():
            ops = ""
            if conn.dialect.name == "postgresql":
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
                home = conn.scalar(
                    text(
                        "SELECT n.nspname FROM pg_extension e "
                        "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
                    )
                )
                ops = f'"{home}".gin_trgm_ops'
            for statement in statements:
                conn.execute(text(statement.format(ops=ops)))
    except DBAPIError:
        return None
    return kind(conn)


def drop(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP INDEX IF EXISTS policy_search_title"))
        conn.execute(text("DROP INDEX IF EXISTS policy_search_body"))
        return
    for trigger in ("insert", "delete", "update"):
        conn.execute(text(f"DROP TRIGGER IF EXISTS policy_search_{trigger}"))
    conn.execute(text("DROP TABLE IF EXISTS policy_search"))


def rebuild(conn: Connection) -> str | None:
    """Make the index if missing; on SQLite also rebuild its content from ``policies``."""
    if conn.dialect.name == "sqlite" and kind(conn) is not None:
        conn.execute(text("INSERT INTO policy_search (policy_search) VALUES ('rebuild')"))
        return SQLITE_FTS
    return create(conn)
