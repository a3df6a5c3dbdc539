"""Rules derived from the stored organisation settings, built once per app and cached.

``org load`` stores the deadline rules, the holiday overrides, the taxonomy and topic map edits; these
functions turn them into the working objects and keep them on the app until the next load.
"""

from datetime import date
from typing import Any

from serviceframe.app import App
from serviceframe.domain.organisation import Organisation
from serviceframe.domain.taxonomy import Taxonomy, load_taxonomy
from serviceframe.domain.topics import TopicEdit, TopicMap, load_topic_map
from serviceframe.domain.workdays import WorkCalendar, YearOverride
from serviceframe.errors import ServiceFrameError
from serviceframe.orgfile import AssessmentRules, DeadlineRules, EscalationRules
from serviceframe.serialise import converter


def _setting(app: App, key: str) -> object:
    with app.uow() as uow:
        return uow.org.setting(key)


def deadline_rules(app: App) -> DeadlineRules:
    return app.cached(
        "deadline_rules",
        lambda: converter.structure(_setting(app, "deadlines") or {}, DeadlineRules),
    )


def work_calendar(app: App) -> WorkCalendar:
    def build() -> WorkCalendar:
        stored = _setting(app, "calendar_overrides") or {}
        assert isinstance(stored, dict)
        return calendar_from(stored, deadline_rules(app).strict_calendar)

    return app.cached("work_calendar", build)


def calendar_from(stored: dict[str, Any], strict: bool) -> WorkCalendar:
    """The working-day calendar of the holiday overrides as the settings store them."""
    overrides = {
        int(year): YearOverride(
            holidays=frozenset(date.fromisoformat(d) for d in o.get("holidays", ())),
            workdays=frozenset(date.fromisoformat(d) for d in o.get("workdays", ())),
        )
        for year, o in stored.items()
    }
    return WorkCalendar(overrides=overrides, strict=strict)


def taxonomy(app: App) -> Taxonomy:
    """The packaged taxonomy, the topic map's words (weight 1 where it has no weight of its
    own), then the organisation file's ``[taxonomy]`` edits."""

    def build() -> Taxonomy:
        edits = _setting(app, "taxonomy") or {}
        assert isinstance(edits, dict)
        local = {int(k): v for k, v in edits.items()}
        return load_taxonomy().with_words(topic_map(app).words()).merged(local)

    return app.cached("taxonomy", build)


def topic_map(app: App) -> TopicMap:
    """The packaged topic map with the organisation file's ``[topics]`` edits."""

    def build() -> TopicMap:
        stored = _setting(app, "topics") or {}
        assert isinstance(stored, dict)
        return load_topic_map().merged(topic_edits(stored))

    return app.cached("topic_map", build)


def topic_edits(stored: dict[str, Any]) -> dict[int, dict[str, TopicEdit]]:
    """The ``[topics]`` edits as stored in the settings (category numbers as strings)."""
    return {int(k): converter.structure(v, dict[str, TopicEdit]) for k, v in stored.items()}


def known_sources(app: App) -> frozenset[str]:
    def build() -> frozenset[str]:
        names: set[str] = set()
        for result in app.plugins.hook.serviceframe_sources(app=app):
            names.update(result or ())
        return frozenset(names)

    return app.cached("sources", build)


def escalation_rules(app: App) -> EscalationRules:

    return app.cached(
        "escalation_rules",
        lambda: converter.structure(_setting(app, "escalation") or {}, EscalationRules),
    )


def organisation_of(app: App, uow: Any) -> Organisation:
    """The stored organisation, read once per app (``org load`` clears it)."""

    def build() -> Organisation:
        if not uow.org.is_loaded():
            raise ServiceFrameError("no organisation loaded yet; run `serviceframe org load FILE`")
        return uow.org.load()

    return app.cached("organisation", build)


def assessment_rules(app: App) -> AssessmentRules:
    """How ratings are scored: the ``[assessment]`` of the organisation file."""
    return app.cached(
        "assessment_rules",
        lambda: converter.structure(_setting(app, "assessment") or {}, AssessmentRules),
    )
