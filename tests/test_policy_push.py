"""Policy push (政策推送): a policy added to the catalogue is told to the enterprises it fits
(industry, size, category), through their channels, once."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from channel_setup import configure, file_channel
from serviceframe.app import App
from serviceframe.domain.policy import Policy
from serviceframe.services import outbox
from serviceframe.services.indicators import import_indicators
from serviceframe.services.policies import add_policy, import_policies, update_policy
from serviceframe.services.policy_push import pushes_of
from serviceframe.testing.sample import JIEFANG, XIUWU, credit_code, write_csv

A, B, C, D = (
    credit_code(JIEFANG, 1),  # C2710 pharmacy
    credit_code(JIEFANG, 2),  # C3812 motors
    credit_code(JIEFANG, 3),  # C1431 noodles
    credit_code(XIUWU, 4),  # C3011 cement
)
TODAY = date(2026, 7, 10)


@pytest.fixture
def app(sf_small_app: App, tmp_path: Path) -> App:
    configure(sf_small_app, tmp_path, file_channel(tmp_path))
    sf_small_app.clock = lambda: datetime(2026, 7, 10, 1, tzinfo=UTC)
    return sf_small_app


def policy(**changes) -> Policy:
    values = {
        "title": "焦作市支持制造业技术改造若干措施",
        "issuer": "焦作市人民政府",
        "issued_on": TODAY,
        "categories": (4,),
        "body": "对技术改造项目给予设备投资补助。",
        "doc_no": "焦政〔2026〕30号",
    }
    return Policy(**(values | changes))


def pushed(app: App) -> list[dict]:
    return [r for r in outbox.list_outbox(app) if r["kind"] == "policy_push"]


def test_a_new_policy_is_pushed_to_the_enterprises_of_its_industries_once(app: App):
    added = add_policy(app, policy(industries=("C27", "C38")))

    assert pushes_of(app, added.id) == sorted([A, B])
    rows = pushed(app)
    assert sorted(r["recipient_name"] for r in rows) == ["联系人1", "联系人2"]
    assert rows[0]["subject"] == "【政策推送】焦作市支持制造业技术改造若干措施"
    assert (
        "焦作市人民政府发布《焦作市支持制造业技术改造若干措施》(焦政〔2026〕30号)"
        in rows[0]["body"]
    )
    assert all(r["status"] == "pending" and r["channel"] == "files" for r in rows)

    update_policy(app, added.id, body="对技术改造项目给予设备投资补助,最高500万元。")
    update_policy(app, added.id, industries=("C27", "C38", "C30"))  # now D fits too
    assert len(pushed(app)) == 2  # an update tells no one, not even the newly fitting
    assert pushes_of(app, added.id) == sorted([A, B])


def test_a_policy_for_every_industry_reaches_every_enterprise(app: App):
    added = add_policy(app, policy())
    assert pushes_of(app, added.id) == sorted([A, B, C, D])
    assert len(pushed(app)) == 4


def test_sizes_come_from_the_indicators_and_an_unknown_size_is_not_told(app: App, tmp_path: Path):
    header = ("统一社会信用代码", "企业名称", "月份", "工业总产值", "从业人员")
    rows = [(A, "", f"2026-{m:02d}", "200", "350") for m in range(1, 7)]  # medium
    rows += [(B, "", "2026-06", "10", "15")]  # micro
    import_indicators(app, write_csv(tmp_path / "i.csv", rows, header))

    added = add_policy(app, policy(sizes=("中型", "小型")))
    assert pushes_of(app, added.id) == [A]  # B is micro; C and D have reported nothing


def test_old_expired_and_unlisted_categories_are_not_pushed(app: App, tmp_path: Path):
    old = add_policy(app, policy(doc_no="焦政〔2025〕1号", issued_on=date(2025, 1, 5)))
    expired = add_policy(
        app,
        policy(doc_no="焦政〔2026〕2号", issued_on=date(2026, 5, 1), valid_to=date(2026, 6, 30)),
    )
    assert pushes_of(app, old.id) == [] and pushes_of(app, expired.id) == []
    configure(app, tmp_path, file_channel(tmp_path) + "[policy_push]\ncategories = [3]\n")
    other = add_policy(app, policy(doc_no="焦政〔2026〕3号"))  # category 4
    financing = add_policy(app, policy(doc_no="焦政〔2026〕4号", categories=(3, 4)))
    assert pushes_of(app, other.id) == [] and len(pushes_of(app, financing.id)) == 4


def test_an_import_pushes_its_new_policies_and_a_reimport_nothing(app: App, tmp_path: Path):
    header = ("文号", "标题", "发文机关", "发文日期", "服务类别", "适用行业", "正文")
    rows = [
        ("焦工信〔2026〕5号", "水泥行业错峰生产补助", "焦作市工业和信息化局", "2026-07-01", "6",
         "C3011", "错峰生产期间给予补助。"),
    ]  # fmt: skip
    path = write_csv(tmp_path / "p.csv", rows, header)
    import_policies(app, path)
    import_policies(app, path)
    assert [r["recipient_name"] for r in pushed(app)] == ["联系人4"]


def test_without_a_channel_nothing_is_written(sf_small_app: App):
    sf_small_app.clock = lambda: datetime(2026, 7, 10, 1, tzinfo=UTC)
    added = add_policy(sf_small_app, policy())
    assert outbox.list_outbox(sf_small_app) == [] and pushes_of(sf_small_app, added.id) == []
