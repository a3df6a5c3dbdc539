"""``serviceframe letter``: solicitation letters (企业意见建议征询函)."""

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, table


@click.group()
def letter() -> None:
    """Solicitation letters: ask enterprises questions; each answers through a portal link."""


@letter.command()
@click.option(
    "--title", required=True, help="The letter's title, e.g. 2026年第四季度企业意见征询函."
)
@click.option("--question", "questions", multiple=True, required=True, help="A question (repeat).")
@json_option
@click.pass_obj
def create(obj: CliContext, title: str, questions: tuple[str, ...], as_json: bool) -> None:
    """Compose a letter; prints its id."""
    from serviceframe.services.letters import create as make

    letter_id = make(obj.app, title, questions)
    if as_json:
        emit_json({"id": letter_id})
    else:
        click.echo(letter_id)


@letter.command()
@click.argument("letter_id", type=int)
@click.option(
    "--to",
    required=True,
    metavar="FILTER",
    help="all; key (key enterprises); a jurisdiction (code or name, places below included); "
    "or credit codes separated by commas.",
)
@json_option
@click.pass_obj
def send(obj: CliContext, letter_id: int, to: str, as_json: bool) -> None:
    """Send letter LETTER_ID: each enterprise gets its own link (through the outbox)."""
    from serviceframe.services.letters import send as deliver

    sent = deliver(obj.app, letter_id, to)
    if as_json:
        emit_json(sent)
        return
    table(
        ("企业 enterprise", "名称 name", "通知 notified", "链接 url"),
        [(s.enterprise, s.name, "是" if s.notified else "否", s.url) for s in sent],
    )


@letter.command()
@click.argument("letter_id", type=int)
@json_option
@click.pass_obj
def results(obj: CliContext, letter_id: int, as_json: bool) -> None:
    """Summarise the answers to letter LETTER_ID."""
    from serviceframe.services.letters import results as summary

    found = summary(obj.app, letter_id)
    if as_json:
        emit_json(found)
        return
    click.echo(f"《{found['title']}》 发出 {found['sent']} 份,答复 {found['answered']} 份")
    for n, q in enumerate(found["questions"], 1):
        click.echo(f"{n}. {q['question']}")
        for a in q["answers"]:
            click.echo(f"   - {a['enterprise']}:{a['answer']}")
    for i in found["issues"]:
        click.echo(f"问题 {i['issue_id']}({i['enterprise']}):{i['problem'][:60]}")
