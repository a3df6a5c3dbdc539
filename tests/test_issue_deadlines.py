"""限时办理: an issue's deadlines in Chinese working days, with holidays and make-up working days,
a provisional Mon–Fri guess for a year nobody knows yet, an override file, and strict mode.

Every test here runs on SQLite and, with ``SERVICEFRAME_TEST_DB`` set, on PostgreSQL.
"""

import json
import warnings
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.demo import example_dir
from serviceframe.domain.issue import STATE_KINDS, Due, Status, replay
from serviceframe.domain.workdays import ProvisionalDeadlineWarning
from serviceframe.errors import CalendarError
from serviceframe.services import issues as svc
from serviceframe.services.issues import IssueDraft
from serviceframe.services.organisation import load_organisation
from serviceframe.testing.clock import Clock

SH = ZoneInfo("Asia/Shanghai")
E1 = "914108026469439561"
LEAD = "jz-fgw"
BODY = "我公司近期频繁遭遇拉闸限电，请协调供电部门保障用电。"

# 2027's New Year holiday as a clerk would copy it from the State Council notice.
HOLIDAYS_2027 = """\
[2027]
holidays = [2027-01-01, 2027-01-02, 2027-01-03]
workdays = []
"""


@pytest.fixture
def clock():
    return Clock(datetime(2026, 9, 28, 10, 0, tzinfo=SH))


@pytest.fixture
def app(jiaozuo_app, clock):
    jiaozuo_app.clock = clock
    return jiaozuo_app


def accepted(app, severity: str = "general", received_at: datetime | None = None) -> int:
    issue = svc.file_issue(app, IssueDraft(E1, "hotline", BODY, received_at=received_at)).issue
    return svc.accept(app, issue.id, severity=severity).id


def stored(app, issue_id: int):
    with app.uow() as uow:
        return uow.issues.get(issue_id)


def assert_replays(app, issue_id: int):
    with app.uow() as uow:
        state, events = uow.issues.get(issue_id), uow.issues.events(issue_id)
    assert state == replay(events)
    return state


def dues(issue) -> tuple[date, date, date]:
    return issue.ack_due.on, issue.feedback_due.on, issue.resolve_due.on


def dispatch_quietly(app, issue_id: int):
    """Dispatch, failing the test if a provisional-deadline warning is issued."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProvisionalDeadlineWarning)
        return svc.dispatch(app, issue_id, LEAD)


def org_file(tmp_path, deadlines: str, overrides: str | None = None):
    """The bundled organisation file with its [deadlines] section changed."""
    text = (example_dir() / "organisation.toml").read_text(encoding="utf-8")
    assert "strict_calendar = false\n" in text
    text = text.replace("strict_calendar = false\n", deadlines + "\n", 1)
    if overrides is not None:
        (tmp_path / "holidays.toml").write_text(overrides, encoding="utf-8")
    path = tmp_path / "organisation.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- National Day and Spring Festival 2026 --------------------------------------------------


def test_national_day_2026(app):
    """Dispatched Monday 2026-09-28: 10-01…10-07 are off, Saturday 10-10 is worked."""
    issue = dispatch_quietly(app, accepted(app))
    assert dues(issue) == (date(2026, 9, 29), date(2026, 10, 8), date(2026, 10, 13))
    assert not any(d.provisional for d in issue.deadlines.values())
    assert stored(app, issue.id).deadlines == issue.deadlines


def test_major_and_policy_issues_get_twenty_working_days(app):
    major = dispatch_quietly(app, accepted(app, "major"))
    policy = dispatch_quietly(app, accepted(app, "policy"))
    assert major.resolve_due == Due(date(2026, 10, 30))
    assert policy.resolve_due == Due(date(2026, 10, 30))
    assert major.ack_due == Due(date(2026, 9, 29))


def test_the_day_counts_in_shanghai_not_in_utc(app, clock):
    """00:30 on Monday in Shanghai is still Sunday in UTC: the clock starts from Monday."""
    clock.now = datetime(2026, 9, 27, 16, 30, tzinfo=UTC)
    issue = dispatch_quietly(app, accepted(app))
    assert dues(issue) == (date(2026, 9, 29), date(2026, 10, 8), date(2026, 10, 13))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Friday before the holiday: Saturday 02-14 is a make-up working day.
        (13, (date(2026, 2, 14), date(2026, 2, 25), date(2026, 3, 2))),
        # Dispatched during the holiday: the first working day is 02-24, and 02-28 is worked.
        (17, (date(2026, 2, 24), date(2026, 2, 26), date(2026, 3, 3))),
    ],
)
def test_spring_festival_2026(app, clock, day, expected):
    clock.set(2026, 2, day, 10, 0)
    issue = dispatch_quietly(app, accepted(app))
    assert dues(issue) == expected
    assert_replays(app, issue.id)


def test_spring_festival_major_issue(app, clock):
    clock.set(2026, 2, 13, 10, 0)
    issue = dispatch_quietly(app, accepted(app, "major"))
    assert issue.resolve_due == Due(date(2026, 3, 19))


def test_redo_deadline_counts_working_days_from_the_rating(app, clock):
    clock.set(2026, 2, 11, 9, 0)
    issue_id = accepted(app)
    svc.dispatch(app, issue_id, LEAD)
    svc.acknowledge(app, issue_id, LEAD)
    svc.resolve(app, issue_id, "已处理")
    clock.set(2026, 2, 13, 17, 0)
    issue = svc.rate(app, issue_id, "unsatisfied")
    # 5 working days after Friday 02-13: 02-14 (调休), 02-24, 02-25, 02-26, 02-27.
    assert issue.resolve_due == Due(date(2026, 2, 27))
    assert assert_replays(app, issue_id).resolve_due == Due(date(2026, 2, 27))


# --- a year nobody knows yet ---------------------------------------------------------------------


def test_a_deadline_in_2027_is_provisional_with_a_warning(app, clock):
    clock.set(2026, 12, 28, 10, 0)
    issue_id = accepted(app)
    with pytest.warns(ProvisionalDeadlineWarning, match="2027"):
        issue = svc.dispatch(app, issue_id, LEAD)
    # 12-29, 12-30, 12-31 are known; then 2027 is guessed Mon–Fri: 01-01, 01-04, 01-05, 01-06.
    assert issue.ack_due == Due(date(2026, 12, 29), provisional=False)
    assert issue.feedback_due == Due(date(2026, 12, 31), provisional=False)
    assert issue.resolve_due == Due(date(2027, 1, 6), provisional=True)
    assert stored(app, issue_id).resolve_due == Due(date(2027, 1, 6), provisional=True)
    assert_replays(app, issue_id)


def test_the_cli_shows_a_provisional_deadline_as_provisional(app, clock):
    clock.set(2026, 12, 28, 10, 0)
    issue_id = accepted(app)
    runner_obj = CliContext(app=app)
    from click.testing import CliRunner

    runner = CliRunner()
    with pytest.warns(ProvisionalDeadlineWarning):
        result = runner.invoke(
            cli, ["issue", "dispatch", str(issue_id), "--lead", LEAD, "--json"], obj=runner_obj
        )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["deadlines"]["resolve"] == {"due": "2027-01-06", "provisional": True}
    assert data["deadlines"]["acknowledge"] == {"due": "2026-12-29", "provisional": False}
    assert "provisional" in result.stderr and "resolve" in result.stderr

    shown = runner.invoke(cli, ["issue", "show", str(issue_id)], obj=runner_obj)
    assert shown.exit_code == 0, shown.output
    assert "resolve 2027-01-06 (暂定 provisional)" in shown.stdout
    assert "provisional" in shown.stderr
    listed = runner.invoke(cli, ["issue", "list", "--json"], obj=runner_obj)
    (row,) = json.loads(listed.stdout)
    assert row["deadlines"]["resolve"]["provisional"] is True


def test_an_override_file_makes_2027_known(app, clock, tmp_path):
    clock.set(2026, 12, 28, 10, 0)
    early = accepted(app)
    with pytest.warns(ProvisionalDeadlineWarning):
        svc.dispatch(app, early, LEAD)

    path = org_file(
        tmp_path, 'strict_calendar = false\ncalendar_overrides = "holidays.toml"', HOLIDAYS_2027
    )
    load_organisation(app, path)

    issue = dispatch_quietly(app, accepted(app))
    # New Year's Day 2027 is off: 12-29, 12-30, 12-31, 01-04, 01-05, 01-06, 01-07.
    assert issue.resolve_due == Due(date(2027, 1, 7), provisional=False)
    assert stored(app, issue.id).resolve_due == Due(date(2027, 1, 7), provisional=False)

    # The deadline guessed before the data came is put right, and the change is an event.
    recomputed = assert_replays(app, early)
    assert recomputed.resolve_due == Due(date(2027, 1, 7), provisional=False)
    with app.uow() as uow:
        kinds = [e.kind for e in uow.issues.events(early) if e.kind in STATE_KINDS]
    assert kinds[-1] == "deadlines_recomputed"


def test_strict_calendar_refuses_to_guess_and_stores_nothing(app, clock, tmp_path):
    load_organisation(app, org_file(tmp_path, "strict_calendar = true"))
    clock.set(2026, 12, 28, 10, 0)
    issue_id = accepted(app)
    before = stored(app, issue_id)
    with pytest.raises(CalendarError, match="2027"):
        svc.dispatch(app, issue_id, LEAD)
    after = stored(app, issue_id)
    assert after == before
    assert after.status is Status.ACCEPTED and after.lead_unit is None
    with app.uow() as uow:
        assert "dispatched" not in [e.kind for e in uow.issues.events(issue_id)]
    # A deadline inside a known year is still fine in strict mode.
    clock.set(2026, 9, 28, 10, 0)
    assert svc.dispatch(app, accepted(app), LEAD).resolve_due == Due(date(2026, 10, 13))


def test_strict_calendar_with_the_year_in_the_override_file(app, clock, tmp_path):
    path = org_file(
        tmp_path, 'strict_calendar = true\ncalendar_overrides = "holidays.toml"', HOLIDAYS_2027
    )
    load_organisation(app, path)
    clock.set(2026, 12, 28, 10, 0)
    issue = dispatch_quietly(app, accepted(app))
    assert issue.resolve_due == Due(date(2027, 1, 7))


def test_the_cli_reports_a_strict_calendar_error_in_one_line(app, clock, tmp_path):
    from click.testing import CliRunner

    load_organisation(app, org_file(tmp_path, "strict_calendar = true"))
    clock.set(2026, 12, 28, 10, 0)
    issue_id = accepted(app)
    result = CliRunner().invoke(
        cli, ["issue", "dispatch", str(issue_id), "--lead", LEAD], obj=CliContext(app=app)
    )
    assert result.exit_code == 1
    assert "2027" in result.stderr
    assert "Traceback" not in result.output
    assert stored(app, issue_id).status is Status.ACCEPTED


def test_an_org_load_that_fails_recomputing_deadlines_stores_nothing(app, clock, tmp_path):
    """The load and the deadlines it recomputes are one transaction: a provisional deadline
    that the new (strict) calendar cannot compute refuses the whole load."""
    clock.set(2026, 12, 28, 10, 0)
    issue_id = accepted(app)
    with pytest.warns(ProvisionalDeadlineWarning):
        svc.dispatch(app, issue_id, LEAD)
    before = stored(app, issue_id)
    path = org_file(tmp_path, "strict_calendar = true")
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'name = "焦作市服务工业企业长效机制"', 'name = "改名"', 1
        ),
        encoding="utf-8",
    )
    with app.uow() as uow:
        loads = len(uow.events.for_subject("organisation"))

    with pytest.raises(CalendarError, match="2027"):
        load_organisation(app, path)

    with app.uow() as uow:
        assert len(uow.events.for_subject("organisation")) == loads
        assert uow.org.setting("name") == "焦作市服务工业企业长效机制"
        assert uow.org.setting("deadlines")["strict_calendar"] is False
    assert stored(app, issue_id) == before
    # The same change without the strict calendar loads, and the deadline stays provisional.
    load_organisation(app, org_file(tmp_path, "strict_calendar = false"))
    assert stored(app, issue_id).resolve_due.provisional
