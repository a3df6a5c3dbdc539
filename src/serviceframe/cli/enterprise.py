"""``serviceframe enterprise``: the enterprise registry."""

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import (
    emit_json,
    import_report,
    json_option,
    progress_bar,
    table,
    warn_failures,
)


@click.group()
def enterprise() -> None:
    """Enterprises: import, list, show, designate key enterprises."""


@enterprise.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--encoding", help="CSV encoding (utf-8, gbk, gb18030); detected when omitted.")
@json_option
@click.pass_obj
def import_(obj: CliContext, file: str, encoding: str | None, as_json: bool) -> None:
    """Import enterprises from a CSV (UTF-8 or GBK) or XLSX FILE, upserting by credit code.

    Good rows are stored; every bad row is reported with its line, column and reason, and
    the command then exits with status 1.
    """
    from serviceframe.services.enterprises import import_enterprises

    with progress_bar("导入企业 importing", as_json) as bar:
        report = import_enterprises(obj.app, file, encoding, progress=bar)
    warn_failures(obj.app.plugins.failures)
    import_report(file, report, as_json)


@enterprise.command("list")
@click.option(
    "--jurisdiction",
    "--county",
    "jurisdiction",
    metavar="CODE",
    help="Only enterprises of this jurisdiction and the places below it: a GB/T 2260 code or "
    "a name (温县).",
)
@click.option(
    "--key",
    type=click.Choice(["province", "city", "county", "none"]),
    help="Key at this level or higher (county: every key enterprise); none: not key.",
)
@json_option
@click.pass_obj
def list_(obj: CliContext, jurisdiction: str | None, key: str | None, as_json: bool) -> None:
    """List enterprises."""
    from serviceframe.domain.enterprise import KeyLevel
    from serviceframe.services.enterprises import list_enterprises
    from serviceframe.services.organisation import organisation

    found = list_enterprises(obj.app, jurisdiction, KeyLevel(key) if key else None)
    if as_json:
        emit_json(found)
        return
    place = organisation(obj.app).place if found else str  # no enterprise before an org load
    table(
        ("统一社会信用代码", "企业名称", "所在地", "代码", "行业", "重点"),
        [
            (
                e.credit_code,
                e.name,
                place(e.jurisdiction),
                e.jurisdiction,
                e.industry,
                e.key_level.label,
            )
            for e in found
        ],
    )
    click.echo(f"{len(found)} enterprises")


@enterprise.command()
@click.argument("code")
@json_option
@click.pass_obj
def show(obj: CliContext, code: str, as_json: bool) -> None:
    """Show one enterprise with its contact leader and liaisons."""
    from serviceframe.services.assignments import assignments_of
    from serviceframe.services.enterprises import get_enterprise
    from serviceframe.services.organisation import organisation

    found = get_enterprise(obj.app, code)
    assignments = assignments_of(obj.app, found.credit_code, history=True)
    if as_json:
        emit_json({"enterprise": found, "assignments": assignments})
        return
    place = organisation(obj.app).place(found.jurisdiction)
    click.echo(
        f"{found.name}\n  统一社会信用代码 {found.credit_code}\n  所在地 {place} ({found.jurisdiction})"
    )
    click.echo(
        f"  行业 {found.industry}\n  重点级别 {found.key_level.label}\n  地址 {found.address}"
    )
    for c in found.contacts:
        click.echo(f"  联系人 {c.person} {c.phone} {c.email}".rstrip())
    for a in assignments:
        until = f" → {a.valid_to} ({a.ended_reason})" if a.valid_to else " → 至今"
        unit = f" {a.unit}" if a.unit else ""
        click.echo(f"  {a.kind.label}{unit} {a.official} {a.valid_from}{until}")


@enterprise.command()
@click.argument("code")
@click.option(
    "--level",
    required=True,
    type=click.Choice(["province", "city", "county", "none"]),
    help="The level whose key enterprise it is (a level above its own county; it is then key "
    "at every level below too), or none.",
)
@json_option
@click.pass_obj
def designate(obj: CliContext, code: str, level: str, as_json: bool) -> None:
    """Designate CODE a key enterprise of a level (province, city, county) or an ordinary one."""
    from serviceframe.domain.enterprise import KeyLevel
    from serviceframe.services.enterprises import designate as run

    found = run(obj.app, code, KeyLevel(level))
    warn_failures(obj.app.plugins.failures)
    if as_json:
        emit_json(found)
    else:
        click.echo(f"{found.credit_code} {found.name}: {found.key_level.label}")
