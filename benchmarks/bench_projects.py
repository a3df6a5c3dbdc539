"""The major-project sweep and report on a store with many projects.

    python benchmarks/bench_projects.py [--backend sqlite|postgresql|both] [--projects 20000]
                                        [--stalled 200] [--repeat 3]

The projects (seven steps each, the example city's template) are inserted directly with
executemany; a quarter of them have their first step submitted with its last day still ahead,
and ``--stalled`` have their second step submitted two months before "now", past its limit.

Figures (seconds; ratios to the bare query that finds the late steps):

(a) ``file_stalled_steps``, first run: every stalled step filed, accepted and dispatched as an
    issue and linked back to its step (the app's caches warm, as in a long-running process);
(b) the same again: nothing left to file; its cost should follow the late steps, not the
    projects;
(c) the baseline: ``SELECT … FROM project_steps WHERE status = 'submitted' AND due < ? AND
    issue_id IS NULL`` on the driver's own connection;
(d) ``project_report``: steps by status, per-unit times over the approved steps, as a ratio
    of the bare ``GROUP BY status`` it starts from.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

from common import (
    NOW,
    Backend,
    Report,
    best_of,
    header,
    measure_each_backend,
    parser,
    say,
    server_version,
    timed,
)
from sqlalchemy import text

from serviceframe.app import App
from serviceframe.services.configured import taxonomy, topic_map
from serviceframe.services.enterprises import list_enterprises
from serviceframe.services.projects import file_stalled_steps, project_report, templates
from serviceframe.store import tables as t

LATE = text(
    "SELECT project_id, position FROM project_steps "
    "WHERE status = 'submitted' AND due < :today AND issue_id IS NULL"
)
BY_STATUS = text("SELECT status, count(*) FROM project_steps GROUP BY status")


def build(app: App, projects: int, stalled: int) -> None:
    """Insert the projects and their steps directly: the services would take minutes."""
    codes = [e.credit_code for e in list_enterprises(app)]
    (template,) = templates(app).values()
    rows, steps = [], []
    long_ago, lately = NOW - timedelta(days=60), NOW - timedelta(days=1)
    for n in range(1, projects + 1):
        pid = 1000 + n  # after the example's own projects
        code = codes[n % len(codes)]
        rows.append(
            {
                "id": pid,
                "ref": f"B-{n}",
                "enterprise_code": code,
                "name": f"项目{n}",
                "investment": 1000 + n,
                "industry": "C3831",
                "jurisdiction_code": "410802",
                "created_at": long_ago,
            }
        )
        for position, s in enumerate(template.steps, start=1):
            step: dict[str, Any] = {
                "project_id": pid,
                "position": position,
                "name": s.name,
                "unit_id": s.unit,
                "limit_days": s.limit_days,
                "status": "not_started",
                "submitted_at": None,
                "due": None,
                "finished_at": None,
            }
            if n <= stalled and position == 1:
                due = (long_ago + timedelta(days=s.limit_days)).date()
                step |= {
                    "status": "approved",
                    "submitted_at": long_ago - timedelta(days=10),
                    "due": due,
                    "finished_at": long_ago,
                }
            elif n <= stalled and position == 2:
                due = (long_ago + timedelta(days=s.limit_days)).date()
                step |= {"status": "submitted", "submitted_at": long_ago, "due": due}
            elif n % 4 == 0 and position == 1:
                due = (lately + timedelta(days=30)).date()
                step |= {"status": "submitted", "submitted_at": lately, "due": due}
            steps.append(step)
    with app.engine.begin() as conn:
        conn.execute(t.projects.insert(), rows)
        conn.execute(t.project_steps.insert(), steps)


def measure(b: Backend, args: Any) -> Report:
    report = Report(
        f"Project sweep on {b.name}: {args.projects:,} projects, {args.stalled:,} stalled steps",
        "time",
        "bare late-step query",
    )
    today = NOW.date()
    with b.fresh() as app:
        say(f"{b.name}: building {args.projects:,} projects")
        seconds, _ = timed(lambda: build(app, args.projects, args.stalled))
        report.note(f"building the store took {seconds:.1f} s")

        def bare() -> int:
            with app.engine.connect() as conn:
                return len(conn.execute(LATE, {"today": today}).all())

        seconds, found = best_of(args.repeat, bare)
        report.add("(c) bare query for the late steps", seconds, found, "steps", baseline=True)
        # Warm the app's caches as a long-running process has them (the first intake of a
        # fresh app builds the classifier's keyword matcher once, ~1-3 s).
        taxonomy(app)
        topic_map(app)
        say(f"{b.name}: (a) first sweep")
        seconds, filed = timed(lambda: file_stalled_steps(app))
        report.add("(a) file_stalled_steps, first run", seconds, len(filed), "issues")
        seconds, again = best_of(args.repeat, lambda: file_stalled_steps(app))
        report.add("(b) file_stalled_steps, again", seconds, len(again), "issues")

        def grouped() -> int:
            with app.engine.connect() as conn:
                return len(conn.execute(BY_STATUS).all())

        base, _ = best_of(args.repeat, grouped)
        report.add("(d0) bare GROUP BY status", base, None)
        seconds, _ = best_of(args.repeat, lambda: project_report(app))
        report.add(
            "(d) project_report", seconds, None, ratio_to="(d0) bare GROUP BY status",
            ratio_name="bare GROUP BY",
        )  # fmt: skip
        report.note(f"server: {server_version(app)}")
    return report


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--projects", type=int, default=20000, help="projects in the store")
    p.add_argument("--stalled", type=int, default=200, help="projects with a stalled step")
    args = p.parse_args()
    header("bench_projects.py", args)
    measure_each_backend(args, measure)


if __name__ == "__main__":
    sys.exit(main())
