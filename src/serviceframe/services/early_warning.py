"""Early warning (预测预警, category 2; R6): the organisation file's rules over the monthly
indicators, computed in SQL over the whole store, each warning stored once per enterprise,
month and rule, told to the enterprise's contact leader and the unit in charge through the
outbox, and, where the rule says so, filed as an issue (source ``warning``).

The rules (domain/indicators.py, docs/warnings.md):

``yoy_drop``
    the month's figure is below the same month a year earlier by more than ``percent`` %;
``decline``
    the figure fell month on month ``months`` times in a row (so ``months + 1`` consecutive
    months are reported, each lower than the one before);
``below_industry``
    the figure is below the median of the enterprises of the same industry (GB/T 4754 at
    ``industry_digits`` digits) that reported that month by more than ``percent`` %, when at
    least ``min_peers`` of them did.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Select, and_, func, literal_column, select, update
from sqlalchemy.sql.elements import ColumnElement

from serviceframe.app import App
from serviceframe.domain.indicators import (
    INDICATORS,
    RuleKind,
    WarningRule,
    month_text,
    parse_month,
)
from serviceframe.domain.principal import Action
from serviceframe.errors import ServiceFrameError
from serviceframe.serialise import converter
from serviceframe.services.events import event_row
from serviceframe.store import tables as t
from serviceframe.store.sql import chunks


@frozen
class Found:
    """One enterprise's figure that a rule flags, before it is stored."""

    enterprise: str
    rule: str
    indicator: str
    value: float
    reference: float | None
    detail: str


@frozen
class EarlyWarning:
    """A stored warning, for people and JSON."""

    id: int
    enterprise: str
    enterprise_name: str
    jurisdiction: str
    month: str
    rule: str
    rule_title: str
    indicator: str
    indicator_label: str
    value: float
    reference: float | None
    detail: str
    raised_at: datetime
    issue_id: int | None


@frozen
class WarningRun:
    month: str | None
    rules: int
    raised: tuple[int, ...]  # ids of the warnings new this run
    issues: tuple[int, ...]  # issues filed for warnings this run
    warnings: tuple[EarlyWarning, ...]  # every warning of the month


def rules_of(uow: Any) -> list[WarningRule]:
    return converter.structure(uow.org.setting("warnings") or [], list[WarningRule])


# --- computing ---------------------------------------------------------------------------------


def evaluate(conn: Any, rules: Sequence[WarningRule], month_no: int) -> list[Found]:
    """What every rule flags in ``month_no``, over every enterprise: one query per rule."""
    found: list[Found] = []
    for rule in rules:
        query = {
            RuleKind.YOY_DROP: _yoy_drop,
            RuleKind.DECLINE: _decline,
            RuleKind.BELOW_INDUSTRY: _below_industry,
        }[rule.kind](rule, month_no)
        for row in conn.execute(query):
            found.append(
                Found(
                    row.enterprise_code,
                    rule.id,
                    rule.indicator,
                    row.value,
                    row.reference,
                    _detail(rule, row.value, row.reference),
                )
            )
    return found


def _yoy_drop(rule: WarningRule, month_no: int) -> Select[Any]:
    cur, before = t.indicators.alias("cur"), t.indicators.alias("before")
    # value < reference × (1 − p/100), written in whole numbers where the figures are.
    return (
        select(cur.c.enterprise_code, cur.c.value, before.c.value.label("reference"))
        .join(
            before,
            and_(
                before.c.enterprise_code == cur.c.enterprise_code,
                before.c.indicator == cur.c.indicator,
                before.c.month_no == cur.c.month_no - 12,
            ),
        )
        .where(
            cur.c.indicator == rule.indicator,
            cur.c.month_no == month_no,
            before.c.value > 0,
            cur.c.value * 100 < before.c.value * (100 - rule.percent),
        )
        .order_by(cur.c.enterprise_code)
    )


def _decline(rule: WarningRule, month_no: int) -> Select[Any]:
    """LAG over each enterprise's last ``months + 1`` months: every figure below the one
    before, and the oldest exactly ``months`` months back (no month missing between)."""
    i = t.indicators.c
    n = rule.months
    lags = [
        func.lag(i.value, literal_column(str(k)))  # a whole number from the checked rule
        .over(partition_by=i.enterprise_code, order_by=i.month_no)
        .label(f"v{k}")
        for k in range(1, n + 1)
    ]
    recent = (
        select(
            i.enterprise_code,
            i.month_no,
            i.value,
            func.lag(i.month_no, literal_column(str(n)))
            .over(partition_by=i.enterprise_code, order_by=i.month_no)
            .label("first_month"),
            *lags,
        )
        .where(i.indicator == rule.indicator, i.month_no.between(month_no - n, month_no))
        .subquery()
    )
    c = recent.c
    falling: list[ColumnElement[bool]] = [c.value < c.v1]
    falling += [c[f"v{k}"] < c[f"v{k + 1}"] for k in range(1, n)]
    return (
        select(c.enterprise_code, c.value, c[f"v{n}"].label("reference"))
        .where(c.month_no == month_no, c.first_month == month_no - n, *falling)
        .order_by(c.enterprise_code)
    )


def _below_industry(rule: WarningRule, month_no: int) -> Select[Any]:
    """The median per industry with ROW_NUMBER and COUNT windows (SQLite has no
    percentile function): the middle figure, or the mean of the middle two."""
    i, e = t.indicators.c, t.enterprises.c
    industry = func.substr(e.industry, 1, 1 + rule.industry_digits)
    ranked = (
        select(
            i.enterprise_code,
            i.value,
            industry.label("industry"),
            func.row_number().over(partition_by=industry, order_by=i.value).label("n"),
            func.count().over(partition_by=industry).label("peers"),
        )
        .join(t.enterprises, e.credit_code == i.enterprise_code)
        .where(i.indicator == rule.indicator, i.month_no == month_no)
        .cte("ranked")  # read twice (the median, then each figure): computed once
    )
    r = ranked.c
    middle = (
        select(r.industry, func.avg(r.value).label("median"))
        .where(r.n.in_([(r.peers + 1) // 2, (r.peers + 2) // 2]), r.peers >= rule.min_peers)
        .group_by(r.industry)
        .subquery()
    )
    return (
        select(r.enterprise_code, r.value, middle.c.median.label("reference"))
        .join(middle, middle.c.industry == r.industry)
        .where(middle.c.median > 0, r.value * 100 < middle.c.median * (100 - rule.percent))
        .order_by(r.enterprise_code)
    )


def _figure(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def _detail(rule: WarningRule, value: float, reference: float | None) -> str:
    label, unit = INDICATORS[rule.indicator]
    now = f"{label}{_figure(value)}{unit}"
    if rule.kind is RuleKind.YOY_DROP and reference:
        return f"{now},上年同月{_figure(reference)}{unit},同比下降{1 - value / reference:.1%}"
    if rule.kind is RuleKind.DECLINE:
        return (
            f"{now},连续{rule.months}个月环比下降({rule.months}个月前为{_figure(reference)}{unit})"
        )
    if reference:
        return f"{now},低于行业中位数({_figure(reference)}{unit}){1 - value / reference:.1%}"
    return now


# --- raising -----------------------------------------------------------------------------------


def raise_warnings(app: App, period: str | None = None, actor: str | None = None) -> WarningRun:
    """Apply every rule to the month ``period`` (``2026-03``; default the newest month with
    indicators), store the warnings not stored before, tell their recipients (through the
    outbox, in the same transaction), file issues for rules that ask for them, and return
    every warning of that month. Running it again raises nothing new."""
    from serviceframe.services.indicators import latest_month

    actor = actor or app.settings.actor
    now = app.now()
    with app.uow() as uow:
        uow.authorise(Action.SWEEP)
        if not uow.org.is_loaded():
            raise ServiceFrameError(
                "no organisation loaded yet; run `serviceframe org load FILE` first"
            )
        rules = rules_of(uow)
        month_no = parse_month(period, "period") if period else latest_month(uow)
        if month_no is None:
            return WarningRun(None, len(rules), (), (), ())
        found = evaluate(uow.connection, rules, month_no)
        raised = _store(uow, found, month_no, now, actor)
        uow.commit()
    issues = _file_issues(app, rules, month_no, actor)
    return WarningRun(
        month_text(month_no),
        len(rules),
        tuple(raised),
        tuple(issues),
        tuple(list_warnings(app, month_text(month_no))),
    )


def _store(uow: Any, found: Sequence[Found], month_no: int, now: datetime, actor: str) -> list[int]:
    w = t.warnings.c
    stored = {
        (r.enterprise_code, r.rule)
        for r in uow.connection.execute(
            select(w.enterprise_code, w.rule).where(w.month_no == month_no)
        )
    }
    new = [f for f in found if (f.enterprise, f.rule) not in stored]
    if not new:
        return []
    rows = [
        {
            "enterprise_code": f.enterprise,
            "month_no": month_no,
            "rule": f.rule,
            "indicator": f.indicator,
            "value": f.value,
            "reference": f.reference,
            "detail": f.detail[:300],
            "raised_at": now,
            "issue_id": None,
        }
        for f in new
    ]
    for batch in chunks(rows, 1000):
        uow.connection.execute(t.warnings.insert(), batch)
    ids = {
        (r.enterprise_code, r.rule): r.id
        for r in uow.connection.execute(
            select(w.id, w.enterprise_code, w.rule).where(
                w.month_no == month_no, w.raised_at == now
            )
        )
    }
    uow.record(
        [
            event_row(
                "warning_raised",
                f"warning:{ids[(f.enterprise, f.rule)]}",
                actor,
                now,
                warning=ids[(f.enterprise, f.rule)],
                enterprise=f.enterprise,
                month=month_text(month_no),
                rule=f.rule,
                indicator=f.indicator,
                value=f.value,
                reference=f.reference,
                detail=f.detail,
            )
            for f in new
        ]
    )
    return sorted(ids[(f.enterprise, f.rule)] for f in new)


def _file_issues(app: App, rules: Sequence[WarningRule], month_no: int, actor: str) -> list[int]:
    """Issues for the month's warnings whose rule asks for one and that have none yet (also
    those a failed earlier run left without): idempotent by (source, external id)."""
    from serviceframe.services.issues import IssueDraft, file_issues

    wanted = {r.id: r for r in rules if r.issue}
    if not wanted:
        return []
    w, e = t.warnings.c, t.enterprises.c
    with app.uow() as uow:
        rows = uow.connection.execute(
            select(w.id, w.enterprise_code, w.rule, w.detail, e.name)
            .join(t.enterprises, e.credit_code == w.enterprise_code)
            .where(w.month_no == month_no, w.issue_id.is_(None), w.rule.in_(sorted(wanted)))
            .order_by(w.id)
        ).all()
    if not rows:
        return []
    month = month_text(month_no)
    keys = {r.id: f"{r.enterprise_code}:{month}:{r.rule}" for r in rows}
    drafts = [
        IssueDraft(
            enterprise=r.enterprise_code,
            source="warning",
            title=f"{month}{wanted[r.rule].title}预警",
            body=f"{r.name}{month}{wanted[r.rule].title}:{r.detail}。",
            category=2,
            external_id=keys[r.id],
        )
        for r in rows
    ]
    report = file_issues(app, drafts, actor)
    if report.errors:
        first = report.errors[0]
        raise ServiceFrameError(
            f"warnings are stored, but {len(report.errors)} could not be filed as issues: "
            f"{first.field}={first.value!r}: {first.reason}"
        )
    with app.uow() as uow:
        ids = uow.issues.by_external_ids({("warning", k) for k in keys.values()})
        for warning_id, key in keys.items():
            if ("warning", key) in ids:
                uow.connection.execute(
                    update(t.warnings)
                    .where(t.warnings.c.id == warning_id)
                    .values(issue_id=ids[("warning", key)])
                )
        uow.commit()
    return sorted(ids.values())


# --- reading -----------------------------------------------------------------------------------


def list_warnings(
    app: App, period: str | None = None, jurisdiction: str | None = None
) -> list[EarlyWarning]:
    """The stored warnings of a month (default the newest month with any), of enterprises in
    ``jurisdiction`` and below it if given; by jurisdiction, enterprise and rule."""
    from serviceframe.services.configured import organisation_of

    w, e = t.warnings.c, t.enterprises.c
    with app.uow() as uow:
        uow.authorise(Action.READ)
        org = organisation_of(app, uow)
        # Those who see everything: any place; a county office its own (by default all).
        asked = org.descendants(org.resolve(jurisdiction)) if jurisdiction else None
        places = uow.principal.report_places(org, asked)
        rules = {r.id: r for r in rules_of(uow)}
        if period:
            month_no = parse_month(period, "period")
        else:
            month_no = uow.connection.scalar(select(func.max(w.month_no)))
            if month_no is None:
                return []
        q = (
            select(t.warnings, e.name, e.jurisdiction_code)
            .join(t.enterprises, e.credit_code == w.enterprise_code)
            .where(w.month_no == month_no)
        )
        if places is not None:
            q = q.where(e.jurisdiction_code.in_(places))
        rows = uow.connection.execute(
            q.order_by(e.jurisdiction_code, w.enterprise_code, w.rule)
        ).all()
    return [
        EarlyWarning(
            r.id,
            r.enterprise_code,
            r.name,
            r.jurisdiction_code,
            month_text(r.month_no),
            r.rule,
            rules[r.rule].title if r.rule in rules else r.rule,
            r.indicator,
            INDICATORS.get(r.indicator, (r.indicator, ""))[0],
            r.value,
            r.reference,
            r.detail,
            r.raised_at,
            r.issue_id,
        )
        for r in rows
    ]


# --- telling -----------------------------------------------------------------------------------


def notices(
    app: App, uow: Any, plan: Any, events: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Outbox rows for the ``warning_raised`` events of a unit of work (called by
    services/notifications.py before it commits): to each current contact leader (领导分包)
    of the enterprise, and to the unit in charge, through its liaison leader for the
    enterprise or else its head."""
    from serviceframe.orgfile import WarningNotices
    from serviceframe.services import addresses
    from serviceframe.services.configured import organisation_of
    from serviceframe.services.notifications import compose_message

    raised = [e for e in events if e["kind"] == "warning_raised"]
    if not raised:
        return []
    settings = converter.structure(uow.org.setting("warning_notices") or {}, WarningNotices)
    if not settings.enabled:
        return []
    org = organisation_of(app, uow)
    rules = {r.id: r for r in rules_of(uow)}
    codes = {e["data"]["enterprise"] for e in raised}
    enterprises = uow.enterprises.get_many(codes)
    liaisons = addresses.current_liaisons(uow, codes)
    a = t.assignments.c
    contacts: dict[str, list[str]] = {}
    for row in uow.connection.execute(
        select(a.enterprise_code, a.official_id)
        .where(a.kind == "contact", a.valid_to.is_(None), a.enterprise_code.in_(sorted(codes)))
        .order_by(a.enterprise_code, a.official_id)
    ):
        contacts.setdefault(row.enterprise_code, []).append(row.official_id)
    people = {o.id: o for o in org.officials}
    rows = []
    for event in raised:
        data = event["data"]
        enterprise = enterprises.get(data["enterprise"])
        if enterprise is None:
            continue
        recipients = [
            addresses.of_official(people[o])
            for o in contacts.get(enterprise.credit_code, [])
            if o in people and people[o].active
        ]
        group = org.running_group(enterprise.jurisdiction)
        unit = settings.unit or (group.office if group else None)
        if unit:
            receiver = addresses.for_unit(org, unit, enterprise.credit_code, liaisons)
            if receiver is not None and receiver not in recipients:
                recipients.append(receiver)
        rule = rules.get(data["rule"])
        values = {
            "enterprise": enterprise.name,
            "enterprise_code": enterprise.credit_code,
            "month": data["month"],
            "rule": rule.title if rule else data["rule"],
            "detail": data["detail"],
        }
        for recipient in recipients:
            rows.append(
                compose_message(
                    org,
                    plan,
                    recipient,
                    settings.subject,
                    settings.body,
                    values,
                    kind="warning",
                    channels=settings.channels,
                    cause=f"{event['subject']} warning_raised",
                    now=event["at"],
                )
            )
    return rows
