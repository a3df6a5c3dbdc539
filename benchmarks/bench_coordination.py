"""The coordination report and trend detection against hand-written SQL giving the same figures.

    python benchmarks/bench_coordination.py [--backend sqlite|postgresql|both] [--issues 100000]

The store: ``--issues`` issues over the year before "now", built set-based with
``bench_sweep``'s builder (the same mix: 1 in 20 past a deadline, ~17% open with deadlines
ahead, ~73% closed, every accepted issue routed with one of 50 topics), then, set-based too:
a supervision order for every issue past a deadline (every other one moved up a rung), every
tenth of them listed as long-overdue (挂牌督办), and a rating of every closed issue. Trend
detection runs once untimed (clusters formed and members linked), as a running system has it.

Figures (seconds; ratio = seconds ÷ baseline seconds, lower is better):

Coordination, period ``--period`` (2026), the whole organisation:

(c) the baseline: hand-written SQL on the driver's own connection producing what the report
    shows: per lead unit and per county, received, resolved, on time, overdue, escalated,
    supervised and the ratings (one grouped query each), the unit names, the open supervision
    orders and the long-overdue list, all fetched;
(a) ``services.coordination.coordination(app, period)``: the same figures, rolled up the
    jurisdiction tree.

Before timing, the figures per unit (received, on time, overdue, supervised) and per county,
and the long-overdue list, are checked to be equal.

Trends, what ``serviceframe trends`` runs on a store whose clusters are formed:

(c) the baseline: the bare ``GROUP BY topic`` with the thresholds of the organisation file
    (enterprises, counties, window) and the bare ``GROUP BY cluster`` counting the members of
    the open clusters;
(b) ``detect`` (second run: nothing new) and ``list_clusters(app, "open")``.

Rounds are interleaved (baseline, then the service) and the ratio is given for each round;
the table shows the best of each and the median of the per-round ratios.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from bench_sweep import TODAY, Store, bare, db_value
from common import (
    NOW,
    Backend,
    Report,
    backend,
    backends,
    emit,
    header,
    parser,
    quiet_warnings,
    say,
    server_version,
    write_json,
)
from sqlalchemy import text

from serviceframe.app import App
from serviceframe.domain.period import parse_period
from serviceframe.services.configured import escalation_rules
from serviceframe.services.coordination import coordination
from serviceframe.services.trends import detect, list_clusters

HANDLED = "('dispatched', 'acknowledged', 'in_progress', 'redo')"
UNSETTLED = "('received', 'accepted', 'dispatched', 'acknowledged', 'in_progress', 'redo')"


def fill(app: App, issues: int) -> dict[str, int]:
    """The store (see the module's notes); returns what it holds."""
    store = Store(app)
    store.add(issues, 20)
    store.drop_helpers()
    now, today = db_value(app, NOW), db_value(app, TODAY)
    with app.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO supervision_orders (issue_id, deadline, round, due, overdue_unit,"
                " from_level, from_rung, from_official, to_level, to_rung, to_official,"
                " created_at, actor)"
                " SELECT i.id, CASE WHEN i.resolve_due < :today THEN 'resolve'"
                " WHEN i.status = 'dispatched' THEN 'acknowledge' ELSE 'feedback' END, 1,"
                " CASE WHEN i.resolve_due < :today THEN i.resolve_due"
                " WHEN i.status = 'dispatched' THEN i.ack_due ELSE i.feedback_due END,"
                " i.lead_unit, r.level, r.rung, r.official, r.level,"
                " CASE WHEN i.id % 2 = 0 THEN 'executive_vice_mayor' ELSE r.rung END,"
                " r.official, :now, 'bench'"
                " FROM issues i JOIN issue_routing r ON r.issue_id = i.id"
                f" WHERE i.status IN {HANDLED} AND (i.resolve_due < :today"
                " OR (i.status = 'dispatched' AND i.ack_due < :today)"
                " OR (i.status = 'acknowledged' AND i.feedback_due < :today))"
            ),
            {"now": now, "today": today},
        )
        conn.execute(
            text(
                "UPDATE issue_routing SET listed_at = :now WHERE issue_id IN"
                " (SELECT issue_id FROM supervision_orders WHERE (issue_id / 20) % 10 = 0)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO ratings (issue_id, round, satisfaction, comment, rated_at, rated_by,"
                " lead_unit) SELECT id, 1, satisfaction, '', rated_at, 'bench', lead_unit"
                " FROM issues WHERE status = 'closed' AND satisfaction IS NOT NULL"
            )
        )
    if app.engine.dialect.name == "postgresql":
        with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    with quiet_warnings():
        changes = detect(app, NOW)
    counts = bare(
        app,
        "SELECT (SELECT COUNT(*) FROM issues), (SELECT COUNT(*) FROM supervision_orders),"
        " (SELECT COUNT(*) FROM issue_routing WHERE listed_at IS NOT NULL),"
        " (SELECT COUNT(*) FROM ratings), (SELECT COUNT(*) FROM clusters)",
        [],
    )[0]
    return {
        "issues": counts[0],
        "supervision orders": counts[1],
        "long-overdue": counts[2],
        "ratings": counts[3],
        "clusters": counts[4],
        "members linked": sum(len(c.new_members) for c in changes),
    }


# --- the hand-written SQL ------------------------------------------------------------------------


def grouped_sql(dialect: str, group: str) -> str:
    """Per ``group``: received, resolved, on time, overdue, escalated, supervised, ratings."""
    if dialect == "postgresql":
        day = "CAST((i.resolved_at AT TIME ZONE 'Asia/Shanghai') AS DATE)"
    else:
        day = "date(i.resolved_at, '+8 hours')"
    done = "i.status IN ('resolved', 'closed')"
    return f"""
        SELECT {group}, COUNT(*),
               SUM(CASE WHEN {done} THEN 1 ELSE 0 END),
               SUM(CASE WHEN {done} AND i.resolved_at IS NOT NULL
                        AND (i.resolve_due IS NULL OR {day} <= i.resolve_due) THEN 1 ELSE 0 END),
               SUM(CASE WHEN ({done} AND i.resolved_at IS NOT NULL AND {day} > i.resolve_due)
                          OR (i.status IN {HANDLED} AND i.resolve_due < ?) THEN 1 ELSE 0 END),
               SUM(CASE WHEN o.moves > 0 THEN 1 ELSE 0 END),
               COALESCE(SUM(o.n), 0),
               COALESCE(SUM(r.satisfied), 0), COALESCE(SUM(r.basic), 0),
               COALESCE(SUM(r.unsatisfied), 0)
          FROM issues i
          JOIN enterprises e ON e.credit_code = i.enterprise_code
          LEFT JOIN (SELECT issue_id, COUNT(*) AS n,
                            SUM(CASE WHEN to_rung <> from_rung OR to_level <> from_level
                                     THEN 1 ELSE 0 END) AS moves
                       FROM supervision_orders GROUP BY issue_id) o ON o.issue_id = i.id
          LEFT JOIN (SELECT issue_id,
                            SUM(CASE WHEN satisfaction = 'satisfied' THEN 1 ELSE 0 END)
                                AS satisfied,
                            SUM(CASE WHEN satisfaction = 'basic' THEN 1 ELSE 0 END) AS basic,
                            SUM(CASE WHEN satisfaction = 'unsatisfied' THEN 1 ELSE 0 END)
                                AS unsatisfied
                       FROM ratings GROUP BY issue_id) r ON r.issue_id = i.id
         WHERE i.received_at >= ? AND i.received_at < ?
           AND i.status NOT IN ('rejected', 'merged')
         GROUP BY {group}"""


def raw_coordination(app: App, period: str) -> dict[str, Any]:
    span = parse_period(period)
    params = [db_value(app, TODAY), db_value(app, span.start_at), db_value(app, span.end_at)]
    dialect = app.engine.dialect.name
    conn = app.engine.raw_connection()
    try:
        cur = conn.cursor()

        def run(sql: str, args: Sequence[Any] = ()) -> list[Any]:
            cur.execute(sql.replace("?", "%s") if dialect == "postgresql" else sql, tuple(args))
            return cur.fetchall()

        units = run(grouped_sql(dialect, "i.lead_unit"), params)
        places = run(grouped_sql(dialect, "e.jurisdiction_code"), params)
        run("SELECT id, name FROM units")
        run(
            "SELECT s.*, i.status, i.title, i.enterprise_code FROM supervision_orders s"
            f" JOIN issues i ON i.id = s.issue_id WHERE i.status IN {HANDLED} ORDER BY s.id"
        )
        listed = run(
            "SELECT r.issue_id, i.title, i.enterprise_code, e.name, e.jurisdiction_code,"
            " i.lead_unit, i.status, i.received_at, r.level, r.rung, r.official, r.listed_at,"
            " (SELECT COUNT(*) FROM supervision_orders s WHERE s.issue_id = r.issue_id)"
            " FROM issue_routing r JOIN issues i ON i.id = r.issue_id"
            " JOIN enterprises e ON e.credit_code = i.enterprise_code"
            f" WHERE r.listed_at IS NOT NULL AND i.status IN {HANDLED}"
            " ORDER BY i.received_at, r.issue_id"
        )
        cur.close()
        conn.rollback()
    finally:
        conn.close()
    return {
        "units": {u or "(未交办)": (n, ot, od, sup) for u, n, _, ot, od, _, sup, *_ in units},
        "places": {p: n for p, n, *_ in places},
        "long_overdue": [row[0] for row in listed],
    }


def figures(report: Any) -> dict[str, Any]:
    """What the baseline computes, taken from the service's report."""
    return {
        "units": {
            x.key: (x.received, x.on_time, x.overdue, x.supervised)
            for x in report.units
            if x.received
        },
        "long_overdue": [row["issue_id"] for row in report.long_overdue],
    }


def raw_trends(app: App) -> tuple[list[Any], list[Any]]:
    rules = escalation_rules(app)
    since = db_value(app, NOW - timedelta(days=rules.cluster_window_days))
    topics = bare(
        app,
        "SELECT r.topic, MIN(i.category), COUNT(DISTINCT i.enterprise_code),"
        " COUNT(DISTINCT e.jurisdiction_code), COUNT(*),"
        " COUNT(CASE WHEN r.cluster_id IS NULL THEN 1 END)"
        " FROM issues i JOIN issue_routing r ON r.issue_id = i.id"
        " JOIN enterprises e ON e.credit_code = i.enterprise_code"
        " LEFT JOIN clusters c ON c.id = r.cluster_id"
        f" WHERE i.received_at >= ? AND i.status IN {UNSETTLED} AND r.topic IS NOT NULL"
        " AND (r.cluster_id IS NULL OR c.status = 'open')"
        " GROUP BY r.topic HAVING COUNT(DISTINCT i.enterprise_code) >= ?"
        " AND COUNT(DISTINCT e.jurisdiction_code) >= ? ORDER BY r.topic",
        [since, rules.cluster_min_enterprises, rules.cluster_min_counties],
    )
    clusters = bare(
        app,
        "SELECT c.id, c.topic, c.official, COUNT(*), COUNT(DISTINCT i.enterprise_code),"
        " COUNT(DISTINCT e.jurisdiction_code) FROM clusters c"
        " JOIN issue_routing r ON r.cluster_id = c.id JOIN issues i ON i.id = r.issue_id"
        " JOIN enterprises e ON e.credit_code = i.enterprise_code"
        " WHERE c.status = 'open' GROUP BY c.id, c.topic, c.official ORDER BY c.id",
        [],
    )
    return topics, clusters


def service_trends(app: App) -> tuple[list[Any], list[dict[str, Any]]]:
    """What ``serviceframe trends`` runs: a detection, then the open clusters listed."""
    changes = detect(app, NOW)
    return changes, list_clusters(app, "open")


# --- the runs ----------------------------------------------------------------------------------


def rounds(
    repeat: int, baseline: Callable[[], Any], ours: Callable[[], Any]
) -> tuple[float, float, list[float]]:
    """Interleaved rounds: (best baseline seconds, best service seconds, per-round ratios)."""
    raw_best = ours_best = float("inf")
    ratios = []
    for _ in range(repeat):
        started = time.perf_counter()
        baseline()
        raw = time.perf_counter() - started
        started = time.perf_counter()
        ours()
        mine = time.perf_counter() - started
        raw_best, ours_best = min(raw_best, raw), min(ours_best, mine)
        ratios.append(mine / raw)
    return raw_best, ours_best, ratios


def spread(ratios: list[float]) -> str:
    return (
        f"min {min(ratios):.2f}, median {statistics.median(ratios):.2f}, "
        f"max {max(ratios):.2f} over {len(ratios)} rounds"
    )


def measure(b: Backend, args: Any) -> list[Report]:
    b.template()
    with b.fresh() as app:
        say(f"{b.name}: filling {args.issues:,} issues")
        started = time.perf_counter()
        facts = fill(app, args.issues)
        say(f"{b.name}: filled in {time.perf_counter() - started:.1f} s: {facts}")

        coord = Report(
            f"Coordination report on {b.name}, period {args.period}: seconds, as a ratio to "
            "hand-written SQL giving the same figures",
            "time",
            "hand-written SQL",
        )
        report = coordination(app, args.period)  # warm, and the figures checked
        raw = raw_coordination(app, args.period)
        ours = figures(report)
        assert ours["units"] == raw["units"], (ours["units"], raw["units"])
        assert ours["long_overdue"] == raw["long_overdue"]
        assert report.jurisdictions[0].received == sum(raw["places"].values())
        received = sum(n for n, *_ in raw["units"].values())
        raw_best, ours_best, ratios = rounds(
            args.repeat,
            lambda: raw_coordination(app, args.period),
            lambda: coordination(app, args.period),
        )
        coord.add("(c) hand-written SQL", raw_best, received, "issues", baseline=True)
        coord.add("(a) coordination", ours_best, received, "issues")
        coord.note(f"per-round ratio, coordination ÷ SQL: {spread(ratios)}")
        coord.note(
            f"{len(raw['units'])} unit lines, {len(raw['places'])} counties, "
            f"{len(raw['long_overdue']):,} long-overdue, "
            f"{len(report.supervision):,} open supervision orders"
        )
        coord.note(f"store: {facts}; server: {server_version(app)}")

        trends = Report(
            f"Trends on {b.name} (serviceframe trends: detect, then the open clusters): "
            "seconds, as a ratio to the bare GROUP BY",
            "time",
            "bare GROUP BY",
        )
        topics, clusters = raw_trends(app)
        changes, listed = service_trends(app)
        assert changes == [], changes
        assert [(c["id"], c["issues"], c["enterprises"], c["counties"]) for c in listed] == [
            (row[0], row[3], row[4], row[5]) for row in clusters
        ]
        with app.uow() as uow:
            rules = escalation_rules(app)
            trending = uow.routing.trending_topics(
                NOW - timedelta(days=rules.cluster_window_days),
                rules.cluster_min_enterprises,
                rules.cluster_min_counties,
            )
        assert [tuple(r) for r in trending] == [tuple(r) for r in topics]
        raw_best, ours_best, ratios = rounds(
            args.repeat, lambda: raw_trends(app), lambda: service_trends(app)
        )
        trends.add(
            "(c) bare SQL: GROUP BY topic, GROUP BY cluster",
            raw_best,
            len(topics),
            "topics",
            baseline=True,
        )
        trends.add("(b) detect (nothing new) + list_clusters", ours_best, len(listed), "clusters")
        trends.note(f"per-round ratio, trends ÷ SQL: {spread(ratios)}")
        trends.note(f"{facts['members linked']:,} issues linked by the untimed first detection")
    return [coord, trends]


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--issues", type=int, default=100_000, help="issues in the store")
    p.add_argument("--period", default="2026", help="the coordination report's period")
    p.set_defaults(repeat=7)
    args = p.parse_args(argv)
    header("bench_coordination", args)
    collected: list[dict[str, Any]] = []
    for name in backends(args):
        with backend(name, args.pg_url) as b:
            for report in measure(b, args):
                emit(report, collected, name)
    write_json(args.json, collected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
