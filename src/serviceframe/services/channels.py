"""The channels a county configured, the plugins' channel kinds, and opening a channel.

Channel kinds come from plugins (``serviceframe_channel_kinds``); the configuration from the
organisation file (``[[channels]]``), stored by ``org load``. Settings are structured by the
kind's own attrs class through the one cattrs converter; secrets are read from the environment
when the channel is opened, and never stored or shown.
"""

import os
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from serviceframe.app import App
from serviceframe.channels import SECRET, Channel, ChannelContext, ChannelKind, Placeholder
from serviceframe.errors import ConfigError, ServiceFrameError
from serviceframe.orgfile import ChannelConfig, OutboxRules, PluginChecks
from serviceframe.serialise import converter, structure_errors


@frozen
class KindInfo:
    kind: ChannelKind
    plugin: str


def channel_kinds(app: App) -> dict[str, KindInfo]:
    """Every channel kind the plugins provide, by name. Two plugins providing one name is an
    error naming both: which one a county meant cannot be guessed."""

    def build() -> dict[str, KindInfo]:
        registry = app.plugins.collect("serviceframe_channel_kinds", ChannelKind, app=app)
        for name, plugins in registry.conflicts.items():
            raise ServiceFrameError(
                f"channel kind {name!r} is provided by two plugins, "
                f"{plugins[0]!r} and {plugins[1]!r}; disable one "
                "(--disable-plugin NAME or SERVICEFRAME_DISABLE_PLUGINS)"
            )
        return {
            name: KindInfo(registry.records[name], registry.owner(name))
            for name in registry.names()
        }

    result: dict[str, KindInfo] = app.cached("channel_kinds", build)
    return result


def placeholders(app: App) -> dict[str, tuple[Placeholder, str]]:
    """The placeholders plugins add to notification templates: name -> (record, plugin)."""
    from serviceframe.domain.notices import COMMON, NOTICES

    core = {*COMMON, *(p for n in NOTICES.values() for p in n.placeholders)}

    def build() -> dict[str, tuple[Placeholder, str]]:
        registry = app.plugins.collect(
            "serviceframe_notification_placeholders", Placeholder, app=app
        )
        found: dict[str, tuple[Placeholder, str]] = {}
        for name, plugins in sorted(registry.owners.items()):
            if name in core or len(plugins) > 1:
                by = "serviceframe" if name in core else plugins[0]
                raise ServiceFrameError(
                    f"placeholder {{{name}}} of plugin {plugins[-1]!r} is already "
                    f"provided by {by!r}"
                )
            found[name] = (registry.records[name], plugins[0])
        return found

    result: dict[str, tuple[Placeholder, str]] = app.cached("placeholders", build)
    return result


def plugin_placeholders_by_kind(app: App) -> dict[str, frozenset[str]]:
    from serviceframe.domain.notices import NOTICES

    found = placeholders(app)
    return {
        kind: frozenset(n for n, (p, _) in found.items() if not p.kinds or kind in p.kinds)
        for kind in NOTICES
    }


# --- configuration -----------------------------------------------------------------------------


def plugin_checks(app: App) -> PluginChecks:
    """For ``org load``: check each channel's kind and settings against the installed plugins."""
    kinds = channel_kinds(app)

    def check(where: str, config: ChannelConfig) -> list[str]:
        info = kinds.get(config.kind)
        if info is None:
            known = ", ".join(sorted(kinds)) or "none"
            return [
                f"{where}.kind={config.kind!r}: no installed plugin provides this channel "
                f"kind (installed: {known})"
            ]
        problems = []
        for setting in config.secrets:
            if setting not in _setting_names(info.kind):
                problems.append(f"{where}.secrets.{setting}: {config.kind} has no such setting")
        if problems:
            return problems
        # Secrets are not read here: the clerk loading the file need not know them.
        values = {**config.settings, **dict.fromkeys(config.secrets, SECRET)}
        try:
            converter.structure(values, info.kind.settings)
        except Exception as exc:
            return structure_errors(exc, path=f"{where}.settings")
        return []

    return PluginChecks(check, plugin_placeholders_by_kind(app))


def _setting_names(kind: ChannelKind) -> set[str]:
    import attrs

    return {a.name for a in attrs.fields(kind.settings)} if attrs.has(kind.settings) else set()


@frozen
class Configured:
    """A configured channel: its configuration, what its kind could do when the organisation
    was loaded (stored, so a process without the plugin still writes its notifications), and
    the kind itself when its plugin is installed here."""

    config: ChannelConfig
    jurisdiction: str
    source: str
    address: tuple[str, ...]
    inbound: bool
    outbound: bool
    kind: ChannelKind | None  # None: no installed plugin here provides the kind
    plugin: str | None

    @property
    def name(self) -> str:
        return self.config.name


def stored_channels(uow: Any) -> tuple[list[ChannelConfig], OutboxRules]:
    """The channels and outbox rules ``org load`` stored, read in the caller's unit of work."""
    channels = converter.structure(uow.org.setting("channels") or [], list[ChannelConfig])
    rules = converter.structure(uow.org.setting("outbox") or {}, OutboxRules)
    return channels, rules


def configured(app: App, uow: Any, fresh: bool = False) -> list[Configured]:
    """The channels of the organisation file, in file order. ``fresh`` reads the store again
    (a long-running worker sees an ``org load`` made by another process)."""

    def build() -> list[Configured]:
        from serviceframe.services.configured import organisation_of

        configs, _ = stored_channels(uow)
        if not configs:
            return []
        facts = uow.org.setting("channel_facts") or {}
        try:
            kinds = channel_kinds(app)
        except ServiceFrameError:  # two plugins claim a kind: opening says so; writing goes on
            kinds = {}
        root = organisation_of(app, uow).root.code
        result = []
        for c in configs:
            info = kinds.get(c.kind)
            fact = facts.get(c.name) or (
                {
                    "inbound": info.kind.inbound,
                    "outbound": info.kind.outbound,
                    "address": c.address or info.kind.address,
                }
                if info
                else {"inbound": False, "outbound": False, "address": c.address}
            )
            result.append(
                Configured(
                    c,
                    c.jurisdiction or root,
                    c.source or c.name,
                    tuple(fact["address"]),
                    bool(fact["inbound"]),
                    bool(fact["outbound"]),
                    info.kind if info else None,
                    info.plugin if info else None,
                )
            )
        return result

    if fresh:
        app.forget_cached("channels")
    result: list[Configured] = app.cached("channels", build)
    return result


def find(app: App, uow: Any, name: str, fresh: bool = False) -> Configured:
    for channel in configured(app, uow, fresh):
        if channel.name == name:
            return channel
    known = ", ".join(c.name for c in configured(app, uow)) or "none configured"
    raise ServiceFrameError(f"no channel {name!r} in the organisation file (channels: {known})")


def open_channel(
    app: App, channel: Configured, environ: Mapping[str, str] | None = None
) -> Channel:
    """Make the channel object: settings structured, secrets from the environment."""
    if channel.kind is None:
        raise ConfigError(
            f"channel {channel.name!r}: no installed plugin provides kind {channel.config.kind!r}"
        )
    environ = os.environ if environ is None else environ
    values = dict(channel.config.settings)
    for setting, variable in channel.config.secrets.items():
        if variable not in environ:
            raise ConfigError(
                f"channel {channel.name!r}: secret {setting!r} is read from the environment "
                f"variable {variable}, which is not set"
            )
        values[setting] = environ[variable]
    try:
        settings: Any = converter.structure(values, channel.kind.settings)
    except Exception as exc:
        problems = "; ".join(structure_errors(exc, path=f"channel {channel.name}.settings"))
        raise ConfigError(problems) from None
    context = ChannelContext(
        app, channel.name, channel.kind.name, channel.jurisdiction, settings, channel.address
    )
    return channel.kind.open(context)


@frozen
class ChannelInfo:
    """What ``channel list`` shows: never the value of a secret."""

    name: str
    kind: str
    plugin: str | None
    jurisdiction: str
    source: str
    address: tuple[str, ...]
    inbound: bool
    outbound: bool
    settings: dict[str, Any]
    secrets: dict[str, str]  # setting -> the environment variable it is read from
    secret_set: dict[str, bool]  # whether that variable is set where this runs
    problem: str = ""


def list_channels(app: App) -> list[ChannelInfo]:
    channel_kinds(app)  # two plugins providing one kind: say so here, naming both
    with app.uow() as uow:
        channels = configured(app, uow, fresh=True)
    infos = []
    for c in channels:
        hidden = set(c.kind.secrets if c.kind else ())
        infos.append(
            ChannelInfo(
                c.name,
                c.config.kind,
                c.plugin,
                c.jurisdiction,
                c.source,
                c.address,
                c.inbound,
                c.outbound,
                {k: ("***" if k in hidden else v) for k, v in c.config.settings.items()},
                dict(c.config.secrets),
                {k: v in os.environ for k, v in c.config.secrets.items()},
                "" if c.kind else f"no installed plugin provides kind {c.config.kind!r}",
            )
        )
    return infos
