"""``bootstrap()``: the one place where settings, plugins and the store are wired together."""

import getpass
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from attrs import define, field

from serviceframe.plugins.manager import PluginFailure, PluginHost

if TYPE_CHECKING:  # the store is imported lazily: `serviceframe --help` must stay fast
    from sqlalchemy import Engine

    from serviceframe.store.uow import UnitOfWork


def default_actor() -> str:
    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    return os.environ.get("SERVICEFRAME_ACTOR") or f"cli:{user}"


@define
class Settings:
    db_url: str | None = None  # None: SERVICEFRAME_DB, else ./serviceframe.db
    actor: str = field(factory=default_actor)
    disabled_plugins: tuple[str, ...] = ()
    load_entry_points: bool = True
    check_schema: bool = True  # refuse a database that is not at the current migration


@define
class App:
    settings: Settings
    plugins: PluginHost
    _engine: "Engine | None" = None
    _schema_checked: bool = False
    _cache: dict[str, Any] = field(factory=dict)
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

        if self.settings.check_schema and not self._schema_checked:
            from serviceframe.store.migrate import require_head

            require_head(self.engine)
            self._schema_checked = True
        return UnitOfWork(self.engine, before_commit=self._write_notifications)

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
        """Hand (issue, event) pairs to plugins after their unit of work committed."""
        failures = []
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
    host = PluginHost(disabled)
    host.load_builtins()
    if settings.load_entry_points:
        host.load_entry_points()
    for i, plugin in enumerate(plugins):
        name = getattr(plugin, "__name__", None) or f"{type(plugin).__name__}-{i}"
        host.register(plugin, name, "registered")
    return App(settings=settings, plugins=host)
