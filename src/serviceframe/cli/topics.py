"""``serviceframe topics``: the topic map that groups wordings into widespread issues."""

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, progress_bar, table, warn_failures


@click.group()
def topics() -> None:
    """Topics (问题主题): the concepts that group many wordings of one problem."""


@topics.command("list")
@click.option("--category", type=click.IntRange(1, 9), help="Only this category's concepts.")
@json_option
@click.pass_obj
def list_(obj: CliContext, category: int | None, as_json: bool) -> None:
    """The topic map in use: each category's concepts and their words (packaged, with the
    organisation file's [topics] edits)."""
    from serviceframe.services.topics import topic_table

    rows = [r for r in topic_table(obj.app) if category is None or r["category"] == category]
    if as_json:
        emit_json(rows)
        return
    table(
        ("主题 topic", "类别 category", "词语 words"),
        [(r["topic"], r["category_label"], "、".join(r["words"])) for r in rows],
    )
    click.echo(f"{len(rows)} topics")


@topics.command()
@click.argument("text")
@click.option("--category", help="1-9 or the Chinese name (default: as the classifier decides).")
@json_option
@click.pass_obj
def find(obj: CliContext, text: str, category: str | None, as_json: bool) -> None:
    """Which topic a complaint TEXT gets, and from which words: try a wording before editing
    the map."""
    from serviceframe.services.topics import find_topic

    found = find_topic(obj.app, text, category)
    if as_json:
        emit_json(found)
        return
    how = f"分类器 classifier: {'、'.join(found.keywords)}" if found.classified else "given"
    click.echo(f"类别 category {int(found.category)} {found.category.label} ({how})")
    if found.topic is None:
        click.echo("主题 topic: none — no word of this category's concepts is in the text")
    else:
        click.echo(f"主题 topic {found.topic} (词语 words: {'、'.join(found.words)})")


@topics.command()
@json_option
@click.pass_obj
def refresh(obj: CliContext, as_json: bool) -> None:
    """Find again the topics of the open issues that are in no cluster (after the topic map
    changed in a new version; `org load` does it itself when the file's [topics] change)."""
    from serviceframe.services.topics import refresh_topics

    with progress_bar("重新确定问题主题 re-finding topics", as_json) as bar:
        changes = refresh_topics(obj.app, progress=bar)
    warn_failures(obj.app.plugins.failures)
    if as_json:
        emit_json(changes)
        return
    if changes:
        table(
            ("issue", "原主题 before", "新主题 after"),
            [(c.issue, c.before or "", c.after or "") for c in changes],
        )
    click.echo(f"{len(changes)} issues have a new topic")
