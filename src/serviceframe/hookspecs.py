"""Every hook a serviceframe plugin can implement.

Plugins are found through the ``serviceframe`` entry-point group, or registered by the host
(``bootstrap(plugins=[...])``). Built-in behaviour is itself a set of plugins registered with
``trylast=True`` where a hook is ``firstresult``, so a county's own implementation wins.

Every hook receives the ``app`` (:class:`serviceframe.app.App`): plugins never reach for globals.

The host isolates every call of a plugin's hook. What a plugin raises (``sys.exit`` included),
a result its hook's check refuses (the ``@returns`` line under each spec, see
:mod:`serviceframe.plugins.contract`), or no answer within the time limit
(``SERVICEFRAME_PLUGIN_TIMEOUT``, 10 s) is reported naming the plugin and the hook, and the host
goes on as if the plugin had returned ``None``: the next implementation, in the end the built-in
one, decides. A plugin whose hook name matches no spec (a typo) is not loaded at all, unless the
implementation says ``optionalhook=True``. The whole contract: ``docs/plugins.md``.
"""

from typing import Any

import pluggy

from serviceframe.plugins import contract
from serviceframe.plugins.contract import returns

hookspec = pluggy.HookspecMarker("serviceframe")
hookimpl = pluggy.HookimplMarker("serviceframe")


@hookspec
@returns(contract.SOURCE_NAMES)
def serviceframe_sources(app: Any) -> list[str] | None:
    """Name the issue sources (channels) this plugin brings, e.g. ``["sms", "wecom"]``.

    :param app: the running :class:`~serviceframe.app.App`.
    :return: a list of short lower-case names. An issue filed with ``source=<name>`` is accepted
        only when the name is built in (``self_declared``, ``government``, ``department``,
        ``hotline``, ``portal``, ``visit``, ``letter``) or returned here by some plugin.
        Two plugins may not claim the same name: the host reports both by name.
    """


@hookspec(firstresult=True)
@returns(contract.CLASSIFICATION)
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
@returns(contract.IGNORED)
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
@returns(contract.IGNORED)
def serviceframe_registry_event(app: Any, event: Any) -> None:
    """Called after a change of the registry (organisation loaded, enterprises imported,
    key level changed, assignment started or ended, a policy added to the catalogue or
    changed: ``policy_added``, ``policy_updated``) has been committed.

    :param app: the running app.
    :param event: a dict with ``kind``, ``subject``, ``actor``, ``at`` and ``data`` as stored in
        the event log.

    As with :func:`serviceframe_issue_event`, a plugin that raises is reported and ignored.
    """


@hookspec(firstresult=True)
@returns(contract.ROUTE_DECISION)
def serviceframe_route(app: Any, issue: Any, facts: Any, organisation: Any) -> Any:
    """Decide which leader answers for an accepted issue, and at which level.

    :param app: the running app.
    :param issue: the :class:`~serviceframe.domain.issue.Issue` (accepted or later).
    :param facts: :class:`~serviceframe.domain.routing.RoutingFacts`: category, severity,
        whether it is widespread, the enterprise's jurisdiction (``enterprise_jurisdiction``)
        and key level, the lead unit.
    :param organisation: the stored :class:`~serviceframe.domain.organisation.Organisation`.
    :return: a :class:`~serviceframe.domain.routing.RouteDecision`, or ``None`` to let the next
        implementation decide. Stops at the first non-``None`` result. The built-in router
        (the seed's rules at every level: general → the deputy head in charge, major → the
        executive deputy head, widespread → the executive deputy or the head, policy → the
        executive meeting; a key enterprise's issue to the highest level that designated it,
        any other to its own county when the county runs the mechanism; rungs nobody holds
        skipped and named in ``skipped``) runs last.
    """


@hookspec(firstresult=True)
@returns(contract.TOPIC)
def serviceframe_topic(app: Any, issue: Any) -> str | None:
    """Name the topic of an issue, for grouping widespread issues (倾向性、普遍性).

    :param app: the running app.
    :param issue: the accepted :class:`~serviceframe.domain.issue.Issue`.
    :return: a short string of at most 100 characters (issues of the same topic from many
        enterprises in several counties form a cluster), or ``None`` to let the next
        implementation decide. Stops at the first non-``None`` result. The built-in one names
        a concept, not a word: ``"<category>:<concept>"`` from the topic map (``1:电力供应``
        for 停电, 拉闸限电 or 供电不稳; packaged, editable under ``[topics]`` in the
        organisation file), or ``None`` when no word of the issue's category's concepts is in
        its title or text. It runs when an issue is routed (accepted, reclassified, dispatched),
        for every issue of a bulk step, and for every open issue after the topic map changed:
        keep an implementation fast.
    """


@hookspec
@returns(contract.IGNORED)
def serviceframe_escalated(app: Any, issue: Any, order: Any) -> None:
    """Called after the escalation sweep issued a supervision order (督办) for an issue.

    :param app: the running app.
    :param issue: the :class:`~serviceframe.domain.issue.Issue` that missed a deadline.
    :param order: a dict as stored in ``supervision_orders``: ``deadline`` (acknowledge,
        feedback, resolve, redo; ``follow_up`` for 催办 when an earlier order went unanswered
        past its reply limit; ``listed`` for 挂牌督办 at the top of the ladder), ``due``,
        ``overdue_unit``, ``overdue_official``, ``reply_due`` (the working day the order must
        be answered by; None for a listing), and the ``from_*`` / ``to_*`` level, rung and
        official of the move up the ladder.

    Called after the sweep committed; a plugin that raises is reported and ignored.
    """


@hookspec
@returns(contract.IGNORED)
def serviceframe_cluster_event(app: Any, cluster: Any, kind: str, issues: list[int]) -> None:
    """Called after a widespread-issue cluster formed, grew or was resolved.

    :param app: the running app.
    :param cluster: the cluster as a dict (``id``, ``topic``, ``category``, ``level``, ``rung``,
        ``official``, ``status``, ``resolution``).
    :param kind: ``formed``, ``grown`` or ``resolved``.
    :param issues: ids of the issues this event concerns (new members, or settled members).

    Called after commit; a plugin that raises is reported and ignored.
    """


@hookspec
@returns(contract.RECORDS)
def serviceframe_channel_kinds(app: Any) -> Any:
    """Provide channel kinds: yield (or return a list of) :class:`serviceframe.channels.ChannelKind`.

    :param app: the running app.
    :return: the kinds this plugin brings, e.g.
        ``ChannelKind("email", open=EmailChannel, settings=EmailSettings, inbound=True)``.

    A county configures channels of these kinds in its organisation file (``[[channels]]``
    with ``name``, ``kind``, ``jurisdiction``, ``settings``); ``settings`` is structured by the
    kind's attrs class, unknown keys rejected, every problem reported at ``org load``. Two
    plugins may not provide the same kind: the host refuses both, naming them. Anything that
    is not a ``ChannelKind`` is reported naming the plugin and left out. See
    ``docs/channels.md`` for the whole contract (delivery, receipts, failures, inbound
    parsing, the quarantine) and a channel written in under 30 lines.
    """


@hookspec
@returns(contract.RECORDS)
def serviceframe_scoring_profiles(app: Any) -> Any:
    """Register ways of scoring the assessment (R9): yield
    :class:`~serviceframe.domain.assessment.ScoringProfile` records.

    :param app: the running app.
    :return: an iterable (a generator is simplest) of ``ScoringProfile(name, label, score,
        description, parameters)``. ``score(figures, rules)`` gets a unit's
        :class:`~serviceframe.domain.assessment.Figures` and the
        :class:`~serviceframe.domain.assessment.ScoringRules` of the organisation file and
        returns a result between 0 and 1, or ``None`` for nothing to score.

    The organisation file chooses one by name (``[assessment] profile``); the built-in
    ``satisfaction`` (the seed's sole standard) is the default, and ``hotline12345`` (response,
    resolution and satisfaction mixed, as 12345 hotlines are judged) is built in as a plugin
    of its own. Each plugin is called on its own: one that raises or yields anything else is
    reported by name and left out; a name two plugins register is usable from neither, and
    the error names both. A result outside 0..1 stops the assessment with an error naming the
    profile's plugin.
    """


@hookspec
@returns(contract.RECORDS)
def serviceframe_notification_placeholders(app: Any) -> Any:
    """Add placeholders to notification templates: yield :class:`serviceframe.channels.Placeholder`.

    :param app: the running app.
    :return: placeholders, each with a name, the notice kinds it applies to and a function
        computing its text from the notification (an :class:`~serviceframe.channels.Outgoing`
        whose ``key``, ``issue_id`` and ``round`` are final). A web portal adds
        ``{survey_url}`` to satisfaction invitations this way, an SMS plugin a reply code.

    Templates in the organisation file may use these names once the plugin is installed
    (``org load`` checks every placeholder). The functions run inside the transaction of the
    change that causes the notification: a placeholder that raises leaves that notification
    failed, naming the plugin, and never undoes the change. A name may be provided once.
    """


@hookspec
@returns(contract.RECORDS)
def serviceframe_report_kinds(app: Any) -> Any:
    """Register kinds of report (local reporting): yield
    :class:`~serviceframe.reports.kinds.ReportKind` records.

    :param app: the running app.
    :return: an iterable of ``ReportKind(name, title, build, parameters, description)``.
        ``build(app, request)`` gets a :class:`~serviceframe.reports.kinds.ReportRequest`
        (period, jurisdiction, parameters, now) and returns a
        :class:`~serviceframe.reports.document.Report`: sections of text, tables and
        charts, which serviceframe renders as text, JSON, XLSX (native Excel charts) or a
        standalone HTML page (charts drawn with a Chinese font).

    ``serviceframe report list`` shows every kind; ``serviceframe report run NAME`` runs one.
    The built-in ``circular`` (通报), ``briefing`` (the leaders' report) and ``assessment``
    are registered the same way. Each plugin is called on its own: one that raises or yields
    anything else is reported by name and left out; a name two plugins register is usable
    from neither, and the error names both.
    """


@hookspec
@returns(contract.CLI_COMMANDS)
def serviceframe_cli_commands() -> dict[str, str] | None:
    """Add commands to the ``serviceframe`` CLI, e.g. ``{"serve": "serviceframe_portal.cli:serve"}``.

    :return: a dict from a command name to where its :class:`click.Command` is, as
        ``"module:attribute"``; the module is imported only when the command runs or its own
        help is shown, so ``serviceframe --help`` stays fast (keep the plugin's entry-point
        module light too: it is imported to ask this hook).

    The one hook without ``app``: the CLI asks it before any database is opened. A name a
    built-in command has is ignored; a name two plugins give goes to the first. A plugin
    that raises or answers out of contract is left out, like in every hook; a command whose
    module cannot be imported shows as unavailable, naming the error.
    """
