"""Notifications as mail through a real SMTP server process: plain, STARTTLS, SSL, a login."""

from pathlib import Path

import pytest
from serviceframe.channels import ChannelContext, Failure, Outgoing, Receipt, Recipient

from servers import SmtpServer
from serviceframe_email.channel import EmailChannel
from serviceframe_email.outbound import compose
from serviceframe_email.settings import EmailSettings

KEY = "5f0c2a0e8a1b4c6d9e7f00112233aabb"


def outgoing(to: str = "wangjianguo@edsb.jiaozuo.example", key: str = KEY) -> Outgoing:
    return Outgoing(
        7,
        key,
        "mail",
        "dispatched",
        Recipient("official", "jz-edsb-head", "王建国", "410800"),
        to,
        "【交办】问题12:电网频繁拉闸限电",
        "王建国:\n焦作市企业发展服务局将问题(编号12)交贵单位主办。",
        issue_id=12,
    )


def channel(**settings: object) -> EmailChannel:
    values = {"sender": "qyfw@jiaozuo.example", "sender_name": "焦作市企业发展服务局", **settings}
    return EmailChannel(
        ChannelContext(None, "mail", "email", "410800", EmailSettings(**values), ("email",))
    )  # type: ignore[arg-type]


def test_chinese_subject_and_body_are_encoded_for_any_server():
    data = compose(channel().settings, outgoing()).as_bytes()
    assert data.isascii()  # encoded words and base64: nothing a 7-bit server could mangle
    assert b"Subject: =?utf-8?b?" in data
    assert f"Message-ID: <sf-{KEY}@jiaozuo.example>".encode() in data
    assert b"X-Serviceframe-Issue: 12" in data


def test_a_notification_through_a_plain_smtp_server(smtp: SmtpServer):
    ch = channel(smtp=f"smtp://127.0.0.1:{smtp.port}")
    assert ch.deliver(outgoing()) == Receipt(f"<sf-{KEY}@jiaozuo.example>")
    ch.deliver(outgoing(key="ab" * 16))  # the same connection, reused
    ch.close()
    got = {m["Message-ID"]: m for m in smtp.messages()}
    assert set(got) == {f"<sf-{KEY}@jiaozuo.example>", f"<sf-{'ab' * 16}@jiaozuo.example>"}
    first = got[f"<sf-{KEY}@jiaozuo.example>"]
    assert first["Subject"] == "【交办】问题12:电网频繁拉闸限电"
    assert first["From"].addresses[0].display_name == "焦作市企业发展服务局"
    assert first["To"].addresses[0].display_name == "王建国"
    assert "交贵单位主办" in first.get_content()


@pytest.mark.parametrize("mode", ["--starttls", "--smtps"])
def test_starttls_and_ssl_with_a_login(tmp_path: Path, certificates: dict[str, Path], mode: str):
    server = SmtpServer(
        tmp_path,
        options=(
            mode,
            str(certificates["cert"]),
            str(certificates["key"]),
            "--auth",
            "qyfw:s3cret",
        ),
    ).start()
    scheme = "smtp+starttls" if mode == "--starttls" else "smtps"
    try:
        good = channel(
            smtp=f"{scheme}://localhost:{server.port}",
            username="qyfw",
            password="s3cret",
            ca_file=str(certificates["ca"]),
        )
        assert isinstance(good.deliver(outgoing()), Receipt)
        good.close()
        wrong = channel(
            smtp=f"{scheme}://localhost:{server.port}",
            username="qyfw",
            password="wrong",
            ca_file=str(certificates["ca"]),
        )
        refused = wrong.deliver(outgoing())
        assert isinstance(refused, Failure) and not refused.permanent  # fixed, then it goes out
        assert "refused the login" in refused.reason
        untrusted = channel(
            smtp=f"{scheme}://localhost:{server.port}", username="qyfw", password="x"
        )
        failed = untrusted.deliver(outgoing())
        assert isinstance(failed, Failure) and "CERTIFICATE_VERIFY_FAILED" in failed.reason
    finally:
        server.stop()
    assert [m["Subject"] for m in server.messages()] == ["【交办】问题12:电网频繁拉闸限电"]


def test_refused_for_good_or_for_now(tmp_path: Path):
    server = SmtpServer(tmp_path, options=("--refuse", "nobody@jiaozuo.example")).start()
    try:
        ch = channel(smtp=f"smtp://127.0.0.1:{server.port}")
        refused = ch.deliver(outgoing("nobody@jiaozuo.example"))
        assert isinstance(refused, Failure) and refused.permanent
        assert "550" in refused.reason and "no such mailbox" in refused.reason
        assert isinstance(ch.deliver(outgoing()), Receipt)  # the connection still serves
    finally:
        server.stop()
    down = channel(smtp=f"smtp://127.0.0.1:{server.port}", timeout=2).deliver(outgoing())
    assert isinstance(down, Failure) and not down.permanent
    assert "ConnectionRefusedError" in down.reason
    nowhere = channel().deliver(outgoing())
    assert isinstance(nowhere, Failure) and nowhere.permanent and "no `smtp`" in nowhere.reason
