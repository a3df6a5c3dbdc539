"""Enterprise policies (涉企政策, R4): the catalogue an enterprise searches on the portal.

A policy is issued by a body on a date, is in force from a date until a date (or open-ended),
serves one or more of the nine service categories, and applies to industries (GB/T 4754 codes
at any level: ``C`` is all manufacturing, ``C26`` the chemical industry, ``C2614`` one class;
none means every industry) and optionally to enterprise sizes.

Search text is *folded* before it is stored or compared (:func:`fold`): full-width letters and
digits become half-width, compatibility forms their plain letters, upper case lower case, so
that ``ＩＳＯ９００１``, ``ISO9001`` and ``iso9001`` are the same text to search.
"""

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from attrs import Factory, field, frozen

from serviceframe.domain.categories import Category, parse_category
from serviceframe.domain.enterprise import normalise_industry
from serviceframe.errors import ValidationError

# Widths of the store's columns, checked here so that an overlong value is an error naming the
# field (and in an import the line and column), never a database error.
TITLE_MAX = 300
ISSUER_MAX = 200
DOC_NO_MAX = 100
URL_MAX = 500
BODY_MAX = 200_000
QUERY_MAX = 200


class Validity(StrEnum):
    """Whether a policy is in force on a given day."""

    CURRENT = "current"  # 现行有效
    UPCOMING = "upcoming"  # 尚未生效: issued, in force from a later day
    EXPIRED = "expired"  # 已失效

    @property
    def label(self) -> str:
        return {"current": "现行有效", "upcoming": "尚未生效", "expired": "已失效"}[self.value]

    @property
    def rank(self) -> int:
        """Order in results: policies in force first, then upcoming ones, expired last."""
        return {"current": 0, "upcoming": 1, "expired": 2}[self.value]


class EnterpriseSize(StrEnum):
    """Enterprise sizes of the statistical standard (统计上大中小微型企业划分办法)."""

    LARGE = "large"  # 大型
    MEDIUM = "medium"  # 中型
    SMALL = "small"  # 小型
    MICRO = "micro"  # 微型

    @property
    def label(self) -> str:
        return {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}[self.value]


def parse_size(value: object) -> EnterpriseSize:
    """大型/中型/小型/微型 (or 大, 小企业, …) or large/medium/small/micro."""
    text = fold(str(value)).strip().removesuffix("企业")
    for size in EnterpriseSize:
        if text in (size.value, size.label, size.label[0]):
            return size
    raise ValidationError(
        "sizes",
        value,
        "not an enterprise size: 大型, 中型, 小型, 微型 (large, medium, small, micro)",
    )


def _text(name: str, limit: int, required: bool = True) -> Any:
    def check(_inst: object, _attr: object, value: str) -> None:
        if required and not value.strip():
            raise ValidationError(name, value, "must not be empty")
        if len(value) > limit:
            raise ValidationError(name, value, f"at most {limit} characters, got {len(value)}")

    return check


def _categories(values: Iterable[object]) -> tuple[Category, ...]:
    found = {parse_category(v) for v in values}
    if Category.UNCLASSIFIED in found:
        raise ValidationError("categories", 0, "not one of the nine service categories (1-9)")
    if not found:
        raise ValidationError("categories", "", "name at least one service category (1-9)")
    return tuple(sorted(found))


def _industries(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({normalise_industry(v) for v in values}))


def _sizes(values: Iterable[object]) -> tuple[EnterpriseSize, ...]:
    order = list(EnterpriseSize)
    return tuple(sorted({parse_size(v) for v in values}, key=order.index))


def _url(_inst: object, _attr: object, value: str) -> None:
    _text("source_url", URL_MAX, required=False)(_inst, _attr, value)
    if value and not re.match(r"^https?://\S+$", value):
        raise ValidationError("source_url", value, "not a web address (http:// or https://)")


@frozen
class Policy:
    """One policy of the catalogue; ``id`` is given by the store."""

    title: str = field(validator=_text("title", TITLE_MAX))
    issuer: str = field(validator=_text("issuer", ISSUER_MAX))  # 发文机关
    issued_on: date  # 发文日期
    categories: tuple[Category, ...] = field(converter=_categories)
    body: str = field(validator=_text("body", BODY_MAX))  # 全文
    # In force from this day (default: the issue date) until this day inclusive (None: open).
    valid_from: date = field(default=Factory(lambda self: self.issued_on, takes_self=True))
    valid_to: date | None = None
    industries: tuple[str, ...] = field(default=(), converter=_industries)  # () = every industry
    sizes: tuple[EnterpriseSize, ...] = field(default=(), converter=_sizes)  # () = every size
    doc_no: str = field(default="", validator=_text("doc_no", DOC_NO_MAX, required=False))  # 文号
    source_url: str = field(default="", validator=_url)
    id: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValidationError(
                "valid_to", self.valid_to.isoformat(), f"before valid_from {self.valid_from}"
            )

    def validity(self, on: date) -> Validity:
        return validity(self.valid_from, self.valid_to, on)


def validity(valid_from: date, valid_to: date | None, on: date) -> Validity:
    if valid_to is not None and on > valid_to:
        return Validity.EXPIRED
    if on < valid_from:
        return Validity.UPCOMING
    return Validity.CURRENT


@frozen
class PolicySummary:
    """A policy as lists show it: everything but the full text, and its validity on a day."""

    id: int
    title: str
    issuer: str
    doc_no: str
    issued_on: date
    valid_from: date
    valid_to: date | None
    validity: Validity
    categories: tuple[Category, ...]
    industries: tuple[str, ...]
    sizes: tuple[EnterpriseSize, ...]


@frozen
class PolicyHit:
    """A search result: the policy, where the text was found, and why it ranks where it does.

    ``title_terms``: how many of the query's terms its title contains; ``hits``: how often the
    terms occur in its title and text together; ``snippet``: the text around the first hit.
    """

    policy: PolicySummary
    title_terms: int
    hits: int
    snippet: str


@frozen
class PolicyMatch:
    """A policy that applies to an enterprise, and why.

    ``industry``: the policy's industry code that covers the enterprise's (``""`` when the
    policy is for every industry); ``raised``: those of the policy's categories in which the
    enterprise has raised problems.
    """

    policy: PolicySummary
    industry: str
    raised: tuple[Category, ...]


def fold(text: str) -> str:
    """Text as search compares it: NFKC (full-width → half-width, ① → 1) and case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def query_terms(text: str) -> tuple[str, ...]:
    """The terms of a query: folded, split at spaces, punctuation and symbols, deduplicated.

    ``融资、担保`` and ``融资 担保`` are two terms, both of which a policy must contain;
    ``ISO9001认证`` is one. Chinese has no spaces between words, so a term is found anywhere in
    the text, also inside a longer word.
    """
    if len(text) > QUERY_MAX:
        raise ValidationError("text", text[:20] + "…", f"at most {QUERY_MAX} characters")
    terms: list[str] = []
    for term in re.split(r"[^\w]|_", fold(text)):
        if term and term not in terms:
            terms.append(term)
    if not terms:
        raise ValidationError("text", text, "give a word or phrase to search for")
    return tuple(terms)


def snippet(body: str, terms: Iterable[str], width: int = 36) -> str:
    """About ``width`` characters of ``body`` around the first occurrence of any term."""
    folded = fold(body)
    found = [i for i in (folded.find(t) for t in terms) if i >= 0]
    start = 0
    if found:
        at = min(found)
        if len(folded) != len(body):  # a character folded to several (ﬁ → fi): walk to it
            position = 0
            for index, char in enumerate(body):
                if position >= at:
                    at = index
                    break
                position += len(fold(char))
            else:
                at = len(body)
        start = max(0, at - width // 3)
    piece = " ".join(body[start : start + width].split())
    return ("…" if start > 0 else "") + piece + ("…" if start + width < len(body) else "")


def industry_prefixes(industry: str) -> tuple[str, ...]:
    """The codes of a GB/T 4754 industry and of every level above it: C2614 → C, C26, C261, C2614."""
    code = normalise_industry(industry)
    return tuple(code[:n] for n in (1, 3, 4, 5) if n <= len(code))


_DAY = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ t]+00:00(?::00)?)?", re.ASCII
)
_COMPACT_DAY = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
DAY_FORMS = "2025-03-12, 2025/3/12, 2025.3.12, 2025年3月12日 or 20250312"


def parse_day(field_name: str, value: object) -> date:
    """A date as clerks write it (full-width digits too), or an error naming the field."""
    if isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    text = fold(str(value)).strip()
    match = _DAY.fullmatch(text) or _COMPACT_DAY.fullmatch(text)
    if match is None:
        raise ValidationError(field_name, value, f"not a date; write {DAY_FORMS}")
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError as exc:
        raise ValidationError(field_name, value, f"no such day ({exc})") from None
