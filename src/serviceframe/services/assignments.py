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
)
from serviceframe.domain.credit_code import normalise_credit_code
from serviceframe.domain.organisation import Quotas, UnitKind
from serviceframe.errors import NotFound, ValidationError
from serviceframe.serialise import converter
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

    A contact must be a leader (not a liaison officer or office staff) and the enterprise a
    key enterprise. An existing current assignment of the same kind is ended and handed over,
    never overwritten, so the history of who was responsible is kept.
    """
    actor = actor or app.settings.actor
    code = normalise_credit_code(code, "enterprise")
    now = app.now()
    on = on or now.date()
    kind = AssignmentKind.LIAISON if unit_id else AssignmentKind.CONTACT
    with app.uow() as uow:
        enterprise = uow.enterprises.get(code)
        if enterprise is None:
            raise NotFound("enterprise", code)
        official = uow.org.official(official_id)
        if official is None or not official.active:
            raise ValidationError("official", official_id, "no such official in office")
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
        previous = uow.assignments.current(code, kind, unit_id)
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
        new_id = uow.assignments.start(kind, code, official_id, unit_id, on)
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
        )
        uow.record([event])
        current = uow.assignments.current(code, kind, unit_id)
        uow.commit()
    app.publish_registry([event])
    assert current is not None
    return AssignResult(current, previous)


def assignments_of(app: App, code: str, history: bool = False) -> list[Assignment]:
    code = normalise_credit_code(code, "enterprise")
    with app.uow() as uow:
        return uow.assignments.for_enterprise(code, history)


@frozen
class Coverage:
    quotas: tuple[QuotaLine, ...]
    gaps: tuple[CoverageGap, ...]


def coverage(app: App) -> Coverage:
    """Key enterprises per level against their targets, and those without a contact leader."""
    with app.uow() as uow:
        quotas = converter.structure(uow.org.setting("quotas") or {}, Quotas)
        return Coverage(
            tuple(uow.assignments.quota_lines(quotas)), tuple(uow.assignments.coverage_gaps())
        )


def contact_cards(app: App, code: str) -> list[ContactCard]:
    code = normalise_credit_code(code, "enterprise")
    with app.uow() as uow:
        if uow.enterprises.get(code) is None:
            raise NotFound("enterprise", code)
        return uow.assignments.contact_cards(code)
