"""Hostile plugins, and a run of the mechanism through every hook, for plugin tests.

serviceframe's own suite (``tests/test_hostile_plugins.py``) registers a plugin for each way
a plugin can misbehave in each hook — it raises, calls ``sys.exit``, raises
``KeyboardInterrupt``, sleeps past the time limit, returns the wrong type or a value out of
range — and checks that :func:`exercise` gives the same results as without them, with every
misbehaviour reported naming the plugin and the hook. Plugins that cannot be loaded at all (a
misspelled hook, a hook wrapper, a signature the hook does not have) come from
:func:`unloadable`.

A plugin author runs their own plugin through the same course::

    from serviceframe.testing.hostile import contract_failures

    def test_my_plugin_keeps_the_contract(sf_db_url):
        assert contract_failures(sf_db_url, my_plugin) == []

The hooks are read from :mod:`serviceframe.hookspecs`, and the values out of range from each
hook's result check (:mod:`serviceframe.plugins.contract`): a hook added later is covered by
the same suite, once :func:`exercise` has a step that makes the host call it.
"""

import inspect
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from serviceframe import hookspecs
from serviceframe.app import App, Settings, bootstrap
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import ServiceFrameError
from serviceframe.hookspecs import hookimpl
from serviceframe.plugins.contract import IGNORED, check_of
from serviceframe.plugins.manager import PluginFailure
from serviceframe.testing.clock import Clock
from serviceframe.testing.sample import (
    JIEFANG,
    SMALL_ENTERPRISES,
    SMALL_ORG,
    XIUWU,
    credit_code,
    write_csv,
    write_org,
)

SLEEP = 30.0  # how long a sleeping plugin sleeps: far past any time limit a test sets


def hook_names() -> list[str]:
    """Every hook of :mod:`serviceframe.hookspecs`, in source order."""
    specs = [
        fn
        for _name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, "serviceframe_spec")
    ]
    return [fn.__name__ for fn in sorted(specs, key=lambda fn: inspect.getsourcelines(fn)[1])]


def misbehaviours(hook: str) -> list[tuple[str, Any]]:
    """(name, how) for each way to misbehave in ``hook``: raise, exit, interrupt, sleep, and
    for a hook whose result is used, a wrong type and every value its check refuses."""
    found: list[tuple[str, Any]] = [
        ("raises", RuntimeError(f"敌意插件 hostile plugin in {hook}")),
        ("refuses", ServiceFrameError(f"hostile plugin refuses in {hook}")),
        ("exits", SystemExit(3)),
        ("interrupts", KeyboardInterrupt()),
        ("sleeps", SLEEP),
    ]
    check = check_of(getattr(hookspecs, hook))
    if check is not None and check is not IGNORED:
        found.append(("wrong-type", _Returns(object())))
        found += [(f"out-of-range-{i}", _Returns(v)) for i, v in enumerate(check.refuses())]
    return found


class _Returns:
    def __init__(self, value: Any) -> None:
        self.value = value


def hostile(hook: str, name: str, how: Any) -> object:
    """A plugin named ``hostile-<hook>-<name>`` that misbehaves in ``hook`` as ``how`` says:
    an exception to raise, seconds to sleep, or ``_Returns(value)``."""

    def misbehave(self: object) -> Any:
        if isinstance(how, BaseException):
            raise how
        if isinstance(how, _Returns):
            return how.value
        time.sleep(how)
        return None

    plugin: Any = type(f"Hostile_{name}", (), {hook: hookimpl(misbehave)})()
    plugin.__name__ = f"hostile-{hook}-{name}"
    return plugin


def hostile_plugins(hook: str) -> list[object]:
    """One hostile plugin for each misbehaviour in ``hook``."""
    return [hostile(hook, name, how) for name, how in misbehaviours(hook)]


def unloadable() -> dict[str, object]:
    """Plugins the host must refuse to load, by what is wrong with them (each is listed as
    broken by ``plugins list`` and never called)."""

    class Misspelled:
        @hookimpl
        def serviceframe_isue_event(self, app: Any, issue: Any, event: Any) -> None:
            """A typo: pluggy's ``check_pending`` would refuse it too."""

    class Wrapper:
        @hookimpl(wrapper=True)
        def serviceframe_classify(self, app: Any, title: str, body: str) -> Any:
            return (yield)

    class ExtraArgument:
        @hookimpl
        def serviceframe_route(self, app: Any, issue: Any, facts: Any, budget: int) -> Any:
            return None

    return {"misspelled": Misspelled(), "wrapper": Wrapper(), "extra-argument": ExtraArgument()}


class OptionalTypo:
    """Implements a hook that may not exist, and says so (``optionalhook=True``): loads."""

    @hookimpl(optionalhook=True)
    def serviceframe_future_hook(self, app: Any) -> None:
        return None


# --- the course --------------------------------------------------------------------------------

START = datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI)  # a Monday after the National Day holiday

# The same power problem raised in two counties, and a financing problem.
DRAFTS = (
    (
        credit_code(JIEFANG, 1),
        "self_declared",
        "停电影响生产",
        "园区线路检修,连续三天停电,生产线停工。",
    ),
    (credit_code(XIUWU, 4), "hotline", "频繁停电", "厂区供电不稳,每天停电两次,窑炉无法运转。"),
    (credit_code(JIEFANG, 1), "portal", "贷款难", "银行抽贷,流动资金紧张,希望协调融资担保。"),
)

# Clusters of two enterprises in two counties, so three issues are enough to form one.
ESCALATION = "\n[escalation]\ncluster_min_enterprises = 2\ncluster_min_counties = 2\n"


def exercise(app: App) -> dict[str, Any]:
    """Run the mechanism once through every hook, on an empty migrated database.

    Loads a small organisation and its enterprises, designates a key enterprise and assigns a
    contact leader (registry events), files three issues from three sources (sources,
    classify, issue events), accepts them without a category (classify, route, topic),
    dispatches them, lets every deadline pass and sweeps (escalated), and finds the
    widespread topic (cluster events), assesses the units (scoring profiles) and lists the
    report kinds. The clock is the app's, set to a fixed day.

    Returns what a person would check, the same whatever plugins were there as long as the
    built-in ones decided: each issue's status, category, leader and topic, the supervision
    orders, and the clusters.
    """
    from serviceframe.domain.enterprise import KeyLevel
    from serviceframe.plugins.manager import commands_of
    from serviceframe.reports.kinds import report_kinds
    from serviceframe.services.assessment import assess
    from serviceframe.services.assignments import assign
    from serviceframe.services.enterprises import designate, import_enterprises
    from serviceframe.services.issues import IssueDraft, accept, dispatch, file_issues
    from serviceframe.services.organisation import load_organisation
    from serviceframe.services.routing import escalate, explain_route
    from serviceframe.services.trends import detect, list_clusters

    clock = Clock(START)
    app.clock = clock
    with tempfile.TemporaryDirectory() as tmp:
        load_organisation(app, write_org(Path(tmp) / "organisation.toml", SMALL_ORG + ESCALATION))
        import_enterprises(app, write_csv(Path(tmp) / "enterprises.csv", SMALL_ENTERPRISES))
    ordinary = credit_code(JIEFANG, 3)
    designate(app, ordinary, KeyLevel.COUNTY)
    assign(app, ordinary, "jf-mayor")
    drafts = [IssueDraft(e, source=s, title=t, body=b) for e, s, t, b in DRAFTS]
    report = file_issues(app, drafts)
    assert not report.errors, report.errors
    for issue_id, (enterprise, *_rest) in zip(report.filed, DRAFTS, strict=True):
        accept(app, issue_id)
        dispatch(app, issue_id, "jz-edsb" if enterprise.startswith(f"91{XIUWU}") else "jf-edsb")
    clock.now = START + timedelta(days=30)
    orders = escalate(app)
    clusters = detect(app)
    ranked = assess(app, "2026-10")  # scoring profiles
    kinds = report_kinds(app).names()  # report kinds
    commands = commands_of(app.plugins)  # CLI commands
    summary: dict[str, Any] = {
        "issues": {},
        "orders": len(orders),
        "clusters": [],
        "assessed": len(ranked.units),
        "reports": sorted(kinds),
        "commands": sorted(commands),
    }
    for issue_id in report.filed:
        view = explain_route(app, issue_id)
        assert view.current is not None
        with app.uow() as uow:
            issue = uow.issues.get(issue_id)
        assert issue is not None
        summary["issues"][issue_id] = (
            issue.status.value,
            int(issue.category),
            view.current.rung.value,
            view.current.official,
            view.current.topic,
        )
    summary["clusters"] = sorted((c["topic"], c["status"]) for c in list_clusters(app)) or [
        ("none", "")
    ]
    assert clusters, "the course should form a cluster"
    return summary


def course_app(url: str, plugins: tuple[object, ...] = (), timeout: float = 0.5) -> App:
    """An app for :func:`exercise`: no entry points, a short time limit for plugins."""
    settings = Settings(
        acting_as="office",
        db_url=url,
        actor="test",
        load_entry_points=False,
        plugin_timeout=timeout,
    )
    return bootstrap(settings, plugins=plugins)


def contract_failures(url: str, *plugins: object) -> list[PluginFailure]:
    """Run :func:`exercise` with ``plugins`` on the empty migrated database at ``url``; the
    failures the host reported (none when every plugin keeps its hooks' contracts), and a
    plugin the host refused to load counts as one."""
    app = course_app(url, plugins, timeout=10.0)
    try:
        refused = [
            PluginFailure(p.name, "(loading)", p.error)
            for p in app.plugins.list()
            if p.status == "broken"
        ]
        exercise(app)
        return refused + list(app.plugins.failures)
    finally:
        app.close()
