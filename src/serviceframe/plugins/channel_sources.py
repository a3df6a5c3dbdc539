"""Each configured channel is an issue source: what it brings in is filed under its name."""

from typing import Any

from serviceframe.errors import ServiceFrameError
from serviceframe.hookspecs import hookimpl


@hookimpl
def serviceframe_sources(app: Any) -> list[str]:
    from serviceframe.services.channels import stored_channels

    try:
        with app.uow() as uow:
            if not uow.org.is_loaded():
                return []
            channels, _ = stored_channels(uow)
    except ServiceFrameError:  # no schema yet (a fresh database): no channels either
        return []
    from serviceframe.plugins.sources import BUILTIN_SOURCES

    # A channel filing under a built-in source (the portal's channel as `portal`) adds nothing.
    return sorted({c.source or c.name for c in channels} - set(BUILTIN_SOURCES))
