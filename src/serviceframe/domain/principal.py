"""Who is acting: a principal, its role, and what the role may do (docs/identities.md).

A principal is resolved from one id against the organisation and the registry: a leading
group's office unit (or ``office`` for the root office), a department's unit id, an official's
id, an enterprise's credit code, ``auditor`` or ``system``. What it may *see* is its scope
(which issues; :mod:`serviceframe.store.scope` turns it into a WHERE clause); what it may *do*
is the table :data:`ALLOWED` below. Both are checked in the service layer, so the CLI, a portal
and an embedding program get the same answer.
"""

from collections.abc import Callable, Iterable
from enum import StrEnum

from attrs import frozen

from serviceframe.domain.categories import Category
from serviceframe.domain.organisation import Organisation
from serviceframe.errors import Forbidden, UnknownPrincipal, ValidationError


class PrincipalKind(StrEnum):
    OFFICE = "office"  # a leading group's office: everything in its jurisdiction tree
    HANDLER = "handler"  # a department (unit): the issues it receives, leads or co-handles
    LEADER = "leader"  # an official: issues routed to them and their portfolio
    ENTERPRISE = "enterprise"  # an enterprise user: its own enterprise only
    AUDITOR = "auditor"  # reads everything, changes nothing
    SYSTEM = "system"  # sweeps and channels

    @property
    def label(self) -> str:
        return {
            "office": "服务企业办公室",
            "handler": "承办单位",
            "leader": "领导",
            "enterprise": "企业用户",
            "auditor": "审计",
            "system": "系统",
        }[self.value]


class Action(StrEnum):
    READ = "read"  # see an issue, its history, lists and reports
    FILE = "file"  # file an issue
    MANAGE = "manage"  # accept, reclassify, dispatch, reject, merge (the office's sorting)
    ACKNOWLEDGE = "acknowledge"  # 签收 as the lead unit
    HANDLE = "handle"  # progress and resolve
    RATE = "rate"  # the enterprise's satisfaction
    SWEEP = "sweep"  # escalation, deadlines, outbox: jobs over the whole store
    # A report: over the whole store for those who see everything; a county office's own
    # jurisdiction tree and a department's own ledger through report_place / report_unit.
    REPORT = "report"
    CONFIGURE = "configure"  # load the organisation, import the registry
    INSTRUCT = "instruct"  # a leader's instruction on an issue (批示): recorded, told the units


# What each kind may do, inside its scope. The office may act for a unit or an enterprise
# (acknowledge, rate): the event records that it did so on their behalf.
ALLOWED: dict[PrincipalKind, frozenset[Action]] = {
    PrincipalKind.OFFICE: frozenset(Action),
    PrincipalKind.HANDLER: frozenset({Action.READ, Action.FILE, Action.ACKNOWLEDGE, Action.HANDLE}),
    # A leader reads and gives instructions (批示); the units' work reaches it through the
    # office and the ladder.
    PrincipalKind.LEADER: frozenset({Action.READ, Action.INSTRUCT}),
    PrincipalKind.ENTERPRISE: frozenset({Action.READ, Action.FILE, Action.RATE}),
    PrincipalKind.AUDITOR: frozenset({Action.READ}),
    PrincipalKind.SYSTEM: frozenset({Action.READ, Action.FILE, Action.SWEEP}),
}

MAX_ID = 64


@frozen
class Principal:
    kind: PrincipalKind
    id: str  # the unit, official or enterprise code; "auditor", "system"
    # The jurisdictions it reaches (its own and those below); empty for auditor and system,
    # who reach everything, and for an enterprise, who reaches only itself.
    jurisdictions: frozenset[str] = frozenset()
    root: bool = False  # the root office (or, before any organisation is loaded, the only one)
    categories: frozenset[Category] = frozenset()  # a leader's portfolio
    departments: frozenset[str] = frozenset()  # a leader's portfolio

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"

    @property
    def everywhere(self) -> bool:
        """Sees every issue: auditor, system, and the root office."""
        return self.kind in (PrincipalKind.AUDITOR, PrincipalKind.SYSTEM) or self.root

    def reaches(self, enterprise: str, jurisdiction: str) -> bool:
        """May act for this enterprise (file for it): the enterprise itself, or anyone whose
        jurisdictions hold the enterprise's place."""
        if self.kind is PrincipalKind.ENTERPRISE:
            return enterprise == self.id
        return self.everywhere or jurisdiction in self.jurisdictions

    def require_reach(self, enterprise: str, jurisdiction: str) -> None:
        """Raise :class:`Forbidden` unless it may read this enterprise's record (:meth:`reaches`)."""
        if not self.reaches(enterprise, jurisdiction):
            raise Forbidden(str(self), Action.READ.value, f"enterprise {enterprise}", _OUTSIDE)

    def may(self, action: Action) -> bool:
        if action in (Action.SWEEP, Action.CONFIGURE) and self.kind is PrincipalKind.OFFICE:
            return self.root  # jobs and the organisation span the whole tree
        if action is Action.REPORT:  # over the whole store; a part of it: report_place/unit
            return self.everywhere
        return action in ALLOWED[self.kind]

    def home(self, org: Organisation) -> str:
        """The top of the jurisdictions it reaches (the root for those who see everything)."""
        if self.everywhere or not self.jurisdictions:
            return org.root.code
        return min(self.jurisdictions, key=lambda code: (org.depth(code), code))

    def report_place(self, org: Organisation, jurisdiction: str | None) -> str:
        """The top of a report by place (the ledger, coordination, the circular) over
        ``jurisdiction`` (code or name), by default the whole tree this principal sees.

        Those who see everything report on any place; a county office on its own
        jurisdiction and those below; anyone else, or a place outside, is :class:`Forbidden`.
        """
        if not self.everywhere and self.kind is not PrincipalKind.OFFICE:
            self.require(Action.REPORT, f"jurisdiction {jurisdiction or self.home(org)}")
        code = org.resolve(jurisdiction) if jurisdiction else self.home(org)
        if not self.everywhere and code not in self.jurisdictions:
            raise Forbidden(str(self), Action.REPORT.value, f"jurisdiction {code}", _OUTSIDE)
        return code

    def report_places(self, org: Organisation, codes: Iterable[str] | None) -> list[str] | None:
        """The jurisdiction codes a report by place may cover, from those asked for (None:
        every place it reaches; None back means no limit, for those who see everything).
        A county office gets its own places, and :class:`Forbidden` for one outside."""
        if self.everywhere:
            return None if codes is None else list(codes)
        home = self.report_place(org, None)  # Forbidden to anyone but an office
        if codes is None:
            return list(org.descendants(home))
        wanted = list(codes)
        outside = sorted(c for c in wanted if c not in self.jurisdictions)
        if outside:
            raise Forbidden(str(self), Action.REPORT.value, f"jurisdiction {outside[0]}", _OUTSIDE)
        return wanted

    def report_unit(self, unit: str, jurisdiction: str | None) -> None:
        """May run the ledger of ``unit`` of ``jurisdiction`` (None: no such unit, which the
        caller reports to those who may run a ledger at all): those who see everything any
        unit's, a county office those of its places, a department handler its own only."""
        if self.everywhere:
            return
        if self.kind not in (PrincipalKind.OFFICE, PrincipalKind.HANDLER):
            self.require(Action.REPORT, f"unit {unit}" if unit else "ledger")
        if (
            jurisdiction is None
            or (self.kind is PrincipalKind.OFFICE and jurisdiction in self.jurisdictions)
            or (self.kind is PrincipalKind.HANDLER and unit == self.id)
        ):
            return
        raise Forbidden(str(self), Action.REPORT.value, f"unit {unit}", _OUTSIDE)

    def require(self, action: Action, obj: str) -> None:
        """Raise :class:`Forbidden` naming the actor, the action and the object."""
        if not self.may(action):
            raise Forbidden(
                str(self), action.value, obj, f"a {self.kind.value} ({self.kind.label}) cannot"
            )


_OUTSIDE = "outside its scope"

OFFICE = "office"  # the root office, the CLI's default


def bootstrap_office() -> Principal:
    """The root office of a store without an organisation yet: it loads the first one."""
    return Principal(PrincipalKind.OFFICE, OFFICE, root=True)


def resolve_principal(
    text: str,
    org: Organisation | None,
    enterprise_exists: Callable[[str], bool] | None = None,
) -> Principal:
    """The principal ``text`` names. ``enterprise_exists(code) -> bool`` looks the registry up.

    The order is fixed and ids are unique across units and officials (``org load`` checks),
    so an id means one thing.
    """
    wanted = check_principal_text(text)
    if wanted == "auditor":
        return Principal(PrincipalKind.AUDITOR, "auditor")
    if wanted == "system":
        return Principal(PrincipalKind.SYSTEM, "system")
    if org is None:
        if wanted == OFFICE:
            return bootstrap_office()
        raise UnknownPrincipal(
            f"--as {wanted!r}: no organisation is loaded yet; act as office to load one"
        )
    root = org.root.code
    if wanted == OFFICE:
        group = org.group_of(root)
        return _office(org, group.office if group is not None else OFFICE, root)
    for group in org.groups:
        if group.office == wanted:
            return _office(org, wanted, group.jurisdiction)
    unit = next((u for u in org.units if u.id == wanted), None)
    if unit is not None:
        return Principal(
            PrincipalKind.HANDLER, unit.id, frozenset(org.descendants(unit.jurisdiction))
        )
    official = org.official(wanted)
    if official is not None:
        return Principal(
            PrincipalKind.LEADER,
            official.id,
            frozenset(org.descendants(official.jurisdiction)),
            categories=official.portfolio.categories,
            departments=official.portfolio.departments,
        )
    code = wanted.upper()
    if enterprise_exists is not None and len(code) == 18 and enterprise_exists(code):
        return Principal(PrincipalKind.ENTERPRISE, code)
    raise UnknownPrincipal(
        f"--as {wanted!r}: not an office, unit, official or registered enterprise, nor "
        "auditor or system (see docs/identities.md) · 未知的身份"
    )


def _office(org: Organisation, unit: str, code: str) -> Principal:
    return Principal(
        PrincipalKind.OFFICE,
        unit,
        frozenset(org.descendants(code)),
        root=code == org.root.code,
    )


def check_principal_text(text: str) -> str:
    wanted = str(text).strip()
    if not wanted or len(wanted) > MAX_ID or not wanted.isprintable():
        raise ValidationError(
            "as", text, f"a principal is one id of at most {MAX_ID} printable characters"
        )
    return wanted


MAX_ACTOR = 100  # the width of events.actor


def check_actor(text: str) -> str:
    """The free-text name of the person at the keyboard (``--actor``), recorded beside the
    principal: one line, printable, short enough for the event's column."""
    name = str(text).strip()
    if not name or not name.isprintable() or len(name) > MAX_ACTOR:
        raise ValidationError(
            "actor",
            text,
            f"one line of at most {MAX_ACTOR} printable characters, e.g. 张伟",
        )
    return name
