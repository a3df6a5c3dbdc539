"""The organisation file: a clerk's mistakes come back as messages naming the key and value."""

from pathlib import Path

import pytest

from serviceframe.domain.categories import Category
from serviceframe.domain.gaps import GapKind, organisation_gaps
from serviceframe.domain.organisation import Role, UnitKind
from serviceframe.errors import ConfigError
from serviceframe.orgfile import load_org
from serviceframe.testing.sample import SMALL_ORG

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "jiaozuo" / "organisation.toml"


def load_text(tmp_path: Path, text: str):
    path = tmp_path / "organisation.toml"
    path.write_text(text, encoding="utf-8")
    return load_org(path)


def problems(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_text(tmp_path, text)
    return str(info.value)


def edit(old: str, new: str, text: str = SMALL_ORG) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once in the sample"
    return text.replace(old, new)


def test_the_bundled_example_loads():
    org = load_org(EXAMPLE)
    assert org.organisation.root.code == "410800"
    assert len(org.jurisdictions) == 11
    assert org.organisation.group_of("410800").office == "jz-edsb"


def test_the_small_sample_loads(tmp_path):
    org = load_text(tmp_path, SMALL_ORG)
    officials = {o.id: o for o in org.officials}
    assert officials["jz-vm"].role is Role.DEPUTY
    assert officials["jz-vm"].portfolio.departments == {"jz-edsb", "jz-fgw"}
    assert Category.FINANCING in officials["jz-vm"].portfolio.categories
    units = {u.id: u for u in org.units}
    assert units["jz-gov"].kind is UnitKind.GOVERNMENT
    assert units["jz-edsb"].kind is UnitKind.DEPARTMENT  # the default
    assert org.quotas.city == 3


def test_unknown_top_level_key_is_rejected(tmp_path):
    message = problems(tmp_path, SMALL_ORG + '\nmotto = "为企业服务"\n')
    assert "motto" in message
    assert "@ $" in message


def test_unknown_nested_key_names_its_path(tmp_path):
    text = edit('title = "副主任"', 'title = "副主任"\nmobile = "139"')
    message = problems(tmp_path, text)
    assert "mobile" in message
    assert "$.officials[4]" in message


def test_unknown_key_in_a_portfolio_names_its_path(tmp_path):
    text = edit(
        'departments = ["jz-edsb", "jz-fgw"] }',
        'departments = ["jz-edsb", "jz-fgw"], areas = ["工业"] }',
    )
    message = problems(tmp_path, text)
    assert "areas" in message
    assert "$.officials[1].portfolio" in message


def test_bad_role_names_the_value_and_path(tmp_path):
    message = problems(tmp_path, edit('role = "department_leader"', 'role = "boss"'))
    assert "'boss'" in message
    assert "$.officials[4].role" in message


def test_bad_category_names_the_value(tmp_path):
    text = edit(
        "portfolio = { categories = [1, 2, 3, 4, 5, 6, 7, 8, 9] }\n",
        "portfolio = { categories = [1, 2, 3, 4, 5, 6, 7, 8, 10] }\n",
    )
    message = problems(tmp_path, text)
    assert "10" in message
    assert "$.officials[5].portfolio.categories" in message


def test_bad_jurisdiction_code_names_the_value(tmp_path):
    text = edit('{ code = "410821",', '{ code = "41082",')
    message = problems(tmp_path, text)
    assert "'41082'" in message
    assert "6 digits" in message
    assert "$.jurisdictions[2]" in message


def test_bad_unit_kind_names_the_value(tmp_path):
    text = edit('kind = "government"\nphone', 'kind = "ministry"\nphone')
    message = problems(tmp_path, text)
    assert "'ministry'" in message
    assert "$.units[0].kind" in message


def test_missing_required_key_is_named(tmp_path):
    message = problems(
        tmp_path,
        edit(
            'title = "局长"\nrole = "department_head"\njurisdiction = "410802"',
            'role = "department_head"\njurisdiction = "410802"',
        ),
    )
    assert "title" in message
    assert "$.officials[6]" in message


def test_a_boolean_must_be_a_boolean(tmp_path):
    # "false" in quotes is a string; taking it as true would keep a departed official in office.
    text = edit('title = "副主任"', 'title = "副主任"\nactive = "false"')
    message = problems(tmp_path, text)
    assert "'false'" in message
    assert "$.officials[4].active" in message


def test_a_list_written_as_one_string_is_named(tmp_path):
    text = edit('members = ["jf-edsb"]', 'members = "jf-edsb"')
    message = problems(tmp_path, text)
    assert "'jf-edsb'" in message
    assert "$.groups[1].members" in message
    assert "'j'" not in message  # not split into characters


def test_unknown_references_are_reported(tmp_path):
    text = edit('unit = "jz-fgw"', 'unit = "jz-nowhere"')
    text = edit('leader = "jf-mayor"', 'leader = "jf-ghost"', text)
    text = edit('members = ["jf-edsb"]', 'members = ["jf-edsb", "jf-lost"]', text)
    text = edit(
        'name = "解放区企业服务局"\njurisdiction = "410802"',
        'name = "解放区企业服务局"\njurisdiction = "410899"',
        text,
    )
    text = edit(
        '{ code = "410821", name = "修武县", kind = "county", parent = "410800" }',
        '{ code = "410821", name = "修武县", kind = "county", parent = "410900" }',
        text,
    )
    message = problems(tmp_path, text)
    assert "official jz-fgw-leader: unit='jz-nowhere' is not a unit" in message
    assert "'jf-ghost' is not an official" in message
    assert "'jf-lost' is not a unit" in message
    assert "unit jf-edsb: jurisdiction='410899' is not a jurisdiction" in message
    assert "jurisdiction 410821: parent='410900' is not a jurisdiction" in message
    assert "5 problem(s)" in message


def test_unknown_portfolio_department_is_reported(tmp_path):
    text = edit('departments = ["jz-edsb", "jz-fgw"]', 'departments = ["jz-edsb", "jz-xxx"]')
    message = problems(tmp_path, text)
    assert "official jz-vm" in message
    assert "'jz-xxx'" in message


def test_duplicate_ids_are_reported(tmp_path):
    message = problems(tmp_path, edit('id = "jz-fgw-leader"', 'id = "jz-edsb-head"'))
    assert "'jz-edsb-head' appears twice" in message


def test_an_uncovered_category_loads_and_is_listed_as_a_gap(tmp_path):
    # A county whose leaders are in charge of eight categories can run: general issues of the
    # ninth go to its executive deputy or head, and `org check` lists the gap.
    text = edit(
        "portfolio = { categories = [1, 2, 3, 4, 5, 6, 7, 8, 9] }\n",
        "portfolio = { categories = [1, 2, 3, 4, 5, 6, 8, 9] }\n",
    )
    org = load_text(tmp_path, text).organisation
    gaps = [g for g in organisation_gaps(org) if g.kind is GapKind.CATEGORY]
    assert [(g.level, g.subject) for g in gaps] == [("410802", "7")]
    assert "解放区" in gaps[0].message and "7 优化发展环境" in gaps[0].message


def test_old_role_names_are_still_read(tmp_path):
    """Files written for the first release say mayor / executive_vice_mayor / vice_mayor."""
    text = edit('role = "head"\njurisdiction = "410800"', 'role = "mayor"\njurisdiction = "410800"')
    text = edit('role = "deputy"', 'role = "vice_mayor"', text)
    text += '\n[escalation]\nwidespread_to = "executive_vice_mayor"\n'
    org = load_text(tmp_path, text)
    officials = {o.id: o for o in org.officials}
    assert officials["jz-mayor"].role is Role.HEAD
    assert officials["jz-vm"].role is Role.DEPUTY
    assert org.escalation.widespread_to is Role.EXECUTIVE_DEPUTY


def test_a_jurisdiction_without_a_group_needs_no_portfolios(tmp_path):
    # 修武县 has no leading group and no officials: that is allowed.
    org = load_text(tmp_path, SMALL_ORG)
    assert org.organisation.group_of("410821") is None


def test_a_group_is_made_of_its_own_jurisdiction(tmp_path):
    text = edit(
        'leader = "jf-mayor"\noffice = "jf-edsb"', 'leader = "jf-mayor"\noffice = "jz-edsb"'
    )
    text = edit('members = ["jf-edsb"]', 'members = ["jf-edsb", "jz-fgw"]', text)
    message = problems(tmp_path, text)
    assert "group 410802: office 'jz-edsb' is a unit of 410800" in message
    assert "group 410802: member 'jz-fgw' is a unit of 410800" in message


def test_an_official_works_in_a_unit_of_their_jurisdiction(tmp_path):
    text = edit(
        'title = "局长"\nrole = "department_head"\njurisdiction = "410802"\nunit = "jf-edsb"',
        'title = "局长"\nrole = "department_head"\njurisdiction = "410802"\nunit = "jz-edsb"',
    )
    message = problems(tmp_path, text)
    assert "official jf-edsb-head: unit 'jz-edsb' is a unit of 410800, not 410802" in message


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ('name = "于洪"', 'name = "' + "于" * 101 + '"', "$.officials[0]"),
        (
            'title = "局长"\nrole = "department_head"\njurisdiction = "410800"',
            'title = "' + "局" * 101 + '"\nrole = "department_head"\njurisdiction = "410800"',
            "$.officials[2]",
        ),
        ('id = "jz-fgw"', 'id = "' + "x" * 65 + '"', "$.units[2]"),
        ('phone = "0391-3990000"', 'phone = "' + "1" * 51 + '"', "$.units[0]"),
    ],
    ids=["official-name", "title", "unit-id", "phone"],
)
def test_overlong_values_are_named(tmp_path, old, new, path):
    message = problems(tmp_path, edit(old, new))
    assert "at most" in message
    assert path in message


def test_group_leader_must_be_the_head(tmp_path):
    message = problems(tmp_path, edit('leader = "jz-mayor"', 'leader = "jz-edsb-head"'))
    assert "leader='jz-edsb-head'" in message
    assert "not head" in message


def test_all_problems_are_reported_at_once(tmp_path):
    text = edit('unit = "jz-fgw"', 'unit = "jz-nowhere"')
    text = edit('leader = "jf-mayor"', 'leader = "jf-ghost"', text)
    text = edit('unit = "jf-gov"', 'unit = "jf-nowhere"', text)
    message = problems(tmp_path, text)
    assert "3 problem(s)" in message
    assert len([line for line in message.splitlines() if line.startswith("  - ")]) == 3


def test_all_shape_problems_are_reported_at_once(tmp_path):
    text = edit('role = "department_leader"', 'role = "boss"')
    text = edit('kind = "government"\nphone', 'kind = "ministry"\nphone', text)
    text = 'motto = "x"\n' + text
    message = problems(tmp_path, text)
    assert "3 problem(s)" in message
    for part in ("'boss'", "'ministry'", "motto"):
        assert part in message


def test_toml_syntax_error_names_the_file(tmp_path):
    path = tmp_path / "组织.toml"
    path.write_text('name = "x"\njurisdictions = [\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_org(path)
    assert str(path) in str(info.value)
    assert "not valid TOML" in str(info.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_org(tmp_path / "nope.toml")
    assert "nope.toml" in str(info.value)


def test_messages_name_the_file(tmp_path):
    message = problems(tmp_path, edit('role = "department_leader"', 'role = "boss"'))
    assert message.startswith(str(tmp_path / "organisation.toml"))


def test_calendar_overrides_are_found_next_to_the_file(tmp_path):
    org = load_text(tmp_path, SMALL_ORG + '\n[deadlines]\ncalendar_overrides = "holidays.toml"\n')
    assert org.deadlines.calendar_overrides == str(tmp_path / "holidays.toml")
