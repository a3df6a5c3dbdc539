"""Major projects (重大项目, category 5): one-stop, whole-process approval coordination.

A project of an enterprise gets the approval steps of its jurisdiction's template
(``[[project_templates]]`` in the organisation file). Each change of a step is recorded as an
event of ``project:<id>``. A step still submitted after its working-day limit becomes an issue
(source ``project``, origin ``project:<id>``) in the sweep, and from then on climbs the
escalation ladder like any issue; approving or waiving the step settles that issue.
"""

import warnings
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from attrs import frozen
from sqlalchemy import and_, case, func, select, update

from serviceframe.app import App
from serviceframe.domain.credit_code import normalise_credit_code
from serviceframe.domain.organisation import Organisation
from serviceframe.domain.period import Period
from serviceframe.domain.principal import Action
from serviceframe.domain.project import (
    Project,
    Step,
    StepStatus,
    check_step_change,
    parse_step_status,
)
from serviceframe.domain.workdays import SHANGHAI, ProvisionalDeadlineWarning
from serviceframe.errors import NotFound, ServiceFrameError, ValidationError, shown
from serviceframe.orgfile import ProjectTemplate
from serviceframe.serialise import converter
from serviceframe.services.configured import organisation_of, work_calendar
from serviceframe.services.enterprises import RowError
from serviceframe.services.events import event_row
from serviceframe.services.jobs import exclusive
from serviceframe.store import tables as t
from serviceframe.tabular import RowProblem, map_columns, problem_in, read_rows

MAX_NAME = 200
MAX_REF = 100


@frozen
class ProjectDraft:
    """A project as a clerk gives it; industry and jurisdiction default to the enterprise's."""

    enterprise: str
    name: str
    investment: object  # 万元, a whole number
    industry: str | None = None
    jurisdiction: str | None = None
    leader: str | None = None  # the coordinating leader (official id)
    lead_unit: str | None = None  # the lead unit (unit id)
    ref: str | None = None  # the project's own number: added once however often given


@frozen
class ProjectError:
    index: int
    field: str
    value: str
    reason: str


@frozen
class ProjectBatch:
    added: tuple[int, ...]
    existing: tuple[int, ...]
    errors: tuple[ProjectError, ...]


@frozen
class ProjectImport:
    source: str
    rows: int
    added: int
    existing: int
    errors: tuple[RowError, ...]


@frozen
class TimelineEntry:
    at: datetime
    actor: str
    kind: str  # project_added, project_step, project_step_overdue
    step: str | None
    status: str | None
    label: str
    issue: int | None = None


@frozen
class ProjectView:
    project: Project
    enterprise_name: str
    timeline: tuple[TimelineEntry, ...]
    days_taken: int  # working days of the finished and running steps so far
    days_allowed: int  # the sum of their limits


def templates(app: App) -> dict[str, ProjectTemplate]:
    """The stored templates by jurisdiction."""

    def build() -> dict[str, ProjectTemplate]:
        with app.uow() as uow:
            stored = uow.org.setting("project_templates") or []
        found = converter.structure(stored, tuple[ProjectTemplate, ...])
        return {tpl.jurisdiction: tpl for tpl in found}

    result: dict[str, ProjectTemplate] = app.cached("project_templates", build)
    return result


def template_for(
    org: Organisation, found: dict[str, ProjectTemplate], code: str
) -> ProjectTemplate | None:
    """The template of the place, else of the nearest place above it that has one."""
    for place in (code, *org.ancestors(code)):
        if place in found:
            return found[place]
    return None


# --- adding ----------------------------------------------------------------------------------


def add_project(app: App, draft: ProjectDraft, actor: str | None = None) -> Project:
    """Add one project with its template's steps (all not started); a ``ref`` given before
    returns the project added then. Bad input raises a ValidationError naming the field."""
    batch = add_projects(app, [draft], actor)
    if batch.errors:
        e = batch.errors[0]
        raise ValidationError(e.field, e.value, e.reason)
    return get_project(app, (batch.added or batch.existing)[0]).project


def add_projects(
    app: App, drafts: Sequence[ProjectDraft], actor: str | None = None
) -> ProjectBatch:
    """Add many projects in one transaction; bad drafts are reported by position and left
    out, the good ones added together."""
    actor = actor or app.settings.actor
    now = app.now()
    found = templates(app)
    errors: list[ProjectError] = []
    added: list[int] = []
    existing: list[int] = []
    with app.uow() as uow:
        uow.authorise(Action.MANAGE)
        org = organisation_of(app, uow)
        enterprises = uow.enterprises.get_many(
            {_code_or_raw(d.enterprise) for d in drafts if d.enterprise}
        )
        refs = [d.ref.strip() for d in drafts if d.ref and d.ref.strip()]
        known_refs = dict(
            uow.connection.execute(
                select(t.projects.c.ref, t.projects.c.id).where(t.projects.c.ref.in_(refs))
            ).all()
        )
        seen: dict[str, int] = {}
        events = []
        for index, draft in enumerate(drafts):
            try:
                row, steps = _check(draft, org, enterprises, found)
            except ValidationError as exc:
                errors.append(ProjectError(index, exc.field, str(exc.value), exc.reason))
                continue
            ref = row["ref"]
            if ref is not None and ref in known_refs:
                existing.append(known_refs[ref])
                continue
            if ref is not None and ref in seen:
                existing.append(seen[ref])
                continue
            project_id = uow.connection.execute(
                t.projects.insert().values(**row, created_at=now).returning(t.projects.c.id)
            ).scalar_one()
            uow.connection.execute(
                t.project_steps.insert(),
                [
                    {
                        "project_id": project_id,
                        "position": n,
                        "name": s.name,
                        "unit_id": s.unit,
                        "limit_days": s.limit_days,
                        "status": StepStatus.NOT_STARTED.value,
                    }
                    for n, s in enumerate(steps, start=1)
                ],
            )
            if ref is not None:
                seen[ref] = project_id
            added.append(project_id)
            events.append(
                event_row(
                    "project_added",
                    f"project:{project_id}",
                    actor,
                    now,
                    **{k: v for k, v in row.items()},
                    steps=[s.name for s in steps],
                )
            )
        uow.record(events)
        uow.commit()
    app.publish_registry(events)
    return ProjectBatch(tuple(added), tuple(existing), tuple(errors))


def _code_or_raw(value: str) -> str:
    try:
        return normalise_credit_code(value, "enterprise")
    except ValidationError:
        return value


def _check(
    draft: ProjectDraft,
    org: Organisation,
    enterprises: dict[str, Any],
    found: dict[str, ProjectTemplate],
) -> tuple[dict[str, Any], tuple[Any, ...]]:
    code = normalise_credit_code(draft.enterprise, "enterprise")
    enterprise = enterprises.get(code)
    if enterprise is None:
        raise ValidationError("enterprise", code, "no such enterprise in the registry")
    name = (draft.name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationError("name", shown(draft.name or ""), f"1 to {MAX_NAME} characters")
    investment = _amount("investment", draft.investment)
    jurisdiction = (draft.jurisdiction or "").strip() or enterprise.jurisdiction
    if org.jurisdiction(jurisdiction) is None:
        raise ValidationError("jurisdiction", jurisdiction, "not a jurisdiction")
    industry = (draft.industry or "").strip() or enterprise.industry
    if len(industry) > 5:
        raise ValidationError("industry", industry, "an industry code such as C3831")
    leader = (draft.leader or "").strip() or None
    if leader is not None and org.official(leader) is None:
        raise ValidationError("leader", leader, "not an official of the organisation")
    lead_unit = (draft.lead_unit or "").strip() or None
    if lead_unit is not None and lead_unit not in {u.id for u in org.units}:
        raise ValidationError("lead_unit", lead_unit, "not a unit of the organisation")
    ref = (draft.ref or "").strip() or None
    if ref is not None and len(ref) > MAX_REF:
        raise ValidationError("ref", ref[:20] + "…", f"longer than {MAX_REF} characters")
    template = template_for(org, found, jurisdiction)
    if template is None:
        raise ValidationError(
            "jurisdiction",
            jurisdiction,
            "no [[project_templates]] for it or any place above it in the organisation file",
        )
    row = {
        "ref": ref,
        "enterprise_code": code,
        "name": name,
        "investment": investment,
        "industry": industry,
        "jurisdiction_code": jurisdiction,
        "leader": leader,
        "lead_unit": lead_unit,
    }
    return row, template.steps


def _amount(field: str, value: object) -> int:
    """A whole number of 万元 (a clerk may write 1,200 or 1200.0)."""
    text = str(value if value is not None else "").strip().replace(",", "").replace("，", "")
    try:
        number = float(text)
    except ValueError:
        raise ValidationError(field, value, "a number of 万元, e.g. 12000") from None
    if number < 0 or not number.is_integer() or number > 10**12:
        raise ValidationError(field, value, "a whole, non-negative number of 万元")
    return int(number)


COLUMNS = {
    "ref": ("项目编号", "编号", "ref"),
    "enterprise": ("统一社会信用代码", "企业", "enterprise"),
    "name": ("项目名称", "name"),
    "investment": ("总投资(万元)", "总投资", "投资", "investment"),
    "industry": ("行业代码", "行业", "industry"),
    "jurisdiction": ("所属县区", "辖区", "jurisdiction"),
    "leader": ("分包领导", "协调领导", "leader"),
    "lead_unit": ("牵头单位", "lead_unit"),
}
REQUIRED = ("enterprise", "name", "investment")


def import_projects(
    app: App, path: str | Path, encoding: str | None = None, actor: str | None = None
) -> ProjectImport:
    """Add the projects of a CSV/XLSX sheet (UTF-8 or GBK), one a row. Bad rows are listed
    by line and column and left out; a row whose 项目编号 was imported before adds nothing."""
    headers, rows = read_rows(path, encoding)
    columns = map_columns(headers, COLUMNS, REQUIRED, str(path))
    errors: list[RowError] = []
    drafts: list[ProjectDraft] = []
    lines: list[int] = []
    count = 0
    for item in rows:
        count += 1
        item = problem_in(item, columns.values())
        if isinstance(item, RowProblem):
            errors.append(RowError(item.line, item.column, item.value, item.reason))
            continue
        line, raw = item
        value = {f: raw.get(h, "").strip() for f, h in columns.items()}
        drafts.append(
            ProjectDraft(
                enterprise=value["enterprise"],
                name=value["name"],
                investment=value["investment"],
                industry=value.get("industry") or None,
                jurisdiction=value.get("jurisdiction") or None,
                leader=value.get("leader") or None,
                lead_unit=value.get("lead_unit") or None,
                ref=value.get("ref") or None,
            )
        )
        lines.append(line)
    batch = add_projects(app, drafts, actor)
    for e in batch.errors:
        errors.append(RowError(lines[e.index], columns.get(e.field, e.field), e.value, e.reason))
    return ProjectImport(
        str(path),
        count,
        len(batch.added),
        len(batch.existing),
        tuple(sorted(errors, key=lambda e: e.line)),
    )


# --- steps -----------------------------------------------------------------------------------


def set_step(
    app: App,
    project_id: int,
    step: str,
    status: object,
    at: datetime | None = None,
    actor: str | None = None,
) -> Project:
    """Move one step (by name or number) to ``status`` as of ``at`` (default now).

    Submitting starts the working-day clock; approving or waiving a step whose delay became
    an issue settles that issue, in the same transaction (both recorded as events)."""
    from serviceframe.services.trends import settle_issues

    actor = actor or app.settings.actor
    now = app.now()
    new = parse_step_status(status)
    when = at or now
    if when.tzinfo is None:
        raise ValidationError("at", when.isoformat(), "give a time zone (e.g. +08:00)")
    if when > now + timedelta(minutes=5):
        raise ValidationError("at", when.isoformat(), "is in the future")
    settled: list[Any] = []
    with app.uow() as uow:
        uow.authorise(Action.MANAGE)
        project = _read(uow, project_id, for_update=True)
        current = _step_of(project, step)
        check_step_change(current.name, current.status, new)
        if current.submitted_at is not None and when < current.submitted_at:
            raise ValidationError(
                "at", when.isoformat(), f"is before the step was submitted ({current.submitted_at})"
            )
        values: dict[str, Any] = {"status": new.value}
        data: dict[str, Any] = {"step": current.name, "position": current.position}
        if new is StepStatus.SUBMITTED:
            with warnings.catch_warnings():  # a year without holiday data: Mon–Fri, marked
                warnings.simplefilter("ignore", ProvisionalDeadlineWarning)
                due = work_calendar(app).add_workdays(when, current.limit_days)
            values |= {
                "submitted_at": when,
                "due": due.due,
                "due_provisional": due.provisional,
                "finished_at": None,
                "issue_id": None,  # a new round: its own delay, its own issue
            }
            data["due"] = due.due.isoformat()
        else:
            values["finished_at"] = when
        if current.submitted_at is not None and new is not StepStatus.SUBMITTED:
            data["working_days"] = _taken(app, current.submitted_at, when)
        uow.connection.execute(
            update(t.project_steps)
            .where(
                t.project_steps.c.project_id == project.id,
                t.project_steps.c.position == current.position,
            )
            .values(**values)
        )
        row = event_row(
            "project_step",
            f"project:{project.id}",
            actor,
            now,
            status=new.value,
            happened_at=when.astimezone(UTC).isoformat(),
            **data,
        )
        uow.record([row])
        if new.finished and current.issue_id is not None:
            settled = settle_issues(
                uow,
                [current.issue_id],
                f"{current.name}已{new.label}",
                now,
                actor,
                {"project": project.id, "step": current.name},
            )
        uow.commit()
    app.publish_registry([row])
    app.publish_issue_events(settled)
    return get_project(app, project_id).project


def approve_step_of_issue(app: App, uow: Any, issue_id: int, now: datetime, actor: str) -> None:
    """The lead unit resolves (办结) the issue a stalled step became: the approval it waited for
    was given, so the step moves on to approved, in the same transaction, as an event of the
    project. A step already moved on (approved, waived, returned) is left as it is; a return
    is recorded with `project step … --status returned`, which the issue cannot tell."""
    s = t.project_steps.c
    row = uow.connection.execute(
        select(s.project_id, s.position, s.name, s.submitted_at).where(
            s.issue_id == issue_id, s.status == StepStatus.SUBMITTED.value
        )
    ).first()
    if row is None:
        return
    uow.connection.execute(
        update(t.project_steps)
        .where(s.project_id == row.project_id, s.position == row.position)
        .values(status=StepStatus.APPROVED.value, finished_at=now)
    )
    data: dict[str, Any] = {"step": row.name, "position": row.position, "issue": issue_id}
    if row.submitted_at is not None:
        data["working_days"] = _taken(app, row.submitted_at, now)
    uow.record(
        [
            event_row(
                "project_step",
                f"project:{row.project_id}",
                actor,
                now,
                status=StepStatus.APPROVED.value,
                happened_at=now.astimezone(UTC).isoformat(),
                **data,
            )
        ]
    )


def _step_of(project: Project, step: str) -> Step:
    wanted = str(step).strip()
    for s in project.steps:
        if wanted in (s.name, str(s.position)):
            return s
    names = "、".join(s.name for s in project.steps)
    raise ValidationError("step", step, f"project {project.id} has steps {names}")


def _taken(app: App, start: datetime, end: datetime) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalDeadlineWarning)
        return work_calendar(app).workdays_between(start, end)


# --- the sweep -------------------------------------------------------------------------------


@exclusive("project sweep")
def file_stalled_steps(app: App, actor: str | None = None) -> list[int]:
    """File an issue (source ``project``) for every step still submitted after its limit
    that has none yet, classify it (category 5) and hand it to the step's unit: from then on
    the escalation sweep supervises it like any issue. Returns the issues filed.

    Set-based: the late steps are found with one query, the issues filed, accepted and
    dispatched in bulk (one transaction per unit), linked with one statement each. Running
    it again files nothing new (the issues carry the step's ``project:<id>:<n>:<submitted>``
    external id, so even a run that stopped half-way is picked up where it stopped)."""
    from serviceframe.services import bulk
    from serviceframe.services.issues import IssueDraft, file_issues

    actor = actor or app.settings.actor
    now = app.now()
    today = now.astimezone(SHANGHAI).date()
    s, p = t.project_steps.c, t.projects.c
    with app.uow() as uow:
        uow.authorise(Action.SWEEP)
        late = uow.connection.execute(
            select(
                s.project_id,
                s.position,
                s.name,
                s.unit_id,
                s.limit_days,
                s.submitted_at,
                s.due,
                p.name.label("project"),
                p.enterprise_code,
                p.lead_unit,
            )
            .join(t.projects, p.id == s.project_id)
            .where(s.status == StepStatus.SUBMITTED.value, s.due < today, s.issue_id.is_(None))
            .order_by(s.project_id, s.position)
        ).all()
    if not late:
        return []
    keys = {(r.project_id, r.position): _external_id(r) for r in late}
    drafts = [
        IssueDraft(
            enterprise=r.enterprise_code,
            source="project",
            title=f"{r.project}:{r.name}超过办理时限",
            body=(
                f"重大项目“{r.project}”的{r.name}环节于"
                f"{r.submitted_at.astimezone(SHANGHAI):%Y-%m-%d}报送{r.unit_id},"
                f"时限{r.limit_days}个工作日(至{r.due}),逾期仍未办结。"
            ),
            category=5,
            external_id=keys[(r.project_id, r.position)],
            origin=f"project:{r.project_id}",
            received_by=r.lead_unit or None,
        )
        for r in late
    ]
    report = file_issues(app, drafts, actor)
    if report.errors:
        e = report.errors[0]
        r = late[e.index]
        raise ServiceFrameError(
            f"project {r.project_id} step {r.name}: its delay could not be filed as an issue: "
            f"{e.field}={e.value!r}: {e.reason}"
        )
    with app.uow() as uow:
        ids = uow.issues.by_external_ids({("project", k) for k in keys.values()})
        issues = {i.id: i for i in uow.issues.get_many(ids.values())}
    by_unit: dict[str, list[int]] = {}
    received = []
    for r in late:
        issue_id = ids[("project", keys[(r.project_id, r.position)])]
        status = issues[issue_id].status.value
        if status == "received":
            received.append(issue_id)
        if status in ("received", "accepted"):
            by_unit.setdefault(r.unit_id, []).append(issue_id)
    if received:
        bulk.accept_many(app, received, category=5, actor=actor)
    for unit, unit_issues in by_unit.items():
        bulk.dispatch_many(app, unit_issues, unit, actor=actor)
    with app.uow() as uow:
        for r in late:
            issue_id = ids[("project", keys[(r.project_id, r.position)])]
            uow.connection.execute(
                update(t.project_steps)
                .where(s.project_id == r.project_id, s.position == r.position)
                .values(issue_id=issue_id)
            )
        events = [
            event_row(
                "project_step_overdue",
                f"project:{r.project_id}",
                actor,
                now,
                step=r.name,
                position=r.position,
                due=r.due.isoformat(),
                issue=ids[("project", keys[(r.project_id, r.position)])],
            )
            for r in late
        ]
        uow.record(events)
        uow.commit()
    app.publish_registry(events)
    return [ids[("project", keys[(r.project_id, r.position)])] for r in late]


def _external_id(r: Any) -> str:
    submitted = r.submitted_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    return f"project:{r.project_id}:{r.position}:{submitted}"


# --- reading ---------------------------------------------------------------------------------


def _read(uow: Any, project_id: int, for_update: bool = False) -> Project:
    q = select(t.projects).where(t.projects.c.id == project_id)
    if for_update:
        q = q.with_for_update()
    row = uow.connection.execute(q).one_or_none()
    if row is None:
        raise NotFound("project", project_id)
    return _projects(uow, [row])[0]


def _projects(uow: Any, rows: Sequence[Any]) -> list[Project]:
    s = t.project_steps.c
    steps: dict[int, list[Step]] = {}
    for r in uow.connection.execute(
        select(t.project_steps)
        .where(s.project_id.in_([row.id for row in rows]))
        .order_by(s.project_id, s.position)
    ):
        steps.setdefault(r.project_id, []).append(
            Step(
                r.position,
                r.name,
                r.unit_id,
                r.limit_days,
                StepStatus(r.status),
                r.submitted_at,
                r.due,
                r.due_provisional,
                r.finished_at,
                r.issue_id,
            )
        )
    return [
        Project(
            row.id,
            row.ref,
            row.enterprise_code,
            row.name,
            row.investment,
            row.industry,
            row.jurisdiction_code,
            row.leader,
            row.lead_unit,
            row.created_at,
            tuple(steps.get(row.id, ())),
        )
        for row in rows
    ]


def list_projects(
    app: App, enterprise: str | None = None, jurisdiction: str | None = None
) -> list[Project]:
    p = t.projects.c
    q = select(t.projects).order_by(p.id)
    if enterprise:
        q = q.where(p.enterprise_code == normalise_credit_code(enterprise, "enterprise"))
    with app.uow() as uow:
        uow.authorise(Action.READ)
        # Those who see everything: any place; a county office its own places (by default
        # all of them), another county's refused.
        org = organisation_of(app, uow)
        asked = [org.resolve(jurisdiction)] if jurisdiction else None
        places = uow.principal.report_places(org, asked)
        if places is not None:
            q = q.where(p.jurisdiction_code.in_(places))
        rows = uow.connection.execute(q).all()
        return _projects(uow, rows) if rows else []


EVENT_LABELS = {
    "project_added": "项目登记",
    "project_step": "环节变更",
    "project_step_overdue": "环节超期转督办",
}


def get_project(app: App, project_id: int) -> ProjectView:
    """The project, its steps and its timeline (every recorded change, in the order the
    changes happened)."""
    e = t.events.c
    with app.uow() as uow:
        uow.authorise(Action.READ)
        project = _read(uow, project_id)
        uow.principal.report_places(organisation_of(app, uow), [project.jurisdiction])
        enterprise = uow.enterprises.get(project.enterprise)
        rows = uow.connection.execute(
            select(e.kind, e.at, e.actor, e.data)
            .where(e.subject == f"project:{project_id}")
            .order_by(e.id)
        ).all()
    timeline = []
    for kind, at, actor, data in rows:
        status = data.get("status")
        label = EVENT_LABELS.get(kind, kind)
        if status:
            label = f"{data.get('step')} {StepStatus(status).label}"
        elif kind == "project_step_overdue":
            label = f"{data.get('step')} 超过时限(至{data.get('due')}),转为问题{data.get('issue')}"
        when = datetime.fromisoformat(data["happened_at"]) if data.get("happened_at") else at
        timeline.append(
            TimelineEntry(when, actor, kind, data.get("step"), status, label, data.get("issue"))
        )
    taken, allowed = _totals(app, project, app.now())
    # In the order things happened: a clerk may record a step days after it was submitted.
    ordered = sorted(timeline, key=lambda entry: entry.at)
    return ProjectView(
        project, enterprise.name if enterprise else "", tuple(ordered), taken, allowed
    )


def _totals(app: App, project: Project, now: datetime) -> tuple[int, int]:
    taken = allowed = 0
    for step in project.steps:
        if step.submitted_at is None or step.status is StepStatus.WAIVED:
            continue
        end = step.finished_at if step.status.finished else now
        taken += _taken(app, step.submitted_at, end or now)
        allowed += step.limit_days
    return taken, allowed


@frozen
class UnitStepTimes:
    unit: str
    name: str
    steps: int  # steps decided (approved) by the unit
    running: int  # submitted and waiting
    overdue: int  # waiting past the limit now, or decided after it
    average_days: float  # working days from submission to approval, on average
    limit_days: float  # their limits, on average


@frozen
class ProjectReport:
    projects: int
    investment: int  # 万元
    steps: dict[str, int]  # by status
    overdue: int
    units: tuple[UnitStepTimes, ...]


def project_report(
    app: App, jurisdiction: str | None = None, within: Period | None = None
) -> ProjectReport:
    """Per-unit step times (approved steps: working days against their limits) and the
    counts of every step by status, over the whole store with a few queries. ``within``: the
    approved steps are those approved in that period (the circular's), not all of them."""
    s, p = t.project_steps.c, t.projects.c
    now = app.now()
    today = now.astimezone(SHANGHAI).date()
    with app.uow() as uow:
        uow.authorise(Action.READ)
        org = organisation_of(app, uow)
        # Those who see everything: the whole store or any place; a county office its own.
        asked = org.descendants(org.resolve(jurisdiction)) if jurisdiction else None
        places = uow.principal.report_places(org, asked)
        scope = (p.jurisdiction_code.in_(places),) if places is not None else ()
        total = uow.connection.execute(
            select(func.count(), func.coalesce(func.sum(p.investment), 0)).where(*scope)
        ).one()
        joined = t.project_steps.join(t.projects, p.id == s.project_id)
        counts: dict[str, int] = dict(
            uow.connection.execute(
                select(s.status, func.count()).select_from(joined).where(*scope).group_by(s.status)
            ).all()
        )
        running = uow.connection.execute(
            select(
                s.unit_id,
                func.count(),
                func.sum(case((s.due < today, 1), else_=0)),
            )
            .select_from(joined)
            .where(s.status == StepStatus.SUBMITTED.value, *scope)
            .group_by(s.unit_id)
        ).all()
        decided = uow.connection.execute(
            select(s.unit_id, s.submitted_at, s.finished_at, s.limit_days, s.due)
            .select_from(joined)
            .where(
                and_(s.status == StepStatus.APPROVED.value, s.submitted_at.is_not(None)),
                *scope,
                *(
                    (s.finished_at >= within.start_at, s.finished_at < within.end_at)
                    if within
                    else ()
                ),
            )
        ).all()
    names = {u.id: u.name for u in org.units}
    per: dict[str, dict[str, Any]] = {}
    for unit, n, late in running:
        per.setdefault(unit, _unit_row())
        per[unit]["running"] += n
        per[unit]["overdue"] += int(late or 0)
    for unit, submitted, finished, limit, due in decided:
        row = per.setdefault(unit, _unit_row())
        row["steps"] += 1
        row["days"] += _taken(app, submitted, finished)
        row["limits"] += limit
        row["overdue"] += int(due is not None and finished.astimezone(SHANGHAI).date() > due)
    units = tuple(
        UnitStepTimes(
            unit,
            names.get(unit, unit),
            r["steps"],
            r["running"],
            r["overdue"],
            round(r["days"] / r["steps"], 1) if r["steps"] else 0.0,
            round(r["limits"] / r["steps"], 1) if r["steps"] else 0.0,
        )
        for unit, r in sorted(per.items())
    )
    return ProjectReport(
        int(total[0]),
        int(total[1]),
        {str(k): int(v) for k, v in counts.items()},
        sum(u.overdue for u in units),
        units,
    )


def _unit_row() -> dict[str, Any]:
    return {"steps": 0, "running": 0, "overdue": 0, "days": 0, "limits": 0}


def step_due(app: App, start: date | datetime, limit_days: int) -> date:
    """The last working day of a step submitted at ``start`` (for docs and tests)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalDeadlineWarning)
        return work_calendar(app).add_workdays(start, limit_days).due
