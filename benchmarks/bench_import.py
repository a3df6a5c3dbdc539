"""``serviceframe issue import`` of a large hotline export: time and peak memory by size.

    python benchmarks/bench_import.py [--backend sqlite|postgresql|both]
                                      [--sizes 10000,100000,1000000] [--one-enterprise]

Each import runs as a user runs it, ``serviceframe --db URL issue import FILE --source
hotline`` in a process of its own (only the built-in plugins), on a fresh copy of the Jiaozuo
database; its peak resident memory and CPU time come from the operating system (``wait4``).

The export: one call a row, 24 complaint templates over the example's 240 enterprises (or
all from one enterprise with ``--one-enterprise``), spread evenly over a year, each with an
external id; the text of a template repeats for an enterprise, so every row has
near-duplicate candidates (bounded by ``DUPLICATE_CANDIDATES``).

Figures, each as a ratio to the import of the first size in the same run: peak memory (goal:
no more than 1.5 × the first size at any size, i.e. the file is streamed in chunks) and time
per row (goal: linear, the same per row at every size; the issue states it as 1M ≤ 12 × 100k).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from bench_intake import TEMPLATES, enterprises
from common import Backend, Report, backend, backends, emit, header, parser, say, write_json

from serviceframe.store.database import resolve_url


def write_export(path: Path, rows: int, codes: Sequence[str]) -> None:
    """A hotline export of ``rows`` calls, spread evenly over a year."""
    start = datetime(2025, 11, 16, 9, 0)
    span = 365 * 24 * 3600
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["统一社会信用代码", "标题", "内容", "编号", "受理时间"])
        for i in range(rows):
            title, body = TEMPLATES[(i // len(codes) + i) % len(TEMPLATES)]
            out.writerow(
                [
                    codes[i % len(codes)],
                    title,
                    body.format(name="我公司", n=(i * 37) % 480 + 3, m=i % 12 + 1),
                    f"12345-{i:08d}",
                    (start + timedelta(seconds=span * i // rows)).strftime("%Y-%m-%d %H:%M"),
                ]
            )


def measured_import(url: str, path: Path) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds, peak RSS in bytes, last line of output) of one import
    in a process of its own, with the process's own CPU time and peak memory (wait4)."""
    env = {**os.environ, "SERVICEFRAME_DISABLE_PLUGINS": "eventlog"}  # only the built-ins
    command = [
        *(sys.executable, "-c", "from serviceframe.cli import main; main()"),
        *("--db", resolve_url(url), "issue", "import", str(path), "--source", "hotline"),
    ]
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        lines = out.read().decode("utf-8", "replace").strip().splitlines()
    if process.returncode != 0:
        raise RuntimeError(f"import failed ({process.returncode}): {lines[-5:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss * 1024, lines[-1] if lines else ""


def measure(b: Backend, sizes: Sequence[int], one: bool) -> Report:
    who = "one enterprise" if one else "240 enterprises"
    report = Report(
        f"issue import on {b.name} ({who}): rows per second and peak memory, as ratios to "
        f"the import of {sizes[0]:,} rows",
        "rate",
        f"{sizes[0]:,} rows",
    )
    b.template()
    with b.fresh() as app:
        codes = [code for code, _ in enterprises(app)]
    if one:
        codes = codes[:1]
    first: tuple[float, int] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        # What every run pays whatever its size (start-up, schema check, caches): an export
        # with no rows. It is taken off the CPU time, so the rates compare the work per row.
        path = Path(tmp) / "empty.csv"
        write_export(path, 0, codes)
        with b.fresh() as app:
            _, fixed, fixed_rss, _ = measured_import(app.engine.url.render_as_string(False), path)
        report.note(
            f"start-up (an export with no rows): CPU {fixed:.2f} s, {fixed_rss / 2**20:,.0f} MB"
        )
        for size in sizes:
            path = Path(tmp) / f"hotline-{size}.csv"
            say(f"{b.name}: writing a {size:,}-row export ({who})")
            write_export(path, size, codes)
            with b.fresh() as app:
                url = app.engine.url.render_as_string(False)
                say(f"{b.name}: importing {size:,} rows")
                wall, cpu, rss, last = measured_import(url, path)
            path.unlink()
            assert f"{size} filed" in last, last
            cpu -= fixed
            if first is None:
                first = (size / cpu, rss)
            report.add(f"import of {size:,} rows", wall, size, "rows", baseline=not report.rows)
            report.note(
                f"{size:,} rows: CPU {cpu:,.1f} s beyond start-up ({size / cpu / first[0]:.2f}× "
                f"the first size's rows per CPU second), peak RSS {rss / 2**20:,.0f} MB "
                f"({rss / first[1]:.2f}× the first size's)"
            )
    return report


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="rows of each export, comma-separated; the first is the reference",
    )
    p.add_argument("--one-enterprise", action="store_true", help="every row from one enterprise")
    p.add_argument("--both-mixes", action="store_true", help="240 enterprises, then one")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    header("bench_import", args)
    collected: list[dict[str, object]] = []
    mixes = [False, True] if args.both_mixes else [args.one_enterprise]
    for name in backends(args):
        with backend(name, args.pg_url) as b:
            for one in mixes:
                emit(measure(b, sizes, one), collected, name)
    write_json(args.json, collected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
