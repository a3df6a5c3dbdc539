"""The ladder on random organisations full of gaps (no executive deputy, leaders who left,
categories nobody is in charge of, levels without a group): whatever the organisation,
routing decides, escalation climbs strictly, never lands on the head of the unit that missed
the deadline, and reaches the top in a bounded number of steps."""

from hypothesis import event, given, settings
from hypothesis import strategies as st

from serviceframe.domain.categories import Category
from serviceframe.domain.enterprise import KeyLevel, key_level_of
from serviceframe.domain.gaps import GapKind, organisation_gaps
from serviceframe.domain.organisation import (
    Jurisdiction,
    JurisdictionKind,
    LeadingGroup,
    Official,
    Organisation,
    Portfolio,
    Role,
    Unit,
    UnitKind,
    check_organisation,
)
from serviceframe.domain.routing import (
    LADDER,
    RoutingFacts,
    Rung,
    decide,
    handling_level,
    next_rung,
    outranks,
)

CATEGORIES = [c for c in Category if c is not Category.UNCLASSIFIED]
MOSTLY = st.sampled_from([True, True, True, False])  # most leaders in office, groups in place
BELOW = {
    JurisdictionKind.PROVINCE: [JurisdictionKind.CITY],
    JurisdictionKind.CITY: [JurisdictionKind.COUNTY, JurisdictionKind.DISTRICT],
    JurisdictionKind.COUNTY: [JurisdictionKind.ZONE],
    JurisdictionKind.DISTRICT: [],
    JurisdictionKind.ZONE: [],
}


@st.composite
def organisations(draw) -> Organisation:
    root_kind = draw(
        st.sampled_from([JurisdictionKind.PROVINCE, JurisdictionKind.CITY, JurisdictionKind.COUNTY])
    )
    places = [Jurisdiction("100000", "根", root_kind)]
    frontier = [places[0]]
    while frontier:
        parent = frontier.pop(0)
        for _ in range(draw(st.integers(1, 2)) if BELOW[parent.kind] else 0):
            kind = draw(st.sampled_from(BELOW[parent.kind]))
            child = Jurisdiction(f"{100000 + len(places)}", f"地{len(places)}", kind, parent.code)
            places.append(child)
            frontier.append(child)
    units: list[Unit] = []
    officials: list[Official] = []
    groups: list[LeadingGroup] = []
    for place in places:
        c = place.code
        gov = Unit(f"{c}-gov", "政府", c, UnitKind.GOVERNMENT)
        departments = [Unit(f"{c}-d{n}", f"部门{n}", c) for n in range(draw(st.integers(1, 2)))]
        units += [gov, *departments]
        for d in departments:
            if draw(st.booleans()):
                officials.append(
                    Official(
                        f"{d.id}-head",
                        "局长",
                        "局长",
                        Role.DEPARTMENT_HEAD,
                        c,
                        d.id,
                        active=draw(MOSTLY),
                    )
                )
        # A head (who may have left office) and any mix of deputies (who may have too).
        roles = draw(
            st.lists(
                st.sampled_from([Role.EXECUTIVE_DEPUTY, Role.DEPUTY, Role.DEPUTY]), max_size=4
            ).map(lambda rs: [Role.HEAD, *rs])
        )
        for n, role in enumerate(roles):
            portfolio = Portfolio(
                frozenset(draw(st.lists(st.sampled_from(CATEGORIES), max_size=5))),
                frozenset(draw(st.lists(st.sampled_from([d.id for d in departments]), max_size=1))),
            )
            officials.append(
                Official(
                    f"{c}-l{n}",
                    f"领导{n}",
                    "领导",
                    role,
                    c,
                    gov.id,
                    portfolio=portfolio,
                    active=draw(st.booleans()),
                )
            )
        heads = [o.id for o in officials if o.jurisdiction == c and o.role is Role.HEAD]
        if heads and draw(MOSTLY if place.parent else st.just(True)):
            groups.append(LeadingGroup(c, "领导小组", heads[0], departments[0].id))
    return Organisation(tuple(places), tuple(units), tuple(officials), tuple(groups))


@st.composite
def cases(draw) -> tuple[Organisation, RoutingFacts]:
    org = draw(organisations())
    # Mostly the enterprises of the lowest places, mostly ordinary ones and general issues:
    # they have the most rungs to climb.
    leaves = [j for j in org.jurisdictions if not org.children(j.code)]
    where = draw(st.sampled_from(leaves) | st.sampled_from(org.jurisdictions))
    levels = [key_level_of(j.kind) for c in org.chain(where.code) if (j := org.jurisdiction(c))]
    facts = RoutingFacts(
        draw(st.sampled_from(CATEGORIES)),
        draw(st.sampled_from(["general", "general", "major"])),
        draw(MOSTLY.map(lambda b: not b)),
        where.code,
        draw(st.just(KeyLevel.NONE) | st.sampled_from(levels)),
        draw(st.sampled_from([None, *(u.id for u in org.units if u.kind is UnitKind.DEPARTMENT)])),
    )
    return org, facts


@settings(max_examples=300, deadline=None)
@given(cases(), st.sampled_from([Role.EXECUTIVE_DEPUTY, Role.HEAD]))
def test_routing_never_dead_ends_and_escalation_always_climbs(case, widespread_to):
    org, facts = case
    assert check_organisation(org) == []
    decision = decide(org, facts, widespread_to)  # never raises, however many gaps
    people = {o.id: o for o in org.officials}
    assert decision.level in org.descendants(org.root.code)
    if decision.official is not None:
        who = people[decision.official]
        assert who.active
        if decision.rung is Rung.LEAD_UNIT:
            assert who.role is Role.DEPARTMENT_HEAD and who.unit == facts.lead_unit
        else:
            assert who.jurisdiction == decision.level
            assert who.role is decision.rung.role
    # Where no leader of the handling level can take it, the skips say why.
    level, _ = handling_level(org, facts)
    if decision.level != level or decision.official is None:
        assert decision.skipped

    # The lead unit misses deadline after deadline: each sweep moves the issue one rung.
    overdue_heads = org.unit_heads(facts.lead_unit)
    at = (decision.level, decision.rung, decision.official)
    steps = 0
    while True:
        climb = next_rung(org, *at[:2], facts, overdue_heads, at[2], widespread_to)
        if climb.decision is None:
            break
        d = climb.decision
        steps += 1
        assert steps <= 4 * len(org.jurisdictions)
        assert outranks(org, d.level, d.rung, at[0], at[1]), (at, d)
        assert d.official is not None and d.official not in overdue_heads
        assert d.official != at[2]
        who = people[d.official]
        assert who.active and who.jurisdiction == d.level and who.role is d.rung.role
        assert d.level in org.chain(at[0])  # only ever upwards, never sideways
        at = (d.level, d.rung, d.official)
    # At the top: no level above that runs the mechanism would have anybody to take it.
    assert at[1] in LADDER
    event(
        f"climbed {min(steps, 4)}+ rungs, {'across levels' if at[0] != decision.level else 'one level'}"
    )
    event("skips recorded" if decision.skipped else "no skip at routing")


@settings(max_examples=100, deadline=None)
@given(organisations())
def test_every_missing_rung_of_a_running_level_is_a_gap(org):
    gaps = {(g.level, g.kind, g.subject) for g in organisation_gaps(org)}
    for group in org.groups:
        for role in (Role.HEAD, Role.EXECUTIVE_DEPUTY, Role.DEPUTY):
            missing = not org.leaders_in(group.jurisdiction, role)
            assert ((group.jurisdiction, GapKind.RUNG, role.value) in gaps) == missing
