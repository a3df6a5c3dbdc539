"""Installed, the plugin is found by the host through the ``serviceframe`` entry-point group."""

from importlib.metadata import PackageNotFoundError, distribution, entry_points

import pytest
from serviceframe.app import Settings, bootstrap

import serviceframe_eventlog


@pytest.fixture(autouse=True)
def _installed() -> None:
    try:
        distribution("serviceframe-eventlog")
    except PackageNotFoundError:
        pytest.skip(
            "serviceframe-eventlog is not installed (pip install -e plugins/serviceframe-eventlog)"
        )


def test_entry_point_is_discoverable():
    found = {ep.name: ep for ep in entry_points(group="serviceframe")}
    assert "eventlog" in found
    assert found["eventlog"].load() is serviceframe_eventlog


def test_host_loads_it_and_can_disable_it(sf_db_url: str):
    app = bootstrap(Settings(acting_as="office", db_url=sf_db_url))
    info = {p.name: p for p in app.plugins.list()}["eventlog"]
    assert info.status == "ok"
    assert info.origin.startswith("entry point (serviceframe-eventlog ")
    assert set(info.hooks) == {"serviceframe_issue_event", "serviceframe_registry_event"}

    app = bootstrap(Settings(acting_as="office", db_url=sf_db_url, disabled_plugins=("eventlog",)))
    assert {p.name: p.status for p in app.plugins.list()}["eventlog"] == "disabled"
