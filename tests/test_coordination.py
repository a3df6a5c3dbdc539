"""The coordination report (R8): the state of service work per county and per unit, checked
against a small scenario built by hand on the bundled Jiaozuo city.

Every test here runs on SQLite and, with ``SERVICEFRAME_TEST_DB`` set, on PostgreSQL.
"""

import json
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.services import issues as svc
from serviceframe.services.agenda import decide
from serviceframe.services.coordination import coordination
from serviceframe.services.issues import IssueDraft
from serviceframe.services.routing import escalate, explain_route
from serviceframe.testing.clock import Clock

SH = ZoneInfo("Asia/Shanghai")
CITY, JIEFANG, ZHONGZHAN = "410800", "410802", "410803"
QUIET = ("410804", "410811", "410821", "410822", "410823", "410825", "410882", "410883")
CITY_KEY_JF = "914108026469439561"  # city key, 解放区
CITY_KEY_ZZ = "9141080382189956X4"  # city key, 中站区
COUNTY_KEY_JF = "91410802800014232W"  # county key, 解放区
COUNTY_KEY_JF_2 = "91410802996054454J"  # county key, 解放区
NOT_KEY_ZZ = "9141080335547140XT"  # no key level, 中站区
FIELDS = (
    "received",
    "resolved",
    "on_time",
    "overdue",
    "escalated",
    "supervised",
    "satisfied",
    "basic",
    "rated",
)


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=SH)


def file(app, enterprise: str, body: str, **kw) -> int:
    draft = IssueDraft(enterprise=enterprise, source="hotline", body=body, **kw)
    return svc.file_issue(app, draft).issue.id


@pytest.fixture
def scenario(jiaozuo_app) -> SimpleNamespace:
    """November 2026 (no holidays): dispatched on the 2nd, an issue is due to be acknowledged
    on the 3rd, fed back on by the 5th and resolved by the 11th.

    - A 解放区, city key, to jz-fgw: acknowledged, resolved on the 5th, rated satisfied;
    - B 中站区, city key, to jz-fgw: never acknowledged; swept on the 4th, 6th and 12th
      (three orders; it climbs twice, the third finds it at the top; the order of the 6th,
      unanswered by the 11th at the top of the ladder, lists it as long-overdue);
    - C 解放区, county key, to jf-czj: acknowledged, fed back, misses the 11th (one order,
      one climb), resolved late on the 16th, rated basic;
    - D 中站区, not key: accepted, never dispatched;
    - H 解放区, county key, policy: settled by the meeting's decision, never dispatched;
    - E rejected, and F received in September: counted nowhere in the fourth quarter.
    """
    clock = Clock(at(11, 2, 10))
    app = jiaozuo_app
    app.clock = clock
    ids = {}
    ids["A"] = file(app, CITY_KEY_JF, "我公司近期频繁遭遇拉闸限电，生产线多次停工。")
    ids["B"] = file(app, CITY_KEY_ZZ, "电煤供应紧张，库存只够三天。")
    ids["C"] = file(app, COUNTY_KEY_JF, "企业流动资金紧张，申请协调银行贷款和融资担保。")
    ids["D"] = file(app, NOT_KEY_ZZ, "申请协调银行贷款。")
    ids["E"] = file(app, CITY_KEY_JF, "咨询个人社保缴费问题。")
    ids["F"] = file(app, CITY_KEY_JF, "企业用电增容申请迟迟未批。", received_at=at(9, 15))
    ids["H"] = file(app, COUNTY_KEY_JF_2, "建议出台工业企业用电价格补贴政策。")
    for key in "ABCDF":
        svc.accept(app, ids[key])
    svc.accept(app, ids["H"], category=7, severity="policy")
    svc.reject(app, ids["E"], "不属于服务企业范围")
    for key, unit in (("A", "jz-fgw"), ("B", "jz-fgw"), ("C", "jf-czj")):
        svc.dispatch(app, ids[key], unit)

    clock.now = at(11, 3)
    svc.acknowledge(app, ids["A"], "jz-fgw")
    svc.acknowledge(app, ids["C"], "jf-czj")
    escalate(app, now=at(11, 4))
    clock.now = at(11, 4)
    svc.progress(app, ids["C"], "已与银行对接")
    clock.now = at(11, 5)
    svc.resolve(app, ids["A"], "已协调供电公司恢复供电")
    svc.rate(app, ids["A"], "satisfied")
    escalate(app, now=at(11, 6))
    clock.now = at(11, 10)
    decide(app, explain_route(app, ids["H"]).current.agenda_item, "同意给予补贴", settle=True)
    escalate(app, now=at(11, 12))
    clock.now = at(11, 16)
    svc.resolve(app, ids["C"], "已落实贷款")
    svc.rate(app, ids["C"], "basic")
    clock.now = at(11, 20)
    return SimpleNamespace(app=app, ids=ids)


def figures(lines) -> dict[str, tuple[int, ...]]:
    return {x.key: tuple(getattr(x, f) for f in FIELDS) for x in lines}


def busy(report) -> dict[str, tuple[int, ...]]:
    """The jurisdictions that received anything in the period."""
    return {k: v for k, v in figures(report.jurisdictions).items() if v[0]}


def test_report_per_county_and_per_unit(scenario):
    app, ids = scenario.app, scenario.ids
    # The scenario itself first, so that the figures are checked against the right story.
    status = {k: svc.get_issue(app, i).issue.status.value for k, i in ids.items()}
    assert status == {
        "A": "closed",
        "B": "dispatched",
        "C": "closed",
        "D": "accepted",
        "E": "rejected",
        "F": "accepted",
        "H": "resolved",
    }
    b = explain_route(app, ids["B"])
    assert [o["deadline"] for o in b.supervision] == [
        "acknowledge",
        "feedback",
        "resolve",
        "listed",
    ]
    assert b.current.escalations == 2
    assert [o["deadline"] for o in explain_route(app, ids["C"]).supervision] == ["resolve"]

    report = coordination(app, "2026-Q4")
    #                                  recv res on-time overdue esc sup sat basic rated
    assert figures(report.jurisdictions) == {
        CITY: (5, 3, 2, 2, 2, 5, 1, 1, 2),  # the city: everything below it, rolled up
        JIEFANG: (3, 3, 2, 1, 1, 1, 1, 1, 2),  # A on time, C late, H settled without a deadline
        ZHONGZHAN: (2, 0, 0, 1, 1, 4, 0, 0, 0),  # B open past its deadline, D not dispatched
        **{code: (0,) * 9 for code in QUIET},  # every other county, with nothing to report
    }
    assert [x.key for x in report.jurisdictions][:3] == [CITY, JIEFANG, ZHONGZHAN]
    assert [x.depth for x in report.jurisdictions][:3] == [0, 1, 1]
    assert [x.name for x in report.jurisdictions][:3] == ["焦作市", "解放区", "中站区"]
    # A satisfied, C basically: (1 + 0.8) / 2, on the city's line too.
    assert {x.key: x.satisfaction for x in report.jurisdictions[:3]} == {
        CITY: 0.9,
        JIEFANG: 0.9,
        ZHONGZHAN: None,
    }

    assert figures(report.units) == {
        "(未交办)": (2, 1, 1, 0, 0, 0, 0, 0, 0),  # D and H
        "jf-czj": (1, 1, 0, 1, 1, 1, 0, 1, 1),
        "jz-fgw": (2, 1, 1, 1, 1, 4, 1, 0, 1),
    }
    assert [x.key for x in report.units] == ["(未交办)", "jf-czj", "jz-fgw"]
    assert {x.key: x.name for x in report.units}["jz-fgw"] == "焦作市发展和改革委员会"

    # The current supervision orders: C's was closed with C.
    assert [(o["issue_id"], o["deadline"]) for o in report.supervision] == [
        (ids["B"], "acknowledge"),
        (ids["B"], "feedback"),
        (ids["B"], "resolve"),
        (ids["B"], "listed"),
    ]
    assert {o["overdue_official"] for o in report.supervision} == {"jz-fgw-head"}
    # B is listed as long-overdue (挂牌督办), with how long it has been open.
    (listed,) = report.long_overdue
    assert (listed["issue_id"], listed["days_open"], listed["orders"]) == (ids["B"], 17, 4)


def test_a_county_alone_and_the_depth_of_the_lines(scenario):
    app = scenario.app
    county = coordination(app, "2026-Q4", jurisdiction="解放区")
    assert figures(county.jurisdictions) == {JIEFANG: (3, 3, 2, 1, 1, 1, 1, 1, 2)}
    assert [x.key for x in county.units] == ["(未交办)", "jf-czj", "jz-fgw"]
    assert [o["issue_id"] for o in county.supervision] == []  # B is 中站区's
    assert county.long_overdue == ()
    top = coordination(app, "2026-Q4", depth=0)
    assert figures(top.jurisdictions) == {CITY: (5, 3, 2, 2, 2, 5, 1, 1, 2)}
    assert len(coordination(app, "2026-Q4", depth=1).jurisdictions) == 11


def test_the_period_is_honoured(scenario):
    app = scenario.app
    q3 = coordination(app, "2026-Q3")
    assert busy(q3) == {
        CITY: (1, 0, 0, 0, 0, 0, 0, 0, 0),
        JIEFANG: (1, 0, 0, 0, 0, 0, 0, 0, 0),
    }  # F
    assert busy(coordination(app, "2026-11-03..2026-11-30")) == {}
    assert figures(coordination(app, "2026").jurisdictions)[JIEFANG][0] == 4
    # Overdue is as of the report's moment: before the 12th, B was not yet past its deadline.
    early = coordination(app, "2026-Q4", now=at(11, 11, 20))
    assert figures(early.jurisdictions)[ZHONGZHAN][3] == 0  # B not yet past its deadline


def test_coordination_command(scenario):
    app = scenario.app
    runner = CliRunner()
    result = runner.invoke(
        cli, ["coordination", "--period", "2026-Q4", "--json"], obj=CliContext(app=app)
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["period"]["start"], data["period"]["end"]) == ("2026-10-01", "2026-12-31")
    counties = {c["key"]: c for c in data["jurisdictions"] if c["received"]}
    assert {k: tuple(c[f] for f in FIELDS) for k, c in counties.items()} == {
        CITY: (5, 3, 2, 2, 2, 5, 1, 1, 2),
        JIEFANG: (3, 3, 2, 1, 1, 1, 1, 1, 2),
        ZHONGZHAN: (2, 0, 0, 1, 1, 4, 0, 0, 0),
    }
    assert counties[JIEFANG]["name"] == "解放区"
    assert counties[JIEFANG]["satisfaction"] == 0.9
    assert [u["key"] for u in data["units"]] == ["(未交办)", "jf-czj", "jz-fgw"]
    assert len(data["supervision"]) == 4
    (listed,) = data["long_overdue"]
    assert listed["received_at"].endswith("+08:00")

    text = runner.invoke(cli, ["coordination", "--period", "2026-Q4"], obj=CliContext(app=app))
    assert text.exit_code == 0, text.output
    assert "解放区" in text.stdout and "焦作市发展和改革委员会" in text.stdout
    assert "4 份督办单在办" in text.stdout
    assert "挂牌督办" in text.stdout and "电煤供应紧张" in text.stdout

    county = runner.invoke(
        cli,
        ["coordination", "--period", "2026-Q4", "--jurisdiction", "中站区", "--json"],
        obj=CliContext(app=app),
    )
    assert [c["key"] for c in json.loads(county.stdout)["jurisdictions"]] == [ZHONGZHAN]

    bad = runner.invoke(cli, ["coordination", "--period", "2026-Q5"], obj=CliContext(app=app))
    assert bad.exit_code == 1 and "period" in bad.stderr


def test_every_round_of_rating_counts(scenario):
    """A rated unsatisfied, redone and then rated satisfied: both ratings count, as in the
    ledger and the assessment (an unsatisfied first round is not wiped out by the redo)."""
    app = scenario.app
    a = svc.file_issue(
        app, IssueDraft(enterprise=CITY_KEY_JF, source="hotline", body="天然气供应不足。")
    ).issue.id
    svc.accept(app, a)
    svc.dispatch(app, a, "jz-fgw")
    svc.acknowledge(app, a, "jz-fgw")
    svc.resolve(app, a, "已协调")
    svc.rate(app, a, "unsatisfied")
    svc.resolve(app, a, "再次协调,已增加供气")
    svc.rate(app, a, "satisfied")
    fgw = {x.key: x for x in coordination(app, "2026-Q4").units}["jz-fgw"]
    # A satisfied; the new issue unsatisfied, then satisfied.
    assert (fgw.satisfied, fgw.basic, fgw.unsatisfied, fgw.rated) == (2, 0, 1, 3)
    assert fgw.satisfaction == pytest.approx(2 / 3)
