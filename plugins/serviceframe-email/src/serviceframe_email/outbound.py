"""Notifications as e-mail: composed with the standard library, sent over SMTP.

The Chinese subject is written as an RFC 2047 encoded word and the body as UTF-8 in base64, so
every mail server and client on the way reads it the same. The delivery key is the mail's
Message-ID (``<sf-KEY@sender-domain>``): a copy sent again after a deliverer was killed carries
the same Message-ID, which mail clients show once, and a reply's In-Reply-To names the
notification it answers.
"""

import smtplib
import time
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

from serviceframe.channels import Failure, Outgoing, Receipt

from serviceframe_email.settings import SMTP_SCHEMES, EmailSettings, Server, tls_context

IDLE_CHECK_SECONDS = 5.0  # a connection idle longer is checked (NOOP) before it is reused


def message_id(key: str, sender: str) -> str:
    return f"<sf-{key}@{sender.rsplit('@', 1)[1]}>"


def compose(settings: EmailSettings, message: Outgoing) -> EmailMessage:
    mail = EmailMessage(policy=SMTP)
    mail["From"] = Address(settings.sender_name, addr_spec=settings.sender)
    mail["To"] = Address(message.recipient.name, addr_spec=message.address)
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = message_id(message.key, settings.sender)
    mail["X-Serviceframe-Key"] = message.key
    if message.issue_id is not None:
        mail["X-Serviceframe-Issue"] = str(message.issue_id)
    mail.set_content(message.body, charset="utf-8", cte="base64")
    return mail


class SmtpSender:
    """One SMTP connection, kept open for a batch of notifications."""

    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings
        self.server = Server.parse(settings.smtp, SMTP_SCHEMES) if settings.smtp else None
        self.connection: smtplib.SMTP | None = None
        self.last_used = 0.0

    def send(self, mail: EmailMessage, to: str) -> Receipt | Failure:
        if self.server is None:
            return Failure("this e-mail channel has no `smtp` server to send with", True)
        try:
            connection = self._connection()
            connection.send_message(mail, self.settings.sender, [to])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = exc.recipients.get(to, (0, b""))
            return self._refused(code, text, to)
        except smtplib.SMTPAuthenticationError as exc:
            self.close()  # a wrong password is fixed in the environment; then it goes out
            return Failure(
                f"the SMTP server refused the login: {exc.smtp_code} {_text(exc.smtp_error)}"
            )
        except smtplib.SMTPResponseException as exc:
            self.close()
            return self._refused(exc.smtp_code, exc.smtp_error, to)
        except (OSError, smtplib.SMTPException, ValueError) as exc:  # down, cut off, timed out
            self.close()
            return Failure(
                f"SMTP {self.server.host}:{self.server.port}: {type(exc).__name__}: {exc}"
            )
        self.last_used = time.monotonic()
        return Receipt(str(mail["Message-ID"]))

    @staticmethod
    def _refused(code: int, text: bytes | str, to: str) -> Failure:
        # 5xx is final (no such mailbox, refused as spam); 4xx asks to try again later.
        return Failure(f"SMTP {code} for {to}: {_text(text)}", permanent=500 <= code < 600)

    def _connection(self) -> smtplib.SMTP:
        assert self.server is not None
        if self.connection is not None and time.monotonic() - self.last_used > IDLE_CHECK_SECONDS:
            try:
                self.connection.noop()
            except (OSError, smtplib.SMTPException):
                self.close()  # the server closed an idle connection: open a new one
        if self.connection is None:
            self.connection = self._connect()
        return self.connection

    def _connect(self) -> smtplib.SMTP:
        assert self.server is not None
        s, host, port = self.settings, self.server.host, self.server.port
        if self.server.scheme == "smtps":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=s.timeout, context=tls_context(s)
            )
        else:
            connection = smtplib.SMTP(host, port, timeout=s.timeout)
            if self.server.scheme == "smtp+starttls":
                connection.starttls(context=tls_context(s))
        try:
            if s.username:
                connection.login(s.username, s.password)
        except BaseException:
            connection.close()
            raise
        return connection

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                self.connection.close()
            self.connection = None


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
