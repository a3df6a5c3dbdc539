"""Working-day deadlines as a clerk sees them: holidays off, 调休 days worked, no silent guesses."""

import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serviceframe.domain.workdays import (
    SHANGHAI,
    Deadline,
    ProvisionalDeadlineWarning,
    WorkCalendar,
    YearOverride,
    load_overrides,
)
from serviceframe.errors import CalendarError, ConfigError

# A made-up 2027: New Year's Day off, Saturday 2027-01-09 worked in exchange.
OVERRIDE_2027 = """\
[2027]
holidays = ["2027-01-01"]
workdays = ["2027-01-09"]
"""


@pytest.fixture
def override_file(tmp_path: Path) -> Path:
    path = tmp_path / "workdays.toml"
    path.write_text(OVERRIDE_2027, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    # A provisional warning nobody expected must fail the test, not pass by.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProvisionalDeadlineWarning)
        yield


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- chinesecalendar years -------------------------------------------------------------------


def test_national_day_2026():
    # Mon 09-28 + 7: 09-29, 09-30, (10-01..10-07 off), 10-08, 10-09, Sat 10-10 worked, 10-12, 10-13
    deadline = WorkCalendar().add_workdays(date(2026, 9, 28), 7)
    assert deadline == Deadline(due=date(2026, 10, 13), provisional=False)


def test_spring_festival_2026_makeup_saturday_counts():
    cal = WorkCalendar()
    assert cal.add_workdays(date(2026, 2, 13), 1).due == date(2026, 2, 14)  # Saturday, worked
    assert cal.add_workdays(date(2026, 2, 13), 2).due == date(2026, 2, 24)  # after 02-15..02-23
    assert cal.is_workday(date(2026, 2, 28)) == (True, False)  # Saturday, worked
    assert cal.is_workday(date(2026, 2, 16)) == (False, False)  # Monday, holiday


def test_start_day_never_counts_even_when_working():
    cal = WorkCalendar()
    assert cal.add_workdays(date(2026, 9, 29), 1).due == date(2026, 9, 30)


@pytest.mark.parametrize("n", [0, -1])
def test_n_must_be_positive(n: int):
    with pytest.raises(ValueError, match=f"n={n}"):
        WorkCalendar().add_workdays(date(2026, 9, 28), n)


def test_workdays_between_national_day():
    cal = WorkCalendar()
    assert cal.workdays_between(date(2026, 9, 28), date(2026, 10, 13)) == 7
    assert cal.workdays_between(date(2026, 10, 13), date(2026, 9, 28)) == 0
    assert cal.workdays_between(date(2026, 10, 13), date(2026, 10, 13)) == 0


# --- years nobody knows yet ------------------------------------------------------------------


def test_unknown_year_is_provisional_mon_to_fri_with_warning():
    cal = WorkCalendar()
    assert not cal.known_year(2027)
    with pytest.warns(ProvisionalDeadlineWarning, match="2027"):
        deadline = cal.add_workdays(date(2027, 1, 1), 1)  # Friday -> Monday
    assert deadline == Deadline(due=date(2027, 1, 4), provisional=True)
    assert cal.is_workday(date(2027, 1, 9)) == (False, True)  # a Saturday, guessed off


def test_unknown_year_strict_is_an_error_naming_the_year_and_the_fix():
    cal = WorkCalendar(strict=True)
    with pytest.raises(CalendarError, match="2027") as excinfo:
        cal.add_workdays(date(2026, 12, 28), 7)
    assert "override file" in str(excinfo.value)
    with pytest.raises(CalendarError, match="2027"):
        cal.is_workday(date(2027, 3, 1))
    with pytest.raises(CalendarError, match="2027"):
        cal.workdays_between(date(2026, 12, 30), date(2027, 1, 5))


def test_strict_still_answers_known_years():
    assert WorkCalendar(strict=True).add_workdays(date(2026, 9, 28), 7).due == date(2026, 10, 13)


def test_deadline_crossing_into_unknown_year_is_provisional():
    # 12-29, 12-30, 12-31, then 2027 guessed: Fri 01-01, 01-04, 01-05, 01-06
    with pytest.warns(ProvisionalDeadlineWarning, match="2027"):
        deadline = WorkCalendar().add_workdays(date(2026, 12, 28), 7)
    assert deadline == Deadline(due=date(2027, 1, 6), provisional=True)


def test_adding_the_year_later_makes_it_final(override_file: Path):
    with pytest.warns(ProvisionalDeadlineWarning):
        before = WorkCalendar().add_workdays(date(2026, 12, 28), 7)
    after = WorkCalendar(overrides=load_overrides(override_file)).add_workdays(
        date(2026, 12, 28), 7
    )
    assert before.provisional and not after.provisional
    assert after.due == date(2027, 1, 7)  # New Year's Day no longer counted


def test_reassigning_overrides_on_a_used_calendar_is_not_stale(override_file: Path):
    cal = WorkCalendar()
    with pytest.warns(ProvisionalDeadlineWarning):
        cal.add_workdays(date(2026, 12, 28), 7)
    cal.overrides = load_overrides(override_file)
    assert cal.add_workdays(date(2026, 12, 28), 7) == Deadline(date(2027, 1, 7), False)


def test_workdays_between_warns_for_unknown_year():
    with pytest.warns(ProvisionalDeadlineWarning, match="2027"):
        assert WorkCalendar().workdays_between(date(2026, 12, 31), date(2027, 1, 4)) == 2


def test_years_before_chinesecalendar_are_unknown_too():
    with pytest.warns(ProvisionalDeadlineWarning, match="2003"):
        assert WorkCalendar().add_workdays(date(2003, 12, 30), 1).provisional


# --- the override file -----------------------------------------------------------------------


def test_override_year_is_final_and_honoured(override_file: Path):
    cal = WorkCalendar(overrides=load_overrides(override_file))
    assert cal.known_year(2027)
    assert cal.is_workday(date(2027, 1, 1)) == (False, False)  # holiday
    assert cal.is_workday(date(2027, 1, 9)) == (True, False)  # make-up Saturday
    assert cal.is_workday(date(2027, 1, 10)) == (False, False)  # plain Sunday
    # Thu 12-31 + 1 skips New Year's Day; Fri 01-08 + 1 is the make-up Saturday
    assert cal.add_workdays(date(2026, 12, 31), 1) == Deadline(date(2027, 1, 4), False)
    assert cal.add_workdays(date(2027, 1, 8), 1) == Deadline(date(2027, 1, 9), False)


def test_override_replaces_chinesecalendar_for_its_year():
    # National Day 2026 declared a plain year locally: 10-01 is a Thursday, so worked.
    cal = WorkCalendar(overrides={2026: YearOverride(holidays=frozenset(), workdays=frozenset())})
    assert cal.is_workday(date(2026, 10, 1)) == (True, False)
    assert cal.is_workday(date(2026, 10, 10)) == (False, False)


def test_override_accepts_toml_native_dates(tmp_path: Path):
    path = write(tmp_path, "[2027]\nholidays = [2027-01-01]\n")
    assert load_overrides(path) == {2027: YearOverride(frozenset({date(2027, 1, 1)}), frozenset())}


@pytest.mark.parametrize(
    ("text", "key_path", "value"),
    [
        ('[2027]\nholidays = ["2027-01-01", "2027-02-05", "2027-02-06", "Feb 7"]',
         "2027.holidays[3]", "Feb 7"),
        ('[2027]\nholidays = ["2027-02-30"]', "2027.holidays[0]", "2027-02-30"),
        ('[2027]\nworkdays = ["2028-01-08"]', "2027.workdays[0]", "2028-01-08"),
        ('[2027]\nholidays = ["2027-01-09"]\nworkdays = ["2027-01-09"]',
         "2027.workdays[0]", "2027-01-09"),
        ('[2027]\nholiday = ["2027-01-01"]', "2027.holiday", "2027-01-01"),
        ('[next]\nholidays = []', "next", "holidays"),
        ('[2027]\nholidays = "2027-01-01"', "2027.holidays", "2027-01-01"),
        ("[2027]\nholidays = [2027-01-01T09:00:00]", "2027.holidays[0]", "2027-01-01"),
    ],
)  # fmt: skip
def test_bad_override_file_names_file_key_and_value(
    tmp_path: Path, text: str, key_path: str, value: str
):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as excinfo:
        load_overrides(path)
    message = str(excinfo.value)
    assert str(path) in message
    assert key_path in message
    assert value in message


def test_unreadable_override_file_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"missing\.toml"):
        load_overrides(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match=r"bad\.toml"):
        load_overrides(write(tmp_path, "[2027\n"))


def test_overrides_given_in_code_are_checked():
    with pytest.raises(ValueError, match="2028"):
        WorkCalendar(overrides={2027: YearOverride(frozenset({date(2028, 1, 1)}), frozenset())})


# --- time zones ------------------------------------------------------------------------------


def test_utc_evening_is_next_morning_in_shanghai():
    cal = WorkCalendar()
    # 2026-09-27T17:00Z is Monday 09-28 01:00 in Shanghai: same as the Monday example.
    assert cal.add_workdays(datetime(2026, 9, 27, 17, 0, tzinfo=UTC), 7).due == date(2026, 10, 13)
    # 15:59Z is still Sunday 23:59 in Shanghai: Monday itself counts, one day earlier.
    assert cal.add_workdays(datetime(2026, 9, 27, 15, 59, tzinfo=UTC), 7).due == date(2026, 10, 12)


def test_naive_datetime_is_shanghai_time():
    cal = WorkCalendar()
    assert cal.add_workdays(datetime(2026, 9, 28, 1, 0), 7).due == date(2026, 10, 13)
    assert cal.add_workdays(datetime(2026, 9, 27, 23, 59), 7).due == date(2026, 10, 12)


def test_overdue_only_after_the_end_of_the_due_day_in_shanghai():
    deadline = Deadline(due=date(2026, 10, 13), provisional=False)
    assert not deadline.overdue_at(datetime(2026, 10, 13, 23, 59, 59, 999999, tzinfo=SHANGHAI))
    assert deadline.overdue_at(datetime(2026, 10, 14, 0, 0, tzinfo=SHANGHAI))
    assert not deadline.overdue_at(datetime(2026, 10, 13, 15, 59, 59, tzinfo=UTC))
    assert deadline.overdue_at(datetime(2026, 10, 13, 16, 0, tzinfo=UTC))
    assert not deadline.overdue_at(datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI))


def test_overdue_at_refuses_naive_time():
    with pytest.raises(ValueError, match="aware"):
        Deadline(due=date(2026, 10, 13), provisional=False).overdue_at(datetime(2026, 10, 14))


# --- properties (inside the years chinesecalendar knows) -------------------------------------

CAL = WorkCalendar(strict=True)  # strict: leaving the known years would fail loudly
starts = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 9, 30))
counts = st.integers(min_value=1, max_value=30)


@given(starts, counts)
def test_due_is_a_working_day_strictly_after_start(start: date, n: int):
    deadline = CAL.add_workdays(start, n)
    assert deadline.due > start
    assert CAL.is_workday(deadline.due) == (True, False)
    assert not deadline.provisional


@given(starts, counts, counts)
def test_deadlines_compose(start: date, a: int, b: int):
    assert CAL.add_workdays(start, a + b) == CAL.add_workdays(CAL.add_workdays(start, a).due, b)


@given(starts, counts)
def test_workdays_between_inverts_add_workdays(start: date, n: int):
    due = CAL.add_workdays(start, n).due
    assert CAL.workdays_between(start, due) == n
    assert CAL.workdays_between(start, due - timedelta(days=1)) == n - 1


@given(st.datetimes(min_value=datetime(2004, 1, 2), max_value=datetime(2026, 9, 30)), counts)
def test_aware_and_naive_shanghai_agree(moment: datetime, n: int):
    aware = moment.replace(tzinfo=SHANGHAI)
    assert CAL.add_workdays(aware.astimezone(UTC), n) == CAL.add_workdays(moment, n)
