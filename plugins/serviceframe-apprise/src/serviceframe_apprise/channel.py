"""The channel of serviceframe_apprise (imported when the channel is used, not with the plugin)."""

from urllib.parse import quote

from attrs import field, frozen
from serviceframe.channels import (
    SECRET,
    Channel,
    ChannelContext,
    Failure,
    Outgoing,
    Receipt,
)
from serviceframe.errors import ValidationError

__all__ = ["AppriseChannel", "AppriseSettings"]


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
