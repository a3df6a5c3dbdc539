"""``serviceframe indicator`` and ``serviceframe warnings``: monthly operating indicators and
the early warnings raised over them (工业运行监测、预测预警)."""

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
def indicator() -> None:
    """Monthly operating indicators of enterprises (用电量, 工业总产值, 税收, 从业人员)."""


@indicator.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--encoding", help="CSV encoding (utf-8, gbk, gb18030); detected when omitted.")
@json_option
@click.pass_obj
def import_(obj: CliContext, file: str, encoding: str | None, as_json: bool) -> None:
    """Add or update monthly indicators from a CSV (UTF-8 or GBK) or XLSX FILE.

    One row per enterprise (统一社会信用代码 or 企业名称) and month (月份), a column per
    indicator. A figure is kept once per enterprise, month and indicator: importing the same
    file again changes nothing. Counts are of figures; every bad row is reported with its
    line, column and reason, and the command then exits with status 1. The columns are in
    docs/file-formats.md.
    """
    from serviceframe.services.indicators import import_indicators

    with progress_bar("导入运行指标 importing", as_json) as bar:
        report = import_indicators(obj.app, file, encoding, progress=bar)
    warn_failures(obj.app.plugins.failures)
    import_report(file, report, as_json)


@indicator.command()
@click.option("--period", metavar="YYYY-MM", help="The month [default: the newest reported].")
@click.option(
    "--by",
    type=click.Choice(["jurisdiction", "industry"]),
    default="jurisdiction",
    show_default=True,
)
@click.option("--jurisdiction", metavar="CODE", help="Only this place and those below it.")
@json_option
@click.pass_obj
def rollup(
    obj: CliContext, period: str | None, by: str, jurisdiction: str | None, as_json: bool
) -> None:
    """The month's indicators summed by jurisdiction (each place below --jurisdiction, with
    everything below it) or by industry (GB/T 4754 division), with the change year on year."""
    from serviceframe.domain.indicators import INDICATORS, month_text, parse_month
    from serviceframe.services.indicators import latest_month
    from serviceframe.services.indicators import rollup as build

    app = obj.app
    if period:
        month_no: int | None = parse_month(period, "period")
    else:
        with app.uow() as uow:
            month_no = latest_month(uow)
    if month_no is None:
        raise click.ClickException("no indicators imported yet")
    code = None
    if jurisdiction:
        from serviceframe.services.organisation import organisation

        code = organisation(app).resolve(jurisdiction)
    lines = build(app, month_no, by, code)
    if as_json:
        emit_json(
            {
                "month": month_text(month_no),
                "by": by,
                "lines": [
                    {
                        "key": ln.key,
                        "name": ln.name,
                        "indicator": ln.indicator,
                        "indicator_label": INDICATORS[ln.indicator][0],
                        "unit": INDICATORS[ln.indicator][1],
                        "enterprises": ln.enterprises,
                        "value": ln.value,
                        "year_before": ln.year_before,
                        "change": ln.change,
                    }
                    for ln in lines
                ],
            }
        )
        return
    click.echo(
        f"{month_text(month_no)} 工业运行指标({'按地区' if by == 'jurisdiction' else '按行业'})"
    )
    table(
        ["地区" if by == "jurisdiction" else "行业", "指标", "企业数", "本月", "上年同月", "同比"],
        [
            (
                ln.name,
                f"{INDICATORS[ln.indicator][0]}({INDICATORS[ln.indicator][1]})",
                ln.enterprises,
                f"{ln.value:,.1f}",
                "—" if ln.year_before is None else f"{ln.year_before:,.1f}",
                "—" if ln.change is None else f"{ln.change:+.1%}",
            )
            for ln in lines
        ],
    )


@click.command()
@click.option("--period", metavar="YYYY-MM", help="The month [default: the newest reported].")
@click.option("--jurisdiction", metavar="CODE", help="Only enterprises of this place and below.")
@click.option(
    "--no-check",
    is_flag=True,
    help="Only list the warnings stored; do not apply the rules first.",
)
@json_option
@click.pass_obj
def warnings(
    obj: CliContext, period: str | None, jurisdiction: str | None, no_check: bool, as_json: bool
) -> None:
    """Early warnings (预测预警) of a month: the organisation file's [[warnings]] rules are
    applied to the indicators first (a warning is raised, told and stored once per
    enterprise, month and rule), then the month's warnings are listed."""
    from serviceframe.serialise import beijing_iso
    from serviceframe.services.early_warning import list_warnings, raise_warnings

    app = obj.app
    raised: tuple[int, ...] = ()
    if no_check:
        found = list_warnings(app, period, jurisdiction)
        month = found[0].month if found else period
    else:
        run = raise_warnings(app, period)
        raised, month = run.raised, run.month
        found = list_warnings(app, run.month, jurisdiction) if run.month else []
    if as_json:
        emit_json({"month": month, "raised": list(raised), "warnings": found})
        return
    if month is None:
        click.echo("尚无运行指标 no indicators imported yet")
        return
    click.echo(f"{month} 预警 {len(found)} 条(本次新增 {len(raised)} 条)")
    table(
        ["编号", "企业", "规则", "情况", "问题", "预警时间"],
        [
            (
                w.id,
                w.enterprise_name,
                w.rule_title,
                w.detail,
                w.issue_id or "",
                beijing_iso(w.raised_at)[:16].replace("T", " "),
            )
            for w in found
        ],
    )
