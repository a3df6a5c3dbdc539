"""Plugins cannot take intake down: the hostile-plugin suite.

For every hook of ``hookspecs.py``, plugins that raise, exit, interrupt, sleep past the time
limit, return the wrong type or a value out of range run beside the built-in ones through the
whole mechanism (``serviceframe.testing.hostile.exercise``): the results are those of a run
without them, and every misbehaviour is reported naming the plugin and the hook. Plugins that
cannot be loaded (an exit at import, a misspelled hook, a taken name) are listed as broken.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from serviceframe import hookspecs
from serviceframe.app import Settings, bootstrap
from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.domain.categories import Category
from serviceframe.domain.taxonomy import Classification
from serviceframe.errors import ConfigError, ServiceFrameError
from serviceframe.hookspecs import hookimpl
from serviceframe.plugins.contract import IGNORED, check_of
from serviceframe.plugins.manager import PluginHost
from serviceframe.services.issues import IssueDraft, accept, file_issue, get_issue
from serviceframe.testing.hostile import (
    OptionalTypo,
    contract_failures,
    course_app,
    exercise,
    hook_names,
    hostile_plugins,
    unloadable,
)
from serviceframe.testing.sample import JIEFANG, credit_code

HOOKS = hook_names()
_clean: dict[str, object] = {}


def clean_summary(url: str) -> object:
    """What the course gives with the built-in plugins alone (the same on every database)."""
    if "summary" not in _clean:
        app = course_app(url)
        try:
            _clean["summary"] = exercise(app)
            assert app.plugins.failures == []
        finally:
            app.close()
    return _clean["summary"]


@pytest.fixture
def clean(sf_make_db):
    from serviceframe.testing.databases import migrated

    return clean_summary(sf_make_db("migrated", migrated))


def test_every_hook_declares_how_its_result_is_checked():
    missing = [h for h in HOOKS if check_of(getattr(hookspecs, h)) is None]
    assert missing == [], (
        f"hookspecs without a result check: {missing}; put @returns(contract.…) under @hookspec"
    )


def test_the_course_calls_every_hook(sf_db_url):
    called: set[str] = set()

    def recorder(name):
        def record(self):
            called.add(name)

        return hookimpl(record)

    plugin = type("Recorder", (), {name: recorder(name) for name in HOOKS})()
    app = course_app(sf_db_url, (plugin,))
    try:
        exercise(app)
    finally:
        app.close()
    assert sorted(set(HOOKS) - called) == [], (
        "hooks the course never calls: add a step to serviceframe.testing.hostile.exercise"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_hostile_plugins_in_a_hook_change_nothing_and_are_each_reported(hook, sf_db_url, clean):
    plugins = hostile_plugins(hook)
    app = course_app(sf_db_url, tuple(plugins), timeout=0.3)
    try:
        assert exercise(app) == clean
        failures = app.plugins.failures
    finally:
        app.close()
    names = {p.__name__ for p in plugins}  # type: ignore[attr-defined]
    assert {f.plugin for f in failures} == names
    assert {f.hook for f in failures} == {hook}
    by_plugin = {f.plugin: f.error for f in failures}
    assert "SystemExit: 3" in by_plugin[f"hostile-{hook}-exits"]
    assert "KeyboardInterrupt" in by_plugin[f"hostile-{hook}-interrupts"]
    assert "敌意插件" in by_plugin[f"hostile-{hook}-raises"]
    assert "no answer within 0.3 s" in by_plugin[f"hostile-{hook}-sleeps"]
    # A plugin that did not answer in time is not waited for again.
    assert sum(f.plugin == f"hostile-{hook}-sleeps" for f in failures) == 1
    if check_of(getattr(hookspecs, hook)) is not IGNORED:
        assert by_plugin[f"hostile-{hook}-wrong-type"].startswith("returned <object object")
        assert by_plugin[f"hostile-{hook}-out-of-range-0"].startswith("returned ")


def test_every_hostile_plugin_at_once(sf_db_url, clean):
    plugins = [p for hook in HOOKS for p in hostile_plugins(hook)]
    app = course_app(sf_db_url, tuple(plugins), timeout=0.3)
    try:
        assert exercise(app) == clean
        reported = {f.plugin for f in app.plugins.failures}
    finally:
        app.close()
    assert reported == {p.__name__ for p in plugins}  # type: ignore[attr-defined]


class CountyClassifier:
    """A well-behaved county plugin: its own keyword, and a source of its own."""

    @hookimpl
    def serviceframe_classify(self, app, title, body):
        if "停电" in body:
            return Classification(Category.PRODUCTION_FACTORS, 5.0, ("停电",), None)
        return None

    @hookimpl
    def serviceframe_sources(self, app):
        return ["wecom"]


def test_a_plugin_that_keeps_the_contract_causes_no_failure(sf_db_url):
    assert contract_failures(sf_db_url, CountyClassifier()) == []


def test_contract_failures_names_what_a_plugin_author_broke(sf_db_url):
    (plugin,) = hostile_plugins_named("serviceframe_topic", "out-of-range-2")
    failures = contract_failures(sf_db_url, plugin)
    assert failures and {f.hook for f in failures} == {"serviceframe_topic"}
    assert "1-100 printable characters" in failures[0].error


def hostile_plugins_named(hook, name):
    return [p for p in hostile_plugins(hook) if p.__name__ == f"hostile-{hook}-{name}"]  # type: ignore[attr-defined]


def test_a_classification_given_as_a_bare_number_is_taken_as_its_category(sf_small_app):
    class NumberClassifier:
        @hookimpl
        def serviceframe_classify(self, app, title, body):
            return Classification(3, 1.0, ("贷款",), None)  # type: ignore[arg-type]

    url = sf_small_app.engine.url.render_as_string(hide_password=False)
    app = course_app(url, (NumberClassifier(),))
    try:
        filed = file_issue(app, IssueDraft(credit_code(JIEFANG, 1), "hotline", "资金紧张"))
        assert filed.issue.suggested_category is Category.FINANCING
        assert app.plugins.failures == []
    finally:
        app.close()


# --- plugins that cannot be loaded -------------------------------------------------------------


def test_plugins_that_break_the_contract_are_listed_as_broken_and_never_called(sf_db_url):
    bad = unloadable()
    for name, plugin in bad.items():
        plugin.__name__ = name  # type: ignore[attr-defined]
    app = course_app(sf_db_url, (*bad.values(), OptionalTypo()))
    try:
        found = {p.name: p for p in app.plugins.list()}
        assert exercise(app) is not None
        assert app.plugins.failures == []
    finally:
        app.close()
    assert {n: found[n].status for n in bad} == dict.fromkeys(bad, "broken")
    assert found["misspelled"].error == (
        "serviceframe_isue_event matches no serviceframe hook "
        "(did you mean serviceframe_issue_event?)"
    )
    assert "hook wrapper" in found["wrapper"].error
    assert "budget" in found["extra-argument"].error
    assert found["OptionalTypo-3"].status == "ok"


def test_a_second_registered_plugin_with_a_taken_name_is_broken(sf_db_url):
    first, second = CountyClassifier(), CountyClassifier()
    first.__name__ = second.__name__ = "county"  # type: ignore[attr-defined]
    app = course_app(sf_db_url, (first, second))
    try:
        county = [p for p in app.plugins.list() if p.name == "county"]
        assert sorted(p.status for p in county) == ["broken", "ok"]
        assert "taken" in next(p.error for p in county if p.status == "broken")
    finally:
        app.close()


def test_a_source_claimed_twice_is_kept_by_the_first_and_reported(sf_small_app):
    class Claims:
        def __init__(self, names):
            self.names = names

        @hookimpl
        def serviceframe_sources(self, app):
            return self.names

    one, two = Claims(["wecom"]), Claims(["wecom", "hotline"])
    url = sf_small_app.engine.url.render_as_string(hide_password=False)
    app = course_app(url, (one, two))
    try:
        filed = file_issue(app, IssueDraft(credit_code(JIEFANG, 1), "wecom", "企业微信反映用电难"))
        assert filed.issue.source == "wecom"
        (failure,) = app.plugins.failures
    finally:
        app.close()
    assert failure.plugin == "Claims-1" and failure.hook == "serviceframe_sources"
    assert "'wecom' is claimed by 'Claims-0'" in failure.error
    assert "'hotline' is claimed by 'serviceframe.plugins.sources'" in failure.error


# --- entry points that exit at import, in real processes ---------------------------------------


def install(site: Path, modules: dict[str, str]) -> dict[str, str]:
    """Install ``modules`` as the entry points of a distribution in ``site``, as pip would;
    returns the environment for a process that sees them."""
    site.mkdir(parents=True)
    for name, source in modules.items():
        (site / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    dist = site / "sf_hostile-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: sf-hostile\nVersion: 1.0\n", encoding="utf-8"
    )
    entries = "".join(f"{name} = {name}\n" for name in modules)
    (dist / "entry_points.txt").write_text(f"[serviceframe]\n{entries}", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "SERVICEFRAME_DISABLE_PLUGINS"}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    return env


HOSTILE_AT_IMPORT = {
    "sf_exits": "import sys\nsys.exit(3)\n",
    "sf_interrupts": "raise KeyboardInterrupt\n",
    "sf_typo": """
        from serviceframe.hookspecs import hookimpl

        @hookimpl
        def serviceframe_isue_event(app, issue, event):
            pass
        """,
    "sf_good": """
        from serviceframe.hookspecs import hookimpl

        @hookimpl
        def serviceframe_sources(app):
            return ["wecom"]
        """,
}


def serviceframe(env, *args):
    return subprocess.run(
        [sys.executable, "-c", "from serviceframe.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_a_plugin_that_exits_at_import_is_listed_as_broken_by_a_real_process(
    tmp_path, sf_small_app
):
    env = install(tmp_path / "site", HOSTILE_AT_IMPORT)
    url = sf_small_app.engine.url.render_as_string(hide_password=False)
    listed = serviceframe(env, "--db", url, "plugins", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    found = {p["name"]: p for p in json.loads(listed.stdout)}
    assert found["sf_exits"]["status"] == "broken"
    assert found["sf_exits"]["error"] == "SystemExit at import: 3"
    assert found["sf_interrupts"]["status"] == "broken"
    assert found["sf_interrupts"]["error"].startswith("KeyboardInterrupt at import")
    assert found["sf_typo"]["status"] == "broken"
    assert "did you mean serviceframe_issue_event?" in found["sf_typo"]["error"]
    assert found["sf_good"]["status"] == "ok"
    # And the other commands keep working, the good plugin's source included.
    filed = serviceframe(
        env, "--db", url, "issue", "file", "--enterprise", credit_code(JIEFANG, 1),
        "--source", "wecom", "--body", "企业微信反映:园区停电",
    )  # fmt: skip
    assert filed.returncode == 0, filed.stderr
    assert "warning: plugin 'sf_exits' is broken (SystemExit at import: 3)" in filed.stderr


# --- refusals reach the user ---------------------------------------------------------------------


def test_a_built_in_refusal_is_raised_in_its_own_words():
    class Router:
        @hookimpl(trylast=True)
        def serviceframe_route(self, app, issue, facts, organisation):
            raise ServiceFrameError("温县: no vice mayor is in charge of category 3")

    host = PluginHost()
    host.register(Router(), "builtin-router", "builtin")
    with pytest.raises(ServiceFrameError, match="no vice mayor is in charge of category 3"):
        host.first("serviceframe_route", app=None, issue=None, facts=None, organisation=None)
    assert host.failures == []


def test_when_no_router_decides_the_user_reads_why(sf_small_app):
    """The built-in router switched off and the county's failing: the command fails, and the
    plugin's own reason is on stderr beside it, not only in a log."""

    class CountyRouter:
        @hookimpl
        def serviceframe_route(self, app, issue, facts, organisation):
            raise RuntimeError("县路由服务不可用 county routing service down")

    url = sf_small_app.engine.url.render_as_string(hide_password=False)
    app = bootstrap(
        Settings(
            acting_as="office",
            db_url=url,
            actor="test",
            load_entry_points=False,
            disabled_plugins=("serviceframe.plugins.router",),
        ),
        plugins=(CountyRouter(),),
    )
    try:
        issue = file_issue(app, IssueDraft(credit_code(JIEFANG, 1), "hotline", "贷款难")).issue
        result = CliRunner().invoke(
            cli, ["issue", "accept", str(issue.id), "--category", "3"], obj=CliContext(app=app)
        )
        assert result.exit_code == 1
        assert f"no router decided issue {issue.id}" in result.stderr
        assert (
            "warning: plugin 'CountyRouter-0' failed in serviceframe_route: "
            "RuntimeError: 县路由服务不可用"
        ) in result.stderr
        assert get_issue(app, issue.id).issue.status.value == "received"  # nothing stored
    finally:
        app.close()


def test_the_cli_shows_a_plugin_failure_once_with_its_count(sf_small_app, tmp_path):
    class Broken:
        @hookimpl
        def serviceframe_classify(self, app, title, body):
            raise RuntimeError("县分类服务不可用")

    rows = "".join(f"{credit_code(JIEFANG, 1)},停电第{i}天,园区停电\n" for i in range(5))
    calls = tmp_path / "calls.csv"
    calls.write_text("统一社会信用代码,标题,内容\n" + rows, encoding="utf-8")
    url = sf_small_app.engine.url.render_as_string(hide_password=False)
    app = course_app(url, (Broken(),))
    try:
        result = CliRunner().invoke(
            cli, ["issue", "import", str(calls), "--source", "hotline"], obj=CliContext(app=app)
        )
    finally:
        app.close()
    assert result.exit_code == 0, result.output
    assert result.stderr.count("县分类服务不可用") == 1
    assert "(共 5 次)" in result.stderr


def test_a_bad_time_limit_in_the_environment_is_named(monkeypatch):
    monkeypatch.setenv("SERVICEFRAME_PLUGIN_TIMEOUT", "ten")
    with pytest.raises(ConfigError, match="SERVICEFRAME_PLUGIN_TIMEOUT='ten'"):
        bootstrap(Settings(acting_as="office", db_url="unused.db", load_entry_points=False))


def test_a_plugin_may_call_back_into_the_app(sf_small_app):
    """A hook that reads the store and asks another hook (run on the plugin's thread) works."""
    seen = []

    class Curious:
        @hookimpl
        def serviceframe_issue_event(self, app, issue, event):
            seen.append((get_issue(app, issue.id).issue.title, app.plugins.first(
                "serviceframe_topic", app=app, issue=issue
            )))  # fmt: skip

    url = sf_small_app.engine.url.render_as_string(hide_password=False)
    app = course_app(url, (Curious(),), timeout=5)
    try:
        issue = file_issue(
            app, IssueDraft(credit_code(JIEFANG, 1), "hotline", title="停电", body="园区停电")
        ).issue
        accept(app, issue.id)
        assert app.plugins.failures == []
    finally:
        app.close()
    assert seen[0] == ("停电", None) and seen[-1][1] == "1:电力供应"
