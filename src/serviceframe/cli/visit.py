"""``serviceframe visit``: visits, symposiums and on-site office days (R5), and who held them."""

import re
from typing import TYPE_CHECKING, Any

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, table, warn_failures

if TYPE_CHECKING:
    from serviceframe.domain.visit import Visit
    from serviceframe.services.compliance import Compliance

PERIOD_HELP = "2026, 2026-H2, 2026-Q3 (2026Q3), 2026-09 or 2026-09-01..2026-09-30."
# "914108026469439561:电网频繁拉闸" — the enterprise that raised a problem, then the problem.
_PROBLEM = re.compile(r"^\s*([0-9A-Za-z]{18})\s*[:：]\s*(.+)$", re.S)


@click.group()
def visit() -> None:
    """Visits to enterprises (走访调研), symposiums (座谈会), on-site office days (现场办公)."""


@visit.command("add")
@click.option("--date", "day", required=True, help="The day it took place, e.g. 2026-09-10.")
@click.option(
    "--kind",
    required=True,
    help="visit (走访调研), symposium (座谈会) or onsite (现场办公); Chinese accepted.",
)
@click.option("--unit", "units", multiple=True, help="A unit that took part (id or name).")
@click.option("--official", "officials", multiple=True, help="An official present (id or name).")
@click.option(
    "--enterprise", "enterprises", multiple=True, help="An enterprise visited or present."
)
@click.option("--note", "notes", multiple=True, help="A finding that needs no handling.")
@click.option(
    "--problem",
    "problems",
    multiple=True,
    help="A problem raised, filed as an issue: 'TEXT' when one enterprise was visited, "
    "else 'CREDITCODE:TEXT'.",
)
@click.option("--category", help="The service category (1-9) of the problems, if known.")
@click.option("--jurisdiction", help="Whose activity it is (default: the first unit's).")
@click.option("--subject", default="", help="The subject (主题).")
@click.option("--place", default="", help="Where (地点).")
@click.option("--ref", help="Your own number (编号); the same number is recorded once.")
@json_option
@click.pass_obj
def add(
    obj: CliContext,
    day: str,
    kind: str,
    units: tuple[str, ...],
    officials: tuple[str, ...],
    enterprises: tuple[str, ...],
    notes: tuple[str, ...],
    problems: tuple[str, ...],
    category: str | None,
    jurisdiction: str | None,
    subject: str,
    place: str,
    ref: str | None,
    as_json: bool,
) -> None:
    """Record a visit, a symposium or an on-site office day; problems become issues.

    \b
    Examples:
      serviceframe visit add --date 2026-09-10 --kind 走访 --unit jz-fgw \\
          --official jz-fgw-head --enterprise 914108026469439561 \\
          --note 生产经营正常 --problem 电网频繁拉闸限电,请协调供电公司
      serviceframe visit add --date 2026-07-15 --kind 座谈会 --unit jz-gov --official jz-mayor
    """
    from serviceframe.services.visits import FindingDraft, VisitDraft, record_visit

    findings = [FindingDraft(n) for n in notes]
    for text in problems:
        m = _PROBLEM.match(text)
        enterprise, body = (m[1], m[2]) if m else (None, text)
        findings.append(FindingDraft(body, enterprise, True, category))
    result = record_visit(
        obj.app,
        VisitDraft(
            kind=kind,
            date=day,
            units=units,
            officials=officials,
            enterprises=enterprises,
            findings=tuple(findings),
            jurisdiction=jurisdiction,
            subject=subject,
            place=place,
            ref=ref,
        ),
    )
    warn_failures(obj.app.plugins.failures)
    if as_json:
        emit_json(result)
        return
    _show(result)


@visit.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--encoding", help="CSV encoding (default: UTF-8, else GBK, detected).")
@click.pass_obj
def import_(obj: CliContext, file: str, encoding: str | None) -> None:
    """Record the visits of a CSV/XLSX sheet, one row per enterprise visited.

    \b
    Columns (Chinese or English headers): 编号 ref, 日期 date*, 类型 kind*, 单位 units,
    领导 officials, 企业 enterprises, 主题 subject, 地点 place, 情况 finding,
    企业反映问题 problem (filed as an issue), 类别 category, 辖区 jurisdiction.
    Rows with the same 编号 are one visit. Several names in a cell: 、 , ; or /.
    Bad rows are listed by line and column; their visit is left out whole.
    """
    from serviceframe.services.visits import import_visits

    report = import_visits(obj.app, file, encoding)
    warn_failures(obj.app.plugins.failures)
    click.echo(
        f"{report.source}: {report.rows} rows; {report.recorded} visits recorded, "
        f"{report.existing} recorded before, {report.issues} issues filed, "
        f"{len(report.errors)} errors"
    )
    for error in report.errors:
        click.echo(str(error), err=True)
    if report.errors:
        raise SystemExit(1)


@visit.command("list")
@click.option("--period", metavar="P", help=PERIOD_HELP)
@click.option("--jurisdiction", help="Only this jurisdiction and those below it.")
@click.option("--unit", help="Only visits this unit took part in.")
@click.option("--kind", help="visit, symposium or onsite.")
@json_option
@click.pass_obj
def list_(
    obj: CliContext,
    period: str | None,
    jurisdiction: str | None,
    unit: str | None,
    kind: str | None,
    as_json: bool,
) -> None:
    """The visits recorded, oldest first."""
    from serviceframe.domain.period import parse_period
    from serviceframe.domain.visit import parse_kind
    from serviceframe.services.organisation import organisation
    from serviceframe.services.visits import list_visits

    span = parse_period(period) if period else None
    codes = None
    if jurisdiction:
        org = organisation(obj.app)
        codes = org.descendants(org.resolve(jurisdiction))
    visits = list_visits(
        obj.app,
        span.start if span else None,
        span.end if span else None,
        codes,
        unit,
        parse_kind(kind) if kind else None,
    )
    if as_json:
        emit_json(visits)
        return
    table(
        ("编号", "日期", "类型", "单位", "领导", "企业数", "发现", "交办问题"),
        [
            (
                v.id,
                v.date.isoformat(),
                v.kind.label,
                "、".join(v.units),
                "、".join(v.officials),
                len(v.enterprises),
                len(v.findings),
                "、".join(str(f.issue) for f in v.findings if f.issue),
            )
            for v in visits
        ],
    )


@visit.command("show")
@click.argument("visit_id", type=int)
@json_option
@click.pass_obj
def show(obj: CliContext, visit_id: int, as_json: bool) -> None:
    """One visit: who went where, what was found, which issues it raised."""
    from serviceframe.services.visits import get_visit

    found = get_visit(obj.app, visit_id)
    if as_json:
        emit_json(found)
        return
    _show(found)


def _show(v: "Visit") -> None:
    click.echo(
        f"{v.kind.label} {v.kind.value} #{v.id}  {v.date.isoformat()}  辖区 {v.jurisdiction}"
    )
    for label, value in (
        ("编号", v.ref or ""),
        ("主题", v.subject),
        ("地点", v.place),
        ("单位", "、".join(v.units)),
        ("领导", "、".join(v.officials)),
        ("企业", "、".join(v.enterprises)),
    ):
        if value:
            click.echo(f"{label}: {value}")
    for n, f in enumerate(v.findings, start=1):
        kind = f"问题 → issue {f.issue}" if f.problem else "情况"
        click.echo(f"  {n}. [{kind}] {f.enterprise or ''} {f.text}")


@visit.command("compliance")
@click.option("--period", required=True, metavar="P", help=PERIOD_HELP)
@click.option("--jurisdiction", help="A jurisdiction (code or name) and everything below it.")
@json_option
@click.pass_obj
def compliance(obj: CliContext, period: str, jurisdiction: str | None, as_json: bool) -> None:
    """Who held the visits R5 asks for: member units once a quarter, heads a symposium each
    half year, key enterprises visited by their contact leader; who is behind, since when."""
    from serviceframe.services.compliance import visit_compliance

    report = visit_compliance(obj.app, period, jurisdiction)
    if as_json:
        emit_json(compliance_dict(report))
        return
    _print_compliance(report)


def _since(holder: Any) -> str:
    if not holder.behind:
        return ""
    if holder.last is None:
        return "从未 never"
    return holder.behind_since.isoformat() if holder.behind_since else ""


def _print_compliance(c: "Compliance") -> None:
    from serviceframe.serialise import beijing_iso

    as_of = beijing_iso(c.as_of)[:16].replace("T", " ")
    click.echo(f"走访调研落实情况 {c.period} (辖区 {c.jurisdiction}, as of {as_of})")
    spans = [str(x.span) for x in c.units[0].checks] if c.units else []
    click.echo("\n成员单位每季度走访 member units, a visit each quarter")
    table(
        ("单位", "名称", *spans, "最近走访", "未完成", "落后自"),
        [
            (
                u.id,
                u.name,
                *(f"{x.held} {x.state.label}" for x in u.checks),
                u.last.isoformat() if u.last else "—",
                "、".join(u.missed),
                _since(u),
            )
            for u in c.units
        ],
    )
    halves = [str(x.span) for x in c.heads[0].checks] if c.heads else []
    click.echo("\n主要领导每半年座谈会 heads, a symposium each half year")
    table(
        ("辖区", "领导", "职务", *halves, "最近座谈会", "未完成", "落后自"),
        [
            (
                h.jurisdiction,
                h.name,
                h.title,
                *(f"{x.held} {x.state.label}" for x in h.checks),
                h.last.isoformat() if h.last else "—",
                "、".join(h.missed),
                _since(h),
            )
            for h in c.heads
        ],
    )
    click.echo(
        f"\n联系领导未走访的重点企业 key enterprises not visited by their contact leader: "
        f"{len(c.contact_gaps)} of {c.key_enterprises}"
    )
    table(
        ("企业", "名称", "级别", "联系领导", "职务", "最近走访"),
        [
            (
                g.enterprise,
                g.enterprise_name,
                g.key_level.label,
                g.official_name,
                g.official_title,
                g.last_visit.isoformat() if g.last_visit else "从未",
            )
            for g in c.contact_gaps
        ],
    )
    if c.without_contact:
        click.echo(
            f"{c.without_contact} key enterprises have no contact leader at all "
            "(serviceframe coverage)"
        )


def compliance_dict(c: "Compliance") -> dict[str, Any]:
    """The documented JSON of ``visit compliance``."""

    def holder(h: Any, key: str) -> dict[str, Any]:
        return {
            key: h.id,
            "name": h.name,
            "title": h.title,
            "jurisdiction": h.jurisdiction,
            "spans": [
                {
                    "span": str(x.span),
                    "start": x.span.start.isoformat(),
                    "end": x.span.end.isoformat(),
                    "held": x.held,
                    "state": x.state.value,
                    "state_label": x.state.label,
                }
                for x in h.checks
            ],
            "last": h.last.isoformat() if h.last else None,
            "missed": list(h.missed),
            "behind": h.behind,
            "behind_since": h.behind_since.isoformat() if h.behind_since else None,
        }

    return {
        "period": {"text": str(c.period), "start": c.period.start, "end": c.period.end},
        "as_of": c.as_of,
        "jurisdiction": c.jurisdiction,
        "units": [holder(u, "unit") for u in c.units],
        "heads": [holder(h, "official") for h in c.heads],
        "contact_gaps": [
            {
                "enterprise": g.enterprise,
                "enterprise_name": g.enterprise_name,
                "key_level": g.key_level.value,
                "jurisdiction": g.jurisdiction,
                "official": g.official,
                "official_name": g.official_name,
                "last_visit": g.last_visit.isoformat() if g.last_visit else None,
            }
            for g in c.contact_gaps
        ],
        "key_enterprises": c.key_enterprises,
        "without_contact": c.without_contact,
        "behind": c.behind,
    }


# `serviceframe visits compliance …`, as the office says it, is the same group.
visits = click.Group("visits", commands=visit.commands, help="The same as `visit`.", hidden=True)
