"""The service ledger (服务台帐, R3; category 7): per unit and period, every issue the unit received
first or handled, who owned it when, each deadline and whether it was kept, and the rating.

An issue belongs to a unit's ledger when the unit (or one of its officials) first received it
(首问), or it was dispatched to the unit as lead (主办) or co-handling unit (协办). It belongs to
a period when it was received in it, or dispatched to the unit in it (Beijing dates, inclusive).

The ledger is read with a few set-based queries (issues joined to their units, enterprises and
latest rating), never one query per issue. Deadlines are judged "as of now" (``app.clock``):

* met (按期完成): done by the end of the due day, Beijing time;
* missed (逾期完成): done, but after the due day;
* pending (未到期): not done, the due day not over yet;
* overdue (超期未完成): not done and the due day is over.

An issue settled from above (a widespread cluster resolved, an executive meeting's decision) is
resolved without being acknowledged or fed back on; those steps are then judged at the moment of
resolution. A step that will never be done (the issue was rejected or merged) is not judged.

Each row shows the issue's latest rating; the summary counts every rating of the ledger's
issues, one per resolution round, and scores them as the assessment does
(:mod:`serviceframe.domain.satisfaction`).

It is exported as CSV (UTF-8 with BOM by default, or GBK) and XLSX with Chinese headers.
"""

import codecs
import csv
import io
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

from attrs import frozen
from sqlalchemy import (
    Connection,
    Date,
    and_,
    case,
    func,
    literal,
    null,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.types import NullType

from serviceframe.app import App
from serviceframe.domain.assessment import DeadlineCounts
from serviceframe.domain.categories import Category
from serviceframe.domain.issue import Satisfaction, Severity, Status
from serviceframe.domain.period import Period, parse_period
from serviceframe.domain.principal import PrincipalKind
from serviceframe.domain.satisfaction import Tally, weight
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import ValidationError
from serviceframe.plugins.sources import BUILTIN_SOURCES
from serviceframe.services.configured import assessment_rules, organisation_of
from serviceframe.store import tables as t
from serviceframe.store.ratings import tally_of_issues
from serviceframe.store.scope import issue_scope
from serviceframe.store.sqlfunc import shanghai_date

# --- periods ---------------------------------------------------------------------------------


_NO_UNIT = "give a unit or a jurisdiction"

# --- rows ------------------------------------------------------------------------------------


class Role(StrEnum):
    RECEIVED = "received"  # 首问: first received it (the unit or one of its officials)
    LEAD = "lead"  # 主办
    CO = "co"  # 协办

    @property
    def label(self) -> str:
        return {"received": "首问", "lead": "主办", "co": "协办"}[self.value]


class DeadlineState(StrEnum):
    MET = "met"
    MISSED = "missed"
    PENDING = "pending"
    OVERDUE = "overdue"

    @property
    def label(self) -> str:
        return DEADLINE_STATE_LABELS[self]


DEADLINE_STATE_LABELS = {
    DeadlineState.MET: "按期完成",
    DeadlineState.MISSED: "逾期完成",
    DeadlineState.PENDING: "未到期",
    DeadlineState.OVERDUE: "超期未完成",
}

DEADLINE_NAMES = ("acknowledge", "feedback", "resolve")
DEADLINE_LABELS = {"acknowledge": "签收", "feedback": "反馈", "resolve": "办结"}
PROVISIONAL_SUFFIX = "(暂定)"


@frozen
class DeadlineCheck:
    """One deadline of one issue, judged as of the ledger's ``now``.

    ``state`` is None when there is no deadline (not dispatched yet) or it no longer applies
    (the issue was rejected or merged before the step was done). ``done_at`` is when the step
    itself was done; None for a step overtaken by a resolution from above.
    """

    due: date | None
    provisional: bool
    done_at: datetime | None
    state: DeadlineState | None

    @property
    def due_text(self) -> str:
        if self.due is None:
            return ""
        return self.due.isoformat() + (PROVISIONAL_SUFFIX if self.provisional else "")

    @property
    def state_label(self) -> str:
        return self.state.label if self.state else ""


@frozen
class OwnerSpan:
    """Who owned the issue (首问负责) from ``since`` on."""

    owner: str
    since: datetime


def _column(name: str) -> Any:
    """A LedgerRow attribute read straight from the query's row."""
    return property(lambda row: getattr(row._r, name))


def _moment(name: str) -> Any:
    """A LedgerRow time: the stored UTC time, converted when used, shown in Beijing time."""
    return property(lambda row: _local(row._stored.moment(getattr(row._r, name))))


class _Stored:
    """The conversions of stored times and dates, done by the ledger's rows only when a value
    is used (the query returns them as the driver gives them: most are never shown)."""

    def __init__(self, dialect: Any) -> None:
        def processor(column: Any) -> Any:
            convert = column.type.dialect_impl(dialect).result_processor(dialect, None)
            return convert or (lambda value: value)

        self.moment = processor(t.issues.c.received_at)
        self.day = processor(t.issues.c.ack_due)


class LedgerRow:
    """One issue on the ledger, read from its row of the ledger's query as it is used.

    A ledger of a busy department has tens of thousands of rows; the query already judged the
    deadlines, so building the ledger makes no object per row but this small view, and the
    conversions (enums, Beijing times, deadline checks) are done only for what is shown.
    """

    __slots__ = ("_co", "_r", "_stored")

    def __init__(self, record: Any, co: Sequence[tuple[str, str]], stored: _Stored) -> None:
        self._r = record
        self._co = co
        self._stored = stored

    issue_id: int = _column("id")
    enterprise_code: str = _column("enterprise_code")
    enterprise_name: str = _column("enterprise_name")
    source: str = _column("source")
    title: str = _column("title")
    received_by: str = _column("received_by")
    lead_unit: str | None = _column("lead_unit")
    owner: str = _column("owner")
    redo_count: int = _column("redo_count")
    received_at: datetime = _moment("received_at")
    dispatched_at: datetime | None = _moment("dispatched_at")
    acknowledged_at: datetime | None = _moment("acknowledged_at")
    first_feedback_at: datetime | None = _moment("first_feedback_at")
    resolved_at: datetime | None = _moment("resolved_at")
    rated_at: datetime | None = _moment("latest_rated_at")

    @property
    def source_label(self) -> str:
        return BUILTIN_SOURCES.get(self._r.source, self._r.source)

    @property
    def category(self) -> Category:
        return Category(self._r.category)

    @property
    def severity(self) -> Severity:
        return Severity(self._r.severity)

    @property
    def status(self) -> Status:
        return Status(self._r.status)

    @property
    def satisfaction(self) -> Satisfaction | None:
        value = self._r.latest_satisfaction
        return Satisfaction(value) if value else None

    @property
    def rating_comment(self) -> str:
        return self._r.latest_comment or ""

    @property
    def roles(self) -> tuple[Role, ...]:
        return (
            *((Role.RECEIVED,) if self._r.received_here else ()),
            *((Role.LEAD,) if self._r.lead_here else ()),
            *((Role.CO,) if self._r.co_here else ()),
        )

    @property
    def received_by_name(self) -> str:
        return self._r.receiver_name or self._r.received_by

    @property
    def lead_unit_name(self) -> str:
        return self._r.lead_name or (self._r.lead_unit or "")

    @property
    def co_units(self) -> tuple[str, ...]:
        return tuple(unit_id for unit_id, _ in self._co)

    @property
    def co_unit_names(self) -> tuple[str, ...]:
        return tuple(name for _, name in self._co)

    @property
    def owner_history(self) -> tuple[OwnerSpan, ...]:
        history = [OwnerSpan(self._r.received_by, self.received_at)]
        acknowledged = self.acknowledged_at
        if acknowledged is not None and self._r.lead_unit:
            history.append(OwnerSpan(self._r.lead_unit, acknowledged))
        return tuple(history)

    @property
    def acknowledge(self) -> DeadlineCheck:
        r = self._r
        return self._check(r.ack_due, r.ack_provisional, self.acknowledged_at, r.acknowledge_state)

    @property
    def feedback(self) -> DeadlineCheck:
        r = self._r
        return self._check(
            r.feedback_due, r.feedback_provisional, self.first_feedback_at, r.feedback_state
        )

    @property
    def resolve(self) -> DeadlineCheck:
        r = self._r
        return self._check(r.resolve_due, r.resolve_provisional, self.resolved_at, r.resolve_state)

    def _check(
        self, due: Any, provisional: Any, done_at: datetime | None, state: str | None
    ) -> DeadlineCheck:
        return DeadlineCheck(
            self._stored.day(due),
            bool(provisional),
            done_at,
            DeadlineState(state) if state else None,
        )

    @property
    def role_label(self) -> str:
        return "、".join(r.label for r in self.roles)

    @property
    def owner_history_text(self) -> str:
        """``jz-edsb 2026-09-28 10:00 → jz-fgw 2026-09-29 09:12`` (Beijing time)."""
        return " → ".join(f"{s.owner} {_minute(s.since)}" for s in self.owner_history)

    @property
    def deadlines(self) -> dict[str, DeadlineCheck]:
        return {
            "acknowledge": self.acknowledge,
            "feedback": self.feedback,
            "resolve": self.resolve,
        }

    def __repr__(self) -> str:
        return f"LedgerRow(issue_id={self.issue_id}, roles={self.role_label})"


@frozen
class LedgerSummary:
    total: int
    received: int  # 首问
    handled: int  # 主办 or 协办
    lead: int
    co: int
    resolved: int  # resolved in the current round (办结), rated or not
    acknowledge: DeadlineCounts
    feedback: DeadlineCounts
    resolve: DeadlineCounts
    # Every rating of the ledger's issues, one per resolution round (domain.satisfaction).
    satisfied: int
    basic: int
    unsatisfied: int
    basic_weight: Fraction = Fraction(4, 5)

    @property
    def rated(self) -> int:
        return self.satisfied + self.basic + self.unsatisfied

    @property
    def satisfaction_rate(self) -> float | None:
        """满意度: the assessment's score of these ratings (domain.satisfaction)."""
        rate = Tally(self.satisfied, self.basic, self.unsatisfied).rate(self.basic_weight)
        return None if rate is None else float(rate)


@frozen
class Ledger:
    unit: str
    unit_name: str
    period: Period
    generated_at: datetime  # the "now" the deadlines were judged at
    rows: tuple[LedgerRow, ...]
    summary: LedgerSummary


def build_ledger(
    app: App,
    unit: str | None,
    period: str | Period,
    now: datetime | None = None,
    jurisdiction: str | None = None,
    depth: int | None = None,
) -> Ledger:
    """The ledger of ``unit`` for ``period``; deadlines judged as of ``now`` (default app.clock).

    With ``jurisdiction`` (code or name) instead of a unit: the ledger of every unit of that
    jurisdiction and of the places below it (to ``depth`` levels), rolled up into one: an
    issue appears once, with the roles those units had in it.

    Who may (docs/identities.md): those who see everything, any ledger; a county office the
    ledger of its jurisdiction tree (the default without ``unit`` and ``jurisdiction``) or of a
    unit of it; a department handler its own (the default without ``unit``). Either way only
    the issues in the principal's scope are counted. Anything else raises Forbidden.

    Raises ValidationError("unit", …) for an unknown unit and ValidationError("period", …) for
    a period that cannot be read.
    """
    if not isinstance(period, Period):
        period = parse_period(period)
    now = (now or app.now()).astimezone(SHANGHAI)
    with app.uow() as uow:
        me = uow.principal
        conn = uow.connection
        # A county office without a unit or a place: the ledger of its own tree.
        if jurisdiction or (not unit and me.kind is PrincipalKind.OFFICE and not me.everywhere):
            org = organisation_of(app, uow)
            top = me.report_place(org, jurisdiction)
            places = org.descendants(top, depth)
            units = list(
                conn.scalars(select(t.units.c.id).where(t.units.c.jurisdiction_code.in_(places)))
            )
            key, name = (
                top,
                org.place(top) + ("及所辖县(市、区)各单位" if len(places) > 1 else "各单位"),
            )
        else:
            # A department without a unit: its own ledger.
            key = str(unit or (me.id if me.kind is PrincipalKind.HANDLER else "")).strip()
            found = conn.execute(
                select(t.units.c.name, t.units.c.jurisdiction_code).where(t.units.c.id == key)
            ).first()
            me.report_unit(key, found.jurisdiction_code if found else None)
            if found is None:
                raise ValidationError("unit", key, "no such unit" if key else _NO_UNIT)
            name, units = found.name, [key]
        # Only the issues the principal sees, in SQL: a county office's ledger of a unit
        # that also served enterprises elsewhere shows its own places' issues only.
        rows = ledger_rows(conn, units, period, now, issue_scope(me))
        ratings = tally_of_issues(conn, [r.issue_id for r in rows])
    basic_weight = weight(assessment_rules(app).basic_weight)
    return Ledger(key, name, period, now, tuple(rows), summarise(rows, ratings, basic_weight))


def ledger_rows(
    conn: Connection,
    units: Sequence[str],
    period: Period,
    now: datetime,
    within: ColumnElement[bool] | None = None,
) -> list[LedgerRow]:
    """The rows of the issues ``units`` received first or handled (and ``within`` holds: a
    principal's :func:`~serviceframe.store.scope.issue_scope`), with set-based SQL: one
    query for the issues (only the columns the ledger shows, every deadline judged by the
    database), one for their co units."""
    i, u = t.issues.c, t.issue_units.c
    # Per issue: whether one of the units led it, co-handled it (one row per issue, however
    # many of the units took part).
    mine = (
        select(
            u.issue_id,
            func.max(case((u.role == "lead", 1), else_=0)).label("lead"),
            func.max(case((u.role == "co", 1), else_=0)).label("co"),
        )
        .where(u.unit_id.in_(units))
        .group_by(u.issue_id)
        .subquery("mine")
    )
    receiver_unit = t.units.alias("receiver_unit")
    receiver_official = t.officials.alias("receiver_official")
    lead = t.units.alias("lead")
    r = t.ratings.c
    latest = (
        select(r.issue_id, func.max(r.round).label("round")).group_by(r.issue_id).subquery("latest")
    )

    # First inquiry by the unit itself or by one of its officials.
    officials = select(t.officials.c.id).where(t.officials.c.unit_id.in_(units))
    received_here = or_(i.received_by.in_(units), i.received_by.in_(officials))
    handled_here = mine.c.issue_id.is_not(None)
    start, end = period.start_at, period.end_at
    in_period = or_(
        and_(i.received_at >= start, i.received_at < end),
        and_(handled_here, i.dispatched_at >= start, i.dispatched_at < end),
    )
    joined = t.issues.join(
        t.enterprises, t.enterprises.c.credit_code == i.enterprise_code
    ).outerjoin(mine, mine.c.issue_id == i.id)
    scoped = true() if within is None else within
    where = and_(or_(received_here, handled_here), in_period, scoped)
    today = now.astimezone(SHANGHAI).date()

    # Times, dates and flags as the driver gives them; LedgerRow converts what is used.
    raw = [
        type_coerce(column, NullType()).label(column.name)
        for column in (
            *(i.received_at, i.dispatched_at, i.acknowledged_at, i.first_feedback_at),
            *(i.resolved_at, i.ack_due, i.ack_provisional, i.feedback_due),
            *(i.feedback_provisional, i.resolve_due, i.resolve_provisional),
        )
    ]
    query = (
        select(
            *(i.id, i.enterprise_code, i.source, i.title, i.category, i.severity, i.status),
            *(i.received_by, i.lead_unit, i.owner, i.redo_count),
            *raw,
            deadline_state(i.ack_due, i.acknowledged_at, True, today).label("acknowledge_state"),
            deadline_state(i.feedback_due, i.first_feedback_at, True, today).label(
                "feedback_state"
            ),
            deadline_state(i.resolve_due, i.resolved_at, False, today).label("resolve_state"),
            t.enterprises.c.name.label("enterprise_name"),
            mine.c.lead.label("lead_here"),
            mine.c.co.label("co_here"),
            received_here.label("received_here"),
            func.coalesce(receiver_unit.c.name, receiver_official.c.name).label("receiver_name"),
            lead.c.name.label("lead_name"),
            t.ratings.c.satisfaction.label("latest_satisfaction"),
            t.ratings.c.comment.label("latest_comment"),
            type_coerce(t.ratings.c.rated_at, NullType()).label("latest_rated_at"),
        )
        .select_from(
            joined.outerjoin(receiver_unit, receiver_unit.c.id == i.received_by)
            .outerjoin(receiver_official, receiver_official.c.id == i.received_by)
            .outerjoin(lead, lead.c.id == i.lead_unit)
            .outerjoin(latest, latest.c.issue_id == i.id)
            .outerjoin(
                t.ratings,
                and_(t.ratings.c.issue_id == i.id, t.ratings.c.round == latest.c.round),
            )
        )
        .where(where)
        .order_by(i.received_at, i.id)
    )
    records = conn.execute(query).all()

    co: dict[int, list[tuple[str, str]]] = {}
    if records:
        u = t.issue_units.c
        co_query = (
            select(u.issue_id, u.unit_id, t.units.c.name)
            .join(t.units, t.units.c.id == u.unit_id)
            .where(u.role == "co", u.issue_id.in_(select(i.id).select_from(joined).where(where)))
            .order_by(u.issue_id, u.unit_id)
        )
        for issue_id, unit_id, name in conn.execute(co_query):
            co.setdefault(issue_id, []).append((unit_id, name))
    stored = _Stored(conn.dialect)
    return [LedgerRow(rec, co.get(rec.id, ()), stored) for rec in records]


def deadline_state(
    due: ColumnElement[Any], done: ColumnElement[Any], before_resolution: bool, today: date
) -> ColumnElement[Any]:
    """One deadline judged as of ``today`` (a Beijing date), by the database:

    * met (按期完成) / missed (逾期完成): done by the end of the due day, or after it;
    * pending (未到期) / overdue (超期未完成): not done, the due day not over yet, or over;
    * NULL: no deadline (not dispatched), or it no longer applies (rejected or merged).

    The steps before resolution (``before_resolution``: acknowledge, feedback) of an issue
    settled from above without them are judged at the moment of resolution; if that
    resolution was sent back (redo), its moment is no longer on the row and the step is left
    unjudged rather than called overdue for ever.
    """
    i = t.issues.c
    finished: ColumnElement[bool] = i.status.in_(["rejected", "merged"])
    if before_resolution:
        done = func.coalesce(done, i.resolved_at)
        finished = or_(finished, i.status.in_(["resolved", "redo", "closed"]))
    return case(
        (due.is_(None), null()),
        (done.is_not(None), case((shanghai_date(done) > due, "missed"), else_="met")),
        (finished, null()),
        (literal(today, Date) > due, "overdue"),
        else_="pending",
    )


def _local(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(SHANGHAI)


def summarise(
    rows: Iterable[LedgerRow], ratings: Tally, basic_weight: Fraction = Fraction(4, 5)
) -> LedgerSummary:
    """The counts of the ledger, from the query's rows (deadlines as the database judged them)
    and every rating of its issues (``ratings``)."""
    states: dict[str, Counter[str | None]] = {name: Counter() for name in DEADLINE_NAMES}
    roles: Counter[str | None] = Counter()
    total = received = resolved = 0
    for row in rows:
        r = row._r
        total += 1
        received += bool(r.received_here)
        resolved += r.resolved_at is not None
        roles["lead"] += bool(r.lead_here)
        roles["co"] += bool(r.co_here)
        roles["handled"] += bool(r.lead_here or r.co_here)
        states["acknowledge"][r.acknowledge_state] += 1
        states["feedback"][r.feedback_state] += 1
        states["resolve"][r.resolve_state] += 1

    def deadline(name: str) -> DeadlineCounts:
        c = states[name]
        return DeadlineCounts(c["met"], c["missed"], c["pending"], c["overdue"])

    return LedgerSummary(
        total=total,
        received=received,
        handled=roles["handled"],
        lead=roles["lead"],
        co=roles["co"],
        resolved=resolved,
        acknowledge=deadline("acknowledge"),
        feedback=deadline("feedback"),
        resolve=deadline("resolve"),
        satisfied=ratings.satisfied,
        basic=ratings.basic,
        unsatisfied=ratings.unsatisfied,
        basic_weight=basic_weight,
    )


# --- JSON ------------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _minute(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def row_dict(row: LedgerRow) -> dict[str, Any]:
    return {
        "issue_id": row.issue_id,
        "enterprise": {"code": row.enterprise_code, "name": row.enterprise_name},
        "source": row.source,
        "source_label": row.source_label,
        "title": row.title,
        "category": int(row.category),
        "category_label": row.category.label,
        "severity": row.severity.value,
        "severity_label": row.severity.label,
        "roles": [r.value for r in row.roles],
        "role_label": row.role_label,
        "received_by": row.received_by,
        "received_by_name": row.received_by_name,
        "lead_unit": row.lead_unit,
        "co_units": list(row.co_units),
        "owner": row.owner,
        "owner_history": [
            {"owner": s.owner, "since": s.since.isoformat()} for s in row.owner_history
        ],
        "owner_history_text": row.owner_history_text,
        "received_at": _iso(row.received_at),
        "dispatched_at": _iso(row.dispatched_at),
        "acknowledged_at": _iso(row.acknowledged_at),
        "first_feedback_at": _iso(row.first_feedback_at),
        "resolved_at": _iso(row.resolved_at),
        "deadlines": {
            name: {
                "due": check.due.isoformat() if check.due else None,
                "provisional": check.provisional,
                "done_at": _iso(check.done_at),
                "state": check.state.value if check.state else None,
                "state_label": check.state_label,
            }
            for name, check in row.deadlines.items()
        },
        "status": row.status.value,
        "status_label": row.status.label,
        "redo_count": row.redo_count,
        "satisfaction": row.satisfaction.value if row.satisfaction else None,
        "satisfaction_label": row.satisfaction.label if row.satisfaction else None,
        "rating_comment": row.rating_comment,
        "rated_at": _iso(row.rated_at),
    }


def summary_dict(summary: LedgerSummary) -> dict[str, Any]:
    def deadline(c: DeadlineCounts) -> dict[str, Any]:
        return {
            "met": c.met,
            "missed": c.missed,
            "pending": c.pending,
            "overdue": c.overdue,
            "on_time_rate": c.on_time_rate,
        }

    return {
        "total": summary.total,
        "received": summary.received,
        "handled": summary.handled,
        "lead": summary.lead,
        "co": summary.co,
        "resolved": summary.resolved,
        "deadlines": {
            "acknowledge": deadline(summary.acknowledge),
            "feedback": deadline(summary.feedback),
            "resolve": deadline(summary.resolve),
        },
        "satisfied": summary.satisfied,
        "basic": summary.basic,
        "unsatisfied": summary.unsatisfied,
        "rated": summary.rated,
        "satisfaction_rate": summary.satisfaction_rate,
    }


def ledger_dict(ledger: Ledger) -> dict[str, Any]:
    """The documented JSON of a ledger: ISO dates, Beijing times with their offset."""
    return {
        "unit": ledger.unit,
        "unit_name": ledger.unit_name,
        "period": {"start": ledger.period.start.isoformat(), "end": ledger.period.end.isoformat()},
        "generated_at": ledger.generated_at.isoformat(),
        "rows": [row_dict(r) for r in ledger.rows],
        "summary": summary_dict(ledger.summary),
    }


# --- export ----------------------------------------------------------------------------------

HEADERS = (
    "编号",
    "统一社会信用代码",
    "企业名称",
    "来源",
    "标题",
    "类别",
    "性质",
    "本单位角色",
    "首问责任单位",
    "主办单位",
    "协办单位",
    "责任归属变化",
    "受理时间",
    "交办时间",
    "签收期限",
    "签收时间",
    "签收情况",
    "反馈期限",
    "首次反馈时间",
    "反馈情况",
    "办结期限",
    "办结时间",
    "办结情况",
    "状态",
    "重办次数",
    "满意度",
    "评价意见",
)
_TIME_COLUMNS = frozenset({"受理时间", "交办时间", "签收时间", "首次反馈时间", "办结时间"})
_FREE_TEXT = frozenset({"企业名称", "标题", "评价意见"})


def row_cells(row: LedgerRow) -> list[Any]:
    """One ledger row in the order of HEADERS; times stay datetimes (Beijing time)."""
    acknowledge, feedback, resolve = row.acknowledge, row.feedback, row.resolve
    satisfaction = row.satisfaction
    return [
        row.issue_id,
        row.enterprise_code,
        row.enterprise_name,
        row.source_label,
        row.title,
        row.category.label,
        row.severity.label,
        row.role_label,
        row.received_by_name,
        row.lead_unit_name,
        "、".join(row.co_unit_names),
        row.owner_history_text,
        row.received_at,
        row.dispatched_at,
        acknowledge.due_text,
        acknowledge.done_at,
        acknowledge.state_label,
        feedback.due_text,
        feedback.done_at,
        feedback.state_label,
        resolve.due_text,
        resolve.done_at,
        resolve.state_label,
        row.status.label,
        row.redo_count,
        satisfaction.label if satisfaction else "",
        row.rating_comment,
    ]


def _defuse(text: str) -> str:
    """Text an enterprise typed must not run as a spreadsheet formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def summary_lines(ledger: Ledger) -> list[tuple[str, Any]]:
    """(label, value) pairs of the summary, in Chinese, as the 汇总 sheet shows them."""
    s = ledger.summary
    lines: list[tuple[str, Any]] = [
        ("单位", f"{ledger.unit_name}({ledger.unit})"),
        ("期间", f"{ledger.period.start.isoformat()} 至 {ledger.period.end.isoformat()}"),
        ("统计时间", _minute(ledger.generated_at)),
        ("台帐件数", s.total),
        ("首问受理", s.received),
        ("承办(主办+协办)", s.handled),
        ("其中主办", s.lead),
        ("其中协办", s.co),
        ("已办结", s.resolved),
    ]
    for name in DEADLINE_NAMES:
        counts: DeadlineCounts = getattr(s, name)
        label = DEADLINE_LABELS[name]
        lines += [
            (f"{label}{DeadlineState.MET.label}", counts.met),
            (f"{label}{DeadlineState.MISSED.label}", counts.missed),
            (f"{label}{DeadlineState.PENDING.label}", counts.pending),
            (f"{label}{DeadlineState.OVERDUE.label}", counts.overdue),
            (f"{label}按期率", counts.on_time_rate),
        ]
    lines += [
        ("满意", s.satisfied),
        ("基本满意", s.basic),
        ("不满意", s.unsatisfied),
        ("评价次数(每轮均计)", s.rated),
        (f"满意度(基本满意按{float(s.basic_weight):g}计)", s.satisfaction_rate),
    ]
    return lines


def normalise_encoding(encoding: str | None) -> str:
    """``utf-8-sig`` by default; GBK and GB2312 are written as GB18030, their superset, so that
    a rare character in a name is kept instead of failing (GBK text is byte-for-byte the same)."""
    if not encoding:
        return "utf-8-sig"
    key = encoding.strip().lower().replace("_", "-")
    if key.replace("-", "") in ("gbk", "gb2312", "cp936", "gb18030"):
        return "gb18030"
    try:
        return codecs.lookup(key).name
    except LookupError:
        raise ValidationError(
            "encoding", encoding, "unknown encoding; use utf-8-sig or gbk"
        ) from None


def csv_text(ledger: Ledger) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for row in ledger.rows:
        cells = []
        for header, value in zip(HEADERS, row_cells(row), strict=True):
            if isinstance(value, datetime):
                value = _minute(value)
            elif value is None:
                value = ""
            elif header in _FREE_TEXT:
                value = _defuse(str(value))
            cells.append(value)
        writer.writerow(cells)
    return buffer.getvalue()


def write_csv(ledger: Ledger, out: str | Path | IO[bytes], encoding: str | None = None) -> None:
    """CSV for Excel: UTF-8 with BOM by default (Excel on Chinese Windows reads it), or GBK."""
    data = csv_text(ledger).encode(normalise_encoding(encoding))
    if isinstance(out, str | Path):
        Path(out).write_bytes(data)
    else:
        out.write(data)


def write_xlsx(ledger: Ledger, out: str | Path | IO[bytes]) -> None:
    """XLSX: the ledger sheet (bold frozen header, filters, column widths) and 汇总."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "服务台帐"
    sheet.append(list(HEADERS))
    widths = [_display_width(h) for h in HEADERS]
    for row in ledger.rows:
        values: list[Any] = []
        for n, value in enumerate(row_cells(row)):
            if isinstance(value, datetime):
                value = value.astimezone(SHANGHAI).replace(tzinfo=None)  # Excel has no zones
                widths[n] = max(widths[n], 16)
            else:
                widths[n] = max(widths[n], _display_width(str(value)))
            values.append(value)
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text an enterprise typed is never a formula
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{max(sheet.max_row, 1)}"
    for n, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = min(max(width + 2, 8), 60)

    summary = workbook.create_sheet("汇总")
    summary.append(["项目", "数值"])
    for cell in summary[1]:
        cell.font = bold
        cell.fill = fill
    for label, value in summary_lines(ledger):
        summary.append([label, value])
        if isinstance(value, float):
            summary.cell(summary.max_row, 2).number_format = "0.0%"
    summary.freeze_panes = "A2"
    summary.column_dimensions["A"].width = 26
    summary.column_dimensions["B"].width = max(
        16, *(_display_width(str(v)) + 2 for _, v in summary_lines(ledger))
    )
    workbook.save(out)


def _display_width(text: str) -> int:
    """Columns a text takes: a Chinese character is about two Latin ones wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


FORMATS = ("csv", "xlsx")


def format_for(path: str | Path, fmt: str | None = None) -> str:
    """The export format: the one given, else from the file's suffix."""
    if fmt:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise ValidationError("format", fmt, "use csv or xlsx")
        return fmt
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise ValidationError(
        "format", suffix or str(path), "cannot tell the format from the file name; give csv or xlsx"
    )


def export_ledger(
    ledger: Ledger, path: str | Path, fmt: str | None = None, encoding: str | None = None
) -> str:
    """Write the ledger to ``path`` as CSV or XLSX (from ``fmt`` or the suffix); the format."""
    fmt = format_for(path, fmt)
    if fmt == "xlsx":
        if encoding:
            raise ValidationError("encoding", encoding, "applies to CSV only; XLSX is always UTF-8")
        write_xlsx(ledger, path)
    else:
        write_csv(ledger, path, encoding)
    return fmt
