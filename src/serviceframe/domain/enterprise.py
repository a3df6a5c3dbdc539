"""Enterprises and their key level (R2).

The key level is one ordered value rather than flags per level, so that "a city key enterprise
is also a key enterprise of its county" holds by construction: ``none < county < city <
province``, and an enterprise that is key at a level is key at every level below it on its own
chain (a province key enterprise of 温县 is also a key enterprise of 焦作市 and of 温县).
"""

import re
from enum import StrEnum

from attrs import field, frozen

from serviceframe.domain.credit_code import normalise_credit_code
from serviceframe.domain.organisation import JurisdictionKind
from serviceframe.errors import ValidationError

# GB/T 4754-2017: a section letter, optionally followed by 2, 3 or 4 digits (C, C30, C301, C3011).
_INDUSTRY = re.compile(r"^[A-T](\d{2}|\d{3}|\d{4})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class KeyLevel(StrEnum):
    NONE = "none"
    COUNTY = "county"  # 县(市、区)重点服务企业
    CITY = "city"  # 市政府重点服务企业, and therefore also of its county
    PROVINCE = "province"  # 省重点服务企业, and therefore also of its city and county

    @property
    def rank(self) -> int:
        """0 for none, then 1 county, 2 city, 3 province: the ranks of JurisdictionKind."""
        return {"none": 0, "county": 1, "city": 2, "province": 3}[self.value]

    @property
    def is_county_key(self) -> bool:
        """Key at some level: everything but NONE (every key enterprise is its county's)."""
        return self is not KeyLevel.NONE

    @property
    def is_city_key(self) -> bool:
        return self.rank >= KeyLevel.CITY.rank

    def is_key_at(self, kind: JurisdictionKind) -> bool:
        """Whether an enterprise of this level is a key enterprise of a jurisdiction of
        ``kind`` above it (or its own)."""
        return self is not KeyLevel.NONE and self.rank >= kind.rank

    @property
    def label(self) -> str:
        return KEY_LEVEL_LABELS[self]


KEY_LEVEL_LABELS = {
    KeyLevel.NONE: "一般企业",
    KeyLevel.COUNTY: "县(市、区)重点",
    KeyLevel.CITY: "市重点",
    KeyLevel.PROVINCE: "省重点",
}


def key_level_of(kind: JurisdictionKind) -> KeyLevel:
    """The key level a jurisdiction of ``kind`` designates: its key enterprises' level."""
    return {3: KeyLevel.PROVINCE, 2: KeyLevel.CITY}.get(kind.rank, KeyLevel.COUNTY)


# What clerks write in the 重点级别 column, besides the values themselves.
KEY_LEVEL_ALIASES = {
    "": "none",
    "否": "none",
    "一般": "none",
    "一般企业": "none",
    "县重点": "county",
    "区重点": "county",
    "县区重点": "county",
    "县(市、区)重点": "county",
    "市重点": "city",
    "省重点": "province",
}


def parse_key_level(value: object) -> KeyLevel:
    text = str(value or "none").strip().lower()
    text = KEY_LEVEL_ALIASES.get(text, text)
    try:
        return KeyLevel(text)
    except ValueError:
        raise ValidationError(
            "key_level", value, "must be province, city, county or none (省重点、市重点、县重点)"
        ) from None


def normalise_industry(value: str) -> str:
    code = str(value).strip().upper()
    if not _INDUSTRY.match(code):
        raise ValidationError(
            "industry", value, "a GB/T 4754 code is a letter A-T and 2-4 digits, e.g. C3011"
        )
    return code


# The widths of the store's columns: checked here so that an overlong value is a row error
# naming the field, not a database error that fails a whole import on PostgreSQL.
NAME_MAX = 200
ADDRESS_MAX = 300


def _not_empty(field_name: str, value: str) -> None:
    if not value.strip():
        raise ValidationError(field_name, value, "must not be empty")
    _at_most(field_name, value, NAME_MAX)


def _at_most(field_name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise ValidationError(field_name, value, f"at most {limit} characters, got {len(value)}")


def _email(_inst: object, _attr: object, value: str) -> None:
    if value and not _EMAIL.match(value):
        raise ValidationError("email", value, "not an e-mail address")


@frozen
class Contact:
    person: str
    phone: str = ""
    email: str = field(default="", validator=_email)


@frozen
class Enterprise:
    credit_code: str = field(converter=normalise_credit_code)
    name: str = field(validator=lambda _i, _a, v: _not_empty("name", v))
    jurisdiction: str
    industry: str = field(converter=normalise_industry)
    key_level: KeyLevel = KeyLevel.NONE
    contacts: tuple[Contact, ...] = ()
    address: str = field(
        default="", validator=lambda _i, _a, v: _at_most("address", v, ADDRESS_MAX)
    )
