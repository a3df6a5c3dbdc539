"""Major projects (重大项目, category 5): steps from the jurisdiction's template, working-day
limits across the National Day week, a stalled step filed as an issue that climbs the ladder
like any other, approving the step settles it, and idempotent imports with row errors."""

import csv
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.demo import example_dir
from serviceframe.domain.project import STEP_ALLOWED_FROM, StepStatus, check_step_change
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import ConfigError, Forbidden, ValidationError
from serviceframe.orgfile import load_org
from serviceframe.services import issues as svc
from serviceframe.services import projects
from serviceframe.services.routing import escalate
from serviceframe.testing.clock import Clock

HENGZE = "9141080242426208X7"  # 焦作市恒泽制药有限公司, 解放区 (the city's template)
DONGCHANG = "914108026469439561"


@pytest.fixture
def app(jiaozuo_app):
    # Tuesday before the National Day week (1–7 October 2026; Saturday 10 October is worked).
    jiaozuo_app.clock = Clock(datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI))
    return jiaozuo_app


def add(app, **kw):
    draft = {
        "enterprise": HENGZE,
        "name": "年产2000吨原料药扩建项目",
        "investment": "35000",
        "leader": "jz-vm-industry",
        "lead_unit": "jz-fgw",
    }
    return projects.add_project(app, projects.ProjectDraft(**(draft | kw)))


def step(project, name):
    return next(s for s in project.steps if s.name == name)


def mine(app):
    """The projects a test added (the example city brings four of its own, JZXM-…)."""
    return [p for p in projects.list_projects(app) if not (p.ref or "").startswith("JZXM-")]


def test_a_project_gets_its_places_template_steps_in_order(app):
    p = add(app, ref="XM-1")
    assert [s.name for s in p.steps] == [
        "立项备案",
        "用地预审",
        "规划许可",
        "环评批复",
        "施工许可",
        "竣工验收",
        "不动产登记",
    ]
    assert (p.steps[0].unit, p.steps[0].limit_days) == ("jz-fgw", 5)
    assert {s.status for s in p.steps} == {StepStatus.NOT_STARTED}
    assert p.jurisdiction == "410802" and p.industry == "C2710"  # the enterprise's
    assert add(app, ref="XM-1").id == p.id  # the same number: the same project
    assert len(mine(app)) == 1


def test_the_limit_skips_the_national_day_week_and_counts_the_make_up_saturday(app):
    p = add(app)
    p = projects.set_step(app, p.id, "立项备案", "已报送")
    # 5 working days after Tue 29 Sep: 30 Sep, 8 Oct, 9 Oct, Sat 10 Oct (调休), Mon 12 Oct.
    assert step(p, "立项备案").due == date(2026, 10, 12)
    app.clock.now = datetime(2026, 10, 12, 17, 0, tzinfo=SHANGHAI)
    assert projects.file_stalled_steps(app) == []  # the last day is still in time
    app.clock.now = datetime(2026, 10, 13, 9, 0, tzinfo=SHANGHAI)
    (issue_id,) = projects.file_stalled_steps(app)
    issue = svc.get_issue(app, issue_id).issue
    assert (issue.source, issue.origin, int(issue.category)) == ("project", f"project:{p.id}", 5)
    assert issue.status.value == "dispatched" and issue.lead_unit == "jz-fgw"
    assert step(projects.get_project(app, p.id).project, "立项备案").issue_id == issue_id
    assert projects.file_stalled_steps(app) == []  # once


def test_a_stalled_step_climbs_the_ladder_and_approving_it_settles_the_issue(app):
    p = add(app)
    projects.set_step(app, p.id, "立项备案", "submitted")
    app.clock.now = datetime(2026, 10, 13, 9, 0, tzinfo=SHANGHAI)
    (issue_id,) = projects.file_stalled_steps(app)
    # The unit lets the issue lie too: its acknowledgement deadline passes, the sweep climbs.
    done = escalate(app, app.clock.now + timedelta(days=3))
    (order,) = [e for e in done if e.issue == issue_id]
    assert order.moved and order.deadline == "acknowledge"
    assert order.overdue_unit == "jz-fgw"
    assert (order.from_official, order.to_official) != (None, None)
    kinds = [e.kind for e in svc.get_issue(app, issue_id).events]
    assert "escalated" in kinds

    app.clock.now = datetime(2026, 10, 16, 15, 0, tzinfo=SHANGHAI)
    p = projects.set_step(app, p.id, "立项备案", "approved")
    assert step(p, "立项备案").status is StepStatus.APPROVED
    view = svc.get_issue(app, issue_id)
    assert view.issue.status.value == "resolved"  # awaiting the enterprise's rating
    settled = [e for e in view.events if e.kind == "settled"]
    assert settled and settled[0].data["project"] == p.id
    labels = [t.label for t in projects.get_project(app, p.id).timeline]
    assert labels[0] == "项目登记"
    assert "立项备案 已报送" in labels and "立项备案 已批复" in labels
    assert any("转为问题" in label for label in labels)


def test_resolving_the_issue_of_a_stalled_step_moves_the_step_on(app):
    p = add(app)
    projects.set_step(app, p.id, "立项备案", "submitted")
    app.clock.now = datetime(2026, 10, 13, 9, 0, tzinfo=SHANGHAI)
    (issue_id,) = projects.file_stalled_steps(app)
    svc.acknowledge(app, issue_id, "jz-fgw")
    app.clock.now = datetime(2026, 10, 14, 16, 0, tzinfo=SHANGHAI)
    svc.resolve(app, issue_id, "已办理立项备案")
    p = projects.get_project(app, p.id).project
    done = step(p, "立项备案")
    assert done.status is StepStatus.APPROVED and done.finished_at == app.clock.now
    labels = [t.label for t in projects.get_project(app, p.id).timeline]
    assert "立项备案 已批复" in labels
    # The next step starts as the office records it; approving the same step again is refused.
    with pytest.raises(ValidationError):
        projects.set_step(app, p.id, "立项备案", "approved")
    # Resolving an issue of another source leaves every step as it is.
    assert step(p, "用地预审").status is StepStatus.NOT_STARTED


def test_step_changes_are_checked(app):
    p = add(app)
    with pytest.raises(ValidationError, match="needs it to be submitted"):
        projects.set_step(app, p.id, "用地预审", "approved")
    with pytest.raises(ValidationError, match="has steps 立项备案"):
        projects.set_step(app, p.id, "拆迁", "submitted")
    with pytest.raises(ValidationError, match="status"):
        projects.set_step(app, p.id, 1, "done")
    with pytest.raises(ValidationError, match="in the future"):
        projects.set_step(app, p.id, 1, "submitted", datetime(2027, 1, 1, tzinfo=SHANGHAI))
    # Returned, then submitted again: the clock restarts from the new submission.
    projects.set_step(app, p.id, 1, "submitted", datetime(2026, 9, 28, 9, tzinfo=SHANGHAI))
    projects.set_step(app, p.id, 1, "returned")
    p = projects.set_step(app, p.id, "1", "submitted")
    assert step(p, "立项备案").due == date(2026, 10, 12)
    p = projects.set_step(app, p.id, "用地预审", "waived")
    assert step(p, "用地预审").status.label == "免于办理"


def test_report_gives_working_days_per_unit_against_the_limits(app):
    before = projects.project_report(app)  # the example's projects, nothing submitted yet
    assert before.units == () and set(before.steps) == {"not_started"}
    p = add(app)
    projects.set_step(app, p.id, 1, "submitted", datetime(2026, 9, 29, 9, tzinfo=SHANGHAI))
    app.clock.now = datetime(2026, 10, 9, 16, 0, tzinfo=SHANGHAI)
    projects.set_step(app, p.id, 1, "approved")  # 30 Sep, 8 Oct, 9 Oct: 3 working days
    projects.set_step(app, p.id, "用地预审", "submitted")
    report = projects.project_report(app)
    assert report.projects - before.projects == 1
    assert report.investment - before.investment == 35000
    assert (report.steps["approved"], report.steps["submitted"]) == (1, 1)
    assert report.steps["not_started"] == before.steps["not_started"] + 5
    by_unit = {u.unit: u for u in report.units}
    assert (by_unit["jz-fgw"].steps, by_unit["jz-fgw"].average_days) == (1, 3.0)
    assert by_unit["jz-fgw"].limit_days == 5.0
    assert (by_unit["jz-gtj"].running, by_unit["jz-gtj"].overdue) == (1, 0)
    view = projects.get_project(app, p.id)
    assert (view.days_taken, view.days_allowed) == (3, 25)


def test_a_county_office_reads_the_projects_and_step_times_of_its_own_places(app):
    p = add(app)  # 恒泽制药, 解放区
    projects.set_step(app, p.id, 1, "submitted", datetime(2026, 9, 29, 9, tzinfo=SHANGHAI))
    jiefang, zhongzhan = app.acting_as("jf-edsb"), app.acting_as("zz-edsb")
    assert [x.id for x in projects.list_projects(jiefang)] == [
        x.id for x in projects.list_projects(app, jurisdiction="410802")
    ]
    assert p.id in [x.id for x in projects.list_projects(jiefang)]
    assert p.id not in [x.id for x in projects.list_projects(zhongzhan)]
    assert projects.get_project(jiefang, p.id).project.id == p.id
    assert projects.project_report(jiefang) == projects.project_report(app, "410802")
    assert projects.project_report(zhongzhan).units == ()  # its places have no step under way
    for refused in (
        lambda: projects.get_project(zhongzhan, p.id),
        lambda: projects.list_projects(zhongzhan, jurisdiction="解放区"),
        lambda: projects.project_report(zhongzhan, "410802"),
        lambda: projects.project_report(app.acting_as("jz-fgw")),  # a department: no report
    ):
        with pytest.raises(Forbidden):
            refused()


def test_the_circular_gives_the_step_times_of_its_period(app):
    from serviceframe.reports.run import run_report
    from serviceframe.services.circular import circular_figures

    p = add(app)
    projects.set_step(app, p.id, 1, "submitted", datetime(2026, 9, 29, 9, tzinfo=SHANGHAI))
    app.clock.now = datetime(2026, 10, 9, 16, 0, tzinfo=SHANGHAI)
    projects.set_step(app, p.id, 1, "approved")  # in 2026-Q4: 3 working days, limit 5
    q4 = circular_figures(app, "2026-Q4").projects
    assert [(u.unit, u.steps, u.average_days, u.limit_days) for u in q4.units] == [
        ("jz-fgw", 1, 3.0, 5.0)
    ]
    assert circular_figures(app, "2026-Q3").projects.units == ()  # approved after it
    report = run_report(app, "circular", "2026-Q4")
    section = next(x for x in report.sections if x.key == "projects")
    assert (
        section.title == "重大项目审批环节办理情况"
        and "本期办结审批环节1个" in section.paragraphs[0]
    )


ROWS = [
    ["项目编号", "统一社会信用代码", "项目名称", "总投资(万元)", "牵头单位"],
    ["XM-001", HENGZE, "原料药扩建项目", "35000", "jz-fgw"],
    ["XM-002", DONGCHANG, "特种电缆产业园", "1,200", "jz-edsb"],
    ["XM-003", "914108000000000000", "不存在企业的项目", "100", ""],
    ["XM-004", DONGCHANG, "投资写错的项目", "三千万", ""],
    ["XM-005", DONGCHANG, "牵头单位写错", "100", "jz-nowhere"],
]


def write_csv(path: Path, rows, encoding="utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_import_is_idempotent_and_names_the_bad_rows(app, tmp_path, encoding):
    path = write_csv(tmp_path / "projects.csv", ROWS, encoding)
    first = projects.import_projects(app, path)
    assert (first.rows, first.added, first.existing) == (5, 2, 0)
    assert [(e.line, e.column) for e in first.errors] == [
        (4, "统一社会信用代码"),
        (5, "总投资(万元)"),
        (6, "牵头单位"),
    ]
    assert "三千万" in str(first.errors[1])
    again = projects.import_projects(app, path)
    assert (again.added, again.existing) == (0, 2)
    assert sorted(p.investment for p in mine(app)) == [1200, 35000]


def test_import_reads_xlsx(app, tmp_path):
    wb = Workbook()
    for row in ROWS[:3]:
        wb.active.append(row)
    wb.save(tmp_path / "projects.xlsx")
    report = projects.import_projects(app, tmp_path / "projects.xlsx")
    assert (report.added, report.errors) == (2, ())


def test_org_load_rejects_a_bad_template_naming_field_and_value(tmp_path):
    text = (example_dir() / "organisation.toml").read_text(encoding="utf-8")
    bad = text.replace('unit = "jz-ghj", limit_days = 20', 'unit = "jz-nope", limit_days = 0')
    (tmp_path / "org.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_org(tmp_path / "org.toml")
    message = str(caught.value)
    assert "project_templates[0].steps[2].unit='jz-nope' is not a unit" in message
    assert "project_templates[0].steps[2].limit_days=0" in message


def run(app, *args):
    return CliRunner().invoke(cli, list(args), obj=CliContext(app=app), catch_exceptions=False)


def test_cli_add_step_show_and_report_in_json(app):
    added = run(
        app,
        "project",
        "add",
        "--enterprise",
        HENGZE,
        "--name",
        "原料药扩建项目",
        "--investment",
        "35000",
        "--json",
    )
    assert added.exit_code == 0, added.output
    project_id = json.loads(added.output)["project"]["id"]
    moved = run(
        app, "project", "step", str(project_id), "立项备案", "--status", "已报送", "--at",
        "2026-09-29 09:30", "--json",
    )  # fmt: skip
    data = json.loads(moved.output)
    first = data["project"]["steps"][0]
    assert first["status"] == "submitted" and first["due"] == "2026-10-12"
    assert first["submitted_at"] == "2026-09-29T09:30:00+08:00"
    shown = run(app, "project", "show", str(project_id))
    assert "立项备案" in shown.output and "已报送" in shown.output
    listed = json.loads(run(app, "project", "list", "--json").output)
    assert [p["name"] for p in listed if not p["ref"]] == ["原料药扩建项目"]
    report = run(app, "project", "report")
    assert "焦作市发展和改革委员会" in report.output or "jz-fgw" in report.output


@given(st.lists(st.sampled_from(list(StepStatus)), max_size=12))
def test_a_step_moves_only_along_the_allowed_paths(moves):
    """Whatever a clerk types in whatever order: a move is taken exactly when the rules allow
    it, and a step once approved or waived never changes again."""
    current = StepStatus.NOT_STARTED
    for new in moves:
        allowed = current in STEP_ALLOWED_FROM[new]
        try:
            check_step_change("立项备案", current, new)
        except ValidationError as exc:
            assert not allowed and exc.field == "status"
            continue
        assert allowed and not current.finished
        current = new


def test_escalate_files_the_stalled_steps_first(app):
    p = add(app)
    projects.set_step(app, p.id, "立项备案", "submitted")
    app.clock.now = datetime(2026, 10, 13, 9, 0, tzinfo=SHANGHAI)
    out = run(app, "escalate").output
    assert "重大项目 1 stalled step(s) filed as issues" in out
    assert step(projects.get_project(app, p.id).project, "立项备案").issue_id is not None
    assert "stalled" not in run(app, "escalate").output  # once


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_the_project_file_example_of_the_page_imports(app, tmp_path, encoding):
    page = (Path(__file__).parents[1] / "docs" / "file-formats.md").read_text(encoding="utf-8")
    block = re.findall(r"```csv\n(.*?)```", page, re.S)[3]
    (tmp_path / "项目.csv").write_bytes(block.encode(encoding))
    report = projects.import_projects(app, tmp_path / "项目.csv")
    assert (report.rows, report.added, report.errors) == (2, 2, ())
    second = next(p for p in projects.list_projects(app) if p.ref == "JZXM-2027-002")
    assert (second.jurisdiction, second.industry, second.leader) == ("410802", "C2710", None)
