"""Issues in the store: the folded state as a row, the events in the log, units, ratings."""

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from attrs import frozen
from sqlalchemy import (
    Connection,
    DateTime,
    String,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    true,
    tuple_,
    update,
)

from serviceframe.domain.categories import Category
from serviceframe.domain.duplicates import DUPLICATE_CANDIDATES
from serviceframe.domain.issue import Due, Issue, IssueEvent, Satisfaction, Severity, Status
from serviceframe.errors import ServiceFrameError
from serviceframe.store import tables as t
from serviceframe.store.prepared import Prepared, prepared, run_together
from serviceframe.store.sql import chunks

_DUES = (
    ("ack_due", "ack_provisional"),
    ("feedback_due", "feedback_provisional"),
    ("resolve_due", "resolve_provisional"),
)


class ConcurrentChange(ServiceFrameError):
    """Someone else changed the issue between reading and writing it; try again."""


def issue_row(issue: Issue) -> dict[str, Any]:
    row: dict[str, Any] = {
        "enterprise_code": issue.enterprise,
        "source": issue.source,
        "external_id": issue.external_id,
        "origin": issue.origin,
        "confidential": issue.confidential,
        "title": issue.title,
        "body": issue.body,
        "status": issue.status.value,
        "category": int(issue.category),
        "suggested_category": int(issue.suggested_category),
        "severity": issue.severity.value,
        "received_at": issue.received_at,
        "received_by": issue.received_by,
        "owner": issue.owner,
        "lead_unit": issue.lead_unit,
        "dispatched_at": issue.dispatched_at,
        "acknowledged_at": issue.acknowledged_at,
        "first_feedback_at": issue.first_feedback_at,
        "resolved_at": issue.resolved_at,
        "resolution": issue.resolution,
        "round": issue.round,
        "redo_count": issue.redo_count,
        "satisfaction": issue.satisfaction.value if issue.satisfaction else None,
        "rated_at": issue.rated_at,
        "closed_at": issue.closed_at,
        "reject_reason": issue.reject_reason,
        "merged_into": issue.merged_into,
        "duplicates": issue.duplicates,
        "possible_duplicates": list(issue.possible_duplicates),
        "updated_at": issue.updated_at,
        "version": issue.version,
    }
    for (column, flag), due in zip(
        _DUES, (issue.ack_due, issue.feedback_due, issue.resolve_due), strict=True
    ):
        row[column] = due.on if due else None
        row[flag] = due.provisional if due else False
    return row


def filed_row(data: Mapping[str, Any], received_at: datetime, at: datetime) -> dict[str, Any]:
    """The row of an issue just filed, from the data of its ``filed`` event: what ``apply``
    makes of that event (the other columns keep their defaults). Intake writes it directly,
    without an Issue in between; the tests compare it with the replayed state."""
    return {
        "enterprise_code": data["enterprise"],
        "source": data["source"],
        "external_id": data["external_id"],
        "origin": data["origin"],
        "confidential": bool(data.get("confidential", False)),
        "title": data["title"],
        "body": data["body"],
        "status": "received",
        "category": data["category"],
        "suggested_category": data["suggested_category"],
        "severity": data["severity"],
        "received_at": received_at,
        "received_by": data["received_by"],
        "owner": data["received_by"],
        "possible_duplicates": data["possible_duplicates"],
        "updated_at": at,
        "version": 1,
    }


def issue_from_row(r: Any, co_units: Sequence[str] = ()) -> Issue:
    def due(column: str, flag: str) -> Due | None:
        value: date | None = getattr(r, column)
        return None if value is None else Due(value, bool(getattr(r, flag)))

    return Issue(
        id=r.id,
        enterprise=r.enterprise_code,
        source=r.source,
        title=r.title,
        body=r.body,
        received_at=r.received_at,
        received_by=r.received_by,
        external_id=r.external_id,
        origin=r.origin,
        confidential=bool(r.confidential),
        status=Status(r.status),
        category=Category(r.category),
        suggested_category=Category(r.suggested_category),
        severity=Severity(r.severity),
        owner=r.owner,
        lead_unit=r.lead_unit,
        co_units=tuple(co_units),
        dispatched_at=r.dispatched_at,
        ack_due=due(*_DUES[0]),
        acknowledged_at=r.acknowledged_at,
        feedback_due=due(*_DUES[1]),
        first_feedback_at=r.first_feedback_at,
        resolve_due=due(*_DUES[2]),
        resolved_at=r.resolved_at,
        resolution=r.resolution,
        round=r.round,
        redo_count=r.redo_count,
        satisfaction=Satisfaction(r.satisfaction) if r.satisfaction else None,
        rated_at=r.rated_at,
        closed_at=r.closed_at,
        reject_reason=r.reject_reason,
        merged_into=r.merged_into,
        duplicates=r.duplicates,
        possible_duplicates=tuple(r.possible_duplicates or ()),
        updated_at=r.updated_at,
        version=r.version,
    )


class IssueRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- reading -------------------------------------------------------------------------

    def get(self, issue_id: int, for_update: bool = False) -> Issue | None:
        q = select(t.issues).where(t.issues.c.id == issue_id)
        if for_update and self.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        r = self.conn.execute(q).first()
        return (
            None if r is None else issue_from_row(r, self._co_units([issue_id]).get(issue_id, ()))
        )

    def in_scope(self, issue_id: int, principal: Any) -> bool:
        from serviceframe.store.scope import issue_scope

        q = select(t.issues.c.id).where(t.issues.c.id == issue_id, issue_scope(principal))
        return self.conn.execute(q).first() is not None

    def in_scope_many(self, ids: Sequence[int], principal: Any) -> set[int]:
        """Those of ``ids`` the principal may see, in one query per thousand."""
        from serviceframe.store.scope import issue_scope

        found: set[int] = set()
        for batch in chunks(ids, 1000):
            q = select(t.issues.c.id).where(t.issues.c.id.in_(batch), issue_scope(principal))
            found.update(self.conn.scalars(q))
        return found

    def get_many(self, ids: Iterable[int], for_update: bool = False) -> list[Issue]:
        """The issues, in id order; ``for_update`` locks their rows (PostgreSQL), in id order
        so that two bulk changes cannot deadlock."""
        ids = sorted(set(ids))
        found: list[Issue] = []
        for batch in chunks(ids, 1000):
            co = self._co_units(batch)
            q = select(t.issues).where(t.issues.c.id.in_(batch)).order_by(t.issues.c.id)
            if for_update and self.conn.dialect.name == "postgresql":
                q = q.with_for_update()
            found += [issue_from_row(r, co.get(r.id, ())) for r in self.conn.execute(q)]
        return found

    def _co_units(self, ids: Sequence[int]) -> dict[int, list[str]]:
        u = t.issue_units.c
        co: dict[int, list[str]] = {}
        q = (
            select(u.issue_id, u.unit_id)
            .where(u.issue_id.in_(ids), u.role == "co")
            .order_by(u.unit_id)
        )
        for issue_id, unit_id in self.conn.execute(q):
            co.setdefault(issue_id, []).append(unit_id)
        # Sorted here, not by the database: PostgreSQL's collation may order "jz-a-b" and
        # "jz-ab" otherwise than Python, and the state must equal what the events replay to.
        return {issue_id: sorted(units) for issue_id, units in co.items()}

    def find(self, limit: int | None = None, **filters: Any) -> list[Issue]:
        """Issues in id order; the filters are those of :meth:`find_ids`."""
        q = _filtered(select(t.issues), **filters)
        if limit:
            q = q.limit(limit)
        rows = self.conn.execute(q).all()
        co = self._co_units([r.id for r in rows]) if rows else {}
        return [issue_from_row(r, co.get(r.id, ())) for r in rows]

    def find_ids(self, **filters: Any) -> list[int]:
        """Ids of the issues matching every filter given: ``status`` (a list), ``enterprise``,
        ``unit`` (received, led or co-handled by it), ``category``, ``suggested_category``,
        ``severity``, ``source``, ``received_from`` (inclusive), ``received_to`` (exclusive)."""
        return list(self.conn.scalars(_filtered(select(t.issues.c.id), **filters)))

    # --- intake ---------------------------------------------------------------------------
    # Prepared statements (store/prepared.py), the same for one issue filed alone and for a
    # chunk of a bulk import: one round of look-ups, one executemany per table.

    def intake_lookup(
        self,
        windows: Mapping[str, tuple[datetime, datetime]],
        keys: Collection[tuple[str, str]],
    ) -> "IntakeLookup":
        """What intake must know before filing: which enterprises of ``windows`` are
        registered, and for each the latest DUPLICATE_CANDIDATES issues (neither rejected nor
        merged) received within its window (inclusive), as (id, enterprise, title, body,
        received_at); and the issues already filed for these (source, external id) ``keys``."""
        conn = self.conn
        codes = sorted(windows)
        # One draft (file_issue): the statement that checks its enterprise also looks up its
        # external id, so that filing one issue reads the store once.
        alone = next(iter(keys)) if len(codes) == 1 and len(keys) == 1 else None
        key = {"s": alone[0], "x": alone[1]} if alone else {"s": None, "x": None}
        runs: list[tuple[Prepared, dict[str, Any]]]
        postgresql = conn.dialect.name == "postgresql"
        if postgresql and len(codes) > 1:  # every enterprise of the chunk in one statement
            stmt = prepared(conn, "enterprises_and_recent", _enterprises_and_recent)
            sinces = [windows[e][0] for e in codes]
            untils = [windows[e][1] for e in codes]
            runs = [(stmt, {"es": codes, "sinces": sinces, "untils": untils, **key})]
        else:  # one small statement per enterprise (SQLite has no arrays; they cost it little)
            stmt = prepared(
                conn, "enterprise_and_recent", lambda: _enterprise_and_recent(postgresql)
            )
            runs = [
                (stmt, {"e": e, "since": windows[e][0], "until": windows[e][1], **key})
                for e in codes
            ]
        looked_up = len(runs)
        by_source: dict[str, list[str]] = {}
        for source, external_id in keys if alone is None else ():
            by_source.setdefault(source, []).append(external_id)
        filed_with = prepared(conn, "filed", lambda: _filed(conn.dialect.name))
        sources = [
            (source, batch)
            for source, external_ids in sorted(by_source.items())
            for batch in chunks(sorted(external_ids), 5000)
        ]
        runs += [(filed_with, {"s": s, "xs": _array(conn, batch)}) for s, batch in sources]
        results = run_together(conn, runs)  # one round trip on PostgreSQL

        known: dict[str, str] = {}
        recent: list[tuple[int, str, str, str, datetime]] = []
        filed: dict[tuple[str, str], int] = {}
        for rows in results[:looked_up]:
            for code, jurisdiction, filed_id, *issue in rows:
                known[code] = jurisdiction
                if alone is not None and filed_id is not None:
                    filed[alone] = filed_id
                if issue[0] is not None:
                    recent.append((issue[0], code, *issue[1:]))
        for (source, _), rows in zip(sources, results[looked_up:], strict=True):
            filed.update(((source, x), i) for x, i in rows if i is not None)
        return IntakeLookup(known, filed, recent)

    def by_external_ids(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """The issues filed for these (source, external id) pairs."""
        return self.intake_lookup({}, keys).filed

    def insert_new(self, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert just-filed issues (``filed_row``s); their new ids, in order. One statement
        for one issue; for many, one executemany (on PostgreSQL after reserving their ids from
        the sequence in one query: an executemany returning each new id costs three times as
        much)."""
        conn = self.conn
        if not rows:
            return []
        columns = list(rows[0])  # the columns of filed_row
        if len(rows) == 1:
            stmt = prepared(
                conn, "insert_one", lambda: _insert_new(*columns).returning(t.issues.c.id)
            )
            return [int(stmt.execute(conn, rows[0])[0][0])]
        if conn.dialect.name == "postgresql":
            ids = [int(i) for i in conn.scalars(_RESERVE_IDS, {"n": len(rows)})]
            stmt = prepared(conn, "insert_with_ids", lambda: _insert_new("id", *columns))
            stmt.executemany(conn, [{**row, "id": i} for row, i in zip(rows, ids, strict=True)])
            return ids
        stmt = prepared(conn, "insert_many", lambda: _insert_new(*columns))
        stmt.executemany(conn, rows)
        # SQLite gives a new row the largest rowid plus one, and we hold the write lock
        # for the whole transaction: the rows just inserted have consecutive ids.
        last = int(conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one())
        return list(range(last - len(rows) + 1, last + 1))

    def filed_events(self, ids: Sequence[int]) -> dict[int, IssueEvent]:
        """The ``filed`` event of each of these issues, by issue id."""
        e = t.events.c
        subjects = {f"issue:{i}": i for i in ids}
        found: dict[int, IssueEvent] = {}
        for batch in chunks(list(subjects), 1000):
            q = select(e.subject, e.at, e.actor, e.data).where(
                e.subject.in_(batch), e.kind == "filed"
            )
            for subject, at, actor, data in self.conn.execute(q):
                found[subjects[subject]] = IssueEvent("filed", at, actor, data)
        return found

    def set_possible_duplicates(self, duplicates: Mapping[int, Sequence[int]]) -> None:
        """Bulk intake's second pass, once the ids of the issues filed together are known."""
        stmt = prepared(self.conn, "set_possible_duplicates", _set_possible_duplicates)
        stmt.executemany(
            self.conn, [{"b_id": i, "b_duplicates": list(d)} for i, d in duplicates.items()]
        )

    def events(self, issue_id: int) -> list[IssueEvent]:
        e = t.events.c
        q = (
            select(e.kind, e.at, e.actor, e.data)
            .where(e.subject == f"issue:{issue_id}")
            .order_by(e.id)
        )
        return [IssueEvent(kind, at, actor, data) for kind, at, actor, data in self.conn.execute(q)]

    # --- writing -------------------------------------------------------------------------

    def save(self, issue: Issue, expected_version: int) -> None:
        """Write the new state; refuse if someone else wrote in between (optimistic lock)."""
        row = issue_row(issue)
        result = self.conn.execute(
            update(t.issues)
            .where(t.issues.c.id == issue.id, t.issues.c.version == expected_version)
            .values(row)
        )
        if result.rowcount != 1:
            raise ConcurrentChange(
                f"issue {issue.id} was changed by someone else meanwhile; try again"
            )

    def set_units(self, issue_id: int, lead: str, co: Sequence[str]) -> None:
        self.conn.execute(delete(t.issue_units).where(t.issue_units.c.issue_id == issue_id))
        rows = [{"issue_id": issue_id, "unit_id": lead, "role": "lead"}]
        rows += [{"issue_id": issue_id, "unit_id": u, "role": "co"} for u in co if u != lead]
        self.conn.execute(insert(t.issue_units), rows)

    def save_many(self, changed: Sequence[tuple[Issue, int]]) -> None:
        """Write many new states at once, each ``(issue, expected_version)``; refuse them all
        if someone else wrote one in between (optimistic lock, one executemany)."""
        if not changed:
            return
        columns = [c for c in issue_row(changed[0][0]) if c != "id"]
        stmt = (
            update(t.issues)
            .where(t.issues.c.id == bindparam("b_id"), t.issues.c.version == bindparam("b_v"))
            .values({c: bindparam(f"b_{c}") for c in columns})
        )
        rows = [
            {"b_id": i.id, "b_v": v, **{f"b_{c}": x for c, x in issue_row(i).items()}}
            for i, v in changed
        ]
        result = self.conn.execute(stmt, rows)
        if self.conn.dialect.supports_sane_multi_rowcount and result.rowcount != len(rows):
            raise ConcurrentChange(
                f"{len(rows) - result.rowcount} of {len(rows)} issues were changed by someone "
                "else meanwhile; try again"
            )

    def set_units_many(self, units: Mapping[int, tuple[str, Sequence[str]]]) -> None:
        """Lead and co-handling units of many issues: ``{issue id: (lead, co)}``."""
        if not units:
            return
        for batch in chunks(sorted(units), 1000):
            self.conn.execute(delete(t.issue_units).where(t.issue_units.c.issue_id.in_(batch)))
        rows = [
            {"issue_id": i, "unit_id": unit, "role": role}
            for i, (lead, co) in units.items()
            for unit, role in [(lead, "lead"), *((u, "co") for u in co if u != lead)]
        ]
        for batch in chunks(rows, 2000):
            self.conn.execute(insert(t.issue_units), batch)

    def add_rating(
        self, issue: Issue, satisfaction: Satisfaction, comment: str, at: datetime, by: str
    ) -> None:
        self.conn.execute(
            insert(t.ratings).values(
                issue_id=issue.id,
                round=issue.round,
                satisfaction=satisfaction.value,
                comment=comment,
                rated_at=at,
                rated_by=by,
                lead_unit=issue.lead_unit,
            )
        )

    def ratings(self, issue_id: int) -> list[dict[str, Any]]:
        q = select(t.ratings).where(t.ratings.c.issue_id == issue_id).order_by(t.ratings.c.round)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def with_provisional_deadlines(self) -> list[Issue]:
        c = t.issues.c
        q = select(t.issues.c.id).where(
            c.status.not_in(["closed", "rejected", "merged"]),
            or_(c.ack_provisional, c.feedback_provisional, c.resolve_provisional),
        )
        return self.get_many(self.conn.scalars(q))

    def count(self) -> int:
        return int(self.conn.scalar(select(func.count()).select_from(t.issues)) or 0)


@frozen
class IntakeLookup:
    known: dict[str, str]  # registered enterprises -> their jurisdiction
    filed: dict[tuple[str, str], int]  # (source, external id) -> issue id
    recent: list[tuple[int, str, str, str, datetime]]  # near-duplicate candidates


def _filed(dialect: str) -> Any:
    """For each external id in the array ``xs``, the issue filed with it from source ``s``
    (or NULL). A lookup by equality on both columns per id, which both databases answer from
    the unique index whatever their statistics say (an IN list made SQLite scan the table,
    and PostgreSQL, misjudging a freshly filled table, read every issue of the source)."""
    c = t.issues.c
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        ids = func.unnest(bindparam("xs", type_=ARRAY(String))).table_valued("value")
        ids = ids.render_derived()  # unnest(…) AS anon(value)
    else:  # SQLite has no arrays: a JSON list, read by json_each
        ids = func.json_each(bindparam("xs", type_=String)).table_valued("value")
    issue = (
        select(c.id)
        .where(c.source == bindparam("s"), c.external_id == ids.c.value)
        .scalar_subquery()
    )
    return select(ids.c.value, issue).select_from(ids)


def _array(conn: Connection, values: list[str]) -> Any:
    return values if conn.dialect.name == "postgresql" else json.dumps(values)


def _enterprise_and_recent(as_row_range: bool) -> Any:
    """The enterprise ``e``, if registered, with its jurisdiction, the issue filed with one
    (source, external id), and each of its latest issues in the window: no row for an unknown
    enterprise, one row with NULLs for an enterprise without recent issues."""
    e = t.enterprises.c
    recent = _recent(
        bindparam("e"),
        bindparam("since", type_=t.issues.c.received_at.type),
        bindparam("until", type_=t.issues.c.received_at.type),
        as_row_range,
    ).subquery("recent")
    return (
        select(e.credit_code, e.jurisdiction_code, _filed_one(), *recent.c)
        .select_from(t.enterprises.outerjoin(recent, true()))
        .where(e.credit_code == bindparam("e"))
    )


def _enterprises_and_recent() -> Any:
    """The same for the enterprises of the array ``es`` at once, each with its own window
    (arrays ``sinces``, ``untils``): PostgreSQL reads them all in one statement, where one
    statement per enterprise cost more in round trips and planning than in reading."""
    from sqlalchemy.dialects.postgresql import ARRAY

    stamp = DateTime(timezone=True)
    w = (
        func.unnest(
            bindparam("es", type_=ARRAY(String)),
            bindparam("sinces", type_=ARRAY(stamp)),
            bindparam("untils", type_=ARRAY(stamp)),
        )
        .table_valued("code", "since", "until")
        .render_derived(with_types=False)
    )
    e = t.enterprises.c
    recent = _recent(w.c.code, w.c.since, w.c.until, as_row_range=True).lateral("recent")
    return select(e.credit_code, e.jurisdiction_code, _filed_one(), *recent.c).select_from(
        w.join(t.enterprises, e.credit_code == w.c.code).outerjoin(recent, true())
    )


def _recent(enterprise: Any, since: Any, until: Any, as_row_range: bool = False) -> Any:
    """The latest DUPLICATE_CANDIDATES issues of an enterprise received in a window
    (inclusive), but those rejected or merged: the candidates for near-duplicates.

    ``as_row_range`` (PostgreSQL) states the window as a range of the index on (enterprise,
    received_at): misjudging a table just filled in this transaction, PostgreSQL otherwise
    chose the index on received_at alone and read the window's issues of every enterprise
    (a hundred times slower). SQLite picks the right index from the plain form, and would
    not use the range of the row form."""
    c = t.issues.c
    if as_row_range:
        at = tuple_(c.enterprise_code, c.received_at)
        window = [at >= tuple_(enterprise, since), at <= tuple_(enterprise, until)]
    else:
        window = [c.received_at >= since, c.received_at <= until]
    return (
        select(c.id, c.title, c.body, c.received_at)
        .where(
            c.enterprise_code == enterprise,
            *window,
            c.status != "rejected",
            c.status != "merged",
        )
        .order_by(c.received_at.desc(), c.id.desc())
        .limit(DUPLICATE_CANDIDATES)
    )


def _filed_one() -> Any:
    """The issue filed from source ``s`` with external id ``x`` (NULL: none, or none given)."""
    c = t.issues.c
    return (
        select(c.id)
        .where(
            c.source == bindparam("s", type_=String),
            c.external_id == bindparam("x", type_=String),
        )
        .scalar_subquery()
    )


def _insert_new(*columns: str) -> Any:
    return insert(t.issues).values({c: bindparam(c, type_=t.issues.c[c].type) for c in columns})


_RESERVE_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('issues', 'id')) FROM generate_series(1, :n)"
)


def _set_possible_duplicates() -> Any:
    return (
        update(t.issues)
        .where(t.issues.c.id == bindparam("b_id"))
        .values(
            possible_duplicates=bindparam("b_duplicates", type_=t.issues.c.possible_duplicates.type)
        )
    )


def _filtered(
    q: Any,
    status: Sequence[str] = (),
    enterprise: str | None = None,
    unit: str | None = None,
    category: int | None = None,
    suggested_category: int | None = None,
    severity: str | None = None,
    source: str | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    principal: Any = None,
) -> Any:
    c = t.issues.c
    if principal is not None and not principal.everywhere:  # what it may see (store/scope.py)
        from serviceframe.store.scope import issue_scope

        q = q.where(issue_scope(principal))
    if status:
        q = q.where(c.status.in_(list(status)))
    if enterprise:
        q = q.where(c.enterprise_code == enterprise)
    if unit:
        handled = select(t.issue_units.c.issue_id).where(t.issue_units.c.unit_id == unit)
        q = q.where(or_(c.id.in_(handled), c.received_by == unit))
    if category is not None:
        q = q.where(c.category == category)
    if suggested_category is not None:
        q = q.where(c.suggested_category == suggested_category)
    if severity:
        q = q.where(c.severity == severity)
    if source:
        q = q.where(c.source == source)
    if received_from:
        q = q.where(c.received_at >= received_from)
    if received_to:
        q = q.where(c.received_at < received_to)
    return q.order_by(c.id)
