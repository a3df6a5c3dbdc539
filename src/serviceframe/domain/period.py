"""Reporting periods as clerks write them: 2026, 2026-H2, 2026-Q3, 2026-09, 2026-09-28, 2026-09-01..2026-09-30.

Dates are Beijing dates, both ends inclusive; ``start_at``/``end_at`` are the Beijing
midnights that bound the period, for comparing with stored (UTC) timestamps.
"""

import re
from datetime import date, datetime, time, timedelta

from attrs import frozen

from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import ValidationError

_YEAR = re.compile(r"(\d{4})", re.ASCII)
_QUARTER = re.compile(r"(\d{4})-?[Qq](\d)", re.ASCII)
_MONTH = re.compile(r"(\d{4})-(\d{1,2})", re.ASCII)
_WEEK = re.compile(r"(\d{4})-?[Ww](\d{1,2})", re.ASCII)
_HALF = re.compile(r"(\d{4})-?[Hh]([12])", re.ASCII)
_DAY = r"\d{4}-\d{1,2}-\d{1,2}"
_RANGE = re.compile(rf"({_DAY})\s*\.\.\s*({_DAY})", re.ASCII)
_ONE_DAY = re.compile(_DAY, re.ASCII)
_MIN_YEAR, _MAX_YEAR = 1900, 2999

PERIOD_FORMS = "2026, 2026-H2, 2026-Q3 (or 2026Q3), 2026-09, 2026-W47 (ISO week), 2026-09-28, or 2026-09-01..2026-09-30"


@frozen
class Period:
    """Beijing dates, both inclusive."""

    start: date
    end: date
    text: str = ""

    @property
    def start_at(self) -> datetime:
        """The first moment of the period (Beijing midnight of ``start``)."""
        return datetime.combine(self.start, time(), tzinfo=SHANGHAI)

    @property
    def end_at(self) -> datetime:
        """The first moment after the period (exclusive)."""
        return datetime.combine(self.end + timedelta(days=1), time(), tzinfo=SHANGHAI)

    def __str__(self) -> str:
        return self.text or f"{self.start.isoformat()}..{self.end.isoformat()}"


def parse_period(value: str) -> Period:
    """``2026``, ``2026-Q3``/``2026Q3``, ``2026-09``, ``2026-09-28`` or ``A..B`` (inclusive)."""
    text = str(value).strip()

    def bad(reason: str) -> ValidationError:
        return ValidationError("period", value, reason)

    def year_of(digits: str) -> int:
        year = int(digits)
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            raise bad(f"year {year} is out of range ({_MIN_YEAR}-{_MAX_YEAR})")
        return year

    def day_of(part: str) -> date:
        year, month, day = (int(x) for x in part.split("-"))
        year_of(str(year))
        try:
            return date(year, month, day)
        except ValueError as exc:
            raise bad(f"{part} is not a date ({exc})") from None

    if m := _YEAR.fullmatch(text):
        year = year_of(m[1])
        return Period(date(year, 1, 1), date(year, 12, 31), text)
    if m := _QUARTER.fullmatch(text):
        year, quarter = year_of(m[1]), int(m[2])
        if not 1 <= quarter <= 4:
            raise bad(f"quarter Q{quarter} does not exist; use Q1-Q4")
        first = date(year, 3 * quarter - 2, 1)
        return Period(first, _month_end(year, 3 * quarter), f"{year}-Q{quarter}")
    if m := _WEEK.fullmatch(text):
        year, week = year_of(m[1]), int(m[2])
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            raise bad(f"week {week} does not exist in {year}") from None
        return Period(monday, monday + timedelta(days=6), f"{year}-W{week:02d}")
    if m := _HALF.fullmatch(text):
        year, half = year_of(m[1]), int(m[2])
        return Period(date(year, 6 * half - 5, 1), _month_end(year, 6 * half), f"{year}-H{half}")
    if m := _MONTH.fullmatch(text):
        year, month = year_of(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise bad(f"month {month} does not exist; use 01-12")
        return Period(date(year, month, 1), _month_end(year, month), f"{year}-{month:02d}")
    if _ONE_DAY.fullmatch(text):
        day = day_of(text)
        return Period(day, day, day.isoformat())
    if m := _RANGE.fullmatch(text):
        start, end = day_of(m[1]), day_of(m[2])
        if end < start:
            raise bad(f"the end {end.isoformat()} is before the start {start.isoformat()}")
        return Period(start, end, f"{start.isoformat()}..{end.isoformat()}")
    if not text:
        raise bad(f"is empty; give {PERIOD_FORMS}")
    raise bad(f"not a period; give {PERIOD_FORMS}")


def _month_end(year: int, month: int) -> date:
    first_of_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first_of_next - timedelta(days=1)


def quarters(period: Period) -> tuple[Period, ...]:
    """The calendar quarters that overlap ``period``, whole (R5: visits once a quarter)."""
    return _spans(period, 3, "Q")


def halves(period: Period) -> tuple[Period, ...]:
    """The half-years that overlap ``period``, whole (R5: a symposium every half year)."""
    return _spans(period, 6, "H")


def _spans(period: Period, months: int, letter: str) -> tuple[Period, ...]:
    spans: list[Period] = []
    year, n = period.start.year, (period.start.month - 1) // months
    while True:
        first = date(year, n * months + 1, 1)
        if first > period.end:
            return tuple(spans)
        last = _month_end(year, n * months + months)
        spans.append(Period(first, last, f"{year}-{letter}{n + 1}"))
        year, n = (year + 1, 0) if (n + 1) * months >= 12 else (year, n + 1)


def previous(period: Period) -> Period:
    """The period before ``period``, of the same kind: 2026-Q3 → 2026-Q2, 2026 → 2025,
    2026-01 → 2025-12, 2026-W01 → 2025-W52; any other range → the same number of days just
    before it."""
    start, end = period.start, period.end
    if start.day == 1 and end == _month_end(end.year, end.month):
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        if months in (1, 3, 6, 12) and (start.month - 1) % months == 0:
            index = start.year * 12 + start.month - 1 - months
            year, month = divmod(index, 12)
            first = date(year, month + 1, 1)
            last = _month_end(year, month + months)
            text = {
                1: f"{year}-{month + 1:02d}",
                3: f"{year}-Q{month // 3 + 1}",
                6: f"{year}-H{month // 6 + 1}",
                12: f"{year}",
            }[months]
            return Period(first, last, text)
    days = (end - start).days + 1
    if days == 7 and start.isoweekday() == 1:  # an ISO week: the week before
        monday = start - timedelta(days=7)
        year, week, _ = monday.isocalendar()
        return Period(monday, monday + timedelta(days=6), f"{year}-W{week:02d}")
    before = start - timedelta(days=1)
    first = before - timedelta(days=days - 1)
    text = first.isoformat() if days == 1 else f"{first.isoformat()}..{before.isoformat()}"
    return Period(first, before, text)
