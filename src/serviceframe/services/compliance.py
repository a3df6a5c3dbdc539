"""Who held the visits R5 asks for, and who is behind and since when.

For a period (``2026-Q3``, ``2026``, …) and a jurisdiction with everything below it:

* every member unit of a leading group visits enterprises at least once each quarter
  (a visit or an on-site office day that the unit took part in);
* every head of a level (the leader of its leading group, else its 市长/县长/区长) holds an
  enterprise symposium each half year (a symposium the head is recorded at);
* every key enterprise is visited in the period by its contact leader (联系人), in person:
  the leader recorded at a visit or on-site office day that names the enterprise.

Quarters and half years are whole calendar ones overlapping the period, judged as of now: one
still running with nothing held yet is *open* (进行中), not missed. *Behind since* is the first
day of the quarter (half year) after the last one held, when the latest finished one was missed.
"""

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, and_, func, select

from serviceframe.app import App
from serviceframe.domain.enterprise import KeyLevel
from serviceframe.domain.organisation import Organisation, Role
from serviceframe.domain.period import Period, halves, parse_period, quarters
from serviceframe.domain.principal import Action
from serviceframe.domain.visit import SpanCheck, SpanState, VisitKind, behind_since, check_spans
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.services.configured import organisation_of
from serviceframe.store import tables as t

IN_PERSON = (VisitKind.VISIT.value, VisitKind.ONSITE.value)


@frozen
class Holder:
    """A unit's quarterly visits, or a head's half-yearly symposiums."""

    id: str  # unit or official id
    name: str
    jurisdiction: str
    checks: tuple[SpanCheck, ...]
    last: date | None  # the last one held, up to the end of the period
    behind_since: date | None
    title: str = ""  # the official's title, for heads

    @property
    def missed(self) -> tuple[str, ...]:
        return tuple(str(c.span) for c in self.checks if c.state is SpanState.MISSED)

    @property
    def behind(self) -> bool:
        return bool(self.missed)


@frozen
class ContactGap:
    """A key enterprise its contact leader has not visited in the period."""

    enterprise: str
    enterprise_name: str
    key_level: KeyLevel
    jurisdiction: str
    official: str
    official_name: str
    official_title: str
    last_visit: date | None  # ever, up to the end of the period


@frozen
class Compliance:
    period: Period
    as_of: datetime
    jurisdiction: str
    units: tuple[Holder, ...]
    heads: tuple[Holder, ...]
    contact_gaps: tuple[ContactGap, ...]
    key_enterprises: int  # key enterprises with a contact leader, checked
    without_contact: int  # key enterprises with no contact leader (see ``coverage``)

    @property
    def behind(self) -> int:
        return sum(1 for h in (*self.units, *self.heads) if h.behind) + len(self.contact_gaps)


def visit_compliance(
    app: App, period: str | Period, jurisdiction: str | None = None, now: datetime | None = None
) -> Compliance:
    span = parse_period(period) if isinstance(period, str) else period
    now = now or app.now()
    today = now.astimezone(SHANGHAI).date()
    until = min(today, span.end)
    with app.uow() as uow:
        uow.authorise(Action.READ)
        org = organisation_of(app, uow)
        # Those who see everything: any place (default the root); a county office its own.
        code = uow.principal.report_place(org, jurisdiction)
        codes = org.descendants(code)
        conn = uow.connection
        unit_names = {u.id: (u.name, "") for u in org.units}
        people = {o.id: (o.name, o.title) for o in org.officials}
        # Member units: visits and on-site office days, each quarter.
        members = {
            m: g.jurisdiction for g in org.groups if g.jurisdiction in codes for m in g.members
        }
        unit_lines = _holders(
            conn,
            t.visit_units.c.unit_id,
            members,
            IN_PERSON,
            quarters(span),
            3,
            today,
            until,
            unit_names,
        )
        # Heads: symposiums, each half year.
        heads = {official: where for where, official in _heads(org, codes).items()}
        head_lines = _holders(
            conn,
            t.visit_officials.c.official_id,
            heads,
            (VisitKind.SYMPOSIUM.value,),
            halves(span),
            6,
            today,
            until,
            people,
        )
        gaps, checked, without = _contact_gaps(conn, codes, span, until)
    return Compliance(
        span,
        now,
        code,
        unit_lines,
        head_lines,
        tuple(
            ContactGap(
                e,
                name,
                KeyLevel(level),
                where,
                official,
                people.get(official, (official, ""))[0],
                people.get(official, (official, ""))[1],
                seen,
            )
            for e, name, level, where, official, seen in gaps
        ),
        checked,
        without,
    )


def _holders(
    conn: Connection,
    link: Any,
    holders: dict[str, str],
    kinds: tuple[str, ...],
    spans: tuple[Period, ...],
    months: int,
    today: date,
    until: date,
    names: dict[str, tuple[str, str]],
) -> tuple[Holder, ...]:
    """Each holder (unit or official id -> jurisdiction), judged span by span on the visits of
    ``kinds`` it is linked to through ``link`` (visit_units.unit_id, visit_officials.official_id),
    in two grouped queries: the days held within the spans, and the last day ever held."""
    if not holders:
        return ()
    v = t.visits.c
    joined = link.table.join(t.visits, v.id == link.table.c.visit_id)
    theirs = and_(link.in_(sorted(holders)), v.kind.in_(kinds))
    dates: dict[str, list[date]] = defaultdict(list)
    for holder, day, n in conn.execute(
        select(link, v.date, func.count())
        .select_from(joined)
        .where(theirs, v.date >= spans[0].start, v.date <= until)
        .group_by(link, v.date)
    ):
        dates[holder] += [day] * n
    last: dict[str, date] = dict(
        conn.execute(
            select(link, func.max(v.date))
            .select_from(joined)
            .where(theirs, v.date <= until)
            .group_by(link)
        ).all()
    )
    lines = []
    for holder, where in sorted(holders.items(), key=lambda h: (h[1], h[0])):
        checks = check_spans(spans, dates[holder], today)
        name, title = names.get(holder, (holder, ""))
        lines.append(
            Holder(
                holder,
                name,
                where,
                checks,
                last.get(holder),
                behind_since(checks, last.get(holder), months),
                title,
            )
        )
    return tuple(lines)


def _heads(org: Organisation, codes: tuple[str, ...]) -> dict[str, str]:
    """jurisdiction -> its head: the leader of its leading group, else an active official
    with the head's role there. A level with neither is left out (``org check`` lists it)."""
    heads = {}
    for code in codes:
        group = org.group_of(code)
        if group is not None:
            heads[code] = group.leader
            continue
        head = next((o for o in org.officials_in(code) if o.role is Role.MAYOR and o.active), None)
        if head is not None:
            heads[code] = head.id
    return heads


GapRow = tuple[str, str, str, str, str, date | None]


def _contact_gaps(
    conn: Connection, codes: tuple[str, ...], span: Period, until: date
) -> tuple[list[GapRow], int, int]:
    """Key enterprises in ``codes`` whose current contact leader has not visited them within
    the period, with that leader's last visit to them; and how many were checked / have none."""
    e, a = t.enterprises.c, t.assignments.c
    v, vo, ve = t.visits.c, t.visit_officials.c, t.visit_enterprises.c
    seen = (
        select(
            vo.official_id.label("official"),
            ve.enterprise_code.label("enterprise"),
            func.max(v.date).label("last"),
        )
        .select_from(
            t.visits.join(t.visit_officials, vo.visit_id == v.id).join(
                t.visit_enterprises, ve.visit_id == v.id
            )
        )
        .where(v.kind.in_(IN_PERSON), v.date <= until)
        .group_by(vo.official_id, ve.enterprise_code)
        .subquery("seen")
    )
    key = and_(e.key_level != KeyLevel.NONE.value, e.jurisdiction_code.in_(codes))
    contact = and_(a.enterprise_code == e.credit_code, a.kind == "contact", a.valid_to.is_(None))
    rows = conn.execute(
        select(e.credit_code, e.name, e.key_level, e.jurisdiction_code, a.official_id, seen.c.last)
        .select_from(
            t.enterprises.join(t.assignments, contact).outerjoin(
                seen,
                and_(seen.c.official == a.official_id, seen.c.enterprise == e.credit_code),
            )
        )
        .where(key)
        .order_by(e.jurisdiction_code, e.credit_code)
    ).all()
    without = conn.scalar(
        select(func.count())
        .select_from(t.enterprises)
        .where(key, ~select(a.id).where(contact).exists())
    )
    gaps: list[GapRow] = [
        (r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows if r[5] is None or r[5] < span.start
    ]
    return gaps, len(rows), int(without or 0)
