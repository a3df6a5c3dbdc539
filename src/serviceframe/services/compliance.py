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

from attrs import frozen
from sqlalchemy import Connection, and_, func, select

from serviceframe.app import App
from serviceframe.domain.enterprise import KeyLevel
from serviceframe.domain.organisation import Organisation, Role
from serviceframe.domain.period import Period, halves, parse_period, quarters
from serviceframe.domain.visit import SpanCheck, SpanState, VisitKind, behind_since, check_spans
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import ValidationError
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


def scope(org: Organisation, jurisdiction: str | None) -> tuple[str, tuple[str, ...]]:
    """The jurisdiction asked for (code or name; default the root) and every code below it."""
    if not jurisdiction:
        code = org.root.code
    else:
        found = next(
            (j for j in org.jurisdictions if jurisdiction.strip() in (j.code, j.name)), None
        )
        if found is None:
            raise ValidationError("jurisdiction", jurisdiction, "no such jurisdiction")
        code = found.code
    return code, org.descendants(code)


def visit_compliance(
    app: App, period: str | Period, jurisdiction: str | None = None, now: datetime | None = None
) -> Compliance:
    span = parse_period(period) if isinstance(period, str) else period
    now = now or app.now()
    today = now.astimezone(SHANGHAI).date()
    until = min(today, span.end)
    v, vu, vo = t.visits.c, t.visit_units.c, t.visit_officials.c
    with app.uow() as uow:
        org = organisation_of(app, uow)
        code, codes = scope(org, jurisdiction)
        conn = uow.connection
        groups = [g for g in org.groups if g.jurisdiction in codes]
        units = {u.id: u for u in org.units}
        members = {m: g.jurisdiction for g in groups for m in g.members}
        in_quarters = quarters(span)
        dates: dict[str, list[date]] = defaultdict(list)
        last: dict[str, date] = {}
        if members:
            joined = t.visit_units.join(t.visits, v.id == vu.visit_id)
            mine = and_(vu.unit_id.in_(sorted(members)), v.kind.in_(IN_PERSON))
            for unit_id, day, n in conn.execute(
                select(vu.unit_id, v.date, func.count())
                .select_from(joined)
                .where(mine, v.date >= in_quarters[0].start, v.date <= until)
                .group_by(vu.unit_id, v.date)
            ):
                dates[unit_id] += [day] * n
            last.update(
                conn.execute(
                    select(vu.unit_id, func.max(v.date))
                    .select_from(joined)
                    .where(mine, v.date <= until)
                    .group_by(vu.unit_id)
                ).all()
            )
        unit_lines = []
        for unit_id, where in sorted(members.items(), key=lambda m: (m[1], m[0])):
            checks = check_spans(in_quarters, dates[unit_id], today)
            unit_lines.append(
                Holder(
                    unit_id,
                    units[unit_id].name if unit_id in units else unit_id,
                    where,
                    checks,
                    last.get(unit_id),
                    behind_since(checks, last.get(unit_id), 3),
                )
            )

        heads = _heads(org, codes)
        in_halves = halves(span)
        held: dict[str, list[date]] = defaultdict(list)
        last_held: dict[str, date] = {}
        if heads:
            joined = t.visit_officials.join(t.visits, v.id == vo.visit_id)
            theirs = and_(
                vo.official_id.in_(sorted({h for h in heads.values()})),
                v.kind == VisitKind.SYMPOSIUM.value,
            )
            for official, day in conn.execute(
                select(vo.official_id, v.date)
                .select_from(joined)
                .where(theirs, v.date >= in_halves[0].start, v.date <= until)
            ):
                held[official].append(day)
            last_held.update(
                conn.execute(
                    select(vo.official_id, func.max(v.date))
                    .select_from(joined)
                    .where(theirs, v.date <= until)
                    .group_by(vo.official_id)
                ).all()
            )
        officials = {o.id: o for o in org.officials}
        head_lines = []
        for where, official in sorted(heads.items()):
            checks = check_spans(in_halves, held[official], today)
            person = officials[official]
            head_lines.append(
                Holder(
                    official,
                    person.name,
                    where,
                    checks,
                    last_held.get(official),
                    behind_since(checks, last_held.get(official), 6),
                    person.title,
                )
            )

        gaps, checked, without = _contact_gaps(conn, codes, span, until)
    return Compliance(
        span,
        now,
        code,
        tuple(unit_lines),
        tuple(head_lines),
        tuple(
            ContactGap(
                e,
                name,
                KeyLevel(level),
                where,
                official,
                officials[official].name if official in officials else official,
                officials[official].title if official in officials else "",
                seen,
            )
            for e, name, level, where, official, seen in gaps
        ),
        checked,
        without,
    )


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
