"""serviceframe-apprise: any chat app apprise reaches, as an outbound channel (即时通讯通知).

A county writes an apprise URL (https://github.com/caronc/apprise/wiki) in its organisation
file, and WeCom (企业微信), DingTalk (钉钉), Feishu/Lark (飞书), a JSON webhook or e-mail need
no code. ``{address}`` in the URL is the recipient's address of the kinds the channel is
configured with (a chat id, a phone number); without it the URL is one group chat that
reaches everyone. ``{key}`` is the notification's delivery key (for a receiver that can
recognise a copy sent again, e.g. as a header: ``json://host/path?+X-Serviceframe-Key={key}``).

```toml
[[channels]]
name = "wecom"
kind = "apprise"
address = ["wecom"]                       # officials' addresses.wecom fill {address}
secrets = { url = "JZ_WECOM_URL" }        # the URL carries the app's secret
# JZ_WECOM_URL="wecomapp://corpid/corpsecret/agentid/{address}" in the environment
```

apprise says only whether a notification got through, not why not: every failure is tried
again with back-off, and after the last attempt waits for a person; the reason apprise logged
is recorded with each attempt.
"""

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from attrs import field, frozen
from serviceframe.channels import (
    SECRET,
    Channel,
    ChannelContext,
    ChannelKind,
    Failure,
    Outgoing,
    Receipt,
)
from serviceframe.errors import ValidationError
from serviceframe.hookspecs import hookimpl

__all__ = ["AppriseChannel", "AppriseSettings", "serviceframe_channel_kinds"]


def _known(_inst: object, _attribute: object, value: str) -> None:
    if value == SECRET:  # read from the environment when the channel is used
        return
    import apprise

    sample = value.replace("{address}", "sample").replace("{key}", "0" * 32)
    if apprise.Apprise.instantiate(sample) is None:
        raise ValidationError(
            "url", value.split("://", 1)[0] + "://…", "not a URL apprise can notify"
        )


@frozen
class AppriseSettings:
    url: str = field(validator=_known)  # an apprise URL, with {address} and {key} if wanted
    title: bool = True  # send the subject as the title (some apps show only the body)


class AppriseChannel(Channel):
    def __init__(self, context: ChannelContext) -> None:
        self.settings: AppriseSettings = context.settings

    def deliver(self, message: Outgoing) -> Receipt | Failure:
        import apprise

        url = self.settings.url.replace("{address}", quote(message.address, safe="@+"))
        url = url.replace("{key}", message.key)
        notifier = apprise.Apprise()
        if not notifier.add(url):
            return Failure("apprise cannot use this channel's URL (check the scheme)", True)
        with apprise.LogCapture(level=apprise.logging.WARNING) as log:
            result = notifier.notify(
                body=message.body, title=message.subject if self.settings.title else ""
            )
        if result:
            return Receipt(url.split("://", 1)[0])
        said = [line for line in log.getvalue().splitlines() if line.strip()]
        return Failure(said[-1].split(" - ", 2)[-1] if said else "apprise could not notify")


@hookimpl
def serviceframe_channel_kinds(app: Any) -> Iterator[ChannelKind]:
    yield ChannelKind(
        "apprise",
        AppriseChannel,
        AppriseSettings,
        "企业微信、钉钉、飞书等(apprise URL)",
        address=("*",),
        secrets=("url",),
    )
