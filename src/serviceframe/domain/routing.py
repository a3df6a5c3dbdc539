"""The seed's ladder of leaders (R7): which leader answers for an issue, and who is next.

- a general issue goes to the leader in charge of its area (分管副市长, 分管副县长…);
- a major issue, or one that is widespread / shows a trend, to the executive deputy head (or
  the head, where the organisation file says so);
- a policy issue that needs a collective decision to the executive meeting (常务会议).

Every level runs the same ladder: lead unit's head < deputy in charge < executive deputy <
head. Past its head an issue climbs to the level above that runs the mechanism (county → city
→ province). The ladder never dead-ends: a rung nobody holds (no executive deputy in the file,
a leader marked inactive) is skipped to the next rung that exists, and each skip is named so
that it can be recorded on the issue; nobody ever receives an issue because the unit they head
missed its deadline. Pure functions over an :class:`Organisation`; the built-in router plugin
calls them.
"""

from collections.abc import Collection
from datetime import date, datetime
from enum import StrEnum

from attrs import evolve, frozen

from serviceframe.domain.categories import Category
from serviceframe.domain.enterprise import KeyLevel
from serviceframe.domain.organisation import (
    OLD_ROLE_NAMES,
    JurisdictionKind,
    Official,
    Organisation,
    Role,
    role_title,
)
from serviceframe.errors import ServiceFrameError


class Rung(StrEnum):
    """A place on a level's ladder. The names of the first release (``vice_mayor``,
    ``executive_vice_mayor``, ``mayor``) are still read from stored events."""

    LEAD_UNIT = "lead_unit"  # no leader is in charge: the lead unit's head answers
    DEPUTY = "deputy"  # 分管副职
    EXECUTIVE_DEPUTY = "executive_deputy"  # 常务副职
    HEAD = "head"  # 主要领导
    EXECUTIVE_MEETING = "executive_meeting"
    # The first release's names, as aliases of the same members (see Role).
    VICE_MAYOR = "deputy"
    EXECUTIVE_VICE_MAYOR = "executive_deputy"
    MAYOR = "head"

    @classmethod
    def _missing_(cls, value: object) -> "Rung | None":
        old = OLD_ROLE_NAMES.get(str(value))  # a rung is named after the role standing on it
        return None if old is None else cls(old)

    @property
    def label(self) -> str:
        """The rung without a level: 分管副职, 常务副职, 政府主要领导."""
        return RUNG_LABELS[self]

    def label_at(self, kind: JurisdictionKind | None) -> str:
        """The rung at a level: 分管副县长 in a county, 常务副省长 in a province."""
        if kind is None or self is Rung.LEAD_UNIT:
            return self.label
        if self is Rung.EXECUTIVE_MEETING:
            if kind is JurisdictionKind.ZONE:
                return "管委会主任办公会议"
            return f"{kind.head_title[:-1]}政府常务会议"
        title = role_title(RUNG_ROLES[self], kind)
        return "分管" + title if self is Rung.DEPUTY else title

    @property
    def role(self) -> Role | None:
        return RUNG_ROLES.get(self)


RUNG_LABELS = {
    Rung.LEAD_UNIT: "主办单位负责人",
    Rung.DEPUTY: "分管副职",
    Rung.EXECUTIVE_DEPUTY: "常务副职",
    Rung.HEAD: "政府主要领导",
    Rung.EXECUTIVE_MEETING: "政府常务会议",
}

RUNG_ROLES = {
    Rung.DEPUTY: Role.DEPUTY,
    Rung.EXECUTIVE_DEPUTY: Role.EXECUTIVE_DEPUTY,
    Rung.HEAD: Role.HEAD,
}

# The ladder from bottom to top; the executive meeting is beside it, not on it.
LADDER = (Rung.LEAD_UNIT, Rung.DEPUTY, Rung.EXECUTIVE_DEPUTY, Rung.HEAD)


def rung_of(role: Role) -> Rung:
    """The rung a government leader stands on."""
    return {v: k for k, v in RUNG_ROLES.items()}[role]


@frozen
class Skip:
    """A rung passed over because nobody can take the issue there, and why (in Chinese)."""

    level: str
    rung: Rung
    why: str


@frozen
class RouteDecision:
    """Who answers for an issue, at which level, and why (shown by ``serviceframe route``)."""

    level: str  # the jurisdiction whose organisation handles it
    rung: Rung
    official: str | None  # None for the executive meeting
    reason: str
    informed: tuple[str, ...] = ()  # jurisdictions told about it (a county, for a city key one)
    skipped: tuple[Skip, ...] = ()  # rungs passed over on the way, each with its reason


@frozen
class RoutingFacts:
    """What routing needs to know about one issue."""

    category: Category
    severity: str  # general / major / policy
    widespread: bool
    enterprise_jurisdiction: str  # where the enterprise is registered (usually a county)
    key_level: KeyLevel
    lead_unit: str | None = None


class RoutingError(ServiceFrameError):
    """A router plugin could not decide an issue."""


def handling_level(org: Organisation, facts: RoutingFacts) -> tuple[str, tuple[str, ...]]:
    """Which level's ladder takes an issue first, and which levels below it are told.

    A key enterprise is the highest level's that designated it and runs the mechanism (a
    city key enterprise is the city's, its county informed); any other enterprise is its
    own level's when that level has a leading group, else the nearest level above that has.
    """
    chain = org.chain(facts.enterprise_jurisdiction)
    running = [c for c in chain if org.group_of(c) is not None]
    key_at = [
        c
        for c in running
        if (j := org.jurisdiction(c)) is not None and facts.key_level.is_key_at(j.kind)
    ]
    if key_at:
        level = key_at[-1]
        return level, chain[: chain.index(level)]
    return (running[0] if running else org.root.code), ()


def _kind(org: Organisation, level: str) -> JurisdictionKind | None:
    found = org.jurisdiction(level)
    return found.kind if found is not None else None


def _title(org: Organisation, level: str, role: Role) -> str:
    kind = _kind(org, level)
    return role_title(role, kind) if kind is not None else role.label


_IN_CHARGE_ORDER = {Role.DEPUTY: 0, Role.EXECUTIVE_DEPUTY: 1, Role.HEAD: 2}


def in_charge(
    org: Organisation,
    level: str,
    category: Category,
    lead_unit: str | None,
    roles: Collection[Role] = tuple(_IN_CHARGE_ORDER),
) -> Official | None:
    """The leader of ``level`` in charge (分管) of the category, else of the lead unit: a
    deputy first, then an executive deputy, then the head, whose portfolios count alike."""
    leaders = sorted(
        (o for o in org.officials_in(level) if o.active and o.role in roles),
        key=lambda o: (_IN_CHARGE_ORDER[o.role], o.id),
    )
    by_category = [o for o in leaders if category in o.portfolio.categories]
    if by_category:
        return by_category[0]
    if lead_unit:
        by_unit = [o for o in leaders if lead_unit in o.portfolio.departments]
        if by_unit:
            return by_unit[0]
    return None


def holder(org: Organisation, level: str, rung: Rung, facts: RoutingFacts) -> Official | None:
    """Who stands on ``rung`` at ``level`` for this issue, if anybody."""
    if rung is Rung.LEAD_UNIT:
        heads = [
            o
            for o in org.officials
            if facts.lead_unit and o.unit == facts.lead_unit and o.active
            if o.role is Role.DEPARTMENT_HEAD
        ]
        return sorted(heads, key=lambda o: o.id)[0] if heads else None
    if rung is Rung.DEPUTY:
        return in_charge(org, level, facts.category, facts.lead_unit, (Role.DEPUTY,))
    if rung is Rung.EXECUTIVE_DEPUTY:
        return in_charge(
            org, level, facts.category, facts.lead_unit, (Role.EXECUTIVE_DEPUTY,)
        ) or next(iter(org.leaders_in(level, Role.EXECUTIVE_DEPUTY)), None)
    if rung is Rung.HEAD:
        return next(iter(org.leaders_in(level, Role.HEAD)), None)
    return None


def _missing(org: Organisation, level: str, rung: Rung, facts: RoutingFacts) -> Skip:
    place = org.place(level)
    if rung is Rung.LEAD_UNIT:
        return Skip(level, rung, f"主办单位{facts.lead_unit or '(未交办)'}没有在任的负责人")
    role = RUNG_ROLES[rung]
    title = _title(org, level, role)
    if rung is Rung.DEPUTY:
        why = f"{place}没有分管{facts.category.value} {facts.category.label}的{title}"
    else:
        why = f"{place}没有在任的{title}"
    gone = [o.name for o in org.officials_in(level) if o.role is role and not o.active]
    if gone:
        why += f"({'、'.join(gone)} 已不在任)"
    return Skip(level, rung, why)


def _excluded(who: Official) -> str:
    return f"{who.name}({who.id})是逾期单位的负责人,不接办本单位逾期的问题"


def _step(
    org: Organisation,
    level: str,
    rungs: tuple[Rung, ...],
    facts: RoutingFacts,
    exclude: Collection[str],
    current: str | None,
    reason: str,
) -> tuple[RouteDecision | None, list[Skip]]:
    """The first of ``rungs`` at ``level`` that somebody can take, with the rungs skipped."""
    skipped: list[Skip] = []
    for rung in rungs:
        who = holder(org, level, rung, facts)
        if who is None:
            # No deputy in charge is no gap when the executive deputy or the head is.
            if (
                rung is not Rung.DEPUTY
                or in_charge(org, level, facts.category, facts.lead_unit) is None
            ):
                skipped.append(_missing(org, level, rung, facts))
        elif who.id in exclude:
            skipped.append(Skip(level, rung, _excluded(who)))
        elif who.id != current:  # the same person on the next rung too: go on up
            return RouteDecision(level, rung, who.id, reason.format(who=who)), skipped
    return None, skipped


def _above(org: Organisation, level: str) -> str | None:
    """The nearest level above ``level`` that runs the mechanism (has a leading group)."""
    return next((c for c in org.ancestors(level) if org.group_of(c) is not None), None)


def _enter(
    org: Organisation,
    level: str,
    facts: RoutingFacts,
    widespread_to: Role,
    exclude: Collection[str] = (),
    lead_unit_may_answer: bool = True,
) -> tuple[RouteDecision | None, list[Skip]]:
    """Where an issue lands on the ladder of ``level``, climbing further up past missing
    rungs (and missing levels) as far as needed; None when nobody anywhere can take it."""
    skipped: list[Skip] = []
    place = org.place(level)
    if facts.widespread or facts.severity == "major":
        start = (
            Rung.HEAD if facts.widespread and widespread_to is Role.HEAD else Rung.EXECUTIVE_DEPUTY
        )
        why = "倾向性、普遍性问题" if facts.widespread else "重大问题"
        d, skipped = _step(
            org,
            level,
            LADDER[LADDER.index(start) :],
            facts,
            exclude,
            None,
            why + ",由{who.title}{who.name}协调解决",
        )
    else:
        leader = in_charge(org, level, facts.category, facts.lead_unit)
        d = None
        if leader is not None and leader.id not in exclude:
            d = RouteDecision(
                level,
                rung_of(leader.role),
                leader.id,
                f"一般性问题,{facts.category.label}由分管{leader.title}{leader.name}协调解决",
            )
        else:
            skipped.append(
                _missing(org, level, Rung.DEPUTY, facts)
                if leader is None
                else Skip(level, Rung.DEPUTY, _excluded(leader))
            )
            if lead_unit_may_answer:
                d, more = _step(
                    org,
                    level,
                    (Rung.LEAD_UNIT,),
                    facts,
                    exclude,
                    None,
                    "一般性问题,由主办单位负责人{who.name}负责",
                )
                skipped += [s for s in more if facts.lead_unit]  # not dispatched: no gap
            if d is None:
                d, more = _step(
                    org,
                    level,
                    (Rung.EXECUTIVE_DEPUTY, Rung.HEAD),
                    facts,
                    exclude,
                    None,
                    "一般性问题,无分管领导,由{who.title}{who.name}协调解决",
                )
                skipped += more
    if d is not None:
        return d, skipped
    up = _above(org, level)
    if up is None:
        return None, skipped
    d, more = _enter(org, up, facts, widespread_to, exclude, lead_unit_may_answer=False)
    if d is not None:
        d = evolve(
            d,
            reason=f"{place}无人承接,提交{org.place(up)}:{d.reason}",
            informed=tuple(dict.fromkeys((level, *d.informed))),
        )
    return d, skipped + more


def decide(
    org: Organisation, facts: RoutingFacts, widespread_to: Role = Role.EXECUTIVE_DEPUTY
) -> RouteDecision:
    """Who answers for an issue first. Never fails: missing rungs are skipped (and named in
    ``skipped``); where nobody at all can take it, the office of the level holds it."""
    level, informed = handling_level(org, facts)
    place = org.place(level)
    if facts.severity == "policy":
        return RouteDecision(
            level,
            Rung.EXECUTIVE_MEETING,
            None,
            f"政策性问题,提交{place}政府常务会议研究 (policy issue)",
            informed,
        )
    d, skipped = _enter(org, level, facts, widespread_to)
    if d is None:
        return RouteDecision(
            level,
            Rung.HEAD,
            None,
            f"{place}及其上级都没有在任领导可以承接,由办公室暂管;请补齐组织机构 (org check)",
            informed,
            tuple(skipped),
        )
    return evolve(
        d,
        informed=tuple(dict.fromkeys(x for x in (*informed, *d.informed) if x != d.level)),
        skipped=tuple(skipped),
    )


def outranks(org: Organisation, level: str, rung: Rung, other_level: str, other_rung: Rung) -> bool:
    """Whether ``rung`` at ``level`` stands higher than ``other_rung`` at ``other_level``: a
    level nearer the root above any below it, then the rung. Neither is higher when one is
    the meeting."""
    if Rung.EXECUTIVE_MEETING in (rung, other_rung):
        return False
    return (-org.depth(level), LADDER.index(rung)) > (
        -org.depth(other_level),
        LADDER.index(other_rung),
    )


@frozen
class Climb:
    """One rung up: where the issue goes (None at the top) and the rungs skipped on the way."""

    decision: RouteDecision | None
    skipped: tuple[Skip, ...] = ()


def next_rung(
    org: Organisation,
    level: str,
    rung: Rung,
    facts: RoutingFacts,
    exclude: Collection[str] = (),
    current: str | None = None,
    widespread_to: Role = Role.EXECUTIVE_DEPUTY,
) -> Climb:
    """The next rung above ``rung`` at ``level`` that somebody can take, skipping missing
    rungs, the heads in ``exclude`` (of the unit that missed its deadline) and ``current``
    (who has the issue now); past the head, the level above. No decision at the top (the
    root's head, or the meeting)."""
    if rung is Rung.EXECUTIVE_MEETING:
        return Climb(None)
    higher = LADDER[LADDER.index(rung) + 1 :]
    d, skipped = _step(
        org, level, higher, facts, exclude, current, "逾期督办,提级至{who.title}{who.name}"
    )
    if d is not None:
        return Climb(d, tuple(skipped))
    up = _above(org, level)
    if up is None:
        return Climb(None, tuple(skipped))
    d, more = _enter(org, up, facts, widespread_to, exclude, lead_unit_may_answer=False)
    if d is not None:
        d = evolve(
            d,
            reason=f"{org.place(level)}未能解决,提交{org.place(up)}:{d.reason}",
            informed=tuple(dict.fromkeys((level, *d.informed))),
            skipped=(),
        )
    return Climb(d, tuple(skipped + more))


@frozen
class Routing:
    """An issue's place on the ladder, folded from its routing events.

    Kept apart from the lifecycle state: routing never changes whether an issue is
    dispatched or resolved, only who answers for it. ``reply_due`` is the reply limit of
    the issue's latest supervision order (督办): when it passes with the issue still open,
    the sweep follows it up one rung higher (催办); ``listed_at`` is when the issue was
    listed as long-overdue (挂牌督办) at the top of the ladder.
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
    reply_due: date | None = None
    listed_at: datetime | None = None


ROUTING_EVENTS = frozenset(
    {"routed", "escalated", "clustered", "queued", "decided", "supervision_closed"}
)


def _date(value: object) -> date | None:
    return None if value in (None, "") else date.fromisoformat(str(value))


def _moment(value: object) -> datetime | None:
    return None if value in (None, "") else datetime.fromisoformat(str(value))


def apply_routing(
    routing: Routing | None, issue_id: int, kind: str, data: dict[str, object]
) -> Routing | None:
    """The routing state after one event of the issue; other events leave it as it is.

    Events stored before roles were level-neutral name rungs ``vice_mayor`` and so on;
    :class:`Rung` reads them as the rungs they were.
    """
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
            reply_due=routing.reply_due if routing else None,
            listed_at=routing.listed_at if routing else None,
        )
    if routing is None:
        raise ValueError(f"'{kind}' before the issue was routed")
    if kind == "escalated":
        to = data["to"]
        assert isinstance(to, dict)
        listed = _moment(data.get("listed_at"))
        return evolve(
            routing,
            level=to["level"],
            rung=Rung(to["rung"]),
            official=to.get("official"),
            reason=str(to.get("reason", "")),
            informed=tuple(to.get("informed", routing.informed)),
            escalations=routing.escalations + (1 if data.get("moved", True) else 0),
            # Orders stored before reply limits existed have none: nothing to follow up.
            reply_due=_date(data.get("reply_due")),
            listed_at=routing.listed_at or listed,
        )
    if kind == "supervision_closed":
        return evolve(routing, reply_due=None)
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
