"""serviceframe-portal: the enterprise portal (企业服务门户), a channel of its own.

Kept light: the host imports this module to ask its hooks (``serviceframe --help`` too); the
web application is imported only when it runs.
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from serviceframe.hookspecs import hookimpl

if TYPE_CHECKING:  # the channel model too is imported in the hooks that need it
    from serviceframe.channels import ChannelKind, Outgoing, Placeholder


@hookimpl
def serviceframe_cli_commands() -> dict[str, str]:
    return {"serve": "serviceframe_portal.cli:serve"}


@hookimpl
def serviceframe_channel_kinds(app: Any) -> Iterator["ChannelKind"]:
    from serviceframe.channels import ChannelKind

    from serviceframe_portal.channel import PortalChannel, PortalSettings

    yield ChannelKind(
        "portal",
        open=PortalChannel,
        settings=PortalSettings,
        description="企业服务门户 the enterprise portal: issues and replies filed on the web",
        address=("phone", "email"),
        inbound=True,
        outbound=False,
    )


@hookimpl
def serviceframe_notification_placeholders(app: Any) -> Iterator["Placeholder"]:
    """``{survey_url}`` for satisfaction invitations: the signed survey link of that issue and
    round, its nonce the notification's delivery key (stored when the link is used)."""

    from serviceframe.channels import Placeholder

    def survey_url(message: "Outgoing") -> str:
        from serviceframe.services import surveys

        if not surveys.portal_url() or message.issue_id is None or message.round is None:
            return ""
        expires = app.now() + surveys.VALID_FOR
        enterprise = message.recipient.enterprise or ""
        token = surveys.token_for(message.key, message.issue_id, message.round, enterprise, expires)
        return surveys.link(token)

    yield Placeholder(
        "survey_url",
        survey_url,
        kinds=("resolved",),
        description="满意度评价链接: the portal's signed survey link (SERVICEFRAME_PORTAL_URL)",
    )
