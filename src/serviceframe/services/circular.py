"""The figures of the periodic report and the circular (通报, R6 and R8), in SQL.

For a period and a jurisdiction (with everything below it):

* the issues **received in the period** (rejected and merged ones left out), counted as
  ``coordination`` counts them — resolved, on time, overdue, escalated, supervision orders,
  every rating of them — in total, by category, and by jurisdiction rolled up to the
  jurisdictions directly below (``Organisation.descendants``), and the same totals for the
  period before, for the change;
* the issues **open past their deadline now**, by lead unit, and the longest overdue;
* the supervision orders **issued in the period**, by unit;
* the widespread-issue clusters formed in the period or still open;
* the satisfaction ranking: the assessment of the period (``services.assessment``);
* the major projects' steps approved in the period, per unit, against their limits.

Every figure is a grouped query over the whole store; lists are capped (``limit``) with the
number left out, so memory does not grow with the number of issues.
"""

from collections.abc import Sequence
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from attrs import evolve, frozen
from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.sql.expression import ColumnElement

from serviceframe.app import App
from serviceframe.domain.categories import Category
from serviceframe.domain.period import Period, parse_period, previous
from serviceframe.domain.satisfaction import weight
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.services.assessment import Assessment, assess
from serviceframe.services.cohort import OPEN, Line, cohort
from serviceframe.services.configured import assessment_rules, organisation_of
from serviceframe.services.projects import ProjectReport, project_report
from serviceframe.store import tables as t


@frozen
class OverdueItem:
    issue: int
    title: str
    enterprise: str
    enterprise_name: str
    unit: str
    unit_name: str
    due: date
    days: int  # calendar days past the due day, as of now
    orders: int


@frozen
class UnitBacklog:
    unit: str
    name: str
    overdue: int  # open past the deadline now
    orders: int  # supervision orders issued in the period


@frozen
class ClusterLine:
    id: int
    topic: str
    category: Category
    level: str
    rung: str
    official: str
    status: str
    created_at: datetime
    issues: int
    enterprises: int
    counties: int


@frozen
class Circular:
    period: Period
    previous: Period
    as_of: datetime
    jurisdiction: str
    jurisdiction_name: str
    total: Line
    total_before: Line
    categories: tuple[Line, ...]
    jurisdictions: tuple[Line, ...]  # rolled up to the level below ``jurisdiction``
    backlog: tuple[UnitBacklog, ...]  # units with anything overdue or supervised
    overdue_items: tuple[OverdueItem, ...]
    overdue_total: int
    orders_total: int
    clusters: tuple[ClusterLine, ...]
    assessment: Assessment
    # Major projects' steps: those approved in the period, per unit against their limits,
    # and those waiting now (services.projects.project_report).
    projects: ProjectReport


def circular_figures(
    app: App,
    period: str | Period,
    jurisdiction: str | None = None,
    now: datetime | None = None,
    limit: int = 20,
) -> Circular:
    span = parse_period(period) if isinstance(period, str) else period
    now = now or app.now()
    today = now.astimezone(SHANGHAI).date()
    before = previous(span)
    basic_weight = weight(assessment_rules(app).basic_weight)
    with app.uow() as uow:
        org = organisation_of(app, uow)
        # Forbidden unless the principal sees the whole place (a county office its own tree):
        # every figure below is of issues of enterprises in ``codes``, within its scope.
        code = uow.principal.report_place(org, jurisdiction)
        codes = org.descendants(code)
        conn = uow.connection
        e = t.enterprises.c

        def lines(group: ColumnElement[Any] | None, within: Period) -> dict[Any, Line]:
            return cohort(conn, group, codes, within, today, basic_weight)

        total = lines(None, span).get(None, Line("", "合计"))
        total_before = lines(None, before).get(None, Line("", "合计"))
        by_category = lines(t.issues.c.category, span)
        by_place = lines(e.jurisdiction_code, span)
        backlog, items, overdue_total, orders_total = _backlog(conn, codes, span, today, limit)
        clusters = _clusters(conn, codes, span)
    # Roll each place up to the jurisdiction directly below the one asked for; issues of
    # enterprises registered at that level itself form its own line (本级).
    top = {code: code}
    for child in org.children(code):
        top |= dict.fromkeys(org.descendants(child.code), child.code)
    rolled: dict[str, Line] = {}
    for place, line in by_place.items():
        key = top.get(place, code)
        rolled[key] = _plus(rolled.get(key), line, key, basic_weight)
    names = {j.code: j.name for j in org.jurisdictions}
    places = [
        _renamed(rolled[c], names.get(c, c) + ("(本级)" if c == code else ""))
        for c in [code, *(j.code for j in org.children(code))]
        if c in rolled
    ]
    units = {u.id: u.name for u in org.units}
    return Circular(
        span,
        before,
        now,
        code,
        names.get(code, code),
        _renamed(total, "合计"),
        _renamed(total_before, "合计"),
        tuple(
            _renamed(by_category.get(int(c), Line(str(int(c)), c.label)), c.label)
            for c in Category
            if int(c) in by_category or c is not Category.UNCLASSIFIED
        ),
        tuple(places),
        tuple(UnitBacklog(u, units.get(u, u), overdue, orders) for u, overdue, orders in backlog),
        tuple(
            OverdueItem(
                issue=row[0],
                title=row[1],
                enterprise=row[2],
                enterprise_name=row[3],
                unit=row[4],
                unit_name=units.get(row[4], row[4]),
                due=row[5],
                days=(today - row[5]).days,
                orders=int(row[6]),
            )
            for row in items
        ),
        overdue_total,
        orders_total,
        clusters,
        assess(app, span, code, now=now),
        project_report(app, code, span),
    )


def _renamed(line: Line, name: str) -> Line:
    return evolve(line, name=name)


def _plus(a: Line | None, b: Line, key: str, basic_weight: Fraction) -> Line:
    if a is None:
        a = Line(key, key)
    ratings = a.ratings + b.ratings
    rate = ratings.rate(basic_weight)
    return Line(
        key,
        a.name,
        a.received + b.received,
        a.resolved + b.resolved,
        a.on_time + b.on_time,
        a.overdue + b.overdue,
        a.escalated + b.escalated,
        a.supervised + b.supervised,
        ratings,
        None if rate is None else float(rate),
    )


def _backlog(
    conn: Connection, codes: Sequence[str], span: Period, today: date, limit: int
) -> tuple[list[tuple[str, int, int]], list[Any], int, int]:
    """Per lead unit: open past the deadline now, supervision orders issued in the period;
    the longest overdue items; and the two totals."""
    i, e, s = t.issues.c, t.enterprises.c, t.supervision_orders.c
    mine = e.jurisdiction_code.in_(list(codes))
    past_due = and_(i.status.in_(OPEN), i.resolve_due < today)
    places = t.issues.join(t.enterprises, e.credit_code == i.enterprise_code)
    overdue: dict[str, int] = dict(
        conn.execute(
            select(i.lead_unit, func.count())
            .select_from(places)
            .where(past_due, mine, i.lead_unit.is_not(None))
            .group_by(i.lead_unit)
        ).all()
    )
    orders: dict[str, int] = dict(
        conn.execute(
            select(s.overdue_unit, func.count())
            .select_from(
                t.supervision_orders.join(t.issues, i.id == s.issue_id).join(
                    t.enterprises, e.credit_code == i.enterprise_code
                )
            )
            .where(
                s.created_at >= span.start_at,
                s.created_at < span.end_at,
                s.overdue_unit.is_not(None),
                mine,
            )
            .group_by(s.overdue_unit)
        ).all()
    )
    per_issue = (
        select(s.issue_id, func.count().label("n")).group_by(s.issue_id).subquery("per_issue")
    )
    items = conn.execute(
        select(
            i.id,
            i.title,
            i.enterprise_code,
            e.name,
            i.lead_unit,
            i.resolve_due,
            func.coalesce(per_issue.c.n, 0),
        )
        .select_from(places.outerjoin(per_issue, per_issue.c.issue_id == i.id))
        .where(past_due, mine)
        .order_by(i.resolve_due, i.id)
        .limit(limit)
    ).all()
    backlog = sorted(
        ((u, int(overdue.get(u, 0)), int(orders.get(u, 0))) for u in {*overdue, *orders}),
        key=lambda x: (-x[1], -x[2], x[0]),
    )
    return (
        backlog,
        list(items),
        sum(int(n) for n in overdue.values()),
        sum(int(n) for n in orders.values()),
    )


def _clusters(conn: Connection, codes: Sequence[str], span: Period) -> tuple[ClusterLine, ...]:
    """Clusters formed in the period or still open that have members in ``codes``; their
    members there counted."""
    c, r, i, e = t.clusters.c, t.issue_routing.c, t.issues.c, t.enterprises.c
    members = (
        select(
            r.cluster_id,
            func.count().label("issues"),
            func.count(func.distinct(i.enterprise_code)).label("enterprises"),
            func.count(func.distinct(e.jurisdiction_code)).label("counties"),
        )
        .select_from(
            t.issue_routing.join(t.issues, i.id == r.issue_id).join(
                t.enterprises, e.credit_code == i.enterprise_code
            )
        )
        .where(r.cluster_id.is_not(None), e.jurisdiction_code.in_(list(codes)))
        .group_by(r.cluster_id)
        .subquery("members")
    )
    rows = conn.execute(
        select(
            c.id,
            c.topic,
            c.category,
            c.level,
            c.rung,
            func.coalesce(c.official, ""),
            c.status,
            c.created_at,
            func.coalesce(members.c.issues, 0),
            func.coalesce(members.c.enterprises, 0),
            func.coalesce(members.c.counties, 0),
        )
        .select_from(t.clusters.join(members, members.c.cluster_id == c.id))
        .where(
            or_(
                c.status == "open",
                and_(c.created_at >= span.start_at, c.created_at < span.end_at),
            ),
        )
        .order_by(c.created_at, c.id)
    ).all()
    return tuple(
        ClusterLine(
            row[0],
            row[1],
            Category(row[2]),
            row[3],
            row[4],
            row[5],
            row[6],
            row[7],
            *map(int, row[8:]),
        )
        for row in rows
    )
