"""Messages coming in through channels: issues, replies and ratings; the quarantine (R4).

The core does for every channel what a channel should not have to get right by itself:

- each message is recorded once per (channel, message id) before it is handled, so the same
  message fetched twice is one issue or one reply, and one whose handling was cut short is
  handled again on the next poll;
- the sender is mapped to a registered enterprise contact (or an official) from the address
  book; a reply or a rating must come from the issue's own enterprise;
- a rating is matched to exactly the issue and resolution round its invitation was sent for;
- whatever cannot be parsed, mapped or applied goes to the quarantine with the reason and the
  raw message, never dropped: ``quarantine list``, ``quarantine retry ID`` once the cause is
  fixed (the sender registered, say), or ``quarantine dismiss ID``.

New issues from one poll are filed together through the bulk intake.
"""

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import select

from serviceframe.app import App
from serviceframe.channels import Answer, Channel, NewIssue, RawMessage, Recipient, Reply
from serviceframe.domain.addresses import normalise
from serviceframe.domain.credit_code import normalise_credit_code
from serviceframe.domain.issue import IssueEvent, Satisfaction, parse_enum
from serviceframe.domain.notices import rating_in
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import NotFound, ServiceFrameError, ValidationError
from serviceframe.serialise import converter
from serviceframe.services import addresses
from serviceframe.services.channels import Configured, find, open_channel
from serviceframe.services.events import issue_event_row
from serviceframe.store import tables as t

MAX_ID = 200


@frozen
class Handled:
    message_id: str
    inbound_id: int
    outcome: str  # filed, replied, rated, quarantined, duplicate
    issue_id: int | None = None
    reason: str = ""


@frozen
class InboundReport:
    channel: str
    handled: tuple[Handled, ...] = ()

    def count(self, outcome: str) -> int:
        return sum(1 for h in self.handled if h.outcome == outcome)


def poll(app: App, name: str, actor: str | None = None) -> InboundReport:
    """Fetch what the channel has waiting and handle each message."""
    with app.uow() as uow:
        channel = find(app, uow, name, fresh=True)
    if not channel.inbound:
        raise ServiceFrameError(f"channel {name!r} ({channel.config.kind}) brings no messages in")
    opened = open_channel(app, channel)
    try:
        try:
            raws = list(opened.poll())
        except ServiceFrameError:
            raise
        except Exception as exc:
            raise ServiceFrameError(
                f"channel {name!r}: plugin {channel.plugin!r} failed to fetch messages: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        return _handle(app, channel, opened, raws, actor)
    finally:
        opened.close()


def receive(
    app: App, name: str, raws: Sequence[RawMessage], actor: str | None = None
) -> InboundReport:
    """Handle messages a channel was handed (a web endpoint an SMS provider calls, say)."""
    with app.uow() as uow:
        channel = find(app, uow, name, fresh=True)
    opened = open_channel(app, channel)
    try:
        return _handle(app, channel, opened, raws, actor)
    finally:
        opened.close()


def message_id(raw: RawMessage) -> str:
    """The id the message is recorded under: the channel's, or a digest of an overlong or
    missing one (the digest of the same bytes is the same)."""
    value = raw.id.strip()
    if not value:
        return "sha256:" + hashlib.sha256(raw.payload).hexdigest()
    if len(value) > MAX_ID:
        return "sha256:" + hashlib.sha256(value.encode()).hexdigest()
    return value


@frozen
class _Work:
    """One message being handled."""

    raw: RawMessage
    id: str
    row: dict[str, Any]


def _handle(
    app: App,
    channel: Configured,
    opened: Channel,
    raws: Sequence[RawMessage],
    actor: str | None,
    again: frozenset[int] = frozenset(),
) -> InboundReport:
    now = app.now()
    ids = [message_id(r) for r in raws]
    with app.uow() as uow:
        rows = uow.inbound.begin(
            channel.name,
            [
                {
                    "message_id": mid,
                    "received_at": _when(raw.received_at, now),
                    "payload": raw.payload,
                    "meta": {k: str(v) for k, v in raw.meta.items()},
                }
                for raw, mid in zip(raws, ids, strict=True)
            ],
            now,
        )
        uow.commit()
    handled: list[Handled] = []
    work: list[_Work] = []
    taken: set[str] = set()
    for raw, mid in zip(raws, ids, strict=True):
        row = rows[mid]
        if mid in taken or (row["status"] != "received" and row["id"] not in again):
            handled.append(Handled(mid, row["id"], "duplicate", row["issue_id"]))
            continue
        taken.add(mid)
        work.append(_Work(raw, mid, row))
    outcomes = _apply(app, channel, opened, work, actor or f"channel:{channel.name}")
    with app.uow() as uow:
        uow.inbound.finish(list(outcomes.values()), app.now())
        uow.commit()
    for w in work:
        o = outcomes[w.row["id"]]
        handled.append(
            Handled(w.id, w.row["id"], o["status"], o.get("issue_id"), o.get("reason", ""))
        )
    for raw in raws:  # each is stored for good now: the channel may mark it at the source
        try:
            opened.done(raw)
        except Exception as exc:  # harmless: the next poll fetches it again, finds it recorded
            app.plugins.failures.append(
                _failure(channel, "done", f"{raw.id}: {type(exc).__name__}: {exc}")
            )
    return InboundReport(channel.name, tuple(handled))


def _failure(channel: Configured, step: str, detail: str) -> Any:
    from serviceframe.plugins.manager import PluginFailure

    return PluginFailure(channel.plugin or channel.config.kind, f"channel.{step}", detail)


def _when(moment: datetime | None, now: datetime) -> datetime:
    """A time of receipt the store can keep: aware (Beijing time if the channel gave none),
    never in the future (a sender's clock can be wrong)."""
    if moment is None:
        return now
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return min(moment, now)


def _apply(
    app: App, channel: Configured, opened: Channel, work: Sequence[_Work], actor: str
) -> dict[int, dict[str, Any]]:
    """Parse, map and apply each message; returns the outcome per inbound row id."""
    outcomes: dict[int, dict[str, Any]] = {}
    parsed: list[tuple[_Work, Any]] = []
    for w in work:
        base = {"id": w.row["id"], "payload": w.raw.payload}
        try:
            message = opened.parse(w.raw)
        except Exception as exc:
            outcomes[w.row["id"]] = {
                **base,
                "status": "quarantined",
                "reason": f"无法解析 cannot parse: {type(exc).__name__}: {exc}",
            }
            continue
        if not isinstance(message, NewIssue | Reply | Answer):
            outcomes[w.row["id"]] = {
                **base,
                "status": "quarantined",
                "reason": f"plugin {channel.plugin!r} parsed it as {message!r}",
            }
            continue
        outcomes[w.row["id"]] = {
            **base,
            "sender": message.sender,
            "attachments": [converter.unstructure(a) for a in getattr(message, "attachments", ())],
        }
        parsed.append((w, message))
    news = [(w, m) for w, m in parsed if isinstance(m, NewIssue)]
    if news:
        _file_new(app, channel, news, outcomes, actor)
    for w, m in parsed:
        if isinstance(m, Reply | Answer):
            outcomes[w.row["id"]] |= _answer_or_reply(app, channel, w, m)
    return outcomes


def _quarantine(reason: str) -> dict[str, Any]:
    return {"status": "quarantined", "reason": reason}


# --- new issues -------------------------------------------------------------------------------


def _file_new(
    app: App,
    channel: Configured,
    news: Sequence[tuple[_Work, NewIssue]],
    outcomes: dict[int, dict[str, Any]],
    actor: str,
) -> None:
    from serviceframe.services.issues import IssueDraft, file_issues

    now = app.now()
    with app.uow() as uow:
        enterprises = _enterprises_of(app, uow, channel, [m for _, m in news])
    drafts: list[IssueDraft] = []
    positions: list[_Work] = []
    for (w, m), found in zip(news, enterprises, strict=True):
        if isinstance(found, str) and found.startswith("!"):
            outcomes[w.row["id"]] |= _quarantine(found[1:])
            continue
        drafts.append(
            IssueDraft(
                enterprise=found,
                source=channel.source,
                title=m.title,
                body=m.body,
                external_id=w.id,
                category=m.category,
                received_at=_when(m.received_at or w.raw.received_at, now),
                origin=f"message:{w.row['id']}",
            )
        )
        positions.append(w)
    if not drafts:
        return
    report = file_issues(app, drafts, actor=actor)
    failed = {e.index: e for e in report.errors}
    with app.uow() as uow:
        ids = uow.issues.by_external_ids({(channel.source, w.id) for w in positions})
    for index, w in enumerate(positions):
        if index in failed:
            e = failed[index]
            outcomes[w.row["id"]] |= _quarantine(f"{e.field}={e.value!r}: {e.reason}")
        else:
            outcomes[w.row["id"]] |= {"status": "filed", "issue_id": ids[(channel.source, w.id)]}


def _enterprises_of(
    app: App, uow: Any, channel: Configured, messages: Sequence[NewIssue]
) -> list[str]:
    """The credit code each message is about; ``"!reason"`` for one that cannot be mapped."""
    named = {m.enterprise.strip() for m in messages if m.enterprise and m.enterprise.strip()}
    codes: dict[str, list[str]] = {}
    if named:
        e = t.enterprises.c
        for code, name in uow.connection.execute(
            select(e.credit_code, e.name).where(e.name.in_(sorted(named)))
        ):
            codes.setdefault(name, []).append(code)
    senders = _senders(app, uow, channel, [m.sender for m in messages if not m.enterprise])
    found: list[str] = []
    for m in messages:
        if m.enterprise and m.enterprise.strip():
            found.append(_named(m.enterprise.strip(), codes))
            continue
        if not m.sender.strip():
            found.append("!未指明企业 the message names no enterprise and has no sender address")
            continue
        people = senders.get(m.sender, [])
        firms = sorted({p.enterprise for p in people if p.enterprise})
        if len(firms) == 1:
            found.append(firms[0])
        elif firms:
            found.append(
                f"!发件人对应多家企业 the sender {m.sender} is a contact of several enterprises: "
                f"{', '.join(firms)}; file it by hand"
            )
        elif people:
            found.append(
                f"!发件人是工作人员 the sender {m.sender} is {people[0].name} ({people[0].id}), "
                "not an enterprise contact; file it for the enterprise by hand"
            )
        else:
            found.append(
                f"!未登记的发件人 unknown sender {m.sender!r}: no enterprise contact has this "
                "address; register it in the enterprise registry, then `quarantine retry`"
            )
    return found


def _named(value: str, codes: dict[str, list[str]]) -> str:
    try:
        return normalise_credit_code(value, "enterprise")
    except ValidationError:
        pass
    matches = codes.get(value, [])
    if len(matches) == 1:
        return matches[0]
    if matches:
        return f"!多家企业同名 several enterprises are named {value!r}: {', '.join(matches)}"
    return f"!企业不在名录中 no enterprise {value!r} in the registry (credit code or exact name)"


def _senders(
    app: App, uow: Any, channel: Configured, values: Iterable[str]
) -> dict[str, list[Recipient]]:
    """Who sent each address, trying the channel's address kinds in order."""
    kinds = [k for k in channel.address if k != "*"] or ["email", "phone"]
    found: dict[str, list[Recipient]] = {}
    left = {v for v in values if v}
    for kind in kinds:
        if not left:
            break
        for value, people in addresses.senders(app, uow, kind, left).items():
            if people:
                found[value] = people
        left -= set(found)
    return found


# --- replies and ratings ------------------------------------------------------------------


def _answer_or_reply(app: App, channel: Configured, w: _Work, m: Reply | Answer) -> dict[str, Any]:
    with app.uow() as uow:
        target = _target(app, uow, channel, m)
        if isinstance(target, str):
            return _quarantine(target)
        issue_id, round_ = target
        issue = uow.issues.get(issue_id)
        if issue is None:
            return _quarantine(f"问题不存在 no issue {issue_id}")
        people = _senders(app, uow, channel, [m.sender]).get(m.sender, [])
    if not any(p.enterprise == issue.enterprise for p in people) and not (
        isinstance(m, Reply) and any(p.kind == "official" for p in people)
    ):
        return _quarantine(
            f"发件人不是该企业联系人 {m.sender!r} is not a registered contact of "
            f"{issue.enterprise}, whose issue {issue_id} this is about"
        )
    actor = f"{channel.name}:{m.sender}"[:100]
    rating: tuple[str, str] | None = None
    if isinstance(m, Answer):  # "2", "基本满意" or "basic"
        said = rating_in(m.satisfaction)
        rating = (said[0] if said else m.satisfaction, m.comment)
    elif round_ is not None:  # a reply to a satisfaction invitation: a rating if it starts with one
        rating = rating_in(m.body)
    if rating is not None:
        if round_ is None:
            round_ = issue.round
        return _rate(app, issue, round_, rating, actor)
    assert isinstance(m, Reply)
    return _reply(app, issue.id, m, w.row["id"], people, actor)


def _target(
    app: App, uow: Any, channel: Configured, m: Reply | Answer
) -> tuple[int, int | None] | str:
    """The issue (and, for an invitation, the round) a message is about, or why not known."""
    if m.in_reply_to:
        sent = uow.outbox.by_key(m.in_reply_to) or _by_code(uow, channel, m)
        if sent is None or sent["issue_id"] is None:
            return f"回复的通知不存在 a reply to notification {m.in_reply_to!r}, which is not ours"
        return int(sent["issue_id"]), sent["round"]
    if m.issue_id is not None:
        return m.issue_id, getattr(m, "round", None)
    if isinstance(m, Reply):
        return "回复未指明问题 a reply that names no issue"
    open_ = _open_invitations(uow, channel, m.sender)
    if len(open_) == 1:
        return int(open_[0]["issue_id"]), open_[0]["round"]
    if not open_:
        return f"没有待评价的邀请 no open satisfaction invitation was sent to {m.sender!r}"
    return (
        f"多个待评价的邀请 {len(open_)} open invitations were sent to {m.sender!r} (issues "
        f"{', '.join(str(o['issue_id']) for o in open_)}): which one this rates is not known"
    )


def _by_code(uow: Any, channel: Configured, m: Reply | Answer) -> dict[str, Any] | None:
    """A notification named by the start of its delivery key (a reply code in an SMS, at least
    4 characters), among those this channel sent to the sender: one, or none."""
    code = (m.in_reply_to or "").strip().lower()
    if not 4 <= len(code) < 32:
        return None
    kinds = [k for k in channel.address if k != "*"] or ["email", "phone"]
    sent = uow.outbox.sent_to(channel.name, {normalise(k, m.sender) for k in kinds})
    found = [row for row in sent if row["key"].startswith(code)]
    return found[0] if len(found) == 1 else None


def _open_invitations(uow: Any, channel: Configured, sender: str) -> list[dict[str, Any]]:
    kinds = [k for k in channel.address if k != "*"] or ["email", "phone"]
    seen: dict[tuple[int, int], dict[str, Any]] = {}
    for kind in kinds:
        for row in uow.outbox.invitations(channel.name, normalise(kind, sender)):
            seen.setdefault((row["issue_id"], row["round"]), row)
    return list(seen.values())


def _rate(app: App, issue: Any, round_: int, rating: tuple[str, str], actor: str) -> dict[str, Any]:
    from serviceframe.services.issues import rate

    if issue.round != round_ or issue.status.value != "resolved":
        return _quarantine(
            f"邀请已失效 the invitation for round {round_} of issue {issue.id} is no longer open "
            f"(the issue is {issue.status.value}, round {issue.round})"
        )
    try:
        value = parse_enum(Satisfaction, "satisfaction", rating[0])
        rate(app, issue.id, value, rating[1], enterprise=issue.enterprise, actor=actor)
    except ServiceFrameError as exc:
        return _quarantine(str(exc))
    return {"status": "rated", "issue_id": issue.id}


def _reply(
    app: App, issue_id: int, m: Reply, inbound_id: int, people: list[Recipient], actor: str
) -> dict[str, Any]:
    from serviceframe.domain.issue import check_transition

    now = app.now()
    with app.uow() as uow:
        issue = uow.issues.get(issue_id, for_update=True)
        assert issue is not None
        try:
            check_transition(issue, "replied")
        except ServiceFrameError as exc:
            return _quarantine(f"{exc}; a new problem is filed as a new message")
        if not m.body.strip():
            return _quarantine("回复为空 the reply has no text")
        who = people[0] if people else None
        event = IssueEvent(
            "replied",
            now,
            actor,
            {
                "message": inbound_id,
                "from": who.name if who else m.sender,
                "body": m.body.strip()[:20_000],
            },
        )
        uow.record([issue_event_row(issue_id, event)])
        uow.commit()
    app.publish_issue_events([(issue, event)])
    return {"status": "replied", "issue_id": issue_id}


# --- the quarantine ---------------------------------------------------------------------------


def quarantined(app: App, limit: int | None = 200) -> list[dict[str, Any]]:
    """Messages waiting for a person, newest first (without their raw bytes)."""
    with app.uow() as uow:
        rows = uow.inbound.find("quarantined", limit=limit)
    return [_public(r) for r in rows]


def _public(row: dict[str, Any]) -> dict[str, Any]:
    payload = row.pop("payload", None)
    return {**row, "size": len(payload) if payload else 0}


def _quarantined(uow: Any, inbound_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = uow.inbound.get(inbound_id)
    if row is None:
        raise NotFound("quarantined message", inbound_id)
    if row["status"] != "quarantined":
        raise ServiceFrameError(f"message {inbound_id} is {row['status']}, not quarantined")
    return row


def retry_quarantined(app: App, inbound_id: int, actor: str | None = None) -> Handled:
    """Handle a quarantined message again (after its sender was registered, say)."""
    with app.uow() as uow:
        row = _quarantined(uow, inbound_id)
        channel = find(app, uow, row["channel"], fresh=True)
    raw = RawMessage(row["message_id"], row["payload"] or b"", row["received_at"], row["meta"])
    opened = open_channel(app, channel)
    try:
        report = _handle(app, channel, opened, [raw], actor, again=frozenset({inbound_id}))
    finally:
        opened.close()
    return report.handled[0]


def dismiss(app: App, inbound_id: int, reason: str, actor: str | None = None) -> dict[str, Any]:
    """Take a message out of the quarantine for good (spam, an automatic reply), with why."""
    actor = actor or app.settings.actor
    if not reason.strip():
        raise ValidationError("reason", reason, "say why the message is dismissed")
    with app.uow() as uow:
        _quarantined(uow, inbound_id)
        uow.inbound.dismiss(inbound_id, f"{reason.strip()} ({actor})"[:1000], app.now())
        uow.commit()
        found = uow.inbound.get(inbound_id)
    assert found is not None
    return _public(found)
