"""Routing to leaders (R7) on the bundled Jiaozuo city: the seed's rules each land on the
right leader, at the right level.

- a general issue → the vice mayor in charge of its category (分管副市长);
- a major issue → the executive vice mayor; a widespread one → the executive vice mayor,
  or the mayor where the organisation file says so;
- a policy issue → the executive meeting's agenda;
- a city key enterprise's issue is the city's (its county informed); a county key
  enterprise's is its county's, on the county's own ladder.

Every test here runs on SQLite and, with ``SERVICEFRAME_TEST_DB`` set, on PostgreSQL.
"""

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ladder import events_of, invoke, routing
from serviceframe.demo import example_dir
from serviceframe.domain.routing import RouteDecision, Rung
from serviceframe.errors import ConfigError
from serviceframe.hookspecs import hookimpl
from serviceframe.services import issues as svc
from serviceframe.services.agenda import agenda
from serviceframe.services.issues import IssueDraft
from serviceframe.services.organisation import load_organisation
from serviceframe.services.routing import explain_route
from serviceframe.services.trends import detect
from serviceframe.testing.fixtures import make_app

SH = ZoneInfo("Asia/Shanghai")
CITY = "410800"
JIEFANG = "410802"  # 解放区: officials jf-*
ZHONGZHAN = "410803"  # 中站区: officials zz-*

CITY_KEY_JF = "914108026469439561"  # 河南东昌电缆集团有限公司, city key, 解放区
CITY_KEY_ZZ = "9141080382189956X4"  # city key, 中站区
COUNTY_KEY_JF = "91410802800014232W"  # county key, 解放区
NOT_KEY_JF = "914108023928756223"  # no key level, 解放区

# One enterprise per county for widespread issues (≥ 5 enterprises in ≥ 2 counties).
GAS_ENTERPRISES = (
    CITY_KEY_JF,
    COUNTY_KEY_JF,
    CITY_KEY_ZZ,
    "9141080393961761X2",  # county key, 中站区
    "91410821807299699J",  # 修武县
)
GAS = "天然气供气严重不足，锅炉多次停机，生产受到很大影响。"

# The city's portfolios as the example organisation gives them.
CITY_IN_CHARGE = {
    1: "jz-vm-industry",
    2: "jz-vm-industry",
    3: "jz-vm-finance",
    4: "jz-vm-industry",
    5: "jz-vm-urban",
    6: "jz-vm-industry",
    7: "jz-vm-social",
    8: "jz-vm-social",
    9: "jz-vm-social",
}
JIEFANG_IN_CHARGE = {
    **dict.fromkeys((1, 2, 4, 5, 6), "jf-vm-industry"),
    **dict.fromkeys((3, 7, 8, 9), "jf-vm-finance"),
}


@pytest.fixture
def app(jiaozuo_app):
    jiaozuo_app.clock = lambda: datetime(2026, 11, 2, 10, 0, tzinfo=SH)
    return jiaozuo_app


def accepted(app, enterprise: str, category: int | None = None, severity="general", body=None):
    body = body or f"企业反映的第{category}类问题，请协调解决。"
    issue = svc.file_issue(app, IssueDraft(enterprise=enterprise, source="hotline", body=body))
    return svc.accept(app, issue.issue.id, category=category, severity=severity)


def where(app, issue_id: int) -> tuple[str, Rung, str | None]:
    r = routing(app, issue_id)
    return r.level, r.rung, r.official


def org_copy(tmp_path: Path, edit=None, append: str = "") -> Path:
    text = (example_dir() / "organisation.toml").read_text(encoding="utf-8")
    if edit is not None:
        text = edit(text)
    path = tmp_path / "organisation.toml"
    path.write_text(text + append, encoding="utf-8")
    return path


# --- general issues: the vice mayor in charge ------------------------------------------------


def test_city_key_enterprise_financing_goes_to_the_finance_vice_mayor_county_informed(app):
    issue = accepted(app, CITY_KEY_JF, 3)
    r = routing(app, issue.id)
    assert (r.level, r.rung, r.official) == (CITY, Rung.DEPUTY, "jz-vm-finance")
    assert r.informed == (JIEFANG,)
    assert "融资" in r.reason and "分管" in r.reason


def test_city_key_enterprise_each_category_lands_on_its_vice_mayor(app):
    for category, official in CITY_IN_CHARGE.items():
        issue = accepted(app, CITY_KEY_ZZ, category)
        assert where(app, issue.id) == (CITY, Rung.DEPUTY, official), category
        assert routing(app, issue.id).informed == (ZHONGZHAN,)


def test_county_key_enterprise_stays_in_its_county(app):
    for category, official in JIEFANG_IN_CHARGE.items():
        issue = accepted(app, COUNTY_KEY_JF, category)
        r = routing(app, issue.id)
        assert (r.level, r.rung, r.official) == (JIEFANG, Rung.DEPUTY, official), category
        assert r.informed == ()
        assert "副区长" in r.reason
    # An enterprise of no key level is its county's too.
    issue = accepted(app, NOT_KEY_JF, 1)
    assert where(app, issue.id) == (JIEFANG, Rung.DEPUTY, "jf-vm-industry")


def test_issue_is_routed_when_accepted_and_not_before(app):
    filed = svc.file_issue(
        app, IssueDraft(enterprise=CITY_KEY_JF, source="hotline", body="我公司近期频繁遭遇拉闸限电")
    ).issue
    view = explain_route(app, filed.id)
    assert view.current is None and view.decision is None
    svc.accept(app, filed.id)
    assert where(app, filed.id) == (CITY, Rung.DEPUTY, "jz-vm-industry")
    with app.uow() as uow:
        kinds = [e.kind for e in uow.issues.events(filed.id)]
    assert kinds == ["filed", "accepted", "routed"]


# --- major, policy, widespread ---------------------------------------------------------------


def test_major_issue_goes_to_the_executive_vice_mayor(app):
    issue = accepted(app, CITY_KEY_JF, 1, severity="major")
    r = routing(app, issue.id)
    assert (r.level, r.rung, r.official) == (CITY, Rung.EXECUTIVE_DEPUTY, "jz-evm")
    assert "重大" in r.reason
    # A county key enterprise's: its county's executive vice head.
    issue = accepted(app, COUNTY_KEY_JF, 3, severity="major")
    assert where(app, issue.id) == (JIEFANG, Rung.EXECUTIVE_DEPUTY, "jf-evm")


def test_reclassifying_to_major_moves_the_issue_up(app):
    issue = accepted(app, CITY_KEY_JF, 3)
    svc.reclassify(app, issue.id, severity="major")
    assert where(app, issue.id) == (CITY, Rung.EXECUTIVE_DEPUTY, "jz-evm")
    svc.reclassify(app, issue.id, category=1, severity="general")
    assert where(app, issue.id) == (CITY, Rung.DEPUTY, "jz-vm-industry")


def test_policy_issue_goes_to_the_executive_meeting_agenda(app):
    issue = accepted(app, CITY_KEY_JF, 7, severity="policy")
    r = routing(app, issue.id)
    assert (r.level, r.rung, r.official) == (CITY, Rung.EXECUTIVE_MEETING, None)
    assert "常务会议" in r.reason
    items = agenda(app)["items"]
    assert [(i["issue_id"], i["status"]) for i in items] == [(issue.id, "pending")]
    assert r.agenda_item == items[0]["id"]
    # Dispatching it (the clocks start) does not queue it twice.
    svc.dispatch(app, issue.id, "jz-fgw")
    assert [i["issue_id"] for i in agenda(app)["items"]] == [issue.id]


def gas_cluster(app) -> list[int]:
    ids = [accepted(app, e, body=GAS).id for e in GAS_ENTERPRISES]
    (change,) = detect(app)
    assert change.kind == "formed" and set(change.new_members) == set(ids)
    return ids


def test_widespread_issue_goes_to_the_executive_vice_mayor(app):
    ids = gas_cluster(app)
    for issue_id in ids:
        assert where(app, issue_id) == (CITY, Rung.EXECUTIVE_DEPUTY, "jz-evm")
        assert "普遍性" in routing(app, issue_id).reason


def test_widespread_issue_goes_to_the_mayor_where_the_organisation_says_so(app, tmp_path):
    wrong = org_copy(tmp_path, append='\n[escalation]\nwidespread_to = "vice_mayor"\n')
    with pytest.raises(ConfigError, match="widespread_to"):
        load_organisation(app, wrong)
    load_organisation(app, org_copy(tmp_path, append='\n[escalation]\nwidespread_to = "mayor"\n'))
    ids = gas_cluster(app)
    for issue_id in ids:
        assert where(app, issue_id) == (CITY, Rung.HEAD, "jz-mayor")


# --- gaps in the organisation: skipped, recorded, listed ----------------------------------


def test_a_category_nobody_is_in_charge_of_goes_to_the_executive_deputy(app, tmp_path):
    def drop_financing(text: str) -> str:
        old = 'portfolio = { categories = [3], departments = ["jz-jrb"'
        assert text.count(old) == 1
        return text.replace(old, 'portfolio = { categories = [], departments = ["jz-jrb"')

    path = org_copy(tmp_path, drop_financing)
    result = invoke(app, "org", "load", str(path))
    assert result.exit_code == 0, result.output
    assert "org check" in result.stderr  # the load names the gaps it found

    issue = accepted(app, CITY_KEY_JF, 3)
    assert where(app, issue.id) == (CITY, Rung.EXECUTIVE_DEPUTY, "jz-evm")
    (routed,) = events_of(app, issue.id, "routed")
    (skip,) = routed.data["skipped"]
    assert (skip["level"], skip["rung"]) == (CITY, "deputy")
    assert "没有分管3 融资服务支持的副市长" in skip["why"]
    # Dispatched to the finance office, the vice mayor in charge of that office takes it.
    svc.dispatch(app, issue.id, "jz-jrb")
    assert where(app, issue.id) == (CITY, Rung.DEPUTY, "jz-vm-finance")

    check = invoke(app, "org", "check")
    assert check.exit_code == 1
    assert "焦作市(410800)没有领导分管 3 融资服务支持" in check.stdout
    gaps = json.loads(invoke(app, "org", "check", "--json").stdout)
    assert {(g["level"], g["kind"], g["subject"]) for g in gaps} == {(CITY, "category", "3")}


def test_the_bundled_example_has_no_gaps(app):
    result = invoke(app, "org", "check")
    assert result.exit_code == 0, result.output
    assert "没有缺口 no gaps" in result.stdout


# --- a county's own router ----------------------------------------------------------------


class JiefangRouter:
    """解放区's own rule: every issue of its enterprises goes to its finance vice mayor."""

    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def serviceframe_route(self, app, issue, facts, organisation):
        self.calls += 1
        if facts.enterprise_jurisdiction != JIEFANG:
            return None  # the built-in router decides
        return RouteDecision(
            JIEFANG, Rung.DEPUTY, "jf-vm-finance", "解放区规定:由常敏红副区长统一协调"
        )


def test_a_plugin_router_wins_over_the_built_in(jiaozuo_url):
    router = JiefangRouter()
    app = make_app(jiaozuo_url, plugins=(router,))
    try:
        ours = accepted(app, CITY_KEY_JF, 1)
        assert where(app, ours.id) == (JIEFANG, Rung.DEPUTY, "jf-vm-finance")
        assert routing(app, ours.id).reason == "解放区规定:由常敏红副区长统一协调"
        theirs = accepted(app, CITY_KEY_ZZ, 1)
        assert where(app, theirs.id) == (CITY, Rung.DEPUTY, "jz-vm-industry")
        assert router.calls >= 2
        out = invoke(app, "route", str(ours.id))
        assert out.exit_code == 0, out.output
        assert "jf-vm-finance" in out.stdout and "解放区规定" in out.stdout
    finally:
        app.close()


# --- the CLI ---------------------------------------------------------------------------------


def test_route_command_shows_the_leader_and_the_reason(app):
    issue = accepted(app, CITY_KEY_JF, 3)
    result = invoke(app, "route", str(issue.id))
    assert result.exit_code == 0, result.output
    assert "jz-vm-finance" in result.stdout and CITY in result.stdout
    assert "焦作市(410800) 董勇继 副市长 (jz-vm-finance)" in result.stdout
    assert "融资服务" in result.stdout  # the reason, in Chinese

    result = invoke(app, "route", str(issue.id), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["issue"] == issue.id
    assert data["current"]["official"] == "jz-vm-finance"
    assert data["current"]["rung"] == "deputy"
    assert data["current"]["informed"] == [JIEFANG]
    assert data["decision"]["official"] == "jz-vm-finance"
    assert "融资" in data["current"]["reason"]
    assert data["supervision"] == []


def test_route_command_on_an_issue_not_yet_accepted_or_unknown(app):
    filed = svc.file_issue(
        app, IssueDraft(enterprise=CITY_KEY_JF, source="hotline", body="想反映一些情况")
    ).issue
    result = invoke(app, "route", str(filed.id))
    assert result.exit_code == 0, result.output
    assert "not routed yet" in result.stdout
    data = json.loads(invoke(app, "route", str(filed.id), "--json").stdout)
    assert data["current"] is None and data["decision"] is None

    result = invoke(app, "route", "9999")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: no issue 9999"
