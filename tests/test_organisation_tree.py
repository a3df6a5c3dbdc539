"""The jurisdiction tree: roots of any level, roll-ups and the office that runs each place."""

from serviceframe.domain.organisation import (
    Jurisdiction,
    JurisdictionKind,
    LeadingGroup,
    Organisation,
)

PROVINCE = (
    Jurisdiction("410000", "河南省", JurisdictionKind.PROVINCE),
    Jurisdiction("410800", "焦作市", JurisdictionKind.CITY, "410000"),
    Jurisdiction("410825", "温县", JurisdictionKind.COUNTY, "410800"),
    Jurisdiction("410882", "沁阳市", JurisdictionKind.COUNTY_CITY, "410800"),
    Jurisdiction("410700", "新乡市", JurisdictionKind.CITY, "410000"),
)


def org(groups: tuple[LeadingGroup, ...] = ()) -> Organisation:
    return Organisation(jurisdictions=PROVINCE, units=(), officials=(), groups=groups)


def test_root_is_the_province_and_descendants_roll_up_breadth_first() -> None:
    o = org()
    assert o.root.code == "410000"
    assert o.descendants("410000") == ("410000", "410800", "410700", "410825", "410882")
    assert o.descendants("410000", depth=1) == ("410000", "410800", "410700")
    assert o.descendants("410825") == ("410825",)
    assert o.ancestors("410825") == ("410800", "410000")


def test_a_county_without_a_group_is_run_by_the_nearest_group_above() -> None:
    city = LeadingGroup("410800", "焦作市领导小组", "jz-mayor", "jz-edsb")
    county = LeadingGroup("410825", "温县领导小组", "wx-head", "wx-office")
    o = org((city, county))
    assert o.running_group("410825") == county
    assert o.running_group("410882") == city
    assert o.running_group("410700") is None  # nobody above runs it: org check names the gap
