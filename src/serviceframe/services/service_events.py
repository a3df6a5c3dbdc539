"""Service events (服务活动): bank–enterprise matchmaking meetings (银企对接), policy
briefings and training (categories 3 and 8).

An event is added with its date and organisers; enterprises are invited by a filter, each
invitation written to the outbox in the transaction that records it; attendance and outcomes
(for matchmaking: the loans intended and signed, in 万元) are recorded per enterprise; a
follow-up item raised there becomes an issue (source ``event``, origin ``event:<id>``). Every
change is an event of ``service_event:<id>``.
"""

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from attrs import frozen
from sqlalchemy import func, select, update

from serviceframe.app import App
from serviceframe.channels import Recipient
from serviceframe.domain.credit_code import normalise_credit_code
from serviceframe.domain.enterprise import Enterprise, KeyLevel
from serviceframe.domain.issue import parse_enum
from serviceframe.domain.principal import Action
from serviceframe.domain.service_event import (
    EventKind,
    Participant,
    ServiceEvent,
    parse_event_kind,
)
from serviceframe.errors import NotFound, ValidationError, shown
from serviceframe.services import addresses
from serviceframe.services.configured import organisation_of
from serviceframe.services.events import event_row
from serviceframe.store import tables as t

MAX_TITLE = 200


@frozen
class Invitees:
    """Which enterprises to invite: all conditions hold; empty means every enterprise."""

    jurisdiction: str | None = None  # code or name; the places below it too
    key: str | None = None  # at least this key level: county, city, province
    industry: str | None = None  # an industry code or its start: C32 takes C3216 and C3252
    enterprises: tuple[str, ...] = ()  # these credit codes only


@frozen
class Invited:
    event: int
    invited: tuple[str, ...]  # newly invited enterprises
    already: int  # invited before
    notifications: int  # outbox rows written (one per contact person)
    unreachable: int  # of them, failed at once: no contact person or no channel reaches them


def _subject(event_id: int) -> str:
    return f"service_event:{event_id}"


def add_event(
    app: App,
    kind: object,
    title: str,
    day: date | str,
    organisers: Sequence[str],
    jurisdiction: str | None = None,
    place: str = "",
    actor: str | None = None,
) -> ServiceEvent:
    """Add a matchmaking meeting, briefing or training; organisers are unit ids."""
    actor = actor or app.settings.actor
    now = app.now()
    parsed = parse_event_kind(kind)
    title = (title or "").strip()
    if not title or len(title) > MAX_TITLE:
        raise ValidationError("title", shown(title), f"1 to {MAX_TITLE} characters")
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day.strip())
        except ValueError:
            raise ValidationError("date", day, "a date such as 2026-11-18") from None
    if not organisers:
        raise ValidationError("organisers", "", "name at least one organising unit")
    with app.uow() as uow:
        uow.authorise(Action.MANAGE)
        org = organisation_of(app, uow)
        units = {u.id: u for u in org.units}
        for unit in organisers:
            if unit not in units:
                raise ValidationError("organisers", unit, "not a unit of the organisation")
        code = org.resolve(jurisdiction) if jurisdiction else units[organisers[0]].jurisdiction
        event_id = uow.connection.execute(
            t.service_events.insert()
            .values(
                kind=parsed.value,
                title=title,
                date=day,
                jurisdiction_code=code,
                place=place.strip(),
                organisers=list(dict.fromkeys(organisers)),
                created_at=now,
            )
            .returning(t.service_events.c.id)
        ).scalar_one()
        row = event_row(
            "service_event_added",
            _subject(event_id),
            actor,
            now,
            event_kind=parsed.value,
            title=title,
            date=day.isoformat(),
            jurisdiction=code,
            organisers=list(organisers),
        )
        uow.record([row])
        uow.commit()
    app.publish_registry([row])
    return get_event(app, event_id)


def invite(
    app: App, event_id: int, who: Invitees, channels: Sequence[str] = (), actor: str | None = None
) -> Invited:
    """Invite the enterprises ``who`` selects (those invited before are left alone): each
    contact person gets an invitation in the outbox, written with the invitation itself, so
    both commit or neither. With no outbound channel configured nothing is recorded."""
    from serviceframe.services.notifications import send_message

    actor = actor or app.settings.actor
    now = app.now()
    with app.uow() as uow:
        uow.authorise(Action.MANAGE)
        event = _read(uow, event_id)
        chosen = _select(app, uow, who)
        c = t.service_event_enterprises.c
        before = set(
            uow.connection.execute(select(c.enterprise_code).where(c.event_id == event_id))
            .scalars()
            .all()
        )
        fresh = [e for e in chosen if e.credit_code not in before]
        if fresh:
            uow.connection.execute(
                t.service_event_enterprises.insert(),
                [
                    {"event_id": event_id, "enterprise_code": e.credit_code, "invited_at": now}
                    for e in fresh
                ],
            )
        org = organisation_of(app, uow)
        units = {u.id: u.name for u in org.units}
        hosts = "、".join(units.get(u, u) for u in event.organisers)
        written = failed = 0
        for enterprise in fresh:
            for recipient in addresses.of_contacts(enterprise) or [_nobody(enterprise)]:
                row = send_message(
                    app,
                    uow,
                    recipient,
                    f"【邀请】{event.kind.label}:{event.title}",
                    f"{recipient.name}:您好!{hosts}定于{event.date:%Y年%m月%d日}"
                    + (f"在{event.place}" if event.place else "")
                    + f"举办{event.kind.label}“{event.title}”,诚邀{enterprise.name}参加。"
                    "请回复是否参加。",
                    kind="event_invitation",
                    channels=channels,
                    cause=f"{_subject(event_id)} invited",
                )
                written += 1
                failed += row["status"] == "failed"
        rows = [
            event_row(
                "service_event_invited",
                _subject(event_id),
                actor,
                now,
                enterprises=[e.credit_code for e in fresh],
                notifications=written,
            )
        ]
        uow.record(rows)
        uow.commit()
    app.publish_registry(rows)
    return Invited(
        event_id, tuple(e.credit_code for e in fresh), len(chosen) - len(fresh), written, failed
    )


def _nobody(enterprise: Enterprise) -> Recipient:
    """An enterprise without contact people: its invitation fails at once, for a person to
    see in the outbox, rather than being left out unseen."""
    return Recipient(
        "contact", f"{enterprise.credit_code}#0", enterprise.name, enterprise.jurisdiction
    )


def _select(app: App, uow: Any, who: Invitees) -> list[Enterprise]:
    org = organisation_of(app, uow)
    scope = org.descendants(org.resolve(who.jurisdiction)) if who.jurisdiction else None
    key = parse_enum(KeyLevel, "key", who.key) if who.key else None
    found = uow.enterprises.list(scope, key)
    if who.industry:
        found = [e for e in found if e.industry.startswith(who.industry.strip().upper())]
    if who.enterprises:
        codes = {normalise_credit_code(c, "enterprise") for c in who.enterprises}
        known = {e.credit_code for e in found}
        missing = sorted(codes - known)
        if missing:
            raise ValidationError(
                "enterprises", missing[0], "not a registered enterprise matching the filter"
            )
        found = [e for e in found if e.credit_code in codes]
    if not found:
        raise ValidationError("invitees", str(who), "no enterprise matches")
    return list(found)


def attend(
    app: App,
    event_id: int,
    enterprises: Iterable[str],
    attended: bool = True,
    actor: str | None = None,
) -> ServiceEvent:
    """Record that invited enterprises came (or, with ``attended=False``, did not)."""
    actor = actor or app.settings.actor
    codes = [normalise_credit_code(c, "enterprise") for c in enterprises]
    if not codes:
        raise ValidationError("enterprises", "", "name at least one enterprise")
    now = app.now()
    with app.uow() as uow:
        uow.authorise(Action.MANAGE)
        _read(uow, event_id)
        _check_invited(uow, event_id, codes)
        c = t.service_event_enterprises.c
        uow.connection.execute(
            update(t.service_event_enterprises)
            .where(c.event_id == event_id, c.enterprise_code.in_(codes))
            .values(attended=attended)
        )
        rows = [
            event_row(
                "service_event_attended",
                _subject(event_id),
                actor,
                now,
                enterprises=codes,
                attended=attended,
            )
        ]
        uow.record(rows)
        uow.commit()
    app.publish_registry(rows)
    return get_event(app, event_id)


def _check_invited(uow: Any, event_id: int, codes: Sequence[str]) -> None:
    c = t.service_event_enterprises.c
    invited = set(
        uow.connection.execute(
            select(c.enterprise_code).where(c.event_id == event_id, c.enterprise_code.in_(codes))
        ).scalars()
    )
    for code in codes:
        if code not in invited:
            raise ValidationError("enterprise", code, f"was not invited to event {event_id}")


def record_outcome(
    app: App,
    event_id: int,
    enterprise: str,
    bank: str = "",
    intended: object = 0,
    signed: object = 0,
    note: str = "",
    follow_up: str | None = None,
    actor: str | None = None,
) -> tuple[ServiceEvent, int | None]:
    """Record what came of the event for one enterprise (it attended, then); a
    ``follow_up`` item becomes an issue of the enterprise (source ``event``), returned."""
    from serviceframe.services.issues import IssueDraft, file_issue
    from serviceframe.services.projects import _amount

    actor = actor or app.settings.actor
    code = normalise_credit_code(enterprise, "enterprise")
    amounts = {"intended": _amount("intended", intended), "signed": _amount("signed", signed)}
    now = app.now()
    with app.uow() as uow:
        uow.authorise(Action.MANAGE)
        event = _read(uow, event_id)
        _check_invited(uow, event_id, [code])
        if event.kind is not EventKind.MATCHMAKING and any(amounts.values()):
            raise ValidationError(
                "intended",
                amounts["intended"],
                f"loans are recorded for matchmaking, not {event.kind.label}",
            )
        c = t.service_event_enterprises.c
        uow.connection.execute(
            update(t.service_event_enterprises)
            .where(c.event_id == event_id, c.enterprise_code == code)
            .values(attended=True, bank=bank.strip()[:100], note=note.strip(), **amounts)
        )
        rows = [
            event_row(
                "service_event_outcome",
                _subject(event_id),
                actor,
                now,
                enterprise=code,
                bank=bank.strip(),
                note=note.strip(),
                follow_up=(follow_up or "").strip() or None,
                **amounts,
            )
        ]
        uow.record(rows)
        uow.commit()
    app.publish_registry(rows)
    issue_id = None
    if follow_up and follow_up.strip():
        with app.uow() as uow:
            n = 1 + len(_follow_ups(uow, event_id))
            office = next((u for u in event.organisers), None)
        issue_id = file_issue(
            app,
            IssueDraft(
                enterprise=code,
                source="event",
                title=f"{event.kind.label}跟进:{follow_up.strip()[:60]}",
                body=f"{event.date:%Y-%m-%d}{event.kind.label}“{event.title}”跟进事项:"
                f"{follow_up.strip()}",
                category=int(event.kind.category),
                external_id=f"event:{event_id}:{code}:{n}",
                origin=f"event:{event_id}",
                received_by=office,
            ),
            actor,
        ).issue.id
    return get_event(app, event_id), issue_id


def _follow_ups(uow: Any, event_id: int) -> list[int]:
    i = t.issues.c
    return list(
        uow.connection.execute(
            select(i.id).where(i.source == "event", i.origin == f"event:{event_id}").order_by(i.id)
        ).scalars()
    )


# --- reading ---------------------------------------------------------------------------------


def _event_of(row: Any) -> ServiceEvent:
    return ServiceEvent(
        row.id,
        EventKind(row.kind),
        row.title,
        row.date,
        row.jurisdiction_code,
        row.place,
        tuple(row.organisers),
        row.created_at,
    )


def _read(uow: Any, event_id: int) -> ServiceEvent:
    row = uow.connection.execute(
        select(t.service_events).where(t.service_events.c.id == event_id)
    ).one_or_none()
    if row is None:
        raise NotFound("service event", event_id)
    return _event_of(row)


def get_event(app: App, event_id: int) -> ServiceEvent:
    """The event with everyone invited, who came, the outcomes and the follow-up issues."""
    from attrs import evolve

    c, e = t.service_event_enterprises.c, t.enterprises.c
    with app.uow() as uow:
        uow.authorise(Action.REPORT)
        event = _read(uow, event_id)
        rows = uow.connection.execute(
            select(t.service_event_enterprises, e.name)
            .join(t.enterprises, e.credit_code == c.enterprise_code)
            .where(c.event_id == event_id)
            .order_by(c.enterprise_code)
        ).all()
        follow_ups = _follow_ups(uow, event_id)
    people = tuple(
        Participant(
            r.enterprise_code,
            r.name,
            r.invited_at,
            r.attended,
            r.bank,
            r.intended,
            r.signed,
            r.note,
        )
        for r in rows
    )
    return evolve(event, participants=people, follow_ups=tuple(follow_ups))


@frozen
class EventSummary:
    event: ServiceEvent
    invited: int
    attended: int
    intended: int  # 万元
    signed: int  # 万元
    loans_intended: int  # enterprises with a loan intended
    loans_signed: int  # enterprises with a loan signed


def list_events(
    app: App, kind: object = None, since: date | None = None, until: date | None = None
) -> list[EventSummary]:
    """Events with their counts and totals, in one grouped query."""
    s, c = t.service_events.c, t.service_event_enterprises.c
    q = (
        select(
            t.service_events,
            func.count(c.enterprise_code).label("invited"),
            func.count(c.enterprise_code).filter(c.attended.is_(True)).label("came"),
            func.coalesce(func.sum(c.intended), 0).label("intended_sum"),
            func.coalesce(func.sum(c.signed), 0).label("signed_sum"),
            func.count(c.intended).filter(c.intended > 0).label("n_intended"),
            func.count(c.signed).filter(c.signed > 0).label("n_signed"),
        )
        .outerjoin(t.service_event_enterprises, c.event_id == s.id)
        .group_by(s.id)
        .order_by(s.date, s.id)
    )
    if kind:
        q = q.where(s.kind == parse_event_kind(kind).value)
    if since:
        q = q.where(s.date >= since)
    if until:
        q = q.where(s.date <= until)
    with app.uow() as uow:
        uow.authorise(Action.REPORT)
        rows = uow.connection.execute(q).all()
    return [
        EventSummary(
            _event_of(r),
            int(r.invited),
            int(r.came),
            int(r.intended_sum),
            int(r.signed_sum),
            int(r.n_intended),
            int(r.n_signed),
        )
        for r in rows
    ]
