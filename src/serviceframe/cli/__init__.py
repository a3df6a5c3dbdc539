"""The reference CLI: ``serviceframe <noun> <verb>``; one module per noun, loaded lazily.

The root group imports nothing heavy: ``serviceframe --help`` and ``plugins list`` never import
the store. Library errors become one clear line on stderr and a non-zero exit.
"""

import gc
import importlib
import logging
import sys
from typing import Any

import click

from serviceframe import __version__
from serviceframe.cli.context import CliContext

# command name -> "module:attribute", imported only when the command runs or --help lists it.
COMMANDS = {
    "db": "serviceframe.cli.db:db",
    "org": "serviceframe.cli.org:org",
    "enterprise": "serviceframe.cli.enterprise:enterprise",
    "assign": "serviceframe.cli.assign:assign",
    "coverage": "serviceframe.cli.assign:coverage",
    "contact-card": "serviceframe.cli.assign:contact_card",
    "issue": "serviceframe.cli.issue:issue",
    "ledger": "serviceframe.cli.ledger:ledger",
    "route": "serviceframe.cli.route:route",
    "escalate": "serviceframe.cli.route:escalate",
    "supervision": "serviceframe.cli.route:supervision",
    "trends": "serviceframe.cli.trends:trends",
    "cluster": "serviceframe.cli.trends:cluster",
    "topics": "serviceframe.cli.topics:topics",
    "agenda": "serviceframe.cli.agenda:agenda",
    "coordination": "serviceframe.cli.coordination:coordination",
    "policy": "serviceframe.cli.policy:policy",
    "indicator": "serviceframe.cli.indicator:indicator",
    "warnings": "serviceframe.cli.indicator:warnings",
    "visit": "serviceframe.cli.visit:visit",
    "visits": "serviceframe.cli.visit:visits",
    "project": "serviceframe.cli.project:project",
    "event": "serviceframe.cli.event:event",
    "assess": "serviceframe.cli.assess:assess",
    "report": "serviceframe.cli.report:report",
    "plugins": "serviceframe.cli.plugins:plugins",
    "plugin": "serviceframe.cli.plugin:plugin",
    "audit": "serviceframe.cli.audit:audit",
    "channel": "serviceframe.cli.channel:channel",
    "outbox": "serviceframe.cli.outbox:outbox",
    "quarantine": "serviceframe.cli.quarantine:quarantine",
    "demo": "serviceframe.cli.demo:demo",
    "survey": "serviceframe.cli.survey:survey",
    "letter": "serviceframe.cli.letter:letter",
}


class LazyGroup(click.Group):
    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def commands_of_plugins(self, ctx: click.Context) -> dict[str, str]:
        """Commands plugins add (``serviceframe_cli_commands``), never replacing built-in ones."""
        from serviceframe.plugins.manager import plugin_commands

        root = ctx.find_root()  # asked before the root's callback made the CliContext
        obj = root.obj
        disabled = tuple(obj.disabled) if isinstance(obj, CliContext) else ()
        disabled += tuple(root.params.get("disabled") or ())
        return {k: v for k, v in plugin_commands(disabled).items() if k not in self.lazy}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy, *self.commands_of_plugins(ctx)})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.lazy and name not in self.commands:
            path = self.commands_of_plugins(ctx).get(name)
            if path is not None:
                module_name, attr = path.split(":")
                try:
                    found: click.Command = getattr(importlib.import_module(module_name), attr)
                except Exception as exc:  # a plugin's broken command: named, not fatal
                    return _broken(name, module_name, exc)
                return found
        if name in self.lazy:
            module_name, attr = self.lazy[name].split(":")
            try:
                command: click.Command = getattr(importlib.import_module(module_name), attr)
            except Exception as exc:  # one broken command must not take the whole CLI down
                return _broken(name, module_name, exc)
            return command
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        from serviceframe.errors import AlreadyRunning, ServiceFrameError

        try:
            result = super().invoke(ctx)
        except AlreadyRunning as exc:  # a scheduler's overlapping run: said, and not an error
            click.echo(str(exc), err=True)
            _warn_about_plugins(ctx)
            return None
        except ServiceFrameError as exc:
            _warn_about_plugins(ctx)  # a plugin's failure may be why the command failed
            raise click.ClickException(str(exc)) from exc
        _warn_about_plugins(ctx)
        return result


def _warn_about_plugins(ctx: click.Context) -> None:
    """Plugins that are broken, and failures no command has shown yet, on stderr."""
    app = getattr(ctx.obj, "_app", None)
    if app is None:
        return
    from serviceframe.cli.output import warn_failures

    if ctx.invoked_subcommand != "plugins":  # which lists them itself
        for p in app.plugins.list():
            if p.status == "broken":
                click.echo(
                    f"warning: plugin {p.name!r} is broken ({p.error}); "
                    "see `serviceframe plugins list`",
                    err=True,
                )
    warn_failures(app.plugins.failures)


def _broken(name: str, module_name: str, exc: Exception) -> click.Command:
    message = f"the command {name!r} cannot load ({module_name}: {type(exc).__name__}: {exc})"

    def fail() -> None:
        raise click.ClickException(message)

    return click.Command(
        name,
        callback=fail,
        help=f"(unavailable: {type(exc).__name__})",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )


@click.group(cls=LazyGroup, lazy=COMMANDS)
@click.version_option(__version__, prog_name="serviceframe")
@click.option(
    "--db",
    "db_url",
    envvar="SERVICEFRAME_DB",
    metavar="URL",
    help="Database: a SQLAlchemy URL or a SQLite file path [env SERVICEFRAME_DB; default ./serviceframe.db].",
)
@click.option(
    "--actor",
    envvar="SERVICEFRAME_ACTOR",
    metavar="NAME",
    help="The person at the keyboard, recorded on every event beside the principal: one line, "
    "at most 100 characters [env SERVICEFRAME_ACTOR; default cli:$USER].",
)
@click.option(
    "--as",
    "acting_as",
    envvar="SERVICEFRAME_AS",
    default="office",
    show_default=True,
    metavar="PRINCIPAL",
    help="Act as: office (the root office), an office or department unit id, an official id, "
    "an enterprise credit code, auditor or system [env SERVICEFRAME_AS]. See docs/identities.md.",
)
@click.option(
    "--disable-plugin",
    "disabled",
    multiple=True,
    metavar="NAME",
    help="Do not load this plugin (repeatable) [env SERVICEFRAME_DISABLE_PLUGINS=a,b].",
)
@click.pass_context
def cli(
    ctx: click.Context,
    db_url: str | None,
    actor: str | None,
    acting_as: str,
    disabled: tuple[str, ...],
) -> None:
    """serviceframe: serve industrial enterprises — registry, issues, escalation, satisfaction.

    服务工业企业长效机制:企业名录、问题受理、分级交办、限时办结、满意度评价。
    """
    if ctx.obj is None:  # tests and embedders pass their own CliContext (with an app) as obj
        ctx.obj = CliContext(db_url=db_url, actor=actor, disabled=disabled, acting_as=acting_as)
        ctx.call_on_close(ctx.obj.close)


def main() -> None:
    # Chinese text must print even where the locale is C/POSIX (cron jobs, containers).
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8")
    # The CLI shows plugin failures itself (once each, with a count): the library's log
    # records of them would print every one again.
    logging.getLogger("serviceframe").addHandler(logging.NullHandler())
    # The garbage collector walks every object at each full pass and again at exit, and most
    # of a short command's objects are start-up's (modules, classes, the schema), which live
    # as long as the process: a quarter of its CPU time went to those walks. What exists
    # before the command is frozen (never walked again); at the end, all of it, the app
    # being closed by then (CliContext.close), since the process gives its memory back.
    gc.freeze()
    try:
        cli(prog_name="serviceframe")
    finally:
        gc.freeze()
