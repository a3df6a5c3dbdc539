"""The outbox and its attempts: written with the change, claimed by deliverers, never lost.

A deliverer *claims* due rows in one statement (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
several deliverers on several machines never take the same row; SQLite serialises writers),
marking them ``sending`` with a claim token and opening an attempt. After sending it records
the outcome under that token. A row left ``sending`` past its lease belongs to a deliverer that
stopped between sending and recording: the next claim takes it over, with the attempt's
outcome unknown.
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from serviceframe.store import tables as t
from serviceframe.store.sql import chunks

STATUSES = ("pending", "sending", "sent", "failed")


class OutboxRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Write notifications: one set-based insert for the whole unit of work."""
        for batch in chunks(rows, 1000):
            self.conn.execute(insert(t.outbox), batch)

    def claim(
        self, worker: str, now: datetime, limit: int, stale_before: datetime
    ) -> tuple[str, list[dict[str, Any]]]:
        """Take up to ``limit`` due notifications (and any whose deliverer stopped mid-way)
        for ``worker``; returns the claim token and the rows, each with ``unknown`` set when
        an earlier attempt's outcome was never recorded."""
        o = t.outbox.c
        due = or_(
            and_(o.status == "pending", o.next_attempt_at <= now),
            and_(o.status == "sending", o.claimed_at < stale_before),
        )
        wanted = select(o.id).where(due).order_by(o.next_attempt_at, o.id).limit(limit)
        if self.conn.dialect.name == "postgresql":
            wanted = wanted.with_for_update(skip_locked=True)
        claim = uuid.uuid4().hex
        claimed = self.conn.execute(
            update(t.outbox)
            .where(o.id.in_(wanted.scalar_subquery()), due)
            .values(
                status="sending",
                claim=claim,
                claimed_at=now,
                attempts=o.attempts + 1,
            )
            .returning(*t.outbox.c)
        ).all()
        rows = [dict(r._mapping) for r in claimed]
        if not rows:
            return claim, []
        unknown = self._unfinished({r["id"] for r in rows})
        self.conn.execute(
            insert(t.outbox_attempts),
            [
                {
                    "outbox_id": r["id"],
                    "number": r["attempts"],
                    "worker": worker[:100],
                    "started_at": now,
                }
                for r in rows
            ],
        )
        for r in rows:
            r["unknown"] = r["id"] in unknown
        rows.sort(key=lambda r: (r["next_attempt_at"], r["id"]))
        return claim, rows

    def _unfinished(self, ids: set[int]) -> set[int]:
        """Rows whose last attempt has no outcome: their deliverer stopped mid-way."""
        a = t.outbox_attempts.c
        last = (
            select(a.outbox_id, func.max(a.id).label("last"))
            .where(a.outbox_id.in_(sorted(ids)))
            .group_by(a.outbox_id)
            .subquery()
        )
        rows = self.conn.execute(
            select(a.outbox_id).join(last, a.id == last.c.last).where(a.outcome.is_(None))
        )
        found = set(rows.scalars())
        if found:  # their open attempt ends here, as unknown
            self.conn.execute(
                update(t.outbox_attempts)
                .where(a.outbox_id.in_(sorted(found)), a.outcome.is_(None))
                .values(outcome="unknown", detail="the deliverer stopped before recording")
            )
        return found

    def record(
        self,
        outbox_id: int,
        claim: str,
        now: datetime,
        outcome: str,
        detail: str,
        *,
        status: str,
        next_attempt_at: datetime | None = None,
        receipt: str = "",
        attempts: int | None = None,
    ) -> bool:
        """Record one attempt's outcome; False when the claim was lost (taken over)."""
        o = t.outbox.c
        values: dict[str, Any] = {"status": status, "claim": None}
        if status == "sent":
            values |= {"sent_at": now, "receipt": receipt[:300], "last_error": ""}
        else:
            values["last_error"] = detail
        if next_attempt_at is not None:
            values["next_attempt_at"] = next_attempt_at
        if attempts is not None:
            values["attempts"] = attempts
        done = self.conn.execute(
            update(t.outbox).where(o.id == outbox_id, o.claim == claim).values(values)
        ).rowcount
        a = t.outbox_attempts.c
        self.conn.execute(
            update(t.outbox_attempts)
            .where(a.outbox_id == outbox_id, a.outcome.is_(None))
            .values(finished_at=now, outcome=outcome, detail=detail)
        )
        return bool(done)

    def get(self, outbox_id: int) -> dict[str, Any] | None:
        r = self.conn.execute(select(t.outbox).where(t.outbox.c.id == outbox_id)).first()
        return None if r is None else dict(r._mapping)

    def get_many(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for batch in chunks(sorted(set(ids)), 1000):
            q = select(t.outbox).where(t.outbox.c.id.in_(batch)).order_by(t.outbox.c.id)
            found += [dict(r._mapping) for r in self.conn.execute(q)]
        return found

    def by_key(self, key: str) -> dict[str, Any] | None:
        r = self.conn.execute(select(t.outbox).where(t.outbox.c.key == key)).first()
        return None if r is None else dict(r._mapping)

    def attempts(self, outbox_id: int) -> list[dict[str, Any]]:
        a = t.outbox_attempts.c
        q = select(t.outbox_attempts).where(a.outbox_id == outbox_id).order_by(a.id)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def find(
        self,
        status: str | None = None,
        channel: str | None = None,
        issue_id: int | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        o = t.outbox.c
        q = select(t.outbox).order_by(o.id.desc())
        if status:
            q = q.where(o.status == status)
        if channel:
            q = q.where(o.channel == channel)
        if issue_id is not None:
            q = q.where(o.issue_id == issue_id)
        if limit:
            q = q.limit(limit)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def counts(self) -> dict[str, int]:
        o = t.outbox.c
        rows = self.conn.execute(select(o.status, func.count()).group_by(o.status))
        return {status: n for status, n in rows}

    def retry(self, outbox_id: int, now: datetime, changes: Mapping[str, Any]) -> None:
        self.conn.execute(
            update(t.outbox)
            .where(t.outbox.c.id == outbox_id)
            .values(status="pending", next_attempt_at=now, attempts=0, **changes)
        )

    def sent_to(self, channel: str, addresses: Iterable[str]) -> list[dict[str, Any]]:
        """What ``channel`` sent to any of ``addresses``, newest first."""
        o = t.outbox.c
        q = (
            select(t.outbox)
            .where(o.channel == channel, o.address.in_(sorted(set(addresses))), o.status == "sent")
            .order_by(o.id.desc())
        )
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def invitations(self, channel: str, address: str) -> list[dict[str, Any]]:
        """Satisfaction invitations sent on ``channel`` to ``address`` whose issue still
        waits for a rating of that round, newest first."""
        o, i = t.outbox.c, t.issues.c
        q = (
            select(t.outbox)
            .join(t.issues, i.id == o.issue_id)
            .where(
                o.channel == channel,
                o.address == address,
                o.round.is_not(None),
                o.status == "sent",
                i.status == "resolved",
                i.round == o.round,
            )
            .order_by(o.id.desc())
        )
        return [dict(r._mapping) for r in self.conn.execute(q)]
