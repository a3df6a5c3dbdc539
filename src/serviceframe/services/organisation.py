"""Loading and reading the organisation (R1)."""

from pathlib import Path
from typing import Any

from attrs import frozen

from serviceframe.app import App
from serviceframe.domain.gaps import Gap, organisation_gaps
from serviceframe.domain.organisation import Organisation
from serviceframe.domain.principal import Action
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.orgfile import DeadlineRules, OrgFile, load_org
from serviceframe.progress import Progress
from serviceframe.serialise import converter
from serviceframe.services.configured import calendar_from, organisation_of
from serviceframe.services.deadlines import recompute_in
from serviceframe.services.events import event_row


@frozen
class OrgLoadReport:
    source: str
    jurisdictions: int
    units: int
    officials: int
    new_officials: int
    retired_units: int
    retired_officials: int
    ended_assignments: int
    groups: int
    recomputed_deadlines: int = 0  # provisional deadlines put right by new holiday data
    gaps: int = 0  # what `org check` lists: rungs nobody holds, categories nobody is in charge of
    retopiced_issues: int = 0  # open issues whose topic changed with the topic map


def load_organisation(
    app: App, path: str | Path, actor: str | None = None, progress: Progress | None = None
) -> OrgLoadReport:
    """Replace the stored organisation with the file's; the file is checked whole first.

    Officials no longer in the file are marked inactive and their current assignments end
    today with a reason, so coverage shows the gap and history shows who it was.
    """
    from serviceframe.services.channels import plugin_checks

    org_file = load_org(path, plugins=plugin_checks(app))
    return save_organisation(app, org_file, str(path), actor, progress)


def save_organisation(
    app: App,
    org_file: OrgFile,
    source: str,
    actor: str | None = None,
    progress: Progress | None = None,
) -> OrgLoadReport:
    actor = actor or app.settings.actor
    now = app.now()
    settings: dict[str, Any] = {
        "name": org_file.name,
        "quotas": converter.unstructure(org_file.quotas),
        "deadlines": converter.unstructure(org_file.deadlines),
        "taxonomy": {str(k): v for k, v in org_file.taxonomy.items()},
        "topics": {str(k): converter.unstructure(v) for k, v in org_file.topics.items()},
        # The holiday file's content, not its path: the database must not depend on a file
        # that sits on one clerk's machine.
        "calendar_overrides": calendar_overrides_data(org_file.deadlines),
        "escalation": converter.unstructure(org_file.escalation),
        # Channels by name only: secrets stay in the environment, never in the store.
        "channels": converter.unstructure(org_file.channels),
        # What each channel's kind can do, as the plugins said at load time: any process can
        # then write notifications for a channel whose plugin only the deliverer has.
        "channel_facts": channel_facts(app, org_file.channels),
        "notifications": converter.unstructure(org_file.notifications),
        "outbox": converter.unstructure(org_file.outbox),
        "assessment": converter.unstructure(org_file.assessment),
        "warnings": converter.unstructure(org_file.warnings),
        "warning_notices": converter.unstructure(org_file.warning_notices),
        "policy_push": converter.unstructure(org_file.policy_push),
        "project_templates": converter.unstructure(org_file.project_templates),
    }
    # The calendar the new settings make: the deadlines it changes are recomputed in the same
    # unit of work, so the load stores everything or nothing.
    calendar = calendar_from(settings["calendar_overrides"], org_file.deadlines.strict_calendar)
    with app.uow() as uow:
        uow.authorise(Action.CONFIGURE)
        topics_before = uow.org.setting("topics") or {}
        counts = uow.org.save(org_file.organisation, settings)
        uow.routing.save_meetings(
            [
                {"jurisdiction": m.jurisdiction, "date": m.date, "name": m.name}
                for m in org_file.meetings
            ]
        )
        # Items waiting for "the next meeting" go to each government's next one from today.
        today = now.astimezone(SHANGHAI).date()
        for jurisdiction in sorted({m.jurisdiction for m in org_file.meetings}):
            upcoming = uow.routing.next_meeting(jurisdiction, today)
            if upcoming is not None:
                uow.routing.attach_pending(jurisdiction, upcoming["id"])
        inactive = [o.id for o in uow.org.load().officials if not o.active]
        ended = uow.assignments.end_for_officials(inactive, now.date(), "official left")
        ended += uow.assignments.end_stale_liaisons(now.date(), "official moved to another unit")
        event = event_row(
            "org_loaded",
            "organisation",
            actor,
            now,
            source=source,
            **counts,
            ended_assignments=ended,
        )
        uow.record([event])
        recomputed = recompute_in(uow, calendar, org_file.deadlines, now, actor)
        uow.commit()
    app.forget_cached()
    app.publish_registry([event])
    app.publish_issue_events(recomputed)
    retopiced = []
    if topics_before != settings["topics"]:  # the topic map changed: open issues' topics too
        from serviceframe.services.topics import refresh_topics

        retopiced = refresh_topics(app, actor, progress)
    return OrgLoadReport(
        source=source,
        ended_assignments=ended,
        recomputed_deadlines=len(recomputed),
        gaps=len(organisation_gaps(org_file.organisation)),
        retopiced_issues=len(retopiced),
        **counts,
    )


def channel_facts(app: App, channels: Any) -> dict[str, dict[str, Any]]:
    from serviceframe.services.channels import channel_kinds

    kinds = channel_kinds(app) if channels else {}
    facts = {}
    for channel in channels:
        info = kinds.get(channel.kind)
        if info is not None:
            facts[channel.name] = {
                "inbound": info.kind.inbound,
                "outbound": info.kind.outbound,
                "address": list(channel.address or info.kind.address),
            }
    return facts


def calendar_overrides_data(rules: DeadlineRules) -> dict[str, Any]:
    from serviceframe.domain.workdays import load_overrides

    if rules.calendar_overrides is None:
        return {}
    overrides = load_overrides(rules.calendar_overrides)
    return {
        str(year): {
            "holidays": sorted(d.isoformat() for d in o.holidays),
            "workdays": sorted(d.isoformat() for d in o.workdays),
        }
        for year, o in overrides.items()
    }


def organisation_check(app: App) -> list[Gap]:
    """Every gap of the stored organisation (``serviceframe org check``)."""
    return organisation_gaps(organisation(app))


def organisation(app: App) -> Organisation:
    """The stored organisation, read once per app (``org load`` clears it)."""
    with app.uow() as uow:
        return organisation_of(app, uow)
