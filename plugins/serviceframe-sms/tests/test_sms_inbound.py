"""Replies by SMS, end to end through a real SMSC process: a digit reply rates exactly the
issue and round its invitation was for, several open invitations are told apart by their
reply codes (and never guessed), other text from a contact is a new issue, and unknown
numbers wait in the quarantine. The cloud providers' reply callbacks take the same path."""

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from serviceframe.app import App
from serviceframe.services import inbound, outbox
from serviceframe.services import issues as svc
from serviceframe.testing.channels import ENTERPRISE, load_sample

import serviceframe_sms
from serviceframe_sms import callback
from smsc import Smsc

PHONE = "13903910001"  # 联系人1 of ENTERPRISE


@pytest.fixture
def app(sf_small_app: App, sf_clock: Any, smsc: Smsc, monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.setenv("SF_TEST_SMPP_PASSWORD", "secret")
    if not sf_small_app.plugins.pm.is_registered(serviceframe_sms):
        sf_small_app.plugins.register(serviceframe_sms, "test:sms", "registered")
    sf_small_app.clock = sf_clock
    channel = {
        "name": "sms",
        "kind": "sms",
        "settings": {
            "provider": "smpp",
            "smpp": f"smpp://127.0.0.1:{smsc.port}",
            "system_id": "jzqyfw",
        },
        "secrets": {"password": "SF_TEST_SMPP_PASSWORD"},
    }
    load_sample(sf_small_app, [channel])
    return sf_small_app


def resolved(app: App, body: str) -> int:
    issue = svc.file_issue(app, svc.IssueDraft(ENTERPRISE, "portal", body))
    svc.accept(app, issue.issue.id)
    svc.dispatch(app, issue.issue.id, "jz-edsb")
    svc.acknowledge(app, issue.issue.id, "jz-edsb")
    svc.resolve(app, issue.issue.id, "已协调办结")
    return issue.issue.id


def invitation_codes(app: App, smsc: Smsc) -> dict[int, str]:
    """The reply code each issue's invitation SMS showed the enterprise."""
    outbox.deliver_due(app)
    rows = {
        r["key"][:4].upper(): r["issue_id"]
        for r in outbox.list_outbox(app)
        if r["kind"] == "resolved"
    }
    codes = {}
    for message in smsc.messages():
        found = re.search(r"编号([0-9A-F]{4})", message["text"])
        if found and message["to"] == PHONE:
            codes[rows[found.group(1)]] = found.group(1)
    return codes


def replies(app: App, smsc: Smsc, *texts: tuple[str, str]) -> list[Any]:
    for n, (sender, text) in enumerate(texts):
        smsc.reply(sender, text, ref=n)
    return list(inbound.poll(app, "sms").handled)


def status(app: App, issue_id: int) -> tuple[str, str | None]:
    issue = svc.get_issue(app, issue_id).issue
    return issue.status.value, getattr(issue.satisfaction, "value", None)


def test_reply_codes_rate_exactly_their_issue_and_an_uncoded_digit_is_not_guessed(
    app: App, smsc: Smsc
):
    first = resolved(app, "电网频繁拉闸限电,生产线多次停工")
    second = resolved(app, "银行抽贷,流动资金紧张")
    codes = invitation_codes(app, smsc)
    assert set(codes) == {first, second}, "each invitation SMS carries its own reply code"

    (held,) = replies(app, smsc, ("8613903910001", "1"))
    assert held.outcome == "quarantined" and "2 open invitations" in held.reason
    assert status(app, first)[0] == status(app, second)[0] == "resolved"
    # …and the sender is asked which, with both codes, by SMS.
    outbox.deliver_due(app)
    (question,) = [m for m in smsc.messages() if "未能确定" in m["text"]]
    assert question["to"] == PHONE
    assert f"编号{codes[first]}" in question["text"] and f"编号{codes[second]}" in question["text"]

    # Full-width digit, code after it, a comment: the second issue only.
    (rated,) = replies(app, smsc, (PHONE, f"２ {codes[second]} 希望加快进度"))
    assert (rated.outcome, rated.issue_id) == ("rated", second)
    assert status(app, second) == ("closed", "basic") and status(app, first) == ("resolved", None)

    # Now one invitation is open: a Chinese word without a code rates it.
    (rated,) = replies(app, smsc, (PHONE, "不满意,仍然停电"))
    assert (rated.outcome, rated.issue_id) == ("rated", first)
    issue = svc.get_issue(app, first).issue
    assert (issue.status.value, issue.round) != ("resolved", 1)  # sent back to be redone


def test_a_code_from_another_round_or_another_number_rates_nothing(app: App, smsc: Smsc):
    issue_id = resolved(app, "电网频繁拉闸限电")
    (old,) = invitation_codes(app, smsc).values()
    (rated,) = replies(app, smsc, (PHONE, f"3 {old}"))  # unsatisfied: the issue is redone
    assert rated.outcome == "rated"
    (held,) = replies(app, smsc, (PHONE, f"{old} 1"))  # the old round's code again
    assert held.outcome == "quarantined" and "no longer open" in held.reason
    # boss2's number is another enterprise's contact: the code is not theirs to use.
    (held,) = replies(app, smsc, ("13903910002", f"1 {old}"))
    assert held.outcome == "quarantined"
    assert "not a registered contact" in held.reason or "not ours" in held.reason
    issue = svc.get_issue(app, issue_id).issue
    # Round 1's "unsatisfied" stands; the redo (round 2) waits for its own invitation.
    assert (issue.round, issue.satisfaction.value) == (2, "unsatisfied")
    assert issue.status.value != "closed"


def test_free_text_from_a_contact_is_an_issue_and_unknown_numbers_are_quarantined(
    app: App, smsc: Smsc
):
    outcomes = replies(
        app,
        smsc,
        (PHONE, "1号车间外道路积水严重,货车无法进出,请协调"),  # starts with a digit: not a rating
        ("13700000000", "你好,我是新来的厂长"),
    )
    assert [h.outcome for h in outcomes] == ["filed", "quarantined"]
    issue = svc.get_issue(app, outcomes[0].issue_id).issue
    assert issue.enterprise == ENTERPRISE and "道路积水" in issue.body and issue.source == "sms"
    assert "unknown sender" in outcomes[1].reason


def test_a_long_reply_in_parts_is_one_issue(app: App, smsc: Smsc):
    text = "企业用地手续办理" * 30  # 240 characters: four UCS-2 parts
    (filed,) = replies(app, smsc, (PHONE, text))
    assert filed.outcome == "filed"
    assert svc.get_issue(app, filed.issue_id).issue.body == text


@pytest.mark.parametrize(
    ("provider", "body"),
    [
        (
            "aliyun",
            lambda text: [
                {
                    "phone_number": PHONE,
                    "send_time": "2026-10-12 10:00:00",
                    "content": text,
                    "sign_name": "焦作企业服务",
                    "dest_code": "1234",
                    "sequence_id": 1234567,
                }
            ],
        ),
        (
            "tencent",
            lambda text: {
                "extend": "",
                "mobile": PHONE,
                "nationcode": "86",
                "sign": "焦作",
                "text": text,
                "time": 1791770400,
            },
        ),
    ],
)
def test_provider_callbacks_take_the_same_path(
    app: App, smsc: Smsc, provider: str, body: Callable[[str], Any]
):
    issue_id = resolved(app, "电网频繁拉闸限电")
    (code,) = invitation_codes(app, smsc).values()
    payload = json.dumps(body(f"满意 {code}"), ensure_ascii=False).encode()
    (rated,) = inbound.receive(app, "sms", callback(provider, payload)).handled
    assert (rated.outcome, rated.issue_id) == ("rated", issue_id)
    # The provider calls back again with the same reply: recognised, nothing changes.
    (again,) = inbound.receive(app, "sms", callback(provider, payload)).handled
    assert again.outcome == "duplicate"
