"""Audit of the history: verify every event's hash chain and the anchors; take anchors.

The history is evidence in officials' appraisals: ``verify`` proves that no stored event was
changed, removed, inserted or moved since it was recorded (docs/audit.md says how far that
proof goes), and names the first broken link when one was.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from attrs import frozen

from serviceframe.app import App
from serviceframe.domain.principal import Action
from serviceframe.services.jobs import exclusive

MAX_LISTED = 100  # problems listed in a report (all are counted)


@frozen
class Broken:
    """One broken link: where, and what is wrong there."""

    problem: str
    subject: str = ""
    seq: int | None = None
    event: int | None = None  # the event's id, when the problem is at a stored event
    kind: str = ""
    at: datetime | None = None


@frozen
class AuditReport:
    ok: bool
    events: int  # events checked
    subjects: int  # chains checked
    anchors: int  # anchors checked
    first_broken: Broken | None  # the earliest recorded event with a problem, else the first
    broken: tuple[Broken, ...]  # at most MAX_LISTED, in the order of the history
    problems: int  # all of them


@frozen
class Anchor:
    id: int
    at: datetime
    digest: str
    previous: str
    subjects: int  # chains whose head it certifies (those that grew since the anchor before)
    events: int  # events in the store when it was taken


def verify(app: App, kept: Sequence[dict[str, Any]] = ()) -> AuditReport:
    """Check every chain, every anchor, and the anchors ``kept`` elsewhere (``[{"id": …,
    "digest": …}]`` as ``audit anchors --json`` printed them)."""
    from serviceframe.store.chain import GENESIS, event_hash, walk

    found: list[Broken] = []
    events = subjects = 0
    with app.uow() as uow:
        uow.authorise(Action.REPORT)
        conn = uow.connection
        subject, expected, previous, last_id = None, 1, GENESIS, 0
        for event_id, subj, seq, kind, actor, at, data, stored in walk(conn):
            events += 1
            if subj != subject:
                subject, expected, previous, last_id = subj, 1, GENESIS, 0
                subjects += 1
            problem = ""
            if seq > expected:
                missing = f"#{expected}" if seq == expected + 1 else f"#{expected}…#{seq - 1}"
                problem = f"event {missing} of {subj} is missing: removed"
            elif seq < expected:
                problem = f"a second event #{seq} of {subj}: inserted"
            elif event_hash(previous, seq, subj, kind, actor, at, data) != stored:
                problem = (
                    "does not follow from the event before it: changed, inserted or moved "
                    "(or the event before it was, and its hash recomputed)"
                )
            elif event_id < last_id:
                problem = "recorded before the event it follows: moved"
            if problem:
                found.append(Broken(problem, subj, seq, event_id, kind, at))
            expected, previous, last_id = seq + 1, stored, event_id
        anchors = _check_anchors(conn, kept, found)
        found += _issues_without_history(conn)
        found += _missing_guards(conn)
    first = min(
        found, key=lambda b: (b.event is None, b.event or 0), default=None
    )  # the earliest tampered event
    return AuditReport(
        ok=not found,
        events=events,
        subjects=subjects,
        anchors=anchors,
        first_broken=first,
        broken=tuple(found[:MAX_LISTED]),
        problems=len(found),
    )


def _check_anchors(conn: Any, kept: Sequence[dict[str, Any]], found: list[Broken]) -> int:
    from sqlalchemy import and_, select

    from serviceframe.store import tables as t
    from serviceframe.store.chain import GENESIS, anchor_digest

    a, h, e = t.audit_anchors.c, t.audit_anchor_heads.c, t.events.c
    stored = {r.id: r for r in conn.execute(select(t.audit_anchors).order_by(a.id))}
    heads: dict[int, list[tuple[str, int, str]]] = {i: [] for i in stored}
    for anchor_id, subject, seq, head in conn.execute(
        select(h.anchor_id, h.subject, h.seq, h.hash).order_by(h.anchor_id, h.subject)
    ):
        heads.setdefault(anchor_id, []).append((subject, seq, head))
    previous = GENESIS
    for anchor_id, anchor in stored.items():
        if anchor.previous != previous:
            found.append(Broken(f"anchor {anchor_id} does not follow the anchor before it"))
        elif anchor_digest(anchor.previous, anchor.at, heads.get(anchor_id, ())) != anchor.digest:
            found.append(Broken(f"anchor {anchor_id} was changed: its digest does not match"))
        previous = anchor.digest
    # Each certified head must still be in the history, unchanged.
    q = (
        select(h.anchor_id, h.subject, h.seq, e.id)
        .outerjoin(t.events, and_(e.subject == h.subject, e.seq == h.seq))
        .where((e.id.is_(None)) | (e.hash != h.hash))
        .order_by(h.anchor_id, h.subject)
    )
    for anchor_id, subject, seq, event_id in conn.execute(q):
        what = "is gone" if event_id is None else "was rewritten"
        found.append(
            Broken(
                f"anchor {anchor_id} certified {subject} #{seq}, which {what}",
                subject,
                seq,
                event_id,
            )
        )
    for copy in kept:
        anchor_id, digest = int(copy["id"]), str(copy["digest"])
        if anchor_id not in stored:
            found.append(Broken(f"anchor {anchor_id}, kept elsewhere, is gone from the store"))
        elif stored[anchor_id].digest != digest:
            found.append(
                Broken(
                    f"anchor {anchor_id} differs from the copy kept elsewhere "
                    f"({stored[anchor_id].digest[:12]}… here, {digest[:12]}… there): "
                    "the history was rewritten"
                )
            )
    return len(stored)


def _issues_without_history(conn: Any) -> list[Broken]:
    from sqlalchemy import String, cast, exists, literal, select

    from serviceframe.store import tables as t

    i, e = t.issues.c, t.events.c
    subject = literal("issue:") + cast(i.id, String)
    q = select(i.id).where(~exists().where(e.subject == subject)).order_by(i.id)
    return [
        Broken(f"issue {issue_id} has no history: its events were removed", f"issue:{issue_id}")
        for issue_id in conn.scalars(q)
    ]


GUARDED = ("events", "audit_anchors", "audit_anchor_heads")


def _missing_guards(conn: Any) -> list[Broken]:
    """The append-only triggers of migration 0009, which only someone with SQL can remove."""
    from sqlalchemy import text

    if conn.dialect.name == "postgresql":
        present = set(
            conn.scalars(
                text(
                    "SELECT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
                    "WHERE g.tgname = c.relname || '_append_only' AND g.tgenabled <> 'D' "
                    "AND c.relnamespace = current_schema()::regnamespace"
                )
            )
        )
    else:
        names = set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
        present = {
            table
            for table in GUARDED
            if {f"{table}_append_only_update", f"{table}_append_only_delete"} <= names
        }
    return [
        Broken(f"the append-only guard of {table} was removed or disabled")
        for table in GUARDED
        if table not in present
    ]


@exclusive("audit anchor")
def take_anchor(app: App, actor: str | None = None) -> Anchor:
    """Certify the head of every chain that grew since the last anchor, chained to it."""
    from sqlalchemy import func, insert, select

    from serviceframe.store import tables as t
    from serviceframe.store.chain import GENESIS, anchor_digest
    from serviceframe.store.sql import chunks

    actor = actor or app.settings.actor
    now = app.now()
    a, h, e = t.audit_anchors.c, t.audit_anchor_heads.c, t.events.c
    with app.uow() as uow:
        uow.authorise(Action.SWEEP)
        conn = uow.connection
        previous = conn.scalar(select(a.digest).order_by(a.id.desc()).limit(1)) or GENESIS
        last = select(e.subject, func.max(e.seq).label("seq")).group_by(e.subject).subquery()
        anchored = select(h.subject, func.max(h.seq).label("seq")).group_by(h.subject).subquery()
        q = (
            select(e.subject, e.seq, e.hash)
            .join(last, (e.subject == last.c.subject) & (e.seq == last.c.seq))
            .outerjoin(anchored, anchored.c.subject == e.subject)
            .where(anchored.c.seq.is_(None) | (e.seq > anchored.c.seq))
        )
        heads = [tuple(r) for r in conn.execute(q)]
        count = conn.scalar(select(func.count()).select_from(t.events)) or 0
        digest = anchor_digest(previous, now, heads)
        anchor_id = conn.scalar(
            insert(t.audit_anchors)
            .values(at=now, actor=actor, previous=previous, digest=digest, events=count)
            .returning(a.id)
        )
        for batch in chunks(heads, 2000):
            conn.execute(
                insert(t.audit_anchor_heads),
                [{"anchor_id": anchor_id, "subject": s, "seq": q, "hash": x} for s, q, x in batch],
            )
        uow.commit()
    assert anchor_id is not None
    return Anchor(anchor_id, now, digest, previous, len(heads), count)


def anchors(app: App) -> list[Anchor]:
    """Every anchor, oldest first: what to keep elsewhere (``audit anchors --json``)."""
    from sqlalchemy import func, select

    from serviceframe.store import tables as t

    a, h = t.audit_anchors.c, t.audit_anchor_heads.c
    certified = select(h.anchor_id, func.count().label("n")).group_by(h.anchor_id).subquery()
    q = (
        select(a.id, a.at, a.digest, a.previous, func.coalesce(certified.c.n, 0), a.events)
        .outerjoin(certified, certified.c.anchor_id == a.id)
        .order_by(a.id)
    )
    with app.uow() as uow:
        uow.authorise(Action.REPORT)
        return [Anchor(*r) for r in uow.connection.execute(q)]


def read_kept(lines: Iterable[str]) -> list[dict[str, Any]]:
    """Anchors kept elsewhere: the JSON list ``audit anchors --json`` printed, or one JSON
    object per line."""
    import json

    text = "".join(lines).strip()
    if not text:
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = [json.loads(line) for line in text.splitlines() if line.strip()]
    items = value if isinstance(value, list) else [value]
    from serviceframe.errors import ValidationError

    for n, item in enumerate(items, 1):
        if not isinstance(item, dict) or "id" not in item or "digest" not in item:
            raise ValidationError("anchors", str(item)[:60], f"entry {n} has no id and digest")
    return items
