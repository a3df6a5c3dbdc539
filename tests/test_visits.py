"""Visits, symposiums and on-site office days (R5): recording, import, and who is behind."""

import csv
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.domain.visit import SpanState, VisitKind
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import ValidationError
from serviceframe.services import issues as svc
from serviceframe.services.assignments import assign
from serviceframe.services.compliance import visit_compliance
from serviceframe.services.visits import (
    FindingDraft,
    VisitDraft,
    import_visits,
    list_visits,
    record_visit,
)
from serviceframe.testing.clock import Clock
from serviceframe.testing.sample import JIEFANG, XIUWU, credit_code

JF1 = credit_code(JIEFANG, 1)  # city key, 焦作市恒泽制药有限公司
JF2 = credit_code(JIEFANG, 2)  # county key
JF3 = credit_code(JIEFANG, 3)  # not key
XW4 = credit_code(XIUWU, 4)  # county key, 修武县


@pytest.fixture
def app(sf_small_app):
    sf_small_app.clock = Clock(datetime(2026, 8, 15, 10, 0, tzinfo=SHANGHAI))
    return sf_small_app


def visit(app, **kw):
    draft = {"kind": "visit", "date": "2026-08-03", "units": ("jz-fgw",), "enterprises": (JF1,)}
    return record_visit(app, VisitDraft(**(draft | kw)))


def counts(app) -> tuple[int, int]:
    return len(list_visits(app)), len(svc.list_issues(app))


def test_a_problem_found_becomes_an_issue_linked_to_the_visit(app):
    v = visit(
        app,
        officials=("jz-fgw-leader",),
        enterprises=(JF1, JF2),
        findings=(
            FindingDraft("生产经营正常,订单饱满"),
            FindingDraft("电网频繁拉闸限电,生产线多次停工,请协调供电公司", JF2, problem=True),
        ),
        subject="迎峰度夏用电保障",
    )
    assert v.kind is VisitKind.VISIT and v.date == date(2026, 8, 3)
    assert v.jurisdiction == "410800"  # the first unit's
    assert [f.problem for f in v.findings] == [False, True]
    assert v.findings[0].issue is None
    issue = svc.get_issue(app, v.findings[1].issue).issue
    assert issue.source == "visit" and issue.origin == f"visit:{v.id}"
    assert issue.enterprise == JF2
    assert issue.received_by == "jz-fgw"  # first inquiry: the unit that went
    # Received on the day of the visit, at the end of the working day.
    assert issue.received_at == datetime(2026, 8, 3, 18, 0, tzinfo=SHANGHAI)
    assert issue.body.startswith("电网频繁拉闸限电")
    with app.uow() as uow:
        kinds = [e["kind"] for e in uow.events.for_subject(f"visit:{v.id}")]
    assert kinds == ["visit_recorded"]


def test_a_problem_raised_today_is_received_now(app):
    v = visit(
        app, date="2026-08-15", findings=(FindingDraft("融资难,贷款到期无法续贷", problem=True),)
    )
    issue = svc.get_issue(app, v.findings[0].issue).issue
    assert issue.enterprise == JF1  # the one enterprise visited raised it
    assert issue.received_at == app.now()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"units": ("jz-nowhere",)}, "units"),
        ({"units": (), "officials": ()}, "units"),
        ({"officials": ("nobody",)}, "officials"),
        ({"enterprises": ("914108020000000000",)}, "enterprises"),
        ({"enterprises": ()}, "enterprises"),  # a visit names whom it visited
        ({"date": "2026-08-16"}, "date"),  # tomorrow
        ({"date": "8月3日"}, "date"),
        ({"kind": "家访"}, "kind"),
        ({"jurisdiction": "999999"}, "jurisdiction"),
        # Two enterprises visited: a problem must say which raised it.
        (
            {"enterprises": (JF1, JF2), "findings": (FindingDraft("用电难", problem=True),)},
            "problem",
        ),
        ({"findings": (FindingDraft("  ", problem=True),)}, "body"),
        ({"findings": (FindingDraft("x", problem=True, category=42),)}, "category"),
    ],
)
def test_a_wrong_visit_names_the_field_and_stores_nothing(app, change, field):
    before = counts(app)
    with pytest.raises(ValidationError) as caught:
        visit(app, **change)
    assert caught.value.field == field
    assert counts(app) == before


def test_names_are_accepted_where_ids_are_asked_for(app):
    v = visit(
        app,
        units=("焦作市发展和改革委员会",),
        officials=("赵刚",),
        enterprises=("焦作市恒泽制药有限公司",),
        date="2026年8月3日",
        kind="调研",
    )
    assert (v.units, v.officials, v.enterprises) == (("jz-fgw",), ("jz-fgw-leader",), (JF1,))


def test_units_default_to_the_officials_units_and_symposiums_need_no_enterprise(app):
    v = record_visit(
        app,
        VisitDraft(kind="座谈会", date="2026-07-20", officials=("jz-mayor",), subject="企业家座谈"),
    )
    assert v.kind is VisitKind.SYMPOSIUM and v.units == ("jz-gov",) and v.enterprises == ()


def test_the_same_number_is_recorded_once(app):
    first = visit(app, ref="2026-ZF-001", findings=(FindingDraft("用电难", problem=True),))
    again = visit(app, ref="2026-ZF-001", findings=(FindingDraft("用电难", problem=True),))
    assert again.id == first.id
    assert counts(app) == (1, 1)


def write_sheet(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


HEADER = ["编号", "日期", "类型", "单位", "领导", "企业", "情况", "企业反映问题", "类别"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_import_groups_rows_by_number_and_reports_bad_rows(app, tmp_path, encoding):
    sheet = write_sheet(
        tmp_path / "走访台账.csv",
        [
            HEADER,
            ["ZF-1", "2026-08-03", "走访", "jz-fgw", "赵刚", JF1, "生产正常", "", ""],
            ["ZF-1", "", "", "", "", JF2, "", "天然气供应不足,窑炉无法运行", "1"],
            ["ZF-2", "2026/7/20", "座谈会", "jz-gov", "于洪", "", "", "", ""],
            # ZF-3 is left out whole: its second row names an unknown enterprise.
            ["ZF-3", "2026-08-05", "现场办公", "jf-edsb", "", JF3, "", "", ""],
            ["ZF-3", "", "", "", "", "焦作市不存在有限公司", "", "", ""],
            ["ZF-4", "2026-08-06", "走访", "jf-edsb", "", JF3, "", "", ""],
            ["ZF-4", "2026-08-07", "", "", "", JF2, "", "", ""],  # contradicts the first row
            ["", "2026-08-08", "走访", "jf-edsb", "", f"{JF2}、{JF3}", "", "融资难", ""],
        ],
        encoding,
    )
    report = import_visits(app, sheet)
    assert (report.rows, report.recorded, report.existing, report.issues) == (8, 2, 0, 1)
    problems = [(e.line, e.column) for e in report.errors]
    assert problems == [(6, "企业"), (8, "日期"), (9, "企业反映问题")]
    assert "焦作市不存在有限公司" in str(report.errors[0])
    visits = {v.ref: v for v in list_visits(app)}
    assert set(visits) == {"ZF-1", "ZF-2"}
    zf1 = visits["ZF-1"]
    assert zf1.enterprises == (JF1, JF2) and zf1.officials == ("jz-fgw-leader",)
    issue = svc.get_issue(app, zf1.findings[1].issue).issue
    assert (issue.enterprise, int(issue.category)) == (JF2, 1)
    assert visits["ZF-2"].date == date(2026, 7, 20)

    again = import_visits(app, sheet)
    assert (again.recorded, again.existing, again.issues) == (0, 2, 0)
    assert counts(app) == (2, 1)


def test_import_reads_xlsx_with_real_dates(app, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["日期", "类型", "单位", "企业", "企业反映问题"])
    sheet.append([datetime(2026, 8, 3), "走访", "jz-edsb", XW4, "水泥错峰生产安排不合理"])
    sheet.append([datetime(2026, 8, 4), "走访", "jz-edsb", "", ""])  # no enterprise
    book.save(tmp_path / "visits.xlsx")
    report = import_visits(app, tmp_path / "visits.xlsx")
    assert (report.recorded, report.issues) == (1, 1)
    assert [(e.line, e.column) for e in report.errors] == [(3, "企业")]


@pytest.fixture
def year(app):
    """2026 as of 15 August (Q3 running, H2 running).

    - jz-edsb visited in Q1 only: Q2 missed, behind since 1 April;
    - jz-fgw visited in Q1 and Q2: nothing missed (Q3 is still open);
    - jf-edsb never visited: Q1 and Q2 missed, never;
    - jz-mayor held a symposium in March; jf-mayor none (H1 missed); 修武县 has no head;
    - contact leaders: jz-vm for JF1 (visited it in May), jz-fgw-leader for XW4 (never);
      JF2 has none.
    """
    visit(app, units=("jz-edsb",), date="2026-02-10")
    visit(app, units=("jz-fgw",), date="2026-03-02")
    visit(app, units=("jz-fgw",), officials=("jz-vm",), date="2026-05-12")
    visit(app, units=("jz-fgw",), kind="symposium", date="2026-06-01", enterprises=())
    record_visit(app, VisitDraft(kind="座谈会", date="2026-03-01", officials=("jz-mayor",)))
    assign(app, JF1, "jz-vm")
    assign(app, XW4, "jz-fgw-leader")
    return app


def test_compliance_shows_who_is_behind_and_since_when(year):
    c = visit_compliance(year, "2026")
    units = {u.id: u for u in c.units}
    assert set(units) == {"jz-edsb", "jz-fgw", "jf-edsb"}  # the groups' member units
    edsb = units["jz-edsb"]
    assert [(str(x.span), x.held, x.state) for x in edsb.checks] == [
        ("2026-Q1", 1, SpanState.MET),
        ("2026-Q2", 0, SpanState.MISSED),
        ("2026-Q3", 0, SpanState.OPEN),  # Q4 has not started
    ]
    assert edsb.missed == ("2026-Q2",) and edsb.behind_since == date(2026, 4, 1)
    assert edsb.last == date(2026, 2, 10)
    # A symposium is not a visit to enterprises: jz-fgw's last is its May visit.
    assert not units["jz-fgw"].behind and units["jz-fgw"].last == date(2026, 5, 12)
    never = units["jf-edsb"]
    assert never.missed == ("2026-Q1", "2026-Q2") and never.last is None
    assert never.behind_since is None  # shown as 从未

    heads = {h.jurisdiction: h for h in c.heads}
    assert set(heads) == {"410800", "410802"}  # 修武县 has no head in the file
    assert heads["410800"].id == "jz-mayor" and not heads["410800"].behind
    assert heads["410802"].missed == ("2026-H1",)

    gaps = {g.enterprise: g for g in c.contact_gaps}
    assert set(gaps) == {XW4}
    assert gaps[XW4].official == "jz-fgw-leader" and gaps[XW4].last_visit is None
    assert (c.key_enterprises, c.without_contact) == (2, 1)  # JF1 and XW4; JF2 has none
    assert c.behind == 2 + 1 + 1


def test_compliance_for_a_quarter_and_a_county(year):
    q3 = visit_compliance(year, "2026Q3")
    gaps = {g.enterprise: g.last_visit for g in q3.contact_gaps}
    assert gaps == {JF1: date(2026, 5, 12), XW4: None}  # JF1's visit was in Q2
    assert all(not u.behind for u in q3.units)  # Q3 is still open for everyone

    jiefang = visit_compliance(year, "2026", jurisdiction="解放区")
    assert [u.id for u in jiefang.units] == ["jf-edsb"]
    assert [h.id for h in jiefang.heads] == ["jf-mayor"]
    assert jiefang.contact_gaps == () and jiefang.key_enterprises == 1

    with pytest.raises(ValidationError) as caught:
        visit_compliance(year, "2026", jurisdiction="410899")
    assert caught.value.field == "jurisdiction"


def run(app, *args: str):
    return CliRunner().invoke(cli, list(args), obj=CliContext(app=app), catch_exceptions=False)


def test_cli_records_and_checks(year):
    result = run(
        year,
        "visit",
        "add",
        "--date",
        "2026-08-14",
        "--kind",
        "现场办公",
        "--unit",
        "jf-edsb",
        "--enterprise",
        JF3,
        "--enterprise",
        JF2,
        "--problem",
        f"{JF2}:厂区道路破损,物流车辆通行困难",
    )
    assert result.exit_code == 0, result.output
    assert "现场办公" in result.output and "issue" in result.output

    result = run(year, "visits", "compliance", "--period", "2026Q3", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    jf = next(u for u in data["units"] if u["unit"] == "jf-edsb")
    assert jf["spans"][0] == {
        "span": "2026-Q3",
        "start": "2026-07-01",
        "end": "2026-09-30",
        "held": 1,
        "state": "met",
        "state_label": "已完成",
    }
    assert data["as_of"] == "2026-08-15T10:00:00+08:00"

    text = run(year, "visit", "compliance", "--period", "2026").output
    assert "未完成" in text and "2026-04-01" in text and "从未" in text

    listed = json.loads(run(year, "visit", "list", "--period", "2026-08", "--json").output)
    assert [(v["kind"], v["date"]) for v in listed] == [("onsite", "2026-08-14")]
    bad = run(year, "visit", "add", "--date", "2026-08-14", "--kind", "走访", "--unit", "x")
    assert bad.exit_code != 0 and "units='x'" in bad.output
