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
from typing import TYPE_CHECKING, Any

from serviceframe.hookspecs import hookimpl

if TYPE_CHECKING:
    from serviceframe.channels import ChannelKind

__all__ = ["serviceframe_channel_kinds"]


@hookimpl
def serviceframe_channel_kinds(app: Any) -> Iterator["ChannelKind"]:
    # Imported here: every serviceframe command loads the plugins, few send or read mail
    # (the channel brings smtplib, imaplib, the email package and an HTML parser).
    from serviceframe.channels import ChannelKind

    from serviceframe_email.channel import EmailChannel, EmailSettings

    yield ChannelKind(
        "email",
        EmailChannel,
        EmailSettings,
        "电子邮件:SMTP 发送通知,IMAP 或 Maildir 收取问题、回复和评价",
        address=("email",),
        inbound=True,
        secrets=("password", "imap_password"),
    )
