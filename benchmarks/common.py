"""Shared helpers of the benchmark scripts.

Every figure a script prints is a ratio to a *baseline measured in the same run, on the same
database*: what the database can do at best with bare SQL. Absolute numbers depend on the
machine; the ratios say how much the application adds on top of the database, and are what
to compare between runs and machines. Nothing here asserts a time: tests stay untimed.

``--backend sqlite|postgresql|both`` picks the store. Each measurement gets a fresh database
copied from a template that holds the migrated schema and the bundled Jiaozuo example city
(organisation, 240 enterprises, assignments), built once per backend and run
(``serviceframe.testing.databases``: a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on
PostgreSQL). Every database made is dropped at the end, also when a run fails or is
interrupted.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy
from sqlalchemy import text

from serviceframe.app import App, Settings, bootstrap
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.testing.databases import PostgreSQLDatabases, SQLiteDatabases, migrated

T = TypeVar("T")

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"

# "Now" for every benchmark: a Monday in late 2026, so that deadlines fall in a year the
# calendar knows (no provisional deadlines, no warnings) and the runs are reproducible.
NOW = datetime(2026, 11, 16, 10, 0, tzinfo=SHANGHAI)


# --- arguments -------------------------------------------------------------------------------


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument(
        "--backend",
        choices=["sqlite", "postgresql", "both"],
        default="both",
        help="which store to measure",
    )
    p.add_argument(
        "--pg-url",
        default=os.environ.get("SERVICEFRAME_BENCH_PG", DEFAULT_PG_URL),
        help="PostgreSQL admin URL (may create and drop databases); env SERVICEFRAME_BENCH_PG",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="best of this many runs, for the measurements cheap enough to repeat",
    )
    p.add_argument("--json", metavar="FILE", help="also write every figure to FILE as JSON")
    return p


def backends(args: argparse.Namespace) -> list[str]:
    return ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]


# --- databases -------------------------------------------------------------------------------


def make_app(url: str) -> App:
    """An app on ``url`` with only the built-in plugins (no entry points: the core is what is
    measured) and the benchmark's fixed clock."""
    app = bootstrap(
        Settings(acting_as="office", db_url=url, actor="bench", load_entry_points=False)
    )
    app.clock = lambda: NOW
    return app


def _jiaozuo(url: str) -> None:
    from serviceframe.demo import load_example

    migrated(url)
    app = make_app(url)
    try:
        load_example(app)
    finally:
        app.close()


class Backend:
    """Fresh databases on one backend, each a copy of a template with the Jiaozuo example."""

    def __init__(self, name: str, pg_url: str = DEFAULT_PG_URL) -> None:
        self.name = name
        self.databases: SQLiteDatabases | PostgreSQLDatabases = (
            PostgreSQLDatabases(pg_url) if name == "postgresql" else SQLiteDatabases()
        )
        self._template: str | None = None
        self.template_seconds = 0.0
        self._live: list[str] = []

    def template(self) -> str:
        if self._template is None:
            started = time.perf_counter()
            self._template = self.databases.template(_jiaozuo)
            self.template_seconds = time.perf_counter() - started
        return self._template

    @contextmanager
    def fresh(self) -> Iterator[App]:
        """An app on a new copy of the Jiaozuo database, dropped when the block ends."""
        url = self.databases.clone(self.template())
        self._live.append(url)
        app = make_app(url)
        try:
            yield app
        finally:
            app.close()
            self.databases.drop(url)
            self._live.remove(url)

    def close(self) -> None:
        for url in list(self._live):
            self.databases.drop(url)
        self.databases.close()


@contextmanager
def backend(name: str, pg_url: str) -> Iterator[Backend]:
    b = Backend(name, pg_url)
    try:
        yield b
    finally:
        b.close()


HELPDESK_PYTHON = os.environ.get("SERVICEFRAME_HELPDESK_PYTHON", "/work/venvs/helpdesk/bin/python")


def helpdesk_peer(b: Backend, python: str, *arguments: str) -> dict[str, Any] | None:
    """Run ``helpdesk_peer.py`` (django-helpdesk 2.6.1, in a venv of its own: ``python``) on a
    database of its own on the same server; its JSON result, or None when that venv is not
    there."""
    import tempfile
    from pathlib import Path

    if not Path(python).exists():
        return None
    script = Path(__file__).with_name("helpdesk_peer.py")
    with tempfile.TemporaryDirectory() as tmp:
        if b.name == "sqlite":
            where = ["--sqlite", str(Path(tmp) / "helpdesk.db")]
            url = None
        else:
            url = b.databases.clone(b.databases.template(lambda _url: None))
            where = ["--postgresql", url.replace("postgresql+psycopg://", "postgresql://")]
        try:
            done = subprocess.run(
                [python, str(script), *where, *arguments],
                capture_output=True,
                text=True,
                timeout=1800,
            )
        finally:
            if url is not None:
                b.databases.drop(url)
    if done.returncode != 0:
        raise RuntimeError(f"helpdesk_peer.py failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def server_version(app: App) -> str:
    with app.engine.connect() as conn:
        if app.engine.dialect.name == "postgresql":
            return str(conn.execute(text("SHOW server_version")).scalar())
        return "SQLite " + str(conn.execute(text("SELECT sqlite_version()")).scalar())


# --- timing ----------------------------------------------------------------------------------


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """(seconds, result) of one call, on a quiet heap."""
    gc.collect()
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def best_of(n: int, fn: Callable[[], T], setup: Callable[[], Any] | None = None) -> tuple[float, T]:
    """The fastest of ``n`` calls (``setup`` runs untimed before each), and its result."""
    best: tuple[float, T] | None = None
    for _ in range(max(1, n)):
        if setup is not None:
            setup()
        seconds, result = timed(fn)
        if best is None or seconds < best[0]:
            best = (seconds, result)
    assert best is not None
    return best


@contextmanager
def quiet_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# --- reporting -------------------------------------------------------------------------------


class Report:
    """A table of figures, each shown as a ratio to the run's baseline.

    ``mode="rate"``: the ratio is rate / baseline rate (higher is better, 1× is as fast as the
    bare database). ``mode="time"``: the ratio is seconds / baseline seconds (lower is better,
    1× costs as much as the bare query).
    """

    def __init__(self, title: str, mode: str, baseline_name: str) -> None:
        assert mode in ("rate", "time")
        self.title = title
        self.mode = mode
        self.baseline_name = baseline_name
        self.rows: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.baseline: dict[str, Any] | None = None

    def add(
        self,
        label: str,
        seconds: float,
        count: int | None = None,
        unit: str = "rows",
        baseline: bool = False,
        ratio_to: str | None = None,
        ratio_name: str | None = None,
    ) -> dict[str, Any]:
        """One figure; ``ratio_to`` names another row to compare with instead of the
        baseline (for a second reference), shown as ``ratio_name``."""
        row = {
            "label": label,
            "seconds": seconds,
            "count": count,
            "unit": unit,
            "rate": (count / seconds) if count is not None and seconds > 0 else None,
            "baseline": baseline,
            "ratio_to": ratio_to,
            "ratio_name": ratio_name,
        }
        if baseline:
            self.baseline = row
        self.rows.append(row)
        return row

    def note(self, line: str) -> None:
        self.notes.append(line)

    def ratio(self, row: dict[str, Any]) -> float | None:
        ref = self.baseline
        if row["ratio_to"] is not None:
            ref = next((r for r in self.rows if r["label"] == row["ratio_to"]), None)
        if ref is None or row is ref:
            return None
        if self.mode == "rate":
            if row["rate"] is None or not ref["rate"]:
                return None
            return float(row["rate"] / ref["rate"])
        return row["seconds"] / ref["seconds"] if ref["seconds"] > 0 else None

    def render(self) -> str:
        head = ["figure", "count", "seconds", "per second", "ratio"]
        lines = []
        for row in self.rows:
            ratio = self.ratio(row)
            ref = row["ratio_name"] or row["ratio_to"] or self.baseline_name
            lines.append(
                [
                    row["label"] + (" (baseline)" if row["baseline"] else ""),
                    "" if row["count"] is None else f"{row['count']:,} {row['unit']}",
                    f"{row['seconds']:.4f}" if row["seconds"] < 10 else f"{row['seconds']:.2f}",
                    "" if row["rate"] is None else f"{row['rate']:,.0f}",
                    "1×"
                    if row["baseline"]
                    else ("" if ratio is None else f"{fmt_ratio(ratio)} {ref}"),
                ]
            )
        widths = [max(len(h), *(width(line[i]) for line in lines)) for i, h in enumerate(head)]
        out = [self.title, "-" * len(self.title)]
        out.append("  ".join(pad(h, w) for h, w in zip(head, widths, strict=True)))
        for line in lines:
            out.append(
                "  ".join(
                    pad(c, w, right=0 < i < 4)
                    for i, (c, w) in enumerate(zip(line, widths, strict=True))
                )
            )
        out += [f"  {n}" for n in self.notes]
        return "\n".join(out)

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "mode": self.mode,
            "baseline": self.baseline_name,
            "rows": [{**r, "ratio": self.ratio(r)} for r in self.rows],
            "notes": self.notes,
        }


def fmt_ratio(ratio: float) -> str:
    if ratio >= 100:
        return f"{ratio:,.0f}×"
    if ratio >= 10:
        return f"{ratio:.1f}×"
    if ratio >= 0.1:
        return f"{ratio:.2f}×"
    return f"{ratio:.3f}×"


def width(s: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(c) > 0x2E80 else 1 for c in s)


def pad(s: str, w: int, right: bool = False) -> str:
    fill = " " * (w - width(s))
    return fill + s if right else s + fill


def revision() -> str:
    """The commit the work tree is on (read-only: ``git rev-parse``), if it is a checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            cwd=os.path.dirname(os.path.abspath(__file__)),
        )
    except (OSError, subprocess.SubprocessError):
        return "?"
    return out.stdout.strip() or "?"


def header(script: str, args: argparse.Namespace) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{script}: serviceframe at {revision()}, Python {platform.python_version()}, "
        f"SQLAlchemy {sqlalchemy.__version__}, {os.cpu_count()} CPUs, load {load:.1f}; "
        f"now = {NOW.isoformat()}"
    )
    print("  " + " ".join(sys.argv[1:]) if len(sys.argv) > 1 else "  (defaults)")
    sys.stdout.flush()


def emit(report: Report, collected: list[dict[str, Any]], backend_name: str) -> None:
    print()
    print(report.render())
    sys.stdout.flush()
    collected.append({"backend": backend_name, **report.to_json()})


def measure_each_backend(
    args: argparse.Namespace, measure: Callable[[Backend, argparse.Namespace], Report]
) -> None:
    """Run ``measure`` on a fresh store of each backend asked for, print each table, and
    write every figure to ``--json`` if given."""
    collected: list[dict[str, Any]] = []
    for name in backends(args):
        with backend(name, args.pg_url) as b:
            emit(measure(b, args), collected, name)
    write_json(args.json, collected)


def write_json(path: str | None, collected: list[dict[str, Any]]) -> None:
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(collected, f, ensure_ascii=False, indent=2)
        print(f"\nfigures written to {path}")


def say(message: str) -> None:
    """Progress on stderr, so that stdout is just the figures."""
    print(f"  … {message}", file=sys.stderr, flush=True)
