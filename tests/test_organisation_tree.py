"""The jurisdiction tree: roots of any level, roll-ups and the office that runs each place."""

import pytest

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


def test_names_are_accepted_where_a_code_is_asked_for() -> None:
    from serviceframe.errors import ValidationError

    o = Organisation(
        jurisdictions=(
            *PROVINCE,
            Jurisdiction("410702", "红旗区", JurisdictionKind.DISTRICT, "410700"),
            Jurisdiction("410802", "红旗区", JurisdictionKind.DISTRICT, "410800"),  # a namesake
        ),
        units=(),
        officials=(),
    )
    assert o.resolve("410825") == "410825"
    assert o.resolve(" 温县 ") == "410825"
    assert o.resolve("焦作市温县") == o.resolve("河南省焦作市温县") == "410825"
    assert o.resolve("新乡市红旗区") == "410702"
    with pytest.raises(ValidationError, match="410702 红旗区, 410802 红旗区"):
        o.resolve("红旗区")
    with pytest.raises(ValidationError, match="not a jurisdiction"):
        o.resolve("410899")
    assert o.common_ancestor(["410825", "410882"]) == "410800"
    assert o.common_ancestor(["410825", "410702"]) == "410000"
    assert o.common_ancestor(["410825"]) == "410825"


@pytest.mark.parametrize(
    ("kind", "head", "executive", "deputy", "meeting"),
    [
        (JurisdictionKind.PROVINCE, "省长", "常务副省长", "分管副省长", "省政府常务会议"),
        (JurisdictionKind.CITY, "市长", "常务副市长", "分管副市长", "市政府常务会议"),
        (JurisdictionKind.COUNTY, "县长", "常务副县长", "分管副县长", "县政府常务会议"),
        (JurisdictionKind.COUNTY_CITY, "市长", "常务副市长", "分管副市长", "市政府常务会议"),
        (JurisdictionKind.DISTRICT, "区长", "常务副区长", "分管副区长", "区政府常务会议"),
        (
            JurisdictionKind.ZONE,
            "管委会主任",
            "管委会常务副主任",
            "分管管委会副主任",
            "管委会主任办公会议",
        ),
    ],
)
def test_each_level_names_its_rungs_in_its_own_words(kind, head, executive, deputy, meeting):
    from serviceframe.domain.organisation import Role, role_title
    from serviceframe.domain.routing import Rung

    assert role_title(Role.HEAD, kind) == Rung.HEAD.label_at(kind) == head
    assert Rung.EXECUTIVE_DEPUTY.label_at(kind) == executive
    assert Rung.DEPUTY.label_at(kind) == deputy
    assert Rung.EXECUTIVE_MEETING.label_at(kind) == meeting
    # Stored events of the first release name the rungs the old way.
    assert Rung("mayor") is Rung.HEAD and Rung("vice_mayor") is Rung.DEPUTY
    assert Role("executive_vice_mayor") is Role.EXECUTIVE_DEPUTY


def test_a_key_enterprise_is_its_highest_running_levels_and_informs_those_below() -> None:
    from serviceframe.domain.categories import Category
    from serviceframe.domain.enterprise import KeyLevel
    from serviceframe.domain.routing import RoutingFacts, handling_level

    groups = tuple(
        LeadingGroup(code, "领导小组", f"{code}-head", f"{code}-office")
        for code in ("410000", "410800", "410825")
    )
    o = org(groups)

    def level(key: KeyLevel, where: str = "410825") -> tuple[str, tuple[str, ...]]:
        return handling_level(o, RoutingFacts(Category.FINANCING, "general", False, where, key))

    assert level(KeyLevel.PROVINCE) == ("410000", ("410825", "410800"))
    assert level(KeyLevel.CITY) == ("410800", ("410825",))
    assert level(KeyLevel.COUNTY) == ("410825", ())
    assert level(KeyLevel.NONE) == ("410825", ())
    # 沁阳市 has no group of its own: its enterprises are 焦作市's, city key or not.
    assert level(KeyLevel.NONE, "410882") == ("410800", ())
    assert level(KeyLevel.PROVINCE, "410882") == ("410000", ("410882", "410800"))


def test_a_place_cannot_be_under_a_lower_one_nor_in_a_circle() -> None:
    from serviceframe.domain.organisation import check_organisation

    bad = Organisation(
        jurisdictions=(
            Jurisdiction("410825", "温县", JurisdictionKind.COUNTY),
            Jurisdiction("410800", "焦作市", JurisdictionKind.CITY, "410825"),
            Jurisdiction("410801", "甲区", JurisdictionKind.DISTRICT, "410802"),
            Jurisdiction("410802", "乙区", JurisdictionKind.DISTRICT, "410801"),
        ),
        units=(),
        officials=(),
    )
    problems = check_organisation(bad)
    assert "jurisdiction 410800 焦作市: a city cannot be under 410825 (county)" in problems
    assert "jurisdiction 410801: its parents go round in a circle" in problems
