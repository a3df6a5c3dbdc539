"""Who serves enterprises: jurisdictions, units, officials with portfolios, leading groups (R1).

A county runs the same mechanism as the city, one level down: it has its own government unit,
leaders, departments, leading group and office. Everything is keyed by stable string ids that
the organisation file chooses (``jz-mayor``, ``jz-edsb``), and by GB/T 2260 codes for places.
"""

import re
from collections.abc import Callable, Iterable
from enum import StrEnum

from attrs import Attribute, field, frozen

from serviceframe.domain.categories import Category
from serviceframe.errors import ValidationError

_GB2260 = re.compile(r"^\d{6}$")
_ADDRESS_KIND = re.compile(r"^[a-z][a-z0-9_-]{0,29}$")


class JurisdictionKind(StrEnum):
    PROVINCE = "province"  # 省、自治区、直辖市
    CITY = "city"  # 地级市
    COUNTY = "county"  # 县
    COUNTY_CITY = "county_city"  # 县级市
    DISTRICT = "district"  # 市辖区
    ZONE = "zone"  # 高新区、工业集聚区

    @property
    def label(self) -> str:
        return {
            "province": "省",
            "city": "市",
            "county": "县",
            "county_city": "县级市",
            "district": "区",
            "zone": "园区",
        }[self.value]


class Role(StrEnum):
    """The rungs and roles the seed names; ``mayor`` also stands for a county head (县长/区长)."""

    MAYOR = "mayor"  # 市长 / 县(市、区)长
    EXECUTIVE_VICE_MAYOR = "executive_vice_mayor"  # 常务副市长
    VICE_MAYOR = "vice_mayor"  # 副市长 (with a portfolio, 分管)
    DEPARTMENT_HEAD = "department_head"  # 部门主要负责人
    DEPARTMENT_LEADER = "department_leader"  # 部门领导 (分管副职)
    LIAISON_OFFICER = "liaison_officer"  # 企业联络员
    OFFICE_STAFF = "office_staff"  # 服务企业办公室工作人员

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def is_leader(self) -> bool:
        """May be a key enterprise's contact person (市领导或职能部门领导)."""
        return self not in (Role.LIAISON_OFFICER, Role.OFFICE_STAFF)


ROLE_LABELS = {
    Role.MAYOR: "市长",
    Role.EXECUTIVE_VICE_MAYOR: "常务副市长",
    Role.VICE_MAYOR: "副市长",
    Role.DEPARTMENT_HEAD: "部门主要负责人",
    Role.DEPARTMENT_LEADER: "部门领导",
    Role.LIAISON_OFFICER: "企业联络员",
    Role.OFFICE_STAFF: "办公室工作人员",
}


class UnitKind(StrEnum):
    GOVERNMENT = "government"  # 人民政府: where the mayor and vice mayors sit
    DEPARTMENT = "department"  # 职能部门


def _code(_inst: object, attribute: object, value: str) -> None:
    if not _GB2260.match(value):
        raise ValidationError("code", value, "a GB/T 2260 code has 6 digits, e.g. 410800")


def _at_most(limit: int) -> "Callable[[object, Attribute[str], str], None]":
    """A validator for the width of the store's column, so a long value is named here."""

    def check(_inst: object, attribute: "Attribute[str]", value: str) -> None:
        if len(value) > limit:
            raise ValidationError(
                attribute.name, value, f"at most {limit} characters, got {len(value)}"
            )

    return check


def _addresses(_inst: object, _attribute: object, value: dict[str, str]) -> None:
    for kind, address in value.items():
        if not _ADDRESS_KIND.match(kind):
            raise ValidationError(
                "addresses", kind, "an address kind is lower-case letters, digits, _ or -"
            )
        if not isinstance(address, str) or len(address) > 300:
            raise ValidationError(f"addresses.{kind}", address, "a text of at most 300 characters")


def _reach(*tables: dict[str, str]) -> dict[str, str]:
    return {k: v.strip() for table in tables for k, v in table.items() if v and v.strip()}


_ID = _at_most(64)
_NAME = _at_most(100)
_LONG_NAME = _at_most(200)
_PHONE = _at_most(50)


@frozen
class Jurisdiction:
    code: str = field(validator=_code)
    name: str = field(validator=_NAME)
    kind: JurisdictionKind
    parent: str | None = None

    @property
    def is_city(self) -> bool:
        return self.parent is None


@frozen
class Unit:
    id: str = field(validator=_ID)
    name: str = field(validator=_LONG_NAME)
    jurisdiction: str
    kind: UnitKind = UnitKind.DEPARTMENT
    phone: str = field(default="", validator=_PHONE)
    active: bool = True
    # Where notifications reach the unit, per address kind: {"email": …, "wecom": …}.
    addresses: dict[str, str] = field(factory=dict, hash=False, validator=_addresses)

    def reach(self) -> dict[str, str]:
        """Every address of the unit: its phone and its ``addresses`` table."""
        return _reach({"phone": self.phone}, self.addresses)


@frozen
class Portfolio:
    """What an official is in charge of (分管): service categories and departments."""

    categories: frozenset[Category] = frozenset()
    departments: frozenset[str] = frozenset()


@frozen
class Official:
    id: str = field(validator=_ID)
    name: str = field(validator=_NAME)
    title: str = field(validator=_NAME)
    role: Role
    jurisdiction: str
    unit: str | None = None
    phone: str = field(default="", validator=_PHONE)
    email: str = field(default="", validator=_at_most(200))
    portfolio: Portfolio = Portfolio()
    active: bool = True
    # Chat ids and other addresses per channel kind, beside ``phone`` and ``email``.
    addresses: dict[str, str] = field(factory=dict, hash=False, validator=_addresses)

    def reach(self) -> dict[str, str]:
        """Every address of the official: phone, email and the ``addresses`` table."""
        return _reach({"phone": self.phone, "email": self.email}, self.addresses)


@frozen
class LeadingGroup:
    """领导小组 of one jurisdiction, and its office (办公室) that runs daily work."""

    jurisdiction: str
    name: str = field(validator=_LONG_NAME)
    leader: str
    office: str
    deputies: tuple[str, ...] = ()
    members: tuple[str, ...] = ()


@frozen
class Quotas:
    """Targets for key enterprises: reported against, never enforced."""

    city: int = 100
    county: int = 20


@frozen
class Organisation:
    """A whole organisation as the organisation file describes it, validated as a whole."""

    jurisdictions: tuple[Jurisdiction, ...]
    units: tuple[Unit, ...]
    officials: tuple[Official, ...]
    groups: tuple[LeadingGroup, ...] = ()
    quotas: Quotas = Quotas()

    @property
    def root(self) -> Jurisdiction:
        """The top of the tree: a province, a city, or a county that runs on its own."""
        return next(j for j in self.jurisdictions if j.parent is None)

    @property
    def city(self) -> Jurisdiction:
        # The root, under its old name; new code says ``root``.
        return self.root

    def jurisdiction(self, code: str) -> Jurisdiction | None:
        return next((j for j in self.jurisdictions if j.code == code), None)

    def children(self, code: str) -> tuple[Jurisdiction, ...]:
        return tuple(j for j in self.jurisdictions if j.parent == code)

    def ancestors(self, code: str) -> tuple[str, ...]:
        """The codes above ``code``, nearest first (its parent, then the parent's parent…)."""
        up: list[str] = []
        here = self.jurisdiction(code)
        while here is not None and here.parent is not None and here.parent not in up:
            up.append(here.parent)
            here = self.jurisdiction(here.parent)
        return tuple(up)

    def descendants(self, code: str, depth: int | None = None) -> tuple[str, ...]:
        """``code`` and the codes below it, breadth first; ``depth=1`` stops at its children.

        What a roll-up (``--jurisdiction CODE [--depth N]``) counts.
        """
        found = [code]
        frontier = [code]
        level = 0
        while frontier and (depth is None or level < depth):
            frontier = [c.code for f in frontier for c in self.children(f) if c.code not in found]
            found += frontier
            level += 1
        return tuple(found)

    def running_group(self, code: str) -> LeadingGroup | None:
        """The leading group that runs the mechanism for ``code``: its own, when it has one,
        else the nearest one above it. Its office is where the jurisdiction's issues land."""
        for where in (code, *self.ancestors(code)):
            group = self.group_of(where)
            if group is not None:
                return group
        return None

    def group_of(self, code: str) -> LeadingGroup | None:
        return next((g for g in self.groups if g.jurisdiction == code), None)

    def officials_in(self, code: str) -> tuple[Official, ...]:
        return tuple(o for o in self.officials if o.jurisdiction == code)


def check_organisation(org: Organisation) -> list[str]:
    """Every broken rule of a whole organisation, as messages naming the record and the value.

    Empty when the organisation is sound. Kept pure so that ``org load`` can report all problems
    at once before anything is written.
    """
    problems: list[str] = []
    codes = _unique(problems, "jurisdictions", [j.code for j in org.jurisdictions])
    unit_ids = _unique(problems, "units", [u.id for u in org.units])
    official_ids = _unique(problems, "officials", [o.id for o in org.officials])

    cities = [j for j in org.jurisdictions if j.parent is None]
    if len(cities) != 1:
        problems.append(
            f"jurisdictions: exactly one must have no parent (the city), found {len(cities)}"
        )
    for j in org.jurisdictions:
        if j.parent is not None and j.parent not in codes:
            problems.append(f"jurisdiction {j.code}: parent={j.parent!r} is not a jurisdiction")
    for u in org.units:
        if u.jurisdiction not in codes:
            problems.append(f"unit {u.id}: jurisdiction={u.jurisdiction!r} is not a jurisdiction")
    for o in org.officials:
        where = f"official {o.id}"
        if o.jurisdiction not in codes:
            problems.append(f"{where}: jurisdiction={o.jurisdiction!r} is not a jurisdiction")
        if o.unit is not None and o.unit not in unit_ids:
            problems.append(f"{where}: unit={o.unit!r} is not a unit")
        for d in sorted(o.portfolio.departments - unit_ids):
            problems.append(f"{where}: portfolio.departments has {d!r}, which is not a unit")
    units_by_id = {u.id: u for u in org.units}
    for o in org.officials:
        home = units_by_id.get(o.unit or "")
        if home is not None and home.jurisdiction in codes and home.jurisdiction != o.jurisdiction:
            problems.append(
                f"official {o.id}: unit {o.unit!r} is a unit of {home.jurisdiction}, "
                f"not {o.jurisdiction}"
            )
    by_id = {o.id: o for o in org.officials}
    seen_groups: set[str] = set()
    for g in org.groups:
        where = f"group {g.jurisdiction}"
        if g.jurisdiction in seen_groups:
            problems.append(f"{where}: a jurisdiction has one leading group, found a second")
        seen_groups.add(g.jurisdiction)
        if g.jurisdiction not in codes:
            problems.append(f"{where}: jurisdiction={g.jurisdiction!r} is not a jurisdiction")
        for person in (g.leader, *g.deputies):
            if person not in official_ids:
                problems.append(f"{where}: {person!r} is not an official")
        for unit in (g.office, *g.members):
            if unit not in unit_ids:
                problems.append(f"{where}: {unit!r} is not a unit")
        # A county runs the mechanism with its own people and departments.
        for what, unit_id in (("office", g.office), *(("member", m) for m in g.members)):
            found = units_by_id.get(unit_id)
            if found is not None and found.jurisdiction in codes - {g.jurisdiction}:
                problems.append(f"{where}: {what} {unit_id!r} is a unit of {found.jurisdiction}")
        for person in (g.leader, *g.deputies):
            official = by_id.get(person)
            if official is not None and official.jurisdiction in codes - {g.jurisdiction}:
                problems.append(f"{where}: {person!r} is an official of {official.jurisdiction}")
        # The seed routes general issues to the vice mayor in charge of the area: a category
        # that nobody in the jurisdiction is in charge of would strand issues, so refuse it now.
        covered = {
            c
            for o in org.officials
            if o.jurisdiction == g.jurisdiction and o.active
            for c in o.portfolio.categories
        }
        missing = [c for c in Category if c is not Category.UNCLASSIFIED and c not in covered]
        if missing:
            names = ", ".join(f"{c.value} {c.label}" for c in missing)
            problems.append(f"{where}: no official is in charge of category {names}")
        leader = by_id.get(g.leader)
        if leader is not None and leader.role is not Role.MAYOR:
            problems.append(f"{where}: leader={g.leader!r} has role {leader.role}, not mayor")
    return problems


def _unique(problems: list[str], what: str, keys: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            problems.append(f"{what}: id {key!r} appears twice")
        seen.add(key)
    return seen
