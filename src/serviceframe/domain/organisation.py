"""Who serves enterprises: jurisdictions, units, officials with portfolios, leading groups (R1).

The root of the tree may be a province, a city or a county that runs the mechanism on its own;
below it any depth of 省 → 地级市 → 县/县级市/区/园区. Every level that has a leading group runs
the same mechanism with its own government, leaders, departments and office. Roles are
level-neutral (``head`` is a 省长, 市长, 县长 or 区长 depending on the level); their Chinese titles
come from the kind of jurisdiction. Everything is keyed by stable string ids that the
organisation file chooses (``jz-mayor``, ``jz-edsb``), and by GB/T 2260 codes for places.
"""

import re
from collections.abc import Callable, Iterable
from enum import StrEnum

from attrs import Attribute, field, frozen

from serviceframe.domain.categories import Category
from serviceframe.errors import ValidationError

# ASCII digits only: "\d" would also take the full-width "４１０８２１" a Chinese IME types.
_GB2260 = re.compile(r"^[0-9]{6}$")
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

    @property
    def rank(self) -> int:
        """3 for a province, 2 for a city, 1 for the county level (县、县级市、区、园区)."""
        return {"province": 3, "city": 2}.get(self.value, 1)

    @property
    def head_title(self) -> str:
        """What the head of its government is called: 省长, 市长, 县长, 区长, 管委会主任."""
        return {
            "province": "省长",
            "city": "市长",
            "county": "县长",
            "county_city": "市长",
            "district": "区长",
            "zone": "管委会主任",
        }[self.value]


class Role(StrEnum):
    """Level-neutral roles. The first three are the rungs of a government's ladder; their
    titles depend on the level (:func:`role_title`). The names the first release used
    (``mayor``, ``executive_vice_mayor``, ``vice_mayor``) are still accepted, in organisation
    files and in stored events, and mean the same roles."""

    HEAD = "head"  # 省长 / 市长 / 县长 / 区长
    EXECUTIVE_DEPUTY = "executive_deputy"  # 常务副省长 / 常务副市长 / 常务副县长 / 常务副区长
    DEPUTY = "deputy"  # 副省长 / 副市长 / 副县长 / 副区长 (with a portfolio, 分管)
    DEPARTMENT_HEAD = "department_head"  # 部门主要负责人
    DEPARTMENT_LEADER = "department_leader"  # 部门领导 (分管副职)
    LIAISON_OFFICER = "liaison_officer"  # 企业联络员
    OFFICE_STAFF = "office_staff"  # 服务企业办公室工作人员
    # The first release's names, as aliases of the same members (code written against it
    # keeps working; iterating over Role lists each role once). New code says HEAD…
    MAYOR = "head"
    EXECUTIVE_VICE_MAYOR = "executive_deputy"
    VICE_MAYOR = "deputy"

    @classmethod
    def _missing_(cls, value: object) -> "Role | None":
        old = OLD_ROLE_NAMES.get(str(value))
        return None if old is None else cls(old)

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def is_leader(self) -> bool:
        """May be a key enterprise's contact person (市领导或职能部门领导)."""
        return self not in (Role.LIAISON_OFFICER, Role.OFFICE_STAFF)

    @property
    def is_government_leader(self) -> bool:
        """A rung of the ladder: the head of a government or one of its deputies."""
        return self in (Role.HEAD, Role.EXECUTIVE_DEPUTY, Role.DEPUTY)


# The role names of the first release, which said "mayor" for every level's head.
OLD_ROLE_NAMES = {
    "mayor": "head",
    "executive_vice_mayor": "executive_deputy",
    "vice_mayor": "deputy",
}

ROLE_LABELS = {
    Role.HEAD: "政府主要领导",
    Role.EXECUTIVE_DEPUTY: "常务副职",
    Role.DEPUTY: "分管副职",
    Role.DEPARTMENT_HEAD: "部门主要负责人",
    Role.DEPARTMENT_LEADER: "部门领导",
    Role.LIAISON_OFFICER: "企业联络员",
    Role.OFFICE_STAFF: "办公室工作人员",
}


def role_title(role: Role, kind: JurisdictionKind) -> str:
    """The Chinese title of a role at a level: ``head`` at a county is 县长, at a city 市长."""
    head = kind.head_title
    if role is Role.HEAD:
        return head
    if role is Role.EXECUTIVE_DEPUTY:
        return (
            head[:-2] + "常务副" + head[-2:] if kind is JurisdictionKind.ZONE else "常务副" + head
        )
    if role is Role.DEPUTY:
        return head[:-2] + "副" + head[-2:] if kind is JurisdictionKind.ZONE else "副" + head
    return role.label


class UnitKind(StrEnum):
    GOVERNMENT = "government"  # 人民政府: where the mayor and vice mayors sit
    DEPARTMENT = "department"  # 职能部门


def _code(_inst: object, attribute: object, value: str) -> None:
    if not _GB2260.match(value):
        hint = "a GB/T 2260 code has 6 digits (ASCII 0-9), e.g. 410800"
        if any(not ch.isascii() for ch in str(value)):
            hint += (
                " (full-width digits such as ４１０８２１ are not accepted: type them half-width)"
            )
        raise ValidationError("code", value, hint)


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
    def is_root(self) -> bool:
        return self.parent is None

    def title(self, role: Role) -> str:
        """The title of ``role`` here: 县长 in a county, 常务副市长 in a city."""
        return role_title(role, self.kind)


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

    @property
    def display(self) -> str:
        """How people see an official: name, title and the id beside, ``黄秀倩 副市长 (jz-vm)``."""
        return f"{self.name} {self.title} ({self.id})"


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
    """Targets for key enterprises per level: reported against, never enforced."""

    province: int = 100
    city: int = 100
    county: int = 20

    def target(self, kind: JurisdictionKind) -> int:
        return {3: self.province, 2: self.city}.get(kind.rank, self.county)


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

    def jurisdiction(self, code: str) -> Jurisdiction | None:
        return next((j for j in self.jurisdictions if j.code == code), None)

    def place(self, code: str) -> str:
        """The name of a jurisdiction for people, or the code when it is unknown."""
        found = self.jurisdiction(code)
        return found.name if found is not None else code

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

    def chain(self, code: str) -> tuple[str, ...]:
        """``code`` and the codes above it, nearest first: where an enterprise belongs."""
        return (code, *self.ancestors(code))

    def depth(self, code: str) -> int:
        """0 for the root, 1 for its children, …"""
        return len(self.ancestors(code))

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

    def common_ancestor(self, codes: Iterable[str]) -> str:
        """The lowest jurisdiction whose subtree holds every one of ``codes`` (the root when
        they are spread over the whole tree)."""
        chains = [self.chain(c) for c in codes]
        if not chains:
            return self.root.code
        shared = set(chains[0]).intersection(*chains[1:])
        return next((c for c in chains[0] if c in shared), self.root.code)

    def running_group(self, code: str) -> LeadingGroup | None:
        """The leading group that runs the mechanism for ``code``: its own, when it has one,
        else the nearest one above it. Its office is where the jurisdiction's issues land."""
        for where in self.chain(code):
            group = self.group_of(where)
            if group is not None:
                return group
        return None

    def group_of(self, code: str) -> LeadingGroup | None:
        return next((g for g in self.groups if g.jurisdiction == code), None)

    def official(self, official_id: str | None) -> Official | None:
        return next((o for o in self.officials if o.id == official_id), None)

    def officials_in(self, code: str) -> tuple[Official, ...]:
        return tuple(o for o in self.officials if o.jurisdiction == code)

    def leaders_in(self, code: str, role: Role) -> tuple[Official, ...]:
        """The active officials of ``code`` with ``role``, by id."""
        return tuple(
            sorted(
                (o for o in self.officials_in(code) if o.role is role and o.active),
                key=lambda o: o.id,
            )
        )

    def unit_heads(self, unit_id: str | None) -> tuple[str, ...]:
        """The active heads of a unit: a department's head (局长), or for a government unit
        the head of that government (县长): who answers for the unit when it is overdue."""
        return tuple(
            sorted(
                o.id
                for o in self.officials
                if unit_id is not None
                and o.unit == unit_id
                and o.active
                and o.role in (Role.DEPARTMENT_HEAD, Role.HEAD)
            )
        )

    def unit_name(self, unit_id: str | None) -> str:
        """A unit for people: ``焦作市发展和改革委员会 (jz-fgw)``; the bare id if unknown."""
        if not unit_id:
            return ""
        found = next((u for u in self.units if u.id == unit_id), None)
        return f"{found.name} ({unit_id})" if found is not None else unit_id

    def who(self, official_id: str | None) -> str:
        """An official for people: ``黄秀倩 副市长 (jz-vm)``; the bare id if unknown."""
        if official_id is None:
            return ""
        found = self.official(official_id)
        return found.display if found is not None else official_id

    def resolve(self, text: str, field_name: str = "jurisdiction") -> str:
        """The code of a jurisdiction given by its code or by its name (``温县``), or its name
        with those above it (``焦作市温县``) when two places share a name."""
        wanted = str(text).strip()
        if self.jurisdiction(wanted) is not None:
            return wanted
        matches = sorted({j.code for j in self.jurisdictions if wanted in self._names(j.code)})
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise ValidationError(
                field_name,
                text,
                "more than one place has this name ("
                + ", ".join(f"{c} {self.place(c)}" for c in matches)
                + "); give the code",
            )
        raise ValidationError(
            field_name, text, "not a jurisdiction of the organisation (give its code or name)"
        )

    def _names(self, code: str) -> set[str]:
        """``温县``, ``焦作市温县``, ``河南省焦作市温县``: a name and each longer qualified name."""
        names = [self.place(c) for c in self.chain(code)]
        return {"".join(reversed(names[: n + 1])) for n in range(len(names))}


def check_organisation(org: Organisation) -> list[str]:
    """Every broken rule of a whole organisation, as messages naming the record and the value.

    Empty when the organisation is sound. Kept pure so that ``org load`` can report all problems
    at once before anything is written. Gaps that leave the mechanism working (a rung nobody
    holds, a category nobody is in charge of) are not problems here: ``org check`` lists them
    (:mod:`serviceframe.domain.gaps`) and the ladder skips them.
    """
    problems: list[str] = []
    codes = _unique(problems, "jurisdictions", [j.code for j in org.jurisdictions])
    unit_ids = _unique(problems, "units", [u.id for u in org.units])
    official_ids = _unique(problems, "officials", [o.id for o in org.officials])
    # One id names one thing: `--as ID` and every reference resolve to a unit or an official.
    for both in sorted(unit_ids & official_ids):
        problems.append(f"units and officials: id {both!r} names a unit and an official")

    roots = [j for j in org.jurisdictions if j.parent is None]
    if len(roots) != 1:
        problems.append(
            "jurisdictions: exactly one must have no parent (the top: a province, a city or "
            f"a county that runs on its own), found {len(roots)}"
        )
    kinds = {j.code: j.kind for j in org.jurisdictions}
    for j in org.jurisdictions:
        if j.parent is None:
            continue
        if j.parent not in codes:
            problems.append(f"jurisdiction {j.code}: parent={j.parent!r} is not a jurisdiction")
        elif kinds[j.parent].rank < j.kind.rank:
            problems.append(
                f"jurisdiction {j.code} {j.name}: a {j.kind.value} cannot be under "
                f"{j.parent} ({kinds[j.parent].value})"
            )
        elif len(roots) == 1 and roots[0].code not in org.chain(j.code):
            problems.append(f"jurisdiction {j.code}: its parents go round in a circle")
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
        leader = by_id.get(g.leader)
        if leader is not None and leader.role is not Role.HEAD:
            problems.append(
                f"{where}: leader={g.leader!r} has role {leader.role.value}, not head "
                "(the head of the government leads its group)"
            )
    return problems


def _unique(problems: list[str], what: str, keys: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            problems.append(f"{what}: id {key!r} appears twice")
        seen.add(key)
    return seen
