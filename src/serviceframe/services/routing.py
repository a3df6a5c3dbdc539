"""Routing to leaders and escalation up the ladder (R7): the heart of the seed.

``route_in`` runs inside the unit of work that accepted (or reclassified) an issue, so an
accepted issue always has a responsible leader. ``escalate`` is the sweep over missed
deadlines; it is set-based and idempotent (one supervision order per missed deadline).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from attrs import evolve, frozen

from serviceframe.app import App
from serviceframe.domain.enterprise import Enterprise, KeyLevel
from serviceframe.domain.issue import Issue, IssueEvent
from serviceframe.domain.organisation import Organisation, Role
from serviceframe.domain.routing import (
    RouteDecision,
    Routing,
    RoutingFacts,
    Rung,
    apply_routing,
    next_rung,
    outranks,
)
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import NotFound, ServiceFrameError
from serviceframe.progress import Progress, no_progress
from serviceframe.services.configured import organisation_of
from serviceframe.services.events import issue_event_row


def facts_of(uow: Any, issue: Issue, widespread: bool = False) -> RoutingFacts:
    return _facts(issue, uow.enterprises.get(issue.enterprise), widespread)


def _facts(issue: Issue, enterprise: Enterprise | None, widespread: bool) -> RoutingFacts:
    return RoutingFacts(
        category=issue.category,
        severity=issue.severity.value,
        widespread=widespread,
        enterprise_county=enterprise.jurisdiction if enterprise else "",
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
        data = {
            "level": decision.level,
            "rung": decision.rung.value,
            "official": decision.official,
            "reason": decision.reason,
            "informed": list(decision.informed),
            "topic": t,
        }
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


@frozen
class Escalation:
    issue: int
    order: int
    deadline: str  # acknowledge / feedback / resolve / redo
    due: str
    overdue_unit: str | None
    overdue_official: str | None
    from_level: str
    from_rung: str
    from_official: str | None
    to_level: str
    to_rung: str
    to_official: str | None
    moved: bool  # False at the top of the ladder: supervised, but nobody higher to take it
    reason: str
    informed: tuple[str, ...] = ()  # after the move: a county that handed it up is told


def escalate(
    app: App,
    now: datetime | None = None,
    dry_run: bool = False,
    actor: str | None = None,
    progress: Progress | None = None,
) -> list[Escalation]:
    """Supervise (督办) every missed deadline that has no order yet, and move each such issue
    one rung up the ladder. Running it twice at the same moment changes nothing the second
    time. With ``dry_run`` nothing is stored and no plugin is told."""
    actor = actor or app.settings.actor
    now = now or app.now()
    today = now.astimezone(SHANGHAI).date()
    done: list[Escalation] = []
    with app.uow() as uow:
        org = organisation_of(app, uow)
        breaches = uow.routing.breaches(today)
        issues = {i.id: i for i in uow.issues.get_many({b.issue_id for b in breaches})}
        states = uow.routing.get_many(list(issues))
        heads = _unit_heads(org)
        ladder: dict[tuple[str, Rung, RoutingFacts], RouteDecision | None] = {}
        orders: list[dict[str, Any]] = []
        for n, b in enumerate(breaches, 1):
            (progress or no_progress)(n, len(breaches))
            issue = issues[b.issue_id]
            state = states.get(b.issue_id)
            if state is None:  # accepted before routing existed: route it first
                d = decide_route(app, uow, issue)
                state = Routing(issue.id, d.level, d.rung, d.official, d.reason, d.informed)
            facts = RoutingFacts(
                issue.category,
                issue.severity.value,
                state.cluster is not None,
                b.county,
                KeyLevel(b.key_level),
                issue.lead_unit,
            )
            # Many due issues share a rung and facts: climb the ladder once per kind of case.
            key = (state.level, state.rung, facts)
            if key not in ladder:
                ladder[key] = next_rung(org, state.level, state.rung, facts)
            up = ladder[key]
            to = up or RouteDecision(
                state.level, state.rung, state.official, "已至最高层级,继续督办"
            )
            orders.append(
                {
                    "issue_id": issue.id,
                    "deadline": b.deadline,
                    "round": b.round,
                    "due": b.due,
                    "overdue_unit": issue.lead_unit,
                    "overdue_official": heads.get(issue.lead_unit or ""),
                    "from_level": state.level,
                    "from_rung": state.rung.value,
                    "from_official": state.official,
                    "to_level": to.level,
                    "to_rung": to.rung.value,
                    "to_official": to.official,
                    "created_at": now,
                    "actor": actor,
                }
            )
            informed = state.informed
            if to.level != state.level:  # handed up: the county it came from is told
                informed = tuple(
                    dict.fromkeys(x for x in (*state.informed, *to.informed) if x != to.level)
                )
            states[issue.id] = evolve(
                state,
                level=to.level,
                rung=to.rung,
                official=to.official,
                reason=to.reason,
                informed=informed,
                escalations=state.escalations + (1 if up else 0),
            )
            done.append(
                Escalation(
                    issue.id,
                    0,
                    b.deadline,
                    b.due.isoformat(),
                    issue.lead_unit,
                    heads.get(issue.lead_unit or ""),
                    state.level,
                    state.rung.value,
                    state.official,
                    to.level,
                    to.rung.value,
                    to.official,
                    up is not None,
                    to.reason,
                    informed,
                )
            )
        if dry_run or not orders:
            return done
        ids = uow.routing.add_orders(orders)
        done = [evolve(e, order=i) for e, i in zip(done, ids, strict=True)]
        events = [
            (
                e.issue,
                IssueEvent(
                    "escalated",
                    now,
                    actor,
                    {
                        "order": e.order,
                        "deadline": e.deadline,
                        "due": e.due,
                        "overdue_unit": e.overdue_unit,
                        "overdue_official": e.overdue_official,
                        "moved": e.moved,
                        "from": {
                            "level": e.from_level,
                            "rung": e.from_rung,
                            "official": e.from_official,
                        },
                        "to": {
                            "level": e.to_level,
                            "rung": e.to_rung,
                            "official": e.to_official,
                            "reason": e.reason,
                            "informed": list(e.informed),
                        },
                    },
                ),
            )
            for e in done
        ]
        uow.routing.save_many([states[i] for i in sorted({e.issue for e in done})], now)
        uow.record([issue_event_row(i, ev) for i, ev in events])
        uow.commit()
    for e, order in zip(done, orders, strict=True):
        app.plugins.notify(
            "serviceframe_escalated", app=app, issue=issues[e.issue], order={**order, "id": e.order}
        )
    return done


def _unit_heads(org: Organisation) -> dict[str, str]:
    heads: dict[str, str] = {}
    for o in sorted(org.officials, key=lambda o: o.id):
        if o.active and o.unit and o.role is Role.DEPARTMENT_HEAD:
            heads.setdefault(o.unit, o.id)
    return heads


def supervision_orders(app: App, open_only: bool = True) -> list[dict[str, Any]]:
    with app.uow() as uow:
        orders: list[dict[str, Any]] = uow.routing.orders(open_only=open_only)
        return orders
