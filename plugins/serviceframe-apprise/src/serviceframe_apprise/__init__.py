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
from typing import TYPE_CHECKING, Any

from serviceframe.hookspecs import hookimpl

if TYPE_CHECKING:
    from serviceframe.channels import ChannelKind

__all__ = ["serviceframe_channel_kinds"]


@hookimpl
def serviceframe_channel_kinds(app: Any) -> Iterator["ChannelKind"]:
    # Imported here: every serviceframe command loads the plugins, few use this channel.
    from serviceframe.channels import ChannelKind

    from serviceframe_apprise.channel import AppriseChannel, AppriseSettings

    yield ChannelKind(
        "apprise",
        AppriseChannel,
        AppriseSettings,
        "企业微信、钉钉、飞书等(apprise URL)",
        address=("*",),
        secrets=("url",),
    )
