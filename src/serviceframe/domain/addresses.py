"""Addresses people are reached at: one normal form, so a sender is recognised however written.

An e-mail address is compared in lower case; a phone number as its digits, without the
country code (``+86 187-2944-1960`` and ``18729441960`` are the same number).
"""

import re
from collections.abc import Iterable, Mapping
from email.utils import parseaddr

_NOT_DIGIT = re.compile(r"\D")


def normalise(kind: str, value: str) -> str:
    """The form addresses of ``kind`` are stored and compared in."""
    value = value.strip()
    if kind == "email":
        return parseaddr(value)[1].strip().lower() or value.lower()
    if kind == "phone":
        digits = _NOT_DIGIT.sub("", value)
        for prefix in ("0086", "86"):
            if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
                return digits[len(prefix) :]
        return digits
    return value


def contact_rows(code: str, contacts: Iterable[Mapping[str, str]]) -> list[dict[str, object]]:
    """Rows of ``contact_addresses`` for one enterprise's contacts (phone and e-mail)."""
    rows: dict[tuple[str, str], dict[str, object]] = {}
    for position, contact in enumerate(contacts):
        for kind in ("email", "phone"):
            value = normalise(kind, contact.get(kind) or "")
            if value and len(value) <= 200:
                rows.setdefault(
                    (kind, value),
                    {"kind": kind, "value": value, "enterprise_code": code, "contact": position},
                )
    return list(rows.values())
