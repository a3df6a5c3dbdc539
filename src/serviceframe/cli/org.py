"""``serviceframe org``: the organisation (leading group, office, units, officials)."""

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, progress_bar, table


@click.group()
def org() -> None:
    """The organisation: jurisdictions, units, officials and their portfolios."""


@org.command()
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@click.pass_obj
def load(obj: CliContext, file: str, as_json: bool) -> None:
    """Load (or reload) the organisation from a TOML FILE; it is checked whole first, and
    stored whole (organisation, settings, recomputed deadlines) or not at all."""
    from serviceframe.services.organisation import load_organisation

    with progress_bar("重新确定问题主题 re-finding topics", as_json) as bar:
        report = load_organisation(obj.app, file, progress=bar)
    if as_json:
        emit_json(report)
        return
    click.echo(
        f"已加载 loaded {file}: {report.jurisdictions} 个辖区 jurisdictions, {report.units} 个单位 "
        f"units, {report.officials} 名人员 officials ({report.new_officials} new), "
        f"{report.groups} 个领导小组 leading groups"
    )
    if report.retopiced_issues:
        click.echo(
            f"the topic map changed: {report.retopiced_issues} open issues have a new topic "
            "(run `serviceframe trends` to group them)"
        )
    if report.recomputed_deadlines:
        click.echo(
            f"{report.recomputed_deadlines} issues' provisional deadlines recomputed with the new holiday data"
        )
    if report.retired_officials or report.retired_units:
        click.echo(
            f"no longer in the file, marked inactive: {report.retired_officials} officials, "
            f"{report.retired_units} units; {report.ended_assignments} assignments ended"
        )
    if report.gaps:
        click.echo(
            f"注意 warning: {report.gaps} 处缺口 gaps (rungs nobody holds, categories nobody is "
            "in charge of…); the ladder skips them. List them: serviceframe org check",
            err=True,
        )


@org.command()
@json_option
@click.pass_obj
def show(obj: CliContext, as_json: bool) -> None:
    """Show the leading groups, offices and officials with their portfolios."""
    from serviceframe.services.organisation import organisation

    organisation_ = organisation(obj.app)
    if as_json:
        emit_json(organisation_)
        return
    units = {u.id: u for u in organisation_.units}
    for j in organisation_.jurisdictions:
        group = organisation_.group_of(j.code)
        parent = f" 隶属 {organisation_.place(j.parent)}" if j.parent else ""
        click.echo(f"\n{j.name} ({j.code}) {j.kind.label}{parent}")
        if group is not None:
            click.echo(f"  领导小组 {group.name}")
            click.echo(f"    组长 {organisation_.who(group.leader)}")
            deputies = "、".join(organisation_.who(d) for d in group.deputies)
            click.echo(f"    副组长 {deputies}")
            office = units[group.office].name if group.office in units else group.office
            click.echo(f"    成员单位 {len(group.members)} 个;办公室设在 {office}")
        rows = [
            (
                o.id,
                o.name,
                o.title,
                j.title(o.role),
                units[o.unit].name if o.unit in units else "",
                "、".join(c.label for c in sorted(o.portfolio.categories)),
                "" if o.active else "不在任 inactive",
            )
            for o in organisation_.officials_in(j.code)
            if o.role.is_government_leader
        ]
        if rows:
            table(("编号 id", "姓名", "职务", "岗位", "单位", "分管", ""), rows)


@org.command()
@json_option
@click.pass_obj
def check(obj: CliContext, as_json: bool) -> None:
    """List every gap of the stored organisation: rungs nobody holds (no executive deputy, a
    head who left), categories nobody is in charge of, groups whose office is gone, places no
    group runs, departments without a head. Exits 1 when there is any."""
    from serviceframe.services.organisation import organisation_check

    gaps = organisation_check(obj.app)
    if as_json:
        emit_json(gaps)
    elif gaps:
        table(
            ("辖区 level", "缺口 gap", "说明 what is missing"),
            [(g.level, g.kind.label, g.message) for g in gaps],
        )
        click.echo(f"{len(gaps)} 处缺口 gaps")
    else:
        click.echo("没有缺口 no gaps: every rung, category, office and unit head is in place")
    if gaps:
        raise SystemExit(1)
