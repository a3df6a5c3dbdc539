"""``serviceframe issue``: intake and the lifecycle of an issue."""

from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option, progress_bar, table, warn_failures

if TYPE_CHECKING:
    from serviceframe.domain.issue import Issue


STATUSES = (
    "received",
    "accepted",
    "dispatched",
    "acknowledged",
    "in_progress",
    "resolved",
    "redo",
    "closed",
    "rejected",
    "merged",
)


def parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    from serviceframe.domain.clock import parse_local_time

    return parse_local_time(value, option)


def issue_dict(issue: "Issue") -> dict[str, Any]:
    """The documented JSON of an issue: ids, states and deadlines as ISO dates."""
    from serviceframe.serialise import converter

    data: dict[str, Any] = converter.unstructure(issue)
    data["status_label"] = issue.status.label
    data["category_label"] = issue.category.label
    data["deadlines"] = {
        name: None if due is None else {"due": due.on.isoformat(), "provisional": due.provisional}
        for name, due in issue.deadlines.items()
    }
    for name in ("ack_due", "feedback_due", "resolve_due"):
        del data[name]
    return data


_DEADLINE_LABELS = {"acknowledge": "签收期限", "feedback": "反馈期限", "resolve": "办结期限"}


def _due_text(issue: "Issue") -> str:
    parts = []
    for name, due in issue.deadlines.items():
        if due is not None:
            parts.append(
                f"{_DEADLINE_LABELS.get(name, name)} {name} {due.on.isoformat()}"
                f"{' (暂定 provisional)' if due.provisional else ''}"
            )
    return ", ".join(parts)


def show_issue(obj: CliContext, issue: "Issue", as_json: bool) -> None:
    warn_failures(obj.app.plugins.failures)
    # On stderr, so that it reaches the clerk with --json too without spoiling the JSON.
    provisional = [name for name, d in issue.deadlines.items() if d is not None and d.provisional]
    if provisional:
        click.echo(
            f"warning: issue {issue.id}: deadline {', '.join(provisional)} falls in a year with no "
            "holiday data and is provisional (Mon–Fri); add the year to the calendar override file",
            err=True,
        )
    if as_json:
        emit_json(issue_dict(issue))
        return
    from serviceframe.services.organisation import organisation

    org = organisation(obj.app)
    click.echo(
        f"问题 {issue.id} [{issue.status.label} {issue.status.value}] 类别 {issue.category.value} "
        f"{issue.category.label} / {issue.severity.label} — 现由 {org.unit_name(issue.owner)}"
    )
    if issue.lead_unit:
        co = f",协办 {'、'.join(map(org.unit_name, issue.co_units))}" if issue.co_units else ""
        click.echo(f"  主办 {org.unit_name(issue.lead_unit)}{co};{_due_text(issue)}")
    if issue.possible_duplicates:
        click.echo(
            f"  可能与问题 {', '.join(map(str, issue.possible_duplicates))} 重复"
            "(possible duplicate): 可用 `issue merge` 合并"
        )


@click.group()
def issue() -> None:
    """Issues raised by enterprises: file, classify, dispatch, resolve, rate."""


@issue.command("file")
@click.option("--enterprise", required=True, metavar="CODE", help="Unified social credit code.")
@click.option(
    "--source",
    required=True,
    help="self_declared, government, department, hotline, portal, visit, letter, or a plugin channel.",
)
@click.option("--title", default="", help="Short title (defaults to the start of the body).")
@click.option("--body", required=True, help="What the enterprise raised.")
@click.option("--category", help="1-9 or the Chinese name, when already known.")
@click.option("--severity", type=click.Choice(["general", "major", "policy"]))
@click.option(
    "--external-id",
    help="The id of the message/call it came from; filing it again gives the same issue.",
)
@click.option("--received-at", help="ISO time received (default now; no zone = Beijing time).")
@click.option(
    "--received-by",
    metavar="ID",
    help="Unit or official who first received it (default: the office of the leading group "
    "that runs the enterprise's county, or the nearest level above).",
)
@click.option(
    "--confidential",
    is_flag=True,
    help="The reporter asked not to be named: who raised it is shown to the office only.",
)
@json_option
@click.pass_obj
def file_(
    obj: CliContext,
    enterprise: str,
    source: str,
    title: str,
    body: str,
    category: str | None,
    severity: str | None,
    external_id: str | None,
    received_at: str | None,
    received_by: str | None,
    confidential: bool,
    as_json: bool,
) -> None:
    """File an issue from any channel."""
    from serviceframe.services.issues import IssueDraft, file_issue

    filed = file_issue(
        obj.app,
        IssueDraft(
            enterprise=enterprise,
            source=source,
            title=title,
            body=body,
            category=category,
            severity=severity,
            external_id=external_id,
            received_at=parse_time(received_at, "--received-at"),
            received_by=received_by,
            confidential=confidential,
        ),
    )
    if not filed.created and not as_json:
        click.echo(
            f"已登记为问题 {filed.issue.id},不再重复登记 (already filed: {source} {external_id})"
        )
    show_issue(obj, filed.issue, as_json)


@issue.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--source", required=True, help="The channel the file came from (e.g. hotline).")
@click.option("--encoding", help="CSV encoding; detected when omitted.")
@click.option(
    "--received-by",
    metavar="ID",
    help="Unit or official who first received the rows without a 受理单位 column value "
    "(default: the office of the group that runs each enterprise's place).",
)
@json_option
@click.pass_obj
def import_(
    obj: CliContext,
    file: str,
    source: str,
    encoding: str | None,
    received_by: str | None,
    as_json: bool,
) -> None:
    """Bulk intake from a CSV/XLSX export (columns 统一社会信用代码, 标题, 内容, 编号, 受理时间…;
    see docs/file-formats.md)."""
    from serviceframe.services.intake_file import import_issues

    with progress_bar("导入问题 importing", as_json) as bar:
        report = import_issues(obj.app, file, source, encoding, received_by, progress=bar)
    warn_failures(obj.app.plugins.failures)
    if as_json:
        emit_json(report)
    else:
        click.echo(
            f"{file}: {len(report.filed)} filed, {len(report.existing)} already filed, {len(report.errors)} rejected"
        )
        for error in report.errors:
            click.echo(f"  {error}", err=True)
    if report.errors:
        raise SystemExit(1)


@issue.command("list")
@click.option(
    "--status",
    multiple=True,
    # Written out (not imported) to keep `--help` light; a test checks it against Status.
    type=click.Choice(STATUSES),
    help="Only these statuses (repeatable).",
)
@click.option("--enterprise", metavar="CODE")
@click.option("--unit", metavar="ID", help="Received, led or co-handled by this unit.")
@click.option("--category", type=click.IntRange(0, 9))
@click.option("--severity", type=click.Choice(["general", "major", "policy"]))
@click.option("--source")
@click.option("--limit", type=int)
@json_option
@click.pass_obj
def list_(
    obj: CliContext,
    status: tuple[str, ...],
    enterprise: str | None,
    unit: str | None,
    category: int | None,
    severity: str | None,
    source: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """List issues."""
    from serviceframe.services.issues import list_issues

    found = list_issues(
        obj.app,
        status=status,
        enterprise=enterprise,
        unit=unit,
        category=category,
        severity=severity,
        source=source,
        limit=limit,
    )
    if as_json:
        emit_json([issue_dict(i) for i in found])
        return
    table(
        ("编号", "状态", "类别", "性质", "企业", "标题", "主办", "办结期限"),
        [
            (
                i.id,
                i.status.label,
                i.category.label,
                i.severity.label,
                i.enterprise,
                i.title[:20],
                i.lead_unit or "",
                f"{i.resolve_due.on}{'*' if i.resolve_due.provisional else ''}"
                if i.resolve_due
                else "",
            )
            for i in found
        ],
    )
    click.echo(f"{len(found)} issues")


@issue.command()
@click.argument("issue_id", type=int)
@json_option
@click.pass_obj
def show(obj: CliContext, issue_id: int, as_json: bool) -> None:
    """Show an issue with its whole history (who did what, when)."""
    from serviceframe.serialise import beijing_times, converter
    from serviceframe.services.issues import get_issue

    view = get_issue(obj.app, issue_id)
    if as_json:
        emit_json(
            {
                **issue_dict(view.issue),
                "enterprise_name": view.enterprise_name,
                # Event data keeps times in UTC, as stored; people and programs get Beijing time.
                "events": beijing_times(converter.unstructure(list(view.events))),
                "ratings": converter.unstructure(list(view.ratings)),
            }
        )
        return
    from serviceframe.domain.issue import EVENT_LABELS
    from serviceframe.domain.workdays import SHANGHAI
    from serviceframe.services.organisation import organisation

    i = view.issue
    from serviceframe.plugins.sources import BUILTIN_SOURCES

    source = (
        f"{BUILTIN_SOURCES[i.source]} ({i.source})" if i.source in BUILTIN_SOURCES else i.source
    )
    click.echo(f"问题 {i.id}:{i.title}\n  {view.enterprise_name} ({i.enterprise}) 来源 {source}")
    click.echo(f"  {i.body}")
    show_issue(obj, i, False)
    org = organisation(obj.app)
    click.echo("经办记录 history:")
    for e in view.events:
        label = EVENT_LABELS.get(e.kind, e.kind)
        click.echo(
            f"  {e.at.astimezone(SHANGHAI).strftime('%Y-%m-%d %H:%M')}  {label} ({e.kind})  "
            f"{e.actor}  {_history_note(org, e)}".rstrip()
        )


def _history_note(org: Any, e: Any) -> str:
    """What an event says, for people: officials by name with the id beside."""
    from serviceframe.services.routing import ORDER_LABELS

    data = e.data
    if e.kind == "routed":
        return (
            f"{org.who(data.get('official')) or data.get('level', '')} — {data.get('reason', '')}"
        )
    if e.kind == "escalated":
        to = data.get("to", {})
        what = ORDER_LABELS.get(data.get("deadline"), data.get("deadline"))
        moved = (
            f"提级至 {org.who(to.get('official'))}" if data.get("moved") else data.get("note", "")
        )
        skipped = "; ".join(s["why"] for s in data.get("skipped", ()))
        return f"{what} 期限 {data.get('due')}: {moved}" + (f"(跳过:{skipped})" if skipped else "")
    if e.kind == "dispatched":
        co = data.get("co") or []
        return f"主办 {org.unit_name(data.get('lead'))}" + (
            f",协办 {'、'.join(map(org.unit_name, co))}" if co else ""
        )
    if e.kind == "instructed":
        return f"{org.who(data.get('official'))}: {data.get('instruction', '')}"
    if e.kind == "rated":
        return str(data.get("satisfaction", "")) + (
            f" {data['comment']}" if data.get("comment") else ""
        )
    return str(data.get("note") or data.get("reason") or data.get("decision") or "")


def _lifecycle(name: str, help_: str, *options: Any) -> Any:
    """A command ID [options] that runs one lifecycle service and prints the issue."""

    def decorate(run: Any) -> Any:
        @click.argument("issue_id", type=int)
        @json_option
        @click.pass_obj
        def command(obj: CliContext, issue_id: int, as_json: bool, **kwargs: Any) -> None:
            show_issue(obj, run(obj.app, issue_id, **kwargs), as_json)

        command.__doc__ = help_
        for option in reversed(options):
            command = option(command)
        return issue.command(name)(command)

    return decorate


@_lifecycle(
    "reclassify",
    "Change the category or severity of an issue under way.",
    click.option("--category"),
    click.option("--severity", type=click.Choice(["general", "major", "policy"])),
)
def _reclassify(app: Any, issue_id: int, category: str | None, severity: str | None) -> Any:
    from serviceframe.services.issues import reclassify

    return reclassify(app, issue_id, category, severity)


@_lifecycle(
    "ack",
    "The lead unit acknowledges the dispatch (签收) and becomes the owner.",
    click.option("--unit", required=True, metavar="UNIT"),
)
def _ack(app: Any, issue_id: int, unit: str) -> Any:
    from serviceframe.services.issues import acknowledge

    return acknowledge(app, issue_id, unit)


@_lifecycle(
    "progress",
    "Report progress (the first report is the issue's first feedback).",
    click.option("--note", required=True),
)
def _progress(app: Any, issue_id: int, note: str) -> Any:
    from serviceframe.services.issues import progress

    return progress(app, issue_id, note)


@_lifecycle(
    "resolve",
    "Report the issue resolved (办结) with a note; the enterprise then rates it.",
    click.option("--note", required=True),
)
def _resolve(app: Any, issue_id: int, note: str) -> Any:
    from serviceframe.services.issues import resolve

    return resolve(app, issue_id, note)


@_lifecycle(
    "rate",
    "Record the enterprise's rating; unsatisfied sends the issue back for redo.",
    click.option(
        "--satisfaction", required=True, type=click.Choice(["satisfied", "basic", "unsatisfied"])
    ),
    click.option("--comment", default=""),
    click.option(
        "--enterprise",
        metavar="CODE",
        help="The rating enterprise (checked); omit when entering it on its behalf.",
    ),
)
def _rate(app: Any, issue_id: int, satisfaction: str, comment: str, enterprise: str | None) -> Any:
    from serviceframe.services.issues import rate

    return rate(app, issue_id, satisfaction, comment, enterprise)


@_lifecycle(
    "merge",
    "Merge this issue into another (a duplicate keeps its enterprise and is counted).",
    click.option("--into", required=True, type=int, metavar="ID"),
)
def _merge(app: Any, issue_id: int, into: int) -> Any:
    from serviceframe.services.issues import merge

    return merge(app, issue_id, into)


@_lifecycle(
    "reject",
    "Reject the issue as out of scope, with the reason.",
    click.option("--reason", required=True),
)
def _reject(app: Any, issue_id: int, reason: str) -> Any:
    from serviceframe.services.issues import reject

    return reject(app, issue_id, reason)


@_lifecycle(
    "instruct",
    "Record a leader's instruction on the issue (领导批示); the handling units and the office are told.",
    click.option("--text", required=True, help="The instruction, as the leader wrote it."),
    click.option(
        "--leader",
        metavar="OFFICIAL",
        help="Whose instruction it is (an official's id): needed when the office enters it.",
    ),
)
def _instruct(app: Any, issue_id: int, text: str, leader: str | None) -> Any:
    from serviceframe.services.instructions import instruct

    return instruct(app, issue_id, text, leader)


# --- in bulk: accept and dispatch take several ids, a file of ids or a filter ------------------


def _selection(default_status: str) -> Any:
    """IDS, ``--from-file`` and the filter options of a bulk step (as ``issue list``'s)."""

    def decorate(command: Any) -> Any:
        for option in reversed(
            [
                click.argument("ids", nargs=-1, type=int),
                click.option(
                    "--from-file",
                    type=click.File("r", encoding="utf-8"),
                    help="Issue ids in a file ('-': stdin), separated by spaces, commas or lines; # starts a comment.",
                ),
                click.option(
                    "--status",
                    multiple=True,
                    type=click.Choice(STATUSES),
                    help=f"Filter: only these statuses (repeatable; default {default_status} when filtering).",
                ),
                click.option(
                    "--enterprise", metavar="CODE", help="Filter: this enterprise's issues."
                ),
                click.option(
                    "--unit", metavar="ID", help="Filter: received, led or co-handled by this unit."
                ),
                click.option("--source", help="Filter: from this channel (hotline, portal, …)."),
                click.option(
                    "--received-from",
                    metavar="ISO",
                    help="Filter: received at or after (Beijing time).",
                ),
                click.option(
                    "--received-to", metavar="ISO", help="Filter: received before (Beijing time)."
                ),
                click.option(
                    "--dry-run", is_flag=True, help="List the issues selected; change nothing."
                ),
                json_option,
            ]
        ):
            command = option(command)
        return command

    return decorate


def _select(
    obj: CliContext,
    ids: tuple[int, ...],
    from_file: Any,
    default_status: str,
    **filters: Any,
) -> list[int]:
    """The ids given (on the line and in the file), or those the filters select."""
    from serviceframe.services.bulk import IssueFilter, select_issues

    given = list(ids)
    if from_file is not None:
        given += _read_ids(from_file)
    filtering = _filtering(filters)
    if given and filtering:
        raise click.UsageError("give issue ids (or --from-file) or filter options, not both")
    if given:
        return list(dict.fromkeys(given))
    if not filtering:
        raise click.UsageError(
            "give issue ids, --from-file FILE, or filter options (--status, --source, …)"
        )
    filters["status"] = filters["status"] or (default_status,)
    for name in ("received_from", "received_to"):
        filters[name] = parse_time(filters[name], "--" + name.replace("_", "-"))
    return select_issues(obj.app, IssueFilter(**filters))


def _filtering(filters: dict[str, Any]) -> bool:
    return any(v not in (None, ()) for v in filters.values())


def _read_ids(stream: Any) -> list[int]:
    import re

    found = []
    for number, line in enumerate(stream, 1):
        for token in re.split(r"[\s,;，；]+", line.split("#", 1)[0].strip()):
            if not token:
                continue
            if not token.isdecimal():
                raise click.BadParameter(
                    f"line {number}: {token!r} is not an issue id", param_hint="--from-file"
                )
            found.append(int(token))
    return found


class BulkStep(NamedTuple):
    default_status: str  # what a filter takes when no --status is given
    verb: str
    done: str
    label: str  # 已受理 …
    bar: str  # the progress bar's label


def _one_or_many(
    obj: CliContext,
    ids: tuple[int, ...],
    from_file: Any,
    filters: dict[str, Any],
    dry_run: bool,
    as_json: bool,
    step: "BulkStep",
    one: Any,
    many: Any,
) -> None:
    """One id: the single step, printed as before. Otherwise the selection in bulk, with a
    progress bar, and a table of what was done."""
    if len(ids) == 1 and from_file is None and not _filtering(filters) and not dry_run:
        show_issue(obj, one(obj.app, ids[0]), as_json)
        return
    selected = _select(obj, ids, from_file, step.default_status, **filters)
    if dry_run:
        if as_json:
            emit_json({"dry_run": True, "ids": selected})
        else:
            click.echo(
                f"would {step.verb} {len(selected)} issues (dry run, nothing changed): "
                + ", ".join(map(str, selected))
            )
        return
    with progress_bar(step.bar, as_json) as bar:
        done = many(obj.app, selected, bar)
    warn_failures(obj.app.plugins.failures)
    if as_json:
        emit_json([issue_dict(i) for i in done])
        return
    table(
        ("id", "状态", "类别", "性质", "主办", "标题"),
        [
            (
                i.id,
                i.status.label,
                i.category.label,
                i.severity.label,
                i.lead_unit or "",
                i.title[:20],
            )
            for i in done
        ],
    )
    click.echo(f"{step.label} {len(done)} 件 · {step.done} {len(done)} issues")


@issue.command("accept")
@_selection("received")
@click.option(
    "--suggested-category",
    type=click.IntRange(0, 9),
    help="Filter: what the classifier suggested at intake (0: nothing).",
)
@click.option(
    "--category",
    help="With ids: the category to give them (1-9 or the Chinese name). With filters: only "
    "issues the filer gave this category, which they keep (as `issue list --category`).",
)
@click.option(
    "--severity",
    type=click.Choice(["general", "major", "policy"]),
    help="With ids: the severity to give them. With filters: only issues of this severity.",
)
@click.pass_obj
def accept_(
    obj: CliContext,
    ids: tuple[int, ...],
    from_file: Any,
    dry_run: bool,
    as_json: bool,
    category: str | None,
    severity: str | None,
    **filters: Any,
) -> None:
    """Classify issues and set their severity (the classifier decides when no category is
    given): one id, several, a file of ids, or those a filter selects, in one transaction —
    all or nothing.

    \b
    serviceframe issue accept 17
    serviceframe issue accept 17 18 19 --category 1 --severity major
    serviceframe issue accept --status received --source hotline
    serviceframe issue accept --status received --category 3
    serviceframe issue accept --suggested-category 1
    """
    from serviceframe.services.bulk import accept_many
    from serviceframe.services.issues import accept

    if not ids and from_file is None:
        # Selecting by filter, --category and --severity select as in `issue list` (what the
        # clerk previewed is what is accepted); the issues keep them.
        from serviceframe.domain.categories import parse_category

        filters["category"] = int(parse_category(category)) if category else None
        filters["severity"] = severity
        category = severity = None

    _one_or_many(
        obj,
        ids,
        from_file,
        filters,
        dry_run,
        as_json,
        BulkStep("received", "accept", "accepted", "已受理", "受理 accepting"),
        lambda app, i: accept(app, i, category, severity),
        lambda app, chosen, bar: accept_many(app, chosen, category, severity, progress=bar),
    )


@issue.command("dispatch")
@_selection("accepted")
@click.option("--category", type=click.IntRange(0, 9), help="Filter: only this category.")
@click.option("--severity", type=click.Choice(["general", "major", "policy"]), help="Filter.")
@click.option("--lead", required=True, metavar="UNIT", help="The lead unit (主办单位).")
@click.option("--co", multiple=True, metavar="UNIT", help="Co-handling unit (repeatable).")
@click.pass_obj
def dispatch_(
    obj: CliContext,
    ids: tuple[int, ...],
    from_file: Any,
    dry_run: bool,
    as_json: bool,
    lead: str,
    co: tuple[str, ...],
    **filters: Any,
) -> None:
    """Hand issues to a lead unit (交办), optionally with co-handling units: one id, several,
    a file of ids, or those a filter selects, in one transaction — all or nothing.

    \b
    serviceframe issue dispatch 17 --lead jz-fgw
    serviceframe issue dispatch --status accepted --category 1 --lead jz-fgw --co jz-gxj
    """
    from serviceframe.services.bulk import dispatch_many
    from serviceframe.services.issues import dispatch

    _one_or_many(
        obj,
        ids,
        from_file,
        filters,
        dry_run,
        as_json,
        BulkStep("accepted", "dispatch", "dispatched", "已交办", "交办 dispatching"),
        lambda app, i: dispatch(app, i, lead, co),
        lambda app, chosen, bar: dispatch_many(app, chosen, lead, co, progress=bar),
    )
