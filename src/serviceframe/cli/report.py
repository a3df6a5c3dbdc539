"""``serviceframe report``: the report kinds plugins registered, and running one."""

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, table, warn_failures


@click.group()
def report() -> None:
    """Reports: the circular (通报), the leaders' report, the assessment, and any a county's
    plugin adds (docs/reports.md)."""


@report.command("list")
@json_option
@click.pass_obj
def list_(obj: CliContext, as_json: bool) -> None:
    """Every report kind, its parameters and the plugin that registered it."""
    from serviceframe.reports.kinds import report_kinds

    registry = report_kinds(obj.app)
    warn_failures(obj.app.plugins.failures)
    kinds = [registry.records[n] for n in registry.names()]
    if as_json:
        emit_json(
            [
                {
                    "name": k.name,
                    "title": k.title,
                    "description": k.description,
                    "plugin": registry.owner(k.name),
                    "formats": list(k.formats),
                    "parameters": [
                        {"name": p.name, "type": p.type, "default": p.default, "help": p.help}
                        for p in k.parameters
                    ],
                }
                for k in kinds
            ]
        )
        return
    table(
        ("名称 name", "标题 title", "参数 parameters", "格式 formats", "插件 plugin"),
        [
            (
                k.name,
                k.title,
                " ".join(f"{p.name}={p.default}" for p in k.parameters),
                ",".join(k.formats),
                registry.owner(k.name),
            )
            for k in kinds
        ],
    )
    for name, plugins in sorted(registry.conflicts.items()):
        click.echo(
            f"warning: report {name!r} is registered by {' and '.join(plugins)}; "
            "neither can be run until one is disabled",
            err=True,
        )


@report.command("run")
@click.argument("name")
@click.option("--period", required=True, metavar="P", help="2026, 2026-Q4, 2026-10, A..B.")
@click.option("--jurisdiction", help="A jurisdiction (code or name) and everything below it.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "xlsx", "html"]),
    help="Output format (default: from the --out suffix, else text).",
)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write to this file.")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A parameter of the report kind (see `report list`); repeatable.",
)
@click.pass_obj
def run(
    obj: CliContext,
    name: str,
    period: str,
    jurisdiction: str | None,
    fmt: str | None,
    out: str | None,
    params: tuple[str, ...],
) -> None:
    """Build the report NAME for a period and write it as text, JSON, XLSX or HTML.

    \b
    Examples:
      serviceframe report run circular --period 2026-Q4 --out 通报.html
      serviceframe report run circular --period 2026-Q4 --format xlsx --out 通报.xlsx
      serviceframe report run briefing --period 2026-10 --jurisdiction 解放区
      serviceframe report run assessment --period 2026 --out 考核.xlsx
    """
    from serviceframe.errors import ValidationError
    from serviceframe.reports.run import render, run_report, write_report

    given: dict[str, object] = {}
    for pair in params:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationError("param", pair, "write KEY=VALUE")
        given[key.strip()] = value
    if out:
        written = write_report(obj.app, name, out, period, jurisdiction, given, fmt)
        warn_failures(obj.app.plugins.failures)
        click.echo(f"{out}: report {name} ({written})", err=True)
        return
    if fmt in ("xlsx", "html"):
        raise click.UsageError(f"--format {fmt} needs --out FILE")
    built = run_report(obj.app, name, period, jurisdiction, given)
    warn_failures(obj.app.plugins.failures)
    click.echo(render(built, fmt or "text"), nl=False)
