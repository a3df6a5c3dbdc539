"""The coordination report (R8): the state of service work per county and per unit, for the
office's regular report to the city leadership and the city-wide circular (通报).

Computed in SQL (grouped counts); other reports build on these figures.
"""

from datetime import datetime
from fractions import Fraction
from typing import Any

from attrs import frozen
from sqlalchemy import and_, case, func, or_, select

from serviceframe.app import App
from serviceframe.domain.period import Period, parse_period
from serviceframe.domain.satisfaction import Tally, weight
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.services.configured import assessment_rules
from serviceframe.store import tables as t
from serviceframe.store.ratings import VALUES as RATING_VALUES
from serviceframe.store.ratings import tally_per_issue
from serviceframe.store.sqlfunc import shanghai_date


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
    i, e, s, j, u = (
        t.issues.c,
        t.enterprises.c,
        t.supervision_orders.c,
        t.jurisdictions.c,
        t.units.c,
    )
    orders = (
        select(
            s.issue_id,
            func.count().label("orders"),
            func.sum(
                case((or_(s.to_rung != s.from_rung, s.to_level != s.from_level), 1), else_=0)
            ).label("moves"),
        )
        .group_by(s.issue_id)
        .subquery()
    )
    rated = tally_per_issue()
    resolved = i.status.in_(["resolved", "closed"])
    open_ = i.status.in_(["dispatched", "acknowledged", "in_progress", "redo"])
    # Without a deadline (settled by a cluster's resolution or a meeting's decision before it
    # was dispatched) nothing was missed: on time, as the lifecycle's own 'resolved' says.
    on_time = and_(
        resolved,
        i.resolved_at.is_not(None),
        or_(i.resolve_due.is_(None), shanghai_date(i.resolved_at) <= i.resolve_due),
    )
    late = or_(
        and_(resolved, i.resolved_at.is_not(None), shanghai_date(i.resolved_at) > i.resolve_due),
        and_(open_, i.resolve_due < today),
    )

    def count(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    figures = (
        func.count(i.id),
        count(resolved),
        count(on_time),
        count(late),
        count(func.coalesce(orders.c.moves, 0) > 0),
        func.coalesce(func.sum(orders.c.orders), 0),
        *(func.coalesce(func.sum(rated.c[v]), 0) for v in RATING_VALUES),
    )
    base = (
        t.issues.join(t.enterprises, e.credit_code == i.enterprise_code)
        .outerjoin(orders, orders.c.issue_id == i.id)
        .outerjoin(rated, rated.c.issue_id == i.id)
    )
    in_period = and_(
        i.received_at >= span.start_at,
        i.received_at < span.end_at,
        i.status.not_in(["rejected", "merged"]),
    )
    with app.uow() as uow:
        conn = uow.connection
        by_county = conn.execute(
            select(e.jurisdiction_code, func.min(j.name), *figures)
            .select_from(base.join(t.jurisdictions, j.code == e.jurisdiction_code))
            .where(in_period)
            .group_by(e.jurisdiction_code)
            .order_by(e.jurisdiction_code)
        ).all()
        # Grouped by the column itself: PostgreSQL cannot tell that two bound "" in the
        # select list and the GROUP BY are the same expression. Issues not yet dispatched
        # form the group without a unit, listed first on both databases.
        by_unit = sorted(
            conn.execute(
                select(i.lead_unit, func.min(u.name), *figures)
                .select_from(base.outerjoin(t.units, u.id == i.lead_unit))
                .where(in_period)
                .group_by(i.lead_unit)
            ).all(),
            key=lambda r: r[0] or "",
        )
        supervision = tuple(uow.routing.orders(open_only=True))
    basic_weight = weight(assessment_rules(app).basic_weight)
    return CoordinationReport(
        span,
        now,
        tuple(_line(r, basic_weight) for r in by_county),
        tuple(_line(r, basic_weight) for r in by_unit),
        supervision,
    )


def _line(r: Any, basic_weight: Fraction) -> CoordinationLine:
    key, name, *numbers = r
    received, resolved, on_time, overdue, escalated, supervised, *rated = (
        int(n or 0) for n in numbers
    )
    ratings = Tally(*rated)
    rate = ratings.rate(basic_weight)
    return CoordinationLine(
        key or "(未交办)",
        name or "",
        received,
        resolved,
        on_time,
        overdue,
        escalated,
        supervised,
        ratings.satisfied,
        ratings.basic,
        ratings.unsatisfied,
        ratings.rated,
        None if rate is None else float(rate),
    )
