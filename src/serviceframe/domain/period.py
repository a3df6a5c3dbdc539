"""Reporting periods as clerks write them: 2026, 2026-Q3, 2026-09, 2026-09-01..2026-09-30."""

import re
from datetime import date, datetime, time, timedelta

from attrs import frozen

from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import ValidationError

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")


@frozen
class Period:
    start: date  # first day, inclusive
    end: date  # last day, inclusive

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time(), SHANGHAI)

    @property
    def ends_before(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), SHANGHAI)


def parse_period(value: str) -> Period:
    text = value.strip()
    try:
        if m := _YEAR.match(text):
            y = int(m[1])
            return Period(date(y, 1, 1), date(y, 12, 31))
        if m := _QUARTER.match(text):
            y, q = int(m[1]), int(m[2])
            start = date(y, 3 * q - 2, 1)
            return Period(start, _month_end(y, 3 * q))
        if m := _MONTH.match(text):
            y, mo = int(m[1]), int(m[2])
            return Period(date(y, mo, 1), _month_end(y, mo))
        if ".." in text:
            a, b = (date.fromisoformat(x.strip()) for x in text.split("..", 1))
            if b < a:
                raise ValidationError("period", value, "ends before it starts")
            return Period(a, b)
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            raise
        raise ValidationError("period", value, str(exc)) from None
    raise ValidationError("period", value, "use 2026, 2026-Q3, 2026-09 or 2026-09-01..2026-09-30")


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)
