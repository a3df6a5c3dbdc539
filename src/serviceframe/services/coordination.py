"""The coordination report (R8): the state of service work per jurisdiction and per unit,
for the office's regular report to the leadership and the circular (通报).

Computed in SQL (counts grouped by the enterprise's jurisdiction and by unit), then rolled up
the jurisdiction tree: a province sees each city with its counties summed, and each county.
Other reports build on these figures.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from attrs import evolve, frozen
from sqlalchemy import and_, case, func, or_, select

from serviceframe.app import App
from serviceframe.domain.organisation import Organisation
from serviceframe.domain.period import Period, parse_period
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.services.configured import organisation_of
from serviceframe.store import tables as t
from serviceframe.store.sqlfunc import shanghai_date


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
    satisfied: int
    rated: int
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
    """The figures of the issues of enterprises under ``jurisdiction`` (code or name; the
    whole organisation by default) received in ``period``: one line per jurisdiction of its
    subtree (to ``depth`` levels below it), each counting everything below it, and one per
    lead unit."""
    span = parse_period(period) if isinstance(period, str) else period
    now = now or app.now()
    today = now.astimezone(SHANGHAI).date()
    i, e, s, u = t.issues.c, t.enterprises.c, t.supervision_orders.c, t.units.c
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
        count(i.satisfaction.in_(["satisfied", "basic"])),
        count(i.satisfaction.is_not(None)),
    )
    base = t.issues.join(t.enterprises, e.credit_code == i.enterprise_code).outerjoin(
        orders, orders.c.issue_id == i.id
    )
    in_period = and_(
        i.received_at >= span.start_at,
        i.received_at < span.end_at,
        i.status.not_in(["rejected", "merged"]),
    )
    with app.uow() as uow:
        conn = uow.connection
        org = organisation_of(app, uow)
        top = org.resolve(jurisdiction) if jurisdiction else org.root.code
        scope = org.descendants(top)
        in_period = and_(in_period, e.jurisdiction_code.in_(scope))
        by_place = conn.execute(
            select(e.jurisdiction_code, *figures)
            .select_from(base)
            .where(in_period)
            .group_by(e.jurisdiction_code)
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
        supervision = tuple(uow.routing.orders(open_only=True, jurisdictions=scope))
        listed = uow.routing.long_overdue()
    return CoordinationReport(
        span,
        now,
        top,
        _rolled_up(org, top, depth, by_place),
        tuple(_line(r) for r in by_unit),
        supervision,
        tuple(
            {**row, "days_open": (now - row["received_at"]).days}
            for row in listed
            if row["jurisdiction_code"] in scope
        ),
    )


def _line(r: Any) -> CoordinationLine:
    key, name, *numbers = r
    return CoordinationLine(key or "(未交办)", name or "", *(int(n or 0) for n in numbers))


def _rolled_up(
    org: Organisation, top: str, depth: int | None, rows: Sequence[Any]
) -> tuple[CoordinationLine, ...]:
    """One line per jurisdiction from ``top`` down to ``depth``, each summing the figures of
    its own enterprises and of every place below it: each row is added along its chain."""
    shown = org.descendants(top, depth)
    sums = {code: [0] * 8 for code in shown}
    for code, *numbers in rows:
        for above in org.chain(code):
            if above in sums:
                sums[above] = [a + int(n or 0) for a, n in zip(sums[above], numbers, strict=True)]
    base = org.depth(top)
    return tuple(
        evolve(_line((code, org.place(code), *sums[code])), depth=org.depth(code) - base)
        for code in _tree_order(org, shown)
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
