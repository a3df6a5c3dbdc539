"""A principal's scope as a WHERE clause over ``issues``: the one definition of which issues a
principal sees, used by lists, reports and the check of a single issue alike."""

from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from serviceframe.domain.principal import Principal, PrincipalKind
from serviceframe.store import tables as t


def issue_scope(principal: Principal, issues: Any = None) -> ColumnElement[bool]:
    """``issues`` is the issues table or an alias of it (default the table)."""
    c = (issues if issues is not None else t.issues).c
    kind = principal.kind
    if principal.everywhere:
        return true()
    if kind is PrincipalKind.ENTERPRISE:
        return c.enterprise_code == principal.id
    in_places = c.enterprise_code.in_(
        select(t.enterprises.c.credit_code).where(
            t.enterprises.c.jurisdiction_code.in_(sorted(principal.jurisdictions))
        )
    )
    if kind is PrincipalKind.OFFICE:
        return in_places
    if kind is PrincipalKind.HANDLER:
        handled = select(t.issue_units.c.issue_id).where(t.issue_units.c.unit_id == principal.id)
        # Received by the unit or one of its officials: its first inquiry (首问), as its
        # ledger counts it.
        officials = select(t.officials.c.id).where(t.officials.c.unit_id == principal.id)
        return or_(
            c.received_by == principal.id,
            c.received_by.in_(officials),
            c.lead_unit == principal.id,
            c.id.in_(handled),
        )
    if kind is PrincipalKind.LEADER:
        routed = select(t.issue_routing.c.issue_id).where(
            t.issue_routing.c.official == principal.id
        )
        mine = [c.id.in_(routed)]
        if principal.categories:
            cats = sorted(int(x.value) for x in principal.categories)
            mine.append(and_(in_places, c.category.in_(cats)))
        if principal.departments:
            mine.append(c.lead_unit.in_(sorted(principal.departments)))
        return or_(*mine)
    return false()
