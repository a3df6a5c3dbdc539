"""The e-mail channel: SMTP out, IMAP or a Maildir in (imported when the channel is used)."""

from collections.abc import Iterator

from serviceframe.channels import (
    Channel,
    ChannelContext,
    Failure,
    Outgoing,
    Parsed,
    RawMessage,
    Receipt,
)

from serviceframe_email.mailboxes import ImapFolder, Maildir
from serviceframe_email.outbound import SmtpSender, compose
from serviceframe_email.parse import parse_mail
from serviceframe_email.settings import EmailSettings

__all__ = ["EmailChannel", "EmailSettings"]


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
