"""The portal against a real database: the small organisation with a file channel (the sign-in
codes and invitations are read back from the outbox, as a person reads their phone) and the
portal channel. serviceframe's fixtures come from its pytest plugin."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from serviceframe.app import App
from serviceframe.services.organisation import load_organisation
from serviceframe.testing.sample import with_channels, write_org

from portal_setup import SECRET, channels


@pytest.fixture
def portal_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SERVICEFRAME_SECRET", SECRET)
    monkeypatch.setenv("SERVICEFRAME_PORTAL_URL", "http://testserver")
    return "http://testserver"


@pytest.fixture
def app(sf_small_app: App, tmp_path: Path, portal_env: str) -> Iterator[App]:
    import serviceframe_portal

    sf_small_app.plugins.register(serviceframe_portal, "portal", "registered")
    text = with_channels(channels(tmp_path))
    load_organisation(sf_small_app, write_org(tmp_path / "organisation.toml", text))
    yield sf_small_app
