"""Topics of issues: which topic a wording gets, the map in use, and the topics of open
issues found again after the map changed.

Widespread issues (倾向性、普遍性问题) are counted per topic, a concept of the topic map
(:mod:`serviceframe.domain.topics`); an issue gets its topic from the ``serviceframe_topic``
hook when it is routed (accepted, reclassified, dispatched).
"""

from typing import Any

from attrs import evolve, frozen

from serviceframe.app import App
from serviceframe.domain.categories import Category, parse_category
from serviceframe.domain.issue import IssueEvent
from serviceframe.domain.principal import Action
from serviceframe.domain.taxonomy import classify
from serviceframe.progress import Progress, no_progress
from serviceframe.services.configured import taxonomy, topic_map
from serviceframe.services.events import issue_event_row
from serviceframe.services.routing import topic_of
from serviceframe.store.sql import chunks


@frozen
class TopicFinding:
    """What the built-in classifier and topic map make of a text, and why."""

    category: Category
    classified: bool  # the classifier chose the category (none was given)
    keywords: tuple[str, ...]  # the classifier's keywords, when it chose
    topic: str | None
    concept: str | None
    words: tuple[str, ...]  # the concept's words found in the text


def find_topic(app: App, text: str, category: object = None) -> TopicFinding:
    """The topic the built-in topic map gives ``text`` in ``category`` (classified by the
    built-in taxonomy when not given): what an office checks before editing the map."""
    keywords: tuple[str, ...] = ()
    if category in (None, ""):
        result = classify(text, taxonomy(app))
        chosen, keywords = result.category, result.matched
    else:
        chosen = parse_category(category)
    found = topic_map(app).find(text, chosen) if chosen is not Category.UNCLASSIFIED else None
    return TopicFinding(
        chosen,
        category in (None, ""),
        keywords,
        found.topic if found else None,
        found.concept if found else None,
        found.words if found else (),
    )


def topic_table(app: App) -> list[dict[str, Any]]:
    """The topic map in use (packaged, with the organisation file's edits)."""
    return [
        {
            "category": int(category),
            "category_label": category.label,
            "concept": concept.name,
            "topic": f"{int(category)}:{concept.name}",
            "words": list(concept.words),
        }
        for category, concepts in topic_map(app).concepts.items()
        for concept in concepts
    ]


@frozen
class TopicChange:
    issue: int
    before: str | None
    after: str | None


def refresh_topics(
    app: App, actor: str | None = None, progress: Progress | None = None
) -> list[TopicChange]:
    """Find again the topic of every routed issue still waiting for a solution and in no
    cluster, after the topic map changed; each change is recorded as a ``routed`` event
    (the place on the ladder unchanged). Members of clusters keep theirs. The next trend
    detection counts the new topics."""
    actor = actor or app.settings.actor
    progress = progress or no_progress
    now = app.now()
    changes: list[TopicChange] = []
    published = []
    with app.uow() as uow:
        uow.authorise(Action.SWEEP)
        ids = uow.routing.unclustered_open()
        progress(0, len(ids))
        done = 0
        for batch in chunks(ids, 1000):
            states = uow.routing.get_many(batch)
            moved, rows = [], []
            for issue in uow.issues.get_many(batch):
                state = states[issue.id]
                topic = topic_of(app, issue)
                if topic == state.topic:
                    continue
                event = IssueEvent(
                    "routed",
                    now,
                    actor,
                    {
                        "level": state.level,
                        "rung": state.rung.value,
                        "official": state.official,
                        "reason": state.reason,
                        "informed": list(state.informed),
                        "topic": topic,
                        "topic_before": state.topic,
                    },
                )
                changes.append(TopicChange(issue.id, state.topic, topic))
                moved.append(evolve(state, topic=topic))
                published.append((issue, event))
                rows.append(issue_event_row(issue.id, event))
            uow.routing.save_many(moved, now)
            uow.record(rows)
            done += len(batch)
            progress(done, len(ids))
        uow.commit()
    app.publish_issue_events(published)
    return changes
