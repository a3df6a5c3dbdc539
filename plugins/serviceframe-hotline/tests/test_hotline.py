"""12345 call records as issues: CSV in GBK and UTF-8, XLSX, idempotent on the call id, each
bad row in the quarantine with its line; and serviceframe's channel contract."""

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from serviceframe.app import App, Settings, bootstrap
from serviceframe.services import inbound
from serviceframe.services import issues as svc
from serviceframe.testing.channels import ChannelContract, load_sample
from serviceframe.testing.sample import JIEFANG, XIUWU, credit_code

import serviceframe_hotline

HEADER = ["工单编号", "来电时间", "来电号码", "企业名称", "诉求内容", "诉求分类"]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "gbk", header=HEADER) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def app(sf_make_db, sf_clock, tmp_path: Path) -> Iterator[App]:
    from serviceframe.testing.fixtures import _small

    app = bootstrap(
        Settings(
            acting_as="office",
            db_url=sf_make_db("small", _small),
            actor="test",
            load_entry_points=False,
        ),
        plugins=[serviceframe_hotline],
    )
    app.clock = sf_clock
    (tmp_path / "12345").mkdir()
    load_sample(
        app,
        [
            {
                "name": "12345",
                "kind": "hotline",
                "source": "hotline",
                "settings": {"inbox": str(tmp_path / "12345")},
            }
        ],
    )
    yield app
    app.close()


def outcomes(app: App) -> dict[str, list]:
    found: dict[str, list] = {}
    for h in inbound.poll(app, "12345").handled:
        found.setdefault(h.outcome, []).append(h)
    return found


def test_a_gbk_export_is_filed_row_by_row(app: App, tmp_path: Path):
    write_csv(
        tmp_path / "12345" / "工单-1012.csv",
        [
            [
                "GD20261012001",
                "2026/10/12 08:15:00",
                "18700000001",
                "焦作市恒泽制药有限公司",
                "企业反映厂区频繁停电,要求协调供电公司",
                "1",
            ],
            [
                "GD20261012002",
                "2026-10-12 08:40",
                "",
                credit_code(XIUWU, 4),
                "银行抽贷,资金链紧张",
                "企业服务-融资",
            ],
            ["GD20261012003", "昨天上午", "", "焦作市恒泽制药有限公司", "用工难", ""],
            ["GD20261012004", "", "", "焦作市不存在的公司", "环评审批慢", ""],
            ["GD20261012005", "", "13903910003", "", "招工难,技工流失", ""],  # the caller is known
            ["", "", "", "焦作市恒泽制药有限公司", "没有工单编号", ""],
        ],
    )
    found = outcomes(app)
    assert len(found["filed"]) == 3
    issues = {i.external_id: i for i in svc.list_issues(app)}
    first = issues["GD20261012001"]
    assert (first.enterprise, first.source) == (credit_code(JIEFANG, 1), "hotline")
    assert first.received_at.isoformat() == "2026-10-12T00:15:00+00:00"  # 08:15 Beijing
    assert int(first.category) == 1
    second = issues["GD20261012002"]
    assert int(second.category) == 0 and "(12345 分类:企业服务-融资)" in second.body
    assert issues["GD20261012005"].enterprise == credit_code(JIEFANG, 3)  # by caller number
    reasons = {h.message_id: h.reason for h in found["quarantined"]}
    assert "line 4: 来电时间 '昨天上午'" in reasons["GD20261012003"]
    assert "no enterprise '焦作市不存在的公司' in the registry" in reasons["GD20261012004"]
    assert "no call id" in reasons["工单-1012.csv:7"]
    held = {r["message_id"]: r for r in inbound.quarantined(app)}
    assert held["GD20261012003"]["meta"]["line"] == "4"
    assert (tmp_path / "12345" / "done" / "工单-1012.csv").exists()


def test_the_same_records_again_change_nothing(app: App, tmp_path: Path):
    row = ["GD1", "2026-10-12 08:15", "", "焦作市恒泽制药有限公司", "停电", ""]
    write_csv(tmp_path / "12345" / "a.csv", [row], encoding="utf-8")
    assert len(outcomes(app)["filed"]) == 1
    # The next day's export repeats yesterday's record beside a new one.
    write_csv(
        tmp_path / "12345" / "b.csv",
        [row, ["GD2", "2026-10-12 09:00", "", "焦作市恒泽制药有限公司", "缺煤", ""]],
        encoding="utf-8",
    )
    found = outcomes(app)
    assert (len(found["duplicate"]), len(found["filed"])) == (1, 1)
    assert sorted(i.external_id for i in svc.list_issues(app)) == ["GD1", "GD2"]


def test_an_xlsx_export(app: App, tmp_path: Path):
    book = Workbook()
    sheet = book.active
    sheet.append(["来电编号", "受理时间", "企业", "来电内容"])
    sheet.append(["X-1", "2026-10-12 10:00", credit_code(JIEFANG, 2), "项目用地手续迟迟没有落实"])
    book.save(tmp_path / "12345" / "export.xlsx")
    (filed,) = outcomes(app)["filed"]
    assert svc.get_issue(app, filed.issue_id).issue.body == "项目用地手续迟迟没有落实"


def test_a_formula_in_an_xlsx_export_holds_that_call_alone(app: App, tmp_path: Path):
    book = Workbook()
    sheet = book.active
    sheet.append(["来电编号", "受理时间", "企业", "来电内容"])
    sheet.append(["X-1", "2026-10-12 10:00", credit_code(JIEFANG, 2), '=CONCAT("停","电")'])
    sheet.append(["X-2", "2026-10-12 11:00", credit_code(JIEFANG, 2), "项目用地手续迟迟没有落实"])
    book.save(tmp_path / "12345" / "export.xlsx")
    found = outcomes(app)
    (filed,) = found["filed"]
    assert filed.message_id == "X-2"
    (held,) = found["quarantined"]
    assert held.message_id == "X-1" and "line 2" in held.reason and "来电内容" in held.reason


def test_a_file_that_cannot_be_read_waits_whole_in_the_quarantine(app: App, tmp_path: Path):
    write_csv(tmp_path / "12345" / "wrong.csv", [["1", "x"]], header=["编号", "备注"])
    (held,) = outcomes(app)["quarantined"]
    assert "wrong.csv cannot be read" in held.reason and "诉求内容" in held.reason
    (tmp_path / "12345" / "broken.xlsx").write_bytes(b"PK\x03\x04 not really")
    (held,) = outcomes(app)["quarantined"]
    assert "not a readable XLSX workbook" in held.reason


def test_many_rows_in_one_bulk_filing(app: App, tmp_path: Path):
    rows = [
        [f"B{n:05d}", "2026-10-12 08:00", "", "焦作市恒泽制药有限公司", f"第{n}件诉求:订单下降", ""]
        for n in range(300)
    ]
    write_csv(tmp_path / "12345" / "bulk.csv", rows)
    assert len(outcomes(app)["filed"]) == 300
    assert len(svc.list_issues(app)) == 300


class TestHotlineContract(ChannelContract):
    kind = "hotline"
    plugin = serviceframe_hotline

    @pytest.fixture
    def settings(self, tmp_path: Path) -> dict[str, Any]:
        self.inbox = tmp_path / "exports"
        self.inbox.mkdir()
        return {"inbox": str(self.inbox)}

    def send_in(self, settings, sender, subject, body, message_id) -> None:
        name = f"{len(list(self.inbox.iterdir()))}.csv"
        write_csv(self.inbox / name, [[message_id, "", sender, "", body, ""]], encoding="utf-8")

    def send_garbage(self, settings) -> None:
        (self.inbox / "garbage.xlsx").write_bytes(b"\x00\x01 not a workbook")
