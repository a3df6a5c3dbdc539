"""serviceframe-sms: SMS as a channel (短信渠道).

Outbound, notifications go out through an SMSC over SMPP (long Chinese texts in UCS-2 parts
joined by the phone) or through Aliyun or Tencent Cloud SMS (signed HTTPS calls, no vendor
SDK). Inbound, replies come from the SMSC (deliver_sm, fetched by ``channel poll``), from
Tencent's reply pull (``channel poll``) or from a provider's callback handed to
``serviceframe.services.inbound.receive`` (see :func:`serviceframe_sms.replies.callback`).
A digit reply to a satisfaction invitation rates exactly the issue and round the invitation
was for (its reply code ``编号A3F9`` tells several apart); other text from a registered
contact becomes an issue; unknown numbers go to the quarantine.

```toml
[[channels]]
name = "sms"
kind = "sms"
settings = { provider = "smpp", smpp = "smpp://10.1.2.3:2775", system_id = "jzqyfw",
             source_addr = "106900001234" }
secrets = { password = "JZ_SMPP_PASSWORD" }
```
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from serviceframe.hookspecs import hookimpl

if TYPE_CHECKING:
    from serviceframe.channels import ChannelKind, Placeholder

__all__ = ["SmsChannel", "SmsSettings", "callback", "serviceframe_channel_kinds"]

# Every serviceframe command loads the plugins, few send SMS: the channel and the reply
# parsing are imported on first use, from the hooks or as ``serviceframe_sms.NAME``.
_LAZY = {
    "SmsChannel": "serviceframe_sms.channel",
    "with_reply_code": "serviceframe_sms.channel",
    "SmsSettings": "serviceframe_sms.settings",
    "callback": "serviceframe_sms.replies",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'serviceframe_sms' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)


@hookimpl
def serviceframe_channel_kinds(app: Any) -> Iterator["ChannelKind"]:
    from serviceframe.channels import ChannelKind

    from serviceframe_sms.channel import SmsChannel
    from serviceframe_sms.settings import SmsSettings

    yield ChannelKind(
        "sms",
        SmsChannel,
        SmsSettings,
        "短信:SMPP、阿里云或腾讯云发送通知,收取回复、数字评价和新问题",
        address=("phone",),
        inbound=True,
        secrets=("password", "access_key_secret"),
    )


@hookimpl
def serviceframe_notification_placeholders(app: Any) -> Iterator["Placeholder"]:
    from serviceframe.channels import Placeholder

    from serviceframe_sms.replies import reply_code

    yield Placeholder(
        "reply_code",
        lambda message: reply_code(message.key),
        ("resolved",),
        "短信评价回复编号:满意度邀请的编号,企业回复“1 编号”即评价这一问题的这一轮办理",
    )
