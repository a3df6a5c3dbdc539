"""Leaders assigned to enterprises (R2, R3): contacts, liaisons, coverage, contact cards."""

from datetime import date

from attrs import frozen

from serviceframe.app import App
from serviceframe.domain.assignment import (
    Assignment,
    AssignmentKind,
    ContactCard,
    CoverageGap,
    QuotaLine,
    coverage_of,
)
from serviceframe.domain.credit_code import normalise_credit_code
from serviceframe.domain.organisation import UnitKind
from serviceframe.domain.principal import Action
from serviceframe.errors import NotFound, ValidationError
from serviceframe.services.configured import organisation_of
from serviceframe.services.events import event_row


@frozen
class AssignResult:
    assignment: Assignment
    replaced: Assignment | None  # the assignment this one handed over from


def assign(
    app: App,
    code: str,
    official_id: str,
    unit_id: str | None = None,
    on: date | None = None,
    actor: str | None = None,
) -> AssignResult:
    """Make an official the contact leader of an enterprise, or (with a unit) its liaison.

    A contact must be a leader (not a liaison officer or office staff) of the enterprise's own
    level or one above it, and the enterprise a key enterprise. An enterprise has one contact
    per level (a province key enterprise may be paired with a province, a city and a county
    leader at once). An existing current assignment of the same kind and level is ended and
    handed over, never overwritten, so the history of who was responsible is kept.
    """
    actor = actor or app.settings.actor
    code = normalise_credit_code(code, "enterprise")
    now = app.now()
    on = on or now.date()
    kind = AssignmentKind.LIAISON if unit_id else AssignmentKind.CONTACT
    with app.uow() as uow:
        uow.authorise(Action.CONFIGURE)
        enterprise = uow.enterprises.get(code)
        if enterprise is None:
            raise NotFound("enterprise", code)
        official = uow.org.official(official_id)
        if official is None or not official.active:
            raise ValidationError("official", official_id, "no such official in office")
        org = organisation_of(app, uow)
        if official.jurisdiction not in org.chain(enterprise.jurisdiction):
            raise ValidationError(
                "official",
                official_id,
                f"serves {org.place(official.jurisdiction)}, not {org.place(enterprise.jurisdiction)} "
                "or a level above it",
            )
        if kind is AssignmentKind.CONTACT:
            if not enterprise.key_level.is_county_key:
                raise ValidationError(
                    "enterprise", code, "is not a key enterprise; designate it first"
                )
            if not official.role.is_leader:
                raise ValidationError(
                    "official", official_id, f"a {official.role.label} cannot be a contact leader"
                )
        else:
            unit = uow.org.unit(unit_id or "")
            if unit is None or not unit.active:
                raise ValidationError("department", unit_id, "no such department")
            if unit.kind is not UnitKind.DEPARTMENT:
                raise ValidationError(
                    "department", unit_id, "liaison is a department's; this is a government"
                )
            if official.unit != unit.id:
                raise ValidationError(
                    "official", official_id, f"does not work in {unit.name} ({unit.id})"
                )
        previous = uow.assignments.current(code, kind, unit_id, official.jurisdiction)
        if previous is not None and previous.official == official_id:
            return AssignResult(previous, None)  # already so: nothing changes
        if previous is not None:
            if on < previous.valid_from:
                raise ValidationError(
                    "on",
                    on.isoformat(),
                    f"{previous.official} holds it since {previous.valid_from}; "
                    "a handover cannot be dated before that",
                )
            uow.assignments.end(previous.id, on, f"handed over to {official_id}")
        new_id = uow.assignments.start(kind, code, official_id, unit_id, on, official.jurisdiction)
        event = event_row(
            "assigned",
            f"enterprise:{code}",
            actor,
            now,
            assignment_kind=kind.value,
            official=official_id,
            unit=unit_id,
            replaced=previous.official if previous else None,
            assignment=new_id,
            level=official.jurisdiction,
        )
        uow.record([event])
        current = uow.assignments.current(code, kind, unit_id, official.jurisdiction)
        uow.commit()
    app.publish_registry([event])
    assert current is not None
    return AssignResult(current, previous)


def assignments_of(app: App, code: str, history: bool = False) -> list[Assignment]:
    code = normalise_credit_code(code, "enterprise")
    with app.uow() as uow:
        uow.authorise(Action.READ)
        return uow.assignments.for_enterprise(code, history)


@frozen
class Coverage:
    quotas: tuple[QuotaLine, ...]
    gaps: tuple[CoverageGap, ...]


def coverage(app: App, jurisdiction: str | None = None, depth: int | None = None) -> Coverage:
    """Key enterprises per level against their targets, and those without a contact leader.

    One line per jurisdiction of ``jurisdiction``'s subtree (the whole organisation by
    default, a county office's own county; code or name), each counting the key enterprises
    below it; ``depth=1`` stops at its direct children.
    """
    with app.uow() as uow:
        uow.authorise(Action.READ)
        org = organisation_of(app, uow)
        # Those who see everything: any place; a county office its own county and below.
        top = uow.principal.report_place(org, jurisdiction)
        lines, gaps = coverage_of(
            org,
            org.descendants(top, depth),
            uow.assignments.key_enterprises(org.descendants(top)),
        )
        return Coverage(tuple(lines), tuple(gaps))


def contact_cards(app: App, code: str) -> list[ContactCard]:
    code = normalise_credit_code(code, "enterprise")
    with app.uow() as uow:
        uow.authorise(Action.READ)
        enterprise = uow.enterprises.get(code)
        if enterprise is None:
            raise NotFound("enterprise", code)
        uow.principal.require_reach(code, enterprise.jurisdiction)
        return uow.assignments.contact_cards(code)
