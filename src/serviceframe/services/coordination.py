"""The coordination report (R8): the state of service work per jurisdiction and per unit,
for the office's regular report to the leadership and the circular (通报).

Computed in SQL (grouped counts, :mod:`serviceframe.services.cohort`, as the circular counts),
then rolled up the jurisdiction tree: a province sees each city with its counties summed, and
each county.
"""

from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction
from typing import Any

from attrs import frozen
from sqlalchemy import select

from serviceframe.app import App
from serviceframe.domain.organisation import Organisation
from serviceframe.domain.period import Period, parse_period
from serviceframe.domain.satisfaction import weight
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.services.cohort import Line, cohort
from serviceframe.services.configured import assessment_rules, organisation_of
from serviceframe.store import tables as t


@frozen
class CoordinationLine:
    key: str  # jurisdiction code or unit id
    name: str
    received: int
    resolved: int
    on_time: int  # resolved no later than the resolve deadline
    overdue: int  # resolved late, or still open past the deadline
    escalated: int  # issues moved up the ladder at least once
    supervised: int  # supervision orders issued
    # Every rating of these issues, one per resolution round (domain.satisfaction).
    satisfied: int
    basic: int
    unsatisfied: int
    rated: int
    satisfaction: float | None  # the assessment's score of those ratings
    depth: int = 0  # for a jurisdiction: levels below the report's top (0 for the top itself)


@frozen
class CoordinationReport:
    period: Period
    as_of: datetime
    jurisdiction: str  # the top of the report
    jurisdictions: tuple[CoordinationLine, ...]  # each with its subtree rolled up, top first
    units: tuple[CoordinationLine, ...]
    supervision: tuple[dict[str, Any], ...]
    long_overdue: tuple[dict[str, Any], ...] = ()  # 挂牌督办, with days_open


def coordination(
    app: App,
    period: str | Period,
    now: datetime | None = None,
    jurisdiction: str | None = None,
    depth: int | None = None,
) -> CoordinationReport:
    """The figures of the issues of enterprises under ``jurisdiction`` (code or name; by
    default the whole tree the principal sees) received in ``period``: one line per
    jurisdiction of its subtree (to ``depth`` levels below it), each counting everything below
    it, and one per lead unit. Those who see everything report on any place, a county office
    on its own jurisdiction and below; anyone else, or another place, raises Forbidden."""
    span = parse_period(period) if isinstance(period, str) else period
    now = now or app.now()
    today = now.astimezone(SHANGHAI).date()
    basic_weight = weight(assessment_rules(app).basic_weight)
    with app.uow() as uow:
        conn = uow.connection
        org = organisation_of(app, uow)
        # Forbidden unless the principal sees the whole place: then its scope (the issues of
        # enterprises in its places) holds every issue of ``scope``, which each query filters by.
        top = uow.principal.report_place(org, jurisdiction)
        scope = org.descendants(top)
        by_place = cohort(conn, t.enterprises.c.jurisdiction_code, scope, span, today, basic_weight)
        by_unit = cohort(conn, t.issues.c.lead_unit, scope, span, today, basic_weight)
        names = dict(conn.execute(select(t.units.c.id, t.units.c.name)).all())
        supervision = tuple(uow.routing.orders(open_only=True, jurisdictions=scope))
        listed = uow.routing.long_overdue(jurisdictions=scope)
    # Issues not yet dispatched form the line without a unit, listed first.
    return CoordinationReport(
        span,
        now,
        top,
        _rolled_up(org, top, depth, list(by_place.values()), basic_weight),
        tuple(
            _line(by_unit[k], names.get(k or "", ""), basic_weight)
            for k in sorted(by_unit, key=lambda k: k or "")
        ),
        supervision,
        tuple({**row, "days_open": (now - row["received_at"]).days} for row in listed),
    )


def _line(line: Line, name: str, basic_weight: Fraction, depth: int = 0) -> CoordinationLine:
    rate = line.ratings.rate(basic_weight)
    return CoordinationLine(
        line.key or "(未交办)",
        name,
        line.received,
        line.resolved,
        line.on_time,
        line.overdue,
        line.escalated,
        line.supervised,
        line.ratings.satisfied,
        line.ratings.basic,
        line.ratings.unsatisfied,
        line.ratings.rated,
        None if rate is None else float(rate),
        depth,
    )


def _rolled_up(
    org: Organisation, top: str, depth: int | None, lines: Sequence[Line], basic_weight: Fraction
) -> tuple[CoordinationLine, ...]:
    """One line per jurisdiction from ``top`` down to ``depth``, each summing the figures of
    its own enterprises and of every place below it: each line is added along its chain."""
    shown = org.descendants(top, depth)
    sums = {code: Line(code, org.place(code)) for code in shown}
    for line in lines:
        for above in org.chain(line.key):
            if above in sums:
                sums[above] = _add(sums[above], line)
    base = org.depth(top)
    return tuple(
        _line(sums[code], sums[code].name, basic_weight, org.depth(code) - base)
        for code in _tree_order(org, shown)
    )


def _add(a: Line, b: Line) -> Line:
    return Line(
        a.key,
        a.name,
        a.received + b.received,
        a.resolved + b.resolved,
        a.on_time + b.on_time,
        a.overdue + b.overdue,
        a.escalated + b.escalated,
        a.supervised + b.supervised,
        a.ratings + b.ratings,
    )


def _tree_order(org: Organisation, codes: Sequence[str]) -> list[str]:
    """Each jurisdiction followed by those below it, as an indented list reads."""
    wanted = set(codes)
    ordered: list[str] = []

    def visit(code: str) -> None:
        ordered.append(code)
        for child in sorted(org.children(code), key=lambda j: j.code):
            if child.code in wanted:
                visit(child.code)

    visit(codes[0])
    return ordered
