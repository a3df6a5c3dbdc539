"""Widespread issues (倾向性、普遍性问题): many enterprises, several counties, one topic.

A topic raised by enough different enterprises in enough counties within the window forms a
cluster, escalated as one item to the executive vice mayor (or the mayor); every member is
linked to it and later members follow it. Resolving the cluster settles all its open
members at once: solve one, settle a class.
"""

from datetime import datetime, timedelta
from typing import Any

from attrs import frozen

from serviceframe.app import App
from serviceframe.domain.categories import Category
from serviceframe.domain.enterprise import KeyLevel
from serviceframe.domain.issue import ALLOWED_FROM, IssueEvent, apply
from serviceframe.domain.principal import Action
from serviceframe.domain.routing import RoutingFacts, decide
from serviceframe.errors import Forbidden, NotFound, ServiceFrameError, ValidationError
from serviceframe.progress import Progress, no_progress
from serviceframe.services.configured import escalation_rules, organisation_of
from serviceframe.services.events import issue_event_row
from serviceframe.services.jobs import exclusive
from serviceframe.services.routing import cluster_data, queue_item, record_for_many
from serviceframe.store.scope import issue_scope


@frozen
class ClusterChange:
    cluster: int
    topic: str
    kind: str  # formed / grown
    official: str | None
    rung: str
    new_members: tuple[int, ...]
    enterprises: int
    counties: int


@exclusive("trend detection")
def detect(
    app: App,
    now: datetime | None = None,
    window_days: int | None = None,
    dry_run: bool = False,
    actor: str | None = None,
    progress: Progress | None = None,
) -> list[ClusterChange]:
    """Find trending topics, form clusters and link their members (set-based)."""
    actor = actor or app.settings.actor
    now = now or app.now()
    rules = escalation_rules(app)
    since = now - timedelta(days=window_days or rules.cluster_window_days)
    changes: list[ClusterChange] = []
    published: list[tuple[dict[str, Any], str, list[int]]] = []
    with app.uow() as uow:
        uow.authorise(Action.SWEEP)
        org = organisation_of(app, uow)
        trending = uow.routing.trending_topics(
            since, rules.cluster_min_enterprises, rules.cluster_min_counties
        )
        # Looked for only where some are waiting: a run with nothing new costs one query.
        waiting = uow.routing.unclustered([x.topic for x in trending if x.waiting], since)
        for n, trend in enumerate(trending, 1):
            (progress or no_progress)(n, len(trending))
            # Only issues in no cluster yet join: members of a resolved cluster that came back
            # (an unsatisfied rating) stay with theirs, and form no empty cluster.
            members = waiting.get(trend.topic, [])
            if not members:
                continue
            cluster = uow.routing.open_cluster(trend.topic)
            kind = "grown"
            if cluster is None:
                kind = "formed"
                # Several counties are involved: the ladder of the lowest level above all of
                # them takes it, as one item (their city; the province when cities differ).
                above_all = org.common_ancestor(uow.routing.jurisdictions_of(members))
                facts = RoutingFacts(
                    Category(trend.category), "major", True, above_all, KeyLevel.NONE
                )
                d = decide(org, facts, rules.widespread_to)
                values = {
                    "topic": trend.topic,
                    "category": trend.category,
                    "level": d.level,
                    "rung": d.rung.value,
                    "official": d.official,
                    "reason": d.reason,
                    "created_at": now,
                }
                cluster = {
                    **values,
                    "id": 0 if dry_run else uow.routing.add_cluster(values),
                    "status": "open",
                }
            changes.append(
                ClusterChange(
                    cluster["id"],
                    trend.topic,
                    kind,
                    cluster["official"],
                    cluster["rung"],
                    tuple(members),
                    trend.enterprises,
                    trend.counties,
                )
            )
            if dry_run:
                continue
            # "formed" marks the event that formed the cluster: its leader is told once.
            data = {**cluster_data(cluster), "formed": kind == "formed"}
            record_for_many(uow, members, "clustered", data, now, actor)
            published.append((cluster, kind, members))
        if not dry_run:
            uow.commit()
    for cluster, kind, members in published:
        app.plugins.notify(
            "serviceframe_cluster_event", app=app, cluster=cluster, kind=kind, issues=members
        )
    return changes


@frozen
class ClusterView:
    cluster: dict[str, Any]
    members: tuple[dict[str, Any], ...]
    enterprises: int
    counties: int
    agenda_item: dict[str, Any] | None


def _cluster_scope(app: App, uow: Any) -> Any:
    """The clause over issues a principal's clusters are seen through: None for those who see
    everything; a county office sees the clusters with members in its places, counted over
    those members only; anyone else is refused."""
    me = uow.principal
    if me.everywhere:
        return None
    me.report_place(organisation_of(app, uow), None)  # Forbidden to anyone but an office
    return issue_scope(me)


def show_cluster(app: App, cluster_id: int) -> ClusterView:
    with app.uow() as uow:
        uow.authorise(Action.READ)
        scope = _cluster_scope(app, uow)
        cluster = uow.routing.cluster(cluster_id)
        if cluster is None:
            raise NotFound("cluster", cluster_id)
        ids = uow.routing.members(cluster_id, scope)
        if not ids and scope is not None:
            raise Forbidden(
                str(uow.principal), "read", f"cluster {cluster_id}", "outside its scope"
            )
        issues = uow.issues.get_many(ids)
        counts = uow.routing.member_counts([cluster_id], scope).get(cluster_id, (0, 0, 0))
        members = tuple(
            {"id": i.id, "enterprise": i.enterprise, "title": i.title, "status": i.status.value}
            for i in issues
        )
        return ClusterView(
            cluster, members, counts[1], counts[2], uow.routing.item_for(cluster_id=cluster_id)
        )


def list_clusters(app: App, status: str | None = None) -> list[dict[str, Any]]:
    with app.uow() as uow:
        uow.authorise(Action.READ)
        scope = _cluster_scope(app, uow)
        clusters = uow.routing.clusters(status, scope)
        ids = [c["id"] for c in clusters]
        counts = uow.routing.member_counts(ids, scope) if clusters else {}
        return [
            {
                **c,
                "issues": counts.get(c["id"], (0, 0, 0))[0],
                "enterprises": counts.get(c["id"], (0, 0, 0))[1],
                "counties": counts.get(c["id"], (0, 0, 0))[2],
            }
            for c in clusters
        ]


def settle_issues(
    uow: Any, ids: list[int], note: str, now: datetime, actor: str, cause: dict[str, Any]
) -> list[tuple[Any, IssueEvent]]:
    """Settle every open member at once with one resolution (set-based: one read, one write
    per table); members already resolved or finished are left as they are."""
    done = []
    for issue in uow.issues.get_many(ids):
        if issue.status not in ALLOWED_FROM["settled"]:  # already resolved, or finished
            continue
        event = IssueEvent("settled", now, actor, {"note": note, **cause})
        new = apply(issue, event)
        uow.issues.save(new, expected_version=issue.version)
        done.append((new, event))
    uow.record([issue_event_row(i.id, e) for i, e in done])
    return done


def resolve_cluster(
    app: App, cluster_id: int, note: str, actor: str | None = None
) -> tuple[dict[str, Any], list[int]]:
    """Resolve a cluster: its open members are settled with the same note and await ratings."""
    actor = actor or app.settings.actor
    if not note.strip():
        raise ValidationError("note", note, "a resolution note is required")
    now = app.now()
    with app.uow() as uow:
        uow.authorise(Action.MANAGE)
        cluster = uow.routing.cluster(cluster_id)
        if cluster is None:
            raise NotFound("cluster", cluster_id)
        if cluster["status"] != "open":
            raise ServiceFrameError(f"cluster {cluster_id} is already {cluster['status']}")
        settled = settle_issues(
            uow, uow.routing.members(cluster_id), note.strip(), now, actor, {"cluster": cluster_id}
        )
        uow.routing.resolve_cluster(cluster_id, note.strip(), now)
        cluster = uow.routing.cluster(cluster_id)
        assert cluster is not None
        uow.commit()
    app.publish_issue_events(settled)
    ids = [i.id for i, _ in settled]
    app.plugins.notify(
        "serviceframe_cluster_event", app=app, cluster=cluster, kind="resolved", issues=ids
    )
    return cluster, ids


def queue_cluster(app: App, cluster_id: int, actor: str | None = None) -> dict[str, Any]:
    """Put a cluster that needs a collective decision on the next executive meeting's agenda."""
    actor = actor or app.settings.actor
    now = app.now()
    with app.uow() as uow:
        uow.authorise(Action.MANAGE)
        cluster = uow.routing.cluster(cluster_id)
        if cluster is None:
            raise NotFound("cluster", cluster_id)
        existing = uow.routing.item_for(cluster_id=cluster_id)
        if existing is not None:
            return existing
        title = f"倾向性、普遍性问题:{cluster['topic']}"
        queued = queue_item(uow, cluster["level"], now, title, cluster_id=cluster_id)
        record_for_many(uow, uow.routing.members(cluster_id), "queued", queued, now, actor)
        item = uow.routing.item(queued["agenda_item"])
        assert item is not None
        uow.commit()
    return item
