"""``serviceframe policy``: the policy catalogue (涉企政策查询)."""

from datetime import date
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from serviceframe.domain.policy import PolicySummary

category_option = click.option(
    "--category",
    "categories",
    multiple=True,
    metavar="N",
    help="Only policies of this service category (1-9 or its Chinese name; repeatable).",
)
size_option = click.option(
    "--size",
    type=click.Choice(["large", "medium", "small", "micro", "大型", "中型", "小型", "微型"]),
    help="Only policies for this enterprise size (or for every size).",
)


def _day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    from serviceframe.domain.policy import parse_day
    from serviceframe.errors import ValidationError

    try:
        return parse_day("on", value)
    except ValidationError as exc:
        raise click.BadParameter(f"{value!r}: {exc.reason}") from None


on_option = click.option(
    "--on",
    "on",
    metavar="DATE",
    callback=_day,
    help="Which policies are in force on this day [default: today, Beijing time].",
)


@click.group()
def policy() -> None:
    """Policies for enterprises (涉企政策): import, search, match to an enterprise."""


@policy.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--encoding", help="CSV encoding (utf-8, gbk, gb18030); detected when omitted.")
@json_option
@click.pass_obj
def import_(obj: CliContext, file: str, encoding: str | None, as_json: bool) -> None:
    """Add or update policies from a CSV (UTF-8 or GBK), XLSX or JSON FILE.

    A policy is known by its document number (文号), or without one by title, issuer and
    date; importing the same file again changes nothing. Every bad row is reported with its
    line, column and reason, and the command then exits with status 1. The columns are in
    docs/policies.md.
    """
    from serviceframe.services.policies import import_policies

    with progress_bar("导入政策 importing", as_json) as bar:
        report = import_policies(obj.app, file, encoding, progress=bar)
    warn_failures(obj.app.plugins.failures)
    import_report(file, report, as_json)


@policy.command()
@click.argument("text", nargs=-1, required=True)
@category_option
@click.option("--industry", metavar="CODE", help="Only policies for this GB/T 4754 industry.")
@size_option
@click.option("--current", is_flag=True, help="Leave out expired policies (shown last otherwise).")
@on_option
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0))
@json_option
@click.pass_obj
def search(
    obj: CliContext,
    text: tuple[str, ...],
    categories: tuple[str, ...],
    industry: str | None,
    size: str | None,
    current: bool,
    on: date | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """Search the title and full text of policies for TEXT (政策查询).

    Every word must occur (words are split at spaces and punctuation); one or two Chinese
    characters work (融资, 用电). Policies in force come first, then those not yet in force,
    expired ones last; among them, those with the words in the title, then those where the
    words occur most often, then the newest.
    """
    from serviceframe.services.policies import search_policies

    found = search_policies(
        obj.app,
        " ".join(text),
        categories=categories,
        industry=industry,
        size=size,
        include_expired=not current,
        on=on,
        limit=limit,
        offset=offset,
    )
    if found.index.note:
        click.echo(f"注意 note: {found.index.note}", err=True)
    if as_json:
        emit_json(found)
        return
    shown = f"{offset + 1}-{offset + len(found.hits)}" if found.hits else "0"
    click.echo(f"查询「{found.text}」: {found.total} 条 found, showing {shown}")
    for n, hit in enumerate(found.hits, start=offset + 1):
        click.echo(f"{n}. {_headline(hit.policy)}")
        click.echo(f"   {hit.snippet}")


@policy.command("for")
@click.argument("code")
@category_option
@size_option
@click.option("--include-expired", is_flag=True, help="Also list expired policies (last).")
@on_option
@click.option("--limit", type=click.IntRange(1), help="At most this many policies.")
@json_option
@click.pass_obj
def for_(
    obj: CliContext,
    code: str,
    categories: tuple[str, ...],
    size: str | None,
    include_expired: bool,
    on: date | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """Policies that apply to the enterprise CODE (its industry), best first.

    Policies in the categories the enterprise has raised problems in come first, then those
    for a narrower industry. The registry does not record enterprise sizes: give --size to
    leave out policies for other sizes.
    """
    from serviceframe.services.enterprises import get_enterprise
    from serviceframe.services.policies import policies_for

    found = policies_for(
        obj.app,
        code,
        categories=categories,
        size=size,
        include_expired=include_expired,
        on=on,
        limit=limit,
    )
    if as_json:
        emit_json(found)
        return
    enterprise = get_enterprise(obj.app, code)
    click.echo(f"{enterprise.name} (行业 {enterprise.industry}): {len(found)} 条政策 policies")
    for n, match in enumerate(found, start=1):
        why = f"行业 {match.industry}" if match.industry else "不限行业"
        if match.raised:
            why += " · 企业反映过: " + "、".join(c.label for c in match.raised)
        click.echo(f"{n}. {_headline(match.policy)}\n   适用 {why}")


@policy.command()
@click.argument("policy_id", type=int)
@on_option
@json_option
@click.pass_obj
def show(obj: CliContext, policy_id: int, on: date | None, as_json: bool) -> None:
    """Show one policy with its full text."""
    from serviceframe.services.policies import get_policy, summary_of

    found = get_policy(obj.app, policy_id)
    summary = summary_of(obj.app, policy_id, on)
    if as_json:
        emit_json({"policy": found, "validity": summary.validity})
        return
    click.echo(f"{found.title}\n")
    valid_to = found.valid_to.isoformat() if found.valid_to else "长期"
    lines = [
        ("编号 id", str(found.id)),
        ("文号", found.doc_no or "—"),
        ("发文机关", found.issuer),
        ("发文日期", found.issued_on.isoformat()),
        ("有效期", f"{found.valid_from} 至 {valid_to} ({summary.validity.label})"),
        ("服务类别", "、".join(c.label for c in found.categories)),
        ("适用行业", "、".join(found.industries) or "不限"),
        ("企业规模", "、".join(s.label for s in found.sizes) or "不限"),
    ]
    if found.source_url:
        lines.append(("原文链接", found.source_url))
    for label, value in lines:
        click.echo(f"  {label}: {value}")
    click.echo(f"\n{found.body}")


@policy.command("list")
@category_option
@click.option("--current", is_flag=True, help="Leave out expired policies.")
@on_option
@json_option
@click.pass_obj
def list_(
    obj: CliContext, categories: tuple[str, ...], current: bool, on: date | None, as_json: bool
) -> None:
    """List the catalogue: policies in force first, newest first."""
    from serviceframe.services.policies import list_policies

    total, found = list_policies(obj.app, categories=categories, include_expired=not current, on=on)
    if as_json:
        emit_json(found)
        return
    table(
        ("编号", "标题", "发文机关", "文号", "发文日期", "状态", "类别"),
        [
            (
                s.id,
                s.title,
                s.issuer,
                s.doc_no,
                s.issued_on,
                s.validity.label,
                ",".join(str(int(c)) for c in s.categories),
            )
            for s in found
        ],
    )
    click.echo(f"{total} policies")


@policy.command()
@click.pass_obj
def reindex(obj: CliContext) -> None:
    """Make the search index if it is missing (e.g. after CREATE EXTENSION pg_trgm), or
    rebuild it from the stored policies."""
    from serviceframe.services.policies import reindex_policies

    index = reindex_policies(obj.app)
    if index.kind is None:
        raise click.ClickException(index.note)
    click.echo(f"search index: {index.kind}")


def _headline(summary: "PolicySummary") -> str:
    doc_no = f" {summary.doc_no}" if summary.doc_no else ""
    return (
        f"[{summary.id}] {summary.title} 〔{summary.validity.label}〕\n"
        f"   {summary.issuer}{doc_no} {summary.issued_on} · "
        + "、".join(c.label for c in summary.categories)
    )
