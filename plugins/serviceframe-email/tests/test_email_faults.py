"""Faults with real processes: the SMTP server down and back, two deliverers at once, a
deliverer killed between sending and recording, mail fetched twice, and the mails that must
not be guessed at. Runs on SQLite, and on PostgreSQL with SERVICEFRAME_TEST_DB."""

import base64
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
from imapclient import IMAPClient
from serviceframe.app import App, Settings, bootstrap
from serviceframe.services import inbound, outbox
from serviceframe.services import issues as svc
from serviceframe.testing.channels import load_sample
from serviceframe.testing.sample import JIEFANG, credit_code

import serviceframe_email
from servers import Dovecot, SmtpServer

ENTERPRISE = credit_code(JIEFANG, 1)  # its contact: boss1@example.com
HEAD = {"jz-edsb-head": {"email": "wangjianguo@edsb.jiaozuo.example"}}


@pytest.fixture
def app(sf_make_db, sf_clock) -> Iterator[App]:
    from serviceframe.testing.fixtures import _small

    url = sf_make_db("small", _small)
    app = bootstrap(
        Settings(acting_as="office", db_url=url, actor="test", load_entry_points=False),
        plugins=[serviceframe_email],
    )
    app.clock = sf_clock
    yield app
    app.close()


def email_channel(**settings: object) -> list[dict]:
    return [
        {
            "name": "mail",
            "kind": "email",
            "settings": {"sender": "qyfw@jiaozuo.example", **settings},
        }
    ]


def dispatch_many(app: App, n: int) -> None:
    for k in range(n):
        issue = svc.file_issue(
            app, svc.IssueDraft(ENTERPRISE, "portal", f"第{k}号问题:电网频繁拉闸限电")
        )
        svc.accept(app, issue.issue.id)
        svc.dispatch(app, issue.issue.id, "jz-edsb")


def message_ids(server: SmtpServer) -> Counter[str]:
    return Counter(str(m["Message-ID"]) for m in server.messages())


def test_smtp_server_down_then_back_every_notification_exactly_once(
    app: App, tmp_path: Path, sf_clock
):
    server = SmtpServer(tmp_path)  # not started: the relay is down
    load_sample(app, email_channel(smtp=f"smtp://127.0.0.1:{server.port}", timeout=3), HEAD)
    dispatch_many(app, 5)
    report = outbox.deliver_due(app)
    assert report.count("retry") == 5
    assert all("ConnectionRefusedError" in a.detail for a in report.attempts)
    server.start()  # the relay is back
    try:
        sf_clock.now += timedelta(minutes=2)  # past the first back-off
        assert outbox.deliver_due(app).count("sent") == 5
        sf_clock.now += timedelta(hours=2)
        assert outbox.deliver_due(app).claimed == 0
    finally:
        server.stop()
    ids = message_ids(server)
    assert len(ids) == 5 and set(ids.values()) == {1}
    keys = {f"<sf-{r['key']}@jiaozuo.example>" for r in outbox.list_outbox(app)}
    assert set(ids) == keys


def deliverer(url: str, *extra: str) -> subprocess.Popen:
    """``serviceframe outbox deliver`` in a process of its own, as cron or systemd runs it."""
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from serviceframe.cli import main; main()",
            "--db",
            url,
            "outbox",
            "deliver",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_deliverers_at_once_send_nothing_twice(app: App, smtp: SmtpServer):
    load_sample(app, email_channel(smtp=f"smtp://127.0.0.1:{smtp.port}"), HEAD)
    dispatch_many(app, 40)
    url = app.settings.db_url or ""
    workers = [deliverer(url, "--once", "--batch", "5"), deliverer(url, "--once", "--batch", "5")]
    for _ in range(20):  # each run takes a batch; run them again until the outbox is empty
        outputs = [w.communicate(timeout=120) for w in workers]
        assert all(w.returncode == 0 for w in workers), outputs
        if not outbox.list_outbox(app, status="pending"):
            break
        workers = [deliverer(url, "--once", "--batch", "5") for _ in range(2)]
    ids = message_ids(smtp)
    assert len(ids) == 40 and set(ids.values()) == {1}
    assert {r["status"] for r in outbox.list_outbox(app)} == {"sent"}


KILLER = """
import os, signal, sys
from serviceframe.app import Settings, bootstrap
from serviceframe.services.outbox import deliver_due
from serviceframe_email.outbound import SmtpSender

send = SmtpSender.send
def send_then_die(self, mail, to):
    result = send(self, mail, to)
    os.kill(os.getpid(), signal.SIGKILL)  # sent, and killed before the outcome is recorded
SmtpSender.send = send_then_die
deliver_due(bootstrap(Settings(acting_as="office", db_url=sys.argv[1])), limit=1)
"""


def test_a_deliverer_killed_between_sending_and_recording(app: App, smtp: SmtpServer):
    load_sample(
        app,
        email_channel(smtp=f"smtp://127.0.0.1:{smtp.port}"),
        HEAD,
        outbox={"lease_seconds": 1},
    )
    dispatch_many(app, 1)
    killed = subprocess.run([sys.executable, "-c", KILLER, app.settings.db_url or ""], timeout=120)
    assert killed.returncode == -9
    (row,) = outbox.list_outbox(app)
    assert row["status"] == "sending"  # claimed, sent, never recorded
    assert sum(message_ids(smtp).values()) == 1
    app.clock = lambda: row["claimed_at"] + timedelta(seconds=2)  # the lease ran out
    report = outbox.deliver_due(app)
    (attempt,) = report.attempts
    assert attempt.outcome == "sent"
    assert "at-least-once" in attempt.detail  # SMTP cannot tell whether it got through
    shown = outbox.show_outbox(app, row["id"])
    assert [a["outcome"] for a in shown["attempt_log"]] == ["unknown", "sent"]
    # The copy sent again has the same Message-ID: mail clients show it once.
    assert message_ids(smtp) == Counter({f"<sf-{row['key']}@jiaozuo.example>": 2})


def imap_append(dovecot: Dovecot, user: str, password: str, data: bytes) -> None:
    with IMAPClient("127.0.0.1", dovecot.port, ssl=False) as client:
        client.login(user, password)
        client.append("INBOX", data)


def test_mail_in_through_imap_as_it_really_comes(app: App, dovecot: Dovecot, smtp: SmtpServer):
    user, password = dovecot.new_user()
    load_sample(
        app,
        email_channel(
            smtp=f"smtp://127.0.0.1:{smtp.port}",
            imap=f"imap://127.0.0.1:{dovecot.port}",
            imap_username=user,
            imap_password=password,
        ),
        HEAD,
    )
    # A GBK mail labelled GB2312, the same mail delivered twice, and a broken one.
    gbk = (
        "From: boss1@example.com\r\nMessage-ID: <gbk-1@hengze.example>\r\n"
        f"Subject: =?gb2312?B?{base64.b64encode('镕喆用电问题'.encode('gbk')).decode()}?=\r\n"
        "Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + base64.encodebytes("朱镕基路厂区停电,陶喆经理反映。".encode("gbk"))
    broken = b'From: boss1@example.com\r\nMessage-ID: <b-1@x>\r\nContent-Type: multipart/mixed; boundary="q"\r\n\r\nno parts'
    for data in (gbk, gbk, broken):
        imap_append(dovecot, user, password, data)
    report = inbound.poll(app, "mail")
    assert sorted(h.outcome for h in report.handled) == ["duplicate", "filed", "quarantined"]
    (issue,) = svc.list_issues(app)
    assert (issue.title, issue.body) == ("镕喆用电问题", "朱镕基路厂区停电,陶喆经理反映。")
    assert issue.source == "mail" and issue.external_id == "<gbk-1@hengze.example>"
    (held,) = inbound.quarantined(app)
    assert "broken MIME structure" in held["reason"] and held["meta"]["folder"] == "INBOX"
    assert inbound.poll(app, "mail").handled == ()  # all marked $ServiceframeDone

    # The issue is handled; the enterprise answers the invitation by replying "1".
    svc.accept(app, issue.id)
    svc.dispatch(app, issue.id, "jz-edsb")
    svc.acknowledge(app, issue.id, "jz-edsb")
    svc.resolve(app, issue.id, "已协调恢复供电")
    assert outbox.deliver_due(app).count("sent") >= 2
    invitation = next(m for m in smtp.messages() if "请评价" in str(m["Subject"]))
    assert invitation["To"].addresses[0].addr_spec == "boss1@example.com"
    reply = EmailMessage(policy=SMTP)
    reply["From"] = "联系人1 <boss1@example.com>"
    reply["Subject"] = "Re: " + str(invitation["Subject"])
    reply["In-Reply-To"] = str(invitation["Message-ID"])
    reply["Message-ID"] = "<reply-1@hengze.example>"
    reply.set_content("1\n\n在 2026年10月12日 写道:\n> 请对办理结果评价")
    imap_append(dovecot, user, password, reply.as_bytes())
    (rated,) = inbound.poll(app, "mail").handled
    assert (rated.outcome, rated.issue_id) == ("rated", issue.id)
    assert svc.get_issue(app, issue.id).ratings[0]["satisfaction"] == "satisfied"


def test_imap_down_is_a_clear_error(app: App, tmp_path: Path):
    load_sample(app, email_channel(imap="imap://127.0.0.1:9", imap_username="u", timeout=2), HEAD)
    with pytest.raises(Exception, match=r"failed to fetch messages: .*ConnectionRefusedError"):
        inbound.poll(app, "mail")


def test_settings_problems_are_named_at_load(app: App):
    from serviceframe.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        load_sample(app, email_channel(smtp="http://mail:25", sender="not-an-address", port=25))
    text = str(caught.value)
    assert "channels[0].settings" in text
    assert "port" in text  # an unknown key
    with pytest.raises(ConfigError, match="smtp"):
        load_sample(app, email_channel(smtp="http://mail:25"))
    with pytest.raises(ConfigError, match="sender"):
        load_sample(app, email_channel(sender="qyfw"))
