"""One plugin manager per app: built-ins, entry points (each loaded on its own), extras.

A broken entry point never takes the host down: it is recorded with its name and the error,
shown by ``serviceframe plugins list``, and can be disabled by name
(``--disable-plugin NAME`` or ``SERVICEFRAME_DISABLE_PLUGINS=a,b``).
"""

import importlib
import logging
from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Any

import pluggy
from attrs import frozen

from serviceframe import hookspecs

log = logging.getLogger("serviceframe.plugins")

ENTRY_POINT_GROUP = "serviceframe"

# Built-in behaviour is registered like any plugin (pytest's ``default_plugins``).
BUILTIN_PLUGINS = (
    "serviceframe.plugins.sources",
    "serviceframe.plugins.classifier",
    "serviceframe.plugins.router",
    "serviceframe.plugins.file_channel",
    "serviceframe.plugins.channel_sources",
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

    def collect(self, hook_name: str, **kwargs: Any) -> list[tuple[str, list[Any]]]:
        """Call a registration hook (one that yields records) on each plugin on its own:
        ``(plugin name, its records)`` per plugin, so the caller can name who gave what. A
        plugin that raises is recorded as a failure and gives nothing."""
        found = []
        caller = getattr(self.pm.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):
            try:
                result = impl.function(**{name: kwargs[name] for name in impl.argnames})
                records = list(result or ())
            except Exception as exc:
                failure = PluginFailure(impl.plugin_name, hook_name, f"{type(exc).__name__}: {exc}")
                log.warning("%s", failure)
                self.failures.append(failure)
                continue
            found.append((impl.plugin_name, records))
        return found

    def list(self) -> list[PluginInfo]:
        return sorted(self.infos, key=lambda p: (p.origin != "builtin", p.name))

    @staticmethod
    def _hooks_of(plugin: object) -> tuple[str, ...]:
        return tuple(sorted(n for n in dir(plugin) if n.startswith("serviceframe_")))
