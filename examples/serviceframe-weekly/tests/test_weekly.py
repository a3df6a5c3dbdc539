"""The weekly bulletin, installed as a county would install it, run in every format."""

from datetime import datetime
from importlib.metadata import entry_points

import pytest
from openpyxl import load_workbook
from serviceframe.app import Settings, bootstrap
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.reports.run import render, run_report, write_report
from serviceframe.services import issues as svc
from serviceframe.services.routing import escalate
from serviceframe.testing.clock import Clock
from serviceframe.testing.sample import JIEFANG, credit_code


@pytest.fixture
def app(sf_small_app):
    """The small city with its entry-point plugins loaded, and a week of issues: three filed
    in 解放区 on Monday 9 November 2026 (week 46), none acknowledged, all past their
    deadlines by the 20th."""
    app = bootstrap(Settings(acting_as="office", db_url=sf_small_app.settings.db_url, actor="test"))
    app.clock = Clock(datetime(2026, 11, 9, 9, 0, tzinfo=SHANGHAI))
    for body in ("电网频繁拉闸限电", "流动资金贷款难", "厂区道路破损"):
        draft = svc.IssueDraft(enterprise=credit_code(JIEFANG, 1), source="hotline", body=body)
        issue = svc.file_issue(app, draft).issue
        svc.accept(app, issue.id, category=1)
        svc.dispatch(app, issue.id, "jz-fgw")
    escalate(app, now=datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI))
    app.clock.set(2026, 11, 20, 9)
    yield app
    app.close()


def test_the_entry_point_is_installed():
    assert "weekly" in {ep.name for ep in entry_points(group="serviceframe")}


def test_the_bulletin(app, tmp_path):
    report = run_report(app, "weekly", "2026-W46", params={"top": 2})
    assert report.title == "焦作市服务企业工作周报"
    text = render(report, "text")
    assert "本周受理3件(上周0件)" in text and "请抓紧办理" in text and "(另有 1 项未列出" in text

    write_report(app, "weekly", tmp_path / "周报.xlsx", "2026-W46")
    sheet = load_workbook(tmp_path / "周报.xlsx")["各乡镇、园区"]
    assert [c.value for c in sheet[3]][:3] == ["解放区", 3, 3]
    assert len(sheet._charts) == 1

    write_report(app, "weekly", tmp_path / "周报.html", "2026-W46", jurisdiction="解放区")
    page = (tmp_path / "周报.html").read_text(encoding="utf-8")
    assert "解放区服务企业工作周报" in page and page.count("<svg") == 1
