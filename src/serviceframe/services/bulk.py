"""Lifecycle steps for many issues at once: the office accepts this morning's hotline calls,
or hands every accepted power-supply issue to the power company, in one go.

Each runs in one transaction, all or nothing: every issue is checked first, and if any cannot
take the step nothing is changed and the error names each issue that failed and why. The work
is set-based: the issues are read (and locked, on PostgreSQL) in one query, their new states,
events, units and routing written together; only classifying and routing, which plugins
decide, run per issue. A ``progress`` callable hears how far it got.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

from attrs import asdict, frozen

from serviceframe.app import App
from serviceframe.domain.issue import Issue, IssueEvent, apply, check_transition
from serviceframe.domain.principal import Action
from serviceframe.errors import ServiceFrameError
from serviceframe.progress import Progress, no_progress
from serviceframe.services.events import issue_event_row
from serviceframe.services.issues import ACTIONS, ROUTED_BY, Build, accepting, dispatching

# How many failures a BulkError spells out; the rest are counted.
SHOWN_FAILURES = 10


class BulkError(ServiceFrameError):
    """Some issues of a bulk step cannot take it; nothing was changed."""

    def __init__(self, step: str, total: int, failures: Sequence[tuple[int, str]]) -> None:
        self.step, self.total, self.failures = step, total, tuple(failures)
        shown = "; ".join(f"issue {i}: {reason}" for i, reason in failures[:SHOWN_FAILURES])
        more = len(failures) - SHOWN_FAILURES
        super().__init__(
            f"nothing was {step}: {len(failures)} of {total} issues cannot be — {shown}"
            + (f"; and {more} more" if more > 0 else "")
        )


@frozen
class IssueFilter:
    """Which issues a bulk step takes, as ``issue list`` filters them; empty means all."""

    status: tuple[str, ...] = ()
    enterprise: str | None = None
    unit: str | None = None  # received, led or co-handled by it
    category: int | None = None
    suggested_category: int | None = None  # what the classifier suggested at intake
    severity: str | None = None
    source: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None


def select_issues(app: App, where: IssueFilter) -> list[int]:
    """Ids of the issues matching ``where``, in id order."""
    with app.uow() as uow:
        uow.authorise(Action.READ)
        return uow.issues.find_ids(principal=uow.principal, **asdict(where))


def accept_many(
    app: App,
    ids: Iterable[int],
    category: object = None,
    severity: object = None,
    actor: str | None = None,
    progress: Progress | None = None,
) -> list[Issue]:
    """Accept many received issues in one transaction (category and severity as ``accept``:
    without a category the classifier decides for each)."""
    build = accepting(app, category, severity)
    return _change_many(app, ids, "accepted", build, actor, progress)


def dispatch_many(
    app: App,
    ids: Iterable[int],
    lead: str,
    co: Iterable[str] = (),
    actor: str | None = None,
    progress: Progress | None = None,
) -> list[Issue]:
    """交办 many issues to one lead unit (and co-handling units) in one transaction."""
    build = dispatching(app, lead, co)
    return _change_many(app, ids, "dispatched", build, actor, progress)


def _change_many(
    app: App,
    ids: Iterable[int],
    kind: str,
    build: Build,
    actor: str | None,
    progress: Progress | None,
) -> list[Issue]:
    """Check every issue, record one event each, store the states, route; then notify."""
    actor = actor or app.settings.actor
    progress = progress or no_progress
    wanted = list(dict.fromkeys(ids))
    now = app.now()
    with app.uow() as uow:
        uow.authorise(ACTIONS[kind])
        if not uow.principal.everywhere:
            visible = uow.issues.in_scope_many(wanted, uow.principal)
            for issue_id in wanted:
                if issue_id not in visible:  # the same answer as one issue at a time
                    uow.authorise(ACTIONS[kind], issue_id)
        found = {i.id: i for i in uow.issues.get_many(wanted, for_update=True)}
        failures: list[tuple[int, str]] = [(i, "no such issue") for i in wanted if i not in found]
        changed: list[tuple[Issue, Issue, IssueEvent]] = []  # (before, after, event)
        progress(0, len(wanted))
        for n, issue_id in enumerate(wanted, 1):
            issue = found.get(issue_id)
            if issue is not None:
                try:
                    check_transition(issue, kind)
                    event_kind, data = build(uow, issue, now)
                    data["by"] = str(uow.principal)  # as one at a time records it
                except ServiceFrameError as exc:
                    failures.append((issue_id, _reason(exc, issue_id)))
                else:
                    event = IssueEvent(event_kind, now, actor, data)
                    changed.append((issue, apply(issue, event), event))
            progress(n, len(wanted))
        if failures:
            raise BulkError(kind, len(wanted), sorted(failures))  # "nothing was accepted"
        uow.issues.save_many([(new, old.version) for old, new, _ in changed])
        uow.record([issue_event_row(new.id, event) for _, new, event in changed])
        if kind == "dispatched":
            uow.issues.set_units_many(
                {new.id: (e.data["lead"], e.data["co"]) for _, new, e in changed}
            )
        published = [(new, event) for _, new, event in changed]
        if kind in ROUTED_BY:  # an accepted issue always has a responsible leader (R7)
            from serviceframe.services.routing import route_in_many

            routed = route_in_many(app, uow, [new for _, new, _ in changed], now, actor)
            published += [(new, e) for _, new, _ in changed for e in routed[new.id]]
        uow.commit()
    app.publish_issue_events(published)
    return [new for _, new, _ in changed]


def _reason(exc: ServiceFrameError, issue_id: int) -> str:
    """The error without a leading "issue N" (the report names the issue already)."""
    text = str(exc)
    prefix = f"issue {issue_id} "
    return text[len(prefix) :] if text.startswith(prefix) else text
