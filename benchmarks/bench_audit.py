"""The tamper-evident history: what verifying it and anchoring it cost, against reading it.

    python benchmarks/bench_audit.py [--backend sqlite|postgresql|both] [--events 200000]

On a fresh copy of the Jiaozuo example, ``--events`` events are added in histories of ten
(as many issues), chained as the library chains them (prepared before the clock starts).

(c) the baseline: the bare driver reading every event's columns that verification reads, in
    chain order (subject, seq), as one streamed query;
(a) ``audit verify``: the same read, every hash recomputed and every link checked, plus the
    anchors and the issues-without-history check;
(b) ``audit anchor`` of the whole store (every chain grew), and then (b') of a store where
    one chain in a hundred grew since.

Hashing on intake is measured by bench_intake.py (it is part of every ``file_issues``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, timedelta
from typing import Any

from common import NOW, Backend, Report, backend, backends, emit, header, parser, say, timed
from common import write_json as write_figures

from serviceframe.app import App
from serviceframe.services.audit import take_anchor, verify
from serviceframe.store.chain import GENESIS, event_hash


def add_events(app: App, count: int) -> int:
    """``count`` chained events in histories of ten, with the bare driver."""
    sqlite = app.engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    rows = []
    for n in range(count):
        subject, seq = f"bench:{n // 10}", n % 10 + 1
        previous = GENESIS if seq == 1 else rows[-1][-1]
        at = NOW + timedelta(seconds=n)
        data = json.dumps({"note": f"第{n}次处理", "n": n}, ensure_ascii=False)
        chained = event_hash(previous, seq, subject, "noted", "bench", at, data)
        stored_at = at.astimezone(UTC)
        rows.append(
            (
                stored_at.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else stored_at,
                "bench",
                "noted",
                subject,
                data,
                seq,
                chained,
            )
        )
    conn = app.engine.raw_connection()
    try:
        cur = conn.cursor()
        cur.executemany(
            "INSERT INTO events (at, actor, kind, subject, data, seq, hash) "
            f"VALUES ({', '.join([mark] * 7)})",
            rows,
        )
        conn.commit()
    finally:
        conn.close()
    return count


def raw_read(app: App) -> int:
    """Every event as verification reads it, streamed by the bare driver."""
    conn = app.engine.raw_connection()
    try:
        if app.engine.dialect.name == "postgresql":
            cur = conn.driver_connection.cursor(name="bench")  # type: ignore[union-attr]
        else:
            cur = conn.cursor()
        cur.execute(
            "SELECT id, subject, seq, kind, actor, at, CAST(data AS TEXT), hash FROM events "
            "ORDER BY subject, seq, id"
        )
        n = 0
        while batch := cur.fetchmany(5000):
            n += len(batch)
        cur.close()
        conn.rollback()
    finally:
        conn.close()
    return n


def measure(b: Backend, args: Any) -> Report:
    report = Report(f"The history on {b.name}: events per second", "rate", "raw read")
    with b.fresh() as app:
        say(f"{b.name}: adding {args.events:,} chained events")
        add_events(app, args.events)
        say(f"{b.name}: (c) raw read, (a) verify, (b) anchor")
        seconds, total = timed(lambda: raw_read(app))
        report.add("(c) raw streamed read of every event", seconds, total, "events", baseline=True)
        seconds, result = timed(lambda: verify(app))
        assert result.ok, result.first_broken
        report.add("(a) audit verify", seconds, result.events, "events")
        seconds, anchor = timed(lambda: take_anchor(app))
        report.add("(b) audit anchor, every history grew", seconds, anchor.events, "events")
        add_events_later(app, args.events // 1000)
        seconds, anchor = timed(lambda: take_anchor(app))
        report.add(
            f"(b') audit anchor, {anchor.subjects:,} histories grew",
            seconds,
            anchor.events,
            "events",
        )
    return report


def add_events_later(app: App, histories: int) -> None:
    """One more event in ``histories`` of the histories, through the library."""
    from serviceframe.services.events import event_row

    with app.uow() as uow:
        uow.record(
            [
                event_row("noted", f"bench:{k * 100}", "bench", NOW + timedelta(days=1), n=k)
                for k in range(histories)
            ]
        )
        uow.commit()


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=200_000, help="events in the history")
    args = p.parse_args(argv)
    header("bench_audit", args)
    collected: list[dict[str, Any]] = []
    for name in backends(args):
        with backend(name, args.pg_url) as b:
            emit(measure(b, args), collected, name)
    write_figures(args.json, collected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
