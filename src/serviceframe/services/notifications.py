"""Notifications, decided in one place: from the events a unit of work recorded, written to the
outbox in the same transaction, just before it commits (R3, R7, R9).

Service functions never send anything: they record events. When the unit of work commits,
:func:`write_notifications` looks at what it recorded, applies the rules of
:mod:`serviceframe.domain.notices` (as the county changed them), resolves the recipients and
their addresses, picks a channel for each, fills in the templates, and adds the rows to the
outbox with one insert. The change and its notifications commit together or not at all.
With no outbound channel configured, or no rule for the events recorded, it costs nothing.
"""

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import select

from serviceframe.app import App
from serviceframe.channels import Outgoing, Recipient
from serviceframe.domain.addresses import normalise
from serviceframe.domain.notices import (
    DEADLINE_LABELS,
    NotificationRule,
    Rule,
    effective_rules,
    notices_for,
    placeholders_in,
    render,
)
from serviceframe.domain.organisation import Organisation
from serviceframe.errors import ServiceFrameError
from serviceframe.serialise import converter
from serviceframe.services import addresses
from serviceframe.services.channels import Configured, configured, placeholders
from serviceframe.services.configured import organisation_of
from serviceframe.store import tables as t

ROLE_LABELS = {"lead": "主办", "co": "协办"}
# Events that are not about an issue but call for messages: an early warning raised
# (services/early_warning.py) and a policy added to the catalogue (services/policy_push.py).
_OTHER_EVENTS = frozenset({"warning_raised", "policy_added"})


@frozen
class Plan:
    rules: dict[str, Rule]  # the notice kinds that are on
    events: frozenset[str]  # the event kinds any of them follows
    channels: tuple[Configured, ...]  # the outbound channels, in file order


def plan(app: App, uow: Any) -> Plan | None:
    """The rules in force, built once per app (``org load`` clears it); None when no
    outbound channel is configured: then nothing is written, and nothing is read."""

    def build() -> Plan | None:
        channels = tuple(c for c in configured(app, uow) if c.outbound)
        if not channels:
            return None
        changes = converter.structure(
            uow.org.setting("notifications") or {}, dict[str, NotificationRule]
        )
        rules = {
            name: rule
            for name, rule in effective_rules(changes, _plugin_names(app)).items()
            if rule.enabled
        }
        return Plan(rules, frozenset(e for r in rules.values() for e in r.kind.events), channels)

    result: Plan | None = app.cached("notification_plan", build)
    return result


def _plugin_names(app: App) -> dict[str, frozenset[str]]:
    from serviceframe.services.channels import plugin_placeholders_by_kind

    try:
        return plugin_placeholders_by_kind(app)
    except ServiceFrameError:  # two plugins claim a name: their templates fail, not the change
        return {}


def write_notifications(app: App, uow: Any) -> None:
    """Add the notifications the recorded events call for to the outbox (inside ``uow``)."""
    rules = plan(app, uow)
    if rules is None:
        return
    if any(row["kind"] in _OTHER_EVENTS for row in uow.recorded):
        from serviceframe.services import early_warning, policy_push

        others = early_warning.notices(app, uow, rules, uow.recorded)
        others += policy_push.notices(app, uow, rules, uow.recorded)
        if others:
            uow.outbox.add(others)
    wanted = [
        (row, notice)
        for row in uow.recorded
        if row["kind"] in rules.events and row["subject"].startswith("issue:")
        for notice in notices_for(row["kind"], row["data"])
        if notice in rules.rules
    ]
    if wanted:
        uow.outbox.add(_compose(app, uow, rules, wanted))


@frozen
class _Context:
    """What the templates and the audiences need to know about one issue."""

    issue_id: int
    title: str
    enterprise: Any  # the Enterprise
    lead_unit: str | None
    co_units: tuple[str, ...]
    round: int


def _compose(
    app: App, uow: Any, rules: Plan, wanted: Sequence[tuple[dict[str, Any], str]]
) -> list[dict[str, Any]]:
    org = organisation_of(app, uow)
    now = app.now()
    issues = _contexts(uow, {int(row["subject"].split(":", 1)[1]) for row, _ in wanted})
    audiences = {a for _, notice in wanted for a in rules.rules[notice].to}
    liaisons = (
        addresses.current_liaisons(uow, {c.enterprise.credit_code for c in issues.values()})
        if audiences & {"lead_unit", "co_units", "handling_units", "overdue_unit"}
        else {}
    )
    leaders = _leaders(uow, issues) if "leader" in audiences else {}
    rows: list[dict[str, Any]] = []
    seen: set[tuple[object, ...]] = set()
    clusters: dict[int, int] = {}  # cluster -> members that joined in this unit of work
    for row, notice in wanted:
        if notice == "cluster":
            clusters[row["data"]["cluster"]] = clusters.get(row["data"]["cluster"], 0) + 1
    for row, notice in wanted:
        issue = issues.get(int(row["subject"].split(":", 1)[1]))
        if issue is None:
            continue
        rule = rules.rules[notice]
        data = row["data"]
        about: object = ("cluster", data["cluster"]) if notice == "cluster" else issue.issue_id
        for recipient, extra in _recipients(org, rule, issue, data, liaisons, leaders):
            key = (notice, about, recipient.kind, recipient.id)
            if key in seen:
                continue
            seen.add(key)
            values = _values(org, notice, issue, data, recipient, extra, clusters)
            rows.append(_row(app, org, rules, rule, row, issue, recipient, values, now))
    return rows


def _contexts(uow: Any, ids: set[int]) -> dict[int, _Context]:
    found = {}
    issues = uow.issues.get_many(ids)
    enterprises = uow.enterprises.get_many({i.enterprise for i in issues})
    for i in issues:
        enterprise = enterprises.get(i.enterprise)
        if enterprise is not None:
            found[i.id] = _Context(i.id, i.title, enterprise, i.lead_unit, i.co_units, i.round)
    return found


def _leaders(uow: Any, issues: Mapping[int, _Context]) -> dict[int, str | None]:
    r = t.issue_routing.c
    rows = uow.connection.execute(
        select(r.issue_id, r.official).where(r.issue_id.in_(sorted(issues)))
    )
    return {row.issue_id: row.official for row in rows}


def _recipients(
    org: Organisation,
    rule: Rule,
    issue: _Context,
    data: Mapping[str, Any],
    liaisons: Mapping[tuple[str, str], str],
    leaders: Mapping[int, str | None],
) -> list[tuple[Recipient, dict[str, str]]]:
    """Everyone the rule's audiences name for this event, with what is particular to each
    (``role`` for a handling unit). An audience that names nobody who can be told (an
    enterprise without contact people) gives a recipient without addresses: the outbox then
    shows the notification failed for that reason, rather than leaving it out unseen."""
    code = issue.enterprise.credit_code
    lead = data.get("lead") or issue.lead_unit
    co = tuple(data.get("co") or issue.co_units)
    units: list[tuple[str, str]] = []
    found: list[tuple[Recipient, dict[str, str]]] = []
    for audience in rule.to:
        if audience == "enterprise":
            contacts = addresses.of_contacts(issue.enterprise)
            found += [(c, {}) for c in contacts] or [
                (
                    Recipient(
                        "contact", f"{code}#0", issue.enterprise.name, issue.enterprise.jurisdiction
                    ),
                    {"problem": "企业未登记联系人 the enterprise has no contact person"},
                )
            ]
        elif audience in ("lead_unit", "co_units", "handling_units"):
            if audience != "co_units" and lead:
                units.append((lead, "lead"))
            if audience != "lead_unit":
                units += [(u, "co") for u in co]
        elif audience == "overdue_unit" and data.get("overdue_unit"):
            units.append((data["overdue_unit"], "overdue"))
        elif audience == "leader":
            official = (data.get("to") or {}).get("official") or data.get("official")
            if official is None and "to" not in data:
                official = leaders.get(issue.issue_id)
            person = next((o for o in org.officials if o.id == official), None)
            if person is not None:
                found.append((addresses.of_official(person), {}))
        elif audience == "office":
            group = org.running_group(issue.enterprise.jurisdiction)
            unit = next((u for u in org.units if group and u.id == group.office), None)
            if unit is not None:
                found.append((addresses.of_unit(unit), {}))
    for unit_id, role in units:
        receiver = addresses.for_unit(org, unit_id, code, liaisons)
        if receiver is not None:
            found.append((receiver, {"role": ROLE_LABELS.get(role, ""), "unit_id": unit_id}))
    return found


def _values(
    org: Organisation,
    notice: str,
    issue: _Context,
    data: Mapping[str, Any],
    recipient: Recipient,
    extra: Mapping[str, str],
    clusters: Mapping[int, int],
) -> dict[str, object]:
    units = {u.id: u.name for u in org.units}
    people = {o.id: f"{o.name}{o.title}" for o in org.officials}
    # The office that runs the recipient's place signs: the city's for city departments,
    # the county's for a county enterprise.
    group = org.running_group(recipient.jurisdiction)
    values: dict[str, object] = {
        "recipient": recipient.name,
        "office": units.get(group.office, "") if group else "",
        "issue_id": issue.issue_id,
        "title": issue.title,
        "enterprise": issue.enterprise.name,
        "enterprise_code": issue.enterprise.credit_code,
        "round": data.get("round", issue.round) if notice == "resolved" else issue.round,
        **{k: v for k, v in extra.items() if k in ("role", "problem")},
    }
    if notice == "dispatched":
        values |= {
            "lead_unit": units.get(data.get("lead", ""), data.get("lead", "")),
            **{name: _due(data.get(name)) for name in ("ack_due", "feedback_due", "resolve_due")},
        }
    elif notice == "acknowledged":
        values["unit"] = units.get(data.get("unit", ""), data.get("unit", ""))
    elif notice == "resolved":
        values["resolution"] = data.get("note", "")
    elif notice == "redo":
        values |= {
            "comment": data.get("comment") or "无",
            "resolve_due": _due(data.get("redo_due")),
        }
    elif notice == "replied":
        values["reply"] = data.get("body", "")
    elif notice == "supervised":
        to = data.get("to") or {}
        values |= {
            "deadline": DEADLINE_LABELS.get(data.get("deadline", ""), data.get("deadline", "")),
            "due": data.get("due", ""),
            "overdue_unit": units.get(data.get("overdue_unit") or "", "承办单位"),
            "leader": people.get(to.get("official") or "", "上级领导"),
        }
    elif notice == "instructed":
        values |= {
            "leader": people.get(data.get("official") or "", "领导"),
            "instruction": data.get("instruction", ""),
        }
    elif notice == "cluster":
        values |= {
            "topic": data.get("topic", ""),
            "cluster_id": data.get("cluster", ""),
            "members": clusters.get(data.get("cluster", 0), 1),
            "leader": people.get(data.get("official") or "", ""),
        }
    return values


def _due(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("on", ""))
    return "" if value is None else str(value)


def choose_channel(
    org: Organisation, channels: Sequence[Configured], preferred: Sequence[str], who: Recipient
) -> tuple[Configured, str] | None:
    """The first channel that serves the recipient's place and has an address for them.

    With ``preferred`` names (the rule's ``channels``), in that order; otherwise the channels
    nearest the recipient first (their own county's, then the city's…), in file order."""
    places = (who.jurisdiction, *org.ancestors(who.jurisdiction))
    if preferred:
        candidates = [c for name in preferred for c in channels if c.name == name]
    else:
        candidates = sorted(
            channels, key=lambda c: places.index(c.jurisdiction) if c.jurisdiction in places else 99
        )
    for channel in candidates:
        if channel.jurisdiction not in places:
            continue
        for kind in channel.address:
            if kind == "*":
                return channel, who.addresses.get("email") or who.addresses.get("phone") or who.id
            if who.addresses.get(kind):
                # Phones and e-mail addresses in normal form: a reply from the same address,
                # however written, is matched to what was sent (satisfaction invitations).
                return channel, normalise(kind, who.addresses[kind])
    return None


def _row(
    app: App,
    org: Organisation,
    plan_: Plan,
    rule: Rule,
    event: Mapping[str, Any],
    issue: _Context,
    recipient: Recipient,
    values: dict[str, object],
    now: datetime,
) -> dict[str, Any]:
    notice = rule.kind.name
    key = uuid.uuid4().hex
    choice = (
        None
        if "problem" in values
        else choose_channel(org, plan_.channels, rule.channels, recipient)
    )
    channel, address = choice or (None, "")
    problem = str(values.pop("problem", ""))
    if not problem and channel is None:
        problem = _unreachable(plan_, rule, recipient)
    round_ = issue.round if rule.kind.invitation else None
    if notice == "resolved":
        round_ = int(event["data"].get("round", issue.round))
    subject = body = ""
    if not problem and channel is not None:
        outgoing = Outgoing(
            0, key, channel.name, notice, recipient, address, "", "", issue.issue_id, round_
        )
        try:
            values |= _plugin_values(app, rule, outgoing)
            subject, body = render(rule.subject, values), render(rule.body, values)
        except _PlaceholderFailed as exc:
            problem = str(exc)
        except KeyError as exc:
            problem = f"模板占位符 {{{exc.args[0]}}} 无值 (nothing provides it)"
    return outbox_row(
        key,
        channel,
        address,
        notice,
        recipient,
        subject or f"({rule.kind.label})",
        body,
        issue.issue_id,
        round_,
        f"{event['subject']} {event['kind']}",
        problem,
        now,
    )


def outbox_row(
    key: str,
    channel: Configured | None,
    address: str,
    kind: str,
    recipient: Recipient,
    subject: str,
    body: str,
    issue_id: int | None,
    round_: int | None,
    cause: str,
    problem: str,
    now: datetime,
) -> dict[str, Any]:
    """One row of the outbox; with a ``problem`` it is failed at once, for a person to see."""
    return {
        "key": key,
        "channel": channel.name if channel else None,
        "kind": kind,
        "recipient_kind": recipient.kind,
        "recipient_id": recipient.id[:100],
        "recipient_name": recipient.name[:100],
        "jurisdiction": recipient.jurisdiction,
        "address": address[:300],
        "subject": subject[:300],
        "body": body,
        "issue_id": issue_id,
        "round": round_,
        "cause": cause[:100],
        "data": {"addresses": dict(recipient.addresses), "enterprise": recipient.enterprise},
        "status": "failed" if problem else "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "last_error": problem,
    }


def send_message(
    app: App,
    uow: Any,
    recipient: Recipient,
    subject: str,
    body: str,
    *,
    kind: str = "message",
    channels: Sequence[str] = (),
    issue_id: int | None = None,
    cause: str = "",
) -> dict[str, Any]:
    """Write one message for ``recipient`` to the outbox, inside the caller's unit of work so
    that it commits with the change it belongs to: a one-time sign-in code, an invitation to a
    matchmaking meeting. It goes through the first of ``channels`` (default: every outbound
    channel, nearest first) that reaches the recipient; delivered like every notification."""
    found = plan(app, uow)
    if found is None:
        raise ServiceFrameError("no outbound channel is configured in the organisation file")
    choice = choose_channel(organisation_of(app, uow), found.channels, channels, recipient)
    channel, address = choice or (None, "")
    problem = "" if channel is not None else _unreachable(found, None, recipient, channels)
    row = outbox_row(
        uuid.uuid4().hex,
        channel,
        address,
        kind,
        recipient,
        subject,
        body,
        issue_id,
        None,
        cause or kind,
        problem,
        app.now(),
    )
    uow.outbox.add([row])
    return row


def compose_message(
    org: Organisation,
    plan_: Plan,
    recipient: Recipient,
    subject: str,
    body: str,
    values: Mapping[str, object],
    *,
    kind: str,
    channels: Sequence[str],
    cause: str,
    now: datetime,
) -> dict[str, Any]:
    """An outbox row for a message that is not about an issue (a warning, a policy push):
    the templates filled with ``values`` and the recipient's ``recipient`` and ``office``,
    through the first of ``channels`` (default every outbound channel, nearest first) that
    reaches them; failed at once, saying why, when none does."""
    group = org.running_group(recipient.jurisdiction)
    office = next((u.name for u in org.units if group and u.id == group.office), "")
    filled = {"recipient": recipient.name, "office": office, **values}
    choice = choose_channel(org, plan_.channels, channels, recipient)
    channel, address = choice or (None, "")
    problem = "" if channel is not None else _unreachable(plan_, None, recipient, channels)
    try:
        subject, body = render(subject, filled), render(body, filled)
    except KeyError as exc:
        problem = problem or f"模板占位符 {{{exc.args[0]}}} 无值 (nothing provides it)"
    return outbox_row(
        uuid.uuid4().hex,
        channel,
        address,
        kind,
        recipient,
        subject,
        body,
        None,
        None,
        cause,
        problem,
        now,
    )


def _unreachable(
    plan_: Plan, rule: Rule | None, who: Recipient, preferred: Sequence[str] = ()
) -> str:
    names = (rule.channels if rule else preferred) or tuple(c.name for c in plan_.channels)
    kinds = sorted({k for c in plan_.channels if c.name in names for k in c.address} - {"*"}) or [
        "—"
    ]
    return (
        f"无可用渠道 no channel reaches {who.name} ({who.kind} {who.id}): "
        f"no {'/'.join(kinds)} address for channels {', '.join(names)} in {who.jurisdiction}"
    )


class _PlaceholderFailed(Exception):
    pass


def _plugin_values(app: App, rule: Rule, outgoing: Outgoing) -> dict[str, str]:
    used = set(placeholders_in(rule.subject)) | set(placeholders_in(rule.body))
    found: dict[str, str] = {}
    for name, (placeholder, plugin) in _safe_placeholders(app).items():
        if name not in used:
            continue
        try:
            found[name] = str(placeholder.value(outgoing))
        except Exception as exc:
            raise _PlaceholderFailed(
                f"placeholder {{{name}}} of plugin {plugin!r} raised {type(exc).__name__}: {exc}"
            ) from None
    return found


def _safe_placeholders(app: App) -> dict[str, Any]:
    try:
        return placeholders(app)
    except ServiceFrameError:
        return {}
