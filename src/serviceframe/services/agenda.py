"""The executive meeting's agenda (市政府常务会议): policy issues and widespread clusters that
need a collective decision. The office records each decision; it is written to every issue
the item stands for."""

from datetime import date
from typing import Any

from serviceframe.app import App
from serviceframe.domain.principal import Action
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import NotFound, ServiceFrameError, ValidationError
from serviceframe.services.configured import organisation_of
from serviceframe.services.routing import record_for_many
from serviceframe.services.trends import settle_issues


def _government(app: App, uow: Any, jurisdiction: str | None) -> str:
    """The government whose meetings are meant (code or name): by default the top one the
    principal reports on; a county office its own county's or those below, never another's."""
    return str(uow.principal.report_place(organisation_of(app, uow), jurisdiction))


def agenda(
    app: App, meeting: date | None = None, jurisdiction: str | None = None
) -> dict[str, Any]:
    """Items of a meeting (default: the next one of the top government), and those still
    waiting for a meeting to be scheduled. ``jurisdiction``: code or name."""
    with app.uow() as uow:
        uow.authorise(Action.READ)
        where = _government(app, uow, jurisdiction)
        today = app.now().astimezone(SHANGHAI).date()
        chosen: dict[str, Any] | None
        if meeting is not None:
            found = [m for m in uow.routing.meetings(where) if m["date"] == meeting]
            if not found:
                raise ValidationError(
                    "meeting", meeting.isoformat(), f"no executive meeting of {where} on that date"
                )
            chosen = found[0]
        else:
            chosen = uow.routing.next_meeting(where, today)
        items = uow.routing.items(where, chosen, today)
        return {"jurisdiction": where, "meeting": chosen, "items": items}


def schedule_meeting(
    app: App, on: date, jurisdiction: str | None = None, name: str = ""
) -> dict[str, Any]:
    """Add an executive meeting; items waiting for 'the next meeting' are put on it."""
    with app.uow() as uow:
        uow.authorise(Action.MANAGE)
        where = _government(app, uow, jurisdiction)
        uow.routing.save_meetings([{"jurisdiction": where, "date": on, "name": name}])
        meeting = uow.routing.next_meeting(where, on)
        assert meeting is not None
        today = app.now().astimezone(SHANGHAI).date()
        upcoming = uow.routing.next_meeting(where, today)
        if upcoming is not None:
            uow.routing.attach_pending(where, upcoming["id"])
        uow.commit()
        return meeting


def decide(
    app: App, item_id: int, decision: str, settle: bool = False, actor: str | None = None
) -> dict[str, Any]:
    """Record the meeting's decision on an item and write it to every linked issue; with
    ``settle`` the decision also resolves the open linked issues (they then await ratings)."""
    actor = actor or app.settings.actor
    if not decision.strip():
        raise ValidationError("decision", decision, "must not be empty")
    now = app.now()
    with app.uow() as uow:
        uow.authorise(Action.MANAGE)
        item = uow.routing.item(item_id)
        if item is None:
            raise NotFound("agenda item", item_id)
        _government(app, uow, item["jurisdiction"])  # another county's meeting: Forbidden
        if item["status"] == "decided":
            raise ServiceFrameError(
                f"agenda item {item_id} was decided already: {item['decision']}"
            )
        ids = [item["issue_id"]] if item["issue_id"] else uow.routing.members(item["cluster_id"])
        data = {"agenda_item": item_id, "decision": decision.strip()}
        event = record_for_many(uow, ids, "decided", data, now, actor)
        settled = (
            settle_issues(uow, ids, decision.strip(), now, actor, {"agenda_item": item_id})
            if settle
            else []
        )
        uow.routing.decide(item_id, decision.strip(), now, actor)
        if item["cluster_id"] and settle:
            uow.routing.resolve_cluster(item["cluster_id"], decision.strip(), now)
        result = uow.routing.item(item_id)
        issues = {i.id: i for i in uow.issues.get_many(ids)}
        uow.commit()
    app.publish_issue_events([(issues[i], event) for i in ids] + settled)
    return {**result, "issues": ids, "settled": [i.id for i, _ in settled]}  # type: ignore[dict-item]
