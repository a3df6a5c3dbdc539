"""The SMS channel: SMPP, Aliyun or Tencent Cloud (imported when the channel is used)."""

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from serviceframe.channels import (
    Answer,
    Channel,
    ChannelContext,
    Failure,
    Outgoing,
    Parsed,
    RawMessage,
    Receipt,
)
from serviceframe.domain.addresses import normalise

from serviceframe_sms.replies import parse, reply_code, tencent_replies
from serviceframe_sms.settings import SmsSettings

if TYPE_CHECKING:  # the transports (httpx, smpplib) are imported when a message is sent
    import httpx

    from serviceframe_sms.smpp import SmppLink


def with_reply_code(message: Outgoing) -> str:
    """The text to send: a satisfaction invitation carries its reply code, unless the template
    already placed it (``{reply_code}``)."""
    code = reply_code(message.key)
    if message.round is None or code in message.body:
        return message.body
    return f"{message.body}\n回复时请带编号{code},如“1 {code}”。"


class SmsChannel(Channel):
    def __init__(self, context: ChannelContext) -> None:
        self.settings: SmsSettings = context.settings
        self.context = context
        self._smpp: SmppLink | None = None
        self._http: httpx.Client | None = None

    def _client(self) -> "httpx.Client":
        if self._http is None:
            import httpx

            self._http = httpx.Client(timeout=self.settings.timeout)
        return self._http

    def deliver(self, message: Outgoing) -> Receipt | Failure:
        to = normalise("phone", message.address)
        if not to:
            return Failure(f"not a phone number: {message.address!r}", permanent=True)
        text = with_reply_code(message)
        provider = self.settings.provider
        if provider == "smpp":
            if self._smpp is None:
                from serviceframe_sms.smpp import SmppLink

                self._smpp = SmppLink(self.settings)
            return self._smpp.send(to, text)
        from serviceframe_sms.cloud import Aliyun, Tencent

        if provider == "aliyun":
            return Aliyun(self.settings, self._client()).send(to, text, message.key)
        return Tencent(self.settings, self._client()).send(to, text, message.key)

    def poll(self) -> Iterator[RawMessage]:
        provider = self.settings.provider
        if provider == "smpp":
            from serviceframe_sms.smpp import SmppLink

            link = SmppLink(self.settings, mode="transceiver")
            try:
                yield from list(link.receive())
            finally:
                link.close()
        elif provider == "tencent":
            from serviceframe_sms.cloud import Tencent

            yield from tencent_replies(Tencent(self.settings, self._client()).replies())
        else:
            raise ValueError(
                "Aliyun pushes replies to a callback: hand them to "
                "serviceframe.services.inbound.receive with serviceframe_sms.callback('aliyun', body)"
            )

    def parse(self, raw: RawMessage) -> Parsed:
        message = parse(raw)
        if isinstance(message, Answer) and message.in_reply_to is None and self.context.app:
            from serviceframe_sms.clarify import ask_which

            # The core quarantines a rating it cannot place; the sender is asked which.
            with contextlib.suppress(Exception):  # the question is a courtesy: never lose the reply
                ask_which(self.context.app, self.context.name, message.sender)
        return message

    def close(self) -> None:
        if self._smpp is not None:
            self._smpp.close()
            self._smpp = None
        if self._http is not None:
            self._http.close()
            self._http = None
