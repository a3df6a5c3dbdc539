"""The issues received in a period, counted: what ``coordination`` shows per county and unit
and the circular by category and jurisdiction (R8), in one grouped query.

Rejected and merged issues are left out. *Resolved*: resolved or closed by now; *on time*:
resolved no later than the resolve deadline (or without one: settled from above before it was
dispatched); *overdue*: resolved late, or still open past the deadline; *escalated*: moved up
the ladder by at least one supervision order; *supervised*: the supervision orders issued for
them; and every rating of them, every round (``store.ratings``), scored as the assessment
scores.
"""

from collections.abc import Sequence
from datetime import date
from fractions import Fraction
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, and_, case, func, literal_column, or_, select
from sqlalchemy.sql.expression import ColumnElement

from serviceframe.domain.period import Period
from serviceframe.domain.satisfaction import Tally
from serviceframe.store import tables as t
from serviceframe.store.ratings import VALUES, tally, tally_per_issue
from serviceframe.store.sqlfunc import shanghai_date

OPEN = ("dispatched", "acknowledged", "in_progress", "redo")


@frozen
class Line:
    """The issues of one group received in the period."""

    key: str
    name: str
    received: int = 0
    resolved: int = 0  # resolved or closed by now
    on_time: int = 0  # resolved no later than the resolve deadline
    overdue: int = 0  # resolved late, or still open past the deadline
    escalated: int = 0  # moved up the ladder at least once
    supervised: int = 0  # supervision orders issued for them
    ratings: Tally = Tally()  # every rating of them, every round
    satisfaction: float | None = None  # the assessment's score of those ratings

    @property
    def resolution_rate(self) -> float | None:
        return None if self.received == 0 else self.resolved / self.received

    @property
    def on_time_rate(self) -> float | None:
        decided = self.on_time + self.overdue
        return None if decided == 0 else self.on_time / decided


def _count(condition: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def cohort(
    conn: Connection,
    group: ColumnElement[Any] | None,
    codes: Sequence[str] | None,
    span: Period,
    today: date,
    basic_weight: Fraction,
) -> dict[Any, Line]:
    """The issues received in ``span`` of enterprises in ``codes`` (None: all), grouped by
    ``group`` (None: one line, keyed None)."""
    i, e, s = t.issues.c, t.enterprises.c, t.supervision_orders.c
    orders = (
        select(
            s.issue_id,
            func.count().label("orders"),
            _count(or_(s.to_rung != s.from_rung, s.to_level != s.from_level)).label("moves"),
        )
        .group_by(s.issue_id)
        .subquery("orders")
    )
    rated = tally_per_issue()
    resolved = i.status.in_(["resolved", "closed"])
    on_time = and_(
        resolved,
        i.resolved_at.is_not(None),
        or_(i.resolve_due.is_(None), shanghai_date(i.resolved_at) <= i.resolve_due),
    )
    late = or_(
        and_(resolved, i.resolved_at.is_not(None), shanghai_date(i.resolved_at) > i.resolve_due),
        and_(i.status.in_(OPEN), i.resolve_due < today),
    )
    key = (group if group is not None else literal_column("NULL")).label("key")
    query = (
        select(
            key,
            func.count(i.id).label("received"),
            _count(resolved).label("resolved"),
            _count(on_time).label("on_time"),
            _count(late).label("overdue"),
            _count(func.coalesce(orders.c.moves, 0) > 0).label("escalated"),
            func.coalesce(func.sum(orders.c.orders), 0).label("supervised"),
            *(func.coalesce(func.sum(rated.c[v]), 0).label(v) for v in VALUES),
        )
        .select_from(
            t.issues.join(t.enterprises, e.credit_code == i.enterprise_code)
            .outerjoin(orders, orders.c.issue_id == i.id)
            .outerjoin(rated, rated.c.issue_id == i.id)
        )
        .where(
            i.received_at >= span.start_at,
            i.received_at < span.end_at,
            i.status.not_in(["rejected", "merged"]),
        )
    )
    if codes is not None:
        query = query.where(e.jurisdiction_code.in_(list(codes)))
    if group is not None:
        query = query.group_by(group)
    found = {}
    for row in conn.execute(query):
        ratings = tally(row)
        rate = ratings.rate(basic_weight)
        found[row.key] = Line(
            "" if row.key is None else str(row.key),
            "" if row.key is None else str(row.key),
            int(row.received),
            int(row.resolved),
            int(row.on_time),
            int(row.overdue),
            int(row.escalated),
            int(row.supervised),
            ratings,
            None if rate is None else float(rate),
        )
    return found
