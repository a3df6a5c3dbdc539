"""Chinese working days for deadlines (限时办理).

A deadline is counted in working days: official holidays are off and make-up working days
(调休, usually a Saturday or Sunday) are worked. The days come from the ``chinesecalendar``
package, and an override file supplies years it does not know yet or local changes.

A year that neither source knows is never guessed silently: the day is taken as Mon–Fri, the
result is marked *provisional* and a ``ProvisionalDeadlineWarning`` is issued, so that the
deadline can be recomputed once the year's data is added. With ``strict=True`` that is a
``CalendarError`` instead.

All dates are Shanghai dates: the State Council's calendar is the only one that matters here.
"""

from __future__ import annotations

import re
import tomllib
import warnings
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import chinese_calendar
from attrs import define, field, frozen

from serviceframe.errors import CalendarError, ConfigError

SHANGHAI = ZoneInfo("Asia/Shanghai")

_ONE_DAY = timedelta(days=1)


class ProvisionalDeadlineWarning(UserWarning):
    """A deadline was computed on Mon–Fri because a year has no holiday data yet."""


@frozen
class YearOverride:
    """One year's local calendar; when present it replaces chinesecalendar for that year."""

    # Days off that would otherwise be working days. Listing every official holiday, weekend
    # ones included, is harmless, so a year can be copied from the State Council notice as is.
    holidays: frozenset[date] = field(factory=frozenset)
    # Make-up working days: weekend days that are worked.
    workdays: frozenset[date] = field(factory=frozenset)


@frozen
class Deadline:
    due: date  # last working day allowed, inclusive
    provisional: bool  # some day looked at lay in a year with no calendar data

    def overdue_at(self, now: datetime) -> bool:
        """True when ``now`` is after the end of ``due``, Shanghai time."""
        # A naive time would be read in the server's zone, which is the bug this guards against.
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError(f"now={now!r}: must be time-zone aware")
        end_of_due = datetime.combine(self.due + _ONE_DAY, time(), tzinfo=SHANGHAI)
        return now >= end_of_due


def _freeze_overrides(overrides: Mapping[int, YearOverride]) -> Mapping[int, YearOverride]:
    # A read-only copy: the per-day cache would go stale if the caller's dict changed later.
    # Checked here too (not only in the loader) because a wrong key is otherwise silently unused.
    for year, override in overrides.items():
        if not isinstance(year, int) or not isinstance(override, YearOverride):
            raise TypeError(f"overrides[{year!r}]: expected int -> YearOverride")
        stray = sorted(d for d in override.holidays | override.workdays if d.year != year)
        if stray:
            raise ValueError(f"overrides[{year}]: dates outside {year}: {stray}")
    return MappingProxyType(dict(overrides))


def _forget_cache(instance: WorkCalendar, _attribute: Any, value: Any) -> Any:
    # Called when `overrides` is reassigned: cached answers may no longer hold.
    instance._cache.clear()
    return value


def _shanghai_date(moment: date | datetime) -> date:
    # datetime is a subclass of date, so it has to be tested first.
    if isinstance(moment, datetime):
        if moment.tzinfo is not None and moment.utcoffset() is not None:
            moment = moment.astimezone(SHANGHAI)
        return moment.date()
    return moment


@define
class WorkCalendar:
    overrides: Mapping[int, YearOverride] = field(
        factory=dict,
        converter=_freeze_overrides,
        on_setattr=attrs.setters.pipe(attrs.setters.convert, _forget_cache),
    )
    strict: bool = False
    # Per-day answers (is working day, provisional); bulk intake asks for the same days often.
    # Not part of equality or repr. It is replaced in __attrs_post_init__ so that a cache
    # handed in by attrs.evolve() (which copies every init argument) is never shared.
    _cache: dict[date, tuple[bool, bool]] = field(
        factory=dict, repr=False, eq=False, alias="_cache"
    )

    def __attrs_post_init__(self) -> None:
        self._cache = {}

    def known_year(self, year: int) -> bool:
        if year in self.overrides:
            return True
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            return False
        return True

    def is_workday(self, day: date) -> tuple[bool, bool]:
        """(is working day, provisional); provisional means a Mon–Fri guess."""
        day = _shanghai_date(day)
        answer = self._cache.get(day)
        if answer is None:
            answer = self._cache[day] = self._lookup(day)
        if answer[1] and self.strict:
            raise CalendarError(_missing_year_message(day.year))
        return answer

    def _lookup(self, day: date) -> tuple[bool, bool]:
        override = self.overrides.get(day.year)
        if override is not None:
            if day in override.workdays:
                return True, False
            return day not in override.holidays and day.weekday() < 5, False
        try:
            return chinese_calendar.is_workday(day), False
        except NotImplementedError:
            return day.weekday() < 5, True

    def add_workdays(self, start: date | datetime, n: int) -> Deadline:
        """The n-th working day after start's (Shanghai) date; the start day never counts."""
        if n < 1:
            raise ValueError(f"n={n!r}: must be at least 1 working day")
        day = _shanghai_date(start)
        guessed: set[int] = set()
        counted = 0
        while counted < n:
            day += _ONE_DAY
            working, provisional = self.is_workday(day)
            # Days skipped count too: a guessed weekend may really be a make-up working day.
            if provisional:
                guessed.add(day.year)
            if working:
                counted += 1
        _warn_provisional(guessed)
        return Deadline(due=day, provisional=bool(guessed))

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; 0 when end <= start."""
        day, end = _shanghai_date(start), _shanghai_date(end)
        guessed: set[int] = set()
        count = 0
        while day < end:
            day += _ONE_DAY
            working, provisional = self.is_workday(day)
            if provisional:
                guessed.add(day.year)
            count += working
        # The int result cannot carry a provisional flag, so the warning is the only signal.
        _warn_provisional(guessed)
        return count


def _missing_year_message(year: int) -> str:
    return (
        f"no working-day calendar for {year}: chinesecalendar does not know it and the override "
        f"file has no [{year}] table; add [{year}] with its holidays and make-up workdays to the "
        "override file"
    )


def _warn_provisional(years: Iterable[int]) -> None:
    years = sorted(years)
    if years:
        warnings.warn(
            ProvisionalDeadlineWarning(
                f"deadline is provisional (Mon–Fri) for {', '.join(map(str, years))}: "
                "no holiday data; add the year to the override file and recompute"
            ),
            stacklevel=3,  # point at the caller of add_workdays / workdays_between
        )


# ---------------------------------------------------------------------------------------------
# Override file


_YEAR_KEY = re.compile(r"\d{4}", re.ASCII)  # ASCII: int() would also accept "２０２７"


def load_overrides(path: str | Path) -> dict[int, YearOverride]:
    """Read the override TOML: one ``[YYYY]`` table with ``holidays`` and ``workdays`` lists."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the override file: {e}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e

    def bad(key: str, value: object, reason: str) -> ConfigError:
        # TOML dates read back as ISO text, as the clerk typed them, not as datetime.date(...)
        shown = value.isoformat() if isinstance(value, date) else repr(value)
        return ConfigError(f"{path}: {key} = {shown}: {reason}")

    result: dict[int, YearOverride] = {}
    for year_key, table in data.items():
        if not _YEAR_KEY.fullmatch(year_key):
            raise bad(year_key, table, "unknown key; expected a four-digit year table like [2027]")
        if not isinstance(table, dict):
            raise bad(year_key, table, "expected a table with holidays and workdays")
        unknown = sorted(table.keys() - {"holidays", "workdays"})
        if unknown:
            name = unknown[0]
            raise bad(f"{year_key}.{name}", table[name], "unknown key; expected holidays, workdays")
        year = int(year_key)
        holidays = _read_dates(table.get("holidays", []), year, f"{year_key}.holidays", bad)
        workdays = _read_dates(table.get("workdays", []), year, f"{year_key}.workdays", bad)
        # A day cannot be both; point at the workday entry, the later one in the file's format.
        for key, day in workdays.items():
            if day in holidays.values():
                raise bad(key, day, "listed both as a holiday and as a workday")
        result[year] = YearOverride(
            holidays=frozenset(holidays.values()), workdays=frozenset(workdays.values())
        )
    return result


def _read_dates(
    raw: object, year: int, key: str, bad: Callable[[str, object, str], ConfigError]
) -> dict[str, date]:
    """The dates of one list, keyed by their key path (``2027.holidays[3]``) for messages."""
    if not isinstance(raw, list):
        raise bad(key, raw, 'expected a list of dates like "2027-01-01"')
    days: dict[str, date] = {}
    for i, value in enumerate(raw):
        day = _as_date(value)
        if day is None:
            raise bad(f"{key}[{i}]", value, "not a date; expected YYYY-MM-DD")
        if day.year != year:
            raise bad(f"{key}[{i}]", value, f"date not in {year}")
        days[f"{key}[{i}]"] = day
    return days


def _as_date(value: object) -> date | None:
    # TOML has a native date type; a quoted ISO string is accepted as well.
    if isinstance(value, datetime):  # a date with a time of day is not a day
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII):
        try:
            return date.fromisoformat(value)
        except ValueError:  # 2027-02-30
            return None
    return None
