"""The bundled example city (examples/jiaozuo/) is sound and matches the seed's numbers."""

import csv
import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from serviceframe.domain.categories import SERVICE_CATEGORIES
from serviceframe.domain.credit_code import is_valid_credit_code
from serviceframe.domain.enterprise import normalise_industry
from serviceframe.domain.organisation import Role, UnitKind
from serviceframe.orgfile import OrgFile, load_org

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "jiaozuo"
CITY = "410800"
COUNTIES = {
    "410802": "解放区",
    "410803": "中站区",
    "410804": "马村区",
    "410811": "山阳区",
    "410821": "修武县",
    "410822": "博爱县",
    "410823": "武陟县",
    "410825": "温县",
    "410882": "沁阳市",
    "410883": "孟州市",
}
CONTACT_ROLES = {
    Role.HEAD,
    Role.EXECUTIVE_DEPUTY,
    Role.DEPUTY,
    Role.DEPARTMENT_HEAD,
    Role.DEPARTMENT_LEADER,
}
ENTERPRISE_HEADER = (
    "统一社会信用代码,企业名称,所属县区,行业代码,重点级别,联系人,联系电话,电子邮箱,地址"
)


def read_csv(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with (EXAMPLE / name).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def org() -> OrgFile:
    return load_org(EXAMPLE / "organisation.toml")


@pytest.fixture(scope="module")
def enterprises() -> list[dict[str, str]]:
    return read_csv("enterprises.csv")[1]


@pytest.fixture(scope="module")
def assignments() -> list[dict[str, str]]:
    return read_csv("assignments.csv")[1]


def test_organisation_file_loads(org: OrgFile) -> None:
    assert org.name == "焦作市服务工业企业长效机制"
    assert org.quotas.city == 100
    assert org.quotas.county == 20
    assert org.deadlines.resolve_general == 7
    assert org.taxonomy[1]["拉闸限电"] == 3.0


def test_jurisdictions(org: OrgFile) -> None:
    places = {j.code: j for j in org.jurisdictions}
    assert len(places) == 11
    assert places[CITY].name == "焦作市"
    assert places[CITY].parent is None
    for code, name in COUNTIES.items():
        assert places[code].name == name
        assert places[code].parent == CITY


def test_city_group_follows_the_seed(org: OrgFile) -> None:
    group = org.organisation.group_of(CITY)
    assert group is not None
    assert group.name == "焦作市服务工业企业长效机制领导小组"
    assert group.office == "jz-edsb"
    assert len(group.members) == 21
    officials = {o.id: o for o in org.officials}
    assert officials[group.leader].role is Role.HEAD
    assert [officials[d].role for d in group.deputies] == [
        Role.EXECUTIVE_DEPUTY,
        Role.DEPUTY,
    ]


@pytest.mark.parametrize("code", [CITY, *COUNTIES])
def test_every_category_has_someone_in_charge(org: OrgFile, code: str) -> None:
    covered = {
        c for o in org.organisation.officials_in(code) if o.active for c in o.portfolio.categories
    }
    assert set(SERVICE_CATEGORIES) <= covered
    assert org.organisation.group_of(code) is not None


def test_enterprises(enterprises: list[dict[str, str]]) -> None:
    header, _rows = read_csv("enterprises.csv")
    assert ",".join(header) == ENTERPRISE_HEADER
    assert len(enterprises) >= 150
    codes = [e["统一社会信用代码"] for e in enterprises]
    assert all(is_valid_credit_code(c) for c in codes)
    assert len(set(codes)) == len(codes)
    assert len({e["企业名称"] for e in enterprises}) == len(enterprises)
    for e in enterprises:
        assert e["所属县区"] in COUNTIES
        assert e["统一社会信用代码"][2:8] == e["所属县区"]
        assert normalise_industry(e["行业代码"]) == e["行业代码"]
        assert e["重点级别"] in ("city", "county", "none")
        assert e["企业名称"] and e["联系人"] and e["联系电话"]


def test_key_enterprises_match_the_seed(enterprises: list[dict[str, str]]) -> None:
    levels = Counter(e["重点级别"] for e in enterprises)
    assert levels["city"] == 100
    # A city key enterprise is also a key enterprise of its county (about 20 each).
    per_county = Counter(e["所属县区"] for e in enterprises if e["重点级别"] != "none")
    for code in COUNTIES:
        assert 15 <= per_county[code] <= 25, (code, per_county[code])


def test_assignments_reference_known_people_and_units(
    org: OrgFile, enterprises: list[dict[str, str]], assignments: list[dict[str, str]]
) -> None:
    header, _rows = read_csv("assignments.csv")
    assert header == ["统一社会信用代码", "类型", "官员", "单位"]
    officials = {o.id: o for o in org.officials}
    units = {u.id: u for u in org.units}
    by_code = {e["统一社会信用代码"]: e for e in enterprises}
    for row in assignments:
        enterprise = by_code[row["统一社会信用代码"]]
        official = officials[row["官员"]]
        assert official.active
        if row["类型"] == "contact":
            assert official.role in CONTACT_ROLES, row
            assert row["单位"] == "" or row["单位"] in units
            # City key enterprises get a city leader; county key ones a leader of their county.
            expected = CITY if enterprise["重点级别"] == "city" else enterprise["所属县区"]
            assert enterprise["重点级别"] != "none"
            assert official.jurisdiction == expected, row
        else:
            assert row["类型"] == "liaison", row
            unit = units[row["单位"]]
            assert unit.kind is UnitKind.DEPARTMENT
            assert official.unit == unit.id, row


def test_contacts_leave_visible_gaps(
    enterprises: list[dict[str, str]], assignments: list[dict[str, str]]
) -> None:
    contacts = Counter(a["统一社会信用代码"] for a in assignments if a["类型"] == "contact")
    assert all(n == 1 for n in contacts.values())
    city_key = [e["统一社会信用代码"] for e in enterprises if e["重点级别"] == "city"]
    covered = sum(1 for c in city_key if c in contacts)
    assert 85 <= covered < 100
    liaisons = Counter(a["统一社会信用代码"] for a in assignments if a["类型"] == "liaison")
    assert all(1 <= liaisons[c] <= 3 for c in city_key)


def test_generator_reproduces_the_files(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("jiaozuo_generate", EXAMPLE / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for name in ("organisation.toml", "enterprises.csv", "assignments.csv", "indicators.csv"):
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), name
