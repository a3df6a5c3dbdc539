"""Printing results: a table or lines for people, stable JSON with ``--json`` for programs."""

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from datetime import date, datetime

    from click._termui_impl import ProgressBar

    from serviceframe.progress import Progress

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (UTF-8, stable keys)."
)


def jurisdiction_options(command: Any) -> Any:
    """``--jurisdiction CODE`` (code or name, the places below it included) and ``--depth N``
    (how many levels below it get a line of their own), for roll-ups."""
    command = click.option(
        "--depth",
        type=click.IntRange(0),
        help="Lines for this many levels below the jurisdiction (1: its direct children); "
        "each line still counts everything below it. Default: every level.",
    )(command)
    return click.option(
        "--jurisdiction",
        metavar="CODE",
        help="Only this jurisdiction and the places below it: a GB/T 2260 code or a name "
        "(温县, 焦作市温县). Default: the whole organisation.",
    )(command)


def beijing_date(moment: "datetime") -> "date":
    """The Beijing date of a stored (UTC) time, as people count days."""
    from serviceframe.serialise import BEIJING

    return moment.astimezone(BEIJING).date()


def emit_json(value: Any) -> None:
    from serviceframe.serialise import dumps

    click.echo(dumps(value))


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Columns aligned by display width: a Chinese character takes two cells in a terminal."""
    cells = [[str(h) for h in headers], *[[("" if v is None else str(v)) for v in r] for r in rows]]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        click.echo("  ".join(pad(v, w) for v, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))


def display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def warn_failures(failures: Sequence[Any]) -> None:
    """One line per distinct plugin failure (a bulk import may meet the same one 10,000 times);
    of the host's failures, only those no earlier call has shown."""
    start = getattr(failures, "shown", 0)
    counts: dict[str, int] = {}
    for failure in failures[start:]:
        counts[str(failure)] = counts.get(str(failure), 0) + 1
    for text, n in counts.items():
        click.echo(f"警告 warning: {text}" + (f"(共 {n} 次)" if n > 1 else ""), err=True)
    if hasattr(failures, "shown"):
        failures.shown = len(failures)


def import_report(file: str, report: Any, as_json: bool) -> None:
    """What an import command prints: counts (or JSON), each rejected row on stderr, and exit
    status 1 when a row was rejected."""
    if as_json:
        emit_json(report)
    else:
        click.echo(
            f"{file}: {report.rows} rows, {report.inserted} added, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.errors)} rejected"
        )
        for error in report.errors:
            click.echo(f"  {error}", err=True)
    if report.errors:
        raise SystemExit(1)


@contextmanager
def progress_bar(label: str, as_json: bool = False) -> "Iterator[Progress | None]":
    """A progress bar on stderr while long work runs, for a person at a terminal: only when
    both stdout and stderr are terminals and ``--json`` is off, so never in a pipe, a file or
    a cron mail. Yields the callable to hand to the service (``None`` when not shown)."""
    if as_json or not (sys.stdout.isatty() and sys.stderr.isatty()):
        yield None
        return
    bar: ProgressBar[int] | None = None
    shown = 0

    def report(done: int, total: int) -> None:
        nonlocal bar, shown
        if bar is None:
            if total <= 0:
                return  # nothing to do: no bar
            bar = click.progressbar(
                length=total,
                label=label,
                file=sys.stderr,
                show_pos=True,
                show_percent=True,
                update_min_steps=max(1, total // 200),  # redraw at most ~200 times
            )
            bar.__enter__()
        bar.update(done - shown)
        shown = done

    try:
        yield report
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
