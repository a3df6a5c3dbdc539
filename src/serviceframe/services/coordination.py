"""The coordination report (R8): the state of service work per county and per unit, for the
office's regular report to the city leadership and the city-wide circular (通报).

Computed in SQL (grouped counts, :mod:`serviceframe.services.cohort`), as the circular counts.
"""

from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import select

from serviceframe.app import App
from serviceframe.domain.period import Period, parse_period
from serviceframe.domain.satisfaction import weight
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.services.cohort import Line, cohort
from serviceframe.services.configured import assessment_rules
from serviceframe.store import tables as t


@frozen
class CoordinationLine:
    key: str  # county code or unit id
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


@frozen
class CoordinationReport:
    period: Period
    as_of: datetime
    counties: tuple[CoordinationLine, ...]
    units: tuple[CoordinationLine, ...]
    supervision: tuple[dict[str, Any], ...]


def coordination(app: App, period: str | Period, now: datetime | None = None) -> CoordinationReport:
    span = parse_period(period) if isinstance(period, str) else period
    now = now or app.now()
    today = now.astimezone(SHANGHAI).date()
    basic_weight = weight(assessment_rules(app).basic_weight)
    j, u = t.jurisdictions.c, t.units.c
    with app.uow() as uow:
        conn = uow.connection
        counties = cohort(conn, t.enterprises.c.jurisdiction_code, None, span, today, basic_weight)
        units = cohort(conn, t.issues.c.lead_unit, None, span, today, basic_weight)
        names = dict(conn.execute(select(j.code, j.name)).all())
        names |= dict(conn.execute(select(u.id, u.name)).all())
        supervision = tuple(uow.routing.orders(open_only=True))
    # Issues not yet dispatched form the line without a unit, listed first.
    return CoordinationReport(
        span,
        now,
        tuple(_line(counties[k], names) for k in sorted(counties, key=lambda k: k or "")),
        tuple(_line(units[k], names) for k in sorted(units, key=lambda k: k or "")),
        supervision,
    )


def _line(line: Line, names: dict[str, str]) -> CoordinationLine:
    return CoordinationLine(
        line.key or "(未交办)",
        names.get(line.key, ""),
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
        line.satisfaction,
    )
