"""The mechanism at any level of government, run on the two bundled examples through the CLI:

- ``examples/wenxian``: 温县 runs it on its own (a county as root, no city), and its executive
  deputy head has left office (a rung missing);
- ``examples/province``: 河东省, a small fictional province with two cities and their counties,
  key enterprises at three levels, two districts both called 城关区, and 柳营县 without an
  executive deputy head.

Each is loaded, its enterprises imported (given by code and by name), issues filed from every
source without saying who received them, routed, swept past their deadlines with a rung
missing, and rolled up. Every test runs on SQLite and, with ``SERVICEFRAME_TEST_DB`` set, on
PostgreSQL.
"""

import csv
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from attrs import frozen
from click.testing import CliRunner

from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.plugins.sources import BUILTIN_SOURCES
from serviceframe.services import issues as svc
from serviceframe.services.assignments import assign
from serviceframe.services.routing import escalate, explain_route
from serviceframe.services.trends import detect
from serviceframe.tabular import read_rows
from serviceframe.testing.clock import Clock
from serviceframe.testing.databases import migrated
from serviceframe.testing.fixtures import make_app

SH = ZoneInfo("Asia/Shanghai")
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# Monday 2 November 2026, 10:00: no holiday for weeks. Dispatched now, an issue is due to be
# acknowledged by the 3rd, fed back on by the 5th and (general) resolved by the 11th; an order
# must be answered within three working days.
START = datetime(2026, 11, 2, 10, 0, tzinfo=SH)


@frozen
class Example:
    name: str
    root: str
    offices: dict[str, str]  # where an enterprise is registered -> the office receiving its issues
    gap: str  # what `org check` and the sweep name


WENXIAN = Example("wenxian", "410825", {"410825": "wx-gxj"}, "温县(410825)没有在任的常务副县长")
PROVINCE = Example(
    "province",
    "990000",
    {
        "990100": "dl-gxj",
        "990102": "dl-gxj",  # 东陵市城关区 has no group: 东陵市 runs it
        "990121": "qs-gxj",
        "990181": "bh-gxj",
        "990202": "xj-gxj",  # 西津市城关区 has no group: 西津市 runs it
        "990221": "ly-gxj",
    },
    "柳营县(990221)没有在任的常务副县长",
)


def enterprise_rows(example: Example) -> list[dict[str, str]]:
    _, rows = read_rows(EXAMPLES / example.name / "enterprises.csv")
    return [row for _, row in rows]


def code_of(example: Example, name: str) -> str:
    return next(r["统一社会信用代码"] for r in enterprise_rows(example) if r["企业名称"] == name)


def invoke(app, *args: str):
    return CliRunner().invoke(cli, list(args), obj=CliContext(app=app))


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def _build(example: Example) -> Callable[[str], None]:
    def build(url: str) -> None:
        migrated(url)
        app = make_app(url)
        try:
            here = EXAMPLES / example.name
            ok(invoke(app, "org", "load", str(here / "organisation.toml")))
            ok(invoke(app, "enterprise", "import", str(here / "enterprises.csv")))
            if (here / "assignments.csv").exists():
                _, rows = read_rows(here / "assignments.csv")
                for _, row in rows:
                    assign(app, row["统一社会信用代码"], row["官员"], row["单位"] or None)
        finally:
            app.close()

    return build


@pytest.fixture(params=[WENXIAN, PROVINCE], ids=lambda e: e.name)
def example(request) -> Example:
    return request.param


def only(example: Example) -> Any:
    """Run a test on one of the examples only (overrides the ``example`` fixture)."""
    return pytest.mark.parametrize("example", [example], ids=[example.name])


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def example_app(example, sf_make_db, clock):
    """The example loaded (organisation, enterprises, contact leaders) on a fresh database,
    its clock at :data:`START`. Tests of other capabilities (the topic map, channels) take
    this fixture to run on both examples."""
    app = make_app(sf_make_db(f"example-{example.name}", _build(example)))
    app.clock = clock
    yield app
    app.close()


def dispatched(app, enterprise: str, lead: str, category: int = 1, severity: str = "general"):
    filed = svc.file_issue(
        app, svc.IssueDraft(enterprise=enterprise, source="hotline", body="企业生产用电紧张")
    )
    svc.accept(app, filed.issue.id, category=category, severity=severity)
    return svc.dispatch(app, filed.issue.id, lead)


def where(app, issue_id: int) -> tuple[str, str, str | None]:
    r = explain_route(app, issue_id).current
    return r.level, r.rung.value, r.official


def sweep_daily(app, first: date, last: date) -> list[tuple[int, Any]]:
    """One sweep a day at 09:00, as a cron job runs it: (day of month, escalation)."""
    done = []
    day = first
    while day <= last:
        done += [
            (day.day, e) for e in escalate(app, now=datetime(*day.timetuple()[:3], 9, tzinfo=SH))
        ]
        day += timedelta(days=1)
    return done


# --- load, and what the organisation lacks ---------------------------------------------------


def test_the_example_loads_and_org_check_names_its_gap(example, example_app):
    shown = ok(invoke(example_app, "org", "show"))
    assert example.root in shown
    check = invoke(example_app, "org", "check")
    assert check.exit_code == 1  # a gap, on purpose
    assert example.gap in check.stdout
    gaps = json.loads(invoke(example_app, "org", "check", "--json").stdout)
    assert [(g["kind"], g["subject"]) for g in gaps] == [("rung", "executive_deputy")]


def test_enterprises_are_imported_given_by_code_and_by_name(example, example_app):
    rows = enterprise_rows(example)
    given = {r["所属县区"] for r in rows}
    assert any(g.isdigit() for g in given) and any(not g.isdigit() for g in given)
    listed = json.loads(ok(invoke(example_app, "enterprise", "list", "--json")))
    assert len(listed) == len(rows)
    # The example's credit codes are registered in the place each row names, by code or name.
    assert all(e["jurisdiction"] == e["credit_code"][2:8] for e in listed)
    again = ok(
        invoke(
            example_app, "enterprise", "import", str(EXAMPLES / example.name / "enterprises.csv")
        )
    )
    assert f"0 added, 0 updated, {len(rows)} unchanged, 0 rejected" in again


@only(PROVINCE)
def test_two_places_of_one_name_are_told_apart_by_the_place_above(example_app, example):
    result = invoke(example_app, "enterprise", "list", "--jurisdiction", "城关区")
    assert result.exit_code == 1
    assert "990102 城关区, 990202 城关区" in result.stderr
    east = ok(invoke(example_app, "enterprise", "list", "--jurisdiction", "东陵市城关区"))
    assert "东陵市宏图电子科技有限公司" in east and "西津市长河制药有限公司" not in east


# --- intake lands at the right office --------------------------------------------------------


def test_every_source_lands_at_the_office_that_runs_the_enterprises_place(example, example_app):
    rows = enterprise_rows(example)
    for n, (source, row) in enumerate(
        (source, row) for source in BUILTIN_SOURCES for row in rows[:: max(1, len(rows) // 4)]
    ):
        filed = json.loads(
            ok(
                invoke(
                    example_app,
                    "issue",
                    "file",
                    "--enterprise",
                    row["统一社会信用代码"],
                    "--source",
                    source,
                    "--body",
                    f"企业反映的第{n}个问题",
                    "--json",
                )
            )
        )
        place = row["统一社会信用代码"][2:8]
        assert filed["received_by"] == example.offices[place], (source, row["企业名称"])
        assert filed["owner"] == example.offices[place]


def test_an_imported_hotline_file_lands_at_each_enterprises_office(example, example_app, tmp_path):
    rows = enterprise_rows(example)
    path = tmp_path / "热线工单.csv"
    with path.open("w", encoding="gbk", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["工单号", "统一社会信用代码", "问题描述", "受理单位"])
        for n, row in enumerate(rows):
            # The last row says who took the call; the others leave it to the default.
            taker = next(iter(example.offices.values())) if n == len(rows) - 1 else ""
            writer.writerow([f"12345-{n}", row["统一社会信用代码"], "停电影响生产", taker])
    report = json.loads(
        ok(invoke(example_app, "issue", "import", str(path), "--source", "hotline", "--json"))
    )
    assert len(report["filed"]) == len(rows) and report["errors"] == []
    filed = json.loads(ok(invoke(example_app, "issue", "list", "--json")))
    for issue, row in zip(filed, rows[:-1], strict=False):
        assert issue["received_by"] == example.offices[row["统一社会信用代码"][2:8]]
    # --received-by names who received the rows without a 受理单位 of their own.
    again = tmp_path / "信函.csv"
    again.write_text(
        "统一社会信用代码,内容\n" + rows[0]["统一社会信用代码"] + ",来信反映融资难\n",
        encoding="utf-8",
    )
    first_unit = next(iter(example.offices.values())).replace("gxj", "czj")
    report = json.loads(
        ok(
            invoke(
                example_app,
                "issue",
                "import",
                str(again),
                "--source",
                "letter",
                "--received-by",
                first_unit,
                "--json",
            )
        )
    )
    (issue_id,) = report["filed"]
    assert svc.get_issue(example_app, issue_id).issue.received_by == first_unit


# --- routing: each level's own ladder --------------------------------------------------------


def test_routing_at_every_level(example, example_app):
    app = example_app
    if example is WENXIAN:
        cases = [
            ("温县华丰怀药食品有限公司", 3, "general", ("410825", "deputy", "wx-vm-finance")),
            ("温县兴旺面粉有限公司", 1, "general", ("410825", "deputy", "wx-vm-industry")),
            # No executive deputy: a major issue goes to the county head, the skip recorded.
            ("温县恒泰机械制造有限公司", 1, "major", ("410825", "head", "wx-head")),
        ]
    else:
        cases = [
            # A province key enterprise is the province's, its city and county informed.
            ("青石县华晟电缆集团有限公司", 3, "general", ("990000", "deputy", "hd-vp-finance")),
            ("白河市恒远机械有限公司", 3, "general", ("990100", "deputy", "dl-vm-finance")),
            ("青石县绿野食品有限公司", 1, "general", ("990121", "deputy", "qs-vm")),
            ("西津市宏业建材有限公司", 1, "general", ("990200", "deputy", "xj-vm-industry")),
            ("柳营县丰泽农业机械有限公司", 1, "major", ("990221", "head", "ly-head")),
            ("东陵市重型装备集团有限公司", 1, "major", ("990100", "executive_deputy", "dl-evm")),
        ]
    for name, category, severity, expected in cases:
        filed = svc.file_issue(
            app,
            svc.IssueDraft(enterprise=code_of(example, name), source="portal", body="请协调解决"),
        )
        svc.accept(app, filed.issue.id, category=category, severity=severity)
        assert where(app, filed.issue.id) == expected, name
        if severity == "major" and expected[1] == "head":
            route = ok(invoke(app, "route", str(filed.issue.id)))
            assert "跳过 skipped" in route and "常务副县长" in route
    if example is PROVINCE:
        top = explain_route(app, 1).current
        assert top.informed == ("990121", "990100")


# --- the sweep with a rung missing -----------------------------------------------------------


@only(WENXIAN)
def test_wenxian_sweep_skips_the_vacant_rung_and_lists_the_issue_at_the_top(
    example_app, example, clock
):
    app = example_app
    issue = dispatched(app, code_of(example, "温县恒泰机械制造有限公司"), "wx-fgw")
    assert where(app, issue.id) == ("410825", "deputy", "wx-vm-industry")
    done = sweep_daily(app, date(2026, 11, 3), date(2026, 11, 20))
    assert [(day, e.deadline, e.to_official, e.moved) for day, e in done] == [
        (4, "acknowledge", "wx-head", True),  # past the vacant executive deputy
        (6, "feedback", "wx-head", False),  # a county alone: nobody above its head
        (12, "resolve", "wx-head", False),
        (12, "listed", "wx-head", False),  # the order of the 6th unanswered at the top
    ]
    (skip,) = done[0][1].skipped
    assert skip.why == "温县没有在任的常务副县长(张国强 已不在任)"
    assert all(e.overdue_official == "wx-fgw-head" for _, e in done)
    clock.now = datetime(2026, 11, 20, 9, tzinfo=SH)
    listed = json.loads(ok(invoke(app, "supervision", "list", "--json")))
    (row,) = listed["long_overdue"]
    assert (row["issue_id"], row["days_open"]) == (issue.id, 17)
    text = ok(invoke(app, "supervision", "list"))
    assert "挂牌督办" in text and "李建华 县长 (wx-head)" in text


@only(PROVINCE)
def test_province_sweep_climbs_county_city_province_one_rung_a_sweep(example_app, example):
    app = example_app
    gap = dispatched(app, code_of(example, "柳营县清源纸业有限公司"), "ly-gxj")
    fine = dispatched(app, code_of(example, "青石县众鑫五金制品有限公司"), "qs-czj")
    assert where(app, gap.id) == ("990221", "deputy", "ly-vm-industry")

    cli_sweep = invoke(app, "escalate", "--now", "2026-11-04T09:00")
    out = ok(cli_sweep)
    # Both issues supervised in one sweep; the gap of one is named, the other unaffected.
    assert "2 份督办单" in out
    assert "柳营县没有在任的常务副县长" in out and "org check" in out

    done = sweep_daily(app, date(2026, 11, 5), date(2026, 12, 16))
    climb = [(day, e.deadline, e.to_official, e.moved) for day, e in done if e.issue == gap.id]
    assert climb == [
        (6, "feedback", "xj-vm-industry", True),  # past 柳营县's head: 西津市 takes it
        (12, "resolve", "xj-evm", True),
        (12, "follow_up", "xj-evm", False),  # one rung a sweep
        (18, "follow_up", "xj-head", True),
        (24, "follow_up", "hd-vp-industry", True),  # past 西津市's head: the province
        (28, "follow_up", "hd-evp", True),  # the sweep runs at weekends too
        (3, "follow_up", "hd-head", True),  # 3 December
        (9, "listed", "hd-head", False),  # the top of the province: 挂牌督办
    ]
    assert where(app, gap.id) == ("990000", "head", "hd-head")
    route = explain_route(app, gap.id).current
    assert set(route.informed) == {"990221", "990200"}
    # Nobody was ever handed the issue because the unit they head missed the deadline.
    assert all(e.to_official != "ly-gxj-head" for _, e in done)
    assert [e.deadline for _, e in done if e.issue == fine.id][:2] == ["feedback", "resolve"]


# --- roll-ups --------------------------------------------------------------------------------


def test_roll_ups_by_jurisdiction_and_depth(example, example_app):
    app = example_app
    for row in enterprise_rows(example):
        svc.file_issue(
            app,
            svc.IssueDraft(
                enterprise=row["统一社会信用代码"], source="visit", body="走访收集的问题"
            ),
        )
    n = len(enterprise_rows(example))
    report = json.loads(
        ok(invoke(app, "coordination", "--period", "2026-Q4", "--depth", "1", "--json"))
    )
    lines = {x["key"]: x["received"] for x in report["jurisdictions"]}
    assert lines[example.root] == n
    coverage = json.loads(ok(invoke(app, "coverage", "--json")))
    quotas = {q["level"]: q for q in coverage["quotas"]}
    if example is WENXIAN:
        assert lines == {"410825": n}
        assert (quotas["410825"]["key_enterprises"], quotas["410825"]["target"]) == (6, 20)
        ledger = json.loads(
            ok(invoke(app, "ledger", "--jurisdiction", "温县", "--period", "2026-11", "--json"))
        )
        assert ledger["summary"]["received"] == n  # all first received by the county office
    else:
        assert lines == {"990000": n, "990100": 9, "990200": 5}  # the province and its cities
        counties = json.loads(
            ok(
                invoke(
                    app, "coordination", "--period", "2026-11", "--jurisdiction", "西津市", "--json"
                )
            )
        )
        assert {x["key"]: x["received"] for x in counties["jurisdictions"]} == {
            "990200": 5,
            "990202": 2,
            "990221": 3,
        }
        # Key enterprises: 2 of the province; 东陵市's subtree has the province one of 青石县
        # and four of its own; a province key enterprise counts at every level below.
        assert (quotas["990000"]["key_enterprises"], quotas["990000"]["target"]) == (2, 5)
        assert quotas["990100"]["key_enterprises"] == 5
        assert quotas["990121"]["key_enterprises"] == 3
        # 天宇 (柳营县, province key) has only a province contact: it covers every level below.
        assert quotas["990221"] == {**quotas["990221"], "key_enterprises": 2, "with_contact": 2}
        one_city = json.loads(
            ok(invoke(app, "coverage", "--jurisdiction", "东陵市", "--depth", "1", "--json"))
        )
        assert [q["level"] for q in one_city["quotas"]] == ["990100", "990102", "990121", "990181"]
        ledger = json.loads(
            ok(invoke(app, "ledger", "--jurisdiction", "东陵市", "--period", "2026-11", "--json"))
        )
        assert ledger["summary"]["received"] == 9
        assert ledger["unit"] == "990100"


# --- widespread issues in several wordings, across places -----------------------------------

POWER = [
    "我公司近期频繁遭遇拉闸限电,生产线多次停工",
    "本月以来园区每周停电两三次,事先没有通知",
    "厂区供电不稳,电压忽高忽低,精密设备多次损坏",
    "又拉闸限电了,三条生产线只能轮流开",
    "停电太频繁,熔炉被迫熄火",
]


def test_one_power_shortage_in_several_wordings_is_one_cluster_of_the_right_level(
    example, example_app
):
    app = example_app
    if example is WENXIAN:
        # A county alone: its file asks for one place (cluster_min_counties = 1).
        raisers, expected = [r["企业名称"] for r in enterprise_rows(example)[:5]], "wx-head"
    else:
        # Five enterprises of 东陵市's places: 东陵市's executive deputy takes it.
        raisers = [
            "青石县鼎盛化工有限公司",
            "青石县绿野食品有限公司",
            "白河市恒远机械有限公司",
            "白河市金穗纺织有限公司",
            "东陵市旭日印刷有限公司",
        ]
        expected = "dl-evm"
    for name, text in zip(raisers, POWER, strict=True):
        filed = svc.file_issue(
            app, svc.IssueDraft(enterprise=code_of(example, name), source="hotline", body=text)
        )
        svc.accept(app, filed.issue.id)  # the classifier puts each into category 1
    (formed,) = detect(app)
    assert (formed.kind, formed.topic, formed.enterprises) == ("formed", "1:电力供应", 5)
    # 温县 has no executive deputy: the widespread issue goes to its head (the gap skipped).
    assert formed.official == expected


@only(PROVINCE)
def test_a_cluster_across_two_cities_is_the_provinces(example, example_app):
    app = example_app
    raisers = [
        "青石县鼎盛化工有限公司",
        "白河市恒远机械有限公司",
        "西津市长河制药有限公司",
        "柳营县丰泽农业机械有限公司",
        "柳营县清源纸业有限公司",
    ]
    for name, text in zip(raisers, POWER, strict=True):
        filed = svc.file_issue(
            app, svc.IssueDraft(enterprise=code_of(example, name), source="hotline", body=text)
        )
        svc.accept(app, filed.issue.id, category=1)
    (formed,) = detect(app)
    assert (formed.counties, formed.official) == (4, "hd-evp")


@only(PROVINCE)
def test_a_rolled_up_ledger_lists_each_issue_once_with_every_role_its_units_had(
    example_app, example
):
    app = example_app
    filed = svc.file_issue(
        app,
        svc.IssueDraft(
            enterprise=code_of(example, "青石县鼎盛化工有限公司"),
            source="hotline",
            body="环评审批迟迟未办",
        ),
    )
    svc.accept(app, filed.issue.id, category=5)
    svc.dispatch(app, filed.issue.id, "qs-czj", co=["dl-fgw", "xj-fgw"])
    city = json.loads(
        ok(invoke(app, "ledger", "--jurisdiction", "东陵市", "--period", "2026-11", "--json"))
    )
    (row,) = city["rows"]
    assert row["roles"] == ["received", "lead", "co"]  # qs-gxj received, qs-czj led, dl-fgw co
    assert row["co_units"] == ["dl-fgw", "xj-fgw"]
    county = json.loads(
        ok(
            invoke(
                app,
                "ledger",
                "--jurisdiction",
                "990121",
                "--depth",
                "0",
                "--period",
                "2026-11",
                "--json",
            )
        )
    )
    assert [r["roles"] for r in county["rows"]] == [["received", "lead"]]
    west = json.loads(
        ok(invoke(app, "ledger", "--jurisdiction", "西津市", "--period", "2026-11", "--json"))
    )
    assert [r["roles"] for r in west["rows"]] == [["co"]]
    table = ok(invoke(app, "ledger", "--jurisdiction", "东陵市", "--period", "2026-11"))
    assert "东陵市及所辖县(市、区)各单位" in table
    usage = invoke(app, "ledger", "qs-czj", "--jurisdiction", "东陵市", "--period", "2026-11")
    assert usage.exit_code == 2
