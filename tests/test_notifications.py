"""Notifications: decided from the events of a change, written with it, to the right people."""

from datetime import timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import event

from channel_setup import ENTERPRISE, configure, dispatched, file_channel, resolved, sent
from serviceframe.app import App
from serviceframe.channels import Placeholder
from serviceframe.errors import ConfigError, ServiceFrameError
from serviceframe.hookspecs import hookimpl
from serviceframe.services import issues as svc
from serviceframe.services import outbox, routing, trends
from serviceframe.services.assignments import assign
from serviceframe.services.enterprises import import_enterprises
from serviceframe.services.organisation import load_organisation
from serviceframe.testing.clock import Clock
from serviceframe.testing.fixtures import make_app
from serviceframe.testing.sample import XIUWU, credit_code, enterprise_row, write_csv


@pytest.fixture
def app(sf_small_app: App, tmp_path: Path) -> App:
    configure(sf_small_app, tmp_path)
    return sf_small_app


def by_kind(app: App, kind: str) -> list[dict]:
    return sorted((r for r in outbox.list_outbox(app) if r["kind"] == kind), key=lambda r: r["id"])


def test_without_an_outbound_channel_nothing_is_written(sf_small_app: App):
    dispatched(sf_small_app)
    assert outbox.list_outbox(sf_small_app) == []


def count_statements(app: App) -> list[str]:
    statements: list[str] = []
    event.listen(app.engine, "before_cursor_execute", lambda *a: statements.append(a[2].split()[0]))
    return statements


def test_a_change_no_rule_applies_to_costs_no_statement(sf_small_app: App, tmp_path: Path):
    """Filing an issue (no notice by default) runs the same statements with channels
    configured as without: the outbox costs nothing where no notification applies."""
    plain = make_app(sf_small_app.settings.db_url or "")
    draft = svc.IssueDraft(enterprise=ENTERPRISE, source="portal", body="订单下降,经营困难")
    svc.file_issue(plain, draft)  # warm the caches of both apps
    without = count_statements(plain)
    svc.file_issue(plain, draft)
    configure(sf_small_app, tmp_path)
    svc.file_issue(sf_small_app, draft)
    with_channels = count_statements(sf_small_app)
    svc.file_issue(sf_small_app, draft)
    plain.close()
    assert with_channels == without


def test_dispatch_tells_the_lead_and_the_co_handling_unit(app: App, tmp_path: Path):
    issue_id = dispatched(app)
    rows = by_kind(app, "dispatched")
    assert [(r["recipient_name"], r["recipient_id"], r["status"]) for r in rows] == [
        ("王建国", "jz-edsb-head", "pending"),  # the head of the lead unit
        ("赵刚", "jz-fgw-leader", "pending"),  # the leader of the co-handling unit
    ]
    assert all(r["issue_id"] == issue_id and r["channel"] == "files" for r in rows)
    report = outbox.deliver_due(app)
    assert report.count("sent") == 2
    lines = sent(tmp_path / "sent.jsonl")
    assert [line["to"] for line in lines] == ["王建国", "赵刚"]
    assert (
        lines[0]["subject"]
        == f"【交办】问题{issue_id}:电网频繁拉闸限电,生产线多次停工,请协调供电公司"
    )
    assert "交贵单位主办" in lines[0]["body"] and "交贵单位协办" in lines[1]["body"]
    assert "焦作市企业发展服务局" in lines[0]["body"]  # the city office signs for city units
    assert "前签收" in lines[0]["body"] and "前办结" in lines[0]["body"]
    assert outbox.deliver_due(app).claimed == 0  # nothing is sent twice


def test_the_liaison_a_unit_assigned_to_the_enterprise_is_told_first(app: App):
    assign(app, ENTERPRISE, "jz-edsb-liaison", "jz-edsb")
    dispatched(app)
    assert [r["recipient_name"] for r in by_kind(app, "dispatched")] == ["李小红", "赵刚"]


def test_the_enterprise_is_told_and_invited_to_rate_the_round(app: App):
    issue_id = resolved(app)
    (ack,) = by_kind(app, "acknowledged")
    (invitation,) = by_kind(app, "resolved")
    assert ack["recipient_name"] == "联系人1" and ack["address"] == "boss1@example.com"
    assert "已由焦作市企业发展服务局签收办理" in ack["body"]
    assert (invitation["issue_id"], invitation["round"]) == (issue_id, 1)
    assert "已协调供电公司恢复供电" in invitation["body"]
    assert "1 满意,2 基本满意,3 不满意" in invitation["body"]
    assert "解放区企业服务局" in invitation["body"]  # the enterprise's own county office signs


def test_an_unsatisfied_rating_sends_it_back_to_the_enterprise_and_the_lead_unit(app: App):
    issue_id = resolved(app)
    svc.rate(app, issue_id, "unsatisfied", "仍然停电")
    rows = by_kind(app, "redo")
    assert [r["recipient_name"] for r in rows] == ["联系人1", "王建国"]
    assert "仍然停电" in rows[0]["body"] and "前重新办结" in rows[0]["body"]
    svc.resolve(app, issue_id, "已更换变压器")
    assert [(r["round"]) for r in by_kind(app, "resolved")] == [1, 2]  # a new invitation


def test_a_supervision_order_reaches_the_overdue_unit_and_the_leader(app: App):
    clock = Clock(app.now())
    app.clock = clock
    issue_id = dispatched(app)
    clock.now += timedelta(days=10)
    done = routing.escalate(app)
    assert {e.issue for e in done} == {issue_id}
    rows = by_kind(app, "supervised")
    names = {r["recipient_id"] for r in rows}
    assert "jz-edsb-head" in names  # the overdue unit
    assert {e.to_official for e in done} <= names  # the leader it climbed to
    assert any("未在" in r["body"] and "签收" in r["body"] for r in rows)


def test_a_cluster_formed_tells_its_leader_once(sf_small_app: App, tmp_path: Path):
    configure(
        sf_small_app,
        tmp_path,
        file_channel(tmp_path) + "\n[escalation]\ncluster_min_enterprises = 2\n",
    )
    text = "冬季天然气供气不足,燃气公司压减工业用气指标,窑炉无法正常运行,请协调增加供气量"
    for code in (ENTERPRISE, credit_code(XIUWU, 4)):  # routed to the city, in two counties
        issue = svc.file_issue(
            sf_small_app, svc.IssueDraft(enterprise=code, source="portal", body=text)
        )
        svc.accept(sf_small_app, issue.issue.id)
    (change,) = trends.detect(sf_small_app)
    rows = by_kind(sf_small_app, "cluster")
    assert len(rows) == 1  # one notice for the cluster, not one per member
    assert rows[0]["recipient_id"] == change.official
    assert "2家企业反映同类问题" in rows[0]["body"]


def test_a_county_changes_the_rules_and_the_templates(sf_small_app: App, tmp_path: Path):
    configure(
        sf_small_app,
        tmp_path,
        file_channel(tmp_path)
        + """
[notifications.dispatched]
to = ["lead_unit"]
subject = "交办:{title}({enterprise})"

[notifications.acknowledged]
enabled = false

[notifications.received]
enabled = true
""",
    )
    issue_id = resolved(sf_small_app)
    rows = by_kind(sf_small_app, "dispatched")
    assert [r["subject"] for r in rows] == [
        "交办:电网频繁拉闸限电,生产线多次停工,请协调供电公司(焦作市恒泽制药有限公司)"
    ]
    assert by_kind(sf_small_app, "acknowledged") == []
    (received,) = by_kind(sf_small_app, "received")
    assert f"编号{issue_id}" in received["body"]


def test_every_problem_of_channels_and_rules_is_reported_at_load(sf_small_app: App, tmp_path: Path):
    bad = f"""
[[channels]]
name = "mail"
kind = "no-such-kind"

[[channels]]
name = "files"
kind = "file"
settings = {{ path = "{tmp_path}/x.jsonl", colour = "red" }}
secrets = {{ token = "FILE_TOKEN" }}

[[channels]]
name = "files"
kind = "file"

[notifications.dispatched]
to = ["everyone"]
channels = ["sms"]
body = "{{recipent}}:{{title"

[notifications.nonsense]
enabled = false
"""
    with pytest.raises(ConfigError) as caught:
        configure(sf_small_app, tmp_path, bad)
    message = str(caught.value)
    for expected in (
        "channels[0].kind='no-such-kind': no installed plugin provides this channel kind",
        "channels[1].secrets.token: file has no such setting",
        "channels[2].name='files': two channels have this name",
        "notifications.dispatched.to: 'everyone' is not an audience",
        "notifications.dispatched.channels: 'sms' is not a configured channel",
        "notifications.dispatched.body",
        "notifications.nonsense: no such notice kind",
    ):
        assert expected in message
    with pytest.raises(ConfigError, match=r"colour"):
        configure(sf_small_app, tmp_path, file_channel(tmp_path).replace("inbox", "colour"))
    with pytest.raises(ConfigError, match=r"\{recipent\} is not a placeholder here"):
        configure(
            sf_small_app,
            tmp_path,
            file_channel(tmp_path) + '[notifications.resolved]\nbody = "{recipent}"\n',
        )


def test_someone_no_channel_reaches_waits_for_a_person(sf_small_app: App, tmp_path: Path):
    only_email = file_channel(tmp_path) + 'address = ["email"]\n'
    configure(sf_small_app, tmp_path, only_email)
    dispatched(sf_small_app)
    rows = by_kind(sf_small_app, "dispatched")
    assert {r["status"] for r in rows} == {"failed"}
    assert rows[0]["channel"] is None
    assert "no channel reaches 王建国" in rows[0]["last_error"]
    assert "no email address" in rows[0]["last_error"]
    with pytest.raises(ServiceFrameError, match="still no channel reaches 王建国"):
        outbox.retry(sf_small_app, rows[0]["id"])
    # The office adds his e-mail address to the organisation file; the retry finds it.
    org_file = tmp_path / "organisation.toml"
    text = org_file.read_text(encoding="utf-8")
    org_file.write_text(
        text.replace('phone = "13903910001"', 'phone = "13903910001"\nemail = "WJG@jz.example"'),
        encoding="utf-8",
    )
    load_organisation(sf_small_app, org_file)
    row = outbox.retry(sf_small_app, rows[0]["id"])
    assert (row["status"], row["channel"]) == ("pending", "files")
    assert row["address"] == "wjg@jz.example"  # in normal form
    assert outbox.deliver_due(sf_small_app).count("sent") == 1


def test_an_enterprise_without_contact_people_is_visible_not_skipped(
    sf_small_app: App, tmp_path: Path
):
    configure(sf_small_app, tmp_path)
    row = enterprise_row(XIUWU, 9, "修武县无人联系有限公司")
    row[5:8] = ["", "", ""]
    import_enterprises(sf_small_app, write_csv(tmp_path / "e.csv", [row]))
    issue = svc.file_issue(
        sf_small_app,
        svc.IssueDraft(enterprise=credit_code(XIUWU, 9), source="portal", body="用电紧张"),
    )
    svc.accept(sf_small_app, issue.issue.id)
    svc.dispatch(sf_small_app, issue.issue.id, "jz-edsb")
    svc.acknowledge(sf_small_app, issue.issue.id, "jz-edsb")
    (ack,) = by_kind(sf_small_app, "acknowledged")
    assert ack["status"] == "failed"
    assert "企业未登记联系人" in ack["last_error"]


class SurveyLinks:
    """A portal's plugin: a link in every satisfaction invitation."""

    seen: ClassVar[list] = []

    @hookimpl
    def serviceframe_notification_placeholders(self, app):
        yield Placeholder(
            "survey_url",
            lambda m: (
                self.seen.append((m.key, m.issue_id, m.round))
                or f"https://portal.example/s/{m.issue_id}/{m.round}/{m.key[:8]}"
            ),
            kinds=("resolved",),
        )


def test_a_plugin_adds_a_placeholder_to_the_invitations(sf_small_app: App, tmp_path: Path):
    plugin = SurveyLinks()
    app = make_app(sf_small_app.settings.db_url or "", plugins=(plugin,))
    rule = '[notifications.resolved]\nbody = "请评价:{survey_url}"\n'
    configure(app, tmp_path, file_channel(tmp_path) + rule)
    issue_id = resolved(app)
    (row,) = by_kind(app, "resolved")
    assert row["body"] == f"请评价:https://portal.example/s/{issue_id}/1/{row['key'][:8]}"
    assert plugin.seen[-1] == (row["key"], issue_id, 1)
    # Without the plugin the same file is refused: nothing would fill {survey_url}.
    with pytest.raises(ConfigError, match=r"\{survey_url\} is not a placeholder here"):
        configure(sf_small_app, tmp_path, file_channel(tmp_path) + rule)
    app.close()


class BrokenLinks:
    @hookimpl
    def serviceframe_notification_placeholders(self, app):
        def fail(message):
            raise RuntimeError("签名密钥缺失")

        yield Placeholder("survey_url", fail, kinds=("resolved",))


def test_a_placeholder_that_raises_fails_its_notification_not_the_change(
    sf_small_app: App, tmp_path: Path
):
    app = make_app(sf_small_app.settings.db_url or "", plugins=(BrokenLinks(),))
    configure(
        app, tmp_path, file_channel(tmp_path) + '[notifications.resolved]\nbody = "{survey_url}"\n'
    )
    issue_id = resolved(app)
    assert svc.get_issue(app, issue_id).issue.status.value == "resolved"  # the change stands
    (row,) = by_kind(app, "resolved")
    assert row["status"] == "failed"
    assert "BrokenLinks" in row["last_error"] and "签名密钥缺失" in row["last_error"]
    app.close()
