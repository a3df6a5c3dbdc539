"""Repositories: domain objects in, domain objects out, SQL in between."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from attrs import asdict as attrs_dict
from attrs import evolve
from sqlalchemy import Connection, and_, bindparam, delete, func, insert, select, update

from serviceframe.domain.addresses import contact_rows
from serviceframe.domain.assignment import (
    Assignment,
    AssignmentKind,
    ContactCard,
    KeyEnterprise,
)
from serviceframe.domain.categories import Category
from serviceframe.domain.enterprise import Contact, Enterprise, KeyLevel
from serviceframe.domain.organisation import (
    Jurisdiction,
    JurisdictionKind,
    LeadingGroup,
    Official,
    Organisation,
    Portfolio,
    Quotas,
    Role,
    Unit,
    UnitKind,
)
from serviceframe.serialise import converter
from serviceframe.store import tables as t
from serviceframe.store.chain import Chains, insert_events
from serviceframe.store.sql import chunks, upsert


class OrganisationRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def save(self, org: Organisation, settings: dict[str, Any]) -> dict[str, int]:
        """Make the stored organisation equal to ``org``.

        Units and officials missing from ``org`` are kept but marked inactive: assignments and
        issue history still point at them. Returns counts for the CLI to report.
        """
        conn = self.conn
        known_officials = set(conn.scalars(select(t.officials.c.id)))
        upsert(
            conn,
            t.jurisdictions,
            [
                {"code": j.code, "name": j.name, "kind": j.kind.value, "parent_code": None}
                for j in org.jurisdictions
            ],
            ["code"],
        )
        # Parents are set after every jurisdiction exists, so file order does not matter.
        for j in org.jurisdictions:
            if j.parent:
                conn.execute(
                    update(t.jurisdictions)
                    .where(t.jurisdictions.c.code == j.code)
                    .values(parent_code=j.parent)
                )
        upsert(
            conn,
            t.units,
            [
                {
                    "id": u.id,
                    "name": u.name,
                    "jurisdiction_code": u.jurisdiction,
                    "kind": u.kind.value,
                    "phone": u.phone,
                    "active": u.active,
                    "addresses": u.addresses,
                }
                for u in org.units
            ],
            ["id"],
        )
        upsert(
            conn,
            t.officials,
            [
                {
                    "id": o.id,
                    "name": o.name,
                    "title": o.title,
                    "role": o.role.value,
                    "jurisdiction_code": o.jurisdiction,
                    "unit_id": o.unit,
                    "phone": o.phone,
                    "email": o.email,
                    "active": o.active,
                    "addresses": o.addresses,
                }
                for o in org.officials
            ],
            ["id"],
        )
        unit_ids = [u.id for u in org.units]
        official_ids = [o.id for o in org.officials]
        retired_units = conn.execute(
            update(t.units)
            .where(t.units.c.id.not_in(unit_ids), t.units.c.active)
            .values(active=False)
        ).rowcount
        retired_officials = conn.execute(
            update(t.officials)
            .where(t.officials.c.id.not_in(official_ids), t.officials.c.active)
            .values(active=False)
        ).rowcount
        for table in (t.portfolio_categories, t.portfolio_units, t.group_deputies, t.group_members):
            conn.execute(delete(table))
        conn.execute(delete(t.leading_groups))
        _insert(
            conn,
            t.portfolio_categories,
            [
                {"official_id": o.id, "category": int(c)}
                for o in org.officials
                for c in sorted(o.portfolio.categories)
            ],
        )
        _insert(
            conn,
            t.portfolio_units,
            [
                {"official_id": o.id, "unit_id": u}
                for o in org.officials
                for u in sorted(o.portfolio.departments)
            ],
        )
        _insert(
            conn,
            t.leading_groups,
            [
                {
                    "jurisdiction_code": g.jurisdiction,
                    "name": g.name,
                    "leader_id": g.leader,
                    "office_unit_id": g.office,
                }
                for g in org.groups
            ],
        )
        _insert(
            conn,
            t.group_deputies,
            [
                {"jurisdiction_code": g.jurisdiction, "official_id": d, "position": i}
                for g in org.groups
                for i, d in enumerate(g.deputies)
            ],
        )
        _insert(
            conn,
            t.group_members,
            [
                {"jurisdiction_code": g.jurisdiction, "unit_id": u}
                for g in org.groups
                for u in g.members
            ],
        )
        upsert(conn, t.settings, [{"key": k, "value": v} for k, v in settings.items()], ["key"])
        return {
            "jurisdictions": len(org.jurisdictions),
            "units": len(org.units),
            "officials": len(org.officials),
            "new_officials": len(set(official_ids) - known_officials),
            "retired_units": retired_units,
            "retired_officials": retired_officials,
            "groups": len(org.groups),
        }

    def load(self) -> Organisation:
        conn = self.conn
        cats: dict[str, set[Category]] = {}
        for oid, cat in conn.execute(select(t.portfolio_categories)):
            cats.setdefault(oid, set()).add(Category(cat))
        deps: dict[str, set[str]] = {}
        for oid, uid in conn.execute(select(t.portfolio_units)):
            deps.setdefault(oid, set()).add(uid)
        deputies: dict[str, list[str]] = {}
        for row in conn.execute(select(t.group_deputies).order_by(t.group_deputies.c.position)):
            deputies.setdefault(row.jurisdiction_code, []).append(row.official_id)
        members: dict[str, list[str]] = {}
        for row in conn.execute(select(t.group_members).order_by(t.group_members.c.unit_id)):
            members.setdefault(row.jurisdiction_code, []).append(row.unit_id)
        return Organisation(
            jurisdictions=tuple(
                Jurisdiction(r.code, r.name, JurisdictionKind(r.kind), r.parent_code)
                for r in conn.execute(select(t.jurisdictions).order_by(t.jurisdictions.c.code))
            ),
            units=tuple(
                _unit(r)
                for r in conn.execute(
                    select(t.units).order_by(t.units.c.jurisdiction_code, t.units.c.id)
                )
            ),
            officials=tuple(
                Official(
                    r.id,
                    r.name,
                    r.title,
                    Role(r.role),
                    r.jurisdiction_code,
                    r.unit_id,
                    r.phone,
                    r.email,
                    Portfolio(frozenset(cats.get(r.id, ())), frozenset(deps.get(r.id, ()))),
                    r.active,
                    r.addresses,
                )
                for r in conn.execute(
                    select(t.officials).order_by(t.officials.c.jurisdiction_code, t.officials.c.id)
                )
            ),
            groups=tuple(
                LeadingGroup(
                    r.jurisdiction_code,
                    r.name,
                    r.leader_id,
                    r.office_unit_id,
                    tuple(deputies.get(r.jurisdiction_code, ())),
                    tuple(members.get(r.jurisdiction_code, ())),
                )
                for r in conn.execute(
                    select(t.leading_groups).order_by(t.leading_groups.c.jurisdiction_code)
                )
            ),
            quotas=converter.structure(self.setting("quotas") or {}, Quotas),
        )

    def is_loaded(self) -> bool:
        return (self.conn.scalar(select(func.count()).select_from(t.jurisdictions)) or 0) > 0

    def setting(self, key: str) -> Any:
        return self.conn.scalar(select(t.settings.c.value).where(t.settings.c.key == key))

    def official(self, official_id: str) -> Official | None:
        r = self.conn.execute(select(t.officials).where(t.officials.c.id == official_id)).first()
        if r is None:
            return None
        pc, pu = t.portfolio_categories.c, t.portfolio_units.c
        categories = self.conn.scalars(select(pc.category).where(pc.official_id == official_id))
        departments = self.conn.scalars(select(pu.unit_id).where(pu.official_id == official_id))
        portfolio = Portfolio(frozenset(Category(c) for c in categories), frozenset(departments))
        return Official(
            r.id,
            r.name,
            r.title,
            Role(r.role),
            r.jurisdiction_code,
            r.unit_id,
            r.phone,
            r.email,
            portfolio,
            r.active,
            r.addresses,
        )

    def unit(self, unit_id: str) -> Unit | None:
        r = self.conn.execute(select(t.units).where(t.units.c.id == unit_id)).first()
        return None if r is None else _unit(r)

    def jurisdiction_codes(self) -> set[str]:
        return set(self.conn.scalars(select(t.jurisdictions.c.code)))


def _unit(r: Any) -> Unit:
    return Unit(r.id, r.name, r.jurisdiction_code, UnitKind(r.kind), r.phone, r.active, r.addresses)


def _insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    for batch in chunks(rows, 2000):
        conn.execute(insert(table), batch)


def _enterprise(r: Any) -> Enterprise:
    return Enterprise(
        credit_code=r.credit_code,
        name=r.name,
        jurisdiction=r.jurisdiction_code,
        industry=r.industry,
        key_level=KeyLevel(r.key_level),
        contacts=tuple(Contact(**c) for c in r.contacts),
        address=r.address,
    )


def _enterprise_row(e: Enterprise) -> dict[str, Any]:
    return {
        "credit_code": e.credit_code,
        "name": e.name,
        "jurisdiction_code": e.jurisdiction,
        "industry": e.industry,
        "key_level": e.key_level.value,
        "contacts": [converter.unstructure(c) for c in e.contacts],
        "address": e.address,
    }


class EnterpriseRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, code: str) -> Enterprise | None:
        r = self.conn.execute(
            select(t.enterprises).where(t.enterprises.c.credit_code == code)
        ).first()
        return None if r is None else _enterprise(r)

    def get_many(self, codes: Iterable[str]) -> dict[str, Enterprise]:
        found: dict[str, Enterprise] = {}
        for batch in chunks(sorted(set(codes)), 1000):
            for r in self.conn.execute(
                select(t.enterprises).where(t.enterprises.c.credit_code.in_(batch))
            ):
                found[r.credit_code] = _enterprise(r)
        return found

    def save_many(self, items: Sequence[Enterprise], now: datetime) -> tuple[list[str], list[str]]:
        """Insert new enterprises and update changed ones; identical ones are left untouched.

        Returns (inserted codes, updated codes), so that re-importing a file changes nothing.
        """
        existing = self.get_many(e.credit_code for e in items)
        new = [e for e in items if e.credit_code not in existing]
        changed = [e for e in items if e.credit_code in existing and existing[e.credit_code] != e]
        _insert(
            self.conn,
            t.enterprises,
            [{**_enterprise_row(e), "created_at": now, "updated_at": now} for e in new],
        )
        if changed:
            stmt = (
                update(t.enterprises)
                .where(t.enterprises.c.credit_code == bindparam("b_code"))
                .values(
                    {
                        c: bindparam(f"b_{c}")
                        for c in (*_enterprise_row(changed[0]), "updated_at")
                        if c != "credit_code"
                    }
                )
            )
            self.conn.execute(
                stmt,
                [
                    {
                        **{
                            f"b_{k}": v for k, v in _enterprise_row(e).items() if k != "credit_code"
                        },
                        "b_code": e.credit_code,
                        "b_updated_at": now,
                    }
                    for e in changed
                ],
            )
        self._index_contacts(new, changed)
        return [e.credit_code for e in new], [e.credit_code for e in changed]

    def _index_contacts(self, new: Sequence[Enterprise], changed: Sequence[Enterprise]) -> None:
        """Keep ``contact_addresses`` equal to the contacts: inbound senders are found there."""
        c = t.contact_addresses.c
        for batch in chunks([e.credit_code for e in changed], 1000):
            self.conn.execute(delete(t.contact_addresses).where(c.enterprise_code.in_(batch)))
        _insert(
            self.conn,
            t.contact_addresses,
            [
                row
                for e in (*new, *changed)
                for row in contact_rows(e.credit_code, [attrs_dict(x) for x in e.contacts])
            ],
        )

    def list(
        self,
        jurisdictions: Sequence[str] | None = None,
        key: KeyLevel | None = None,
        only: str | None = None,
    ) -> list[Enterprise]:
        """Enterprises of these jurisdictions (all when None); with ``key``, those key at
        that level or higher (a city key enterprise is a county key enterprise too), or with
        NONE those key nowhere; with ``only``, that credit code alone if it qualifies."""
        e = t.enterprises.c
        q = select(t.enterprises).order_by(e.jurisdiction_code, e.credit_code)
        if only is not None:
            q = q.where(e.credit_code == only)
        if jurisdictions is not None:
            q = q.where(e.jurisdiction_code.in_(list(jurisdictions)))
        if key is KeyLevel.NONE:
            q = q.where(e.key_level == "none")
        elif key is not None:
            q = q.where(e.key_level.in_([k.value for k in KeyLevel if k.rank >= key.rank]))
        return [_enterprise(r) for r in self.conn.execute(q)]

    def set_key_level(self, code: str, level: KeyLevel, now: datetime) -> None:
        self.conn.execute(
            update(t.enterprises)
            .where(t.enterprises.c.credit_code == code)
            .values(key_level=level.value, updated_at=now)
        )


def _assignment(r: Any) -> Assignment:
    return Assignment(
        id=r.id,
        kind=AssignmentKind(r.kind),
        enterprise=r.enterprise_code,
        official=r.official_id,
        unit=r.unit_id,
        valid_from=r.valid_from,
        valid_to=r.valid_to,
        ended_reason=r.ended_reason,
        level=r.jurisdiction_code,
    )


class AssignmentRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def current(
        self, enterprise: str, kind: AssignmentKind, unit: str | None = None, level: str = ""
    ) -> Assignment | None:
        """The current contact of an enterprise at ``level``, or its liaison of ``unit``."""
        a = t.assignments.c
        q = select(t.assignments).where(
            a.enterprise_code == enterprise, a.kind == kind.value, a.valid_to.is_(None)
        )
        if kind is AssignmentKind.LIAISON:
            q = q.where(a.unit_id == unit)
        else:
            q = q.where(a.jurisdiction_code == level)
        r = self.conn.execute(q).first()
        return None if r is None else _assignment(r)

    def start(
        self,
        kind: AssignmentKind,
        enterprise: str,
        official: str,
        unit: str | None,
        on: date,
        level: str,
    ) -> int:
        result = self.conn.execute(
            insert(t.assignments).values(
                kind=kind.value,
                enterprise_code=enterprise,
                official_id=official,
                unit_id=unit,
                valid_from=on,
                jurisdiction_code=level,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def end(self, assignment_id: int, on: date, reason: str) -> None:
        self.conn.execute(
            update(t.assignments)
            .where(t.assignments.c.id == assignment_id)
            .values(valid_to=on, ended_reason=reason)
        )

    def end_for_officials(self, official_ids: Iterable[str], on: date, reason: str) -> int:
        ids = list(official_ids)
        if not ids:
            return 0
        a = t.assignments.c
        return self.conn.execute(
            update(t.assignments)
            .where(a.official_id.in_(ids), a.valid_to.is_(None))
            .values(valid_to=on, ended_reason=reason)
        ).rowcount

    def end_contacts_of_ordinary(
        self, codes: Iterable[str], on: date, reason: str
    ) -> list[Assignment]:
        """End the current contact of each of ``codes`` that is no longer a key enterprise."""
        a, e = t.assignments.c, t.enterprises.c
        ended: list[Assignment] = []
        for batch in chunks(sorted(set(codes)), 1000):
            rows = self.conn.execute(
                select(t.assignments)
                .join(t.enterprises, e.credit_code == a.enterprise_code)
                .where(
                    a.kind == "contact",
                    a.valid_to.is_(None),
                    e.key_level == KeyLevel.NONE.value,
                    a.enterprise_code.in_(batch),
                )
            )
            ended += [_assignment(r) for r in rows]
        for assignment in ended:
            self.end(assignment.id, on, reason)
        return ended

    def end_stale_liaisons(self, on: date, reason: str) -> int:
        """End current liaisons whose official no longer works in the liaison's department."""
        a, o = t.assignments.c, t.officials.c
        official_unit = select(o.unit_id).where(o.id == a.official_id).scalar_subquery()
        return self.conn.execute(
            update(t.assignments)
            .where(
                a.kind == "liaison",
                a.valid_to.is_(None),
                func.coalesce(official_unit, "") != a.unit_id,
            )
            .values(valid_to=on, ended_reason=reason)
        ).rowcount

    def for_enterprise(self, enterprise: str, history: bool = False) -> list[Assignment]:
        a = t.assignments.c
        q = (
            select(t.assignments)
            .where(a.enterprise_code == enterprise)
            .order_by(a.kind, a.valid_from, a.id)
        )
        if not history:
            q = q.where(a.valid_to.is_(None))
        return [_assignment(r) for r in self.conn.execute(q)]

    def key_enterprises(self, jurisdictions: Sequence[str]) -> list[KeyEnterprise]:
        """Key enterprises registered in ``jurisdictions``, each with the levels of its
        current contact leaders: one query, the rows that coverage reads."""
        e, a = t.enterprises.c, t.assignments.c
        rows = self.conn.execute(
            select(e.credit_code, e.name, e.jurisdiction_code, e.key_level, a.jurisdiction_code)
            .select_from(
                t.enterprises.outerjoin(
                    t.assignments,
                    and_(
                        a.enterprise_code == e.credit_code,
                        a.kind == "contact",
                        a.valid_to.is_(None),
                    ),
                )
            )
            .where(e.key_level != "none", e.jurisdiction_code.in_(list(jurisdictions)))
            .order_by(e.jurisdiction_code, e.credit_code)
        )
        found: dict[str, KeyEnterprise] = {}
        for code, name, where, level, contact_level in rows:
            known = found.get(code)
            if known is None:
                known = KeyEnterprise(code, name, where, KeyLevel(level))
            if contact_level is not None:
                known = evolve(known, contact_levels=(*known.contact_levels, contact_level))
            found[code] = known
        return list(found.values())

    def contact_cards(self, enterprise: str) -> list[ContactCard]:
        a, o, u, e = t.assignments.c, t.officials.c, t.units.c, t.enterprises.c
        rows = self.conn.execute(
            select(
                a.kind,
                e.credit_code,
                e.name.label("ename"),
                o.id.label("oid"),
                o.name.label("oname"),
                o.title,
                o.phone.label("ophone"),
                u.id.label("uid"),
                u.name.label("uname"),
                u.phone.label("uphone"),
            )
            .select_from(
                t.assignments.join(t.enterprises, e.credit_code == a.enterprise_code)
                .join(t.officials, o.id == a.official_id)
                .outerjoin(t.units, u.id == func.coalesce(a.unit_id, o.unit_id))
            )
            .where(a.enterprise_code == enterprise, a.valid_to.is_(None))
            .order_by(a.kind, u.name)
        )
        return [
            ContactCard(
                enterprise=r.credit_code,
                enterprise_name=r.ename,
                unit=r.uid or "",
                unit_name=r.uname or "",
                unit_phone=r.uphone or "",
                leader=r.oid,
                leader_name=r.oname,
                leader_title=r.title,
                leader_phone=r.ophone,
                kind=AssignmentKind(r.kind),
            )
            for r in rows
        ]


class EventRepository:
    """The append-only event log: rows are inserted, never updated or deleted."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.chains = Chains(conn)

    def append(self, rows: Sequence[dict[str, Any]]) -> None:
        """The one place events are written: each chained to its subject's history
        (``store/chain.py``), then a prepared executemany (intake's hot path)."""
        insert_events(self.conn, self.chains.link(rows))

    def for_subject(self, subject: str) -> list[dict[str, Any]]:
        q = select(t.events).where(t.events.c.subject == subject).order_by(t.events.c.id)
        return [dict(r._mapping) for r in self.conn.execute(q)]
