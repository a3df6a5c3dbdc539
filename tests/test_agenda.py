"""The executive meeting's agenda (市政府常务会议, R7) on the bundled Jiaozuo city.

A policy issue that needs a collective decision, or a widespread cluster, is queued for the
next executive meeting of its government; the office records the meeting's decision, and the
decision is written to every issue the item stands for.

Every test here runs on SQLite and, with ``SERVICEFRAME_TEST_DB`` set, on PostgreSQL.
"""

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ladder import events_of, invoke, routing
from serviceframe.demo import example_dir
from serviceframe.domain.routing import Rung
from serviceframe.errors import ServiceFrameError, ValidationError
from serviceframe.services import issues as svc
from serviceframe.services.agenda import agenda, decide, schedule_meeting
from serviceframe.services.issues import IssueDraft
from serviceframe.services.organisation import load_organisation
from serviceframe.services.trends import detect, queue_cluster, show_cluster
from serviceframe.testing.clock import Clock

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=SH)
CITY = "410800"
JIEFANG = "410802"
CITY_KEY = "914108026469439561"  # 河南东昌电缆集团有限公司, city key, 解放区
CITY_KEY_2 = "9141080382189956X4"  # city key, 中站区
COUNTY_KEY = "91410802800014232W"  # county key, 解放区
FIVE = (CITY_KEY, COUNTY_KEY, CITY_KEY_2, "9141080393961761X2", "91410821807299699J")
POLICY = "建议出台工业企业用电价格补贴政策，减轻企业负担。"
GAS = "天然气供气严重不足，锅炉多次停机，生产受到很大影响。"
DECISION = "同意对重点工业企业给予用电补贴，由市财政局牵头制定办法。"


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def app(jiaozuo_app, clock):
    jiaozuo_app.clock = clock
    return jiaozuo_app


def policy_issue(app, enterprise=CITY_KEY):
    filed = svc.file_issue(app, IssueDraft(enterprise=enterprise, source="hotline", body=POLICY))
    return svc.accept(app, filed.issue.id, category=7, severity="policy")


def with_meetings(app, tmp_path: Path, *meetings: tuple[str, str]) -> None:
    text = (example_dir() / "organisation.toml").read_text(encoding="utf-8")
    for where, when in meetings:
        text += (
            f'\n[[meetings]]\njurisdiction = "{where}"\ndate = {when}\nname = "常务会议 {when}"\n'
        )
    path = tmp_path / "organisation.toml"
    path.write_text(text, encoding="utf-8")
    load_organisation(app, path)


def listed(found) -> list[tuple[int | None, int | None, str]]:
    return [(i["issue_id"], i["cluster_id"], i["status"]) for i in found["items"]]


# --- queueing --------------------------------------------------------------------------------


def test_policy_issue_is_queued_for_the_next_meeting_of_the_organisation_file(app, tmp_path):
    with_meetings(app, tmp_path, (CITY, "2026-11-12"), (CITY, "2026-11-26"))
    issue = policy_issue(app)
    assert routing(app, issue.id).rung is Rung.EXECUTIVE_MEETING
    (queued,) = events_of(app, issue.id, "queued")
    assert queued.data["meeting"] == "2026-11-12"

    found = agenda(app)
    assert found["meeting"]["date"] == date(2026, 11, 12)
    assert listed(found) == [(issue.id, None, "pending")]
    assert found["items"][0]["id"] == routing(app, issue.id).agenda_item
    assert listed(agenda(app, meeting=date(2026, 11, 26))) == []

    result = invoke(app, "agenda")
    assert result.exit_code == 0, result.output
    assert "2026-11-12" in result.stdout and f"问题 {issue.id}" in result.stdout
    with pytest.raises(ValidationError):
        agenda(app, meeting=date(2026, 11, 19))


def test_items_queued_before_any_meeting_attach_when_one_is_scheduled(app):
    issue = policy_issue(app)
    waiting = agenda(app)
    assert waiting["meeting"] is None
    assert listed(waiting) == [(issue.id, None, "pending")]
    assert waiting["items"][0]["meeting_id"] is None
    assert "no meeting scheduled" in invoke(app, "agenda").stdout

    result = invoke(
        app, "agenda", "schedule", "--date", "2026-11-12", "--name", "市政府第12次常务会议"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(invoke(app, "agenda", "--json").stdout)
    assert data["jurisdiction"] == CITY
    assert (data["meeting"]["date"], data["meeting"]["name"]) == (
        "2026-11-12",
        "市政府第12次常务会议",
    )
    (item,) = data["items"]
    assert (item["issue_id"], item["meeting_date"]) == (issue.id, "2026-11-12")
    assert item["meeting_id"] == data["meeting"]["id"]


def test_items_queued_before_any_meeting_attach_when_the_organisation_file_adds_one(app, tmp_path):
    issue = policy_issue(app)
    with_meetings(app, tmp_path, (CITY, "2026-11-12"))
    found = agenda(app)
    assert found["meeting"]["date"] == date(2026, 11, 12)
    assert listed(found) == [(issue.id, None, "pending")]
    assert found["items"][0]["meeting_id"] == found["meeting"]["id"]


def test_waiting_items_go_to_the_next_meeting_whatever_order_the_file_lists_them(app, tmp_path):
    issue = policy_issue(app)
    with_meetings(app, tmp_path, (CITY, "2026-11-26"), (CITY, "2026-11-12"))
    found = agenda(app)
    assert found["meeting"]["date"] == date(2026, 11, 12)
    assert listed(found) == [(issue.id, None, "pending")]


def test_an_item_a_meeting_left_undecided_is_carried_over(app, clock, tmp_path):
    with_meetings(app, tmp_path, (CITY, "2026-11-12"))
    issue = policy_issue(app)
    clock.now = NOW + timedelta(days=11)  # 13 November: the meeting is over, nothing decided
    found = agenda(app)
    assert found["meeting"] is None
    assert listed(found) == [(issue.id, None, "pending")]
    schedule_meeting(app, date(2026, 11, 26))
    found = agenda(app)
    assert found["meeting"]["date"] == date(2026, 11, 26)
    assert listed(found) == [(issue.id, None, "pending")]
    # The meeting of the 12th still shows what was before it.
    assert listed(agenda(app, meeting=date(2026, 11, 12))) == [(issue.id, None, "pending")]


def test_a_county_policy_issue_goes_to_the_countys_meeting(app):
    ours = policy_issue(app, COUNTY_KEY)
    r = routing(app, ours.id)
    assert (r.level, r.rung) == (JIEFANG, Rung.EXECUTIVE_MEETING)
    assert "解放区" in r.reason
    assert listed(agenda(app)) == []
    assert listed(agenda(app, jurisdiction=JIEFANG)) == [(ours.id, None, "pending")]
    schedule_meeting(app, date(2026, 11, 12))  # the city's meeting: not the county's
    assert listed(agenda(app, jurisdiction=JIEFANG)) == [(ours.id, None, "pending")]
    assert agenda(app, jurisdiction=JIEFANG)["meeting"] is None
    result = invoke(app, "agenda", "--jurisdiction", JIEFANG, "--json")
    assert [i["issue_id"] for i in json.loads(result.stdout)["items"]] == [ours.id]


# --- deciding --------------------------------------------------------------------------------


def test_the_decision_is_written_to_the_issue(app):
    schedule_meeting(app, date(2026, 11, 12))
    issue = policy_issue(app)
    item = routing(app, issue.id).agenda_item
    with pytest.raises(ValidationError):  # a decision must say something
        decide(app, item, "   ")
    with pytest.raises(ServiceFrameError):
        decide(app, 999, DECISION)
    assert events_of(app, issue.id, "decided") == []

    result = invoke(app, "agenda", "decide", str(item), "--decision", DECISION)
    assert result.exit_code == 0, result.output
    assert f"written to issues {issue.id}" in result.stdout
    (decided,) = events_of(app, issue.id, "decided")
    assert (decided.data["decision"], decided.data["agenda_item"]) == (DECISION, item)
    assert routing(app, issue.id).decision == DECISION
    assert svc.get_issue(app, issue.id).issue.status.value == "accepted"  # not settled
    assert listed(agenda(app)) == [(issue.id, None, "decided")]
    assert agenda(app)["items"][0]["decision"] == DECISION
    assert f"decision: {DECISION}" in invoke(app, "route", str(issue.id)).stdout

    again = invoke(app, "agenda", "decide", str(item), "--decision", "另议")
    assert again.exit_code == 1
    assert "decided already" in again.stderr
    assert [e.data["decision"] for e in events_of(app, issue.id, "decided")] == [DECISION]


def test_a_decision_that_settles_resolves_the_issue(app):
    issue = policy_issue(app)
    svc.dispatch(app, issue.id, "jz-czj")
    item = routing(app, issue.id).agenda_item
    result = invoke(
        app, "agenda", "decide", str(item), "--decision", DECISION, "--settle", "--json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["status"], data["issues"], data["settled"]) == ("decided", [issue.id], [issue.id])
    settled = svc.get_issue(app, issue.id).issue
    assert (settled.status.value, settled.resolution) == ("resolved", DECISION)
    assert svc.rate(app, issue.id, "satisfied").status.value == "closed"


def test_a_clusters_decision_reaches_every_member(app):
    schedule_meeting(app, date(2026, 11, 12))
    ids = []
    for e in FIVE:
        filed = svc.file_issue(app, IssueDraft(enterprise=e, source="hotline", body=GAS))
        ids.append(svc.accept(app, filed.issue.id).id)
    (change,) = detect(app)

    result = invoke(app, "cluster", "queue", str(change.cluster), "--json")
    assert result.exit_code == 0, result.output
    item = json.loads(result.stdout)
    assert item["cluster_id"] == change.cluster and "1:天然气" in item["title"]
    assert queue_cluster(app, change.cluster)["id"] == item["id"]  # queued once
    assert listed(agenda(app)) == [(None, change.cluster, "pending")]
    assert {routing(app, i).agenda_item for i in ids} == {item["id"]}

    decided = decide(app, item["id"], "由市发改委协调新增天然气供应指标", settle=True)
    assert sorted(decided["issues"]) == sorted(ids)
    assert sorted(decided["settled"]) == sorted(ids)
    for issue_id in ids:
        (event,) = events_of(app, issue_id, "decided")
        assert event.data["decision"] == "由市发改委协调新增天然气供应指标"
        assert svc.get_issue(app, issue_id).issue.status.value == "resolved"
    assert show_cluster(app, change.cluster).cluster["status"] == "resolved"
