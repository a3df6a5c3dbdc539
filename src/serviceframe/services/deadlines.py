"""Working-day deadlines (限时办理): computing them, and recomputing provisional ones.

A deadline in a year the calendar does not know is computed on Mon–Fri and marked
provisional. Once the year's holidays are added (``org load`` with a calendar override file,
or a newer ``chinesecalendar``), ``recompute_provisional`` puts every open issue's
provisional deadlines right, each change recorded as an event.
"""

import warnings
from datetime import datetime
from typing import TYPE_CHECKING, Any

from serviceframe.app import App
from serviceframe.domain.issue import Due, Issue, IssueEvent, Severity, apply, due_data
from serviceframe.domain.workdays import ProvisionalDeadlineWarning, WorkCalendar
from serviceframe.services.configured import deadline_rules, work_calendar

if TYPE_CHECKING:  # the organisation file's model is imported by the commands that load it
    from serviceframe.orgfile import DeadlineRules
from serviceframe.services.events import issue_event_row


def _due(calendar: WorkCalendar, start: datetime, days: int) -> dict[str, Any]:
    d = calendar.add_workdays(start, days)
    return due_data(Due(d.due, d.provisional))


def deadlines_with(
    calendar: WorkCalendar, rules: "DeadlineRules", start: datetime, severity: Severity
) -> dict[str, Any]:
    """The acknowledge, feedback and resolve deadlines of an issue dispatched at ``start``."""
    resolve = {
        Severity.GENERAL: rules.resolve_general,
        Severity.MAJOR: rules.resolve_major,
        Severity.POLICY: rules.resolve_policy,
    }[severity]
    return {
        "ack_due": _due(calendar, start, rules.acknowledge),
        "feedback_due": _due(calendar, start, rules.feedback),
        "resolve_due": _due(calendar, start, resolve),
    }


def deadlines_for(app: App, start: datetime, severity: Severity) -> dict[str, Any]:
    """The deadlines of an issue dispatched at ``start``, by the stored rules and calendar."""
    return deadlines_with(work_calendar(app), deadline_rules(app), start, severity)


def redo_deadline(app: App, start: datetime) -> dict[str, Any]:
    """The new resolve deadline of a round sent back by an unsatisfied enterprise."""
    return _due(work_calendar(app), start, deadline_rules(app).redo)


def recompute_provisional(app: App, actor: str | None = None) -> list[int]:
    """Recompute the provisional deadlines of open issues; returns the ids that changed."""
    actor = actor or app.settings.actor
    with app.uow() as uow:
        done = recompute_in(uow, work_calendar(app), deadline_rules(app), app.now(), actor)
        uow.commit()
    app.publish_issue_events(done)
    return [i.id for i, _ in done]


def recompute_in(
    uow: Any, calendar: WorkCalendar, rules: "DeadlineRules", now: datetime, actor: str
) -> list[tuple[Issue, IssueEvent]]:
    """Recompute, inside the caller's unit of work, the provisional deadlines of open issues
    with ``calendar`` and ``rules`` (``org load`` passes the ones it is storing, so that the
    organisation and the deadlines it changes are committed together or not at all)."""
    done = []
    for issue in uow.issues.with_provisional_deadlines():
        if issue.dispatched_at is None:
            continue
        with warnings.catch_warnings():  # still unknown years stay provisional, quietly
            warnings.simplefilter("ignore", ProvisionalDeadlineWarning)
            fresh = deadlines_with(calendar, rules, issue.dispatched_at, issue.severity)
            if issue.round > 1 and issue.rated_at is not None:
                fresh["resolve_due"] = _due(calendar, issue.rated_at, rules.redo)
        current: dict[str, Due | None] = {
            "ack_due": issue.ack_due,
            "feedback_due": issue.feedback_due,
            "resolve_due": issue.resolve_due,
        }
        data = {}
        for name, value in fresh.items():
            due = current[name]
            if due is not None and due.provisional and due_data(due) != value:
                data[name] = value
        if not data:
            continue
        event = IssueEvent("deadlines_recomputed", now, actor, data)
        new = apply(issue, event)
        uow.issues.save(new, expected_version=issue.version)
        done.append((new, event))
    uow.record([issue_event_row(i.id, e) for i, e in done])
    return done
