"""The circular and the assessment on a large store, against the bare SQL for the same figures.

    python benchmarks/bench_reports.py [--backend sqlite|postgresql|both] [--issues 1000000]
                                       [--repeat 3] [--skip-render]

The store is a year (2026) of issues of the bundled Jiaozuo example's 240 enterprises, handed
to its departments, loaded with the driver's bulk path (``COPY`` on PostgreSQL, ``executemany``
on SQLite; not part of the figures): by issue number, 1 in 20 each received, accepted,
dispatched, acknowledged, in progress, resolved awaiting a rating, back for redo and rejected,
the rest closed; every 7th has a co-handling unit; every closed issue is rated (every 6th
after an unsatisfied first round, so it has two ratings); every 11th has a supervision order,
half of them moving the issue up a rung; ten widespread clusters.

Figures, each the best of ``--repeat``, first at a tenth of ``--issues`` and then at the full
size (the store is grown in between), as ratios of the bare SQL on the driver's own connection
computing the same figures in the same run:

(a) ``circular_figures(app, "2026-Q4")``: the received-in-period figures in total, for the
    quarter before, by category and by jurisdiction; overdue and supervised by unit, the 20
    longest overdue, the clusters; and the assessment of the quarter (units and officials);
    baseline: the same 16 grouped queries as SQL text;
(b) ``assess(app, "2026")``: the year's assessment; baseline: its 6 grouped queries;
(c) peak Python memory (tracemalloc) of (a) and (b), at both sizes: flat means it does not
    grow with the number of issues;
(d) unless ``--skip-render``: ``report run circular`` as XLSX and as HTML (matplotlib draws
    five charts), in seconds, as ratios of (a).

Before timing, the totals of (a) are checked against its baseline's, so both compute the same.
"""

from __future__ import annotations

import sys
import tempfile
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, ClassVar

from bench_sweep import bare, secondary_indexes
from common import (
    Backend,
    Report,
    backend,
    backends,
    best_of,
    emit,
    header,
    parser,
    quiet_warnings,
    say,
    server_version,
    timed,
    write_json,
)
from sqlalchemy import text

from serviceframe.app import App
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.services.assessment import assess
from serviceframe.services.circular import circular_figures
from serviceframe.store.database import make_engine

YEAR_START = datetime(2026, 1, 1, 8, 0, tzinfo=SHANGHAI)
DAYS = 320  # received from 1 January to 16 November 2026
TODAY = date(2026, 11, 16)
OPEN = "'dispatched', 'acknowledged', 'in_progress', 'redo'"
STATUSES = (
    "received",
    "accepted",
    "dispatched",
    "acknowledged",
    "in_progress",
    "resolved",
    "redo",
    "rejected",
)
ISSUE_COLUMNS = (
    "id, enterprise_code, source, external_id, origin, title, body, status, category,"
    " suggested_category, severity, received_at, received_by, owner, lead_unit, dispatched_at,"
    " ack_due, ack_provisional, acknowledged_at, feedback_due, feedback_provisional,"
    " first_feedback_at, resolve_due, resolve_provisional, resolved_at, resolution, round,"
    " redo_count, satisfaction, rated_at, closed_at, reject_reason, merged_into, duplicates,"
    " possible_duplicates, updated_at, version"
)


# --- the store -----------------------------------------------------------------------------------


class Store:
    """Generates issues and everything hanging off them, in blocks, with the bulk path."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.size = 0
        self.order_id = 0
        with app.engine.connect() as conn:
            self.enterprises = [
                r[0] for r in conn.execute(text("SELECT credit_code FROM enterprises ORDER BY 1"))
            ]
            self.units = [
                r[0]
                for r in conn.execute(
                    text("SELECT id FROM units WHERE kind = 'department' ORDER BY id")
                )
            ]
            self.leaders = [
                r[0]
                for r in conn.execute(
                    text(
                        "SELECT id FROM officials WHERE role IN"
                        " ('vice_mayor', 'executive_vice_mayor') ORDER BY id"
                    )
                )
            ]
            self.office = conn.execute(
                text("SELECT office_unit_id FROM leading_groups WHERE jurisdiction_code = '410800'")
            ).scalar_one()
        with app.engine.begin() as conn:
            for n in range(1, 11):
                conn.execute(
                    text(
                        "INSERT INTO clusters (id, topic, category, level, rung, official, reason,"
                        " status, created_at, resolution) VALUES (:id, :topic, 1, '410800',"
                        " 'executive_vice_mayor', NULL, '', :status, :at, '')"
                    ),
                    {
                        "id": n,
                        "topic": f"1:话题{n}",
                        "status": "open" if n % 2 else "resolved",
                        "at": self._time(datetime(2026, n, 10, 9, tzinfo=SHANGHAI)),
                    },
                )

    def _time(self, moment: datetime | None) -> Any:
        """SQLite keeps SQLAlchemy's text form of UTC; PostgreSQL takes the value."""
        if moment is None or self.app.engine.dialect.name != "sqlite":
            return moment
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def _day(self, day: date | None) -> Any:
        if day is None or self.app.engine.dialect.name != "sqlite":
            return day
        return day.isoformat()

    def rows(self, first: int, count: int) -> dict[str, list[tuple[Any, ...]]]:
        t, d = self._time, self._day
        out: dict[str, list[tuple[Any, ...]]] = {
            k: [] for k in ("issues", "issue_units", "ratings", "routing", "orders")
        }
        units, leaders, ents = self.units, self.leaders, self.enterprises
        for n in range(first + 1, first + count + 1):
            kind = n % 20
            status = STATUSES[kind] if kind < 8 else "closed"
            received = YEAR_START + timedelta(days=(n * 7) % DAYS, minutes=n % 540)
            day = received.astimezone(SHANGHAI).date()
            lead = units[n % len(units)] if kind >= 2 and kind != 7 else None
            dispatched = received + timedelta(minutes=10) if lead else None
            ack_due, feedback_due, resolve_due = (
                (day + timedelta(days=1), day + timedelta(days=3), day + timedelta(days=9))
                if lead
                else (None, None, None)
            )
            acknowledged = (
                received + timedelta(hours=2 if n % 17 else 50) if kind >= 3 and lead else None
            )
            fed_back = received + timedelta(days=1) if kind >= 4 and lead else None
            two_rounds = status == "closed" and (n // 20) % 6 == 0
            resolved = None
            if status in ("resolved", "closed"):
                resolved = received + timedelta(days=8 if two_rounds else n % 12)
            final = None
            if status == "closed":
                final = "satisfied" if (n * 7) % 10 < 8 else "basic"
            elif status == "redo":
                final = "unsatisfied"
            rated = resolved + timedelta(days=1) if final and resolved else None
            if status == "redo":
                rated = received + timedelta(days=4)
            out["issues"].append(
                (
                    n,
                    ents[n % len(ents)],
                    ("hotline", "portal", "visit", "letter")[n % 4],
                    f"bench-{n}",
                    None,
                    "企业用电、融资方面的问题",
                    "近期在生产要素保障方面遇到困难,影响正常生产经营,恳请有关部门协调解决。",
                    status,
                    1 + n % 9 if kind != 0 else 0,
                    1 + n % 9,
                    "general",
                    t(received),
                    self.office,
                    lead if acknowledged else self.office,
                    lead,
                    t(dispatched),
                    d(ack_due),
                    False,
                    t(acknowledged),
                    d(feedback_due),
                    False,
                    t(fed_back),
                    d(resolve_due + timedelta(days=12)) if status == "redo" else d(resolve_due),
                    False,
                    t(resolved),
                    "已协调解决" if resolved else "",
                    2 if (two_rounds or status == "redo") else 1,
                    1 if (two_rounds or status == "redo") else 0,
                    final,
                    t(rated),
                    t(rated) if status == "closed" else None,
                    "不属于服务范围" if status == "rejected" else "",
                    None,
                    0,
                    "[]",
                    t(rated or resolved or acknowledged or dispatched or received),
                    3,
                )
            )
            if lead:
                out["issue_units"].append((n, lead, "lead"))
                if n % 7 == 0:
                    out["issue_units"].append((n, units[(n + 5) % len(units)], "co"))
            if two_rounds:
                out["ratings"].append(
                    (n, 1, "unsatisfied", "", t(received + timedelta(days=4)), ents[0], lead)
                )
                out["ratings"].append((n, 2, final, "", t(rated), ents[0], lead))
            elif final:
                out["ratings"].append((n, 1, final, "", t(rated), ents[0], lead))
            if kind not in (0, 7):
                leader = leaders[n % len(leaders)]
                cluster = (n // 5000) % 10 + 1 if n % 5000 == 0 else None
                out["routing"].append(
                    (
                        n,
                        "410800",
                        "vice_mayor",
                        leader,
                        "",
                        "[]",
                        0,
                        None,
                        cluster,
                        None,
                        "",
                        t(received),
                    )
                )
            if lead and n % 11 == 0 and resolve_due and resolve_due < TODAY:
                self.order_id += 1
                moved = n % 22 == 0
                out["orders"].append(
                    (
                        self.order_id,
                        n,
                        "resolve",
                        1,
                        d(resolve_due),
                        lead,
                        None,
                        "410800",
                        "vice_mayor",
                        leaders[n % len(leaders)],
                        "410800",
                        "executive_vice_mayor" if moved else "vice_mayor",
                        None,
                        t(datetime.combine(resolve_due + timedelta(days=1), time(9), SHANGHAI)),
                        "bench",
                    )
                )
        return out

    TABLES: ClassVar[dict[str, tuple[str, str]]] = {
        "issues": ("issues", ISSUE_COLUMNS),
        "issue_units": ("issue_units", "issue_id, unit_id, role"),
        "ratings": (
            "ratings",
            "issue_id, round, satisfaction, comment, rated_at, rated_by, lead_unit",
        ),
        "routing": (
            "issue_routing",
            "issue_id, level, rung, official, reason, informed, escalations, topic, cluster_id,"
            " agenda_item_id, decision, updated_at",
        ),
        "orders": (
            "supervision_orders",
            "id, issue_id, deadline, round, due, overdue_unit, overdue_official, from_level,"
            " from_rung, from_official, to_level, to_rung, to_official, created_at, actor",
        ),
    }

    def add(self, count: int, block: int = 50_000) -> float:
        """Add ``count`` issues; the seconds taken, index builds and VACUUM included."""
        engine = make_engine(self.app.engine.url.render_as_string(hide_password=False))
        dialect = engine.dialect.name

        def load() -> None:
            raw = engine.raw_connection()
            try:
                cur = raw.cursor()
                tables = [t for t, _ in self.TABLES.values()]
                if dialect == "sqlite":
                    cur.execute("PRAGMA cache_size = -1048576")
                    cur.execute("PRAGMA synchronous = OFF")
                    cur.execute("PRAGMA foreign_keys = OFF")
                indexes = _indexes(engine, tables)
                for name, _ in indexes:
                    cur.execute(f'DROP INDEX "{name}"')
                for first in range(self.size, self.size + count, block):
                    rows = self.rows(first, min(block, self.size + count - first))
                    for key, (table, columns) in self.TABLES.items():
                        _load(cur, dialect, table, columns, rows[key])
                for _, ddl in indexes:
                    cur.execute(ddl)
                raw.commit()
            finally:
                raw.close()
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                if dialect == "sqlite":
                    conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
                else:
                    conn.execute(text("VACUUM ANALYZE"))

        try:
            seconds, _ = timed(load)
        finally:
            engine.dispose()
        self.size += count
        return seconds


def _indexes(engine: Any, tables: list[str]) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return secondary_indexes(conn, tables)


def _load(cur: Any, dialect: str, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    if dialect == "postgresql":
        with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(rows[0]))
        cur.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


# --- the bare SQL --------------------------------------------------------------------------------


def day_of(app: App, column: str) -> str:
    if app.engine.dialect.name == "sqlite":
        return f"date({column}, '+8 hours')"
    return f"CAST(({column} AT TIME ZONE 'Asia/Shanghai') AS DATE)"


def value(app: App, v: Any) -> Any:
    if app.engine.dialect.name != "sqlite":
        return v
    if isinstance(v, datetime):
        return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return v.isoformat() if isinstance(v, date) else v


def bounds(app: App, start: date, end: date) -> list[Any]:
    first = datetime.combine(start, time(), SHANGHAI)
    after = datetime.combine(end + timedelta(days=1), time(), SHANGHAI)
    return [value(app, first), value(app, after)]


def codes_sql(codes: Sequence[str]) -> str:
    return ", ".join(f"'{c}'" for c in codes)


def cohort_sql(app: App, group: str | None, codes: Sequence[str]) -> str:
    d = day_of(app, "i.resolved_at")
    key = group or "NULL"
    return (
        f"SELECT {key}, COUNT(i.id),"
        " SUM(CASE WHEN i.status IN ('resolved', 'closed') THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN i.status IN ('resolved', 'closed') AND i.resolved_at IS NOT NULL"
        f" AND (i.resolve_due IS NULL OR {d} <= i.resolve_due) THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN (i.status IN ('resolved', 'closed') AND i.resolved_at IS NOT NULL"
        f" AND {d} > i.resolve_due) OR (i.status IN ({OPEN}) AND i.resolve_due < ?)"
        " THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN COALESCE(o.moves, 0) > 0 THEN 1 ELSE 0 END), COALESCE(SUM(o.orders), 0),"
        " COALESCE(SUM(r.s), 0), COALESCE(SUM(r.b), 0), COALESCE(SUM(r.u), 0)"
        " FROM issues i JOIN enterprises e ON e.credit_code = i.enterprise_code"
        " LEFT JOIN (SELECT issue_id, COUNT(*) AS orders, SUM(CASE WHEN to_rung <> from_rung"
        " OR to_level <> from_level THEN 1 ELSE 0 END) AS moves FROM supervision_orders"
        " GROUP BY issue_id) o ON o.issue_id = i.id"
        " LEFT JOIN (SELECT issue_id,"
        " SUM(CASE WHEN satisfaction = 'satisfied' THEN 1 ELSE 0 END) AS s,"
        " SUM(CASE WHEN satisfaction = 'basic' THEN 1 ELSE 0 END) AS b,"
        " SUM(CASE WHEN satisfaction = 'unsatisfied' THEN 1 ELSE 0 END) AS u"
        " FROM ratings GROUP BY issue_id) r ON r.issue_id = i.id"
        " WHERE i.received_at >= ? AND i.received_at < ?"
        " AND i.status NOT IN ('rejected', 'merged')"
        f" AND e.jurisdiction_code IN ({codes_sql(codes)})"
        + (f" GROUP BY {group}" if group else "")
    )


def state_sql(app: App, due: str, done: str, before_resolution: bool) -> str:
    finished = "i.status IN ('rejected', 'merged')"
    if before_resolution:
        done = f"COALESCE({done}, i.resolved_at)"
        finished = f"({finished} OR i.status IN ('resolved', 'redo', 'closed'))"
    return (
        f"CASE WHEN {due} IS NULL THEN NULL WHEN {done} IS NOT NULL THEN CASE WHEN"
        f" {day_of(app, done)} <= {due} THEN 'met' ELSE 'missed' END WHEN {finished} THEN NULL"
        f" WHEN {due} < ? THEN 'overdue' ELSE 'pending' END"
    )


def assessment_sql(app: App, holders: str) -> list[str]:
    """The assessment's three grouped queries (ratings, issues, orders) for one holder kind."""
    dispatched = "i.dispatched_at >= ? AND i.dispatched_at < ?"
    unrated = "i.status = 'resolved' AND i.resolved_at >= ? AND i.resolved_at < ?"
    states = [
        state_sql(app, "i.ack_due", "i.acknowledged_at", True),
        state_sql(app, "i.feedback_due", "i.first_feedback_at", True),
        state_sql(app, "i.resolve_due", "i.resolved_at", False),
    ]
    counts = ", ".join(
        f"SUM(CASE WHEN {dispatched} AND ({s}) = '{st}' THEN 1 ELSE 0 END)"
        for s in states
        for st in ("met", "missed", "pending", "overdue")
    )
    return [
        "SELECT h.holder, h.role,"
        " SUM(CASE WHEN r.satisfaction = 'satisfied' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN r.satisfaction = 'basic' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN r.satisfaction = 'unsatisfied' THEN 1 ELSE 0 END)"
        f" FROM ratings r JOIN ({holders}) h ON h.issue_id = r.issue_id"
        " WHERE r.rated_at >= ? AND r.rated_at < ? GROUP BY h.holder, h.role",
        f"SELECT h.holder, h.role, SUM(CASE WHEN {dispatched} THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN {dispatched} AND i.status IN ('resolved', 'closed') THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN {unrated} THEN 1 ELSE 0 END), {counts}"
        f" FROM issues i JOIN ({holders}) h ON h.issue_id = i.id"
        f" WHERE ({dispatched}) OR ({unrated}) GROUP BY h.holder, h.role",
    ]


UNIT_HOLDERS = "SELECT issue_id, unit_id AS holder, role FROM issue_units"
OFFICIAL_HOLDERS = (
    "SELECT issue_id, official AS holder, 'lead' AS role FROM issue_routing"
    " WHERE official IS NOT NULL"
)


def bare_assessment(app: App, start: date, end: date) -> int:
    """The assessment's six queries on the bare driver; the number of rows."""
    b = bounds(app, start, end)
    today = value(app, TODAY)
    rows = 0
    for holders, to in ((UNIT_HOLDERS, "overdue_unit"), (OFFICIAL_HOLDERS, "overdue_official")):
        rated, issues = assessment_sql(app, holders)
        rows += len(bare(app, rated, b))
        # The issues query: the dispatched bounds and today appear once per use, in order.
        params = b + b + b + [p for _ in range(12) for p in (*b, today)] + b + b
        rows += len(bare(app, issues, params))
        rows += len(
            bare(
                app,
                f"SELECT {to}, COUNT(*) FROM supervision_orders WHERE created_at >= ?"
                f" AND created_at < ? AND {to} IS NOT NULL GROUP BY {to}",
                b,
            )
        )
    return rows


def bare_circular(app: App, codes: Sequence[str]) -> list[Any]:
    """The circular's figures on the bare driver; the quarter's totals row."""
    today = value(app, TODAY)
    q4, q3 = (
        bounds(app, date(2026, 10, 1), date(2026, 12, 31)),
        bounds(app, date(2026, 7, 1), date(2026, 9, 30)),
    )
    total = bare(app, cohort_sql(app, None, codes), [today, *q4])
    bare(app, cohort_sql(app, None, codes), [today, *q3])
    bare(app, cohort_sql(app, "i.category", codes), [today, *q4])
    bare(app, cohort_sql(app, "e.jurisdiction_code", codes), [today, *q4])
    mine = f"e.jurisdiction_code IN ({codes_sql(codes)})"
    past_due = f"i.status IN ({OPEN}) AND i.resolve_due < ?"
    bare(
        app,
        "SELECT i.lead_unit, COUNT(*) FROM issues i JOIN enterprises e"
        f" ON e.credit_code = i.enterprise_code WHERE {past_due} AND {mine}"
        " AND i.lead_unit IS NOT NULL GROUP BY i.lead_unit",
        [today],
    )
    bare(
        app,
        "SELECT s.overdue_unit, COUNT(*) FROM supervision_orders s JOIN issues i"
        " ON i.id = s.issue_id JOIN enterprises e ON e.credit_code = i.enterprise_code"
        f" WHERE s.created_at >= ? AND s.created_at < ? AND s.overdue_unit IS NOT NULL AND {mine}"
        " GROUP BY s.overdue_unit",
        q4,
    )
    bare(
        app,
        "SELECT i.id, i.title, i.enterprise_code, e.name, i.lead_unit, i.resolve_due,"
        " COALESCE(p.n, 0) FROM issues i JOIN enterprises e ON e.credit_code = i.enterprise_code"
        " LEFT JOIN (SELECT issue_id, COUNT(*) AS n FROM supervision_orders GROUP BY issue_id) p"
        f" ON p.issue_id = i.id WHERE {past_due} AND {mine} ORDER BY i.resolve_due, i.id LIMIT 20",
        [today],
    )
    bare(
        app,
        "SELECT c.id, c.topic, c.category, c.level, c.rung, COALESCE(c.official, ''), c.status,"
        " c.created_at, COALESCE(m.issues, 0), COALESCE(m.enterprises, 0),"
        " COALESCE(m.counties, 0) FROM clusters c JOIN (SELECT r.cluster_id, COUNT(*) AS issues,"
        " COUNT(DISTINCT i.enterprise_code) AS enterprises, COUNT(DISTINCT e.jurisdiction_code)"
        " AS counties FROM issue_routing r JOIN issues i ON i.id = r.issue_id JOIN enterprises e"
        f" ON e.credit_code = i.enterprise_code WHERE r.cluster_id IS NOT NULL AND {mine}"
        " GROUP BY r.cluster_id) m ON m.cluster_id = c.id WHERE c.status = 'open'"
        " OR (c.created_at >= ? AND c.created_at < ?) ORDER BY c.created_at, c.id",
        q4,
    )
    bare_assessment(app, date(2026, 10, 1), date(2026, 12, 31))
    return list(total[0])


# --- the runs ------------------------------------------------------------------------------------


def peak(fn: Callable[[], Any]) -> float:
    """Peak Python memory (MiB, tracemalloc) of one call."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def measure(app: App, store: Store, args: Any, reports: list[Report], codes: Sequence[str]) -> None:
    circular, assessment = reports
    size = f"{store.size:,} issues"
    c = circular_figures(app, "2026-Q4")
    row = bare_circular(app, codes)
    mine = [
        c.total.received,
        c.total.resolved,
        c.total.on_time,
        c.total.overdue,
        c.total.escalated,
        c.total.supervised,
        *(c.total.ratings.satisfied, c.total.ratings.basic, c.total.ratings.unsatisfied),
    ]
    assert [int(v or 0) for v in row[1:]] == mine, (row, mine)  # the same figures
    base = f"bare SQL, {size}"
    seconds, _ = best_of(args.repeat, lambda: bare_circular(app, codes))
    circular.add(base, seconds, ratio_to=base, ratio_name="")
    seconds, _ = best_of(args.repeat, lambda: circular_figures(app, "2026-Q4"))
    figures = f"(a) circular_figures 2026-Q4, {size}"
    circular.add(figures, seconds, ratio_to=base, ratio_name="bare SQL")
    year = (date(2026, 1, 1), date(2026, 12, 31))
    seconds, _ = best_of(args.repeat, lambda: bare_assessment(app, *year))
    assessment.add(base, seconds, ratio_to=base, ratio_name="")
    seconds, _ = best_of(args.repeat, lambda: assess(app, "2026"))
    assessment.add(f"(b) assess 2026, {size}", seconds, ratio_to=base, ratio_name="bare SQL")
    circular.note(
        f"(c) peak Python memory at {size}: circular_figures "
        f"{peak(lambda: circular_figures(app, '2026-Q4')):.1f} MiB (bare SQL "
        f"{peak(lambda: bare_circular(app, codes)):.1f} MiB)"
    )
    assessment.note(
        f"(c) peak Python memory at {size}: assess {peak(lambda: assess(app, '2026')):.1f} MiB "
        f"(bare SQL {peak(lambda: bare_assessment(app, *year)):.1f} MiB)"
    )
    if not args.skip_render:
        from serviceframe.reports.run import write_report

        with tempfile.TemporaryDirectory() as tmp:
            for fmt in ("xlsx", "html"):
                out = Path(tmp) / f"circular.{fmt}"
                seconds, _ = timed(lambda out=out: write_report(app, "circular", out, "2026-Q4"))
                circular.add(
                    f"(d) report run circular --format {fmt}, {size}",
                    seconds,
                    ratio_to=figures,
                    ratio_name="(a)",
                )


def run_backend(b: Backend, args: Any, collected: list[dict[str, Any]]) -> None:
    with b.fresh() as app:
        with app.uow() as uow:
            codes = sorted(uow.org.jurisdiction_codes())
        store = Store(app)
        build = Report(f"Building the store on {b.name} (not part of the figures)", "rate", "")
        reports = [
            Report(f"(a) The circular on {b.name}, as ratios of its bare SQL", "time", ""),
            Report(f"(b) The assessment on {b.name}, as ratios of its bare SQL", "time", ""),
        ]
        for target in sorted({max(1, args.issues // 10), args.issues}):
            say(f"{b.name}: loading issues up to {target:,}")
            seconds = store.add(target - store.size)
            build.add(
                f"issues and their units, ratings, routing, orders up to {target:,}",
                seconds,
                target,
                "issues",
            )
            say(f"{b.name}: measuring at {target:,}")
            with quiet_warnings():
                measure(app, store, args, reports, codes)
        counts = bare(
            app,
            "SELECT (SELECT COUNT(*) FROM issues), (SELECT COUNT(*) FROM ratings),"
            " (SELECT COUNT(*) FROM issue_units), (SELECT COUNT(*) FROM supervision_orders)",
            [],
        )[0]
        build.note(
            f"issues {counts[0]:,}, ratings {counts[1]:,}, issue units {counts[2]:,}, "
            f"supervision orders {counts[3]:,}"
        )
        build.note(f"server: {server_version(app)}")
        emit(build, collected, b.name)
        for report in reports:
            emit(report, collected, b.name)


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--issues", type=int, default=1_000_000, help="issues in the store")
    p.add_argument("--skip-render", action="store_true", help="no XLSX/HTML rendering")
    args = p.parse_args(argv)
    header("bench_reports.py", args)
    collected: list[dict[str, Any]] = []
    for name in backends(args):
        with backend(name, args.pg_url) as b:
            run_backend(b, args, collected)
    write_json(args.json, collected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
