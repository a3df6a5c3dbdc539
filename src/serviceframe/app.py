"""``bootstrap()``: the one place where settings, plugins and the store are wired together."""

import getpass
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from attrs import define, field

from serviceframe.plugins.manager import DEFAULT_TIMEOUT, PluginFailure, PluginHost

if TYPE_CHECKING:  # the store is imported lazily: `serviceframe --help` must stay fast
    from sqlalchemy import Engine

    from serviceframe.domain.principal import Principal
    from serviceframe.store.uow import UnitOfWork


def default_actor() -> str:
    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    return os.environ.get("SERVICEFRAME_ACTOR") or f"cli:{user}"


def _actor_setattr(inst: object, attribute: object, value: str) -> str:
    _actor(inst, attribute, value)
    return value


def plugin_timeout_from_env() -> float:
    text = os.environ.get("SERVICEFRAME_PLUGIN_TIMEOUT", "").strip()
    try:
        seconds = float(text) if text else DEFAULT_TIMEOUT
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        from serviceframe.errors import ConfigError

        raise ConfigError(f"SERVICEFRAME_PLUGIN_TIMEOUT={text!r}: give a number of seconds > 0")
    return seconds


def _actor(_inst: object, _attribute: object, value: str) -> None:
    from serviceframe.domain.principal import check_actor

    check_actor(value)


@define
class Settings:
    db_url: str | None = None  # None: SERVICEFRAME_DB, else ./serviceframe.db
    # The person at the keyboard, recorded on events beside the principal: one short line.
    actor: str = field(factory=default_actor, validator=_actor, on_setattr=_actor_setattr)
    # Who acts (docs/identities.md): an office, unit, official, enterprise code, ``auditor``
    # or ``system``. None: every service refuses to run (an embedder must say who acts);
    # the CLI passes --as / SERVICEFRAME_AS, default ``office`` (the root office).
    acting_as: str | None = None
    disabled_plugins: tuple[str, ...] = ()
    load_entry_points: bool = True
    check_schema: bool = True  # refuse a database that is not at the current migration
    # Seconds a plugin's hook may take before the host goes on without it.
    plugin_timeout: float = field(factory=lambda: plugin_timeout_from_env())


@define
class App:
    settings: Settings
    plugins: PluginHost
    _engine: "Engine | None" = None
    _schema_checked: bool = False
    _cache: dict[str, Any] = field(factory=dict)
    _principal: "Principal | None" = None
    # What "now" is; tests and `escalate --now` replace it. Always time-zone aware.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @property
    def engine(self) -> "Engine":
        if self._engine is None:
            from serviceframe.store.database import make_engine

            self._engine = make_engine(self.settings.db_url)
        return self._engine

    def uow(self) -> "UnitOfWork":
        """A new unit of work; use it as ``with app.uow() as uow: ...; uow.commit()``."""
        from serviceframe.store.uow import UnitOfWork

        self.uow_checked()
        return UnitOfWork(self.engine, self.principal, before_commit=self._write_notifications)

    @property
    def principal(self) -> "Principal":
        """Who acts, resolved once from ``settings.acting_as`` against the stored organisation
        and registry; :class:`UnknownPrincipal` when nobody is named or the name is unknown."""
        if self._principal is None:
            from serviceframe.errors import UnknownPrincipal

            if self.settings.acting_as is None:
                raise UnknownPrincipal(
                    "no acting principal: give Settings(acting_as=...) (the CLI: --as or "
                    "SERVICEFRAME_AS); see docs/identities.md"
                )
            self._principal = self._resolve(self.settings.acting_as)
        return self._principal

    def _resolve(self, text: str) -> "Principal":
        from serviceframe.domain.principal import Principal, PrincipalKind, resolve_principal
        from serviceframe.store.uow import UnitOfWork

        self.uow_checked()
        # Reading who is who needs a unit of work of its own, before anyone is known.
        reader = Principal(PrincipalKind.SYSTEM, "system")
        with UnitOfWork(self.engine, reader) as uow:
            org = uow.org.load() if uow.org.is_loaded() else None
            return resolve_principal(text, org, lambda c: uow.enterprises.get(c) is not None)

    def uow_checked(self) -> None:
        if self.settings.check_schema and not self._schema_checked:
            from serviceframe.store.database import require_current_schema

            require_current_schema(self.engine)
            self._schema_checked = True

    def acting_as(self, text: str) -> "App":
        """The same app (plugins, engine, clock) acting as another principal: what a portal
        does per request after authenticating its user."""
        other = App(self.settings, self.plugins, self.engine, self._schema_checked, self._cache)
        other.clock = self.clock
        other._principal = self._resolve(text)
        return other

    def _write_notifications(self, uow: "UnitOfWork") -> None:
        from serviceframe.services.notifications import write_notifications

        write_notifications(self, uow)

    def cached(self, key: str, factory: "Callable[[], Any]") -> Any:
        """A value derived from stored settings (taxonomy, calendar), built once per app."""
        if key not in self._cache:
            self._cache[key] = factory()
        return self._cache[key]

    def forget_cached(self, *keys: str) -> None:
        """Drop derived values after the settings they came from changed (``org load``);
        with ``keys``, only those."""
        if not keys:
            self._cache.clear()
        for key in keys:
            self._cache.pop(key, None)

    def publish_issue_events(self, items: "Iterable[tuple[Any, Any]]") -> list[PluginFailure]:
        """Hand (issue, event) pairs to plugins after their unit of work committed.
        ``items`` is not read at all when no plugin listens."""
        failures: list[PluginFailure] = []
        if not self.plugins.implemented("serviceframe_issue_event"):
            return failures
        for issue, event in items:
            failures += self.plugins.notify(
                "serviceframe_issue_event", app=self, issue=issue, event=event
            )
        return failures

    def now(self) -> datetime:
        return self.clock()

    def publish_registry(self, events: Iterable[dict[str, Any]]) -> list[PluginFailure]:
        failures = []
        for event in events:
            failures += self.plugins.notify("serviceframe_registry_event", app=self, event=event)
        return failures

    def close(self) -> None:
        self.plugins.close()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def bootstrap(settings: Settings | None = None, plugins: Iterable[object] = ()) -> App:
    """Build an app: built-in plugins, then entry-point plugins, then ``plugins`` given here.

    Plugins given here (objects or modules with hook implementations) are how tests and
    embedding applications add behaviour without installing a package.
    """
    settings = settings or Settings()
    disabled = set(settings.disabled_plugins)
    env_disabled = os.environ.get("SERVICEFRAME_DISABLE_PLUGINS", "")
    disabled |= {name.strip() for name in env_disabled.split(",") if name.strip()}
    host = PluginHost(disabled, settings.plugin_timeout)
    host.load_builtins()
    if settings.load_entry_points:
        host.load_entry_points()
    for i, plugin in enumerate(plugins):
        name = getattr(plugin, "__name__", None) or f"{type(plugin).__name__}-{i}"
        host.register(plugin, name, "registered")
    return App(settings=settings, plugins=host)
