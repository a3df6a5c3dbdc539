"""Bulk accept and dispatch, and the cost of finding an issue's topic.

    python benchmarks/bench_bulk.py [--backend sqlite|postgresql|both] [--issues 2000]
                                    [--repeat 3]

Figures, each as a ratio to a baseline of the same run:

Accepting and dispatching (issues per second; ratio = rate ÷ baseline rate, higher is better),
on a fresh copy of the Jiaozuo example holding ``--issues`` received issues of the bench_intake
hotline export (realistic Chinese texts of every category):

(c) baseline: the bare driver updating those issues' rows (status, category, version) with one
    ``executemany`` and appending one event each, one transaction: what the database can do
    at best for the state change alone;
(a) ``accept`` one issue at a time (a transaction each: read, classify, route, commit), then
    ``dispatch`` one at a time;
(b) ``accept_many`` of all of them in one call, then ``dispatch_many``: one transaction each,
    set-based reads and writes; classifying, routing and the topic still per issue.

Topic finding (microseconds per issue; ratio = time ÷ baseline time, lower is better), on the
bodies of the same export, in memory:

(c) baseline: ``classify`` (one scan of the text by the taxonomy), which intake and accept do
    for every issue anyway;
(t) the topic map's ``find`` in the issue's category (what the built-in ``serviceframe_topic``
    does): the concept, not the word;
(w) for comparison, the topic as it was found before the topic map: the strongest taxonomy
    keyword of the category (``keywords_in`` and a ``max``).
"""

from __future__ import annotations

import sys
from datetime import UTC
from typing import Any

from bench_intake import enterprises, hotline_export, warm_up
from common import (
    NOW,
    Backend,
    Report,
    backend,
    backends,
    emit,
    header,
    parser,
    say,
    server_version,
    timed,
    write_json,
)

from serviceframe.app import App
from serviceframe.domain.categories import Category
from serviceframe.domain.taxonomy import classify, keywords_in
from serviceframe.services.bulk import accept_many, dispatch_many
from serviceframe.services.configured import taxonomy, topic_map
from serviceframe.services.issues import accept, dispatch, file_issues

LEAD = "jz-fgw"


def received(app: App, n: int) -> list[int]:
    """File ``n`` issues of the hotline export (untimed); their ids."""
    ents = enterprises(app)
    warm_up(app, ents)
    return list(file_issues(app, hotline_export(ents, n, "bulk")).filed)


def raw_accept(app: App, ids: list[int]) -> int:
    """The baseline: the state change of accepting, bare driver, one transaction."""
    sqlite = app.engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    now = NOW.astimezone(UTC)
    at = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now
    conn = app.engine.raw_connection()
    try:
        cur = conn.cursor()
        cur.executemany(
            f"UPDATE issues SET status = 'accepted', category = 1, version = version + 1 "
            f"WHERE id = {mark} AND version = {mark}",
            [(i, 1) for i in ids],
        )
        cur.executemany(
            f"INSERT INTO events (at, actor, kind, subject, data) "
            f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark})",
            [(at, "bench", "accepted", f"issue:{i}", '{"category": 1}') for i in ids],
        )
        conn.commit()
        cur.close()
    finally:
        conn.close()
    return len(ids)


def fresh_best(b: Backend, repeat: int, n: int, run: Any, prepare: Any = None) -> tuple[float, int]:
    """Best of ``repeat`` timed ``run(app, ids)``, each on a fresh database of ``n`` received
    issues (``prepare(app, ids)`` runs untimed first)."""
    best: tuple[float, int] | None = None
    for _ in range(max(1, repeat)):
        with b.fresh() as app:
            ids = received(app, n)
            if prepare is not None:
                prepare(app, ids)
            seconds, done = timed(lambda app=app, ids=ids: run(app, ids))  # type: ignore[misc]
            assert done == len(ids), done
            if best is None or seconds < best[0]:
                best = (seconds, done)
    assert best is not None
    return best


def one_by_one_accept(app: App, ids: list[int]) -> int:
    return sum(1 for i in ids if accept(app, i))


def one_by_one_dispatch(app: App, ids: list[int]) -> int:
    return sum(1 for i in ids if dispatch(app, i, LEAD))


def measure_steps(b: Backend, args: Any) -> Report:
    report = Report(
        f"Accept and dispatch on {b.name}: {args.issues:,} issues, issues per second",
        "rate",
        "raw update",
    )
    say(f"{b.name}: building the Jiaozuo template")
    b.template()
    n = args.issues

    say(f"{b.name}: (c) raw executemany update + events, best of {args.repeat}")
    seconds, done = fresh_best(b, args.repeat, n, raw_accept)
    report.add("(c) raw update + event, one transaction", seconds, done, "issues", baseline=True)

    say(f"{b.name}: (a) accept one at a time, best of {args.repeat}")
    seconds, done = fresh_best(b, args.repeat, n, one_by_one_accept)
    report.add("(a) accept, one transaction each", seconds, done, "issues")

    say(f"{b.name}: (b) accept_many, best of {args.repeat}")
    seconds, done = fresh_best(b, args.repeat, n, lambda app, ids: len(accept_many(app, ids)))
    report.add("(b) accept_many, one transaction", seconds, done, "issues")

    def accepted(app: App, ids: list[int]) -> None:
        accept_many(app, ids)

    say(f"{b.name}: (a) dispatch one at a time, best of {args.repeat}")
    seconds, done = fresh_best(b, args.repeat, n, one_by_one_dispatch, accepted)
    report.add("(a) dispatch, one transaction each", seconds, done, "issues")

    say(f"{b.name}: (b) dispatch_many, best of {args.repeat}")
    seconds, done = fresh_best(
        b, args.repeat, n, lambda app, ids: len(dispatch_many(app, ids, LEAD)), accepted
    )
    report.add("(b) dispatch_many, one transaction", seconds, done, "issues")

    a_one = report.rows[1]["rate"]
    a_many = report.rows[2]["rate"]
    report.note(f"accept_many is {a_many / a_one:.1f}× as fast as accepting one at a time")
    with b.fresh() as app:
        report.note(f"server: {server_version(app)}")
    return report


def measure_topics(b: Backend, args: Any) -> Report:
    """In memory: the texts, the taxonomy and the topic map of the example's app."""
    with b.fresh() as app:
        ents = enterprises(app)
        drafts = hotline_export(ents, args.issues, "topics")
        found = taxonomy(app)
        topics = topic_map(app)
    texts = [f"{d.title}\n{d.body}" for d in drafts]
    categories = [classify(t, found).category for t in texts]
    cases = [
        (t, c) for t, c in zip(texts, categories, strict=True) if c is not Category.UNCLASSIFIED
    ]

    def strongest_keyword(text_: str, category: Category) -> str | None:
        weights = found.keywords.get(category, {})
        matched = keywords_in(text_, found, category)
        if not matched:
            return None
        best = max(matched, key=lambda k: (weights.get(k, 1.0), len(k), -matched.index(k)))
        return f"{int(category)}:{best}"

    def best(fn: Any) -> float:
        return min(timed(lambda: [fn(t, c) for t, c in cases])[0] for _ in range(args.repeat))

    report = Report(
        f"Topic of an issue: {len(cases):,} hotline texts, seconds for all", "time", "classify"
    )
    scan = best(lambda t, c: classify(t, found))
    report.add("(c) classify (the taxonomy scan)", scan, len(cases), "issues", baseline=True)
    report.add("(t) topic map find: the concept", best(topics.find), len(cases), "issues")
    report.add("(w) strongest keyword (before)", best(strongest_keyword), len(cases), "issues")
    per = report.rows[1]["seconds"] / len(cases) * 1e6
    named = sum(1 for t, c in cases if topics.find(t, c) is not None)
    report.note(
        f"{per:.1f} µs per issue for the concept; {named:,} of {len(cases):,} texts name one"
    )
    return report


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--issues", type=int, default=2000, help="received issues to accept")
    args = p.parse_args()
    header("bench_bulk.py", args)
    collected: list[dict[str, Any]] = []
    for name in backends(args):
        with backend(name, args.pg_url) as b:
            emit(measure_steps(b, args), collected, name)
            if name == backends(args)[0]:
                emit(measure_topics(b, args), collected, name)
    write_json(args.json, collected)


if __name__ == "__main__":
    sys.exit(main())
