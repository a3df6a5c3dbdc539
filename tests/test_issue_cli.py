"""``serviceframe issue …`` as a clerk uses it: JSON for programs, one-line errors for people.

Every test here runs on SQLite and, with ``SERVICEFRAME_TEST_DB`` set, on PostgreSQL.
"""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.testing.sample import credit_code

SH = ZoneInfo("Asia/Shanghai")
E1 = "914108026469439561"
E2 = "9141080242426208X7"
UNREGISTERED = credit_code("410802", 987654)
OFFICE = "jf-edsb"  # 解放区 runs the mechanism: its office receives its enterprises' issues
LEAD = "jz-fgw"
POWER = "我公司近期频繁遭遇拉闸限电，生产线多次停工，请协调供电部门保障用电。"
FINANCE = "企业流动资金紧张，申请协调银行贷款和融资担保。"


@pytest.fixture
def app(jiaozuo_app):
    jiaozuo_app.clock = lambda: datetime(2026, 9, 28, 10, 0, tzinfo=SH)
    return jiaozuo_app


@pytest.fixture
def run(app):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, ["issue", *args], obj=CliContext(app=app))

    return invoke


@pytest.fixture
def ok(run):
    """Run with --json, expect success, return the JSON."""

    def invoke(*args: str):
        result = run(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return invoke


def fail(result, *names: str) -> str:
    """A refusal: non-zero exit, one line on stderr naming the values, no traceback."""
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for name in names:
        assert name in lines[0]
    assert result.stdout == ""
    return lines[0]


def file(ok, body: str = POWER, enterprise: str = E1, *extra: str) -> dict:
    return ok("file", "--enterprise", enterprise, "--source", "hotline", "--body", body, *extra)


def test_file_prints_the_issue_as_json(ok):
    data = file(ok, POWER, E1, "--title", "频繁限电", "--external-id", "RX-1")
    assert isinstance(data["id"], int)
    assert data["status"] == "received" and data["status_label"] == "已受理"
    assert data["category"] == 0 and data["suggested_category"] == 1
    assert data["severity"] == "general"
    assert data["owner"] == OFFICE and data["received_by"] == OFFICE
    assert data["title"] == "频繁限电" and data["body"] == POWER
    assert data["enterprise"] == E1 and data["external_id"] == "RX-1"
    assert data["deadlines"] == {"acknowledge": None, "feedback": None, "resolve": None}
    assert datetime.fromisoformat(data["received_at"]) == datetime(2026, 9, 28, 10, 0, tzinfo=SH)


def test_file_again_gives_the_same_issue(ok, run):
    first = file(ok, POWER, E1, "--external-id", "RX-1")
    again = file(ok, POWER, E1, "--external-id", "RX-1")
    assert again["id"] == first["id"]
    result = run(
        "file", "--enterprise", E1, "--source", "hotline", "--body", POWER, "--external-id", "RX-1"
    )
    assert result.exit_code == 0
    assert f"已登记为问题 {first['id']}" in result.stdout
    assert len(ok("list")) == 1


def test_file_with_category_severity_time_and_receiver(ok):
    data = file(
        ok,
        FINANCE,
        E2,
        "--category",
        "融资服务支持",
        "--severity",
        "major",
        "--received-at",
        "2026-09-27T21:30",
        "--received-by",
        "jf-edsb",
    )
    assert (data["category"], data["category_label"]) == (3, "融资服务支持")
    assert data["severity"] == "major"
    # A time without a zone is Beijing time.
    assert datetime.fromisoformat(data["received_at"]) == datetime(2026, 9, 27, 21, 30, tzinfo=SH)
    assert data["owner"] == "jf-edsb"


def test_the_whole_lifecycle_through_the_cli(ok):
    issue_id = str(file(ok)["id"])

    data = ok("accept", issue_id)
    assert (data["status"], data["category"], data["category_label"]) == (
        "accepted",
        1,
        "生产要素协调",
    )

    data = ok("dispatch", issue_id, "--lead", LEAD, "--co", "jz-hbj", "--co", "jz-czj")
    assert data["status"] == "dispatched"
    assert data["lead_unit"] == LEAD and data["co_units"] == ["jz-czj", "jz-hbj"]
    assert data["owner"] == OFFICE
    assert data["deadlines"] == {
        "acknowledge": {"due": "2026-09-29", "provisional": False},
        "feedback": {"due": "2026-10-08", "provisional": False},
        "resolve": {"due": "2026-10-13", "provisional": False},
    }
    assert datetime.fromisoformat(data["dispatched_at"]) == datetime(2026, 9, 28, 10, tzinfo=SH)

    data = ok("ack", issue_id, "--unit", LEAD)
    assert (data["status"], data["owner"]) == ("acknowledged", LEAD)
    data = ok("progress", issue_id, "--note", "已联系供电公司")
    assert data["status"] == "in_progress"
    data = ok("resolve", issue_id, "--note", "已恢复供电")
    assert (data["status"], data["resolution"]) == ("resolved", "已恢复供电")

    data = ok("rate", issue_id, "--satisfaction", "unsatisfied", "--enterprise", E1)
    assert (data["status"], data["round"], data["redo_count"]) == ("redo", 2, 1)
    # 5 working days from the rating: 09-29, 09-30, 10-08, 10-09 and Saturday 10-10 (调休).
    assert data["deadlines"]["resolve"] == {"due": "2026-10-10", "provisional": False}
    ok("resolve", issue_id, "--note", "已专线供电")
    data = ok("rate", issue_id, "--satisfaction", "satisfied", "--comment", "满意")
    assert (data["status"], data["satisfaction"]) == ("closed", "satisfied")
    assert datetime.fromisoformat(data["closed_at"]) == datetime(2026, 9, 28, 10, tzinfo=SH)

    shown = ok("show", issue_id)
    assert shown["id"] == int(issue_id) and shown["status"] == "closed"
    assert shown["enterprise_name"] == "河南东昌电缆集团有限公司"
    kinds = [e["kind"] for e in shown["events"]]
    lifecycle = [k for k in kinds if k not in ("routed", "clustered", "queued", "escalated")]
    assert lifecycle == [
        "filed",
        "accepted",
        "dispatched",
        "acknowledged",
        "progressed",
        "resolved",
        "rated",
        "resolved",
        "rated",
    ]
    assert all(e["actor"] == "test" for e in shown["events"])
    assert datetime.fromisoformat(shown["events"][0]["at"]).tzinfo is not None
    assert [(r["round"], r["satisfaction"]) for r in shown["ratings"]] == [
        (1, "unsatisfied"),
        (2, "satisfied"),
    ]


def test_show_without_json_prints_the_history(ok, run):
    issue_id = str(file(ok)["id"])
    ok("accept", issue_id)
    ok("dispatch", issue_id, "--lead", LEAD)
    result = run("show", issue_id)
    assert result.exit_code == 0
    assert "河南东昌电缆集团有限公司" in result.stdout
    assert "resolve 2026-10-13" in result.stdout
    assert "2026-09-28 10:00  交办 (dispatched)" in result.stdout
    assert f"主办 焦作市发展和改革委员会 ({LEAD})" in result.stdout
    # The leader who answers for it, by name with the id beside.
    assert "确定责任领导 (routed)" in result.stdout and "(jz-vm-industry)" in result.stdout


def test_times_inside_the_history_are_beijing_time_in_json(app, ok, run):
    from serviceframe.services.issues import get_issue

    issue_id = str(file(ok)["id"])
    shown = json.loads(run("show", issue_id, "--json").stdout)
    (filed,) = [e for e in shown["events"] if e["kind"] == "filed"]
    assert filed["at"].endswith("+08:00")
    assert filed["data"]["received_at"] == "2026-09-28T10:00:00+08:00"  # stored as UTC
    stored = get_issue(app, int(issue_id)).events[0]
    assert stored.data["received_at"] == "2026-09-28T02:00:00+00:00"  # never rewritten


def test_reject_and_merge(ok):
    a = str(file(ok)["id"])
    b = str(file(ok, POWER + "（重复）", E2)["id"])
    c = str(file(ok, "希望政府帮助推销产品")["id"])
    data = ok("merge", b, "--into", a)
    assert (data["status"], data["merged_into"], data["enterprise"]) == ("merged", int(a), E2)
    assert ok("show", a)["duplicates"] == 1
    data = ok("reject", c, "--reason", "属于企业自主经营事项")
    assert (data["status"], data["reject_reason"]) == ("rejected", "属于企业自主经营事项")


def test_list_filters_by_status(ok, run):
    a = file(ok)["id"]
    b = file(ok, FINANCE, E2)["id"]
    ok("accept", str(b))
    assert [i["id"] for i in ok("list", "--status", "accepted")] == [b]
    assert [i["id"] for i in ok("list", "--status", "received", "--status", "accepted")] == [a, b]
    assert [i["id"] for i in ok("list", "--enterprise", E1)] == [a]
    assert ok("list", "--status", "closed") == []
    table = run("list")
    assert table.exit_code == 0 and "2 issues" in table.stdout
    # A status that does not exist is an error, not an empty list.
    result = run("list", "--status", "done")
    assert result.exit_code == 2 and "done" in result.stderr


# --- bulk import ----------------------------------------------------------------------------------

HEADER = "统一社会信用代码,标题,内容,编号,受理时间\n"
ROWS = (
    f"{E1},频繁限电,{POWER},RX-101,2026-09-27 09:30\n"
    f"{UNREGISTERED},无此企业,{FINANCE},RX-102,2026-09-27 10:00\n"
    f"{E2},融资难,{FINANCE},RX-103,2026-09-27 11:00\n"
    f"{E2},时间不对,{FINANCE},RX-104,昨天下午\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_import_a_hotline_export(ok, run, tmp_path, encoding):
    path = tmp_path / f"hotline-{encoding}.csv"
    path.write_bytes((HEADER + ROWS).encode(encoding))

    result = run("import", str(path), "--source", "hotline")
    assert result.exit_code == 1
    assert "2 filed, 0 already filed, 2 rejected" in result.stdout
    enterprise, when = result.stderr.strip().splitlines()
    assert "line 3, column 统一社会信用代码" in enterprise and UNREGISTERED in enterprise
    assert "line 5, column 受理时间" in when and "昨天下午" in when

    issues = ok("list", "--source", "hotline")
    assert [(i["external_id"], i["title"]) for i in issues] == [
        ("RX-101", "频繁限电"),
        ("RX-103", "融资难"),
    ]
    assert datetime.fromisoformat(issues[0]["received_at"]) == datetime(
        2026, 9, 27, 9, 30, tzinfo=SH
    )

    again = run("import", str(path), "--source", "hotline", "--json")
    assert again.exit_code == 1
    report = json.loads(again.stdout)
    assert report["filed"] == [] and len(report["existing"]) == 2
    assert [(e["index"], e["field"]) for e in report["errors"]] == [
        (3, "enterprise"),
        (5, "received_at"),
    ]
    assert len(ok("list")) == 2


def test_import_a_clean_file_exits_zero(run, tmp_path):
    path = tmp_path / "letters.csv"
    path.write_text(HEADER + f"{E2},招工难,企业招工难，希望组织技能培训。,L-1,\n", encoding="utf-8")
    result = run("import", str(path), "--source", "letter")
    assert result.exit_code == 0, result.output
    assert "1 filed" in result.stdout


def test_import_a_file_without_the_content_column(run, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(f"统一社会信用代码,标题\n{E1},限电\n", encoding="utf-8")
    fail(run("import", str(path), "--source", "hotline"), "内容")


# --- errors --------------------------------------------------------------------------------------


def test_errors_are_one_line_naming_the_value(ok, run):
    issue_id = str(file(ok)["id"])
    ok("accept", issue_id)
    ok("dispatch", issue_id, "--lead", LEAD, "--co", "jz-czj")

    fail(run("ack", issue_id, "--unit", "jz-czj", "--json"), "jz-czj", LEAD)
    fail(run("show", "999"), "999")
    fail(run("accept", "999"), "999")
    fail(run("accept", issue_id), "dispatched")
    fail(run("dispatch", issue_id, "--lead", "jz-nope"), "jz-nope")
    fail(run("rate", issue_id, "--satisfaction", "satisfied"), "dispatched")
    fail(run("merge", issue_id, "--into", issue_id), "into")
    fail(
        run("file", "--enterprise", UNREGISTERED, "--source", "hotline", "--body", POWER),
        "enterprise",
        UNREGISTERED,
    )
    fail(run("file", "--enterprise", E1, "--source", "fax", "--body", POWER), "source", "fax")
    fail(run("file", "--enterprise", E1, "--source", "hotline", "--body", "  "), "body")
    fail(
        run("file", "--enterprise", E1, "--source", "hotline", "--body", POWER, "--category", "10"),
        "category",
    )
    fail(
        run(
            "file",
            "--enterprise",
            E1,
            "--source",
            "hotline",
            "--body",
            POWER,
            "--received-at",
            "昨天",
        ),
        "--received-at",
        "昨天",
    )
    assert len(ok("list")) == 1


def test_rating_by_another_enterprise_is_refused(ok, run):
    issue_id = str(file(ok)["id"])
    ok("accept", issue_id)
    ok("dispatch", issue_id, "--lead", LEAD)
    ok("ack", issue_id, "--unit", LEAD)
    ok("resolve", issue_id, "--note", "已处理")
    fail(run("rate", issue_id, "--satisfaction", "satisfied", "--enterprise", E2), "enterprise", E2)
    assert ok("show", issue_id)["status"] == "resolved"


def test_a_failing_plugin_is_a_warning_not_a_failure(jiaozuo_url):
    from serviceframe.hookspecs import hookimpl
    from serviceframe.testing.fixtures import make_app

    class Broken:
        __name__ = "county-sms"

        @hookimpl
        def serviceframe_issue_event(self, app, issue, event):
            raise RuntimeError("gateway down")

    app = make_app(jiaozuo_url, plugins=(Broken(),))
    try:
        result = CliRunner().invoke(
            cli,
            ["issue", "file", "--enterprise", E1, "--source", "hotline", "--body", POWER, "--json"],
            obj=CliContext(app=app),
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["status"] == "received"
        assert "county-sms" in result.stderr and "gateway down" in result.stderr
    finally:
        app.close()


def test_the_status_choices_are_the_statuses():
    from serviceframe.cli.issue import STATUSES
    from serviceframe.domain.issue import Status

    assert set(STATUSES) == {s.value for s in Status}


def test_import_an_xlsx_export(ok, run, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["统一社会信用代码", "标题", "内容", "工单号", "受理时间", "类别"])
    sheet.append([E1, "限电", POWER, 20260001, datetime(2026, 9, 27, 9, 30), 1])
    sheet.append([E2, "融资", FINANCE, 20260002, datetime(2026, 9, 27, 10, 0), "融资服务支持"])
    path = tmp_path / "hotline.xlsx"
    book.save(path)
    result = run("import", str(path), "--source", "hotline")
    assert result.exit_code == 0, result.output
    issues = ok("list")
    assert [(i["external_id"], i["category"]) for i in issues] == [("20260001", 1), ("20260002", 3)]
    assert datetime.fromisoformat(issues[1]["received_at"]) == datetime(2026, 9, 27, 10, tzinfo=SH)
