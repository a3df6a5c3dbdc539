"""Keyword taxonomy: sort an enterprise's free-text problem into one of the nine categories.

The rule is deliberately plain so that the office can read and explain it:

* the text and every keyword are normalised (NFKC, so full-width letters and digits become
  half-width; Latin letters lower-cased);
* a keyword matches when it occurs anywhere in the normalised text (occurrences are not
  counted: a keyword counts once);
* within one category, a matched keyword contained in another matched keyword of the same
  category is not counted ("安全隐患" matched, so "隐患" is skipped);
* a category's score is the sum of the weights of its counted keywords; the highest score
  wins and ties go to the lower category number.

Matching uses one Aho-Corasick automaton per taxonomy (ahocorasick-rs, in Rust), so
classifying an issue costs one scan of its text whatever the number of keywords: about 3 µs
to find the keywords of a 70-character complaint with the packaged taxonomy. (pyahocorasick,
used before, took 12-17 µs: its trie looks a character up among a node's children one by
one, and the root has several hundred.)
"""

from __future__ import annotations

import math
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from os import PathLike
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from attrs import field, frozen

from serviceframe.domain.categories import SERVICE_CATEGORIES, Category
from serviceframe.errors import ConfigError

__all__ = [
    "Classification",
    "KeywordEdits",
    "KeywordMatcher",
    "KeywordTable",
    "Taxonomy",
    "classify",
    "keywords_in",
    "load_taxonomy",
    "normalise",
    "parse_keyword_tables",
]

KeywordTable = Mapping[Category, Mapping[str, float]]
"""category -> {keyword: weight}."""

KeywordEdits = Mapping[Category, Mapping[str, float]] | Mapping[int, Mapping[str, float]]
"""Local edits, keyed by category or plain number (as in the organisation file)."""

_PACKAGED = "data/taxonomy.toml"

K = TypeVar("K")


def normalise(text: str) -> str:
    """The form in which texts and keywords are compared: NFKC, Latin lower-cased."""
    return unicodedata.normalize("NFKC", text).lower()


def _fail(where: str, value: object, reason: str) -> ConfigError:
    return ConfigError(f"{where} = {value!r}: {reason}")


def _category(key: object, where: str) -> Category:
    if isinstance(key, bool):
        raise _fail(where, key, "unknown category number (expected 1-9)")
    if isinstance(key, int):
        number = key
    elif isinstance(key, str) and key.strip().isdecimal():
        number = int(key.strip())
    else:
        raise _fail(where, key, "unknown category number (expected 1-9)")
    if number not in {c.value for c in SERVICE_CATEGORIES}:
        raise _fail(where, key, "unknown category number (expected 1-9)")
    return Category(number)


def _keyword(raw: object, where: str) -> str:
    if not isinstance(raw, str):
        raise _fail(where, raw, "a keyword must be a string")
    keyword = normalise(raw).strip()
    if not keyword:
        raise _fail(where, raw, "empty keyword")
    return keyword


def _weight(raw: object, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise _fail(where, raw, "a weight must be a number")
    weight = float(raw)
    if not math.isfinite(weight) or weight < 0:
        raise _fail(where, raw, "a weight must be a finite number >= 0")
    return weight


def _clean(table: Mapping[Any, Any], where: str) -> dict[Category, dict[str, float]]:
    """Validate and normalise a ``category -> {keyword: weight}`` mapping (zeros kept)."""
    if not isinstance(table, Mapping):
        raise _fail(where, table, "expected a table of category -> {keyword: weight}")
    out: dict[Category, dict[str, float]] = {}
    for key, entries in table.items():
        path = f"{where}.{int(key) if isinstance(key, Category) else key}"
        category = _category(key, path)
        if not isinstance(entries, Mapping):
            raise _fail(path, entries, "expected a table of keyword -> weight")
        target = out.setdefault(category, {})
        for raw, weight in entries.items():
            kw_path = f"{path}.{raw}"
            target[_keyword(raw, kw_path)] = _weight(weight, kw_path)
    return out


def _freeze(table: Mapping[Any, Any]) -> Mapping[Category, Mapping[str, float]]:
    cleaned = _clean(table, "taxonomy")
    return MappingProxyType(
        {
            category: MappingProxyType({k: w for k, w in entries.items() if w > 0})
            for category, entries in sorted(cleaned.items())
            if any(w > 0 for w in entries.values())
        }
    )


@frozen
class KeywordMatcher(Generic[K]):
    """One scan of a text finds every keyword of a table ``owner -> keywords``.

    Used for the taxonomy (owners are categories) and the topic map (owners are the
    concepts of one category).
    """

    # An Aho-Corasick automaton (ahocorasick-rs) of every keyword; None without any.
    automaton: Any
    # keyword -> the owners listing it
    owners: Mapping[str, tuple[K, ...]]
    # keyword -> the other keywords it is inside of ("隐患" -> {"安全隐患", …}); most have none
    inside: Mapping[str, frozenset[str]]

    @classmethod
    def build(cls, table: Mapping[K, Iterable[str]]) -> KeywordMatcher[K]:
        import ahocorasick_rs

        owners: dict[str, list[K]] = {}
        for owner, keywords in table.items():
            for keyword in keywords:
                owners.setdefault(keyword, []).append(owner)
        if not owners:
            return cls(None, {}, {})
        automaton = ahocorasick_rs.AhoCorasick(list(owners))
        inside: dict[str, set[str]] = {k: set() for k in owners}
        for keyword in owners:  # the automaton finds the keywords inside each keyword
            for part in automaton.find_matches_as_strings(keyword, overlapping=True):
                if part != keyword:
                    inside[part].add(keyword)
        return cls(
            automaton,
            {k: tuple(v) for k, v in owners.items()},
            {k: frozenset(v) for k, v in inside.items()},
        )

    def found(self, text: str) -> frozenset[str]:
        """Every keyword occurring in ``text`` (already normalised), overlapping ("限电力":
        "限电" and "电力") or inside another ("安全隐患": also "隐患")."""
        if self.automaton is None:
            return frozenset()
        return frozenset(self.automaton.find_matches_as_strings(text, overlapping=True))

    def outermost(self, matched: Iterable[str]) -> list[str]:
        """The ``matched`` keywords that are not inside another matched one ("安全隐患"
        hides "隐患"). Which keyword is inside which is known from the start: comparing
        every pair of matched keywords cost a fifth of classifying an issue."""
        matched = list(matched)
        return [k for k in matched if self.inside[k].isdisjoint(matched)]


@frozen
class Taxonomy:
    """The keywords (with weights) that point an issue's text to each category.

    Keywords are stored normalised; a weight of 0 is dropped.  Invalid input (category not
    1-9, empty keyword, negative or non-numeric weight) raises ``ConfigError``.
    """

    keywords: Mapping[Category, Mapping[str, float]] = field(converter=_freeze)
    _matcher: KeywordMatcher[Category] = field(init=False, repr=False, eq=False)

    @_matcher.default
    def _build_matcher(self) -> KeywordMatcher[Category]:
        return KeywordMatcher.build(self.keywords)

    def merged(self, extra: KeywordEdits, where: str = "extra") -> Taxonomy:
        """This taxonomy with local edits: add keywords, change weights; weight 0 removes.

        Errors name the key path under ``where`` (``taxonomy`` for the organisation file)."""
        table = {category: dict(entries) for category, entries in self.keywords.items()}
        for category, entries in _clean(extra, where).items():
            target = table.setdefault(category, {})
            for keyword, weight in entries.items():
                if weight > 0:
                    target[keyword] = weight
                else:
                    target.pop(keyword, None)
        return Taxonomy(table)

    def with_words(self, words: Mapping[Category, Iterable[str]], weight: float = 1.0) -> Taxonomy:
        """This taxonomy with more keywords at ``weight``, where it does not weigh them
        already: the topic map's words, so that a wording taught to the map ("晃电" for
        1:电力供应) also points the classifier to its category."""
        table = {category: dict(entries) for category, entries in self.keywords.items()}
        for category, extra in words.items():
            target = table.setdefault(category, {})
            for word in extra:
                target.setdefault(normalise(word).strip(), weight)
        return Taxonomy(table)

    def _counted(self, norm: str) -> dict[Category, list[str]]:
        """Per category, the counted keywords found in ``norm`` (in no particular order:
        ordering them costs more than finding them, and only the chosen ones are shown)."""
        by_category: dict[Category, list[str]] = {}
        for keyword in self._matcher.found(norm):
            for category in self._matcher.owners[keyword]:
                by_category.setdefault(category, []).append(keyword)
        outermost = self._matcher.outermost
        return {category: outermost(found) for category, found in by_category.items()}


def _ordered(keywords: Iterable[str], norm: str) -> tuple[str, ...]:
    """Stable order: first occurrence in the text, longer first, then code point order."""
    return tuple(sorted(set(keywords), key=lambda k: (norm.find(k), -len(k), k)))


@frozen
class Classification:
    """The category chosen for a text, and why."""

    category: Category  # UNCLASSIFIED when nothing matched
    score: float
    matched: tuple[str, ...]  # the counted keywords of ``category``, in text order
    runner_up: Category | None


def classify(text: str, taxonomy: Taxonomy) -> Classification:
    """The best category for ``text`` (title and body together) under ``taxonomy``."""
    norm = normalise(text)
    counted = taxonomy._counted(norm)
    scores = sorted(
        ((sum(taxonomy.keywords[c][k] for k in kws), c) for c, kws in counted.items()),
        key=lambda pair: (-pair[0], pair[1]),
    )
    scores = [(s, c) for s, c in scores if s > 0]
    if not scores:
        return Classification(Category.UNCLASSIFIED, 0.0, (), None)
    score, best = scores[0]
    runner_up = scores[1][1] if len(scores) > 1 else None
    return Classification(best, score, _ordered(counted[best], norm), runner_up)


def keywords_in(text: str, taxonomy: Taxonomy, category: Category | None = None) -> tuple[str, ...]:
    """The counted keywords of ``category`` (or of all categories) in ``text``, text order."""
    norm = normalise(text)
    counted = taxonomy._counted(norm)
    if category is not None:
        return _ordered(counted.get(category, ()), norm)
    return _ordered((k for kws in counted.values() for k in kws), norm)


def parse_keyword_tables(
    data: Mapping[str, Any], where: str = ""
) -> dict[Category, dict[str, float]]:
    """Read ``{"N": {"keywords": [...], "weights": {kw: w}}}`` as parsed from TOML.

    ``keywords`` get weight 1; ``weights`` override or add keywords.  Weights of 0 are kept
    (they mean "remove" for :meth:`Taxonomy.merged`).  Errors name the key path under
    ``where`` and the value.
    """
    if not isinstance(data, Mapping):
        raise _fail(where, data, "expected a table of category numbers")
    out: dict[Category, dict[str, float]] = {}
    for key, table in data.items():
        path = f"{where}.{key}" if where else str(key)
        category = _category(key, path)
        if not isinstance(table, Mapping):
            raise _fail(path, table, "expected a table with 'keywords' and/or 'weights'")
        unknown = sorted(set(table) - {"keywords", "weights"})
        if unknown:
            bad = unknown[0]
            raise _fail(f"{path}.{bad}", table[bad], "unknown key (expected keywords, weights)")
        entries = out.setdefault(category, {})
        keywords = table.get("keywords", [])
        if not isinstance(keywords, list):
            raise _fail(f"{path}.keywords", keywords, "expected a list of strings")
        for index, raw in enumerate(keywords):
            entries[_keyword(raw, f"{path}.keywords[{index}]")] = 1.0
        weights = table.get("weights", {})
        if not isinstance(weights, Mapping):
            raise _fail(f"{path}.weights", weights, "expected a table of keyword -> weight")
        for raw, weight in weights.items():
            kw_path = f"{path}.weights.{raw}"
            entries[_keyword(raw, kw_path)] = _weight(weight, kw_path)
    return out


def load_taxonomy(path: str | PathLike[str] | None = None) -> Taxonomy:
    """Load a taxonomy file; ``None`` loads the one shipped in ``serviceframe/data``."""
    return _packaged() if path is None else _load(path)


@cache
def _packaged() -> Taxonomy:  # immutable: read once per process
    return _load(None)


def _load(path: str | PathLike[str] | None) -> Taxonomy:
    source, data = read_data_file(path, _PACKAGED)
    try:
        return Taxonomy(parse_keyword_tables(data))
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def read_data_file(path: str | PathLike[str] | None, packaged: str) -> tuple[str, dict[str, Any]]:
    """(source, data) of a TOML data file: ``path``, or the one shipped in the package as
    ``serviceframe/<packaged>`` when ``path`` is None. Errors name the file."""
    if path is None:
        source = f"serviceframe/{packaged}"
        try:
            raw = resources.files("serviceframe").joinpath(packaged).read_bytes()
        except OSError as exc:
            raise ConfigError(f"{source}: cannot read the packaged file: {exc}") from exc
    else:
        source = str(path)
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except OSError as exc:
            raise ConfigError(f"{source}: cannot read: {exc.strerror or exc}") from exc
    try:
        return source, tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{source}: not UTF-8: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from exc
