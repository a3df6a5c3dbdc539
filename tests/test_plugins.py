"""The plugin host: a broken or failing plugin is named, never fatal, and can be disabled."""

import importlib
import json
import sys
import textwrap

import pytest
from click.testing import CliRunner

from serviceframe.app import Settings, bootstrap
from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.domain.enterprise import KeyLevel
from serviceframe.hookspecs import hookimpl
from serviceframe.services.enterprises import designate, get_enterprise
from serviceframe.testing.fixtures import make_app
from serviceframe.testing.sample import JIEFANG, credit_code

ORDINARY = credit_code(JIEFANG, 3)


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """Two installed plugins, as pip would leave them: one works, one raises on import."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sf_test_good_plugin.py").write_text(
        textwrap.dedent(
            """
            from serviceframe.hookspecs import hookimpl

            @hookimpl
            def serviceframe_sources(app):
                return ["wecom"]
            """
        ),
        encoding="utf-8",
    )
    (site / "sf_test_broken_plugin.py").write_text(
        'raise RuntimeError("县短信网关未配置 SMS gateway not configured")\n', encoding="utf-8"
    )
    dist = site / "sf_test_plugins-1.2.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: sf-test-plugins\nVersion: 1.2\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        "[serviceframe]\ngood = sf_test_good_plugin\nbroken = sf_test_broken_plugin\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    monkeypatch.delenv("SERVICEFRAME_DISABLE_PLUGINS", raising=False)
    yield
    for name in ("sf_test_good_plugin", "sf_test_broken_plugin"):
        sys.modules.pop(name, None)


def infos(app):
    return {p.name: p for p in app.plugins.list()}


def test_a_broken_entry_point_is_listed_and_the_others_load(installed):
    app = bootstrap(Settings(acting_as="office", db_url="unused.db"))
    found = infos(app)
    broken = found["broken"]
    assert broken.status == "broken"
    assert "RuntimeError" in broken.error
    assert "县短信网关未配置" in broken.error
    assert broken.origin == "entry point (sf-test-plugins 1.2)"
    assert found["good"].status == "ok"
    assert found["good"].hooks == ("serviceframe_sources",)
    assert found["serviceframe.plugins.sources"].status == "ok"
    sources = [s for names in app.plugins.hook.serviceframe_sources(app=app) for s in names]
    assert "wecom" in sources and "hotline" in sources


def test_plugins_list_shows_the_broken_plugin(installed, sf_db_url):
    result = CliRunner().invoke(cli, ["--db", sf_db_url, "plugins", "list", "--json"])
    assert result.exit_code == 0, result.output
    listed = {p["name"]: p for p in json.loads(result.stdout)}
    assert listed["broken"]["status"] == "broken"
    assert "县短信网关未配置" in listed["broken"]["error"]
    assert listed["good"]["status"] == "ok"
    table = CliRunner().invoke(cli, ["--db", sf_db_url, "plugins", "list"])
    assert "broken" in table.stdout and "RuntimeError" in table.stdout


def test_a_broken_plugin_does_not_stop_other_commands(installed, sf_db_url):
    result = CliRunner().invoke(cli, ["--db", sf_db_url, "enterprise", "list"])
    assert result.exit_code == 0, result.output
    assert "0 enterprises" in result.stdout


def test_disable_plugin_option(installed, sf_db_url):
    result = CliRunner().invoke(
        cli, ["--db", sf_db_url, "--disable-plugin", "broken", "plugins", "list", "--json"]
    )
    assert result.exit_code == 0, result.output
    listed = {p["name"]: p for p in json.loads(result.stdout)}
    assert listed["broken"]["status"] == "disabled"
    assert listed["broken"]["error"] == ""
    assert listed["good"]["status"] == "ok"
    assert "sf_test_broken_plugin" not in sys.modules


def test_disable_plugins_environment_variable(installed, monkeypatch):
    monkeypatch.setenv("SERVICEFRAME_DISABLE_PLUGINS", "broken, good")
    found = infos(bootstrap(Settings(acting_as="office", db_url="unused.db")))
    assert found["broken"].status == "disabled"
    assert found["good"].status == "disabled"


class Boom:
    @hookimpl
    def serviceframe_registry_event(self, app, event):
        raise RuntimeError(f"cannot forward {event['kind']}")


class Recorder:
    def __init__(self):
        self.events = []

    @hookimpl
    def serviceframe_registry_event(self, app, event):
        self.events.append(event)


def url_of(app):
    return app.engine.url.render_as_string(hide_password=False)


def test_a_failing_plugin_is_reported_and_the_change_stands(sf_small_app):
    recorder = Recorder()
    app = make_app(url_of(sf_small_app), (Boom(), recorder))
    try:
        designate(app, ORDINARY, KeyLevel.COUNTY)
        assert get_enterprise(app, ORDINARY).key_level is KeyLevel.COUNTY
        (failure,) = app.plugins.failures
        assert failure.plugin == "Boom-0"
        assert failure.hook == "serviceframe_registry_event"
        assert "cannot forward key_level_changed" in failure.error
        assert "Boom-0" in str(failure)
        # The other plugin still heard of the change.
        assert [e["kind"] for e in recorder.events] == ["key_level_changed"]
        assert recorder.events[0]["subject"] == f"enterprise:{ORDINARY}"
    finally:
        app.close()


def test_the_cli_warns_about_a_failing_plugin(sf_small_app):
    app = make_app(url_of(sf_small_app), (Boom(),))
    try:
        result = CliRunner().invoke(
            cli, ["enterprise", "designate", ORDINARY, "--level", "city"], obj=CliContext(app=app)
        )
        assert result.exit_code == 0, result.output
        assert "warning: plugin 'Boom-0' failed in serviceframe_registry_event" in result.stderr
        assert get_enterprise(app, ORDINARY).key_level is KeyLevel.CITY
    finally:
        app.close()


def test_a_registered_plugin_can_be_disabled(sf_db_url):
    recorder = Recorder()
    app = bootstrap(
        Settings(
            acting_as="office",
            db_url=sf_db_url,
            load_entry_points=False,
            disabled_plugins=("Recorder-0",),
        ),
        plugins=[recorder],
    )
    assert infos(app)["Recorder-0"].status == "disabled"
    app.plugins.notify("serviceframe_registry_event", app=app, event={"kind": "x"})
    assert recorder.events == []


def test_two_apps_have_separate_plugin_managers(sf_db_url):
    recorder = Recorder()
    one = bootstrap(
        Settings(acting_as="office", db_url=sf_db_url, load_entry_points=False), plugins=[recorder]
    )
    two = bootstrap(Settings(acting_as="office", db_url=sf_db_url, load_entry_points=False))
    assert one.plugins is not two.plugins
    assert one.plugins.pm is not two.plugins.pm
    assert "Recorder-0" in infos(one)
    assert "Recorder-0" not in infos(two)
    two.publish_registry([{"kind": "x", "subject": "s", "actor": "a", "at": None, "data": {}}])
    assert recorder.events == []
    one.publish_registry([{"kind": "y", "subject": "s", "actor": "a", "at": None, "data": {}}])
    assert [e["kind"] for e in recorder.events] == ["y"]
    assert one.plugins.failures == [] and two.plugins.failures == []


def test_a_second_plugin_with_a_taken_name_is_broken_and_the_first_stays(tmp_path, monkeypatch):
    site = tmp_path / "site2"
    site.mkdir()
    for module in ("sf_test_first", "sf_test_second"):
        (site / f"{module}.py").write_text(
            "from serviceframe.hookspecs import hookimpl\n\n"
            f"@hookimpl\ndef serviceframe_sources(app):\n    return [{module!r}]\n",
            encoding="utf-8",
        )
    for dist_name, module in (("first", "sf_test_first"), ("second", "sf_test_second")):
        dist = site / f"sf_{dist_name}-1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: sf-{dist_name}\nVersion: 1.0\n", encoding="utf-8"
        )
        (dist / "entry_points.txt").write_text(
            f"[serviceframe]\nsms-gateway = {module}\n", encoding="utf-8"
        )
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    monkeypatch.delenv("SERVICEFRAME_DISABLE_PLUGINS", raising=False)
    try:
        app = bootstrap(Settings(acting_as="office", db_url="unused.db"))
        sms = [p for p in app.plugins.list() if p.name == "sms-gateway"]
        assert sorted(p.status for p in sms) == ["broken", "ok"]
        (broken,) = [p for p in sms if p.status == "broken"]
        assert "taken" in broken.error
        sources = [s for names in app.plugins.hook.serviceframe_sources(app=app) for s in names]
        assert sum(s.startswith("sf_test_") for s in sources) == 1
    finally:
        for name in ("sf_test_first", "sf_test_second"):
            sys.modules.pop(name, None)


def test_a_command_that_cannot_load_leaves_the_rest_of_the_cli_working(monkeypatch):
    from serviceframe import cli as cli_module

    monkeypatch.setitem(cli_module.COMMANDS, "broken-report", "serviceframe.no_such_module:report")
    runner = CliRunner()
    listing = runner.invoke(cli, ["--help"])
    assert listing.exit_code == 0
    assert "broken-report" in listing.output and "unavailable" in listing.output
    result = runner.invoke(cli, ["broken-report"])
    assert result.exit_code == 1
    assert "cannot load" in result.output and "no_such_module" in result.output
    assert "Traceback" not in result.output
