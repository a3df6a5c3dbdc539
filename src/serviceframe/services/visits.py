"""Recording visits, symposiums and on-site office days (R5), one by one or from a clerk's sheet.

A finding that raises a problem becomes an issue through the normal intake (``file_issues``):
source ``visit``, origin ``visit:<id>``, first received (首问) by the first unit that went,
received on the day of the visit. Everything a visit names is checked before anything is
stored, so the issues it raises are filed for certain once the visit is.
"""

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from attrs import evolve, frozen
from sqlalchemy import or_, select

from serviceframe.app import App
from serviceframe.domain.categories import parse_category
from serviceframe.domain.credit_code import normalise_credit_code
from serviceframe.domain.issue import MAX_BODY, validate_text
from serviceframe.domain.organisation import Organisation
from serviceframe.domain.principal import Action
from serviceframe.domain.visit import Finding, Visit, VisitKind, parse_kind
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import NotFound, ServiceFrameError, ValidationError
from serviceframe.services.configured import organisation_of
from serviceframe.services.enterprises import RowError
from serviceframe.services.events import event_row
from serviceframe.services.issues import DraftError, IssueDraft, file_issues
from serviceframe.store import tables as t
from serviceframe.tabular import RowProblem, map_columns, problem_in, read_rows

MAX_REF = 100
MAX_SUBJECT = 200
# How clerks separate several names in one cell: 、 , ， ; ； / and line breaks.
_SEPARATORS = re.compile(r"[、,，;；/\n\r]+")
_DAY = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]00:00(?::00)?)?$")


@frozen
class FindingDraft:
    text: str
    enterprise: str | None = None  # credit code or registered name
    problem: bool = False  # file it as an issue
    category: object = None  # of the issue, when the clerk knows it


@frozen
class VisitDraft:
    """A visit as a clerk gives it: ids or names, not yet checked."""

    kind: object
    date: object  # a date or YYYY-MM-DD
    units: tuple[str, ...] = ()  # unit ids or names; default: the units of the officials
    officials: tuple[str, ...] = ()  # official ids or names
    enterprises: tuple[str, ...] = ()  # credit codes or registered names
    findings: tuple[FindingDraft, ...] = ()
    jurisdiction: str | None = None  # default: the first unit's
    subject: str = ""
    place: str = ""
    ref: str | None = None  # the clerk's own number: the same number is recorded once


@frozen
class VisitBatch:
    recorded: tuple[int, ...]  # new visits
    existing: tuple[int, ...]  # visits whose number (ref) was recorded before
    issues: tuple[int, ...]  # issues filed for the problems found
    errors: tuple[DraftError, ...]  # by the draft's position


def split_names(cell: str) -> tuple[str, ...]:
    """Several names in one cell, as clerks type them."""
    return tuple(dict.fromkeys(p.strip() for p in _SEPARATORS.split(cell or "") if p.strip()))


# --- recording -------------------------------------------------------------------------------


def record_visit(app: App, draft: VisitDraft, actor: str | None = None) -> Visit:
    """Record one visit (and file the problems it found); raises ValidationError naming the
    field when the visit is wrong, and then stores nothing."""
    batch = record_visits(app, [draft], actor)
    if batch.errors:
        e = batch.errors[0]
        raise ValidationError(e.field, e.value, e.reason)
    return get_visit(app, (batch.recorded or batch.existing)[0])


def record_visits(app: App, drafts: Sequence[VisitDraft], actor: str | None = None) -> VisitBatch:
    """Record many visits in one transaction; bad drafts are reported by position and skipped.

    A draft whose number (``ref``) was recorded before is not recorded again.
    """
    actor = actor or app.settings.actor
    now = app.now()
    errors: list[DraftError] = []
    with app.uow() as uow:
        uow.authorise(Action.FILE)
        names = _Names(organisation_of(app, uow), uow.connection, drafts)
        checked: list[tuple[int, Visit, tuple[Any, ...]]] = []
        for index, draft in enumerate(drafts):
            try:
                visit, categories = _check(draft, names, now)
            except ValidationError as exc:
                errors.append(DraftError(index, exc.field, str(exc.value), exc.reason))
                continue
            checked.append((index, visit, categories))
        known = uow.visits.by_refs(v.ref for _, v, _ in checked if v.ref)
        existing, fresh, seen = [], [], set()
        for index, visit, categories in checked:
            if visit.ref and (visit.ref in known or visit.ref in seen):
                existing.append(known.get(visit.ref, 0))
                continue
            seen.add(visit.ref)
            fresh.append((index, visit, categories))
        stored: list[tuple[Visit, tuple[Any, ...]]] = []
        events = []
        for _index, visit, categories in fresh:
            visit = evolve(visit, id=uow.visits.add(visit, now, actor))
            stored.append((visit, categories))
            events.append(_event(visit, actor, now))
        uow.record(events)
        uow.commit()
    app.publish_registry(events)
    issues = _file_problems(app, stored, now, actor)
    return VisitBatch(
        tuple(v.id for v, _ in stored),
        tuple(i for i in existing if i),
        tuple(issues),
        tuple(sorted(errors, key=lambda e: e.index)),
    )


def _event(visit: Visit, actor: str, now: datetime) -> dict[str, Any]:
    return event_row(
        "visit_recorded",
        f"visit:{visit.id}",
        actor,
        now,
        visit_kind=visit.kind.value,
        date=visit.date.isoformat(),
        jurisdiction=visit.jurisdiction,
        units=list(visit.units),
        officials=list(visit.officials),
        enterprises=list(visit.enterprises),
        findings=len(visit.findings),
        problems=sum(1 for f in visit.findings if f.problem),
        ref=visit.ref,
    )


def received_at(visit_day: date, now: datetime) -> datetime:
    """Problems raised at a visit were received on its day (18:00 Beijing, the end of the
    working day), or now, when the visit is being recorded earlier than that."""
    return min(now, datetime.combine(visit_day, time(18), tzinfo=SHANGHAI))


def _file_problems(
    app: App, stored: list[tuple[Visit, tuple[Any, ...]]], now: datetime, actor: str
) -> list[int]:
    drafts, keys = [], []
    for visit, categories in stored:
        for position, (finding, category) in enumerate(
            zip(visit.findings, categories, strict=True), start=1
        ):
            if not finding.problem:
                continue
            assert finding.enterprise is not None  # _check saw to it
            key = f"{visit.origin}:{position}"
            drafts.append(
                IssueDraft(
                    enterprise=finding.enterprise,
                    source="visit",
                    body=finding.text,
                    category=category,
                    external_id=key,
                    origin=visit.origin,
                    received_at=received_at(visit.date, now),
                    received_by=visit.units[0],
                )
            )
            keys.append((visit.id, position, key))
    if not drafts:
        return []
    report = file_issues(app, drafts, actor)
    with app.uow() as uow:
        ids = uow.issues.by_external_ids({("visit", key) for _, _, key in keys})
        links: dict[int, dict[int, int]] = {}
        for visit_id, position, key in keys:
            if ("visit", key) in ids:
                links.setdefault(visit_id, {})[position] = ids[("visit", key)]
        for visit_id, by_position in links.items():
            uow.visits.link_issues(visit_id, by_position)
        uow.commit()
    if report.errors:  # checked beforehand, so only a change made meanwhile gets here
        e = report.errors[0]
        visit_id, position, _ = keys[e.index]
        raise ServiceFrameError(
            f"visit {visit_id} is recorded, but its finding {position} could not be filed as "
            f"an issue: {e.field}={e.value!r}: {e.reason}"
        )
    return [i for by_position in links.values() for i in by_position.values()]


# --- checking --------------------------------------------------------------------------------


class _Names:
    """Ids and names of the organisation and the registry, looked up once for a batch."""

    def __init__(self, org: Organisation, conn: Any, drafts: Sequence[VisitDraft]) -> None:
        self.org = org
        tokens = {e for d in drafts for e in d.enterprises} | {
            f.enterprise for d in drafts for f in d.findings if f.enterprise
        }
        codes, names = set(), set()
        for token in tokens:
            try:
                codes.add(normalise_credit_code(token, "enterprises"))
            except ValidationError:
                names.add(token.strip())
        self.enterprise_codes: set[str] = set()
        self.enterprise_names: dict[str, list[str]] = {}
        e = t.enterprises.c
        if codes or names:
            # A visits sheet names tens of enterprises, not the registry: one look-up.
            q = select(e.credit_code, e.name).where(
                or_(e.credit_code.in_(sorted(codes)), e.name.in_(sorted(names)))
            )
            for code, name in conn.execute(q):
                self.enterprise_codes.add(code)
                self.enterprise_names.setdefault(name, []).append(code)

    def unit(self, token: str) -> str:
        found = [u for u in self.org.units if token in (u.id, u.name)]
        if not found:
            raise ValidationError("units", token, "no such unit (give its id or full name)")
        if not found[0].active:
            raise ValidationError("units", token, "the unit is no longer active")
        return found[0].id

    def official(self, token: str) -> str:
        found = [o for o in self.org.officials if token in (o.id, o.name)]
        if not found:
            raise ValidationError("officials", token, "no such official (give the id or name)")
        if len(found) > 1:
            ids = ", ".join(o.id for o in found)
            raise ValidationError("officials", token, f"more than one official has it: {ids}")
        return found[0].id

    def enterprise(self, token: str, field: str = "enterprises") -> str:
        try:
            code = normalise_credit_code(token, field)
        except ValidationError:
            codes = self.enterprise_names.get(token.strip(), [])
            if len(codes) == 1:
                return codes[0]
            if codes:
                raise ValidationError(
                    field, token, f"more than one enterprise has it: {', '.join(codes)}"
                ) from None
            raise ValidationError(
                field, token, "no such enterprise (give the credit code or registered name)"
            ) from None
        if code not in self.enterprise_codes:
            raise ValidationError(field, token, "no such enterprise in the registry")
        return code

    def jurisdiction(self, token: str) -> str:
        found = [j for j in self.org.jurisdictions if token.strip() in (j.code, j.name)]
        if not found:
            raise ValidationError("jurisdiction", token, "no such jurisdiction")
        return found[0].code


def _visit_date(value: object, now: datetime) -> date:
    if isinstance(value, datetime):
        day = value.astimezone(SHANGHAI).date()
    elif isinstance(value, date):
        day = value
    else:
        # 2026-09-28, 2026/9/28, 2026年9月28日, or Excel's "2026-09-28 00:00:00".
        m = _DAY.match(str(value).strip())
        try:
            if m is None:
                raise ValueError
            day = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise ValidationError("date", value, "not a date such as 2026-09-28") from None
    if day > now.astimezone(SHANGHAI).date():
        raise ValidationError("date", day.isoformat(), "is in the future")
    return day


def _text(field: str, value: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationError(field, value[:20] + "…", f"longer than {limit} characters")
    return value


def _check(draft: VisitDraft, names: _Names, now: datetime) -> tuple[Visit, tuple[Any, ...]]:
    kind = parse_kind(draft.kind)
    day = _visit_date(draft.date, now)
    officials = tuple(dict.fromkeys(names.official(o) for o in draft.officials))
    units = tuple(dict.fromkeys(names.unit(u) for u in draft.units))
    if not units:
        by_id = {o.id: o for o in names.org.officials}
        units = tuple(dict.fromkeys(u for o in officials if (u := by_id[o].unit)))
    if not units:
        raise ValidationError("units", "", "name the unit(s) that went (单位)")
    if draft.jurisdiction:
        jurisdiction = names.jurisdiction(draft.jurisdiction)
    else:
        jurisdiction = next(u.jurisdiction for u in names.org.units if u.id == units[0])
    enterprises = list(dict.fromkeys(names.enterprise(e) for e in draft.enterprises))
    findings, categories = [], []
    for finding in draft.findings:
        field = "problem" if finding.problem else "finding"
        if finding.problem:
            _title, text = validate_text("", finding.text)
        else:
            text = _text(field, finding.text, MAX_BODY)
            if not text:
                raise ValidationError(field, finding.text, "must not be empty")
        enterprise = names.enterprise(finding.enterprise, field) if finding.enterprise else None
        if enterprise is None and finding.problem:
            if len(enterprises) != 1:
                raise ValidationError(field, text[:20], "name the enterprise that raised it (企业)")
            enterprise = enterprises[0]
        if enterprise is not None and enterprise not in enterprises:
            enterprises.append(enterprise)
        category = finding.category
        if finding.problem and category not in (None, ""):
            category = int(parse_category(category))
        findings.append(Finding(text, enterprise, finding.problem))
        categories.append(category if finding.problem else None)
    if kind is VisitKind.VISIT and not enterprises:
        raise ValidationError("enterprises", "", "a visit names the enterprises visited (企业)")
    ref = _text("ref", draft.ref or "", MAX_REF) or None
    visit = Visit(
        id=0,
        kind=kind,
        date=day,
        jurisdiction=jurisdiction,
        units=units,
        officials=officials,
        enterprises=tuple(enterprises),
        findings=tuple(findings),
        subject=_text("subject", draft.subject, MAX_SUBJECT),
        place=_text("place", draft.place, MAX_SUBJECT),
        ref=ref,
    )
    return visit, tuple(categories)


# --- reading ---------------------------------------------------------------------------------


def get_visit(app: App, visit_id: int) -> Visit:
    with app.uow() as uow:
        uow.authorise(Action.READ)
        found = uow.visits.get_many([visit_id])
        if not found:
            raise NotFound("visit", visit_id)
        # Those who see everything: any visit; a county office those of its places.
        uow.principal.report_places(organisation_of(app, uow), [found[0].jurisdiction])
    return found[0]


def list_visits(
    app: App,
    start: date | None = None,
    end: date | None = None,
    jurisdictions: Iterable[str] | None = None,
    unit: str | None = None,
    kind: VisitKind | None = None,
) -> list[Visit]:
    """Visits in a period, of ``jurisdictions`` (codes; by default all the principal reaches:
    a county office its own places), by ``unit``, of ``kind``."""
    with app.uow() as uow:
        uow.authorise(Action.READ)
        places = uow.principal.report_places(organisation_of(app, uow), jurisdictions)
        return uow.visits.find(start, end, places, unit, kind)


# --- import ----------------------------------------------------------------------------------

COLUMNS = {
    "ref": ("编号", "ref"),
    "date": ("日期", "走访日期", "date"),
    "kind": ("类型", "形式", "kind"),
    "jurisdiction": ("辖区", "jurisdiction"),
    "units": ("单位", "参加单位", "units"),
    "officials": ("领导", "参加领导", "officials"),
    "enterprises": ("企业", "走访企业", "统一社会信用代码", "enterprises"),
    "subject": ("主题", "subject"),
    "place": ("地点", "place"),
    "finding": ("情况", "调研情况", "finding"),
    "problem": ("企业反映问题", "问题", "problem"),
    "category": ("类别", "category"),
}
REQUIRED = ("date", "kind")


@frozen
class VisitImport:
    source: str
    rows: int
    recorded: int
    existing: int
    issues: int
    errors: tuple[RowError, ...]


def import_visits(
    app: App, path: str | Path, encoding: str | None = None, actor: str | None = None
) -> VisitImport:
    """Record the visits of a CSV/XLSX sheet: one row per visited enterprise; rows with the
    same number (编号) are one visit, the first of them giving its date, kind and place.

    Bad rows are reported by line and column and their visit is left out whole; the good
    visits are recorded together. A sheet imported twice records nothing new when its rows
    carry numbers.
    """
    headers, rows = read_rows(path, encoding)
    columns = map_columns(headers, COLUMNS, REQUIRED, str(path))
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    errors: list[RowError] = []
    count = 0
    for item in rows:
        count += 1
        item = problem_in(item, columns.values())
        if isinstance(item, RowProblem):  # a cell that cannot be read (tabular)
            errors.append(RowError(item.line, item.column, item.value, item.reason))
            continue
        line, raw = item
        value = {f: raw.get(h, "").strip() for f, h in columns.items()}
        groups.setdefault(value.get("ref") or f"line:{line}", []).append((line, value))
    drafts: list[VisitDraft] = []
    kept: list[list[tuple[int, dict[str, str]]]] = []
    for group in groups.values():
        try:
            drafts.append(_group_draft(group))
            kept.append(group)
        except _RowProblem as exc:
            errors.append(RowError(exc.line, columns[exc.field], exc.value, exc.reason))
    batch = record_visits(app, drafts, actor)
    for e in batch.errors:
        group = kept[e.index]
        header = columns.get(e.field, e.field)
        line = next((n for n, v in group if e.value and e.value in v.get(e.field, "")), group[0][0])
        errors.append(RowError(line, header, e.value, e.reason))
    return VisitImport(
        str(path),
        count,
        len(batch.recorded),
        len(batch.existing),
        len(batch.issues),
        tuple(sorted(errors, key=lambda e: e.line)),
    )


class _RowProblem(Exception):
    def __init__(self, line: int, field: str, value: str, reason: str) -> None:
        self.line, self.field, self.value, self.reason = line, field, value, reason


def _group_draft(group: list[tuple[int, dict[str, str]]]) -> VisitDraft:
    """One visit from its rows; a later row may add enterprises, people and findings, but
    must not contradict the first row's date, kind, jurisdiction or place."""
    first_line, first = group[0]
    for line, value in group[1:]:
        for field in ("date", "kind", "jurisdiction", "subject", "place"):
            if value.get(field) and value[field] != first.get(field, ""):
                raise _RowProblem(
                    line,
                    field,
                    value[field],
                    f"the visit {first.get('ref')} has {first.get(field)!r} on line {first_line}",
                )
    for field in REQUIRED:
        if not first.get(field):
            raise _RowProblem(first_line, field, "", "must not be empty")
    try:
        parse_kind(first["kind"])
    except ValidationError as exc:
        raise _RowProblem(first_line, "kind", first["kind"], exc.reason) from None
    units: list[str] = []
    officials: list[str] = []
    enterprises: list[str] = []
    findings: list[FindingDraft] = []
    for line, value in group:
        row_enterprises = split_names(value.get("enterprises", ""))
        for names, into in (
            (split_names(value.get("units", "")), units),
            (split_names(value.get("officials", "")), officials),
            (row_enterprises, enterprises),
        ):
            into.extend(n for n in names if n not in into)
        one = row_enterprises[0] if len(row_enterprises) == 1 else None
        if value.get("finding"):
            findings.append(FindingDraft(value["finding"], one))
        if value.get("problem"):
            if len(row_enterprises) > 1:
                raise _RowProblem(
                    line,
                    "problem",
                    value["problem"][:20],
                    "a row with a problem names the one enterprise that raised it",
                )
            findings.append(FindingDraft(value["problem"], one, True, value.get("category")))
    return VisitDraft(
        kind=first["kind"],
        date=first["date"],
        units=tuple(units),
        officials=tuple(officials),
        enterprises=tuple(enterprises),
        findings=tuple(findings),
        jurisdiction=first.get("jurisdiction") or None,
        subject=first.get("subject", ""),
        place=first.get("place", ""),
        ref=first.get("ref") or None,
    )
