"""A channel in 30 lines: each notification is POSTed as JSON to a county's OA system."""

import json
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from attrs import frozen

from serviceframe.channels import Channel, ChannelKind, Failure, Receipt
from serviceframe.hookspecs import hookimpl


@frozen
class WebhookSettings:
    url: str
    timeout: float = 10.0


class Webhook(Channel):
    def __init__(self, context):
        self.settings = context.settings

    def deliver(self, message):
        data = dict(key=message.key, to=message.address, subject=message.subject, text=message.body)
        headers = {"Content-Type": "application/json", "Idempotency-Key": message.key}
        request = Request(self.settings.url, json.dumps(data, ensure_ascii=False).encode(), headers)
        try:
            with urlopen(request, timeout=self.settings.timeout) as response:
                return Receipt(response.headers.get("X-Request-Id", ""))
        except HTTPError as exc:  # 4xx: refused for good; 5xx: try again later
            return Failure(f"HTTP {exc.code} {exc.reason}", permanent=exc.code < 500)
        except OSError as exc:  # down, unreachable, timed out: try again later
            return Failure(str(exc))


@hookimpl
def serviceframe_channel_kinds(app):
    yield ChannelKind("webhook", Webhook, WebhookSettings, "POST JSON to a URL", address=("*",))
