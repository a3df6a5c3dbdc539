"""Inbound messages: each (channel, message id) once, with what became of it.

A message is written ``received`` before it is handled and given its outcome after: a message
fetched again is recognised by its id (the same message twice is one issue or one reply), and
one whose handling was cut short is handled again. A message that could not be handled stays
in the quarantine with its raw bytes until a person retries or dismisses it.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from serviceframe.store import tables as t
from serviceframe.store.sql import chunks


class InboundRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def begin(
        self, channel: str, messages: Sequence[Mapping[str, Any]], now: datetime
    ) -> dict[str, dict[str, Any]]:
        """Write the messages not seen before as ``received``; return the row of every
        message by its id (new or seen before, with its status)."""
        if self.conn.dialect.name == "postgresql":  # imported here: SQLite users never load it
            from sqlalchemy.dialects import postgresql as dialect
        else:
            from sqlalchemy.dialects import sqlite as dialect  # type: ignore[no-redef]
        rows = [
            {
                "channel": channel,
                "message_id": m["message_id"],
                "received_at": m["received_at"],
                "sender": "",
                "status": "received",
                "payload": m["payload"],
                "meta": dict(m["meta"]),
                "attachments": [],
                "updated_at": now,
            }
            for m in messages
        ]
        stmt = dialect.insert(t.inbound_messages).on_conflict_do_nothing(
            index_elements=["channel", "message_id"]
        )
        for batch in chunks(rows, 1000):
            self.conn.execute(stmt, batch)
        found: dict[str, dict[str, Any]] = {}
        c = t.inbound_messages.c
        for batch in chunks(sorted({m["message_id"] for m in messages}), 1000):
            q = select(t.inbound_messages).where(c.channel == channel, c.message_id.in_(batch))
            found |= {r.message_id: dict(r._mapping) for r in self.conn.execute(q)}
        return found

    def finish(self, outcomes: Sequence[Mapping[str, Any]], now: datetime) -> None:
        """Give each message its outcome (set-based). The raw payload is kept only for the
        quarantine: a handled message is recorded as the issue or the event it became."""
        if not outcomes:
            return
        c = t.inbound_messages.c
        stmt = (
            update(t.inbound_messages)
            .where(c.id == bindparam("b_id"))
            .values(
                status=bindparam("b_status"),
                reason=bindparam("b_reason"),
                issue_id=bindparam("b_issue"),
                sender=bindparam("b_sender"),
                attachments=bindparam("b_attachments"),
                payload=bindparam("b_payload"),
                updated_at=now,
            )
        )
        self.conn.execute(
            stmt,
            [
                {
                    "b_id": o["id"],
                    "b_status": o["status"],
                    "b_reason": o.get("reason", ""),
                    "b_issue": o.get("issue_id"),
                    "b_sender": (o.get("sender") or "")[:300],
                    "b_attachments": list(o.get("attachments", ())),
                    "b_payload": o["payload"] if o["status"] == "quarantined" else None,
                }
                for o in outcomes
            ],
        )

    def get(self, message_id: int) -> dict[str, Any] | None:
        r = self.conn.execute(
            select(t.inbound_messages).where(t.inbound_messages.c.id == message_id)
        ).first()
        return None if r is None else dict(r._mapping)

    def find(
        self, status: str | None = None, channel: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        c = t.inbound_messages.c
        q = select(t.inbound_messages).order_by(c.id.desc())
        if status:
            q = q.where(c.status == status)
        if channel:
            q = q.where(c.channel == channel)
        if limit:
            q = q.limit(limit)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def dismiss(self, message_id: int, reason: str, now: datetime) -> None:
        c = t.inbound_messages.c
        self.conn.execute(
            update(t.inbound_messages)
            .where(c.id == message_id)
            .values(status="dismissed", reason=reason, updated_at=now)
        )
