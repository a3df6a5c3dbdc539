"""The service ledger (服务台帐) of a busy unit against hand-written SQL giving the same figures.

    python benchmarks/bench_ledger.py [--backend sqlite|postgresql|both] [--issues 20000]

The store: ``--issues`` hotline issues filed through ``file_issues`` over the 300 days before
"now", then moved along their lifecycle with set-based updates, as a department's year looks:
nine in ten dispatched to 发改委 (jz-fgw) as lead unit (one in five with 财政局 co-handling),
most acknowledged (some late), fed back on, resolved and rated (satisfied, basic, unsatisfied:
an unsatisfied rating sends it back for redo), some still open past their deadlines.

Figures (seconds; ratio = seconds ÷ baseline seconds, lower is better):

(c) the baseline: hand-written SQL on the driver's own connection producing what the ledger
    shows: its rows (enterprise and unit names joined, the latest rating, each deadline
    judged met / missed / pending / overdue with CASE) and its summary (one aggregate
    query over the same rows), all fetched;
(a) ``build_ledger(app, "jz-fgw", "2026")``: the rows and the summary;
(b) the same and its CSV export (``csv_text``), what ``ledger --out`` writes.

Rounds are interleaved (baseline, then the ledger) and the ratio is given for each round;
the table shows the best of each and the median of the per-round ratios.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, timedelta
from typing import Any

from attrs import evolve
from bench_intake import enterprises, hotline_export
from common import (
    NOW,
    Backend,
    Report,
    header,
    measure_each_backend,
    parser,
    say,
    server_version,
)
from sqlalchemy import bindparam, insert, select, text, update

from serviceframe.app import App
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.services.issues import file_issues
from serviceframe.services.ledger import build_ledger, csv_text
from serviceframe.store import tables as t

UNIT, CO = "jz-fgw", "jz-czj"
PERIOD = "2026"


def fill(app: App, issues: int) -> dict[str, int]:
    """File ``issues`` issues and move them along their lifecycle (see the module's notes)."""
    ents = enterprises(app)
    drafts = hotline_export(ents, issues, "ledger")
    span = timedelta(days=300)
    drafts = [evolve(d, received_at=NOW - span + span * k / issues) for k, d in enumerate(drafts)]
    report = file_issues(app, drafts)
    assert not report.errors, report.errors[:3]
    with app.engine.begin() as conn:
        rows = conn.execute(select(t.issues.c.id, t.issues.c.received_at)).all()
        changes, units, ratings = [], [], []
        for issue_id, received in rows:
            p = issue_id % 20
            if p < 2:
                continue  # not dispatched yet
            day = received.astimezone(SHANGHAI).date()
            row: dict[str, Any] = {
                "b_id": issue_id,
                "status": "dispatched",
                "category": 1,
                "lead_unit": UNIT,
                "dispatched_at": received + timedelta(hours=2),
                "ack_due": day + timedelta(days=2),
                "feedback_due": day + timedelta(days=7),
                "resolve_due": day + timedelta(days=20),
                "acknowledged_at": None,
                "first_feedback_at": None,
                "resolved_at": None,
                "owner": "jz-edsb",
                "satisfaction": None,
                "rated_at": None,
                "closed_at": None,
                "round": 1,
                "redo_count": 0,
            }
            units.append({"issue_id": issue_id, "unit_id": UNIT, "role": "lead"})
            if p % 5 == 0:
                units.append({"issue_id": issue_id, "unit_id": CO, "role": "co"})
            if p >= 4:
                late = p == 5
                row |= {
                    "status": "acknowledged",
                    "acknowledged_at": received + timedelta(days=5 if late else 1),
                    "owner": UNIT,
                }
            if p >= 6:
                row |= {"status": "in_progress", "first_feedback_at": received + timedelta(days=4)}
            if p >= 9:
                row |= {"status": "resolved", "resolved_at": received + timedelta(days=12)}
            if p >= 12:
                satisfaction = ("satisfied", "basic", "unsatisfied")[p % 3]
                rated = received + timedelta(days=14)
                ratings.append(
                    {
                        "issue_id": issue_id,
                        "round": 1,
                        "satisfaction": satisfaction,
                        "comment": "",
                        "rated_at": rated,
                        "rated_by": "bench",
                        "lead_unit": UNIT,
                    }
                )
                if satisfaction == "unsatisfied":
                    row |= {
                        "status": "redo",
                        "round": 2,
                        "redo_count": 1,
                        "resolved_at": None,
                        "rated_at": rated,
                        "satisfaction": satisfaction,
                        "resolve_due": day + timedelta(days=30),
                    }
                else:
                    row |= {
                        "status": "closed",
                        "rated_at": rated,
                        "closed_at": rated,
                        "satisfaction": satisfaction,
                    }
            changes.append(row)
        values = {c: bindparam(c) for c in changes[0] if c != "b_id"}
        conn.execute(
            update(t.issues).where(t.issues.c.id == bindparam("b_id")).values(values), changes
        )
        conn.execute(insert(t.issue_units), units)
        conn.execute(insert(t.ratings), ratings)
    if app.engine.dialect.name == "postgresql":
        with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return {"issues": len(rows), "dispatched": len(changes), "rated": len(ratings)}


# --- the hand-written SQL ------------------------------------------------------------------------


def baseline_sql(dialect: str) -> tuple[str, str]:
    """The rows query and the summary query, as one would write them by hand."""
    if dialect == "postgresql":

        def day(column: str) -> str:
            return f"CAST(({column} AT TIME ZONE 'Asia/Shanghai') AS DATE)"

    else:

        def day(column: str) -> str:
            return f"date({column}, '+8 hours')"

    def state(due: str, done: str, before_resolution: bool) -> str:
        done_or_resolved = f"COALESCE({done}, i.resolved_at)" if before_resolution else done
        never = (
            "i.status IN ('rejected', 'merged', 'resolved', 'redo', 'closed')"
            if before_resolution
            else "i.status IN ('rejected', 'merged')"
        )
        return (
            f"CASE WHEN i.{due} IS NULL THEN NULL "
            f"WHEN {done_or_resolved} IS NOT NULL THEN "
            f"CASE WHEN {day(done_or_resolved)} > i.{due} THEN 'missed' ELSE 'met' END "
            f"WHEN {never} THEN NULL "
            f"WHEN :today > i.{due} THEN 'overdue' ELSE 'pending' END"
        )

    rows = f"""
        SELECT i.id, i.enterprise_code, e.name AS enterprise_name, i.source, i.title,
               i.category, i.severity,
               (i.received_by = :unit OR i.received_by IN
                   (SELECT o.id FROM officials o WHERE o.unit_id = :unit)) AS received_here,
               mine.role AS unit_role, i.received_by,
               COALESCE(ru.name, ro.name) AS receiver_name, i.lead_unit, lead.name AS lead_name,
               i.owner, i.received_at, i.dispatched_at, i.acknowledged_at, i.first_feedback_at,
               i.resolved_at, i.ack_due, i.ack_provisional, i.feedback_due,
               i.feedback_provisional, i.resolve_due, i.resolve_provisional, i.status,
               i.redo_count, r.satisfaction, r.comment, r.rated_at,
               {state("ack_due", "i.acknowledged_at", True)} AS ack_state,
               {state("feedback_due", "i.first_feedback_at", True)} AS feedback_state,
               {state("resolve_due", "i.resolved_at", False)} AS resolve_state
          FROM issues i
          JOIN enterprises e ON e.credit_code = i.enterprise_code
          LEFT JOIN issue_units mine ON mine.issue_id = i.id AND mine.unit_id = :unit
          LEFT JOIN units ru ON ru.id = i.received_by
          LEFT JOIN officials ro ON ro.id = i.received_by
          LEFT JOIN units lead ON lead.id = i.lead_unit
          LEFT JOIN (SELECT issue_id, MAX(round) AS round FROM ratings GROUP BY issue_id) latest
                 ON latest.issue_id = i.id
          LEFT JOIN ratings r ON r.issue_id = i.id AND r.round = latest.round
         WHERE (i.received_by = :unit
                OR i.received_by IN (SELECT o.id FROM officials o WHERE o.unit_id = :unit)
                OR mine.unit_id IS NOT NULL)
           AND ((i.received_at >= :start AND i.received_at < :end)
                OR (mine.unit_id IS NOT NULL AND i.dispatched_at >= :start
                    AND i.dispatched_at < :end))
         ORDER BY i.received_at, i.id"""
    counts = ", ".join(
        f"SUM(CASE WHEN {name}_state = '{s}' THEN 1 ELSE 0 END)"
        for name in ("ack", "feedback", "resolve")
        for s in ("met", "missed", "pending", "overdue")
    )
    summary = f"""
        SELECT COUNT(*),
               SUM(CASE WHEN received_here THEN 1 ELSE 0 END),
               SUM(CASE WHEN unit_role IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN unit_role = 'lead' THEN 1 ELSE 0 END),
               SUM(CASE WHEN unit_role = 'co' THEN 1 ELSE 0 END),
               SUM(CASE WHEN resolved_at IS NOT NULL THEN 1 ELSE 0 END),
               {counts},
               SUM(CASE WHEN satisfaction = 'satisfied' THEN 1 ELSE 0 END),
               SUM(CASE WHEN satisfaction = 'basic' THEN 1 ELSE 0 END),
               SUM(CASE WHEN satisfaction = 'unsatisfied' THEN 1 ELSE 0 END)
          FROM ({rows}) q"""
    co = """
        SELECT u.issue_id, u.unit_id, un.name FROM issue_units u JOIN units un ON un.id = u.unit_id
         WHERE u.role = 'co' AND u.issue_id IN (SELECT issue_id FROM issue_units
                                                WHERE unit_id = :unit)
         ORDER BY u.issue_id, u.unit_id"""
    return rows, summary + ";" + co


def run_baseline(app: App) -> tuple[int, tuple[Any, ...]]:
    rows_sql, rest = baseline_sql(app.engine.dialect.name)
    summary_sql, co_sql = rest.split(";")
    start = NOW.replace(year=2026, month=1, day=1, hour=0, minute=0).astimezone(UTC)
    end = start.replace(year=2027)
    today = NOW.astimezone(SHANGHAI).date()
    sqlite = app.engine.dialect.name == "sqlite"
    params = {
        "unit": UNIT,
        "start": start.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else start,
        "end": end.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else end,
        "today": today.isoformat() if sqlite else today,
    }
    conn = app.engine.raw_connection()
    try:
        cursor = conn.cursor()

        def run(sql: str) -> list[Any]:
            if not sqlite:  # psycopg's placeholders
                for name in params:
                    sql = sql.replace(f":{name}", f"%({name})s")
            cursor.execute(sql, params)
            return cursor.fetchall()

        rows = run(rows_sql)
        summary = tuple(run(summary_sql)[0])
        run(co_sql)
        cursor.close()
        conn.rollback()
    finally:
        conn.close()
    return len(rows), summary


def measure(b: Backend, args: Any) -> Report:
    report = Report(
        f"Ledger on {b.name}: seconds, as a ratio to hand-written SQL giving the same figures",
        "time",
        "hand-written SQL",
    )
    b.template()
    with b.fresh() as app:
        say(f"{b.name}: filling {args.issues:,} issues")
        started = time.perf_counter()
        facts = fill(app, args.issues)
        say(f"{b.name}: filled in {time.perf_counter() - started:.1f} s: {facts}")
        build_ledger(app, UNIT, PERIOD)  # warm: schema check, caches
        raw_best = ours_best = export_best = float("inf")
        ratios, export_ratios = [], []
        rows = 0
        for _ in range(args.repeat):
            started = time.perf_counter()
            rows, summary = run_baseline(app)
            raw = time.perf_counter() - started
            started = time.perf_counter()
            ledger = build_ledger(app, UNIT, PERIOD)
            ours = time.perf_counter() - started
            started = time.perf_counter()
            csv_text(build_ledger(app, UNIT, PERIOD))
            export = time.perf_counter() - started
            assert len(ledger.rows) == rows, (len(ledger.rows), rows)
            assert ledger.summary.total == summary[0]
            raw_best, ours_best = min(raw_best, raw), min(ours_best, ours)
            export_best = min(export_best, export)
            ratios.append(ours / raw)
            export_ratios.append(export / raw)
        report.add(
            "(c) hand-written SQL: rows, summary, co units", raw_best, rows, "rows", baseline=True
        )
        report.add("(a) build_ledger", ours_best, rows, "rows")
        report.add("(b) build_ledger + CSV export", export_best, rows, "rows")
        report.note(
            f"per-round ratio, build_ledger ÷ SQL: min {min(ratios):.2f}, median "
            f"{statistics.median(ratios):.2f}, max {max(ratios):.2f} over {len(ratios)} rounds"
        )
        report.note(
            f"per-round ratio, with the CSV export: median {statistics.median(export_ratios):.2f}"
        )
        report.note(f"store: {facts}; server: {server_version(app)}")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--issues", type=int, default=20_000, help="issues in the store")
    p.set_defaults(repeat=7)
    args = p.parse_args(argv)
    header("bench_ledger", args)
    measure_each_backend(args, measure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
