"""serviceframe-email: e-mail as a channel (电子邮件渠道).

Outbound, notifications go out over SMTP (plain, STARTTLS or SSL, with a login), Chinese
subject and body correctly encoded, the delivery key as the Message-ID. Inbound, mails are
fetched from an IMAP folder or a Maildir and read as Chinese mail really is (UTF-8 and the GB
family, HTML-only, attachments); the core maps each sender to a registered enterprise contact,
files new problems as issues, records replies and ratings (a reply ``1``/``2``/``3`` to a
satisfaction invitation), and quarantines the rest.

```toml
[[channels]]
name = "mail"
kind = "email"
settings = { sender = "qyfw@jiaozuo.example", sender_name = "焦作市企业发展服务局",
             smtp = "smtp+starttls://mail.jiaozuo.example:587", username = "qyfw",
             imap = "imaps://mail.jiaozuo.example:993" }
secrets = { password = "JZ_MAIL_PASSWORD" }
```
"""

from collections.abc import Iterator
from typing import Any

from serviceframe.channels import (
    Channel,
    ChannelContext,
    ChannelKind,
    Failure,
    Outgoing,
    Parsed,
    RawMessage,
    Receipt,
)
from serviceframe.hookspecs import hookimpl

from serviceframe_email.mailboxes import ImapFolder, Maildir
from serviceframe_email.outbound import SmtpSender, compose
from serviceframe_email.parse import parse_mail
from serviceframe_email.settings import EmailSettings

__all__ = ["EmailChannel", "EmailSettings", "serviceframe_channel_kinds"]


class EmailChannel(Channel):
    def __init__(self, context: ChannelContext) -> None:
        self.settings: EmailSettings = context.settings
        self.sender = SmtpSender(self.settings)
        self.mailbox: ImapFolder | Maildir | None = None

    def deliver(self, message: Outgoing) -> Receipt | Failure:
        return self.sender.send(compose(self.settings, message), message.address)

    def poll(self) -> Iterator[RawMessage]:
        if self.settings.imap:
            self.mailbox = ImapFolder(self.settings)
        elif self.settings.maildir:
            self.mailbox = Maildir(self.settings)
        else:
            raise ValueError("this e-mail channel has neither `imap` nor `maildir` to read from")
        return self.mailbox.fetch()

    def parse(self, raw: RawMessage) -> Parsed:
        where = (
            raw.meta.get("maildir")
            or f"imap:{raw.meta.get('folder', '')}/{raw.meta.get('uid', '')}"
        )
        return parse_mail(raw, self.settings.attachments_dir, where)

    def done(self, raw: RawMessage) -> None:
        if self.mailbox is not None:
            self.mailbox.done(raw)

    def close(self) -> None:
        self.sender.close()
        if self.mailbox is not None:
            self.mailbox.close()


@hookimpl
def serviceframe_channel_kinds(app: Any) -> Iterator[ChannelKind]:
    yield ChannelKind(
        "email",
        EmailChannel,
        EmailSettings,
        "电子邮件:SMTP 发送通知,IMAP 或 Maildir 收取问题、回复和评价",
        address=("email",),
        inbound=True,
        secrets=("password", "imap_password"),
    )
