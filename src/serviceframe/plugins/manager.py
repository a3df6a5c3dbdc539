"""One plugin manager per app: built-ins, entry points (each loaded on its own), extras.

No plugin can take the host down. A plugin that cannot be loaded (it raises, or even calls
``sys.exit``, at import; it implements a hook that does not exist; its name is taken) is
recorded with its name and the reason, shown by ``serviceframe plugins list``, and never
called; it can be disabled by name (``--disable-plugin NAME`` or
``SERVICEFRAME_DISABLE_PLUGINS=a,b``). Every call of a plugin's hook is isolated: an exception,
a result its hookspec's check refuses (:mod:`serviceframe.plugins.contract`), or no answer
within the time limit is reported naming the plugin and the hook, and the host goes on as if
that plugin had returned nothing, so the next implementation (in the end the built-in one)
decides.

The built-in plugins are serviceframe's own code: they are called directly, and what they raise
is the caller's answer (a router that finds nobody in charge says so, in its own words).
"""

import contextvars
import difflib
import functools
import importlib
import logging
import queue
import threading
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from typing import Any, Generic, Protocol, TypeVar

import pluggy
from attrs import frozen

from serviceframe import hookspecs
from serviceframe.plugins.contract import Refused, ResultCheck, check_of, shown

log = logging.getLogger("serviceframe.plugins")


class Named(Protocol):
    @property
    def name(self) -> str: ...


R = TypeVar("R", bound=Named)

ENTRY_POINT_GROUP = "serviceframe"

# Built-in behaviour is registered like any plugin (pytest's ``default_plugins``).
BUILTIN_PLUGINS = (
    "serviceframe.plugins.sources",
    "serviceframe.plugins.classifier",
    "serviceframe.plugins.router",
    "serviceframe.plugins.file_channel",
    "serviceframe.plugins.channel_sources",
    "serviceframe.plugins.scoring",
    "serviceframe.plugins.hotline12345",
    "serviceframe.plugins.reports",
)

DEFAULT_TIMEOUT = 10.0  # seconds a plugin's hook may take before the host stops waiting


@frozen
class PluginInfo:
    name: str
    status: str  # "ok", "broken", "disabled"
    origin: str  # "builtin", "entry point <dist> <version>", "registered"
    hooks: tuple[str, ...] = ()
    error: str = ""


@frozen
class PluginFailure:
    """A plugin that raised, answered out of contract or too late; the host went on without it."""

    plugin: str
    hook: str
    error: str

    def __str__(self) -> str:
        return f"plugin {self.plugin!r} failed in {self.hook}: {self.error}"


class Failures(list[PluginFailure]):
    """The failures of one app, oldest first; ``shown`` counts those the CLI printed."""

    shown = 0


class PluginHost:
    def __init__(self, disabled: Iterable[str] = (), timeout: float = DEFAULT_TIMEOUT) -> None:
        self.pm = pluggy.PluginManager("serviceframe")
        self.pm.add_hookspecs(hookspecs)
        self.disabled = frozenset(disabled)
        self.timeout = timeout
        self.infos: list[PluginInfo] = []
        self.failures = Failures()
        self.builtins: set[str] = set()
        self._checks: dict[str, ResultCheck | None] = {}
        self._silenced: set[tuple[str, str]] = set()  # (plugin, hook) that timed out
        self._workers = threading.local()  # a _Worker per calling thread

    @property
    def hook(self) -> Any:
        """``host.hook.serviceframe_x(**kwargs)`` as pluggy's ``pm.hook``, each plugin isolated:
        a ``firstresult`` hook gives the first accepted result, any other the list of them."""
        return _IsolatedHooks(self)

    # --- loading -------------------------------------------------------------------------

    def register(self, plugin: object, name: str, origin: str) -> PluginInfo:
        """Register a plugin, or record why it cannot be (then it is never called)."""
        if name in self.disabled:
            self.pm.set_blocked(name)
            return self._add(PluginInfo(name, "disabled", origin))
        taken = next((p for p in self.infos if p.name == name and p.status == "ok"), None)
        if taken is not None:
            return self._broken(name, origin, f"the name {name!r} is taken by {taken.origin}")
        try:
            self.pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            return self._broken(name, origin, f"{type(exc).__name__}: {exc}")
        problems = self._contract_problems(plugin)
        if problems:
            self.pm.unregister(plugin)
            return self._broken(name, origin, "; ".join(problems))
        if origin == "builtin":
            self.builtins.add(name)
        return self._add(PluginInfo(name, "ok", origin, self._hooks_of(plugin)))

    def load_builtins(self) -> None:
        for module_name in BUILTIN_PLUGINS:
            self.register(importlib.import_module(module_name), module_name, "builtin")

    def load_entry_points(self) -> None:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            # The metadata read once: `.name` and `.version` would each parse the file again.
            meta = ep.dist.metadata if ep.dist else None
            dist = f"{meta['Name']} {meta['Version']}" if meta else "?"
            origin = f"entry point ({dist})"
            if ep.name in self.disabled:
                self._add(PluginInfo(ep.name, "disabled", origin))
                continue
            try:
                plugin = ep.load()
            # Even SystemExit or KeyboardInterrupt raised by a plugin's import: the host, and
            # `plugins list` that shows the culprit, must outlive it.
            except BaseException as exc:
                self._broken(ep.name, origin, f"{type(exc).__name__} at import: {exc}")
                continue
            self.register(plugin, ep.name, origin)

    def _contract_problems(self, plugin: object) -> list[str]:
        """pluggy's ``check_pending`` for one plugin: every hook it implements must exist
        (unless marked ``optionalhook``); wrappers are not part of serviceframe's contract."""
        known = [n for n in vars(self.pm.hook) if self._spec(n) is not None]
        problems = []
        for caller in self.pm.get_hookcallers(plugin) or []:
            for impl in caller.get_hookimpls():
                if impl.plugin is not plugin:
                    continue
                if impl.wrapper or impl.hookwrapper:
                    problems.append(
                        f"{caller.name} is a hook wrapper, which serviceframe does not call"
                    )
                elif not caller.has_spec() and not impl.optionalhook:
                    near = difflib.get_close_matches(caller.name, known, n=1)
                    hint = f" (did you mean {near[0]}?)" if near else ""
                    problems.append(f"{caller.name} matches no serviceframe hook{hint}")
        return problems

    def _add(self, info: PluginInfo) -> PluginInfo:
        self.infos.append(info)
        return info

    def _broken(self, name: str, origin: str, error: str) -> PluginInfo:
        log.warning("plugin %r cannot be used: %s", name, error)
        return self._add(PluginInfo(name, "broken", origin, error=error))

    # --- calling -------------------------------------------------------------------------

    def implemented(self, hook_name: str) -> bool:
        """Whether any plugin implements the hook."""
        return bool(getattr(self.pm.hook, hook_name).get_hookimpls())

    def first(self, hook_name: str, **kwargs: Any) -> Any:
        """Call a ``firstresult`` hook: the first accepted non-``None`` result, or ``None``.

        Implementations run in pluggy's order (the built-in ones, ``trylast``, at the end); a
        plugin that fails is reported and the next one decides.
        """
        for _plugin, result in self._results(hook_name, kwargs):
            if result is not None:
                return result
        return None

    def collect(self, hook_name: str, record_type: type[R], **kwargs: Any) -> "Registry[R]":
        """Call a registration hook, whose implementations yield (or return a list of) typed
        frozen records with a ``name`` (conda's registration hooks).

        Each plugin is called on its own, isolated like any hook (its generator runs inside
        the isolated call): one that raises, or yields anything but a ``record_type``, is
        recorded as a failure naming it and all its records are left out. A name registered
        by two plugins is taken by neither: using it is an error that names both, so that one
        can be disabled.
        """
        registry: Registry[R] = Registry(record_type.__name__)
        for plugin, records in self._results(hook_name, kwargs, gather=True):
            odd = [r for r in records or () if not isinstance(r, record_type)]
            if odd:
                self.report(
                    plugin,
                    hook_name,
                    f"yielded {type(odd[0]).__name__} {odd[0]!r:.60}, "
                    f"expected {record_type.__name__}; its records are left out",
                )
                continue
            for record in records or ():
                registry.add(record, plugin)
        return registry

    def each(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every implementation: (plugin name, result) for each accepted non-``None``
        result, in pluggy's order."""
        return [(p, r) for p, r in self._results(hook_name, kwargs) if r is not None]

    def notify(self, hook_name: str, **kwargs: Any) -> list[PluginFailure]:
        """Call every implementation of a notification hook; returns the failures."""
        before = len(self.failures)
        for _ in self._results(hook_name, kwargs):
            pass
        return self.failures[before:]

    def report(self, plugin: str, hook_name: str, error: str) -> None:
        """Record a plugin's failure found by the caller (a name another plugin claimed)."""
        failure = PluginFailure(plugin, hook_name, error)
        log.warning("%s; carrying on without it", failure)
        self.failures.append(failure)

    def _results(
        self, hook_name: str, kwargs: dict[str, Any], gather: bool = False
    ) -> Iterable[tuple[str, Any]]:
        caller = getattr(self.pm.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):  # pluggy's own calling order
            args = {name: kwargs[name] for name in impl.argnames}
            function = _gathering(impl.function) if gather else impl.function
            if impl.plugin_name in self.builtins:
                yield impl.plugin_name, function(**args)
                continue
            if (impl.plugin_name, hook_name) in self._silenced:
                continue
            answered, outcome = self._worker().call(function, args, self.timeout)
            if not answered:
                self._silenced.add((impl.plugin_name, hook_name))
                self.report(
                    impl.plugin_name,
                    hook_name,
                    f"no answer within {self.timeout:g} s; not called again by this process",
                )
            elif isinstance(outcome, _Raised):
                self.report(impl.plugin_name, hook_name, outcome.describe())
            elif outcome is not None and (check := self._check(hook_name)) is not None:
                try:
                    yield impl.plugin_name, check.accept(outcome, kwargs)
                except Exception as exc:  # Refused, or a result too odd for the check itself
                    reason = (
                        str(exc) if isinstance(exc, Refused) else f"{type(exc).__name__}: {exc}"
                    )
                    self.report(impl.plugin_name, hook_name, f"returned {shown(outcome)}: {reason}")
            else:
                yield impl.plugin_name, outcome

    def _spec(self, hook_name: str) -> Any:
        caller = getattr(self.pm.hook, hook_name, None)
        return caller.spec if caller is not None else None

    def _check(self, hook_name: str) -> ResultCheck | None:
        if hook_name not in self._checks:
            spec = self._spec(hook_name)
            self._checks[hook_name] = check_of(spec.function) if spec is not None else None
        return self._checks[hook_name]

    def list(self) -> list[PluginInfo]:
        return sorted(self.infos, key=lambda p: (p.origin != "builtin", p.name))

    def _worker(self) -> "_Worker":
        worker: _Worker | None = getattr(self._workers, "worker", None)
        if worker is None:
            worker = self._workers.worker = _Worker()
        return worker

    def close(self) -> None:
        self._worker().stop()

    @staticmethod
    def _hooks_of(plugin: object) -> tuple[str, ...]:
        return tuple(sorted(n for n in dir(plugin) if n.startswith("serviceframe_")))


class Registry(Generic[R]):
    """What plugins registered through one registration hook, by name."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.records: dict[str, R] = {}
        self.owners: dict[str, list[str]] = {}

    def add(self, record: R, plugin: str) -> None:
        name = record.name
        self.owners.setdefault(name, []).append(plugin)
        self.records.setdefault(name, record)

    @property
    def conflicts(self) -> dict[str, list[str]]:
        """Names registered by more than one plugin, with the plugins."""
        return {n: p for n, p in self.owners.items() if len(p) > 1}

    def names(self) -> list[str]:
        """The usable names, sorted."""
        return sorted(n for n in self.records if n not in self.conflicts)

    def get(self, name: str) -> R:
        """The record of ``name``; a clear error when none or two plugins registered it."""
        from serviceframe.errors import ServiceFrameError, ValidationError

        if name in self.conflicts:
            plugins = " and ".join(repr(p) for p in self.conflicts[name])
            raise ServiceFrameError(
                f"{self.what} {name!r} is registered by both plugins {plugins}; "
                "disable one with --disable-plugin NAME"
            )
        if name not in self.records:
            known = ", ".join(self.names()) or "none"
            raise ValidationError(self.what, name, f"no such {self.what}; known: {known}")
        return self.records[name]

    def owner(self, name: str) -> str:
        return self.owners[name][0]


class _IsolatedHooks:
    def __init__(self, host: PluginHost) -> None:
        self._host = host

    def __getattr__(self, hook_name: str) -> Callable[..., Any]:
        spec = self._host._spec(hook_name)
        if spec is None:
            raise AttributeError(f"no serviceframe hook {hook_name!r}")
        if spec.opts.get("firstresult"):
            return lambda **kwargs: self._host.first(hook_name, **kwargs)
        return lambda **kwargs: [r for _p, r in self._host.each(hook_name, **kwargs)]


def _gathering(function: Callable[..., Any]) -> Callable[..., Any]:
    """The records a registration hook yields, gathered where the hook runs (isolated);
    anything that is not records is handed on as it is, for the result check to refuse."""

    def gather(**kwargs: Any) -> Any:
        result = function(**kwargs)
        return (
            list(result) if isinstance(result, Iterable) and not isinstance(result, str) else result
        )

    return gather


@frozen
class _Raised:
    error: BaseException

    def describe(self) -> str:
        return f"{type(self.error).__name__}: {self.error}"


class _Worker:
    """Runs plugins' hooks on a thread of their own, so that one that never returns can be
    left behind: the caller waits at most the time limit, then goes on without it.

    Each calling thread has one (a web server's request threads do not wait for each other);
    its daemon thread serves the calls one after another (a thread per call would cost four
    times as much), ends when idle, and is abandoned for a fresh one when a plugin is stuck.
    A plugin that calls back into the app (a hook inside a hook) is served by a worker of the
    plugin's own thread, so nothing waits for itself.
    """

    IDLE = 30.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()

    def call(
        self, function: Callable[..., Any], args: dict[str, Any], timeout: float
    ) -> tuple[bool, Any]:
        """(True, the result or a ``_Raised``), or (False, None) when the time ran out."""
        job = _Job(contextvars.copy_context(), function, args)
        with self._lock:
            if self._thread is None:
                self._jobs = queue.SimpleQueue()
                self._thread = threading.Thread(
                    target=self._serve, args=(self._jobs,), name="serviceframe-plugin", daemon=True
                )
                self._thread.start()
            jobs = self._jobs
            jobs.put(job)
        if job.done.wait(timeout):
            return True, job.outcome
        with self._lock:  # stuck in the plugin: the next call gets a fresh thread
            if self._jobs is jobs:
                self._thread = None
        return False, None

    def _serve(self, jobs: "queue.SimpleQueue[_Job | None]") -> None:
        me = threading.current_thread()
        while True:
            try:
                job = jobs.get(timeout=self.IDLE)
            except queue.Empty:
                with self._lock:
                    if jobs.empty():
                        if self._thread is me:
                            self._thread = None
                        return
                continue
            if job is None:
                return
            job.outcome = _run(job.context, job.function, job.args)
            job.done.set()

    def stop(self) -> None:
        with self._lock:
            if self._thread is not None:
                self._jobs.put(None)
                self._thread = None


class _Job:
    def __init__(
        self, context: contextvars.Context, function: Callable[..., Any], args: dict[str, Any]
    ) -> None:
        self.context = context
        self.function = function
        self.args = args
        self.done = threading.Event()
        self.outcome: Any = None


def _run(context: contextvars.Context, function: Callable[..., Any], args: dict[str, Any]) -> Any:
    try:
        return context.run(function, **args)
    # Whatever a plugin raises stays in the plugin, sys.exit() included.
    except BaseException as exc:
        return _Raised(exc)


@functools.cache
def plugin_commands(disabled: tuple[str, ...] = ()) -> dict[str, str]:
    """The CLI commands the installed plugins add (``serviceframe_cli_commands``): name ->
    ``"module:attribute"``. Asked before any app exists, through a host of the entry points
    alone, each plugin isolated like in every hook; the first plugin to give a name keeps it."""
    import os

    env = os.environ.get("SERVICEFRAME_DISABLE_PLUGINS", "")
    host = PluginHost({*disabled, *(n.strip() for n in env.split(",") if n.strip())})
    host.load_entry_points()
    try:
        return commands_of(host)
    finally:
        host.close()


def commands_of(host: PluginHost) -> dict[str, str]:
    """What ``serviceframe_cli_commands`` gives through ``host``, the first plugin's name kept."""
    found: dict[str, str] = {}
    for _plugin, commands in host.each("serviceframe_cli_commands"):
        for name, path in commands.items():
            found.setdefault(name, path)
    return found
