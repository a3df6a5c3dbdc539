"""Printing results: a table or lines for people, stable JSON with ``--json`` for programs."""

from collections.abc import Sequence
from typing import Any

import click

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (UTF-8, stable keys)."
)


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


def warn_failures(failures: list[Any]) -> None:
    """One line per distinct plugin failure (a bulk import may meet the same one 10,000 times);
    the failures shown are taken off the list, so none is shown twice."""
    counts: dict[str, int] = {}
    for failure in failures:
        counts[str(failure)] = counts.get(str(failure), 0) + 1
    for text, n in counts.items():
        click.echo(f"warning: {text}" + (f" ({n} times)" if n > 1 else ""), err=True)
    failures.clear()
