"""The address book: how officials, units and enterprises' contact people are reached.

Officials and units have a ``phone``, an ``email`` and an ``addresses`` table (chat ids per
app) in the organisation file; enterprises' contact people a phone and an e-mail address in
the registry. A plugin author reaches any of them with :func:`recipient`, and finds who sent a
message with :func:`by_address`; notifications and inbound messages use the same functions.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select

from serviceframe.app import App
from serviceframe.channels import Recipient
from serviceframe.domain.addresses import normalise
from serviceframe.domain.enterprise import Enterprise
from serviceframe.domain.organisation import Official, Organisation, Role, Unit
from serviceframe.errors import NotFound, ValidationError
from serviceframe.services.configured import organisation_of
from serviceframe.store import tables as t


def of_official(o: Official) -> Recipient:
    return Recipient("official", o.id, o.name, o.jurisdiction, o.reach())


def of_unit(u: Unit) -> Recipient:
    return Recipient("unit", u.id, u.name, u.jurisdiction, u.reach())


def of_contacts(e: Enterprise) -> list[Recipient]:
    """Each contact person of an enterprise; ``id`` is ``<credit code>#<n>`` (n from 1)."""
    return [
        Recipient(
            "contact",
            f"{e.credit_code}#{n}",
            c.person or e.name,
            e.jurisdiction,
            {k: v for k, v in (("phone", c.phone), ("email", c.email)) if v and v.strip()},
            enterprise=e.credit_code,
        )
        for n, c in enumerate(e.contacts, start=1)
    ]


def for_unit(
    org: Organisation, unit_id: str, enterprise: str | None, liaisons: Mapping[tuple[str, str], str]
) -> Recipient | None:
    """Who receives for a unit about an enterprise: the leader the unit assigned to that
    enterprise (挂钩), else the unit's head, else the unit itself."""
    people = {o.id: o for o in org.officials}
    liaison = people.get(liaisons.get((enterprise or "", unit_id), ""))
    if liaison is not None and liaison.active:
        return of_official(liaison)
    heads = sorted(
        (o for o in org.officials if o.unit == unit_id and o.active),
        key=lambda o: (
            o.role is not Role.DEPARTMENT_HEAD,
            o.role is not Role.DEPARTMENT_LEADER,
            o.id,
        ),
    )
    if heads and heads[0].role in (Role.DEPARTMENT_HEAD, Role.DEPARTMENT_LEADER):
        return of_official(heads[0])
    unit = next((u for u in org.units if u.id == unit_id), None)
    return of_unit(unit) if unit is not None else None


def current_liaisons(uow: Any, enterprises: Iterable[str]) -> dict[tuple[str, str], str]:
    """(enterprise, unit) -> the official each department assigned to the enterprise (挂钩)."""
    a = t.assignments.c
    codes = sorted(set(enterprises))
    if not codes:
        return {}
    rows = uow.connection.execute(
        select(a.enterprise_code, a.unit_id, a.official_id).where(
            a.kind == "liaison", a.valid_to.is_(None), a.enterprise_code.in_(codes)
        )
    )
    return {(r.enterprise_code, r.unit_id): r.official_id for r in rows}


def recipient(app: App, kind: str, id: str) -> Recipient:
    """An official (``official``, id), a unit (``unit``, id) or an enterprise's contact person
    (``contact``, ``<credit code>#<n>``) with every address known for them."""
    if kind not in ("official", "unit", "contact"):
        raise ValidationError("kind", kind, "must be official, unit or contact")
    with app.uow() as uow:
        found = find_recipient(app, uow, kind, id)
    if found is None:
        raise NotFound(kind, id)
    return found


def find_recipient(app: App, uow: Any, kind: str, id: str) -> Recipient | None:
    org = organisation_of(app, uow)
    if kind == "official":
        person = next((o for o in org.officials if o.id == id), None)
        return of_official(person) if person is not None else None
    if kind == "unit":
        unit = next((u for u in org.units if u.id == id), None)
        return of_unit(unit) if unit is not None else None
    code, _, n = id.partition("#")
    enterprise = uow.enterprises.get(code) if kind == "contact" else None
    contacts = of_contacts(enterprise) if enterprise else []
    return contacts[int(n) - 1] if n.isdigit() and 1 <= int(n) <= len(contacts) else None


def by_address(app: App, kind: str, value: str) -> list[Recipient]:
    """Everyone reached at an address: the enterprise contacts and officials whose ``kind``
    address (``email``, ``phone``, ``wecom``…) is ``value``, compared in normal form."""
    with app.uow() as uow:
        return senders(app, uow, kind, [value]).get(value, [])


def senders(app: App, uow: Any, kind: str, values: Iterable[str]) -> dict[str, list[Recipient]]:
    """For each address value, everyone reached at it (set-based: one query for the batch)."""
    wanted = {value: normalise(kind, value) for value in values}
    found: dict[str, list[Recipient]] = {value: [] for value in wanted}
    org = organisation_of(app, uow)
    by_normal: dict[str, list[Recipient]] = {}
    for o in org.officials:
        address = o.reach().get(kind)
        if o.active and address:
            by_normal.setdefault(normalise(kind, address), []).append(of_official(o))
    c = t.contact_addresses.c
    normals = sorted({n for n in wanted.values() if n})
    if kind in ("email", "phone") and normals:
        rows = uow.connection.execute(
            select(c.value, c.enterprise_code, c.contact).where(
                c.kind == kind, c.value.in_(normals)
            )
        ).all()
        enterprises = uow.enterprises.get_many({r.enterprise_code for r in rows})
        for r in rows:
            contacts = of_contacts(enterprises[r.enterprise_code])
            if r.contact < len(contacts):
                by_normal.setdefault(r.value, []).insert(0, contacts[r.contact])
    for value, normal in wanted.items():
        found[value] = by_normal.get(normal, []) if normal else []
    return found
