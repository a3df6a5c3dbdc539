"""Start-up of the CLI: commands that read the store against importing SQLAlchemy.

A command that reads the store cannot start faster than the interpreter importing SQLAlchemy
(its store layer is SQLAlchemy Core); what serviceframe adds on top is what this measures.
Each command runs as a fresh process, the processes taking turns, ``--runs`` rounds; the figures
are the median CPU time of the process (user + system: on a shared machine its wall time is
mostly waiting for a core) and the median wall time:

- baseline: ``python -c "import sqlalchemy"`` (goal: ``issue list --json`` ≤ 1.5× it);
- ``python -c pass``: the interpreter alone;
- ``serviceframe --help`` (goal: ≤ 0.3 s; never imports SQLAlchemy);
- ``serviceframe issue list --json`` and ``escalate --dry-run`` on the demo database
  (``serviceframe demo``, built first unless ``--db`` names one).

Run with the Python of the environment serviceframe is installed in::

    python benchmarks/bench_startup.py --runs 15
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = {
    "python -c pass": ["-c", "pass"],
    'python -c "import sqlalchemy" (baseline)': ["-c", "import sqlalchemy"],
    "serviceframe --help": ["{cli}", "--help"],
    "serviceframe issue list --json": ["{cli}", "--db", "{db}", "issue", "list", "--json"],
    "serviceframe escalate --dry-run": [
        "{cli}",
        "--db",
        "{db}",
        "escalate",
        "--dry-run",
        "--json",
    ],
}
BASELINE = 'python -c "import sqlalchemy" (baseline)'


def run(argv: list[str]) -> tuple[float, float]:
    """CPU seconds and wall seconds of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *argv], capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr[-2000:]}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return cpu, wall


def compile_sources() -> None:
    """Byte-compile the project's sources, as installing a package does. An editable install
    (a checkout, CI) under PYTHONDONTWRITEBYTECODE=1 never writes them, and every run would
    compile each module again (~30 ms of `--help`): that measures the checkout, not the CLI."""
    root = Path(__file__).resolve().parent.parent
    for src in [root / "src", *root.glob("plugins/*/src"), *root.glob("examples/*/src")]:
        compileall.compile_dir(src, quiet=1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=11, help="rounds of every command, taking turns")
    p.add_argument(
        "--db", help="an existing demo database (default: `serviceframe demo` builds one)"
    )
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        cli = str(Path(sys.executable).with_name("serviceframe"))  # the console script
        if db is None:
            db = str(Path(tmp) / "demo.db")
            print("building the demo database (serviceframe demo)", file=sys.stderr)
            subprocess.run(
                [sys.executable, cli, "demo", "--out", db],
                check=True,
                capture_output=True,
                cwd=tmp,
            )
        commands = {
            k: [a.replace("{db}", db).replace("{cli}", cli) for a in v] for k, v in COMMANDS.items()
        }
        compile_sources()
        for argv_ in commands.values():  # warm the file cache
            run(argv_)
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in commands}
        for _ in range(args.runs):
            for name, argv_ in commands.items():
                times[name].append(run(argv_))
    cpu = {k: statistics.median(c for c, _ in v) for k, v in times.items()}
    wall = {k: statistics.median(w for _, w in v) for k, v in times.items()}
    print(
        f"bench_startup: Python {sys.version.split()[0]}, {args.runs} rounds taking turns, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print(f"{'command':<40} {'CPU s':>7} {'ratio':>7} {'wall s':>8} {'ratio':>7}")
    for name in times:
        print(
            f"{name:<40} {cpu[name]:>7.3f} {cpu[name] / cpu[BASELINE]:>6.2f}× "
            f"{wall[name]:>8.3f} {wall[name] / wall[BASELINE]:>6.2f}×"
        )
    print("ratio: ÷ the baseline, python -c 'import sqlalchemy' (goal for issue list: ≤ 1.5×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
