"""``serviceframe project``: major projects (重大项目) and their approval steps (category 5)."""

from typing import TYPE_CHECKING

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import beijing_date, emit_json, json_option, table, warn_failures

if TYPE_CHECKING:
    from serviceframe.services.projects import ProjectView


@click.group()
def project() -> None:
    """Major projects (重大项目): approval steps, time limits, stalled steps supervised."""


@project.command("add")
@click.option("--enterprise", required=True, help="The enterprise's credit code.")
@click.option("--name", required=True, help="The project's name (项目名称).")
@click.option("--investment", required=True, help="Total investment in 万元, e.g. 120000.")
@click.option("--industry", help="Industry code (default: the enterprise's).")
@click.option("--jurisdiction", help="Where it is built (default: the enterprise's place).")
@click.option("--leader", help="The coordinating leader (分包领导), an official id.")
@click.option("--lead-unit", help="The lead unit (牵头单位), a unit id.")
@click.option("--ref", help="The project's own number (项目编号); the same number is added once.")
@json_option
@click.pass_obj
def add(
    obj: CliContext,
    enterprise: str,
    name: str,
    investment: str,
    industry: str | None,
    jurisdiction: str | None,
    leader: str | None,
    lead_unit: str | None,
    ref: str | None,
    as_json: bool,
) -> None:
    """Add a project; its steps come from the jurisdiction's [[project_templates]].

    \b
    Example:
      serviceframe project add --enterprise 914108026469439561 --name 年产5万吨电缆扩建项目 \\
          --investment 120000 --leader jz-vm-industry --lead-unit jz-fgw --ref XM-2026-001
    """
    from serviceframe.services.projects import ProjectDraft, add_project, get_project

    added = add_project(
        obj.app,
        ProjectDraft(enterprise, name, investment, industry, jurisdiction, leader, lead_unit, ref),
    )
    warn_failures(obj.app.plugins.failures)
    view = get_project(obj.app, added.id)
    if as_json:
        emit_json(view)
        return
    _show(view)


@project.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--encoding", help="CSV encoding (default: UTF-8, else GBK, detected).")
@click.pass_obj
def import_(obj: CliContext, file: str, encoding: str | None) -> None:
    """Add the projects of a CSV/XLSX sheet, one a row.

    \b
    Columns (Chinese or English headers): 项目编号 ref, 统一社会信用代码 enterprise*,
    项目名称 name*, 总投资(万元) investment*, 行业代码 industry, 所属县区 jurisdiction,
    分包领导 leader, 牵头单位 lead_unit. Bad rows are listed by line and column and left
    out; a 项目编号 imported before adds nothing.
    """
    from serviceframe.services.projects import import_projects

    report = import_projects(obj.app, file, encoding)
    warn_failures(obj.app.plugins.failures)
    click.echo(
        f"{report.source}: {report.rows} rows; {report.added} projects added, "
        f"{report.existing} added before, {len(report.errors)} errors"
    )
    for error in report.errors:
        click.echo(str(error), err=True)
    if report.errors:
        raise SystemExit(1)


@project.command("list")
@click.option("--enterprise", help="Only this enterprise's projects.")
@click.option("--jurisdiction", help="Only projects in this jurisdiction (code).")
@json_option
@click.pass_obj
def list_(obj: CliContext, enterprise: str | None, jurisdiction: str | None, as_json: bool) -> None:
    """The projects, with how far their approvals got."""
    from serviceframe.services.projects import list_projects

    found = list_projects(obj.app, enterprise, jurisdiction)
    if as_json:
        emit_json(found)
        return
    table(
        ("编号", "项目", "企业", "总投资(万元)", "辖区", "已完成环节", "当前环节", "超期"),
        [
            (
                p.id,
                p.name,
                p.enterprise,
                p.investment,
                p.jurisdiction,
                f"{sum(1 for s in p.steps if s.status.finished)}/{len(p.steps)}",
                next((f"{s.name} {s.status.label}" for s in p.steps if not s.status.finished), "—"),
                "、".join(s.name for s in p.steps if s.issue_id is not None),
            )
            for p in found
        ],
    )


@project.command("show")
@click.argument("project_id", type=int)
@json_option
@click.pass_obj
def show(obj: CliContext, project_id: int, as_json: bool) -> None:
    """One project: its steps, their limits and dates, and its timeline."""
    from serviceframe.services.projects import get_project

    view = get_project(obj.app, project_id)
    if as_json:
        emit_json(view)
        return
    _show(view)


@project.command("step")
@click.argument("project_id", type=int)
@click.argument("step")
@click.option(
    "--status",
    required=True,
    help="submitted (已报送), approved (已批复), returned (已退回) or waived (免于办理).",
)
@click.option("--at", "at", help="When it happened (default: now; no zone = Beijing time).")
@json_option
@click.pass_obj
def step(
    obj: CliContext, project_id: int, step: str, status: str, at: str | None, as_json: bool
) -> None:
    """Move step STEP (its name or number) of a project on.

    Submitting starts its working-day clock; approving or waiving a step whose delay became
    an issue settles that issue.

    \b
    Example:
      serviceframe project step 1 环评批复 --status submitted --at "2026-09-29 10:00"
    """
    from serviceframe.cli.issue import parse_time
    from serviceframe.services.projects import get_project, set_step

    set_step(obj.app, project_id, step, status, parse_time(at, "--at"))
    warn_failures(obj.app.plugins.failures)
    view = get_project(obj.app, project_id)
    if as_json:
        emit_json(view)
        return
    _show(view)


@project.command("sweep")
@click.pass_obj
def sweep(obj: CliContext) -> None:
    """File an issue for every step still waiting past its limit (``escalate`` does this
    first, too); the issue then climbs the ladder like any other."""
    from serviceframe.services.projects import file_stalled_steps

    filed = file_stalled_steps(obj.app)
    warn_failures(obj.app.plugins.failures)
    click.echo(f"{len(filed)} stalled step(s) filed as issues: {', '.join(map(str, filed)) or '—'}")


@project.command("report")
@click.option("--jurisdiction", help="Only projects in this jurisdiction and those below it.")
@json_option
@click.pass_obj
def report(obj: CliContext, jurisdiction: str | None, as_json: bool) -> None:
    """Approval times per unit (working days against the limits) and steps by status."""
    from serviceframe.domain.project import StepStatus
    from serviceframe.services.projects import project_report

    found = project_report(obj.app, jurisdiction)
    if as_json:
        emit_json(found)
        return
    click.echo(
        f"重大项目 {found.projects} projects, 总投资 {found.investment} 万元; steps: "
        + ", ".join(f"{StepStatus(k).label} {v}" for k, v in sorted(found.steps.items()))
        + f"; 超期 {found.overdue}"
    )
    table(
        ("单位", "已批复", "办理中", "超期", "平均用时(工作日)", "平均时限"),
        [
            (u.name, u.steps, u.running, u.overdue, u.average_days, u.limit_days)
            for u in found.units
        ],
    )


def _show(view: "ProjectView") -> None:
    from serviceframe.serialise import BEIJING

    p = view.project
    click.echo(f"项目 {p.id} {p.name}" + (f" ({p.ref})" if p.ref else ""))
    click.echo(f"  企业 {view.enterprise_name} {p.enterprise}  总投资 {p.investment} 万元")
    click.echo(
        f"  行业 {p.industry}  辖区 {p.jurisdiction}  分包领导 {p.leader or '—'}  "
        f"牵头单位 {p.lead_unit or '—'}"
    )
    click.echo(f"  审批用时 {view.days_taken} 个工作日 / 时限合计 {view.days_allowed}")
    table(
        ("序号", "环节", "审批单位", "时限", "状态", "报送", "期限", "办结", "督办问题"),
        [
            (
                s.position,
                s.name,
                s.unit,
                s.limit_days,
                s.status.label,
                beijing_date(s.submitted_at) if s.submitted_at else "",
                (s.due.isoformat() + ("*" if s.due_provisional else "")) if s.due else "",
                beijing_date(s.finished_at) if s.finished_at else "",
                s.issue_id or "",
            )
            for s in p.steps
        ],
    )
    if view.timeline:
        click.echo("  时间线:")
        for entry in view.timeline:
            click.echo(f"    {entry.at.astimezone(BEIJING):%Y-%m-%d %H:%M}  {entry.label}")
