"""Messages coming in: issues from registered contacts, replies, ratings matched to exactly
their issue and round, idempotent on the message id, and a quarantine that loses nothing."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from channel_setup import ENTERPRISE, OTHER, configure, drop, resolved
from serviceframe.app import App
from serviceframe.channels import RawMessage
from serviceframe.domain.notices import rating_in
from serviceframe.errors import ServiceFrameError
from serviceframe.services import inbound, outbox
from serviceframe.services import issues as svc
from serviceframe.services.enterprises import import_enterprises
from serviceframe.testing.sample import JIEFANG, enterprise_row, write_csv


@pytest.fixture
def app(sf_small_app: App, tmp_path: Path) -> App:
    configure(sf_small_app, tmp_path)
    return sf_small_app


def poll(app: App) -> dict[str, list]:
    report = inbound.poll(app, "files")
    outcomes: dict[str, list] = {}
    for h in report.handled:
        outcomes.setdefault(h.outcome, []).append(h)
    return outcomes


def test_a_registered_contact_raises_an_issue(app: App, tmp_path: Path):
    drop(
        tmp_path,
        "a.json",
        {
            "id": "oa-1",
            "from": "Boss1@Example.com",
            "subject": "融资难",
            "body": "银行抽贷压贷,流动资金贷款到期后无法续贷",
        },
    )
    (filed,) = poll(app)["filed"]
    issue = svc.get_issue(app, filed.issue_id).issue
    assert (issue.enterprise, issue.source, issue.title) == (ENTERPRISE, "files", "融资难")
    assert issue.external_id == "oa-1"
    assert issue.origin == f"message:{filed.inbound_id}"  # the issue points at what raised it
    assert (tmp_path / "inbox" / "done" / "a.json").exists()  # marked at the source
    events = svc.get_issue(app, filed.issue_id).events
    assert events[0].actor == "channel:files"  # the sender is on the message's record


def test_the_same_message_twice_is_one_issue(app: App, tmp_path: Path):
    message = {"id": "oa-2", "from": "boss1@example.com", "body": "供电不足"}
    drop(tmp_path, "a.json", message)
    drop(tmp_path, "b.json", message)  # the same message delivered twice at once
    outcomes = poll(app)
    assert len(outcomes["filed"]) == 1 and len(outcomes["duplicate"]) == 1
    drop(tmp_path, "c.json", message)  # and again later
    assert [h.outcome for h in inbound.poll(app, "files").handled] == ["duplicate"]
    assert len(svc.list_issues(app)) == 1


def test_a_message_whose_handling_was_cut_short_is_handled_once(app: App, tmp_path: Path):
    """A poll that stopped after recording the message as received (and before filing it)
    left it 'received': the next poll handles it, once."""
    drop(tmp_path, "a.json", {"id": "oa-3", "from": "boss1@example.com", "body": "融资难"})
    with app.uow() as uow:
        uow.inbound.begin(
            "files",
            [{"message_id": "oa-3", "received_at": app.now(), "payload": b"", "meta": {}}],
            app.now(),
        )
        uow.commit()
    assert len(poll(app)["filed"]) == 1
    assert len(svc.list_issues(app)) == 1


def test_unknown_senders_wait_in_quarantine_until_registered(app: App, tmp_path: Path):
    drop(
        tmp_path, "a.json", {"id": "oa-4", "from": "new.boss@hengze.example", "body": "环评审批慢"}
    )
    (held,) = poll(app)["quarantined"]
    assert "unknown sender 'new.boss@hengze.example'" in held.reason
    (row,) = inbound.quarantined(app)
    assert row["sender"] == "new.boss@hengze.example"
    assert row["size"] > 0  # the raw message is kept for a retry
    with pytest.raises(ServiceFrameError, match="is filed, not quarantined"):
        inbound.retry_quarantined(app, _filed_somewhere(app, tmp_path))
    # The clerk registers the new contact's address in the registry, then retries.
    row_ = enterprise_row(JIEFANG, 1, "焦作市恒泽制药有限公司", "C2710", "city")
    row_[7] = "New.Boss@hengze.example"
    import_enterprises(app, write_csv(tmp_path / "e.csv", [row_]))
    handled = inbound.retry_quarantined(app, held.inbound_id)
    assert handled.outcome == "filed"
    assert svc.get_issue(app, handled.issue_id or 0).issue.enterprise == ENTERPRISE
    assert inbound.quarantined(app) == []


def _filed_somewhere(app: App, tmp_path: Path) -> int:
    drop(tmp_path, "z.json", {"id": "oa-z", "from": "boss2@example.com", "body": "用工难"})
    (filed,) = poll(app)["filed"]
    return filed.inbound_id


def test_an_unreadable_message_is_quarantined_and_can_be_dismissed(app: App, tmp_path: Path):
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "x.json").write_bytes("不是JSON".encode("gb18030"))
    drop(tmp_path, "y.json", {"id": "oa-5", "type": "fax", "from": "boss1@example.com"})
    held = poll(app)["quarantined"]
    reasons = sorted(h.reason for h in held)
    assert reasons[0].startswith("无法解析 cannot parse: UnicodeDecodeError")
    assert "type='fax': must be issue, reply or answer" in reasons[1]
    with pytest.raises(Exception, match="say why"):
        inbound.dismiss(app, held[0].inbound_id, " ")
    row = inbound.dismiss(app, held[0].inbound_id, "传真机乱码")
    assert row["status"] == "dismissed" and "传真机乱码" in row["reason"]
    assert len(inbound.quarantined(app)) == 1


def test_an_official_or_an_ambiguous_sender_is_not_guessed(app: App, tmp_path: Path):
    # Two enterprises share a bookkeeper's address.
    rows = [
        enterprise_row(JIEFANG, 2, "焦作市宝祥电机有限公司", "C3812", "county"),
        enterprise_row(JIEFANG, 3, "焦作市嘉祥面制品有限公司", "C1431", "none"),
    ]
    for row in rows:
        row[7] = "kuaiji@daizhang.example"
    import_enterprises(app, write_csv(tmp_path / "e.csv", rows))
    drop(tmp_path, "a.json", {"id": "oa-6", "from": "kuaiji@daizhang.example", "body": "税务"})
    drop(tmp_path, "b.json", {"id": "oa-7", "from": "0391-3998475", "body": "转来企业问题"})
    reasons = sorted(h.reason for h in poll(app)["quarantined"])
    assert "is a contact of several enterprises" in reasons[0]
    assert "于洪 (jz-mayor), not an enterprise contact" in reasons[1]


def test_a_message_naming_its_enterprise(app: App, tmp_path: Path):
    drop(tmp_path, "a.json", {"id": "h-1", "enterprise": "焦作市宝祥电机有限公司", "body": "用地"})
    drop(tmp_path, "b.json", {"id": "h-2", "enterprise": "焦作市不存在有限公司", "body": "用地"})
    outcomes = poll(app)
    assert svc.get_issue(app, outcomes["filed"][0].issue_id or 0).issue.enterprise == OTHER
    assert (
        "no enterprise '焦作市不存在有限公司' in the registry" in outcomes["quarantined"][0].reason
    )


def test_a_reply_to_a_notification_is_recorded_on_its_issue(app: App, tmp_path: Path):
    issue_id = resolved(app)
    svc.rate(app, issue_id, "unsatisfied", "仍然停电")  # back for redo: open again
    (redo,) = [
        r
        for r in outbox.list_outbox(app)
        if r["kind"] == "redo" and r["recipient_kind"] == "contact"
    ]
    drop(
        tmp_path,
        "a.json",
        {
            "id": "r-1",
            "type": "reply",
            "from": "boss1@example.com",
            "body": "今天上午又停电两次",
            "in_reply_to": redo["key"],
        },
    )
    (replied,) = poll(app)["replied"]
    assert replied.issue_id == issue_id
    event = svc.get_issue(app, issue_id).events[-1]
    assert (event.kind, event.data["body"], event.data["from"]) == (
        "replied",
        "今天上午又停电两次",
        "联系人1",
    )
    (told,) = [r for r in outbox.list_outbox(app) if r["kind"] == "replied"]
    assert told["recipient_id"] == "jz-edsb-head" and "今天上午又停电两次" in told["body"]


def test_a_reply_from_another_enterprise_is_not_taken(app: App, tmp_path: Path):
    issue_id = resolved(app)
    (invitation,) = [r for r in outbox.list_outbox(app) if r["kind"] == "resolved"]
    drop(
        tmp_path,
        "a.json",
        {
            "id": "r-2",
            "type": "reply",
            "from": "boss2@example.com",
            "body": "1",
            "in_reply_to": invitation["key"],
        },
    )
    (held,) = poll(app)["quarantined"]
    assert f"not a registered contact of {ENTERPRISE}" in held.reason
    assert svc.get_issue(app, issue_id).issue.status.value == "resolved"


def test_a_reply_to_an_invitation_rates_exactly_that_round(app: App, tmp_path: Path):
    issue_id = resolved(app)
    (invitation,) = [r for r in outbox.list_outbox(app) if r["kind"] == "resolved"]
    svc.rate(app, issue_id, "unsatisfied", "电压仍不稳")  # round 1 rated by phone meanwhile
    svc.resolve(app, issue_id, "已加装稳压设备")  # round 2, with its own invitation
    # The late e-mail answer to round 1's invitation must not rate round 2.
    drop(
        tmp_path,
        "a.json",
        {
            "id": "r-3",
            "type": "reply",
            "from": "boss1@example.com",
            "body": "1 满意",
            "in_reply_to": invitation["key"],
        },
    )
    (held,) = poll(app)["quarantined"]
    assert "the invitation for round 1 of issue" in held.reason
    (second,) = [r for r in outbox.list_outbox(app) if r["kind"] == "resolved" and r["round"] == 2]
    drop(
        tmp_path,
        "b.json",
        {
            "id": "r-4",
            "type": "reply",
            "from": "boss1@example.com",
            "body": "2 基本满意,希望彻底解决",
            "in_reply_to": second["key"],
        },
    )
    assert len(poll(app)["rated"]) == 1
    view = svc.get_issue(app, issue_id)
    assert view.issue.status.value == "closed"
    assert [(r["round"], r["satisfaction"]) for r in view.ratings] == [
        (1, "unsatisfied"),
        (2, "basic"),
    ]
    assert view.ratings[1]["comment"] == "希望彻底解决"
    assert view.events[-1].data["on_behalf"] is False  # the enterprise itself rated


def test_an_answer_without_reference_needs_exactly_one_open_invitation(app: App, tmp_path: Path):
    first = resolved(app)
    outbox.deliver_due(app)
    drop(
        tmp_path,
        "a.json",
        {"id": "a-1", "type": "answer", "from": "boss1@example.com", "satisfaction": "满意"},
    )
    assert poll(app)["rated"][0].issue_id == first
    second, third = resolved(app), resolved(app)
    outbox.deliver_due(app)
    drop(
        tmp_path,
        "b.json",
        {"id": "a-2", "type": "answer", "from": "boss1@example.com", "satisfaction": "3"},
    )
    (held,) = poll(app)["quarantined"]
    assert (
        f"2 open invitations were sent to 'boss1@example.com' (issues {third}, {second})"
        in held.reason
    )
    assert svc.get_issue(app, second).issue.status.value == "resolved"


def test_received_times_are_kept_sane(app: App):
    future = RawMessage(
        "t-1", b'{"from": "boss1@example.com", "body": "x"}', datetime.now(UTC) + timedelta(days=3)
    )
    naive = RawMessage(
        "t-2", b'{"from": "boss1@example.com", "body": "y"}', datetime(2026, 1, 5, 9, 0)
    )
    report = inbound.receive(app, "files", [future, naive])
    first, second = (svc.get_issue(app, h.issue_id or 0).issue for h in report.handled)
    assert first.received_at <= datetime.now(UTC)
    assert second.received_at == datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # 09:00 Beijing time


def test_a_channel_that_brings_nothing_in_says_so(sf_small_app: App, tmp_path: Path):
    with pytest.raises(ServiceFrameError, match="no channel 'nope'"):
        inbound.poll(sf_small_app, "nope")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1", ("satisfied", "")),
        ("２", ("basic", "")),
        ("3 问题没解决", ("unsatisfied", "问题没解决")),
        ("满意。谢谢!", ("satisfied", "谢谢!")),
        ("基本满意", ("basic", "")),
        ("不满意,仍然停电", ("unsatisfied", "仍然停电")),
        ("12月还会停电吗", None),
        ("请问何时办结", None),
    ],
)
def test_ratings_written_as_replies(text, expected):
    assert rating_in(text) == expected


def test_reply_codes_tell_several_open_invitations_apart(app: App, tmp_path: Path):
    """An SMS plugin puts a short code in each invitation (a placeholder over the delivery
    key); the digit reply with its code rates exactly that issue and round."""
    first, second = resolved(app), resolved(app)
    outbox.deliver_due(app)
    invitations = {r["issue_id"]: r for r in outbox.list_outbox(app) if r["kind"] == "resolved"}
    code = invitations[first]["key"][:6]
    drop(
        tmp_path,
        "a.json",
        {
            "id": "s-1",
            "type": "answer",
            "from": "boss1@example.com",
            "satisfaction": "2",
            "in_reply_to": code,
        },
    )
    outcome = poll(app)
    assert [h.issue_id for h in outcome.get("rated", [])] == [first], outcome
    assert svc.get_issue(app, second).issue.status.value == "resolved"  # not confused
    drop(
        tmp_path,
        "b.json",
        {
            "id": "s-2",
            "type": "answer",
            "from": "boss2@example.com",
            "satisfaction": "1",
            "in_reply_to": invitations[second]["key"][:6],
        },
    )
    (held,) = poll(app)["quarantined"]  # someone else's code: not theirs to use
    assert "not ours" in held.reason


def test_a_message_written_directly_to_the_outbox_commits_with_the_change(app: App):
    """A portal's one-time sign-in code: one message to one person, in the caller's unit of
    work, delivered like every notification."""
    from serviceframe.services.addresses import find_recipient
    from serviceframe.services.notifications import send_message

    with app.uow() as uow:
        contact = find_recipient(app, uow, "contact", f"{ENTERPRISE}#1")
        assert contact is not None
        send_message(
            app, uow, contact, "登录验证码", "您的验证码是 482913,10分钟内有效。", kind="sign_in"
        )
        # no commit: the change failed, and its message goes with it
    assert outbox.list_outbox(app) == []
    with app.uow() as uow:
        row = send_message(app, uow, contact, "登录验证码", "您的验证码是 482913。", kind="sign_in")
        uow.commit()
    assert (row["kind"], row["address"], row["status"]) == (
        "sign_in",
        "boss1@example.com",
        "pending",
    )
    assert outbox.deliver_due(app).count("sent") == 1
