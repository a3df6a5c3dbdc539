"""serviceframe's channel contract against the e-mail channel: SMTP out (a real aiosmtpd
process), in from a Maildir and from a real IMAP server (Debian's dovecot)."""

import time
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any, ClassVar

import pytest
from imapclient import IMAPClient
from serviceframe.testing.channels import ChannelContract, Delivered

import serviceframe_email
from servers import Dovecot, SmtpServer


def mail(sender: str, subject: str, body: str, message_id: str) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = "qyfw@jiaozuo.example"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{message_id}>"
    msg.set_content(body)
    return msg.as_bytes()


class EmailContract(ChannelContract):
    kind = "email"
    plugin = serviceframe_email
    passes_key = True
    addresses: ClassVar[dict[str, str]] = {"email": "wangjianguo@edsb.jiaozuo.example"}

    def received(self, settings: dict[str, Any]) -> list[Delivered]:
        return [
            Delivered(
                str(m["To"].addresses[0].addr_spec),
                str(m["Subject"]),
                m.get_content(),
                str(m["X-Serviceframe-Key"]),
            )
            for m in self.smtp.messages()
        ]

    @pytest.fixture
    def broken_settings(self, smtp: SmtpServer) -> dict[str, Any]:
        return {"sender": "qyfw@jiaozuo.example", "smtp": "smtp://127.0.0.1:9", "timeout": 2}


class TestEmailWithMaildir(EmailContract):
    @pytest.fixture
    def settings(self, smtp: SmtpServer, tmp_path: Path) -> dict[str, Any]:
        self.smtp = smtp
        self.maildir = tmp_path / "inbox"
        for sub in ("new", "cur", "tmp"):
            (self.maildir / sub).mkdir(parents=True)
        return {
            "sender": "qyfw@jiaozuo.example",
            "smtp": f"smtp://127.0.0.1:{smtp.port}",
            "maildir": str(self.maildir),
        }

    def send_in(self, settings, sender, subject, body, message_id) -> None:
        name = f"{time.time_ns()}.test"
        (self.maildir / "new" / name).write_bytes(mail(sender, subject, body, message_id))

    def send_garbage(self, settings) -> None:
        broken = b'From: a@b.example\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\nno parts'
        (self.maildir / "new" / f"{time.time_ns()}.broken").write_bytes(broken)


class TestEmailWithImap(EmailContract):
    @pytest.fixture
    def settings(self, smtp: SmtpServer, dovecot: Dovecot) -> dict[str, Any]:
        self.smtp = smtp
        self.dovecot = dovecot
        self.user, self.password = dovecot.new_user()
        return {
            "sender": "qyfw@jiaozuo.example",
            "smtp": f"smtp://127.0.0.1:{smtp.port}",
            "imap": f"imap://127.0.0.1:{dovecot.port}",
            "imap_username": self.user,
            "imap_password": self.password,
        }

    def append(self, data: bytes) -> None:
        with IMAPClient("127.0.0.1", self.dovecot.port, ssl=False) as client:
            client.login(self.user, self.password)
            client.append("INBOX", data)

    def send_in(self, settings, sender, subject, body, message_id) -> None:
        self.append(mail(sender, subject, body, message_id))

    def send_garbage(self, settings) -> None:
        self.append(
            b'From: a@b.example\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\nno parts'
        )
