"""Routing to leaders and escalation up the ladder (R7): the heart of the seed.

``route_in`` runs inside the unit of work that accepted (or reclassified) an issue, so an
accepted issue always has a responsible leader. ``escalate`` is the sweep over missed
deadlines and unanswered supervision orders; it is set-based and idempotent (one supervision
order per missed deadline, one follow-up per reply limit passed).
"""

import json
import warnings
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from attrs import fields, frozen

from serviceframe.app import App
from serviceframe.domain.categories import Category
from serviceframe.domain.enterprise import Enterprise, KeyLevel
from serviceframe.domain.issue import Issue, IssueEvent
from serviceframe.domain.organisation import Organisation
from serviceframe.domain.principal import Action
from serviceframe.domain.routing import (
    Climb,
    RouteDecision,
    Routing,
    RoutingFacts,
    Rung,
    Skip,
    apply_routing,
    next_rung,
    outranks,
)
from serviceframe.domain.workdays import SHANGHAI, ProvisionalDeadlineWarning, WorkCalendar
from serviceframe.errors import CalendarError, NotFound, ServiceFrameError
from serviceframe.progress import Progress, no_progress
from serviceframe.serialise import dumps_column
from serviceframe.services.configured import (
    deadline_rules,
    escalation_rules,
    organisation_of,
    work_calendar,
)
from serviceframe.services.events import issue_event_row
from serviceframe.services.jobs import collector_paused, exclusive


def facts_of(uow: Any, issue: Issue, widespread: bool = False) -> RoutingFacts:
    return _facts(issue, uow.enterprises.get(issue.enterprise), widespread)


def _facts(issue: Issue, enterprise: Enterprise | None, widespread: bool) -> RoutingFacts:
    return RoutingFacts(
        category=issue.category,
        severity=issue.severity.value,
        widespread=widespread,
        enterprise_jurisdiction=enterprise.jurisdiction if enterprise else "",
        key_level=enterprise.key_level if enterprise else KeyLevel.NONE,
        lead_unit=issue.lead_unit,
    )


def decide_route(app: App, uow: Any, issue: Issue, widespread: bool = False) -> RouteDecision:
    return _route(app, organisation_of(app, uow), issue, facts_of(uow, issue, widespread))


def _route(app: App, org: Organisation, issue: Issue, facts: RoutingFacts) -> RouteDecision:
    decision: RouteDecision | None = app.plugins.first(
        "serviceframe_route", app=app, issue=issue, facts=facts, organisation=org
    )
    if decision is None:
        raise ServiceFrameError(f"no router decided issue {issue.id}")
    return decision


def topic_of(app: App, issue: Issue) -> str | None:
    topic: str | None = app.plugins.first("serviceframe_topic", app=app, issue=issue)
    return topic


def route_in(app: App, uow: Any, issue: Issue, now: datetime, actor: str) -> list[IssueEvent]:
    """Route an accepted issue inside the caller's unit of work; returns the events recorded.

    A policy issue is queued for the next executive meeting; an issue whose topic already has
    an open widespread-issue cluster joins it and follows the cluster's leader.
    """
    return route_in_many(app, uow, [issue], now, actor)[issue.id]


def route_in_many(
    app: App, uow: Any, issues: Sequence[Issue], now: datetime, actor: str
) -> dict[int, list[IssueEvent]]:
    """``route_in`` for many issues at once (a bulk accept or dispatch): their routing
    states, enterprises and open clusters read in one query each, the new states and events
    written together. Returns each issue's events."""
    org = organisation_of(app, uow)
    states = uow.routing.get_many([i.id for i in issues])
    enterprises = uow.enterprises.get_many({i.enterprise for i in issues})
    topics = {i.id: topic_of(app, i) for i in issues}
    clusters = uow.routing.open_clusters(t for t in topics.values() if t)
    recorded: dict[int, list[IssueEvent]] = {}
    saved: list[Routing] = []
    for issue in issues:
        current, t = states.get(issue.id), topics[issue.id]
        cluster = clusters.get(t) if t else None
        facts = _facts(issue, enterprises.get(issue.enterprise), cluster is not None)
        decision = _decide(app, org, issue, facts, current, cluster)
        events: list[IssueEvent] = []
        data: dict[str, Any] = {
            "level": decision.level,
            "rung": decision.rung.value,
            "official": decision.official,
            "reason": decision.reason,
            "informed": list(decision.informed),
            "topic": t,
        }
        if decision.skipped:  # the rungs nobody could take, recorded on the issue
            data["skipped"] = skip_data(decision.skipped)
        if current is None or (current.level, current.rung, current.official, current.topic) != (
            decision.level,
            decision.rung,
            decision.official,
            t,
        ):
            events.append(IssueEvent("routed", now, actor, data))
        if cluster is not None and (current is None or current.cluster != cluster["id"]):
            events.append(IssueEvent("clustered", now, actor, cluster_data(cluster)))
        if (
            decision.rung is Rung.EXECUTIVE_MEETING
            and uow.routing.item_for(issue_id=issue.id) is None
        ):
            item = queue_item(uow, decision.level, now, issue_id=issue.id, title=issue.title)
            events.append(IssueEvent("queued", now, actor, item))
        state = current
        for event in events:
            state = apply_routing(state, issue.id, event.kind, dict(event.data))
        if events and state is not None:
            saved.append(state)
        recorded[issue.id] = events
    uow.routing.save_many(saved, now)
    uow.record([issue_event_row(i, e) for i, events in recorded.items() for e in events])
    return recorded


def _decision(
    app: App, uow: Any, issue: Issue, current: Routing | None
) -> tuple[RouteDecision, str | None, dict[str, Any] | None]:
    """The router's decision as routing the issue now would record it, with the issue's topic
    and the open cluster of that topic, if any."""
    topic = topic_of(app, issue)
    cluster = uow.routing.open_cluster(topic) if topic else None
    facts = facts_of(uow, issue, widespread=cluster is not None)
    org = organisation_of(app, uow)
    return _decide(app, org, issue, facts, current, cluster), topic, cluster


def _decide(
    app: App,
    org: Organisation,
    issue: Issue,
    facts: RoutingFacts,
    current: Routing | None,
    cluster: dict[str, Any] | None,
) -> RouteDecision:
    decision = _route(app, org, issue, facts)
    if decision.rung is not Rung.EXECUTIVE_MEETING:
        decision = _held(org, decision, current, cluster)
    return decision


def _held(
    org: Organisation,
    decision: RouteDecision,
    current: Routing | None,
    cluster: dict[str, Any] | None,
) -> RouteDecision:
    """What routing an issue again (on dispatch, reclassification) must not undo: a member of
    an open cluster follows the cluster's leader, and an issue the sweep moved up the ladder
    stays at least as high as it got."""
    if cluster is not None:
        level = str(cluster["level"])
        taken_from = tuple(dict.fromkeys(x for x in (decision.level, *decision.informed)))
        decision = RouteDecision(
            level,
            Rung(cluster["rung"]),
            cluster["official"],
            str(cluster["reason"]),
            tuple(x for x in taken_from if x != level),
        )
    if (
        current is not None
        and current.escalations
        and outranks(org, current.level, current.rung, decision.level, decision.rung)
    ):
        decision = RouteDecision(
            current.level, current.rung, current.official, current.reason, current.informed
        )
    return decision


def skip_data(skipped: Sequence[Skip]) -> list[dict[str, str]]:
    return [{"level": s.level, "rung": s.rung.value, "why": s.why} for s in skipped]


def cluster_data(cluster: dict[str, Any]) -> dict[str, Any]:
    return {
        "cluster": cluster["id"],
        "topic": cluster["topic"],
        "level": cluster["level"],
        "rung": cluster["rung"],
        "official": cluster["official"],
        "reason": cluster["reason"],
    }


def record_for_many(
    uow: Any, ids: Sequence[int], kind: str, data: dict[str, Any], now: datetime, actor: str
) -> IssueEvent:
    """Write one routing event (clustered, queued, decided) to many issues at once: fold it
    into each routing state, save them together, and log one event row per issue."""
    event = IssueEvent(kind, now, actor, data)
    states = uow.routing.get_many(ids)
    folded = (apply_routing(states.get(i), i, kind, data) for i in ids)
    uow.routing.save_many([state for state in folded if state is not None], now)
    uow.record([issue_event_row(i, event) for i in ids])
    return event


def queue_item(
    uow: Any,
    level: str,
    now: datetime,
    title: str,
    issue_id: int | None = None,
    cluster_id: int | None = None,
) -> dict[str, Any]:
    meeting = uow.routing.next_meeting(level, now.astimezone(SHANGHAI).date())
    item_id = uow.routing.add_item(
        {
            "jurisdiction": level,
            "meeting_id": meeting["id"] if meeting else None,
            "issue_id": issue_id,
            "cluster_id": cluster_id,
            "title": title[:300],
            "queued_at": now,
        }
    )
    return {"agenda_item": item_id, "meeting": meeting["date"].isoformat() if meeting else None}


@frozen
class RouteView:
    issue: int
    current: Routing | None
    # What routing the issue now (``route --apply``) would record: the same unless the
    # organisation changed. None while the issue is not accepted: an issue is routed once the
    # office has classified it.
    decision: RouteDecision | None
    supervision: tuple[dict[str, Any], ...]


NOT_ROUTED = ("received", "rejected", "merged")


def explain_route(app: App, issue_id: int) -> RouteView:
    with app.uow() as uow:
        uow.authorise(Action.READ, issue_id)
        issue = uow.issues.get(issue_id)
        if issue is None:
            raise NotFound("issue", issue_id)
        current = uow.routing.get(issue_id)
        decision = (
            None
            if current is None and issue.status.value in NOT_ROUTED
            else _decision(app, uow, issue, current)[0]
        )
        return RouteView(
            issue_id,
            current,
            decision,
            tuple(uow.routing.orders(open_only=False, issue_id=issue_id)),
        )


def route_issue(app: App, issue_id: int, actor: str | None = None) -> RouteView:
    """(Re)route one accepted issue now: after the organisation changed, say."""
    actor = actor or app.settings.actor
    now = app.now()
    with app.uow() as uow:
        uow.authorise(Action.MANAGE, issue_id)
        issue = uow.issues.get(issue_id, for_update=True)
        if issue is None:
            raise NotFound("issue", issue_id)
        if issue.status.value in NOT_ROUTED:
            raise ServiceFrameError(
                f"issue {issue_id} is {issue.status.value}; only an accepted issue is routed"
            )
        events = route_in(app, uow, issue, now, actor)
        uow.commit()
    app.publish_issue_events([(issue, e) for e in events])
    return explain_route(app, issue_id)


# --- the escalation sweep ----------------------------------------------------------------------

# What each kind of order answers for (督办单 on a missed deadline; 催办 when an order's reply
# limit passed; 挂牌督办 at the top of the ladder).
ORDER_LABELS = {
    "acknowledge": "签收逾期",
    "feedback": "反馈逾期",
    "resolve": "办结逾期",
    "redo": "重办逾期",
    "follow_up": "催办",
    "listed": "挂牌督办",
}


@frozen
class Escalation:
    issue: int
    order: int
    deadline: str  # acknowledge / feedback / resolve / redo / follow_up / listed (ORDER_LABELS)
    due: str
    overdue_unit: str | None
    overdue_official: str | None
    from_level: str
    from_rung: str
    from_official: str | None
    to_level: str
    to_rung: str
    to_official: str | None
    moved: bool  # False at the top of the ladder, or when this sweep already moved the issue
    reason: str  # why the issue is where it is (unchanged when it did not move)
    informed: tuple[str, ...] = ()  # after the move: a county that handed it up is told
    skipped: tuple[Skip, ...] = ()  # rungs nobody could take, passed over on the way
    reply_due: str | None = None  # the working day by which the order must be answered
    note: str = ""  # why it did not move: already moved in this sweep, top of the ladder


@exclusive("escalation sweep")
def escalate(
    app: App,
    now: datetime | None = None,
    dry_run: bool = False,
    actor: str | None = None,
    progress: Progress | None = None,
) -> list[Escalation]:
    """Supervise (督办) every missed deadline that has no order yet, and follow up (催办) every
    order whose reply limit passed with its issue still being handled; move each such issue
    one rung up the ladder, at most one rung per sweep however many cases it has (each case
    still gets its own order). At the top of the ladder an unanswered order lists the issue
    as long-overdue (挂牌督办). Orders of issues no longer being handled are closed (销号).

    A rung nobody can take is skipped and named on the order; a problem with one issue
    never stops the sweep for the others. Running it twice at the same moment changes
    nothing the second time. With ``dry_run`` nothing is stored and no plugin is told.

    Thousands of due cases share a few decisions (where an issue stands, the facts the
    ladder reads, the kind of deadline): each is made once, its event data dumped once, and
    the orders and routing moves are written by SQL joining the cases to the decisions.
    """
    actor = actor or app.settings.actor
    now = now or app.now()
    today = now.astimezone(SHANGHAI).date()
    done: list[Escalation] = []
    told = not dry_run and app.plugins.implemented("serviceframe_escalated")
    with collector_paused(), app.uow() as uow:
        uow.authorise(Action.SWEEP)
        sweep = _Sweep(app, uow, organisation_of(app, uow), _reply_due(app, now), now)
        breaches = uow.routing.breaches(today)
        # The breaches carry what the ladder needs; whole issues are read only for those
        # never routed (routing them asks the router) and for the plugins to be told.
        wanted = {b.issue_id for b in breaches if told or b.place is None}
        issues = {i.id: i for i in uow.issues.get_many(wanted)} if wanted else {}
        # The orders' ids are taken first: each escalation's event names its order.
        ids = [0] * len(breaches) if dry_run else uow.routing.order_ids(len(breaches))
        orders: list[tuple[int, int, int, str, int]] = []  # id, issue, round, due, decision
        moves: dict[int, tuple[int, int]] = {}  # issue -> its last decision, moved (0/1)
        events: list[dict[str, Any]] = []
        for n, (b, order_id) in enumerate(zip(breaches, ids, strict=True), 1):
            (progress or no_progress)(n, len(breaches))
            d = sweep.supervise(b, issues.get(b.issue_id))
            due = b.due.isoformat()
            done.append(d.escalation(b.issue_id, order_id, due))
            orders.append((order_id, b.issue_id, b.round, due, d.n))
            moves[b.issue_id] = (d.n, int(b.issue_id in sweep.moved))
            events.append(
                {
                    "kind": "escalated",
                    "subject": f"issue:{b.issue_id}",
                    "actor": actor,
                    "at": now,
                    "data": {"order": order_id, "due": due, **d.data},
                    # The text the hash and the column take: this case's order (an int)
                    # and due day (an ISO date) in front of the decision's data, which was
                    # dumped once for all its cases and is never empty.
                    "data_json": f'{{"order":{order_id},"due":"{due}",{d.data_json[1:]}',
                }
            )
        if dry_run:
            return done
        closed = _close_answered(uow, today, now, actor)
        if not done and not closed:
            return done
        decisions = [d.row for d in sweep.decisions.values()]
        uow.routing.add_orders(decisions, orders, now, actor)
        # Issues first routed by this sweep get their routing row, then every due issue
        # moves as its last decision says.
        uow.routing.save_many(list(sweep.first.values()), now)
        uow.routing.move(decisions, [(i, n, moved) for i, (n, moved) in moves.items()], now)
        uow.record(events)
        uow.commit()
    if told:
        for e, b in zip(done, breaches, strict=True):
            app.plugins.notify(
                "serviceframe_escalated",
                app=app,
                issue=issues[e.issue],
                order=_order_row(e, b.round, now, actor),
            )
    return done


# Where an issue stands, as far as the ladder cares, as its routing row stores it: level, rung,
# official, reason, the informed (JSON text), whether it is in a cluster.
Place = tuple[str, str, str | None, str, str, bool]


def _place(r: Routing) -> Place:
    return (
        r.level,
        r.rung.value,
        r.official,
        r.reason,
        dumps_column(list(r.informed)),
        r.cluster is not None,
    )


@frozen
class _Decision:
    """What one kind of due case does: the order's fields but its issue, id and due date,
    the event's data (and its JSON) without those, where the issue stands after it."""

    n: int  # its position among the sweep's decisions: the SQL joins the cases to it
    deadline: str
    moved: bool  # up a rung
    rest: tuple[Any, ...]  # Escalation's fields after ``due``
    data: dict[str, Any]
    data_json: str
    after: Place
    row: dict[str, Any]  # what the SQL writes (``RoutingRepository.add_orders``, ``move``)

    def escalation(self, issue: int, order: int, due: str) -> Escalation:
        return Escalation(issue, order, self.deadline, due, *self.rest)


class _Sweep:
    """One sweep's decisions: where each due case moves, one rung per issue per sweep."""

    def __init__(self, app: App, uow: Any, org: Organisation, reply_due: date, now: datetime):
        self.app, self.uow, self.org, self.reply_due, self.now = app, uow, org, reply_due, now
        self.widespread_to = escalation_rules(app).widespread_to
        self.decisions: dict[tuple[Any, ...], _Decision] = {}  # many due cases share one
        self.moved: set[int] = set()
        self.places: dict[int, Place] = {}  # where each issue stands after its cases so far
        self.heads: dict[str | None, tuple[str, ...]] = {}  # of each lead unit
        self.first: dict[int, Routing] = {}  # issues routed by this sweep (before routing existed)

    def supervise(self, b: Any, issue: Issue | None) -> _Decision:
        """The decision of breach ``b``; ``issue`` is needed only when the issue was never
        routed (``b.place`` None)."""
        issue_id = b.issue_id
        place = self.places.get(issue_id) or b.place
        problem = ""
        if place is None:
            try:
                assert issue is not None
                state = _first_routing(self.app, self.uow, issue)
            except ServiceFrameError as exc:  # supervised all the same, where it stands
                state = Routing(issue_id, self.org.root.code, Rung.HEAD, None, "")
                problem = f"无法提级:{exc}"
            self.first[issue_id] = state
            place = _place(state)
        facts = (b.category, b.severity, b.county, b.key_level, b.lead_unit)
        key = (place, facts, b.deadline, issue_id in self.moved, problem)
        d = self.decisions.get(key)
        if d is None:
            d = self.decisions[key] = self._decide(len(self.decisions), *key)
        self.places[issue_id] = d.after
        if d.moved:
            self.moved.add(issue_id)
        return d

    def _decide(
        self,
        n: int,
        place: Place,
        facts: tuple[Any, ...],
        kind: str,
        moved_before: bool,
        problem: str,
    ) -> _Decision:
        org = self.org
        level, rung_value, official, reason, informed_json, clustered = place
        rung, informed = Rung(rung_value), tuple(json.loads(informed_json))
        category, severity, county, key_level, lead_unit = facts
        if lead_unit not in self.heads:
            self.heads[lead_unit] = org.unit_heads(lead_unit)
        heads = self.heads[lead_unit]
        climb = Climb(None)
        if not (problem or moved_before):  # one rung per sweep
            ladder = RoutingFacts(
                Category(category), severity, clustered, county, KeyLevel(key_level), lead_unit
            )
            try:
                climb = next_rung(org, level, rung, ladder, heads, official, self.widespread_to)
            except ServiceFrameError as exc:  # supervised all the same, where it stands
                problem = f"无法提级:{exc}"
        up = climb.decision
        if kind == "follow_up" and up is None and not moved_before:
            kind = "listed"  # nobody higher: 挂牌督办, not followed up again
        if up is not None:
            note = ""
        elif problem:
            note = problem
        elif moved_before:
            note = "本次督办已提级一次,不再提级"
        elif kind == "listed":
            note = "已至最高层级仍未办结,挂牌督办"
        else:
            note = "已至最高层级,继续督办"
        to = up or RouteDecision(level, rung, official, reason)
        if to.level != level:  # handed up: the county it came from is told
            informed = tuple(dict.fromkeys(x for x in (*informed, *to.informed) if x != to.level))
        reply_due = None if kind == "listed" else self.reply_due.isoformat()
        overdue_official = heads[0] if heads else None
        e = Escalation(
            0,
            0,
            kind,
            "",
            lead_unit,
            overdue_official,
            level,
            rung.value,
            official,
            to.level,
            to.rung.value,
            to.official,
            up is not None,
            to.reason,
            informed,
            climb.skipped,
            reply_due,
            note,
        )
        data = _event_data(e, self.now)
        del data["order"], data["due"]  # each case's own, put first
        row = {
            "deadline": kind,
            "overdue_unit": lead_unit,
            "overdue_official": overdue_official,
            "from_level": level,
            "from_rung": rung.value,
            "from_official": official,
            "to_level": to.level,
            "to_rung": to.rung.value,
            "to_official": to.official,
            "reason": to.reason,
            "informed": list(informed),
            "reply_due": reply_due,
            "listed": int(kind == "listed"),
        }
        after = (
            to.level,
            to.rung.value,
            to.official,
            to.reason,
            dumps_column(list(informed)),
            clustered,
        )
        rest = tuple(getattr(e, f) for f in _REST)
        return _Decision(n, kind, up is not None, rest, data, dumps_column(data), after, row)


_REST = tuple(f.name for f in fields(Escalation))[4:]  # the fields after ``due``


def _order_row(e: Escalation, round_: int, now: datetime, actor: str) -> dict[str, Any]:
    """The ``supervision_orders`` row of an escalation (plugins get it)."""
    return {
        "id": e.order,
        "issue_id": e.issue,
        "deadline": e.deadline,
        "round": round_,
        "due": date.fromisoformat(e.due),
        "overdue_unit": e.overdue_unit,
        "overdue_official": e.overdue_official,
        "from_level": e.from_level,
        "from_rung": e.from_rung,
        "from_official": e.from_official,
        "to_level": e.to_level,
        "to_rung": e.to_rung,
        "to_official": e.to_official,
        "created_at": now,
        "actor": actor,
        "reply_due": None if e.reply_due is None else date.fromisoformat(e.reply_due),
    }


def _first_routing(app: App, uow: Any, issue: Issue) -> Routing:
    """Accepted before routing existed: route it first."""
    d = decide_route(app, uow, issue)
    return Routing(issue.id, d.level, d.rung, d.official, d.reason, d.informed)


def _reply_due(app: App, now: datetime) -> date:
    """The working day by which an order issued ``now`` must be answered."""
    with warnings.catch_warnings():  # a year without holiday data: Mon–Fri, quietly
        warnings.simplefilter("ignore", ProvisionalDeadlineWarning)
        try:
            return work_calendar(app).add_workdays(now, deadline_rules(app).supervision_reply).due
        except CalendarError:  # strict calendar, unknown year: the sweep still runs
            return WorkCalendar().add_workdays(now, deadline_rules(app).supervision_reply).due


def _event_data(e: Escalation, now: datetime) -> dict[str, Any]:
    data: dict[str, Any] = {
        "order": e.order,
        "deadline": e.deadline,
        "due": e.due,
        "overdue_unit": e.overdue_unit,
        "overdue_official": e.overdue_official,
        "moved": e.moved,
        "from": {"level": e.from_level, "rung": e.from_rung, "official": e.from_official},
        "to": {
            "level": e.to_level,
            "rung": e.to_rung,
            "official": e.to_official,
            "reason": e.reason,
            "informed": list(e.informed),
        },
        "reply_due": e.reply_due,
    }
    if e.note:
        data["note"] = e.note
    if e.skipped:
        data["skipped"] = skip_data(e.skipped)
    if e.deadline == "listed":
        data["listed_at"] = now.astimezone(UTC).isoformat()
    return data


def _close_answered(uow: Any, today: date, now: datetime, actor: str) -> list[int]:
    """Close (销号) the orders whose reply limit passed after their issue stopped being
    handled: nothing to follow up, and the sweep never reads them again."""
    answered = uow.routing.answered(today)
    if not answered:
        return []
    states = uow.routing.get_many([i for i, _ in answered])
    events = []
    for issue_id, due in answered:
        data = {"reply_due": due.isoformat()}
        states[issue_id] = apply_routing(states[issue_id], issue_id, "supervision_closed", data)
        events.append(issue_event_row(issue_id, IssueEvent("supervision_closed", now, actor, data)))
    uow.routing.save_many(list(states.values()), now)
    uow.record(events)
    return [i for i, _ in answered]


def supervision_orders(app: App, open_only: bool = True) -> list[dict[str, Any]]:
    """Supervision orders, oldest first: all for those who see everything, a county office's
    of its own places' enterprises."""
    with app.uow() as uow:
        uow.authorise(Action.READ)
        places = uow.principal.report_places(organisation_of(app, uow), None)
        orders: list[dict[str, Any]] = uow.routing.orders(open_only, jurisdictions=places)
        return orders


def long_overdue(app: App) -> list[dict[str, Any]]:
    """Issues listed as long-overdue (挂牌督办), still being handled: oldest first, each with
    the days since it was received; a county office's of its own places."""
    now = app.now()
    with app.uow() as uow:
        uow.authorise(Action.READ)
        places = uow.principal.report_places(organisation_of(app, uow), None)
        rows = uow.routing.long_overdue(jurisdictions=places)
    return [{**row, "days_open": (now - row["received_at"]).days} for row in rows]
