"""``serviceframe assign``, ``coverage``, ``contact-card``: leaders and enterprises."""

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, table, warn_failures


@click.command()
@click.argument("code")
@click.option(
    "--official", required=True, metavar="ID", help="The leader's id in the organisation file."
)
@click.option(
    "--department",
    metavar="ID",
    help="Make this a department liaison (挂钩) instead of the contact.",
)
@json_option
@click.pass_obj
def assign(
    obj: CliContext, code: str, official: str, department: str | None, as_json: bool
) -> None:
    """Make OFFICIAL the contact leader of enterprise CODE (or, with --department, its liaison).

    The previous holder, if any, is handed over: the old assignment ends today and stays in
    the history.
    """
    from serviceframe.services.assignments import assign as run

    result = run(obj.app, code, official, department)
    warn_failures(obj.app.plugins.failures)
    if as_json:
        emit_json(result)
        return
    a = result.assignment
    what = f"{a.kind.label} ({a.unit})" if a.unit else a.kind.label
    click.echo(f"{a.enterprise}: {what} {a.official} from {a.valid_from}")
    if result.replaced is not None:
        click.echo(f"  handed over from {result.replaced.official}")


@click.command()
@json_option
@click.pass_obj
def coverage(obj: CliContext, as_json: bool) -> None:
    """Key enterprises per level against their targets, and those with no contact leader."""
    from serviceframe.services.assignments import coverage as run

    result = run(obj.app)
    if as_json:
        emit_json(result)
        return
    table(
        ("level", "名称", "重点企业", "目标", "有联系领导", "缺"),
        [
            (
                q.level,
                q.name,
                q.key_enterprises,
                q.target,
                q.with_contact,
                q.key_enterprises - q.with_contact,
            )
            for q in result.quotas
        ],
    )
    if result.gaps:
        click.echo(f"\n{len(result.gaps)} gaps (key enterprise with no contact leader):")
        table(
            ("level", "统一社会信用代码", "企业名称", "县区"),
            [(g.level, g.credit_code, g.name, g.jurisdiction) for g in result.gaps],
        )
    else:
        click.echo("\nevery key enterprise has a contact leader")


@click.command("contact-card")
@click.argument("code")
@json_option
@click.pass_obj
def contact_card(obj: CliContext, code: str, as_json: bool) -> None:
    """The contact cards (联系卡) enterprise CODE holds: unit, leader, title and phone."""
    from serviceframe.services.assignments import contact_cards

    cards = contact_cards(obj.app, code)
    if as_json:
        emit_json(cards)
        return
    if not cards:
        click.echo(f"{code}: no contact leader or liaison assigned")
        return
    click.echo(f"联系卡 — {cards[0].enterprise_name} ({cards[0].enterprise})")
    table(
        ("类型", "单位", "单位电话", "责任领导", "职务", "电话"),
        [
            (c.kind.label, c.unit_name, c.unit_phone, c.leader_name, c.leader_title, c.leader_phone)
            for c in cards
        ],
    )
