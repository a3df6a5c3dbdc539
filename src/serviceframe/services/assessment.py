"""The assessment (R9): for a period, each unit's and each official's result from the
enterprises' ratings, ranked, with the supporting figures beside it.

What counts (docs/assessment.md has the worked examples):

* ratings **given in the period**, every round (:mod:`serviceframe.domain.satisfaction`); a
  unit answers for the issues it is lead unit of (weight 1) and co-handles (``co_weight``);
  an official for the issues routed to them (the leader who answers for the issue, after any
  escalation);
* *unrated*: items resolved in the period that the enterprise has not rated yet;
* *handled*: items dispatched to the unit in the period; *resolved*: of those, resolved by now;
  the deadlines of those items judged as of now, as the ledger judges them;
* *supervision*: supervision orders (督办) issued to the unit (official) in the period.

The result is what the organisation's scoring profile makes of the figures (``satisfaction``
unless the organisation file chooses another); the ranking is a standard competition ranking
(equal results share a place, the next place is skipped). All figures come from grouped SQL
over the whole store: memory grows with the number of units, not of issues.
"""

from datetime import datetime
from fractions import Fraction
from numbers import Real
from typing import Any

from attrs import evolve, frozen
from sqlalchemy import Connection, and_, case, func, literal_column, or_, select, true
from sqlalchemy.sql.expression import ColumnElement, Subquery

from serviceframe.app import App
from serviceframe.domain.assessment import (
    DeadlineCounts,
    Figures,
    ScoringProfile,
    ScoringRules,
)
from serviceframe.domain.period import Period, parse_period
from serviceframe.domain.satisfaction import competition_ranks, weight
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import ConfigError, ServiceFrameError, ValidationError
from serviceframe.plugins.manager import Registry
from serviceframe.services.configured import assessment_rules, organisation_of
from serviceframe.store import tables as t
from serviceframe.store.ratings import tally, tally_columns
from serviceframe.store.scope import issue_scope
from serviceframe.store.sqlfunc import shanghai_date

DEADLINES = ("acknowledge", "feedback", "resolve")
STATES = ("met", "missed", "pending", "overdue")


@frozen
class Result:
    figures: Figures
    score: float | None  # between 0 and 1; None: nothing to score
    rank: int | None


@frozen
class Assessment:
    period: Period
    as_of: datetime
    jurisdiction: str
    profile: str
    profile_label: str
    profile_plugin: str
    rules: ScoringRules
    units: tuple[Result, ...]  # by rank, then id; the unscored last
    officials: tuple[Result, ...]


def scoring_profiles(app: App) -> Registry[ScoringProfile]:
    return app.cached(
        "scoring_profiles",
        lambda: app.plugins.collect("serviceframe_scoring_profiles", ScoringProfile, app=app),
    )


def assess(
    app: App,
    period: str | Period,
    jurisdiction: str | None = None,
    unit: str | None = None,
    now: datetime | None = None,
) -> Assessment:
    """The assessment of every unit (and official) of ``jurisdiction`` and below; with
    ``unit``, that unit's line (and its officials'), ranked among all of them."""
    span = parse_period(period) if isinstance(period, str) else period
    now = now or app.now()
    today = now.astimezone(SHANGHAI).date()
    stored = assessment_rules(app)
    profiles = scoring_profiles(app)
    try:
        profile = profiles.get(stored.profile)
    except ValidationError as exc:
        raise ConfigError(f"[assessment] profile={stored.profile!r}: {exc.reason}") from None
    unknown = sorted(set(stored.params) - set(profile.parameters))
    if unknown:
        known = ", ".join(profile.parameters) or "none"
        raise ConfigError(
            f"[assessment] params: {', '.join(unknown)} unknown to profile {profile.name!r} "
            f"(its parameters: {known})"
        )
    rules = ScoringRules(
        weight(stored.basic_weight),
        weight(stored.co_weight),
        {**profile.parameters, **stored.params},
    )
    with app.uow() as uow:
        me = uow.principal
        org = organisation_of(app, uow)
        code = me.report_place(org, jurisdiction)
        codes = org.descendants(code)
        conn = uow.connection
        # A county office's figures count the issues it sees only (in SQL).
        within = None if me.everywhere else issue_scope(me)
        by_unit = figures(
            conn, unit_holders(), t.supervision_orders.c.overdue_unit, span, today, within
        )
        by_official = figures(
            conn, official_holders(), t.supervision_orders.c.overdue_official, span, today, within
        )
    in_scope = set(codes)
    members = {m for g in org.groups if g.jurisdiction in in_scope for m in g.members}
    units = [
        _named(by_unit.get(u.id), u.id, u.name, u.jurisdiction)
        for u in org.units
        if u.jurisdiction in in_scope and (u.id in by_unit or u.id in members)
    ]
    officials = [
        _named(by_official[o.id], o.id, o.name, o.jurisdiction)
        for o in org.officials
        if o.jurisdiction in in_scope and o.id in by_official
    ]
    plugin = profiles.owner(profile.name)
    unit_results = _ranked(units, profile, plugin, rules)
    official_results = _ranked(officials, profile, plugin, rules)
    if unit is not None:
        if not any(u.id == unit for u in org.units):
            raise ValidationError("unit", unit, "no such unit")
        people = {o.id for o in org.officials if o.unit == unit}
        unit_results = tuple(r for r in unit_results if r.figures.key == unit)
        official_results = tuple(r for r in official_results if r.figures.key in people)
    return Assessment(
        span,
        now,
        code,
        profile.name,
        profile.label,
        plugin,
        rules,
        unit_results,
        official_results,
    )


def _named(found: Figures | None, key: str, name: str, jurisdiction: str) -> Figures:
    return evolve(found or Figures(key, name, jurisdiction), name=name, jurisdiction=jurisdiction)


def _ranked(
    lines: list[Figures], profile: ScoringProfile, plugin: str, rules: ScoringRules
) -> tuple[Result, ...]:
    scores = [_score(f, profile, plugin, rules) for f in lines]
    ranks = competition_ranks(scores)
    results = [
        Result(f, None if s is None else float(s), r)
        for f, s, r in zip(lines, scores, ranks, strict=True)
    ]
    return tuple(sorted(results, key=lambda r: (r.rank is None, r.rank or 0, r.figures.key)))


def _score(
    figures: Figures, profile: ScoringProfile, plugin: str, rules: ScoringRules
) -> Fraction | float | None:
    """The profile's result for one line, checked: a number between 0 and 1, or None."""
    where = f"scoring profile {profile.name!r} (plugin {plugin!r}) for {figures.key}"
    try:
        score = profile.score(figures, rules)
    except Exception as exc:
        raise ServiceFrameError(f"{where} failed: {type(exc).__name__}: {exc}") from exc
    if score is None:
        return None
    if isinstance(score, bool) or not isinstance(score, Real) or not 0 <= score <= 1:
        raise ServiceFrameError(f"{where} gave {score!r}; a result is a number from 0 to 1")
    return score


# --- figures, in SQL -------------------------------------------------------------------------


def unit_holders() -> Subquery:
    """Who answers for an issue as a unit: its lead unit (主办) and co-handling units (协办)."""
    u = t.issue_units.c
    return select(u.issue_id, u.unit_id.label("holder"), u.role).subquery("holders")


def official_holders() -> Subquery:
    """Who answers for an issue as an official: the leader it is routed to."""
    r = t.issue_routing.c
    return (
        select(r.issue_id, r.official.label("holder"), literal_column("'lead'").label("role"))
        .where(r.official.is_not(None))
        .subquery("holders")
    )


def deadline_state(
    due: ColumnElement[Any], done: ColumnElement[Any], before_resolution: bool, today: Any
) -> ColumnElement[Any]:
    """One deadline judged as of ``today``, as the ledger judges it: met, missed, pending,
    overdue, or NULL when there is none or it no longer applies."""
    i = t.issues.c
    finished: ColumnElement[bool] = i.status.in_(["rejected", "merged"])
    if before_resolution:  # settled from above without the step: judged at the resolution
        done = func.coalesce(done, i.resolved_at)
        finished = or_(finished, i.status.in_(["resolved", "redo", "closed"]))
    return case(
        (due.is_(None), None),
        (
            done.is_not(None),
            case((shanghai_date(done) <= due, literal_column("'met'")), else_="missed"),
        ),
        (finished, None),
        (due < today, literal_column("'overdue'")),
        else_=literal_column("'pending'"),
    )


def figures(
    conn: Connection,
    holders: Subquery,
    orders_to: ColumnElement[Any],
    span: Period,
    today: Any,
    within: ColumnElement[bool] | None = None,
) -> dict[str, Figures]:
    """Every holder's figures for the period: three grouped queries; of the issues where
    ``within`` holds (a principal's issue_scope; None: all)."""
    start, end = span.start_at, span.end_at
    h, i, r = holders.c, t.issues.c, t.ratings.c
    scoped: ColumnElement[bool] = true() if within is None else within
    found: dict[str, dict[str, Any]] = {}

    def line(holder: str) -> dict[str, Any]:
        return found.setdefault(holder, {"key": holder, "name": holder, "jurisdiction": ""})

    rated = conn.execute(
        select(h.holder, h.role, *tally_columns())
        .select_from(t.ratings.join(holders, h.issue_id == r.issue_id))
        .where(r.rated_at >= start, r.rated_at < end, _issue_in(r.issue_id, within))
        .group_by(h.holder, h.role)
    )
    for row in rated:
        line(row.holder)["lead" if row.role == "lead" else "co"] = tally(row)

    def count(condition: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    dispatched = and_(i.dispatched_at >= start, i.dispatched_at < end)
    unrated = and_(i.status == "resolved", i.resolved_at >= start, i.resolved_at < end)
    states = {
        "acknowledge": deadline_state(i.ack_due, i.acknowledged_at, True, today),
        "feedback": deadline_state(i.feedback_due, i.first_feedback_at, True, today),
        "resolve": deadline_state(i.resolve_due, i.resolved_at, False, today),
    }
    columns = [
        count(dispatched).label("handled"),
        count(and_(dispatched, i.status.in_(["resolved", "closed"]))).label("resolved"),
        count(unrated).label("unrated"),
        *(
            count(and_(dispatched, states[d] == s)).label(f"{d}_{s}")
            for d in DEADLINES
            for s in STATES
        ),
    ]
    issues = conn.execute(
        select(h.holder, h.role, *columns)
        .select_from(t.issues.join(holders, h.issue_id == i.id))
        .where(or_(dispatched, unrated), scoped)
        .group_by(h.holder, h.role)
    )
    for row in issues:
        values = line(row.holder)
        if row.role == "lead":
            values |= {
                "handled": int(row.handled),
                "resolved": int(row.resolved),
                "unrated": int(row.unrated),
            }
            for d in DEADLINES:
                values[d] = DeadlineCounts(*(int(getattr(row, f"{d}_{s}")) for s in STATES))
        else:
            values |= {"handled_co": int(row.handled), "unrated_co": int(row.unrated)}

    s = t.supervision_orders.c
    for holder, n in conn.execute(
        select(orders_to, func.count())
        .where(
            s.created_at >= start,
            s.created_at < end,
            orders_to.is_not(None),
            _issue_in(s.issue_id, within),
        )
        .group_by(orders_to)
    ):
        line(holder)["supervision"] = int(n)
    return {key: Figures(**values) for key, values in found.items()}


def _issue_in(issue_id: ColumnElement[Any], within: ColumnElement[bool] | None) -> Any:
    """``issue_id`` is of an issue where ``within`` holds (None: any)."""
    if within is None:
        return true()
    return issue_id.in_(select(t.issues.c.id).where(within))


# --- output ----------------------------------------------------------------------------------


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def result_dict(result: Result) -> dict[str, Any]:
    f = result.figures
    return {
        "key": f.key,
        "name": f.name,
        "jurisdiction": f.jurisdiction,
        "rank": result.rank,
        "score": _rate(result.score),
        "ratings": {
            "satisfied": f.lead.satisfied,
            "basic": f.lead.basic,
            "unsatisfied": f.lead.unsatisfied,
            "rated": f.lead.rated,
        },
        "co_ratings": {
            "satisfied": f.co.satisfied,
            "basic": f.co.basic,
            "unsatisfied": f.co.unsatisfied,
            "rated": f.co.rated,
        },
        "unrated": f.unrated,
        "unrated_co": f.unrated_co,
        "handled": f.handled,
        "handled_co": f.handled_co,
        "resolved": f.resolved,
        "deadlines": {
            d: {
                "met": c.met,
                "missed": c.missed,
                "pending": c.pending,
                "overdue": c.overdue,
                "on_time_rate": _rate(c.on_time_rate),
            }
            for d, c in (
                ("acknowledge", f.acknowledge),
                ("feedback", f.feedback),
                ("resolve", f.resolve),
            )
        },
        "redo": f.redo,
        "supervision": f.supervision,
        "response_rate": _rate(f.response_rate),
    }


def assessment_dict(a: Assessment) -> dict[str, Any]:
    """The documented JSON of ``serviceframe assess``."""
    return {
        "period": {"text": str(a.period), "start": a.period.start, "end": a.period.end},
        "as_of": a.as_of,
        "jurisdiction": a.jurisdiction,
        "profile": {"name": a.profile, "label": a.profile_label, "plugin": a.profile_plugin},
        "rules": {
            "basic_weight": float(a.rules.basic_weight),
            "co_weight": float(a.rules.co_weight),
            "params": dict(a.rules.params),
        },
        "ranking": "competition (1224): equal results share a place, the next is skipped",
        "units": [result_dict(r) for r in a.units],
        "officials": [result_dict(r) for r in a.officials],
    }
