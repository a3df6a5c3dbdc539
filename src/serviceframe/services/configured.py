"""Rules derived from the stored organisation settings, built once per app and cached.

``org load`` stores the deadline rules, the holiday overrides, the taxonomy and topic map edits; these
functions turn them into the working objects and keep them on the app until the next load.
"""

from datetime import date
from typing import TYPE_CHECKING, Any

from serviceframe.app import App
from serviceframe.errors import ServiceFrameError

# Imported where used: every command that reads issues imports this module, few of them build
# these rules, and the organisation file's model (orgfile, cattrs) is a start-up cost.
if TYPE_CHECKING:
    from serviceframe.domain.organisation import Organisation
    from serviceframe.domain.taxonomy import Taxonomy
    from serviceframe.domain.topics import TopicEdit, TopicMap
    from serviceframe.domain.workdays import WorkCalendar
    from serviceframe.orgfile import AssessmentRules, DeadlineRules, EscalationRules


def _setting(app: App, key: str) -> object:
    with app.uow() as uow:
        return uow.org.setting(key)


def deadline_rules(app: App) -> "DeadlineRules":
    from serviceframe.orgfile import DeadlineRules
    from serviceframe.serialise import converter

    return app.cached(
        "deadline_rules",
        lambda: converter.structure(_setting(app, "deadlines") or {}, DeadlineRules),
    )


def work_calendar(app: App) -> "WorkCalendar":
    def build() -> "WorkCalendar":
        stored = _setting(app, "calendar_overrides") or {}
        assert isinstance(stored, dict)
        return calendar_from(stored, deadline_rules(app).strict_calendar)

    return app.cached("work_calendar", build)


def calendar_from(stored: dict[str, Any], strict: bool) -> "WorkCalendar":
    """The working-day calendar of the holiday overrides as the settings store them."""
    from serviceframe.domain.workdays import WorkCalendar, YearOverride

    overrides = {
        int(year): YearOverride(
            holidays=frozenset(date.fromisoformat(d) for d in o.get("holidays", ())),
            workdays=frozenset(date.fromisoformat(d) for d in o.get("workdays", ())),
        )
        for year, o in stored.items()
    }
    return WorkCalendar(overrides=overrides, strict=strict)


def taxonomy(app: App) -> "Taxonomy":
    """The packaged taxonomy, the topic map's words (weight 1 where it has no weight of its
    own), then the organisation file's ``[taxonomy]`` edits."""

    def build() -> "Taxonomy":
        # Imported on the first build only: every issue filed asks for the taxonomy.
        from serviceframe.domain.taxonomy import load_taxonomy

        edits = _setting(app, "taxonomy") or {}
        assert isinstance(edits, dict)
        local = {int(k): v for k, v in edits.items()}
        return load_taxonomy().with_words(topic_map(app).words()).merged(local)

    return app.cached("taxonomy", build)


def topic_map(app: App) -> "TopicMap":
    """The packaged topic map with the organisation file's ``[topics]`` edits."""
    from serviceframe.domain.topics import load_topic_map

    def build() -> "TopicMap":
        stored = _setting(app, "topics") or {}
        assert isinstance(stored, dict)
        return load_topic_map().merged(topic_edits(stored))

    return app.cached("topic_map", build)


def topic_edits(stored: dict[str, Any]) -> "dict[int, dict[str, TopicEdit]]":
    """The ``[topics]`` edits as stored in the settings (category numbers as strings)."""
    from serviceframe.domain.topics import TopicEdit
    from serviceframe.serialise import converter

    return {int(k): converter.structure(v, dict[str, TopicEdit]) for k, v in stored.items()}


def known_sources(app: App) -> frozenset[str]:
    def build() -> frozenset[str]:
        claimed: dict[str, str] = {}  # name -> the plugin that brought it first
        # In the order of registration: the built-in names first, then the plugins'.
        for plugin, names in reversed(app.plugins.each("serviceframe_sources", app=app)):
            taken = {n: claimed[n] for n in names if n in claimed and claimed[n] != plugin}
            if taken:
                app.plugins.report(
                    plugin,
                    "serviceframe_sources",
                    ", ".join(f"{n!r} is claimed by {p!r}" for n, p in taken.items()),
                )
                continue
            claimed.update(dict.fromkeys(names, plugin))
        return frozenset(claimed)

    return app.cached("sources", build)


def escalation_rules(app: App) -> "EscalationRules":
    from serviceframe.orgfile import EscalationRules
    from serviceframe.serialise import converter

    return app.cached(
        "escalation_rules",
        lambda: converter.structure(_setting(app, "escalation") or {}, EscalationRules),
    )


def organisation_of(app: App, uow: Any) -> "Organisation":
    """The stored organisation, read once per app (``org load`` clears it)."""

    def build() -> "Organisation":
        if not uow.org.is_loaded():
            raise ServiceFrameError("no organisation loaded yet; run `serviceframe org load FILE`")
        return uow.org.load()

    return app.cached("organisation", build)


def assessment_rules(app: App) -> "AssessmentRules":
    """How ratings are scored: the ``[assessment]`` of the organisation file."""
    from serviceframe.orgfile import AssessmentRules
    from serviceframe.serialise import converter

    return app.cached(
        "assessment_rules",
        lambda: converter.structure(_setting(app, "assessment") or {}, AssessmentRules),
    )
