"""The seed's ladder of leaders (R7): which leader answers for an issue, and who is next.

- a general issue goes to the vice mayor in charge of its area (分管副市长);
- a major issue, or one that is widespread / shows a trend, to the executive vice mayor (or
  the mayor, where the organisation file says so);
- a policy issue that needs a collective decision to the executive meeting (常务会议).

A county runs the same ladder one level down; past its head, an issue climbs to the city.
Pure functions over an :class:`Organisation`; the built-in router plugin calls them.
"""

from enum import StrEnum

from attrs import frozen

from serviceframe.domain.categories import Category
from serviceframe.domain.enterprise import KeyLevel
from serviceframe.domain.organisation import Official, Organisation, Role
from serviceframe.errors import ServiceFrameError


class Rung(StrEnum):
    LEAD_UNIT = "lead_unit"  # no leader is in charge: the lead unit's head answers
    VICE_MAYOR = "vice_mayor"
    EXECUTIVE_VICE_MAYOR = "executive_vice_mayor"
    MAYOR = "mayor"
    EXECUTIVE_MEETING = "executive_meeting"

    @property
    def label(self) -> str:
        return {
            "lead_unit": "主办单位负责人",
            "vice_mayor": "分管副市(县、区)长",
            "executive_vice_mayor": "常务副市(县、区)长",
            "mayor": "市(县、区)长",
            "executive_meeting": "政府常务会议",
        }[self.value]


@frozen
class RouteDecision:
    """Who answers for an issue, at which level, and why (shown by ``serviceframe route``)."""

    level: str  # the jurisdiction whose organisation handles it
    rung: Rung
    official: str | None  # None for the executive meeting
    reason: str
    informed: tuple[
        str, ...
    ] = ()  # jurisdictions told about it (a county, for a city key enterprise)


@frozen
class RoutingFacts:
    """What routing needs to know about one issue."""

    category: Category
    severity: str  # general / major / policy
    widespread: bool
    enterprise_county: str
    key_level: KeyLevel
    lead_unit: str | None = None


class RoutingError(ServiceFrameError):
    """The organisation cannot answer for an issue (no leader at a rung)."""


def handling_level(org: Organisation, facts: RoutingFacts) -> tuple[str, tuple[str, ...]]:
    """A city key enterprise is the city's (its county informed); any other is first its
    county's, when the county runs the mechanism (has a leading group), else the city's."""
    city = org.city.code
    county = facts.enterprise_county
    if facts.key_level is KeyLevel.CITY:
        return city, (county,) if county != city else ()
    if county != city and org.group_of(county) is not None:
        return county, ()
    return city, ()


def _one(org: Organisation, level: str, role: Role) -> Official | None:
    found = [o for o in org.officials_in(level) if o.role is role and o.active]
    return sorted(found, key=lambda o: o.id)[0] if found else None


def _in_charge(
    org: Organisation, level: str, category: Category, lead_unit: str | None
) -> Official | None:
    """The vice mayor whose portfolio covers the category, else the lead unit."""
    leaders = [o for o in org.officials_in(level) if o.active and o.role is Role.VICE_MAYOR]
    by_category = sorted(
        (o for o in leaders if category in o.portfolio.categories), key=lambda o: o.id
    )
    if by_category:
        return by_category[0]
    if lead_unit:
        by_unit = sorted(
            (o for o in leaders if lead_unit in o.portfolio.departments), key=lambda o: o.id
        )
        if by_unit:
            return by_unit[0]
    return None


def _unit_head(org: Organisation, unit: str | None) -> Official | None:
    heads = [
        o for o in org.officials if o.unit == unit and o.active and o.role is Role.DEPARTMENT_HEAD
    ]
    return sorted(heads, key=lambda o: o.id)[0] if heads else None


def decide(
    org: Organisation, facts: RoutingFacts, widespread_to: Role = Role.EXECUTIVE_VICE_MAYOR
) -> RouteDecision:
    level, informed = handling_level(org, facts)
    where = org.jurisdiction(level)
    place = where.name if where else level
    if facts.severity == "policy":
        return RouteDecision(
            level,
            Rung.EXECUTIVE_MEETING,
            None,
            f"政策性问题,提交{place}政府常务会议研究 (policy issue)",
            informed,
        )
    if facts.widespread or facts.severity == "major":
        role = widespread_to if facts.widespread else Role.EXECUTIVE_VICE_MAYOR
        leader = _one(org, level, role) or _one(org, level, Role.MAYOR)
        if leader is None:
            raise RoutingError(f"{place} has no {role.label} to take a major or widespread issue")
        why = "倾向性、普遍性问题" if facts.widespread else "重大问题"
        return RouteDecision(
            level,
            Rung(leader.role.value),
            leader.id,
            f"{why},由{leader.title}{leader.name}协调解决",
            informed,
        )
    leader = _in_charge(org, level, facts.category, facts.lead_unit)
    if leader is not None:
        return RouteDecision(
            level,
            Rung.VICE_MAYOR,
            leader.id,
            f"一般性问题,{facts.category.label}由分管{leader.title}{leader.name}协调解决",
            informed,
        )
    head = _unit_head(org, facts.lead_unit)
    if head is None:
        raise RoutingError(
            f"{place}: no vice mayor is in charge of category {facts.category.value} {facts.category.label}"
        )
    return RouteDecision(
        level, Rung.LEAD_UNIT, head.id, f"一般性问题,由主办单位负责人{head.name}负责", informed
    )


# The ladder from bottom to top; the executive meeting is beside it, not on it.
LADDER = (Rung.LEAD_UNIT, Rung.VICE_MAYOR, Rung.EXECUTIVE_VICE_MAYOR, Rung.MAYOR)


def outranks(org: Organisation, level: str, rung: Rung, other_level: str, other_rung: Rung) -> bool:
    """Whether ``rung`` at ``level`` stands higher than ``other_rung`` at ``other_level``: the
    city above any county, then the rung. Neither is higher when one is the meeting."""
    if Rung.EXECUTIVE_MEETING in (rung, other_rung):
        return False
    city = org.city.code
    return (level == city, LADDER.index(rung)) > (other_level == city, LADDER.index(other_rung))


def next_rung(
    org: Organisation, level: str, rung: Rung, facts: RoutingFacts
) -> RouteDecision | None:
    """One rung up the ladder, or None at the top (the city's mayor, or the meeting)."""
    city = org.city.code
    order = list(LADDER)
    if rung is Rung.EXECUTIVE_MEETING:
        return None
    for higher in order[order.index(rung) + 1 :]:
        leader = (
            _one(org, level, Role(higher.value))
            if higher is not Rung.VICE_MAYOR
            else _in_charge(org, level, facts.category, facts.lead_unit)
        )
        if leader is not None:
            return RouteDecision(
                level, higher, leader.id, f"逾期督办,提级至{leader.title}{leader.name}"
            )
    if level != city:  # a county hands up what it cannot solve
        at_city = decide(org, _at_city(facts), Role.EXECUTIVE_VICE_MAYOR)
        county = org.jurisdiction(level)
        return RouteDecision(
            city,
            at_city.rung,
            at_city.official,
            f"{county.name if county else level}未能解决,提交市级:{at_city.reason}",
            (level,),
        )
    return None


def _at_city(facts: RoutingFacts) -> RoutingFacts:
    # Routed as if it were a city key enterprise's, so that handling_level picks the city.
    return RoutingFacts(
        facts.category,
        facts.severity,
        facts.widespread,
        facts.enterprise_county,
        KeyLevel.CITY,
        facts.lead_unit,
    )


@frozen
class Routing:
    """An issue's place on the ladder, folded from its routing events.

    Kept apart from the lifecycle state: routing never changes whether an issue is
    dispatched or resolved, only who answers for it.
    """

    issue: int
    level: str
    rung: Rung
    official: str | None
    reason: str
    informed: tuple[str, ...] = ()
    escalations: int = 0
    topic: str | None = None
    cluster: int | None = None
    agenda_item: int | None = None
    decision: str = ""


ROUTING_EVENTS = frozenset({"routed", "escalated", "clustered", "queued", "decided"})


def apply_routing(
    routing: Routing | None, issue_id: int, kind: str, data: dict[str, object]
) -> Routing | None:
    """The routing state after one event of the issue; other events leave it as it is."""
    from attrs import evolve

    if kind not in ROUTING_EVENTS:
        return routing
    if kind == "routed":
        return Routing(
            issue=issue_id,
            level=str(data["level"]),
            rung=Rung(str(data["rung"])),
            official=data.get("official"),  # type: ignore[arg-type]
            reason=str(data.get("reason", "")),
            informed=tuple(data.get("informed", ())),  # type: ignore[arg-type]
            escalations=routing.escalations if routing else 0,
            topic=data.get("topic", routing.topic if routing else None),  # type: ignore[arg-type]
            cluster=routing.cluster if routing else None,
            agenda_item=routing.agenda_item if routing else None,
            decision=routing.decision if routing else "",
        )
    if routing is None:
        raise ValueError(f"'{kind}' before the issue was routed")
    if kind == "escalated":
        to = data["to"]
        assert isinstance(to, dict)
        return evolve(
            routing,
            level=to["level"],
            rung=Rung(to["rung"]),
            official=to.get("official"),
            reason=str(to.get("reason", "")),
            informed=tuple(to.get("informed", routing.informed)),
            escalations=routing.escalations + (1 if data.get("moved", True) else 0),
        )
    if kind == "clustered":
        return evolve(
            routing,
            cluster=int(data["cluster"]),  # type: ignore[call-overload]
            level=str(data["level"]),
            rung=Rung(str(data["rung"])),
            official=data.get("official"),  # type: ignore[arg-type]
            reason=str(data.get("reason", "")),
        )
    if kind == "queued":
        return evolve(routing, agenda_item=int(data["agenda_item"]))  # type: ignore[call-overload]
    return evolve(routing, decision=str(data["decision"]))  # decided
