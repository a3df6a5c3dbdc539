"""Topics: the concepts that group the many wordings of one problem (倾向性、普遍性问题).

Six enterprises writing 停电, 拉闸限电 and 供电不稳 raise one problem, the power supply; a
widespread issue is found by counting enterprises per *concept*, not per word. The topic map
lists, per category, concepts and the words and synonyms that name each; it ships with the
package (``serviceframe/data/topics.toml``) and the organisation file edits it (``[topics]``).

The rule is plain, so that the office can read and explain it ("grouped as 1:电力供应 because
of 拉闸 and 停电"):

* text and words are normalised as for the taxonomy (NFKC, Latin lower-cased);
* only the concepts of the issue's own category count;
* a word counts once when it occurs in the text, unless it lies inside a longer word of the
  same category found there ("限电" inside "拉闸限电");
* the concept with most counted words wins; a tie goes to the concept named first in the
  text (the title comes first), then to the one listed first in the map;
* the topic is ``"<category>:<concept>"``, e.g. ``"1:电力供应"``; no word found, no topic.

A word belongs to one concept of a category. Finding a topic costs one scan of the text with
one precompiled expression per category: a few microseconds for a complaint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

from attrs import field, frozen

from serviceframe.domain.categories import Category
from serviceframe.domain.taxonomy import KeywordMatcher, normalise, read_data_file
from serviceframe.errors import ConfigError

__all__ = [
    "MAX_CONCEPT",
    "Concept",
    "TopicEdit",
    "TopicMap",
    "TopicMatch",
    "check_topic_edits",
    "load_topic_map",
]

_PACKAGED = "data/topics.toml"

# The topic ("9:" and the concept) is stored in a column of 100 characters; a concept is a
# short name people read in reports.
MAX_CONCEPT = 40


@frozen
class Concept:
    name: str
    words: tuple[str, ...]  # normalised, in the map's order


@frozen
class TopicMatch:
    """The topic found for a text, and why."""

    category: Category
    concept: str
    words: tuple[str, ...]  # the concept's counted words, in text order

    @property
    def topic(self) -> str:
        return f"{int(self.category)}:{self.concept}"


@frozen
class TopicEdit:
    """One concept's edits in the organisation file (``[topics.N."concept"]``)."""

    words: tuple[str, ...] = ()  # added to the concept (moved from another concept if there)
    remove: tuple[str, ...] = ()  # taken out of the concept
    enabled: bool = True  # false removes the concept and its words


TopicEdits = Mapping[int, Mapping[str, TopicEdit]]
"""category number -> concept -> edit, as the organisation file holds them."""


def _category(key: object) -> Category | None:
    if isinstance(key, bool):
        return None
    number = key if isinstance(key, int) else None
    if isinstance(key, str) and key.strip().isdecimal():
        number = int(key.strip())
    if number is None or not 1 <= number <= 9:
        return None
    return Category(number)


def _word_problem(raw: object) -> str | None:
    if not isinstance(raw, str):
        return "a word must be a string"
    if len(normalise(raw).strip()) < 2:
        return "a word needs at least two characters (one character matches too much)"
    return None


def _concept_problem(name: object) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return "a concept needs a name"
    if len(name.strip()) > MAX_CONCEPT:
        return f"a concept name is at most {MAX_CONCEPT} characters"
    if ":" in name:
        return "a concept name cannot contain ':' (it separates category and concept)"
    return None


def check_topic_edits(edits: Mapping[Any, Mapping[Any, TopicEdit]], where: str) -> list[str]:
    """Every problem of ``edits`` (category numbers, concept names, words), each naming its
    key path under ``where`` and the value; empty when they can be merged."""
    problems: list[str] = []
    for key, concepts in edits.items():
        path = f"{where}.{key}"
        if _category(key) is None:
            problems.append(f"{path}: unknown category number {key!r} (expected 1-9)")
            continue
        owner: dict[str, str] = {}  # word -> the concept of this category listing it
        for name, edit in concepts.items():
            concept_path = f"{path}.{name}"
            problem = _concept_problem(name)
            if problem:
                problems.append(f"{concept_path}: {name!r}: {problem}")
                continue
            if not edit.enabled and (edit.words or edit.remove):
                problems.append(f"{concept_path}.enabled=false: a disabled concept lists no words")
            for list_name in ("words", "remove"):
                for i, raw in enumerate(getattr(edit, list_name)):
                    problem = _word_problem(raw)
                    if problem:
                        problems.append(f"{concept_path}.{list_name}[{i}]={raw!r}: {problem}")
            for raw in edit.words:
                word = normalise(raw).strip()
                if word in owner and owner[word] != name:
                    problems.append(
                        f"{concept_path}.words: {raw!r} is also listed under "
                        f"{path}.{owner[word]} (a word belongs to one concept of a category)"
                    )
                owner.setdefault(word, name)
    return problems


def _freeze(table: Mapping[Category, Iterable[Concept]]) -> Mapping[Category, tuple[Concept, ...]]:
    return MappingProxyType(
        {c: tuple(concepts) for c, concepts in sorted(table.items()) if tuple(concepts)}
    )


@frozen
class TopicMap:
    """Per category, the concepts and their words. Build it with :func:`load_topic_map` and
    :meth:`merged`; both check the words and names first."""

    concepts: Mapping[Category, tuple[Concept, ...]] = field(converter=_freeze)
    _matchers: Mapping[Category, KeywordMatcher[str]] = field(init=False, repr=False, eq=False)

    @_matchers.default
    def _build_matchers(self) -> Mapping[Category, KeywordMatcher[str]]:
        return {
            category: KeywordMatcher.build({c.name: c.words for c in concepts})
            for category, concepts in self.concepts.items()
        }

    def find(self, text: str, category: Category) -> TopicMatch | None:
        """The concept of ``category`` that ``text`` (title and body) speaks of, if any."""
        matcher = self._matchers.get(category)
        if matcher is None:
            return None
        norm = normalise(text)
        counted = matcher.outermost(matcher.found(norm))
        if not counted:
            return None
        by_concept: dict[str, list[str]] = {}
        for word in counted:
            by_concept.setdefault(matcher.owners[word][0], []).append(word)
        order = {c.name: i for i, c in enumerate(self.concepts[category])}

        def first(words: list[str]) -> int:
            return min(norm.find(w) for w in words)

        name, words = min(
            by_concept.items(), key=lambda kv: (-len(kv[1]), first(kv[1]), order[kv[0]])
        )
        return TopicMatch(
            category, name, tuple(sorted(words, key=lambda w: (norm.find(w), -len(w), w)))
        )

    def merged(self, edits: TopicEdits, where: str = "topics") -> TopicMap:
        """This map with the organisation file's edits: words added to a concept (a new
        concept when the name is new; a word another concept of the category had is moved),
        words removed, concepts disabled. A concept left with no words is dropped."""
        problems = check_topic_edits(edits, where)
        if problems:
            raise ConfigError("; ".join(problems))
        table = {c: [(x.name, list(x.words)) for x in cs] for c, cs in self.concepts.items()}
        for key, concept_edits in edits.items():
            category = _category(key)
            assert category is not None  # checked above
            concepts = table.setdefault(category, [])
            for name, edit in concept_edits.items():
                name = name.strip()
                added = [normalise(w).strip() for w in edit.words]
                removed = {normalise(w).strip() for w in edit.remove}
                for other, words in concepts:  # a word belongs to one concept
                    if other != name:
                        words[:] = [w for w in words if w not in added]
                existing = next((words for other, words in concepts if other == name), None)
                if existing is None:
                    existing = []
                    concepts.append((name, existing))
                if not edit.enabled:
                    existing.clear()
                existing[:] = [w for w in dict.fromkeys([*existing, *added]) if w not in removed]
        return TopicMap(
            {
                category: [Concept(name, tuple(words)) for name, words in concepts if words]
                for category, concepts in table.items()
            }
        )

    def words(self) -> dict[Category, tuple[str, ...]]:
        """Every word of each category (for the classifier: see ``Taxonomy.with_words``)."""
        return {
            category: tuple(w for concept in concepts for w in concept.words)
            for category, concepts in self.concepts.items()
        }

    def concept_of(self, category: Category, word: str) -> str | None:
        """The concept of ``category`` that lists ``word`` (normalised), if any."""
        norm = normalise(word).strip()
        for concept in self.concepts.get(category, ()):
            if norm in concept.words:
                return concept.name
        return None


def _parse_packaged(data: Mapping[str, Any], source: str) -> TopicMap:
    """The shipped file: ``[N."concept"] words = [...]``, every word in one concept."""
    edits: dict[Any, dict[str, TopicEdit]] = {}
    problems: list[str] = []
    for key, concepts in data.items():
        if not isinstance(concepts, Mapping):
            problems.append(f"{key}: expected tables of concepts")
            continue
        for name, table in concepts.items():
            if not isinstance(table, Mapping) or set(table) != {"words"}:
                problems.append(f"{key}.{name}: expected exactly one key, words")
                continue
            words = table["words"]
            if not isinstance(words, list):
                problems.append(f"{key}.{name}.words: expected a list of strings")
                continue
            edits.setdefault(key, {})[name] = TopicEdit(words=tuple(words))
    problems += check_topic_edits(edits, "")  # also: a word under two concepts
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(p.lstrip(".") for p in problems))
    return TopicMap({}).merged(edits)


def load_topic_map(path: str | None = None) -> TopicMap:
    """Load a topic map file; ``None`` loads the one shipped in ``serviceframe/data``."""
    return _packaged() if path is None else _load(path)


@cache
def _packaged() -> TopicMap:  # immutable: read once per process
    return _load(None)


def _load(path: str | None) -> TopicMap:
    source, data = read_data_file(path, _PACKAGED)
    return _parse_packaged(data, source)
