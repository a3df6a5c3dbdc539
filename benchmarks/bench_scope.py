"""What a principal's scope costs a list of issues (``issue list`` as each role).

    python benchmarks/bench_scope.py [--backend sqlite|postgresql|both] [--issues 5000]
                                     [--repeat 5]

On a fresh copy of the Jiaozuo example holding ``--issues`` issues of the bench_intake hotline
export, accepted and half of them dispatched to jz-fgw, seconds to list (ratio = time ÷
baseline time, lower is better):

(c) baseline: the bare driver reading every issue row (``SELECT * FROM issues``);
(r) ``list_issues`` as the root office: every issue, no scope clause;
(o) as 解放区's office (jf-edsb): the issues of its enterprises (a subquery on enterprises);
(h) as the department jz-fgw: received, led or co-handled (a subquery on issue_units);
(l) as the vice mayor jz-vm-finance (financing): routed to them, or in their portfolio.

Each listed row becomes an ``Issue``; the ratio of (o), (h), (l) to (r) says what the WHERE
clause adds per row listed (they list fewer rows than (r)).
"""

from __future__ import annotations

import sys
from typing import Any

from bench_intake import enterprises, hotline_export, warm_up
from common import (
    Backend,
    Report,
    best_of,
    header,
    measure_each_backend,
    parser,
    say,
    server_version,
)

from serviceframe.app import App
from serviceframe.services.bulk import accept_many, dispatch_many
from serviceframe.services.issues import file_issues, list_issues


def populate(app: App, n: int) -> None:
    ents = enterprises(app)
    warm_up(app, ents)
    ids = list(file_issues(app, hotline_export(ents, n, "scope")).filed)
    accept_many(app, ids, category=3)
    dispatch_many(app, ids[::2], "jz-fgw")


def raw_all(app: App) -> int:
    conn = app.engine.raw_connection()
    try:
        cur = conn.cursor()
        cur.execute("SELECT * FROM issues ORDER BY id")
        return len(cur.fetchall())
    finally:
        conn.close()


def measure(b: Backend, args: Any) -> Report:
    report = Report(
        f"issue list by role on {b.name}: {args.issues:,} issues, seconds", "time", "raw select"
    )
    say(f"{b.name}: building the Jiaozuo template and {args.issues:,} issues")
    b.template()
    with b.fresh() as app:
        populate(app, args.issues)
        seconds, rows = best_of(args.repeat, lambda: raw_all(app))
        report.add("(c) raw SELECT * FROM issues", seconds, rows, "issues", baseline=True)
        for label, who in (
            ("(r) root office", "office"),
            ("(o) 解放区 office jf-edsb", "jf-edsb"),
            ("(h) department jz-fgw", "jz-fgw"),
            ("(l) vice mayor jz-vm-finance", "jz-vm-finance"),
        ):
            me = app.acting_as(who)
            seconds, found = best_of(args.repeat, lambda me=me: list_issues(me))
            report.add(label, seconds, len(found), "issues")
        report.note(f"server: {server_version(app)}")
    return report


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--issues", type=int, default=5000, help="issues in the store")
    args = p.parse_args()
    header("bench_scope.py", args)
    measure_each_backend(args, measure)


if __name__ == "__main__":
    sys.exit(main())
