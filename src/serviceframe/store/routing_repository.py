"""The ladder in the store: routing state, supervision orders, clusters, meetings, agenda."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)

from serviceframe.domain.routing import Routing, Rung
from serviceframe.serialise import dumps_column
from serviceframe.store import tables as t
from serviceframe.store.chain import take_sqlite_write_lock
from serviceframe.store.prepared import prepared
from serviceframe.store.sql import chunks, dicts, json_values, upsert


def routing_row(r: Routing, now: datetime) -> dict[str, Any]:
    return {
        "issue_id": r.issue,
        "level": r.level,
        "rung": r.rung.value,
        "official": r.official,
        "reason": r.reason,
        "informed": list(r.informed),
        "escalations": r.escalations,
        "topic": r.topic,
        "cluster_id": r.cluster,
        "agenda_item_id": r.agenda_item,
        "decision": r.decision,
        "reply_due": r.reply_due,
        "listed_at": r.listed_at,
        "updated_at": now,
    }


def routing_from_row(r: Any) -> Routing:
    return Routing(
        issue=r.issue_id,
        level=r.level,
        rung=Rung(r.rung),
        official=r.official,
        reason=r.reason,
        informed=tuple(r.informed or ()),
        escalations=r.escalations,
        topic=r.topic,
        cluster=r.cluster_id,
        agenda_item=r.agenda_item_id,
        decision=r.decision,
        reply_due=r.reply_due,
        listed_at=r.listed_at,
    )


# Each deadline and the open statuses in which it can be missed. An issue that is never
# acknowledged misses all three in turn, and so climbs one rung for each.
BREACHES: tuple[tuple[str, str, str], ...] = (
    ("acknowledge", "ack_due", t.OPEN_FOR_ACKNOWLEDGE),
    ("feedback", "feedback_due", t.OPEN_FOR_FEEDBACK),
    ("resolve", "resolve_due", t.OPEN_FOR_RESOLVE),
)


# An issue still being handled: a supervision order stands, and is followed up, only while its
# issue is in one of these.
BEING_HANDLED = ("dispatched", "acknowledged", "in_progress", "redo")

# The order in which one issue's cases are supervised in a sweep: its deadlines as they fall,
# then a follow-up of an order left unanswered.
CASE_ORDER = {"acknowledge": 0, "feedback": 1, "resolve": 2, "redo": 2, "follow_up": 3}

# A widespread issue is one still waiting for a solution: settled and finished issues count
# towards no trend.
UNSETTLED = ("received", "accepted", "dispatched", "acknowledged", "in_progress", "redo")


class Breach:
    """A missed deadline of one issue, with what the sweep needs to know about the issue:
    ``facts`` (round, lead unit, category, severity, its enterprise's county and key level)
    and where it stands, ``place`` (None before it was ever routed): the routing columns
    the ladder reads, as stored (level, rung, official, reason, the informed as JSON text,
    whether it is in a cluster). Thousands of breaches share a few places and facts: the
    sweep decides once for each, reading no value it does not need."""

    __slots__ = (
        "category",
        "county",
        "deadline",
        "due",
        "issue_id",
        "key_level",
        "lead_unit",
        "place",
        "round",
        "severity",
    )

    def __init__(
        self, issue_id: int, deadline: str, due: date, facts: tuple[Any, ...], place: Any
    ) -> None:
        self.issue_id, self.deadline, self.due, self.place = issue_id, deadline, due, place
        (
            self.round,
            self.lead_unit,
            self.category,
            self.severity,
            self.county,
            self.key_level,
        ) = facts


def _with_facts(q: Select[Any]) -> Select[Any]:
    """``q`` (over ``issues``) with the facts of each issue a sweep reads, as ``Breach``
    takes them: round, lead unit, category, severity, its enterprise's county and key
    level."""
    i, e = t.issues.c, t.enterprises.c
    return q.add_columns(
        i.round, i.lead_unit, i.category, i.severity, e.jurisdiction_code, e.key_level
    ).join_from(t.issues, t.enterprises, e.credit_code == i.enterprise_code)


class RoutingRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._replies: tuple[date, list[tuple[int, date, str, tuple[Any, ...]]]] | None = None

    # --- routing state -------------------------------------------------------------------

    def get(self, issue_id: int) -> Routing | None:
        r = self.conn.execute(
            select(t.issue_routing).where(t.issue_routing.c.issue_id == issue_id)
        ).first()
        return None if r is None else routing_from_row(r)

    def get_many(self, ids: Sequence[int]) -> dict[int, Routing]:
        found: dict[int, Routing] = {}
        for batch in chunks(sorted(set(ids)), 1000):
            q = select(t.issue_routing).where(t.issue_routing.c.issue_id.in_(batch))
            found |= {r.issue_id: routing_from_row(r) for r in self.conn.execute(q)}
        return found

    def save_many(self, routings: Sequence[Routing], now: datetime) -> None:
        """Insert or replace these routing states: one prepared upsert, run as an
        ``executemany`` (a sweep moves thousands of issues at once)."""
        stmt = prepared(self.conn, "upsert_routing", lambda: _upsert_routing(self.conn))
        stmt.executemany(self.conn, [routing_row(r, now) for r in routings])

    # --- the sweep -----------------------------------------------------------------------

    def breaches(self, today: date) -> list[Breach]:
        """Deadlines missed (due before ``today``) with no supervision order yet, and orders
        whose reply limit passed with the issue still being handled (``follow_up``, due = the
        limit).

        First the due issues with their facts, one range scan of a partial index per deadline
        (only the issues in which that deadline can still be missed are in it) and one of the
        reply limits still awaited; then where just those stand, their routing rows by key.
        The cost follows the number of issues past due, not the store; each due issue's row
        is read once (read again, thousands of rows scattered over the table cost a page
        read each).
        """
        i, s, r = t.issues.c, t.supervision_orders.c, t.issue_routing.c
        parts = []
        for name, column, still_open in BREACHES:
            due = i[column]
            kinds = ["resolve", "redo"] if name == "resolve" else [name]
            no_order = ~(
                select(s.id)
                .where(s.issue_id == i.id, s.deadline.in_(kinds), s.round == i.round, s.due == due)
                .exists()
            )
            # The resolve deadline of a round sent back by an unsatisfied enterprise is "redo".
            label = (
                case((i.round > 1, literal("redo")), else_=literal(name))
                if name == "resolve"
                else literal(name)
            )
            parts.append(
                _with_facts(select(i.id, label, due)).where(text(still_open), due < today, no_order)
            )
        missed = [
            (row[0], row[1], row[2], tuple(row[3:])) for row in self.conn.execute(union_all(*parts))
        ]
        missed += [
            (issue_id, "follow_up", due, facts)
            for issue_id, due, status, facts in self._replies_due(today)
            if status in BEING_HANDLED
        ]
        if not missed:
            return []
        # Then where those issues stand, by key (their ids in one JSON parameter): the
        # planner never gets the chance to scan the routing table for a handful of due issues.
        q = select(
            r.issue_id,
            r.level,
            r.rung,
            r.official,
            r.reason,
            cast(r.informed, Text),
            r.cluster_id.is_not(None),
        ).where(r.issue_id.in_(json_values(self.conn, "ids", Integer())))
        ids = dumps_column(sorted({m[0] for m in missed}))
        places = {row[0]: tuple(row[1:]) for row in self.conn.execute(q, {"ids": ids})}
        return [
            Breach(issue_id, deadline, due, facts, places.get(issue_id))
            for issue_id, deadline, due, facts in sorted(
                missed, key=lambda m: (m[0], CASE_ORDER[m[1]], m[2])
            )
        ]

    def _replies_due(self, today: date) -> list[tuple[int, date, str, tuple[Any, ...]]]:
        """(issue, reply limit, status, facts) of the orders whose reply limit is over: one
        range scan of the partial index of the limits still awaited, once per unit of work
        (the sweep asks for the follow-ups and for the orders to close)."""
        if self._replies is None or self._replies[0] != today:
            r, i = t.issue_routing.c, t.issues.c
            q = (
                _with_facts(select(r.issue_id, r.reply_due, i.status))
                .join(t.issue_routing, i.id == r.issue_id)
                .where(r.reply_due.is_not(None), r.reply_due < today)
            )
            rows = [(row[0], row[1], row[2], tuple(row[3:])) for row in self.conn.execute(q)]
            self._replies = (today, rows)
        return self._replies[1]

    def answered(self, today: date) -> list[tuple[int, date]]:
        """Orders whose reply limit is over and whose issue is no longer being handled
        (resolved, closed, rejected, merged): to be closed (督办销号), not followed up."""
        return [
            (issue_id, due)
            for issue_id, due, status, _ in self._replies_due(today)
            if status not in BEING_HANDLED
        ]

    def long_overdue(
        self, issue_id: int | None = None, jurisdictions: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """Issues listed as long-overdue (挂牌督办) and still being handled, oldest first; of
        enterprises in ``jurisdictions`` (None: all)."""
        r, i, e, s = t.issue_routing.c, t.issues.c, t.enterprises.c, t.supervision_orders.c
        orders = (
            select(func.count()).where(s.issue_id == r.issue_id).scalar_subquery().label("orders")
        )
        q = (
            select(
                r.issue_id,
                i.title,
                i.enterprise_code,
                e.name.label("enterprise_name"),
                e.jurisdiction_code,
                i.lead_unit,
                i.status,
                i.received_at,
                r.level,
                r.rung,
                r.official,
                r.listed_at,
                orders,
            )
            .select_from(
                t.issue_routing.join(t.issues, i.id == r.issue_id).join(
                    t.enterprises, e.credit_code == i.enterprise_code
                )
            )
            .where(r.listed_at.is_not(None), i.status.in_(BEING_HANDLED))
            .order_by(i.received_at, r.issue_id)
        )
        if issue_id is not None:
            q = q.where(r.issue_id == issue_id)
        if jurisdictions is not None:
            q = q.where(e.jurisdiction_code.in_(list(jurisdictions)))
        return dicts(self.conn.execute(q))

    def order_ids(self, n: int) -> list[int]:
        """Ids for ``n`` new supervision orders, taken before the orders are written (each
        order's event names it): from the sequence on PostgreSQL; on SQLite the next ones
        after the largest, holding the database's write lock until the unit of work ends."""
        if n == 0:
            return []
        conn = self.conn
        if conn.dialect.name == "postgresql":
            return [int(i) for i in conn.scalars(_RESERVE_ORDER_IDS, {"n": n})]
        take_sqlite_write_lock(conn)
        last = conn.execute(select(func.max(t.supervision_orders.c.id))).scalar() or 0
        return list(range(last + 1, last + n + 1))

    def add_orders(
        self,
        decisions: Sequence[dict[str, Any]],
        orders: Sequence[tuple[int, int, int, str, int]],
        now: datetime,
        actor: str,
    ) -> None:
        """Store a sweep's orders, each (id from :meth:`order_ids`, issue, round, due date,
        decision): one ``INSERT … SELECT`` joining them to the few ``decisions`` (each with
        the order's other columns), both passed as JSON arrays."""
        if not orders:
            return
        stmt = text(
            f"WITH d AS MATERIALIZED ({_json_rows(self.conn, 'decisions', _DECIDED)}),"
            f" o AS ({_json_rows(self.conn, 'orders', _ORDERS)})"
            " INSERT INTO supervision_orders (id, issue_id, round, due, deadline, overdue_unit,"
            " overdue_official, from_level, from_rung, from_official, to_level, to_rung,"
            " to_official, reply_due, created_at, actor)"
            " SELECT o.id, o.issue_id, o.round, o.due, d.deadline, d.overdue_unit,"
            " d.overdue_official, d.from_level, d.from_rung, d.from_official, d.to_level,"
            " d.to_rung, d.to_official, d.reply_due, :now, :actor"
            " FROM o CROSS JOIN d WHERE d.n = o.decision"  # CROSS: SQLite reads o, looks d up
        ).bindparams(bindparam("now", type_=t.supervision_orders.c.created_at.type))
        self.conn.execute(
            stmt,
            {
                "decisions": _json_array(decisions, _DECIDED),
                "orders": dumps_column(orders),
                "now": now,
                "actor": actor,
            },
        )

    def move(
        self,
        decisions: Sequence[dict[str, Any]],
        moves: Sequence[tuple[int, int, int]],
        now: datetime,
    ) -> None:
        """Store where a sweep moved these issues (their routing rows exist), each (issue,
        its last decision, 1 if it moved up a rung): one ``UPDATE … FROM`` joining them to
        the ``decisions``, both passed as JSON arrays."""
        if not moves:
            return
        stmt = text(
            f"WITH d AS MATERIALIZED ({_json_rows(self.conn, 'decisions', _DECIDED)}),"
            f" m AS ({_json_rows(self.conn, 'moves', _MOVES)})"
            " UPDATE issue_routing SET level = x.to_level, rung = x.to_rung,"
            " official = x.to_official, reason = x.reason, informed = x.informed,"
            " escalations = issue_routing.escalations + x.moved, reply_due = x.reply_due,"
            " listed_at = COALESCE(issue_routing.listed_at, CASE WHEN x.listed = 1 THEN :now END),"
            " updated_at = :now"
            " FROM (SELECT m.issue_id, m.moved, d.* FROM m CROSS JOIN d WHERE d.n = m.decision) AS x"
            " WHERE issue_routing.issue_id = x.issue_id"
        ).bindparams(bindparam("now", type_=t.issue_routing.c.updated_at.type))
        self.conn.execute(
            stmt,
            {
                "decisions": _json_array(decisions, _DECIDED),
                "moves": dumps_column(moves),
                "now": now,
            },
        )

    def orders(
        self,
        open_only: bool = True,
        issue_id: int | None = None,
        jurisdictions: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Supervision orders, oldest first; of issues of enterprises in ``jurisdictions``."""
        s, i = t.supervision_orders.c, t.issues.c
        q = (
            select(t.supervision_orders, i.status, i.title, i.enterprise_code)
            .join(t.issues, i.id == s.issue_id)
            .order_by(s.id)
        )
        if jurisdictions is not None:
            e = t.enterprises.c
            q = q.join(t.enterprises, e.credit_code == i.enterprise_code).where(
                e.jurisdiction_code.in_(list(jurisdictions))
            )
        if open_only:  # an order stands while its issue is still being handled
            q = q.where(i.status.in_(BEING_HANDLED))
        if issue_id is not None:
            q = q.where(s.issue_id == issue_id)
        return dicts(self.conn.execute(q))

    # --- clusters ------------------------------------------------------------------------

    def trending_topics(
        self, since: datetime, min_enterprises: int, min_counties: int
    ) -> list[Any]:
        """Topics raised by at least ``min_enterprises`` different enterprises in at least
        ``min_counties`` counties since ``since``: one grouped query. Issues of a cluster
        already resolved (back for redo after an unsatisfied rating) stay with it and count
        towards no new trend. ``waiting``: how many of a topic's issues are in no cluster yet
        (none: detection has nothing to link, and need not look for them)."""
        i, r, e, c = t.issues.c, t.issue_routing.c, t.enterprises.c, t.clusters.c
        q = (
            select(
                r.topic,
                func.min(i.category).label("category"),
                func.count(func.distinct(i.enterprise_code)).label("enterprises"),
                func.count(func.distinct(e.jurisdiction_code)).label("counties"),
                func.count().label("issues"),
                func.count(case((r.cluster_id.is_(None), 1))).label("waiting"),
            )
            .select_from(
                t.issues.join(t.issue_routing, r.issue_id == i.id)
                .join(t.enterprises, e.credit_code == i.enterprise_code)
                .outerjoin(t.clusters, c.id == r.cluster_id)
            )
            .where(
                i.received_at >= since,
                i.status.in_(UNSETTLED),
                r.topic.is_not(None),
                or_(r.cluster_id.is_(None), c.status == "open"),
            )
            .group_by(r.topic)
            .having(
                and_(
                    func.count(func.distinct(i.enterprise_code)) >= min_enterprises,
                    func.count(func.distinct(e.jurisdiction_code)) >= min_counties,
                )
            )
            .order_by(r.topic)
        )
        return list(self.conn.execute(q))

    def unclustered(self, topics: Sequence[str], since: datetime) -> dict[str, list[int]]:
        """Issues of these topics received since ``since`` that are in no cluster yet.

        One query for all topics, driven by the window (``received_at``), not by each topic's
        whole history: the cost follows the issues in the window.
        """
        i, r = t.issues.c, t.issue_routing.c
        found: dict[str, list[int]] = {topic: [] for topic in topics}
        if not topics:
            return found
        q = (
            select(r.topic, i.id)
            .join(t.issue_routing, r.issue_id == i.id)
            .where(
                i.received_at >= since,
                i.status.in_(UNSETTLED),
                r.cluster_id.is_(None),
                r.topic.in_(list(topics)),
            )
            .order_by(i.id)
        )
        for topic, issue_id in self.conn.execute(q):
            found[topic].append(issue_id)
        return found

    def jurisdictions_of(self, issue_ids: Sequence[int]) -> set[str]:
        """Where the enterprises of these issues are registered."""
        i, e = t.issues.c, t.enterprises.c
        found: set[str] = set()
        for batch in chunks(sorted(set(issue_ids)), 1000):
            found.update(
                self.conn.scalars(
                    select(e.jurisdiction_code)
                    .join(t.issues, i.enterprise_code == e.credit_code)
                    .where(i.id.in_(batch))
                    .distinct()
                )
            )
        return found

    def unclustered_open(self) -> list[int]:
        """Ids of the routed issues still waiting for a solution and in no cluster: those
        whose topic a changed topic map may change (members stay with their cluster)."""
        i, r = t.issues.c, t.issue_routing.c
        q = (
            select(i.id)
            .join(t.issue_routing, r.issue_id == i.id)
            .where(i.status.in_(UNSETTLED), r.cluster_id.is_(None))
            .order_by(i.id)
        )
        return list(self.conn.scalars(q))

    def open_cluster(self, topic: str) -> dict[str, Any] | None:
        c = t.clusters.c
        row = self.conn.execute(
            select(t.clusters).where(c.topic == topic, c.status == "open")
        ).first()
        return None if row is None else dict(row._mapping)

    def open_clusters(self, topics: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The open cluster of each of these topics that has one."""
        c = t.clusters.c
        found: dict[str, dict[str, Any]] = {}
        for batch in chunks(sorted(set(topics)), 1000):
            q = select(t.clusters).where(c.topic.in_(batch), c.status == "open")
            found |= {row.topic: dict(row._mapping) for row in self.conn.execute(q)}
        return found

    def add_cluster(self, values: dict[str, Any]) -> int:
        return int(
            self.conn.execute(
                insert(t.clusters).values(values).returning(t.clusters.c.id)
            ).scalar_one()
        )

    def cluster(self, cluster_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(t.clusters).where(t.clusters.c.id == cluster_id)).first()
        return None if row is None else dict(row._mapping)

    def clusters(
        self, status: str | None = None, scope: ColumnElement[bool] | None = None
    ) -> list[dict[str, Any]]:
        """Clusters (with ``status``); with ``scope`` (a clause over ``issues``), those with
        a member in it."""
        q = select(t.clusters).order_by(t.clusters.c.id)
        if status:
            q = q.where(t.clusters.c.status == status)
        if scope is not None:
            r = t.issue_routing.c
            q = q.where(
                t.clusters.c.id.in_(
                    select(r.cluster_id)
                    .join(t.issues, t.issues.c.id == r.issue_id)
                    .where(r.cluster_id.is_not(None), scope)
                )
            )
        return dicts(self.conn.execute(q))

    def members(self, cluster_id: int, scope: ColumnElement[bool] | None = None) -> list[int]:
        r = t.issue_routing.c
        q = select(r.issue_id).where(r.cluster_id == cluster_id).order_by(r.issue_id)
        if scope is not None:
            q = q.join(t.issues, t.issues.c.id == r.issue_id).where(scope)
        return list(self.conn.scalars(q))

    def member_counts(
        self, cluster_ids: Sequence[int], scope: ColumnElement[bool] | None = None
    ) -> dict[int, tuple[int, int, int]]:
        """cluster id -> (issues, enterprises, counties), of the members in ``scope``."""
        r, i, e = t.issue_routing.c, t.issues.c, t.enterprises.c
        q = (
            select(
                r.cluster_id,
                func.count(),
                func.count(func.distinct(i.enterprise_code)),
                func.count(func.distinct(e.jurisdiction_code)),
            )
            .select_from(
                t.issue_routing.join(t.issues, i.id == r.issue_id).join(
                    t.enterprises, e.credit_code == i.enterprise_code
                )
            )
            .where(r.cluster_id.in_(list(cluster_ids)), true() if scope is None else scope)
            .group_by(r.cluster_id)
        )
        return {cid: (n, ents, counties) for cid, n, ents, counties in self.conn.execute(q)}

    def resolve_cluster(self, cluster_id: int, note: str, now: datetime) -> None:
        self.conn.execute(
            update(t.clusters)
            .where(t.clusters.c.id == cluster_id)
            .values(status="resolved", resolution=note, resolved_at=now)
        )

    # --- meetings and agenda -------------------------------------------------------------

    def save_meetings(self, meetings: Sequence[dict[str, Any]]) -> None:
        upsert(self.conn, t.meetings, list(meetings), ["jurisdiction", "date"])

    def meetings(self, jurisdiction: str | None = None) -> list[dict[str, Any]]:
        q = select(t.meetings).order_by(t.meetings.c.date, t.meetings.c.jurisdiction)
        if jurisdiction:
            q = q.where(t.meetings.c.jurisdiction == jurisdiction)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def next_meeting(self, jurisdiction: str, on_or_after: date) -> dict[str, Any] | None:
        m = t.meetings.c
        row = self.conn.execute(
            select(t.meetings)
            .where(m.jurisdiction == jurisdiction, m.date >= on_or_after)
            .order_by(m.date)
            .limit(1)
        ).first()
        return None if row is None else dict(row._mapping)

    def attach_pending(self, jurisdiction: str, meeting_id: int) -> int:
        """Items still waiting for 'the next meeting' go to a newly scheduled one."""
        a = t.agenda_items.c
        return self.conn.execute(
            update(t.agenda_items)
            .where(a.jurisdiction == jurisdiction, a.meeting_id.is_(None), a.status == "pending")
            .values(meeting_id=meeting_id)
        ).rowcount

    def add_item(self, values: dict[str, Any]) -> int:
        return int(
            self.conn.execute(
                insert(t.agenda_items).values(values).returning(t.agenda_items.c.id)
            ).scalar_one()
        )

    def item(self, item_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(t.agenda_items).where(t.agenda_items.c.id == item_id)
        ).first()
        return None if row is None else dict(row._mapping)

    def item_for(
        self, issue_id: int | None = None, cluster_id: int | None = None
    ) -> dict[str, Any] | None:
        a = t.agenda_items.c
        cond = a.issue_id == issue_id if issue_id is not None else a.cluster_id == cluster_id
        row = self.conn.execute(select(t.agenda_items).where(cond)).first()
        return None if row is None else dict(row._mapping)

    def items(
        self,
        jurisdiction: str,
        meeting: dict[str, Any] | None,
        today: date,
        pending_only: bool = False,
    ) -> list[dict[str, Any]]:
        """The items before ``meeting``: its own, those waiting for a meeting, and those a
        meeting already held left undecided (carried over). Without a meeting: the items
        waiting, including those of past meetings still undecided."""
        a, m = t.agenda_items.c, t.meetings.c
        before = min(meeting["date"], today) if meeting is not None else today
        carried = and_(a.status == "pending", or_(a.meeting_id.is_(None), m.date < before))
        own = a.meeting_id == meeting["id"] if meeting is not None else a.meeting_id.is_(None)
        q = (
            select(t.agenda_items, m.date.label("meeting_date"), m.name.label("meeting_name"))
            .outerjoin(t.meetings, m.id == a.meeting_id)
            .where(a.jurisdiction == jurisdiction, or_(own, carried))
            .order_by(a.id)
        )
        if pending_only:
            q = q.where(a.status == "pending")
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def decide(self, item_id: int, decision: str, now: datetime, actor: str) -> None:
        self.conn.execute(
            update(t.agenda_items)
            .where(t.agenda_items.c.id == item_id)
            .values(status="decided", decision=decision, decided_at=now, decided_by=actor)
        )


_RESERVE_ORDER_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('supervision_orders', 'id')) FROM generate_series(1, :n)"
)


# The columns of a sweep's decisions, of its orders and of its routing moves, with their types
# (PostgreSQL reads JSON values as text: they are cast; SQLite's json_extract gives the value).
_DECIDED = {
    "deadline": "text",
    "overdue_unit": "text",
    "overdue_official": "text",
    "from_level": "text",
    "from_rung": "text",
    "from_official": "text",
    "to_level": "text",
    "to_rung": "text",
    "to_official": "text",
    "reason": "text",
    "informed": "json",
    "reply_due": "date",
    "listed": "integer",
}
_ORDERS = {
    "id": "integer",
    "issue_id": "integer",
    "round": "integer",
    "due": "date",
    "decision": "integer",
}
_MOVES = {"issue_id": "integer", "decision": "integer", "moved": "integer"}


def _json_array(rows: Sequence[dict[str, Any]], columns: dict[str, str]) -> str:
    return dumps_column([[row[c] for c in columns] for row in rows])


def _json_rows(conn: Connection, param: str, columns: dict[str, str]) -> str:
    """A ``SELECT`` of the rows of the JSON array parameter ``param``, each row an array of
    the values of ``columns`` in order, with ``n``: the row's position (from 0). One
    parameter carries thousands of rows: the client does not pay for each (PostgreSQL's
    ``executemany`` costs ~10 µs of CPU a row)."""
    if conn.dialect.name == "postgresql":
        values = [
            f"value -> {i}" if type_ == "json" else f"CAST(value ->> {i} AS {type_})"
            for i, type_ in enumerate(columns.values())
        ]
        source, n = (
            f"json_array_elements(CAST(:{param} AS json)) WITH ORDINALITY AS j(value, k)",
            "k - 1",
        )
    else:  # dates are stored as ISO text: as they come
        values = [f"json_extract(value, '$[{i}]')" for i in range(len(columns))]
        source, n = f"json_each(:{param})", "key"
    named = ", ".join(f"{v} AS {c}" for v, c in zip(values, columns, strict=True))
    return f"SELECT {n} AS n, {named} FROM {source}"


def _upsert_routing(conn: Connection) -> Any:
    """``INSERT … ON CONFLICT (issue_id) DO UPDATE`` of a whole routing row."""
    if conn.dialect.name == "postgresql":  # imported here: SQLite users never load it
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    r = t.issue_routing.c
    names = [c.name for c in t.issue_routing.c]
    stmt = dialect_insert(t.issue_routing).values({c: bindparam(c, type_=r[c].type) for c in names})
    return stmt.on_conflict_do_update(
        index_elements=["issue_id"], set_={c: stmt.excluded[c] for c in names if c != "issue_id"}
    )
