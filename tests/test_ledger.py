"""The service ledger (服务台帐): rows, roles, owners, deadlines, periods, CSV/XLSX, the CLI."""

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import event

from serviceframe.app import App
from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.domain.workdays import SHANGHAI, ProvisionalDeadlineWarning
from serviceframe.errors import ValidationError
from serviceframe.services import issues as svc
from serviceframe.services.issues import IssueDraft
from serviceframe.services.ledger import (
    HEADERS,
    DeadlineState,
    Ledger,
    LedgerRow,
    Period,
    Role,
    build_ledger,
    export_ledger,
    parse_period,
)

DONGCHANG = "914108026469439561"  # 河南东昌电缆集团有限公司
HENGZE = "9141080242426208X7"  # 焦作市恒泽制药有限公司

MET, MISSED = DeadlineState.MET, DeadlineState.MISSED
PENDING, OVERDUE = DeadlineState.PENDING, DeadlineState.OVERDUE


def bj(text: str) -> datetime:
    """A Beijing time."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


class Clock:
    def __init__(self, app: App) -> None:
        self.now = bj("2026-09-01T08:00")
        app.clock = lambda: self.now

    def set(self, text: str) -> None:
        self.now = bj(text)


class Scenario:
    """Issues moved through their lifecycle by the services, each step at a chosen moment."""

    a: int
    b: int
    c: int
    d: int
    e: int
    f: int
    g: int

    def __init__(self, app: App) -> None:
        self.app = app
        self.clock = Clock(app)

    def file(
        self, when: str, enterprise: str = DONGCHANG, by: str = "jz-edsb", title: str = ""
    ) -> int:
        self.clock.set(when)
        filed = svc.file_issue(
            self.app,
            IssueDraft(
                enterprise=enterprise,
                source="hotline",
                title=title or f"用电保障问题 {when}",
                body="企业反映近期频繁拉闸限电,影响正常生产,请求协调电力供应。",
                received_by=by,
            ),
        )
        return filed.issue.id

    def dispatch(
        self, issue_id: int, when: str, lead: str = "jz-fgw", co: tuple[str, ...] = ()
    ) -> None:
        self.clock.set(when)
        svc.accept(self.app, issue_id, category=1, severity="general")
        svc.dispatch(self.app, issue_id, lead, co)

    def ack(self, issue_id: int, when: str, unit: str = "jz-fgw") -> None:
        self.clock.set(when)
        svc.acknowledge(self.app, issue_id, unit)

    def progress(self, issue_id: int, when: str) -> None:
        self.clock.set(when)
        svc.progress(self.app, issue_id, "已与供电公司对接,正在协调")

    def resolve(self, issue_id: int, when: str) -> None:
        self.clock.set(when)
        svc.resolve(self.app, issue_id, "已协调供电公司保障用电")

    def rate(self, issue_id: int, when: str, satisfaction: str, comment: str = "") -> None:
        self.clock.set(when)
        svc.rate(self.app, issue_id, satisfaction, comment)


@pytest.fixture
def s(jiaozuo_app: App) -> Iterator[Scenario]:
    """A: on time and satisfied; B: late everywhere, unsatisfied, redo; C: never acknowledged,
    received by an official of jz-edsb; D: August; E: received 31 Aug late evening, dispatched
    1 Sep; F: received 1 Sep early morning (still 31 Aug in UTC), not dispatched; G: other units.
    Ledgers are read as of 2026-10-20 10:00 unless a test says otherwise."""
    sc = Scenario(jiaozuo_app)
    # A: ack due 09-15, feedback 09-17, resolve 09-22 (Sunday 09-20 is a make-up workday).
    sc.a = sc.file("2026-09-14T09:00", title="东昌电缆用电保障")
    sc.dispatch(sc.a, "2026-09-14T10:00", co=("jz-edsb",))
    sc.ack(sc.a, "2026-09-15T09:12")
    sc.progress(sc.a, "2026-09-16T15:00")
    sc.resolve(sc.a, "2026-09-18T16:00")
    sc.rate(sc.a, "2026-09-21T10:00", "satisfied", "处理及时")
    # B: ack due 09-29, feedback 10-08, resolve 10-13 (National Day 10-01..10-07 off).
    sc.b = sc.file("2026-09-28T10:00", enterprise=HENGZE, title="恒泽制药环评审批")
    sc.dispatch(sc.b, "2026-09-28T11:00", co=("jz-edsb",))
    sc.ack(sc.b, "2026-09-30T09:00")
    sc.progress(sc.b, "2026-10-09T09:00")
    sc.resolve(sc.b, "2026-10-14T10:00")
    sc.rate(sc.b, "2026-10-15T10:00", "unsatisfied", "问题没有真正解决")  # redo due 10-22
    # C: ack due 09-30, feedback 10-09, resolve 10-14; nothing done.
    sc.c = sc.file("2026-09-29T15:00", by="jz-edsb-head", title="融资担保咨询")
    sc.dispatch(sc.c, "2026-09-29T16:00")
    sc.d = sc.file("2026-08-20T10:00", title="八月的问题")
    sc.dispatch(sc.d, "2026-08-20T11:00", co=("jz-edsb",))
    sc.e = sc.file("2026-08-31T23:30", title="月末深夜受理")
    sc.dispatch(sc.e, "2026-09-01T09:00")
    sc.f = sc.file("2026-09-01T07:00", title="九月一日清晨受理")
    sc.g = sc.file("2026-09-15T09:00", by="jz-czj", title="别的单位的问题")
    sc.dispatch(sc.g, "2026-09-15T10:00", lead="jz-zjj")
    sc.clock.set("2026-10-20T10:00")
    yield sc


def rows_by_id(ledger: Ledger) -> dict[int, LedgerRow]:
    return {r.issue_id: r for r in ledger.rows}


# --- which issues, which roles ---------------------------------------------------------------


def test_lead_unit_lists_its_issues_as_lead(s: Scenario) -> None:
    ledger = build_ledger(s.app, "jz-fgw", "2026-09")
    rows = rows_by_id(ledger)
    assert list(rows) == [s.e, s.a, s.b, s.c]  # by received time
    assert {r.role_label for r in ledger.rows} == {"主办"}
    assert all(r.roles == (Role.LEAD,) for r in ledger.rows)
    assert ledger.unit_name == "焦作市发展和改革委员会"
    a = rows[s.a]
    assert a.enterprise_code == DONGCHANG
    assert a.enterprise_name == "河南东昌电缆集团有限公司"
    assert (a.source, a.source_label) == ("hotline", "政企快线")
    assert a.title == "东昌电缆用电保障"
    assert a.category.label == "生产要素协调"
    assert a.severity.label == "一般"
    assert a.received_by == "jz-edsb"
    assert a.received_by_name == "焦作市企业发展服务局"
    assert (a.lead_unit, a.co_units, a.co_unit_names) == (
        "jz-fgw",
        ("jz-edsb",),
        ("焦作市企业发展服务局",),
    )


def test_receiver_and_co_unit_shows_both_roles(s: Scenario) -> None:
    rows = rows_by_id(build_ledger(s.app, "jz-edsb", "2026-09"))
    assert set(rows) == {s.a, s.b, s.c, s.f}
    assert rows[s.a].roles == (Role.RECEIVED, Role.CO)
    assert rows[s.a].role_label == "首问、协办"
    assert rows[s.b].role_label == "首问、协办"
    # Received by the bureau's head: first inquiry of the bureau.
    assert rows[s.c].role_label == "首问"
    assert (rows[s.c].received_by, rows[s.c].received_by_name) == ("jz-edsb-head", "于学")
    assert rows[s.f].role_label == "首问"


def test_other_units_issues_are_absent(s: Scenario) -> None:
    assert s.g not in rows_by_id(build_ledger(s.app, "jz-fgw", "2026"))
    assert s.g not in rows_by_id(build_ledger(s.app, "jz-edsb", "2026"))
    zjj = rows_by_id(build_ledger(s.app, "jz-zjj", "2026"))
    assert list(zjj) == [s.g] and zjj[s.g].role_label == "主办"
    czj = rows_by_id(build_ledger(s.app, "jz-czj", "2026-Q3"))
    assert list(czj) == [s.g] and czj[s.g].role_label == "首问"


def test_period_is_received_or_dispatched_in_it_in_beijing_time(s: Scenario) -> None:
    fgw = rows_by_id(build_ledger(s.app, "jz-fgw", "2026-09"))
    edsb = rows_by_id(build_ledger(s.app, "jz-edsb", "2026-09"))
    assert s.d not in fgw and s.d not in edsb  # August, both received and dispatched
    # Received 31 Aug 23:30, dispatched to jz-fgw on 1 Sep: in jz-fgw's September…
    assert s.e in fgw
    # …but jz-edsb only received it, in August.
    assert s.e not in edsb
    # Received 1 Sep 07:00 Beijing time, 31 Aug in UTC: September.
    assert s.f in edsb
    august = rows_by_id(build_ledger(s.app, "jz-edsb", "2026-08-01..2026-08-31"))
    assert set(august) == {s.d, s.e}
    assert august[s.d].role_label == "首问、协办"
    assert set(rows_by_id(build_ledger(s.app, "jz-fgw", "2026-Q3"))) == {s.a, s.b, s.c, s.d, s.e}
    assert set(rows_by_id(build_ledger(s.app, "jz-fgw", "2026-10"))) == set()
    assert set(rows_by_id(build_ledger(s.app, "jz-fgw", "2026-09-28..2026-09-29"))) == {s.b, s.c}


# --- owners, deadlines, ratings --------------------------------------------------------------


def test_owner_history(s: Scenario) -> None:
    rows = rows_by_id(build_ledger(s.app, "jz-fgw", "2026-09"))
    assert rows[s.a].owner_history_text == "jz-edsb 2026-09-14 09:00 → jz-fgw 2026-09-15 09:12"
    assert rows[s.b].owner_history_text == "jz-edsb 2026-09-28 10:00 → jz-fgw 2026-09-30 09:00"
    assert rows[s.c].owner_history_text == "jz-edsb-head 2026-09-29 15:00"
    assert rows[s.c].owner == "jz-edsb-head"
    assert rows[s.a].owner_history[1].since == bj("2026-09-15T09:12")
    assert rows[s.a].owner_history[1].since.utcoffset() == bj("2026-01-01T00:00").utcoffset()


def test_times_are_beijing_time(s: Scenario) -> None:
    a = rows_by_id(build_ledger(s.app, "jz-fgw", "2026-09"))[s.a]
    assert a.received_at == bj("2026-09-14T09:00")
    assert a.received_at.tzinfo is SHANGHAI
    assert a.dispatched_at == bj("2026-09-14T10:00")
    assert a.acknowledged_at == bj("2026-09-15T09:12")
    assert a.first_feedback_at == bj("2026-09-16T15:00")
    assert a.resolved_at == bj("2026-09-18T16:00")


def test_deadlines_met_missed_pending_overdue(s: Scenario) -> None:
    rows = rows_by_id(build_ledger(s.app, "jz-fgw", "2026-09"))
    a, b, c = rows[s.a], rows[s.b], rows[s.c]
    assert [a.acknowledge.due, a.feedback.due, a.resolve.due] == [
        date(2026, 9, 15),
        date(2026, 9, 17),
        date(2026, 9, 22),
    ]
    assert [a.acknowledge.state, a.feedback.state, a.resolve.state] == [MET, MET, MET]
    assert a.acknowledge.state_label == "按期完成"
    # B: acknowledged a day late, first feedback after National Day, resolved late, then sent
    # back: the resolve deadline is now the redo deadline.
    assert [b.acknowledge.due, b.feedback.due] == [date(2026, 9, 29), date(2026, 10, 8)]
    assert [b.acknowledge.state, b.feedback.state] == [MISSED, MISSED]
    assert b.acknowledge.state_label == "逾期完成"
    assert b.resolve.due == date(2026, 10, 22) and b.resolve.state is PENDING
    assert b.resolve.state_label == "未到期"
    assert b.resolved_at is None and b.redo_count == 1
    assert b.status.label == "退回重办"
    # C: nothing done; everything overdue as of 20 Oct.
    assert [c.acknowledge.due, c.feedback.due, c.resolve.due] == [
        date(2026, 9, 30),
        date(2026, 10, 9),
        date(2026, 10, 14),
    ]
    assert [c.acknowledge.state, c.feedback.state, c.resolve.state] == [OVERDUE] * 3
    assert c.acknowledge.state_label == "超期未完成"
    assert c.status.label == "已交办"
    assert not any(d.provisional for r in rows.values() for d in r.deadlines.values())


def test_deadline_states_follow_the_clock(s: Scenario) -> None:
    # On the due day itself the redo is still pending; the day after it is overdue.
    s.clock.set("2026-10-22T23:59")
    b = rows_by_id(build_ledger(s.app, "jz-fgw", "2026-09"))[s.b]
    assert b.resolve.state is PENDING
    s.clock.set("2026-10-23T00:00")
    b = rows_by_id(build_ledger(s.app, "jz-fgw", "2026-09"))[s.b]
    assert b.resolve.state is OVERDUE
    # An explicit "now" wins over the clock.
    c = rows_by_id(build_ledger(s.app, "jz-fgw", "2026-09", now=bj("2026-09-30T12:00")))[s.c]
    assert [c.acknowledge.state, c.feedback.state, c.resolve.state] == [PENDING] * 3


def test_not_dispatched_has_no_deadlines(s: Scenario) -> None:
    f = rows_by_id(build_ledger(s.app, "jz-edsb", "2026-09"))[s.f]
    assert f.dispatched_at is None and f.lead_unit is None
    assert all(d.due is None and d.state is None for d in f.deadlines.values())
    assert f.owner_history_text == "jz-edsb 2026-09-01 07:00"
    assert f.status.label == "已受理"


def test_latest_rating(s: Scenario) -> None:
    rows = rows_by_id(build_ledger(s.app, "jz-fgw", "2026-09"))
    assert rows[s.a].satisfaction is not None and rows[s.a].satisfaction.label == "满意"
    assert rows[s.a].rating_comment == "处理及时"
    assert rows[s.b].satisfaction is not None and rows[s.b].satisfaction.label == "不满意"
    assert rows[s.b].rating_comment == "问题没有真正解决"
    assert rows[s.c].satisfaction is None and rows[s.c].rating_comment == ""
    # The redo resolved and rated again: the latest round's rating is the one shown.
    s.resolve(s.b, "2026-10-21T10:00")
    s.rate(s.b, "2026-10-22T10:00", "basic", "基本解决")
    b = rows_by_id(build_ledger(s.app, "jz-fgw", "2026-09"))[s.b]
    assert b.satisfaction is not None and b.satisfaction.label == "基本满意"
    assert b.rating_comment == "基本解决"
    assert b.resolve.state is MET and b.redo_count == 1
    assert b.status.label == "已办结"


def test_issues_settled_from_above(s: Scenario) -> None:
    """A cluster resolution settles issues that were never acknowledged: the skipped steps are
    judged at the resolution, not left overdue for ever."""
    from serviceframe.services.trends import settle_issues

    def settle(issue_id: int, when: str) -> None:
        s.clock.set(when)
        with s.app.uow() as uow:
            settle_issues(uow, [issue_id], "集中协调解决", s.app.now(), "test", {"cluster": 0})
            uow.commit()

    # Dispatched Mon 2 Nov: acknowledge by 3 Nov, feedback by 5 Nov, resolve by 11 Nov.
    early = s.file("2026-11-02T09:00", title="集中解决之一")
    s.dispatch(early, "2026-11-02T10:00")
    late = s.file("2026-11-02T09:10", enterprise=HENGZE, title="集中解决之二")
    s.dispatch(late, "2026-11-02T10:00")
    settle(early, "2026-11-03T14:00")
    settle(late, "2026-11-04T10:00")
    s.clock.set("2026-11-04T12:00")
    rows = rows_by_id(build_ledger(s.app, "jz-fgw", "2026-11"))
    e, la = rows[early], rows[late]
    assert e.acknowledged_at is None and e.acknowledge.done_at is None
    assert [e.acknowledge.state, e.feedback.state, e.resolve.state] == [MET, MET, MET]
    assert [la.acknowledge.state, la.feedback.state, la.resolve.state] == [MISSED, MET, MET]
    assert e.owner_history_text == "jz-edsb 2026-11-02 09:00"  # nobody acknowledged
    # Sent back: the settlement's moment is gone from the row; the skipped steps are not judged,
    # the redo deadline is.
    s.rate(late, "2026-11-05T09:00", "unsatisfied")
    s.clock.set("2026-11-06T09:00")
    la = rows_by_id(build_ledger(s.app, "jz-fgw", "2026-11"))[late]
    assert [la.acknowledge.state, la.feedback.state] == [None, None]
    assert la.resolve.due == date(2026, 11, 12) and la.resolve.state is PENDING


def test_summary(s: Scenario) -> None:
    summary = build_ledger(s.app, "jz-fgw", "2026-09").summary
    assert (summary.total, summary.received, summary.handled, summary.lead, summary.co) == (
        4,
        0,
        4,
        4,
        0,
    )
    assert summary.resolved == 1  # A; B was sent back
    # A met; B missed; C and E (dispatched 1 Sep, never acknowledged) overdue.
    ack = summary.acknowledge
    assert (ack.met, ack.missed, ack.pending, ack.overdue) == (1, 1, 0, 2)
    assert ack.on_time_rate == pytest.approx(0.25)
    res = summary.resolve
    assert (res.met, res.missed, res.pending, res.overdue) == (1, 0, 1, 2)
    assert (summary.satisfied, summary.basic, summary.unsatisfied, summary.rated) == (1, 0, 1, 2)
    assert summary.satisfaction_rate == pytest.approx(0.5)

    edsb = build_ledger(s.app, "jz-edsb", "2026-09").summary
    assert (edsb.total, edsb.received, edsb.handled, edsb.lead, edsb.co) == (4, 4, 2, 0, 2)
    # B redone and rated 基本满意: its first, unsatisfied round still counts.
    s.resolve(s.b, "2026-10-20T10:00")
    s.rate(s.b, "2026-10-22T10:00", "basic")
    summary = build_ledger(s.app, "jz-fgw", "2026-09").summary
    assert (summary.satisfied, summary.basic, summary.unsatisfied, summary.rated) == (1, 1, 1, 3)
    assert summary.satisfaction_rate == pytest.approx((1 + 0.8) / 3)
    empty = build_ledger(s.app, "jz-fgw", "2025").summary
    assert empty.total == 0 and empty.satisfaction_rate is None
    assert empty.acknowledge.on_time_rate is None


def test_provisional_deadlines_are_marked(s: Scenario) -> None:
    issue = s.file("2026-12-30T09:00", title="年底的问题")
    with pytest.warns(ProvisionalDeadlineWarning):
        s.dispatch(issue, "2026-12-30T10:00")
    row = rows_by_id(build_ledger(s.app, "jz-fgw", "2026-12"))[issue]
    assert row.acknowledge.due == date(2026, 12, 31) and not row.acknowledge.provisional
    assert row.acknowledge.due_text == "2026-12-31"
    assert row.resolve.provisional  # falls in 2027, a year with no holiday data
    assert row.resolve.due_text.endswith("(暂定)")


def test_set_based_queries(s: Scenario) -> None:
    build_ledger(s.app, "jz-fgw", "2026")  # the schema check of the first unit of work
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(s.app.engine, "before_cursor_execute", count)
    try:
        ledger = build_ledger(s.app, "jz-edsb", "2026")
    finally:
        event.remove(s.app.engine, "before_cursor_execute", count)
    assert len(ledger.rows) == 6
    # The unit, the rows (issues, enterprises, units, latest ratings joined), the co units,
    # every rating of those issues for the summary.
    assert len(statements) <= 4, statements


# --- errors ----------------------------------------------------------------------------------


def test_unknown_unit(s: Scenario) -> None:
    with pytest.raises(ValidationError) as raised:
        build_ledger(s.app, "jz-nope", "2026")
    assert raised.value.field == "unit" and raised.value.value == "jz-nope"
    assert "jz-nope" in str(raised.value)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-09", date(2026, 9, 1), date(2026, 9, 30)),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("2026-09-01..2026-09-30", date(2026, 9, 1), date(2026, 9, 30)),
        (" 2026-09-28 .. 2026-10-08 ", date(2026, 9, 28), date(2026, 10, 8)),
        ("2026-09-28", date(2026, 9, 28), date(2026, 9, 28)),
    ],
)
def test_parse_period(text: str, start: date, end: date) -> None:
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)
    assert period.start_at == datetime(start.year, start.month, start.day, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("last month", "not a period"),
        ("2026-13", "month 13"),
        ("2026-00", "month 0"),
        ("2026-Q5", "Q5"),
        ("2026Q0", "Q0"),
        ("2026-02-30", "not a date"),
        ("2026-09-30..2026-09-01", "before the start"),
        ("2026-09-01..", "not a period"),
        ("0999", "out of range"),
        ("２０２６", "not a period"),
    ],
)
def test_parse_period_rejects(text: str, reason: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_period(text)
    assert raised.value.field == "period" and raised.value.value == text
    assert reason in raised.value.reason


def test_bad_period_through_build_ledger(s: Scenario) -> None:
    with pytest.raises(ValidationError, match="period"):
        build_ledger(s.app, "jz-fgw", "2026-Q9")


def test_period_object_accepted(s: Scenario) -> None:
    ledger = build_ledger(s.app, "jz-fgw", Period(date(2026, 9, 14), date(2026, 9, 14)))
    assert [r.issue_id for r in ledger.rows] == [s.a]


# --- export ----------------------------------------------------------------------------------


def test_xlsx(s: Scenario, tmp_path: Path) -> None:
    ledger = build_ledger(s.app, "jz-edsb", "2026-09")
    path = tmp_path / "台帐.xlsx"
    assert export_ledger(ledger, path) == "xlsx"
    book = load_workbook(path)
    assert book.sheetnames == ["服务台帐", "汇总"]
    sheet = book["服务台帐"]
    headers = [c.value for c in sheet[1]]
    assert tuple(headers) == HEADERS
    for needed in (
        "编号",
        "统一社会信用代码",
        "企业名称",
        "本单位角色",
        "责任归属变化",
        "签收情况",
    ):
        assert needed in headers
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["C"].width >= 20  # enterprise names are wide
    rows = {
        r[0]: dict(zip(headers, r, strict=True))
        for r in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert set(rows) == {s.a, s.b, s.c, s.f}
    a, b, c = rows[s.a], rows[s.b], rows[s.c]
    assert a["统一社会信用代码"] == DONGCHANG
    assert a["企业名称"] == "河南东昌电缆集团有限公司"
    assert a["来源"] == "政企快线"
    assert a["类别"] == "生产要素协调"
    assert a["性质"] == "一般"
    assert a["本单位角色"] == "首问、协办"
    assert a["首问责任单位"] == "焦作市企业发展服务局"
    assert a["主办单位"] == "焦作市发展和改革委员会"
    assert a["协办单位"] == "焦作市企业发展服务局"
    assert a["责任归属变化"] == "jz-edsb 2026-09-14 09:00 → jz-fgw 2026-09-15 09:12"
    assert a["受理时间"] == datetime(2026, 9, 14, 9, 0)  # Beijing wall time; Excel has no zones
    assert a["签收时间"] == datetime(2026, 9, 15, 9, 12)
    assert a["签收期限"] == "2026-09-15"
    assert a["签收情况"] == "按期完成"
    assert a["办结情况"] == "按期完成"
    assert a["状态"] == "已办结"
    assert a["满意度"] == "满意" and a["评价意见"] == "处理及时"
    assert b["签收情况"] == "逾期完成" and b["办结情况"] == "未到期"
    assert b["重办次数"] == 1 and b["满意度"] == "不满意"
    assert c["签收情况"] == "超期未完成" and c["签收时间"] is None
    assert c["本单位角色"] == "首问"
    summary = {r[0]: r[1] for r in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert book["汇总"]["A1"].font.bold
    assert summary["单位"] == "焦作市企业发展服务局(jz-edsb)"
    assert summary["期间"] == "2026-09-01 至 2026-09-30"
    assert summary["台帐件数"] == 4
    assert summary["首问受理"] == 4
    assert summary["其中协办"] == 2
    assert summary["签收按期完成"] == 1 and summary["签收逾期完成"] == 1
    assert summary["签收超期未完成"] == 1
    assert summary["满意"] == 1 and summary["不满意"] == 1
    assert summary["评价次数(每轮均计)"] == 2
    assert summary["满意度(基本满意按0.8计)"] == pytest.approx(0.5)


def test_xlsx_provisional_and_formula_like_text(s: Scenario, tmp_path: Path) -> None:
    issue = s.file("2026-12-30T09:00", title='=HYPERLINK("http://x")')
    with pytest.warns(ProvisionalDeadlineWarning):
        s.dispatch(issue, "2026-12-30T10:00")
    path = tmp_path / "ledger.xlsx"
    export_ledger(build_ledger(s.app, "jz-fgw", "2026-12"), path)
    sheet = load_workbook(path)["服务台帐"]
    row = dict(zip(HEADERS, next(sheet.iter_rows(min_row=2, values_only=True)), strict=True))
    assert row["标题"] == '=HYPERLINK("http://x")'
    assert sheet.cell(2, HEADERS.index("标题") + 1).data_type == "s"  # text, not a formula
    assert row["办结期限"].endswith("(暂定)")
    assert row["签收期限"] == "2026-12-31"


def read_csv(data: bytes, encoding: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode(encoding), newline="")))


def test_csv_utf8_with_bom(s: Scenario, tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    assert export_ledger(build_ledger(s.app, "jz-fgw", "2026-09"), path) == "csv"
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = {int(r["编号"]): r for r in read_csv(data, "utf-8-sig")}
    assert list(next(iter(rows.values()))) == list(HEADERS)
    a, b = rows[s.a], rows[s.b]
    assert a["企业名称"] == "河南东昌电缆集团有限公司"
    assert a["本单位角色"] == "主办"
    assert a["受理时间"] == "2026-09-14 09:00"
    assert a["责任归属变化"] == "jz-edsb 2026-09-14 09:00 → jz-fgw 2026-09-15 09:12"
    assert b["企业名称"] == "焦作市恒泽制药有限公司"
    assert b["签收情况"] == "逾期完成" and b["满意度"] == "不满意"
    assert b["评价意见"] == "问题没有真正解决"


def test_csv_gbk(s: Scenario, tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    export_ledger(build_ledger(s.app, "jz-edsb", "2026-09"), path, encoding="gbk")
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    rows = {int(r["编号"]): r for r in read_csv(data, "gbk")}
    assert rows[s.a]["企业名称"] == "河南东昌电缆集团有限公司"
    assert rows[s.a]["本单位角色"] == "首问、协办"
    assert rows[s.a]["责任归属变化"] == "jz-edsb 2026-09-14 09:00 → jz-fgw 2026-09-15 09:12"
    assert rows[s.c]["首问责任单位"] == "于学"
    assert rows[s.a]["标题"] == "东昌电缆用电保障"


def test_csv_defuses_formulas(s: Scenario, tmp_path: Path) -> None:
    issue = s.file("2026-09-02T09:00", title="=1+1")
    path = tmp_path / "ledger.csv"
    export_ledger(build_ledger(s.app, "jz-edsb", "2026-09-02"), path)
    (row,) = read_csv(path.read_bytes(), "utf-8-sig")
    assert int(row["编号"]) == issue and row["标题"] == "'=1+1"


def test_export_errors(s: Scenario, tmp_path: Path) -> None:
    ledger = build_ledger(s.app, "jz-fgw", "2026-09")
    with pytest.raises(ValidationError, match="format"):
        export_ledger(ledger, tmp_path / "ledger.txt")
    with pytest.raises(ValidationError, match="encoding"):
        export_ledger(ledger, tmp_path / "ledger.csv", encoding="klingon")
    with pytest.raises(ValidationError, match="encoding"):
        export_ledger(ledger, tmp_path / "ledger.xlsx", encoding="gbk")
    assert export_ledger(ledger, tmp_path / "ledger.txt", fmt="csv") == "csv"


# --- CLI -------------------------------------------------------------------------------------


def run(app: App, *args: str) -> "object":
    return CliRunner().invoke(cli, list(args), obj=CliContext(app=app), catch_exceptions=False)


def test_cli_table(s: Scenario) -> None:
    result = run(s.app, "ledger", "jz-edsb", "--period", "2026-09")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "焦作市企业发展服务局" in out
    assert "首问、协办" in out and "超期未完成" in out and "不满意" in out
    assert "台帐件数: 4" in out
    assert "满意度(基本满意按0.8计): 50.0%" in out


def test_cli_out_xlsx_and_csv(s: Scenario, tmp_path: Path) -> None:
    xlsx = tmp_path / "台帐.xlsx"
    result = run(s.app, "ledger", "jz-fgw", "--period", "2026Q3", "--out", str(xlsx))
    assert result.exit_code == 0, result.output
    sheet = load_workbook(xlsx)["服务台帐"]
    assert [c.value for c in sheet[1]][:3] == ["编号", "统一社会信用代码", "企业名称"]
    assert sheet.max_row == 1 + 5  # A B C D E

    gbk = tmp_path / "ledger.dat"
    result = run(
        s.app, "ledger", "jz-fgw", "--period", "2026-09", "--out", str(gbk),
        "--format", "csv", "--encoding", "gbk",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = read_csv(gbk.read_bytes(), "gbk")
    assert [int(r["编号"]) for r in rows] == [s.e, s.a, s.b, s.c]
    assert rows[1]["签收情况"] == "按期完成"


def test_cli_csv_to_stdout(s: Scenario) -> None:
    result = run(s.app, "ledger", "jz-fgw", "--period", "2026-09", "--format", "csv")
    assert result.exit_code == 0
    rows = read_csv(result.stdout_bytes, "utf-8-sig")
    assert len(rows) == 4 and rows[1]["企业名称"] == "河南东昌电缆集团有限公司"


def test_cli_json(s: Scenario) -> None:
    result = run(s.app, "ledger", "jz-fgw", "--period", "2026-09", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["unit"] == "jz-fgw"
    assert data["period"] == {"start": "2026-09-01", "end": "2026-09-30"}
    rows = {r["issue_id"]: r for r in data["rows"]}
    a, b = rows[s.a], rows[s.b]
    assert a["enterprise"] == {"code": DONGCHANG, "name": "河南东昌电缆集团有限公司"}
    assert a["roles"] == ["lead"] and a["role_label"] == "主办"
    assert a["received_at"] == "2026-09-14T09:00:00+08:00"
    assert a["deadlines"]["acknowledge"] == {
        "due": "2026-09-15",
        "provisional": False,
        "done_at": "2026-09-15T09:12:00+08:00",
        "state": "met",
        "state_label": "按期完成",
    }
    assert a["owner_history"] == [
        {"owner": "jz-edsb", "since": "2026-09-14T09:00:00+08:00"},
        {"owner": "jz-fgw", "since": "2026-09-15T09:12:00+08:00"},
    ]
    assert a["category_label"] == "生产要素协调" and a["status_label"] == "已办结"
    assert b["deadlines"]["resolve"]["state"] == "pending" and b["redo_count"] == 1
    assert b["satisfaction"] == "unsatisfied" and b["rating_comment"] == "问题没有真正解决"
    assert data["summary"]["total"] == 4
    assert data["summary"]["deadlines"]["acknowledge"]["overdue"] == 2
    assert data["summary"]["satisfaction_rate"] == 0.5


def test_cli_json_with_out_writes_both(s: Scenario, tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    result = run(s.app, "ledger", "jz-fgw", "--period", "2026-09", "--out", str(path), "--json")
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["rows"]) == 4
    assert len(read_csv(path.read_bytes(), "utf-8-sig")) == 4


def test_cli_errors(s: Scenario, tmp_path: Path) -> None:
    result = run(s.app, "ledger", "jz-fgw", "--period", "2026-13")
    assert result.exit_code != 0 and "period" in result.output and "2026-13" in result.output
    result = run(s.app, "ledger", "jz-nope", "--period", "2026")
    assert result.exit_code != 0 and "jz-nope" in result.output
    result = run(s.app, "ledger", "jz-fgw", "--period", "2026", "--format", "xlsx")
    assert result.exit_code != 0 and "--out" in result.output
    result = run(s.app, "ledger", "jz-fgw", "--period", "2026", "--out", str(tmp_path / "x.txt"))
    assert result.exit_code != 0 and "format" in result.output
    result = run(s.app, "ledger", "jz-fgw", "--period", "2026", "--encoding", "nope")
    assert result.exit_code != 0 and "encoding" in result.output
