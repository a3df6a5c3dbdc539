"""The tamper-evident history: every event is chained by a hash to the one before it.

Each *subject* (``issue:42``, ``enterprise:9141…``, ``organisation``) has a chain of its own:
its events are numbered ``seq`` 1, 2, 3… and each event's ``hash`` is SHA-256 over the hash of
the event before it (64 zeros for the first) and the event's own content (its number, subject,
kind, actor, time and data, the data exactly as the JSON text stored). Changing, removing,
inserting or reordering an event breaks the chain at that event, or at the next one when the
forger recomputed the changed event's own hash. ``docs/audit.md`` says what this detects and
what it cannot (a chain rewritten from its start: hence the anchors kept elsewhere).

Per-subject chains keep intake fast and concurrent: filing an issue opens a new chain, with
nothing to look up; appending to an existing chain reads its head once per unit of work, after
locking that chain alone (an advisory lock per subject on PostgreSQL; on SQLite the database's
single write lock). A unique index on (subject, seq) is the last guard: two writers can never
both store a successor of the same event.

This module is the one place where hashes are made; ``EventRepository.append`` is the one place
that stores events; the migration that built the chains of older databases uses it too.
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    String,
    Text,
    and_,
    bindparam,
    cast,
    func,
    insert,
    select,
    text,
)

from serviceframe.serialise import dumps_column
from serviceframe.store.prepared import prepared

_quoted = json.encoder.encode_basestring  # a JSON string literal, non-ASCII kept (C-accelerated)

GENESIS = "0" * 64  # what the first event of a chain is chained to

# Kinds whose event is the first of its subject's history, written in the unit of work that
# created the subject: nothing to look up (intake files issues without a round trip more).
OPENING_KINDS = frozenset({"filed"})

LOCK_CLASS = 0x5F5E  # namespace of the chains' advisory locks on PostgreSQL
# Subjects share this many advisory locks: a unit of work appending to every chain of a large
# sweep (50,000 issues) must not need a lock each, which would overflow PostgreSQL's lock
# table ("out of shared memory"); two chains sharing a lock only wait for each other.
LOCK_BUCKETS = 1024


def event_hash(
    previous: str,
    seq: int,
    subject: str,
    kind: str,
    actor: str,
    at: datetime,
    data_json: str,
) -> str:
    """The hash of an event whose predecessor's hash is ``previous``; ``data_json`` is the
    data column's text exactly as stored. The fields before it are a JSON array, which ends
    unambiguously, so the data follows as it is, unescaped (half the cost of a bulk intake's
    hashing)."""
    return _hash(previous, seq, subject, kind, actor, _quoted(_utc_text(at)), data_json)


def _utc_text(at: datetime) -> str:
    """An event's time as its hash reads it."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _hash(
    previous: str, seq: int, subject: str, kind: str, actor: str, at_quoted: str, data_json: str
) -> str:
    # json.dumps([seq, subject, kind, actor, at_text], ensure_ascii=False, separators=(",",
    # ":")), written out: four times cheaper, and the same text.
    fields = f"[{int(seq)},{_quoted(subject)},{_quoted(kind)},{_quoted(actor)},{at_quoted}]"
    return hashlib.sha256(f"{previous}\n{fields}\n{data_json}".encode()).hexdigest()


# The chain heads a unit of work keeps. An import of a million rows opens a million chains
# in one transaction: past this many the heads are forgotten (memory stays flat), and a head
# needed again is read back from the store, which holds every row linked before.
KEPT_HEADS = 20_000


class Chains:
    """Links the event rows of one unit of work to their chains (``seq`` and ``hash``).

    Heads are read at most once per subject per unit of work (up to ``KEPT_HEADS`` of them);
    the rows of one call may carry several events of one subject, each linked to the one
    before it. The caller stores the rows of one call before the next.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.heads: dict[str, tuple[int, str]] = {}  # subject -> (seq, hash) of its last event

    def link(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows with their ``seq``, ``hash`` and ``data_json``: the data as the JSON text
        the column will hold, dumped once for both (a row may bring it made already)."""
        if len(self.heads) > KEPT_HEADS:
            self.heads.clear()
        opening = {
            r["subject"]
            for r in rows
            if r["kind"] in OPENING_KINDS and r["subject"] not in self.heads
        }
        unknown = {r["subject"] for r in rows} - opening - self.heads.keys()
        if unknown:
            self.heads.update(self._read_heads(sorted(unknown)))
        heads = self.heads
        times: dict[datetime, str] = {}  # a sweep's thousands of events share one time
        linked = []
        for row in rows:
            subject, at = row["subject"], row["at"]
            seq, previous = heads.get(subject, (0, GENESIS))
            data_json = row.get("data_json") or dumps_column(row["data"])
            if at not in times:
                times[at] = _quoted(_utc_text(at))
            digest = _hash(
                previous, seq + 1, subject, row["kind"], row["actor"], times[at], data_json
            )
            heads[subject] = (seq + 1, digest)
            linked.append({**row, "seq": seq + 1, "hash": digest, "data_json": data_json})
        return linked

    def _read_heads(self, subjects: list[str]) -> dict[str, tuple[int, str]]:
        """The last (seq, hash) of each subject's chain, read once no other unit of work can
        append to these chains until this one ends."""
        from serviceframe.store import tables as t
        from serviceframe.store.sql import json_values

        if self.conn.dialect.name == "postgresql":
            keys = sorted({_lock_key(s) for s in subjects})  # one order: no deadlock between us
            self.conn.execute(
                text(
                    "SELECT pg_advisory_xact_lock(:cls, k) FROM unnest(CAST(:keys AS integer[])) AS k"
                ),
                {"cls": LOCK_CLASS, "keys": keys},
            )
        else:
            take_sqlite_write_lock(self.conn)
        e = t.events.c
        last = (
            select(e.subject, func.max(e.seq).label("seq"))
            .where(e.subject.in_(json_values(self.conn, "subjects", String())))
            .group_by(e.subject)
            .subquery()
        )
        q = select(e.subject, e.seq, e.hash).join(
            last, and_(e.subject == last.c.subject, e.seq == last.c.seq)
        )
        rows = self.conn.execute(q, {"subjects": dumps_column(subjects)})
        return {subject: (seq, digest) for subject, seq, digest in rows}


# From this many rows on, PostgreSQL gets the events as one JSON parameter (insert_events).
MANY_EVENTS = 50

EVENT_COLUMNS = ("at", "actor", "kind", "subject", "data", "seq", "hash")


def insert_events(conn: Connection, linked: Sequence[dict[str, Any]]) -> None:
    """Store rows :meth:`Chains.link` linked, their data as the JSON text that was hashed.

    A prepared ``executemany``; on PostgreSQL from ``MANY_EVENTS`` rows on (a sweep's
    thousands), one ``INSERT … SELECT`` over a JSON array of them instead: there an
    ``executemany`` costs the client ~10 µs of CPU a row, the array a fraction of that.
    (On SQLite the ``executemany`` is the cheaper of the two.)"""
    if conn.dialect.name == "postgresql" and len(linked) >= MANY_EVENTS:
        rows = [[r["at"].isoformat(), *(r[c] for c in _JSON_ROW)] for r in linked]
        conn.execute(_APPEND_MANY_EVENTS, {"rows": dumps_column(rows)})
        return
    prepared(conn, "append_events", lambda: _append_events(conn)).executemany(conn, linked)


def _append_events(conn: Connection) -> Any:
    from serviceframe.store import tables as t

    e = t.events.c
    values: dict[str, Any] = {c: bindparam(c, type_=e[c].type) for c in EVENT_COLUMNS}
    # The JSON text as it is: PostgreSQL's json type keeps the text given; SQLite stores it.
    data = bindparam("data_json", type_=Text)
    values["data"] = cast(data, JSON) if conn.dialect.name == "postgresql" else data
    return insert(t.events).values(values).inline()


# The rows of the JSON array :rows, each [at, actor, kind, subject, data text, seq, hash].
_JSON_ROW = ("actor", "kind", "subject", "data_json", "seq", "hash")
_APPEND_MANY_EVENTS = text(
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)})"
    " SELECT CAST(value ->> 0 AS timestamptz), value ->> 1, value ->> 2, value ->> 3,"
    " CAST(value ->> 4 AS json), CAST(value ->> 5 AS integer), value ->> 6"
    " FROM json_array_elements(CAST(:rows AS json)) WITH ORDINALITY AS r(value, n) ORDER BY n"
)


def _lock_key(subject: str) -> int:
    """The lock of a subject's chain, one of ``LOCK_BUCKETS``, the same in every process
    (Python's hash() is not)."""
    return int.from_bytes(hashlib.sha256(subject.encode()).digest()[:4], "big") % LOCK_BUCKETS


def take_sqlite_write_lock(conn: Connection) -> None:
    """SQLite has one writer at a time, but Python's sqlite3 starts the transaction only at
    the first write: a head read before it could be stale by the time we write. Starting the
    transaction as IMMEDIATE takes the write lock first, waiting for any other writer."""
    raw = conn.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def walk(conn: Connection, yield_per: int = 5000) -> Iterable[Any]:
    """Every event in chain order (subject, seq), with its data as the stored text."""
    from sqlalchemy import Text, cast

    from serviceframe.store import tables as t

    e = t.events.c
    q = select(
        e.id, e.subject, e.seq, e.kind, e.actor, e.at, cast(e.data, Text).label("data"), e.hash
    ).order_by(e.subject, e.seq, e.id)
    return conn.execution_options(stream_results=True, yield_per=yield_per).execute(q)


def anchor_digest(previous: str, at: datetime, heads: Iterable[tuple[str, int, str]]) -> str:
    """The digest of an anchor: the anchor before it, when it was taken, and the heads it
    certifies (subject, seq, hash), in subject order."""
    digest = hashlib.sha256(
        f"{previous}\n{at.astimezone(UTC).isoformat(timespec='microseconds')}\n".encode()
    )
    for subject, seq, head in sorted(heads):
        digest.update(f"{subject}\x1f{seq}\x1f{head}\n".encode())
    return digest.hexdigest()
