"""serviceframe-portal: the enterprise portal (企业服务门户), a channel of its own.

Kept light: the host imports this module to ask its hooks (``serviceframe --help`` too); the
web application is imported only when it runs.
"""

from collections.abc import Iterator
from typing import Any

from serviceframe.channels import ChannelKind
from serviceframe.hookspecs import hookimpl


@hookimpl
def serviceframe_cli_commands() -> dict[str, str]:
    return {"serve": "serviceframe_portal.cli:serve"}


@hookimpl
def serviceframe_channel_kinds(app: Any) -> Iterator[ChannelKind]:
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
