"""``serviceframe assign``, ``coverage``, ``contact-card``: leaders and enterprises."""

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import (
    emit_json,
    json_option,
    jurisdiction_options,
    table,
    warn_failures,
)


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
@jurisdiction_options
@json_option
@click.pass_obj
def coverage(obj: CliContext, jurisdiction: str | None, depth: int | None, as_json: bool) -> None:
    """Key enterprises per level against their targets, and those with no contact leader of
    that level or above: one line per jurisdiction, each counting the places below it."""
    from serviceframe.domain.enterprise import key_level_of
    from serviceframe.services.assignments import coverage as run
    from serviceframe.services.organisation import organisation

    result = run(obj.app, jurisdiction, depth)
    if as_json:
        emit_json(result)
        return
    org = organisation(obj.app)
    top = org.depth(result.quotas[0].level) if result.quotas else 0

    def level(code: str) -> str:
        here = org.jurisdiction(code)
        return key_level_of(here.kind).label if here is not None else ""

    table(
        ("代码", "辖区", "重点级别", "重点企业", "目标", "有联系领导", "缺联系领导"),
        [
            (
                q.level,
                "  " * (org.depth(q.level) - top) + q.name,
                level(q.level),
                q.key_enterprises,
                q.target,
                q.with_contact,
                q.key_enterprises - q.with_contact,
            )
            for q in result.quotas
        ],
    )
    if result.gaps:
        click.echo(
            f"\n{len(result.gaps)} 处缺口 gaps (重点企业没有本级或上级联系领导 key enterprise "
            "with no contact leader of that level or above):"
        )
        table(
            ("代码", "辖区", "统一社会信用代码", "企业名称", "所在地"),
            [
                (g.level, org.place(g.level), g.credit_code, g.name, org.place(g.jurisdiction))
                for g in result.gaps
            ],
        )
    else:
        click.echo("\n每家重点企业都有联系领导 every key enterprise has a contact leader")


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
