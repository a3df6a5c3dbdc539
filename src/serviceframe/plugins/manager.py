"""One plugin manager per app: built-ins, entry points (each loaded on its own), extras.

A broken entry point never takes the host down: it is recorded with its name and the error,
shown by ``serviceframe plugins list``, and can be disabled by name
(``--disable-plugin NAME`` or ``SERVICEFRAME_DISABLE_PLUGINS=a,b``).
"""

import importlib
import logging
from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Any, Generic, Protocol, TypeVar

import pluggy
from attrs import frozen

from serviceframe import hookspecs

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


@frozen
class PluginInfo:
    name: str
    status: str  # "ok", "broken", "disabled"
    origin: str  # "builtin", "entry point <dist> <version>", "registered"
    hooks: tuple[str, ...] = ()
    error: str = ""


@frozen
class PluginFailure:
    """A plugin that raised inside a notification hook; the change itself stands."""

    plugin: str
    hook: str
    error: str

    def __str__(self) -> str:
        return f"plugin {self.plugin!r} failed in {self.hook}: {self.error}"


class PluginHost:
    def __init__(self, disabled: Iterable[str] = ()) -> None:
        self.pm = pluggy.PluginManager("serviceframe")
        self.pm.add_hookspecs(hookspecs)
        self.disabled = frozenset(disabled)
        self.infos: list[PluginInfo] = []
        self.failures: list[PluginFailure] = []

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def register(self, plugin: object, name: str, origin: str) -> None:
        if name in self.disabled:
            self.pm.set_blocked(name)
            self.infos.append(PluginInfo(name, "disabled", origin))
            return
        taken = next((p for p in self.infos if p.name == name and p.status == "ok"), None)
        if taken is not None:
            raise ValueError(f"the name {name!r} is taken by the plugin from {taken.origin}")
        self.pm.register(plugin, name=name)
        self.infos.append(PluginInfo(name, "ok", origin, self._hooks_of(plugin)))

    def load_builtins(self) -> None:
        for module_name in BUILTIN_PLUGINS:
            self.register(importlib.import_module(module_name), module_name, "builtin")

    def load_entry_points(self) -> None:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            dist = f"{ep.dist.name} {ep.dist.version}" if ep.dist else "?"
            origin = f"entry point ({dist})"
            if ep.name in self.disabled:
                self.infos.append(PluginInfo(ep.name, "disabled", origin))
                continue
            try:
                plugin = ep.load()
                self.register(plugin, ep.name, origin)
            except Exception as exc:  # a broken plugin is reported, never fatal
                error = f"{type(exc).__name__}: {exc}"
                log.warning("plugin %r could not be loaded: %s", ep.name, error)
                self.infos.append(PluginInfo(ep.name, "broken", origin, error=error))

    def notify(self, hook_name: str, **kwargs: Any) -> list[PluginFailure]:
        """Call every implementation of a notification hook, isolating each plugin's errors."""
        failures = []
        caller = getattr(self.pm.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):  # pluggy's own calling order
            try:
                impl.function(**{name: kwargs[name] for name in impl.argnames})
            except Exception as exc:
                failure = PluginFailure(impl.plugin_name, hook_name, f"{type(exc).__name__}: {exc}")
                log.warning("%s", failure)
                failures.append(failure)
        self.failures.extend(failures)
        return failures

    def first(self, hook_name: str, **kwargs: Any) -> Any:
        """Call a ``firstresult`` hook, skipping a plugin that raises.

        The first non-``None`` result wins, as pluggy would give it; a plugin that raises is
        recorded as a failure naming it and the next implementation (in the end the built-in
        one) decides instead, so one broken county plugin never stops intake or routing.
        """
        caller = getattr(self.pm.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):
            try:
                result = impl.function(**{name: kwargs[name] for name in impl.argnames})
            except Exception as exc:
                failure = PluginFailure(impl.plugin_name, hook_name, f"{type(exc).__name__}: {exc}")
                log.warning("%s; the next implementation decides", failure)
                self.failures.append(failure)
                continue
            if result is not None:
                return result
        return None

    def collect(self, hook_name: str, record_type: type[R], **kwargs: Any) -> "Registry[R]":
        """Call a registration hook, whose implementations yield (or return a list of) typed
        frozen records with a ``name`` (conda's registration hooks).

        Each plugin is called on its own: one that raises, or yields anything but a
        ``record_type``, is recorded as a failure naming it and all its records are left
        out. A name registered by two plugins is taken by neither: using it is an error that
        names both, so that one can be disabled.
        """
        caller = getattr(self.pm.hook, hook_name)
        registry: Registry[R] = Registry(record_type.__name__)
        for impl in reversed(caller.get_hookimpls()):
            try:
                result = impl.function(**{name: kwargs[name] for name in impl.argnames})
                records = list(result or ())
                for record in records:
                    if not isinstance(record, record_type):
                        raise TypeError(
                            f"yielded {type(record).__name__} {record!r:.60}, "
                            f"expected {record_type.__name__}"
                        )
            except Exception as exc:
                failure = PluginFailure(impl.plugin_name, hook_name, f"{type(exc).__name__}: {exc}")
                log.warning("%s; its records are left out", failure)
                self.failures.append(failure)
                continue
            for record in records:
                registry.add(record, impl.plugin_name)
        return registry

    def list(self) -> list[PluginInfo]:
        return sorted(self.infos, key=lambda p: (p.origin != "builtin", p.name))

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
