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
    """Load (or reload) the organisation from a TOML FILE; it is checked whole first."""
    from serviceframe.services.organisation import load_organisation

    with progress_bar("重新确定问题主题 re-finding topics", as_json) as bar:
        report = load_organisation(obj.app, file, progress=bar)
    if as_json:
        emit_json(report)
        return
    click.echo(
        f"loaded {file}: {report.jurisdictions} jurisdictions, {report.units} units, "
        f"{report.officials} officials ({report.new_officials} new), {report.groups} leading groups"
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
    people = {o.id: o for o in organisation_.officials}
    for j in organisation_.jurisdictions:
        group = organisation_.group_of(j.code)
        click.echo(f"\n{j.name} ({j.code})")
        if group is not None:
            click.echo(f"  领导小组 {group.name}")
            click.echo(f"    组长 {people[group.leader].name} {people[group.leader].title}")
            deputies = "、".join(f"{people[d].name} {people[d].title}" for d in group.deputies)
            click.echo(f"    副组长 {deputies}")
            click.echo(
                f"    成员单位 {len(group.members)} 个;办公室设在 {units[group.office].name}"
            )
        rows = [
            (
                o.id,
                o.name,
                o.title,
                units[o.unit].name if o.unit else "",
                "、".join(c.label for c in sorted(o.portfolio.categories)),
                "" if o.active else "inactive",
            )
            for o in organisation_.officials_in(j.code)
            if o.role.value in ("mayor", "executive_vice_mayor", "vice_mayor")
        ]
        if rows:
            table(("id", "姓名", "职务", "单位", "分管", ""), rows)
