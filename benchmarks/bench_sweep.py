"""The escalation sweep and trend detection on a large store.

    python benchmarks/bench_sweep.py [--backend sqlite|postgresql|both] [--issues 1000000]
                                     [--due-fraction 0.05] [--scale 200000,1000000]
                                     [--scale-due 10000] [--repeat 3]

The store is built directly with set-based SQL, not through the services (that would take
hours): ``INSERT … SELECT`` over ``generate_series`` on PostgreSQL and over a recursive CTE
on SQLite, joined to three small helper tables computed in Python from the loaded Jiaozuo
example (its 240 enterprises, its units and officials, the real routing decision of each
enterprise × topic × severity, and deadlines counted with the real working-day calendar).
Every issue that was accepted gets an ``issue_routing`` row with one of 50 topics (category
plus a concept of the topic map). The mix, by issue number:

- ``--due-fraction`` (5%) past a deadline, one missed deadline each: dispatched and not
  acknowledged in time (1/5), acknowledged without first feedback in time (1/5), in progress
  and not resolved in time (3/5); received up to ~3 months ago;
- ~17% open with deadlines still ahead (dispatched, acknowledged, in progress), ~1% received,
  ~1% accepted, ~2% resolved awaiting a rating, ~1% rejected;
- the rest (~73%) closed over the past year, with their (past) deadlines still on the row:
  the sweep must skip them by status, not by date.

Figures:

(a) ``escalate(app, now)``, first run: a supervision order for every missed deadline; seconds
    and due issues per second; also the sweep's own SQL (``RoutingRepository.breaches``);
(b) ``escalate`` again at the same moment: idempotent, nothing to do; its cost should follow
    the number of due issues (which it must look at), not of open ones;
(c) the baseline: the bare SQL selecting the due issues by status and due date
    (``SELECT id FROM issues WHERE status IN (…) AND resolve_due < ?`` and the two other
    deadlines, UNION ALL) on the driver's own connection; (a) and (b) as ratios of it;
(d) ``trends.detect(app, now)`` with a 30-day window (first run: clusters formed and every
    member linked; second run: nothing new), as ratios of the bare ``GROUP BY topic`` query
    it is built on.

Then the scaling check: a second store with the same number of due issues
(``--scale-due``) at two sizes (``--scale``), grown from the first size to the second by
adding issues that are open with future deadlines or closed; at each size the sweep's first
run (best of ``--repeat``, each after deleting the supervision orders and one untimed dry
run, so that caches are equally warm), its second run and the bare due query. If the sweep follows due issues,
the figures stay about the same while the store grows five times.

How long building each store took is printed separately. After each build, SQLite's
write-ahead log is checkpointed and PostgreSQL is VACUUM ANALYZEd (autovacuum would do it
soon after a bulk load), so that no measurement pays for the load; SQLite gets no ANALYZE
(the application never runs one).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from attrs import evolve
from common import (
    HELPDESK_PYTHON,
    NOW,
    Backend,
    Report,
    backend,
    backends,
    best_of,
    emit,
    header,
    helpdesk_peer,
    parser,
    quiet_warnings,
    say,
    server_version,
    timed,
    write_json,
)
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    text,
)

from serviceframe.app import App
from serviceframe.domain.categories import Category
from serviceframe.domain.enterprise import KeyLevel
from serviceframe.domain.organisation import Role, UnitKind
from serviceframe.domain.routing import (
    RouteDecision,
    RoutingError,
    RoutingFacts,
    Rung,
    decide,
    handling_level,
)
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.services.configured import deadline_rules, topic_map, work_calendar
from serviceframe.services.routing import escalate, organisation_of
from serviceframe.services.trends import detect
from serviceframe.store.database import make_engine
from serviceframe.store.routing_repository import BREACHES
from serviceframe.store.tables import UTCDateTime

TODAY = NOW.astimezone(SHANGHAI).date()
TOPICS = 50
VARIANTS = 360  # received dates/times per class of issue
WINDOW_DAYS = 30

# Classes of generated issues.
DUE_ACK, DUE_FEEDBACK, DUE_RESOLVE = 0, 1, 2
OPEN_DISPATCHED, OPEN_ACK, OPEN_PROGRESS = 3, 4, 5
RECEIVED, ACCEPTED, RESOLVED, REJECTED, CLOSED = 6, 7, 8, 9, 10
CLASSES = 11

# Issue number n -> selector: n % 97 for the issues that are not due (the shares below, in
# 97ths), 100 + (n / due_every) % 5 for the due ones.
SELECTOR: dict[int, int] = {
    **dict.fromkeys(range(0, 6), OPEN_DISPATCHED),
    **dict.fromkeys(range(6, 11), OPEN_ACK),
    **dict.fromkeys(range(11, 17), OPEN_PROGRESS),
    17: RECEIVED,
    18: ACCEPTED,
    19: RESOLVED,
    20: RESOLVED,
    21: REJECTED,
    **dict.fromkeys(range(22, 97), CLOSED),
    100: DUE_ACK,
    101: DUE_FEEDBACK,
    102: DUE_RESOLVE,
    103: DUE_RESOLVE,
    104: DUE_RESOLVE,
}

helpers = MetaData()
bench_class = Table(
    "bench_class",
    helpers,
    Column("sel", Integer, primary_key=True, autoincrement=False),
    Column("cls", Integer, nullable=False),
)
bench_profile = Table(
    "bench_profile",
    helpers,
    Column("pk", Integer, primary_key=True, autoincrement=False),
    Column("status", String(20), nullable=False),
    Column("classified", Boolean, nullable=False),
    Column("routed", Boolean, nullable=False),
    Column("has_lead", Boolean, nullable=False),
    Column("by_lead", Boolean, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("dispatched_at", UTCDateTime),
    Column("ack_due", Date),
    Column("acknowledged_at", UTCDateTime),
    Column("feedback_due", Date),
    Column("first_feedback_at", UTCDateTime),
    Column("resolve_due", Date),
    Column("resolved_at", UTCDateTime),
    Column("resolution", Text, nullable=False),
    Column("satisfaction", String(12)),
    Column("rated_at", UTCDateTime),
    Column("closed_at", UTCDateTime),
    Column("reject_reason", String(500), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
)
bench_topic = Table(
    "bench_topic",
    helpers,
    Column("t", Integer, primary_key=True, autoincrement=False),
    Column("category", Integer, nullable=False),
    Column("topic", String(100), nullable=False),
    Column("keyword", String(50), nullable=False),
)
bench_route = Table(
    "bench_route",
    helpers,
    Column("pk", Integer, primary_key=True, autoincrement=False),
    Column("enterprise_code", String(18), nullable=False),
    Column("name", String(200), nullable=False),
    Column("lead_unit", String(64), nullable=False),
    Column("level", String(6), nullable=False),
    Column("rung", String(24), nullable=False),
    Column("official", String(64)),
    Column("reason", String(500), nullable=False),
    Column("informed", JSON, nullable=False),
)


# --- building the store ------------------------------------------------------------------------


def at(day: date, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, 8, 0, tzinfo=SHANGHAI) + timedelta(minutes=minute)


def profiles(app: App) -> list[dict[str, Any]]:
    """One row per (class, severity, variant): the status and every date of such an issue,
    with deadlines counted in working days from its dispatch, as ``dispatch`` would."""
    rules = deadline_rules(app)
    calendar = work_calendar(app)
    rows: list[dict[str, Any]] = []

    cache: dict[tuple[date, int], date] = {}

    def due(start: datetime, n: int) -> date:
        key = (start.date(), n)  # Shanghai times: the date is the Shanghai date
        if key not in cache:
            cache[key] = calendar.add_workdays(start, n).due
        return cache[key]

    for cls in range(CLASSES):
        for sev in (0, 1):
            resolve_days = rules.resolve_major if sev else rules.resolve_general
            candidates = []
            for d in range(0, 365):
                received = at(TODAY - timedelta(days=d), 0)
                dispatched = received + timedelta(minutes=10)
                ack, feedback, resolve = (
                    due(dispatched, rules.acknowledge),
                    due(dispatched, rules.feedback),
                    due(dispatched, resolve_days),
                )
                ok = {
                    DUE_ACK: ack < TODAY <= feedback,
                    DUE_FEEDBACK: feedback < TODAY <= resolve,
                    DUE_RESOLVE: resolve < TODAY and d <= 90,
                    OPEN_DISPATCHED: ack >= TODAY,
                    OPEN_ACK: feedback >= TODAY,
                    OPEN_PROGRESS: resolve >= TODAY,
                    RECEIVED: d <= 1,
                    ACCEPTED: d <= 2,
                    RESOLVED: 4 <= d <= 60,
                    REJECTED: d >= 1,
                    CLOSED: d >= 5,
                }[cls]
                if ok:
                    candidates.append(d)
            assert candidates, (cls, sev)
            for v in range(VARIANTS):
                d = candidates[(v * 7) % len(candidates)]
                rows.append(profile(cls, sev, v, d, rules, resolve_days, due))
    return rows


def profile(
    cls: int, sev: int, v: int, d: int, rules: Any, resolve_days: int, due: Any
) -> dict[str, Any]:
    received = at(TODAY - timedelta(days=d), (v * 13) % 90)
    dispatched = received + timedelta(minutes=10)
    status = {
        DUE_ACK: "dispatched",
        DUE_FEEDBACK: "acknowledged",
        DUE_RESOLVE: "in_progress",
        OPEN_DISPATCHED: "dispatched",
        OPEN_ACK: "acknowledged",
        OPEN_PROGRESS: "in_progress",
        RECEIVED: "received",
        ACCEPTED: "accepted",
        RESOLVED: "resolved",
        REJECTED: "rejected",
        CLOSED: "closed",
    }[cls]
    row: dict[str, Any] = {
        "pk": (cls * 2 + sev) * VARIANTS + v,
        "status": status,
        "classified": cls != RECEIVED and cls != REJECTED,
        "routed": cls not in (RECEIVED, REJECTED),
        "has_lead": cls not in (RECEIVED, ACCEPTED, REJECTED),
        "by_lead": cls not in (RECEIVED, ACCEPTED, REJECTED, DUE_ACK, OPEN_DISPATCHED),
        "received_at": received,
        "dispatched_at": None,
        "ack_due": None,
        "acknowledged_at": None,
        "feedback_due": None,
        "first_feedback_at": None,
        "resolve_due": None,
        "resolved_at": None,
        "resolution": "",
        "satisfaction": None,
        "rated_at": None,
        "closed_at": None,
        "reject_reason": "",
        "updated_at": received,
        "version": 1,
    }
    if cls == ACCEPTED:
        row |= {"updated_at": received + timedelta(minutes=5), "version": 2}
    if cls == REJECTED:
        row |= {
            "reject_reason": "不属于服务工业企业范围,已告知企业通过12345转相关部门",
            "updated_at": received + timedelta(hours=1),
            "version": 2,
        }
    if row["has_lead"]:
        row |= {
            "dispatched_at": dispatched,
            "ack_due": due(dispatched, rules.acknowledge),
            "feedback_due": due(dispatched, rules.feedback),
            "resolve_due": due(dispatched, resolve_days),
            "updated_at": dispatched,
            "version": 3,
        }
    if row["by_lead"]:
        row |= {"acknowledged_at": received + timedelta(minutes=20), "version": 4}
        row["updated_at"] = row["acknowledged_at"]
    if cls in (DUE_RESOLVE, OPEN_PROGRESS):
        row |= {"first_feedback_at": received + timedelta(minutes=30), "version": 5}
        row["updated_at"] = row["first_feedback_at"]
    if cls in (RESOLVED, CLOSED):
        row |= {
            "first_feedback_at": received + timedelta(days=1),
            "resolved_at": received + timedelta(days=3),
            "resolution": "已协调相关部门办结,企业诉求已解决。",
            "updated_at": received + timedelta(days=3),
            "version": 6,
        }
    if cls == CLOSED:
        row |= {
            "satisfaction": "basic" if v % 5 == 0 else "satisfied",
            "rated_at": received + timedelta(days=4),
            "closed_at": received + timedelta(days=4),
            "updated_at": received + timedelta(days=4),
            "version": 7,
        }
    return row


def topics(app: App) -> list[tuple[int, str, str]]:
    """50 topics as the built-in topic hook names them: (category, "category:concept", a word
    of the concept), taking each category's concepts in turn."""
    concepts = sorted(
        (i, int(category), concept)
        for category, listed in topic_map(app).concepts.items()
        for i, concept in enumerate(listed)
    )
    return [(c, f"{c}:{concept.name}", concept.words[0]) for _, c, concept in concepts[:TOPICS]]


def routes(app: App) -> tuple[list[dict[str, Any]], int, str]:
    """One row per enterprise × category × severity: the lead unit and the routing decision
    the built-in router makes for it. Returns (rows, number of enterprises, the city office)."""
    with app.uow() as uow:
        org = organisation_of(app, uow)
        ents = list(
            uow.connection.execute(
                text(
                    "SELECT credit_code, name, jurisdiction_code, key_level FROM enterprises "
                    "ORDER BY credit_code"
                )
            )
        )
    office = org.group_of(org.root.code).office  # type: ignore[union-attr]
    heads = {o.unit for o in org.officials if o.role is Role.DEPARTMENT_HEAD and o.active}
    units_at: dict[str, list[str]] = {}
    for u in sorted(org.units, key=lambda u: u.id):
        if u.active and u.kind is not UnitKind.GOVERNMENT and u.id in heads:
            units_at.setdefault(u.jurisdiction, []).append(u.id)
    rows = []
    decided: dict[tuple[Any, ...], RouteDecision] = {}
    for e, (code, name, county, key_level) in enumerate(ents):
        for category in range(1, 10):
            for sev in (0, 1):
                facts = RoutingFacts(
                    Category(category),
                    "major" if sev else "general",
                    False,
                    county,
                    KeyLevel(key_level),
                )
                level, _ = handling_level(org, facts)
                candidates = units_at.get(level) or units_at[org.root.code]
                lead = candidates[(category * 7 + e) % len(candidates)]
                key = (county, key_level, category, sev, lead)
                if key not in decided:
                    try:
                        decided[key] = decide(org, evolve(facts, lead_unit=lead))
                    except RoutingError:
                        decided[key] = RouteDecision(level, Rung.LEAD_UNIT, None, "主办单位负责")
                d = decided[key]
                rows.append(
                    {
                        "pk": (e * 9 + category - 1) * 2 + sev,
                        "enterprise_code": code,
                        "name": name,
                        "lead_unit": lead,
                        "level": d.level,
                        "rung": d.rung.value,
                        "official": d.official,
                        "reason": d.reason,
                        "informed": list(d.informed),
                    }
                )
    return rows, len(ents), office


_HELPER_ROWS: dict[str, Any] = {}


class Store:
    """Generates issues into one database, in blocks, with set-based SQL."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.dialect = app.engine.dialect.name
        self.size = 0
        self.helper_seconds, _ = timed(self._helpers)

    def _helpers(self) -> None:
        # The rows depend on the Jiaozuo example only: computed once per backend and run.
        key = self.dialect
        if key not in _HELPER_ROWS:
            with quiet_warnings():
                _HELPER_ROWS[key] = (profiles(self.app), *routes(self.app), topics(self.app))
        profile_rows, route_rows, self.enterprises, self.office, topic_rows = _HELPER_ROWS[key]
        with self.app.engine.begin() as conn:
            helpers.drop_all(conn)
            helpers.create_all(conn)
            conn.execute(insert(bench_class), [{"sel": s, "cls": c} for s, c in SELECTOR.items()])
            conn.execute(insert(bench_profile), profile_rows)
            conn.execute(insert(bench_route), route_rows)
            conn.execute(
                insert(bench_topic),
                [
                    {"t": t, "category": c, "topic": topic, "keyword": k}
                    for t, (c, topic, k) in enumerate(topic_rows)
                ],
            )

    def _gen(self) -> str:
        # s: one row per new issue with everything the joins need, computed from its number n.
        s = (
            "SELECT :first + n AS id, n,"
            " CASE WHEN n % :due_every = 0 THEN 100 + (n / :due_every) % 5 ELSE n % 97 END AS sel,"
            " CASE WHEN (n / 7) % 10 = 3 THEN 1 ELSE 0 END AS sev,"
            f" (n * 7919 + n / {VARIANTS}) % {VARIANTS} AS v,"
            f" n % :ents AS e, (n / 3) % {TOPICS} AS t"
        )
        if self.dialect == "postgresql":
            return f"WITH s AS ({s} FROM generate_series(CAST(1 AS BIGINT), :count) AS g(n))"
        return (
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :count),"
            f" s AS ({s} FROM g)"
        )

    JOINS = (
        " FROM s JOIN bench_class c ON c.sel = s.sel"
        f" JOIN bench_profile p ON p.pk = (c.cls * 2 + s.sev) * {VARIANTS} + s.v"
        " JOIN bench_topic tp ON tp.t = s.t"
        " JOIN bench_route r ON r.pk = (s.e * 9 + tp.category - 1) * 2 + s.sev"
    )

    def add(self, count: int, due_every: int | None) -> float:
        """Add ``count`` issues, every ``due_every``-th past a deadline (None: none due).
        Returns the seconds taken, index builds, checkpoint and VACUUM ANALYZE included."""
        params = {
            "first": self.size,
            "count": count,
            "due_every": due_every or count + 1,
            "ents": self.enterprises,
            "office": self.office,
        }
        issues_sql = (
            f"{self._gen()} INSERT INTO issues (id, enterprise_code, source, external_id,"
            " origin, title, body, status, category, suggested_category, severity, received_at,"
            " received_by, owner, lead_unit, dispatched_at, ack_due, ack_provisional,"
            " acknowledged_at, feedback_due, feedback_provisional, first_feedback_at,"
            " resolve_due, resolve_provisional, resolved_at, resolution, round, redo_count,"
            " satisfaction, rated_at, closed_at, reject_reason, merged_into, duplicates,"
            " possible_duplicates, updated_at, version)"
            " SELECT s.id, r.enterprise_code,"
            " CASE s.n % 4 WHEN 0 THEN 'hotline' WHEN 1 THEN 'portal'"
            " WHEN 2 THEN 'self_declared' ELSE 'visit' END,"
            " 'bench-' || CAST(s.id AS TEXT), NULL, tp.keyword || '方面的问题',"
            " r.name || '反映:近期在' || tp.keyword || '方面遇到困难,影响正常生产经营,"
            "恳请有关部门协调解决。', p.status,"
            " CASE WHEN p.classified THEN tp.category ELSE 0 END, tp.category,"
            " CASE WHEN s.sev = 1 THEN 'major' ELSE 'general' END, p.received_at,"
            " :office, CASE WHEN p.by_lead THEN r.lead_unit ELSE :office END,"
            " CASE WHEN p.has_lead THEN r.lead_unit END, p.dispatched_at,"
            " p.ack_due, FALSE, p.acknowledged_at, p.feedback_due, FALSE, p.first_feedback_at,"
            " p.resolve_due, FALSE, p.resolved_at, p.resolution, 1, 0, p.satisfaction,"
            " p.rated_at, p.closed_at, p.reject_reason, NULL, 0, '[]', p.updated_at, p.version"
            f"{self.JOINS}"
        )
        routing_sql = (
            f"{self._gen()} INSERT INTO issue_routing (issue_id, level, rung, official, reason,"
            " informed, escalations, topic, cluster_id, agenda_item_id, decision, updated_at)"
            " SELECT s.id, r.level, r.rung, r.official, r.reason, r.informed, 0, tp.topic,"
            " NULL, NULL, '', p.updated_at"
            f"{self.JOINS} WHERE p.routed"
        )

        # A connection of its own: a big page cache for the load (SQLite), which the
        # application's connections, the ones measured, do not get.
        engine = make_engine(self.app.engine.url.render_as_string(hide_password=False))

        def run() -> None:
            with engine.begin() as conn:
                if self.dialect == "sqlite":
                    conn.execute(text("PRAGMA cache_size = -1048576"))  # 1 GiB
                    conn.execute(text("PRAGMA synchronous = OFF"))
                else:
                    conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
                # Loading a large block into tables with a dozen indexes in random order is
                # many times slower than building the indexes afterwards (SQLite: ~5×).
                indexes = secondary_indexes(conn, ["issues", "issue_routing"])
                for name, _ in indexes:
                    conn.execute(text(f'DROP INDEX "{name}"'))
                conn.execute(text(issues_sql), params)
                conn.execute(text(routing_sql), params)
                for _, ddl in indexes:
                    conn.execute(text(ddl))
            # Leave the store as a running system would have it, so that no measurement pays
            # for the load: SQLite's write-ahead log checkpointed (else the first commit that
            # follows copies the whole load into the database file), PostgreSQL vacuumed and
            # analysed (hint bits set, visibility map and statistics up to date).
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                if self.dialect == "sqlite":
                    conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
                else:
                    conn.execute(text("VACUUM ANALYZE"))

        try:
            seconds, _ = timed(run)
        finally:
            engine.dispose()
        self.size += count
        return seconds

    def drop_helpers(self) -> None:
        with self.app.engine.begin() as conn:
            helpers.drop_all(conn)


def secondary_indexes(conn: Any, tables: Sequence[str]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the indexes of ``tables`` that are not constraints."""
    if conn.dialect.name == "sqlite":
        q = (
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            f" AND tbl_name IN ({', '.join(repr(t) for t in tables)}) ORDER BY name"
        )
    else:
        q = (
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            f" AND tablename IN ({', '.join(repr(t) for t in tables)})"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint) ORDER BY indexname"
        )
    return [(name, ddl) for name, ddl in conn.execute(text(q))]


# --- the bare queries --------------------------------------------------------------------------


def bare(app: App, sql: str, params: Sequence[Any]) -> list[Any]:
    """Run ``sql`` on the driver's own connection and fetch every row."""
    if app.engine.dialect.name == "postgresql":
        sql = sql.replace("?", "%s")
    conn = app.engine.raw_connection()
    try:
        cur = conn.cursor()
        cur.execute(sql, tuple(params))
        rows = cur.fetchall()
        cur.close()
        conn.rollback()
        return rows
    finally:
        conn.close()


def db_value(app: App, value: datetime | date) -> Any:
    """A parameter for the bare driver: SQLite stores SQLAlchemy's text forms."""
    if app.engine.dialect.name != "sqlite":
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value.isoformat()


def due_query(app: App) -> tuple[str, list[Any]]:
    """The due issues by status and due date: one indexed range per deadline, as ids."""
    parts, params = [], []
    for _name, column, still_open in BREACHES:  # the same partial-index conditions
        parts.append(f"SELECT id FROM issues WHERE {still_open} AND {column} < ?")
        params.append(db_value(app, TODAY))
    return " UNION ALL ".join(parts), params


def raw_due(app: App) -> int:
    sql, params = due_query(app)
    return len(bare(app, sql, params))


def raw_trends(app: App, since: datetime) -> int:
    """The GROUP BY topic that trend detection is built on, with its thresholds."""
    sql = (
        "SELECT r.topic, MIN(i.category), COUNT(DISTINCT i.enterprise_code),"
        " COUNT(DISTINCT e.jurisdiction_code), COUNT(*)"
        " FROM issues i JOIN issue_routing r ON r.issue_id = i.id"
        " JOIN enterprises e ON e.credit_code = i.enterprise_code"
        " WHERE i.received_at >= ? AND i.status NOT IN ('rejected', 'merged')"
        " AND r.topic IS NOT NULL GROUP BY r.topic"
        " HAVING COUNT(DISTINCT i.enterprise_code) >= 5"
        " AND COUNT(DISTINCT e.jurisdiction_code) >= 2 ORDER BY r.topic"
    )
    return len(bare(app, sql, [db_value(app, since)]))


def sweep_query(app: App) -> int:
    """The sweep's own SQL (RoutingRepository.breaches), through the repository."""
    with app.uow() as uow:
        return len(uow.routing.breaches(TODAY))


def store_facts(app: App) -> dict[str, int]:
    since = db_value(app, NOW - timedelta(days=WINDOW_DAYS))
    rows = bare(app, "SELECT status, COUNT(*) FROM issues GROUP BY status", [])
    facts = {f"status {s}": int(n) for s, n in sorted(rows)}
    facts["issues"] = sum(v for v in facts.values())
    facts["open (not closed/resolved/rejected/merged)"] = sum(
        facts.get(f"status {s}", 0)
        for s in ("received", "accepted", "dispatched", "acknowledged", "in_progress", "redo")
    )
    facts["due (past a deadline)"] = raw_due(app)
    facts["routing rows"] = bare(app, "SELECT COUNT(*) FROM issue_routing", [])[0][0]
    facts[f"received in the last {WINDOW_DAYS} days"] = bare(
        app, "SELECT COUNT(*) FROM issues WHERE received_at >= ?", [since]
    )[0][0]
    return facts


# --- the runs ----------------------------------------------------------------------------------


def main_store(b: Backend, args: Any, collected: list[dict[str, Any]]) -> None:
    due_every = max(1, round(1 / args.due_fraction)) if args.due_fraction > 0 else None
    with b.fresh() as app:
        build = Report(
            f"Building the store on {b.name} (set-based SQL; not part of the figures)",
            "rate",
            "",
        )
        say(f"{b.name}: helper tables (routing decisions, deadline profiles)")
        store = Store(app)
        build.add("helper tables (Python: routing, calendar)", store.helper_seconds)
        say(f"{b.name}: generating {args.issues:,} issues, 1 in {due_every} due")
        seconds = store.add(args.issues, due_every)
        build.add("issues + issue_routing, INSERT … SELECT", seconds, args.issues, "issues")
        store.drop_helpers()
        facts = store_facts(app)
        for k, v in facts.items():
            build.note(f"{k}: {v:,}")
        build.note(f"server: {server_version(app)}")
        emit(build, collected, b.name)
        due = facts["due (past a deadline)"]

        sweep = Report(
            f"Escalation sweep on {b.name}: {facts['issues']:,} issues, {due:,} due",
            "time",
            "bare due query",
        )
        say(f"{b.name}: (c) bare due query, best of {args.repeat}")
        seconds, n = best_of(args.repeat, lambda: raw_due(app))
        sweep.add("(c) bare SQL: ids of due issues by status/due", seconds, n, "issues", True)
        say(f"{b.name}: the sweep's own query, best of {args.costly_repeat}")
        seconds, n = best_of(args.costly_repeat, lambda: sweep_query(app))
        sweep.add("    sweep's SQL (breaches), before the first run", seconds, n, "breaches")
        say(f"{b.name}: (a) escalate, first run")
        cpu = time.process_time()
        seconds, done = timed(lambda: escalate(app, NOW))
        first = sweep.add("(a) escalate, first run", seconds, len(done), "orders")
        first["cpu_seconds"] = time.process_time() - cpu
        say(f"{b.name}: (b) escalate, second run, best of {args.repeat}")
        seconds, again = best_of(args.repeat, lambda: escalate(app, NOW))
        assert again == [], f"second run escalated {len(again)}"
        sweep.add("(b) escalate, second run (idempotent)", seconds, due, "due issues")
        seconds, n = best_of(args.repeat, lambda: sweep_query(app))
        sweep.add("    sweep's SQL (breaches), after the first run", seconds, n, "breaches")
        sweep.note(
            f"(a) supervised {len(done):,} missed deadlines of {len({e.issue for e in done}):,} "
            f"issues; {sum(e.moved for e in done):,} moved up a rung"
        )
        peer(b, args, sweep, first)
        emit(sweep, collected, b.name)
        if args.skip_trends:
            return

        since = NOW - timedelta(days=WINDOW_DAYS)
        trends = Report(
            f"Trend detection on {b.name}: {WINDOW_DAYS}-day window, "
            f"{facts[f'received in the last {WINDOW_DAYS} days']:,} issues in it",
            "time",
            "bare GROUP BY",
        )
        say(f"{b.name}: (d) bare GROUP BY topic, best of {args.costly_repeat}")
        seconds, n = best_of(args.costly_repeat, lambda: raw_trends(app, since))
        trends.add("bare SQL: GROUP BY topic with thresholds", seconds, n, "topics", True)
        say(f"{b.name}: (d) detect, first run")
        seconds, changes = timed(lambda: detect(app, NOW, window_days=WINDOW_DAYS))
        linked = sum(len(c.new_members) for c in changes)
        trends.add("(d) trends.detect, first run", seconds, linked, "members linked")
        say(f"{b.name}: (d) detect, second run, best of {args.costly_repeat}")
        seconds, again_changes = best_of(
            args.costly_repeat, lambda: detect(app, NOW, window_days=WINDOW_DAYS)
        )
        trends.add(
            "(d) trends.detect, second run (nothing new)",
            seconds,
            sum(len(c.new_members) for c in again_changes),
            "members linked",
        )
        trends.note(
            f"first run: {sum(c.kind == 'formed' for c in changes)} clusters formed, "
            f"{linked:,} issues linked"
        )
        emit(trends, collected, b.name)


def peer(b: Backend, args: Any, report: Report, first: dict[str, Any]) -> None:
    """django-helpdesk's ``escalate_tickets`` on as many tickets (at most ``--peer-tickets``):
    the goal is a first run at least 100 times as fast per escalated item."""
    n = min(first["count"] or 0, args.peer_tickets)
    if n == 0:
        return
    say(f"{b.name}: django-helpdesk escalate_tickets, {n:,} tickets")
    result = helpdesk_peer(b, args.helpdesk_python, "--escalate", str(n))
    if result is None:
        report.note(f"django-helpdesk peer not run: no {args.helpdesk_python}")
        return
    row = report.add(
        "    django-helpdesk 2.6.1 escalate_tickets (peer)",
        result["seconds"],
        result["escalated"],
        "tickets",
    )
    row["cpu_seconds"] = result["cpu_seconds"]
    for what in ("seconds", "cpu_seconds"):
        ours, theirs = first[what] / first["count"], row[what] / row["count"]
        report.note(
            f"per escalated item, {'wall' if what == 'seconds' else 'CPU of the process'}: "
            f"escalate {ours * 1000:.3f} ms, django-helpdesk {theirs * 1000:.2f} ms: "
            f"{theirs / ours:.0f}× as fast (goal ≥ 100×)"
        )


def scaling(b: Backend, args: Any, collected: list[dict[str, Any]]) -> None:
    sizes = sorted(args.scale)
    due_every = max(1, sizes[0] // args.scale_due)
    report = Report(
        f"Sweep cost vs store size on {b.name}: {args.scale_due:,} due issues at every size",
        "time",
        "bare due query",
    )
    build = Report(f"Building the scaling store on {b.name}", "rate", "")
    with b.fresh() as app:
        say(f"{b.name}: scaling store, helper tables")
        store = Store(app)
        previous = 0
        for size in sizes:
            say(f"{b.name}: scaling store, growing to {size:,}")
            seconds = store.add(size - previous, due_every if previous == 0 else None)
            build.add(f"{previous:,} → {size:,} issues", seconds, size - previous, "issues")
            previous = size
            facts = store_facts(app)
            due = facts["due (past a deadline)"]
            open_ = facts["open (not closed/resolved/rejected/merged)"]
            label = f"{facts['issues']:,} issues, {open_:,} open, {due:,} due"

            def again_first() -> None:
                """Undo the first run's orders, so that the next run is a first run again
                (the issues climb one more rung: the same work), and warm the caches."""
                with app.engine.begin() as conn:
                    conn.execute(text("DELETE FROM supervision_orders"))
                escalate(app, NOW, dry_run=True)

            seconds, n = best_of(args.repeat, lambda: raw_due(app))
            base = report.add(f"{label}: bare due query", seconds, n, "issues", True)
            say(f"{b.name}: {size:,}: escalate first run, best of {args.costly_repeat}")
            seconds, done = best_of(
                args.costly_repeat, lambda: escalate(app, NOW), setup=again_first
            )
            same = {"ratio_to": base["label"], "ratio_name": "bare query, same store"}
            report.add(f"{label}: escalate, first run", seconds, len(done), "orders", **same)
            say(f"{b.name}: {size:,}: escalate second run")
            seconds, again = best_of(args.repeat, lambda: escalate(app, NOW))
            assert again == []
            report.add(f"{label}: escalate, second run", seconds, due, "due", **same)
            seconds, n = best_of(args.repeat, lambda: sweep_query(app))
            report.add(f"{label}: sweep's SQL, second run", seconds, n, "breaches", **same)
        store.drop_helpers()
    emit(build, collected, b.name)
    first = [r for r in report.rows if r["label"].endswith("first run")]
    second = [r for r in report.rows if r["label"].endswith("escalate, second run")]
    if len(first) >= 2 and len(second) >= 2:
        report.note(
            f"store {sizes[-1] / sizes[0]:.0f}× larger: first run {first[-1]['seconds'] / first[0]['seconds']:.2f}×, "
            f"second run {second[-1]['seconds'] / second[0]['seconds']:.2f}× the time at {sizes[0]:,}"
        )
    emit(report, collected, b.name)


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--issues", type=int, default=1_000_000, help="issues in the main store")
    p.add_argument(
        "--due-fraction", type=float, default=0.05, help="share of issues past a deadline"
    )
    p.add_argument(
        "--scale",
        type=lambda s: [int(x) for x in s.split(",")],
        default=None,
        help="store sizes of the scaling check (default: issues/5,issues)",
    )
    p.add_argument(
        "--scale-due", type=int, default=None, help="due issues in it (default: issues/100)"
    )
    p.add_argument("--skip-main", action="store_true", help="only the scaling check")
    p.add_argument(
        "--costly-repeat",
        type=int,
        default=3,
        help="best of this many, for the repeatable runs that take seconds",
    )
    p.add_argument(
        "--peer-tickets",
        type=int,
        default=1000,
        help="tickets django-helpdesk escalates (0: not run)",
    )
    p.add_argument(
        "--helpdesk-python",
        default=HELPDESK_PYTHON,
        help="a Python with django-helpdesk 2.6.1 installed (see helpdesk_peer.py)",
    )
    p.set_defaults(repeat=5)
    p.add_argument("--skip-scaling", action="store_true", help="only the main store")
    p.add_argument("--skip-trends", action="store_true", help="no trend detection")
    args = p.parse_args(argv)
    args.scale = args.scale or [max(1, args.issues // 5), args.issues]
    args.scale_due = args.scale_due or max(1, args.issues // 100)
    header("bench_sweep", args)
    collected: list[dict[str, Any]] = []
    for name in backends(args):
        with backend(name, args.pg_url) as b:
            say(f"{name}: building the Jiaozuo template")
            b.template()
            if not args.skip_main:
                main_store(b, args, collected)
            if not args.skip_scaling:
                scaling(b, args, collected)
    write_json(args.json, collected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
