"""Every hook a serviceframe plugin can implement.

Plugins are found through the ``serviceframe`` entry-point group, or registered by the host
(``bootstrap(plugins=[...])``). Built-in behaviour is itself a set of plugins registered with
``trylast=True`` where a hook is ``firstresult``, so a county's own implementation wins.

Every hook receives the ``app`` (:class:`serviceframe.app.App`): plugins never reach for globals.
"""

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("serviceframe")
hookimpl = pluggy.HookimplMarker("serviceframe")


@hookspec
def serviceframe_sources(app: Any) -> list[str]:
    """Name the issue sources (channels) this plugin brings, e.g. ``["sms", "wecom"]``.

    :param app: the running :class:`~serviceframe.app.App`.
    :return: a list of short lower-case names. An issue filed with ``source=<name>`` is accepted
        only when the name is built in (``self_declared``, ``government``, ``department``,
        ``hotline``, ``portal``, ``visit``, ``letter``) or returned here by some plugin.
        Two plugins may not claim the same name: the host reports both by name.
    """


@hookspec(firstresult=True)
def serviceframe_classify(app: Any, title: str, body: str) -> Any:
    """Decide the service category of an issue from its text.

    :param app: the running app.
    :param title: the issue's title (Chinese).
    :param body: the issue's body (Chinese).
    :return: a :class:`serviceframe.domain.taxonomy.Classification`, or ``None`` to let the next
        implementation decide. Stops at the first non-``None`` result. The built-in classifier
        (keyword taxonomy, editable in the organisation file) runs last. The office can always
        override the result by accepting the issue with an explicit category.
    """


@hookspec
def serviceframe_issue_event(app: Any, issue: Any, event: Any) -> None:
    """Called after each change of an issue has been committed.

    :param app: the running app.
    :param issue: the issue as it is after the change (:class:`serviceframe.domain.issue.Issue`).
    :param event: the :class:`serviceframe.domain.issue.IssueEvent` that was recorded
        (``event.kind`` is ``filed``, ``accepted``, ``dispatched``, ``acknowledged``, …).

    The change is already stored: a plugin that raises is reported by name (a warning, and in
    the CLI a line on stderr) and does not undo it. Every implementation is called.
    """


@hookspec
def serviceframe_registry_event(app: Any, event: Any) -> None:
    """Called after a change of the registry (organisation loaded, enterprises imported,
    key level changed, assignment started or ended) has been committed.

    :param app: the running app.
    :param event: a dict with ``kind``, ``subject``, ``actor``, ``at`` and ``data`` as stored in
        the event log.

    As with :func:`serviceframe_issue_event`, a plugin that raises is reported and ignored.
    """
