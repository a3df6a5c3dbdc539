"""The escalation sweep (督办, R7 and category 7's accountability) on the bundled Jiaozuo city.

Deadlines are Chinese working days; these tests run in November 2026, which has no holiday:
dispatched Monday 2 November at 10:00, an issue must be acknowledged by Tuesday the 3rd,
fed back on by Thursday the 5th, and (general) resolved by Wednesday the 11th.

Every test here runs on SQLite and, with ``SERVICEFRAME_TEST_DB`` set, on PostgreSQL.
"""

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select, text

from ladder import events_of, invoke, replayed
from serviceframe.demo import example_dir
from serviceframe.domain.routing import Rung
from serviceframe.hookspecs import hookimpl
from serviceframe.services import issues as svc
from serviceframe.services.issues import IssueDraft
from serviceframe.services.organisation import load_organisation
from serviceframe.services.routing import escalate, explain_route, supervision_orders
from serviceframe.store import tables as t
from serviceframe.testing.clock import Clock
from serviceframe.testing.fixtures import make_app

SH = ZoneInfo("Asia/Shanghai")
CITY = "410800"
JIEFANG = "410802"
CITY_KEY = "914108026469439561"  # 河南东昌电缆集团有限公司, city key, 解放区
CITY_KEY_2 = "9141080382189956X4"  # city key, 中站区
COUNTY_KEY = "91410802800014232W"  # county key, 解放区
POWER = "我公司近期频繁遭遇拉闸限电，生产线多次停工，请协调供电部门保障用电。"

DISPATCHED = datetime(2026, 11, 2, 10, 0, tzinfo=SH)
ACK_DUE = date(2026, 11, 3)
FEEDBACK_DUE = date(2026, 11, 5)
RESOLVE_DUE = date(2026, 11, 11)


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=SH)


@pytest.fixture
def clock():
    return Clock(DISPATCHED)


@pytest.fixture
def app(jiaozuo_app, clock):
    jiaozuo_app.clock = clock
    return jiaozuo_app


def dispatched(app, enterprise=CITY_KEY, lead="jz-fgw", category=1, severity="general"):
    issue = svc.file_issue(app, IssueDraft(enterprise=enterprise, source="hotline", body=POWER))
    svc.accept(app, issue.issue.id, category=category, severity=severity)
    return svc.dispatch(app, issue.issue.id, lead)


def where(app, issue_id: int) -> tuple[str, Rung, str | None]:
    r = explain_route(app, issue_id).current
    return r.level, r.rung, r.official


def snapshot(app):
    """Everything the sweep may change: orders, events, routing."""
    with app.uow() as uow:
        c = uow.connection
        return (
            c.execute(select(t.supervision_orders).order_by(t.supervision_orders.c.id)).all(),
            c.execute(select(func.count()).select_from(t.events)).scalar_one(),
            c.execute(select(t.issue_routing).order_by(t.issue_routing.c.issue_id)).all(),
        )


# --- one missed deadline --------------------------------------------------------------------


def test_unacknowledged_issue_is_supervised_and_moves_one_rung_up(app):
    issue = dispatched(app)
    assert issue.ack_due.on == ACK_DUE
    assert where(app, issue.id) == (CITY, Rung.DEPUTY, "jz-vm-industry")

    assert escalate(app, now=at(3, 23)) == []  # the last day allowed is not missed yet

    (e,) = escalate(app, now=at(4))
    assert (e.issue, e.deadline, e.due) == (issue.id, "acknowledge", ACK_DUE.isoformat())
    assert (e.overdue_unit, e.overdue_official) == ("jz-fgw", "jz-fgw-head")
    assert (e.from_rung, e.from_official) == ("deputy", "jz-vm-industry")
    assert (e.to_rung, e.to_official, e.moved) == ("executive_deputy", "jz-evm", True)
    assert where(app, issue.id) == (CITY, Rung.EXECUTIVE_DEPUTY, "jz-evm")

    (order,) = supervision_orders(app)
    assert order["id"] == e.order and order["issue_id"] == issue.id
    assert (order["overdue_unit"], order["overdue_official"]) == ("jz-fgw", "jz-fgw-head")
    assert (order["to_level"], order["to_official"]) == (CITY, "jz-evm")
    (escalated,) = events_of(app, issue.id, "escalated")
    assert escalated.data["order"] == e.order
    assert escalated.data["to"]["official"] == "jz-evm"
    view = explain_route(app, issue.id)
    assert view.current.escalations == 1
    assert [o["id"] for o in view.supervision] == [e.order]


def test_city_ladder_deputy_then_executive_deputy_then_head_then_listed(app):
    issue = dispatched(app)
    climbed = []
    for day in range(3, 16):  # one sweep a day, as a cron job would run it
        climbed += [(day, e.deadline, e.to_official, e.moved) for e in escalate(app, now=at(day))]
    assert climbed == [
        (4, "acknowledge", "jz-evm", True),
        (6, "feedback", "jz-mayor", True),
        (12, "resolve", "jz-mayor", False),  # the top of the ladder: supervised, nobody higher
        # The order of the 6th had three working days (to the 11th) for a reply; unanswered
        # at the top of the ladder, the issue is listed as long-overdue (挂牌督办).
        (12, "listed", "jz-mayor", False),
    ]
    assert where(app, issue.id) == (CITY, Rung.HEAD, "jz-mayor")
    current = explain_route(app, issue.id).current
    assert current.escalations == 2
    assert current.listed_at == at(12)
    assert current.reply_due is None  # a listing is not followed up again
    assert replayed(app, issue.id) == current
    assert len(supervision_orders(app)) == 4


def test_one_sweep_moves_an_issue_one_rung_however_many_deadlines_it_missed(app):
    issue = dispatched(app)
    done = escalate(app, now=at(16))
    # Each missed deadline has its own order; the issue climbs one rung.
    assert [(e.deadline, e.from_official, e.to_official, e.moved) for e in done] == [
        ("acknowledge", "jz-vm-industry", "jz-evm", True),
        ("feedback", "jz-evm", "jz-evm", False),
        ("resolve", "jz-evm", "jz-evm", False),
    ]
    assert where(app, issue.id) == (CITY, Rung.EXECUTIVE_DEPUTY, "jz-evm")
    assert explain_route(app, issue.id).current.escalations == 1
    # The next sweep moves it again only when an order goes unanswered past its limit.
    assert escalate(app, now=at(17)) == []
    (e,) = escalate(app, now=at(20))  # reply limit: three working days from the 16th
    assert (e.deadline, e.to_official, e.moved) == ("follow_up", "jz-mayor", True)


def test_county_issue_climbs_its_countys_ladder_then_to_the_city(app):
    issue = dispatched(app, enterprise=COUNTY_KEY, lead="jf-fgw")
    assert where(app, issue.id) == (JIEFANG, Rung.DEPUTY, "jf-vm-industry")
    steps = []
    for day in (4, 6, 12):
        for e in escalate(app, now=at(day)):
            steps.append(
                (e.deadline, e.overdue_official, e.to_level, e.to_rung, e.to_official, e.moved)
            )
    assert steps == [
        ("acknowledge", "jf-fgw-head", JIEFANG, "executive_deputy", "jf-evm", True),
        ("feedback", "jf-fgw-head", JIEFANG, "head", "jf-mayor", True),
        # Past the county's head: the city takes it, on its own ladder.
        ("resolve", "jf-fgw-head", CITY, "deputy", "jz-vm-industry", True),
        # The county head's order went unanswered too: followed up, but one rung a sweep.
        ("follow_up", "jf-fgw-head", CITY, "deputy", "jz-vm-industry", False),
    ]
    r = explain_route(app, issue.id).current
    assert (r.level, r.official, r.informed) == (CITY, "jz-vm-industry", (JIEFANG,))
    assert "解放区" in r.reason
    assert replayed(app, issue.id) == r


# --- gaps and the overdue unit ---------------------------------------------------------------


def without_financing_at_the_city(tmp_path):
    """The bundled city with nobody in charge of financing (category 3) or of the finance
    office (jz-jrb): a gap that, before, left such issues with the overdue unit's own head."""
    text = (example_dir() / "organisation.toml").read_text(encoding="utf-8")
    old = 'portfolio = { categories = [3], departments = ["jz-jrb", '
    assert text.count(old) == 1
    path = tmp_path / "organisation.toml"
    path.write_text(text.replace(old, "portfolio = { categories = [], departments = ["), "utf-8")
    return path


def test_past_a_county_head_the_issue_never_lands_on_the_overdue_units_own_head(app, tmp_path):
    load_organisation(app, without_financing_at_the_city(tmp_path))
    issue = dispatched(app, enterprise=COUNTY_KEY, lead="jz-jrb", category=3)
    assert where(app, issue.id) == (JIEFANG, Rung.DEPUTY, "jf-vm-finance")
    done = [e for day in (4, 6, 12) for e in escalate(app, now=at(day))]
    # 解放区's ladder, then the city's: nobody at the city is in charge of financing or of
    # the finance office, and the office's own head (who missed the deadlines) is skipped.
    assert [(e.deadline, e.overdue_official, e.to_official) for e in done][:3] == [
        ("acknowledge", "jz-jrb-head", "jf-evm"),
        ("feedback", "jz-jrb-head", "jf-mayor"),
        ("resolve", "jz-jrb-head", "jz-evm"),
    ]
    assert all(e.to_official != "jz-jrb-head" for e in done)
    assert "焦作市没有分管3 融资服务支持的副市长" in [s.why for s in done[2].skipped]
    (escalated,) = [
        e for e in events_of(app, issue.id, "escalated") if e.data["deadline"] == "resolve"
    ]
    assert escalated.data["skipped"][0]["rung"] == "deputy"  # the skip is on the record


def test_a_rung_nobody_holds_never_stops_the_sweep_for_the_others(app, tmp_path):
    text = (example_dir() / "organisation.toml").read_text(encoding="utf-8")
    evm = text.index('id = "jz-evm"')
    path = tmp_path / "organisation.toml"
    path.write_text(text[:evm] + text[evm:].replace("\n\n", "\nactive = false\n\n", 1), "utf-8")
    load_organisation(app, path)
    city = dispatched(app)
    county = dispatched(app, enterprise=COUNTY_KEY, lead="jf-fgw")
    done = escalate(app, now=at(4))
    assert [(e.issue, e.to_official) for e in done] == [
        (city.id, "jz-mayor"),  # no executive vice mayor in office: straight to the mayor
        (county.id, "jf-evm"),
    ]
    assert [s.why for s in done[0].skipped] == ["焦作市没有在任的常务副市长(宋伟 已不在任)"]
    assert done[1].skipped == ()


# --- supervision that never goes silent -----------------------------------------------------


def test_an_order_carries_a_reply_limit_and_is_followed_up_one_rung_higher(app):
    issue = dispatched(app)
    (first,) = escalate(app, now=at(4))
    assert first.reply_due == "2026-11-09"  # three working days from Wednesday the 4th
    (order,) = supervision_orders(app)
    assert order["reply_due"] == date(2026, 11, 9)
    # The feedback deadline (the 5th) is missed too, and climbs; its order's limit is the 11th.
    (second,) = escalate(app, now=at(6))
    assert (second.deadline, second.to_official, second.reply_due) == (
        "feedback",
        "jz-mayor",
        "2026-11-11",
    )
    assert explain_route(app, issue.id).current.reply_due == date(2026, 11, 11)


def test_an_order_answered_by_resolving_the_issue_is_closed_not_followed_up(app, clock):
    issue = dispatched(app)
    escalate(app, now=at(4))  # acknowledge missed; reply due the 9th
    clock.now = at(5, 10)
    svc.acknowledge(app, issue.id, "jz-fgw")
    svc.resolve(app, issue.id, "已协调恢复供电")
    assert escalate(app, now=at(10)) == []  # nothing to follow up
    (closed,) = events_of(app, issue.id, "supervision_closed")
    assert closed.data == {"reply_due": "2026-11-09"}
    current = explain_route(app, issue.id).current
    assert current.reply_due is None and current.listed_at is None
    assert replayed(app, issue.id) == current
    before = snapshot(app)
    assert escalate(app, now=at(20)) == []
    assert snapshot(app) == before  # closed once: the sweep never reads it again


# --- idempotency and later deadlines --------------------------------------------------------


def test_a_large_sweep_keeps_every_chain_and_every_state_replayable(app):
    """Enough cases for the set-based writes (events from one JSON parameter on PostgreSQL):
    the chains verify, each issue's routing state is its events folded, one order each."""
    from serviceframe.services.audit import verify
    from serviceframe.store.chain import MANY_EVENTS

    ids = [dispatched(app).id for _ in range(MANY_EVENTS // 3 + 1)]
    ids.append(dispatched(app, enterprise=COUNTY_KEY, lead="jf-fgw").id)
    done = escalate(app, now=at(16))
    assert len(done) == 3 * len(ids) >= MANY_EVENTS  # three deadlines missed by each
    assert len({e.order for e in done}) == len(done)
    assert verify(app).ok
    for issue_id in ids:
        current = explain_route(app, issue_id).current
        assert replayed(app, issue_id) == current
        assert current.escalations == 1
    assert escalate(app, now=at(16)) == []


def test_sweeping_twice_at_the_same_moment_changes_nothing_the_second_time(app):
    dispatched(app)
    dispatched(app, enterprise=COUNTY_KEY, lead="jf-fgw")
    first = escalate(app, now=at(6))
    assert len(first) == 4  # two deadlines missed by each
    before = snapshot(app)
    assert escalate(app, now=at(6)) == []
    assert snapshot(app) == before


def test_later_missed_deadlines_climb_again(app, clock):
    issue = dispatched(app)
    clock.now = at(3, 9)
    svc.acknowledge(app, issue.id, "jz-fgw")  # on time: nothing to supervise
    assert escalate(app, now=at(5, 20)) == []

    (e,) = escalate(app, now=at(6))
    assert (e.deadline, e.to_official) == ("feedback", "jz-evm")
    clock.now = at(6, 10)
    svc.progress(app, issue.id, "已与供电公司对接")
    assert escalate(app, now=at(11, 20)) == []

    e, follow_up = escalate(app, now=at(12))
    assert (e.deadline, e.from_official, e.to_official) == ("resolve", "jz-evm", "jz-mayor")
    # The feedback order of the 6th was due an answer by the 11th.
    assert (follow_up.deadline, follow_up.due, follow_up.moved) == (
        "follow_up",
        "2026-11-11",
        False,
    )
    assert [o["deadline"] for o in supervision_orders(app)] == ["feedback", "resolve", "follow_up"]


def test_redo_past_its_deadline_is_a_redo_order(app, clock):
    issue = dispatched(app)
    clock.now = at(3, 9)
    svc.acknowledge(app, issue.id, "jz-fgw")
    svc.resolve(app, issue.id, "已协调恢复供电")
    clock.now = at(4, 9)
    redo = svc.rate(app, issue.id, "unsatisfied", "仍然频繁停电")
    assert redo.status.value == "redo" and redo.round == 2
    assert redo.resolve_due.on == date(2026, 11, 11)  # five working days

    assert escalate(app, now=at(11, 20)) == []
    (e,) = escalate(app, now=at(12))
    assert (e.deadline, e.due, e.to_official) == ("redo", "2026-11-11", "jz-evm")
    (order,) = supervision_orders(app)
    assert (order["deadline"], order["round"]) == ("redo", 2)
    assert escalate(app, now=at(12)) == []


def test_dry_run_stores_nothing(app):
    issue = dispatched(app)
    before = snapshot(app)
    planned = escalate(app, now=at(4), dry_run=True)
    assert [(e.issue, e.deadline, e.to_official) for e in planned] == [
        (issue.id, "acknowledge", "jz-evm")
    ]
    assert snapshot(app) == before
    done = escalate(app, now=at(4))
    assert [(e.issue, e.deadline, e.to_official) for e in done] == [
        (issue.id, "acknowledge", "jz-evm")
    ]


def test_redispatching_an_escalated_issue_keeps_it_where_it_got(app, clock):
    issue = dispatched(app)
    escalate(app, now=at(4))
    clock.now = at(4, 10)
    svc.dispatch(app, issue.id, "jz-gtj")  # the office hands it to another unit
    assert where(app, issue.id) == (CITY, Rung.EXECUTIVE_DEPUTY, "jz-evm")
    svc.reclassify(app, issue.id, category=3)
    assert where(app, issue.id) == (CITY, Rung.EXECUTIVE_DEPUTY, "jz-evm")
    svc.reclassify(app, issue.id, severity="policy")  # a collective decision is still taken
    assert where(app, issue.id) == (CITY, Rung.EXECUTIVE_MEETING, None)


def test_the_unit_an_issue_was_handed_on_to_is_supervised_too(app, clock):
    issue = dispatched(app)
    escalate(app, now=at(4))
    clock.now = at(4, 10)
    again = svc.dispatch(app, issue.id, "jz-gtj")
    assert again.ack_due.on == date(2026, 11, 5)
    done = escalate(app, now=at(6))
    assert [(e.deadline, e.overdue_unit) for e in done] == [("acknowledge", "jz-gtj")]


# --- supervision orders and the CLI ---------------------------------------------------------


def test_orders_of_resolved_issues_drop_out_of_the_open_list(app, clock):
    first = dispatched(app)
    second = dispatched(app, enterprise=CITY_KEY_2, lead="jz-czj", category=3)
    escalate(app, now=at(4))
    assert [o["issue_id"] for o in supervision_orders(app)] == [first.id, second.id]
    clock.now = at(4, 10)
    svc.acknowledge(app, first.id, "jz-fgw")
    assert [o["issue_id"] for o in supervision_orders(app)] == [first.id, second.id]
    svc.resolve(app, first.id, "已解决")
    assert [o["issue_id"] for o in supervision_orders(app)] == [second.id]
    assert len(supervision_orders(app, open_only=False)) == 2

    listed = json.loads(invoke(app, "supervision", "list", "--json").stdout)
    assert [(o["issue_id"], o["overdue_unit"]) for o in listed["orders"]] == [(second.id, "jz-czj")]
    listed = json.loads(invoke(app, "supervision", "list", "--all", "--json").stdout)
    assert [o["issue_id"] for o in listed["orders"]] == [first.id, second.id]


def test_escalate_command(app):
    issue = dispatched(app)
    result = invoke(app, "escalate", "--now", "2026-11-03T23:00", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []

    result = invoke(app, "escalate", "--now", "2026-11-04T09:00", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "jz-fgw-head" in result.stdout and "nothing stored" in result.stdout
    assert supervision_orders(app) == []

    result = invoke(app, "escalate", "--now", "2026-11-04T09:00", "--json")
    assert result.exit_code == 0, result.output
    (e,) = json.loads(result.stdout)
    assert (e["issue"], e["deadline"], e["overdue_official"]) == (
        issue.id,
        "acknowledge",
        "jz-fgw-head",
    )
    assert (e["to_rung"], e["to_official"], e["moved"]) == ("executive_deputy", "jz-evm", True)
    assert e["order"] == supervision_orders(app)[0]["id"]

    assert json.loads(invoke(app, "escalate", "--now", "2026-11-04T09:00", "--json").stdout) == []
    result = invoke(app, "escalate", "--now", "2026-11-04T09:00")
    assert result.exit_code == 0 and "nothing to escalate" in result.stdout

    result = invoke(app, "supervision", "list")
    assert result.exit_code == 0
    assert "jz-fgw-head" in result.stdout and "jz-evm" in result.stdout

    result = invoke(app, "route", str(issue.id))
    assert "督办" in result.stdout and "已提级 1 次" in result.stdout

    result = invoke(app, "escalate", "--now", "tomorrow")
    assert result.exit_code == 1
    assert "--now" in result.stderr and "Traceback" not in result.output


# --- plugins ---------------------------------------------------------------------------------


class Notified:
    def __init__(self) -> None:
        self.orders: list[tuple[int, dict]] = []

    @hookimpl
    def serviceframe_escalated(self, app, issue, order):
        self.orders.append((issue.id, order))


class Broken:
    @hookimpl
    def serviceframe_escalated(self, app, issue, order):
        raise RuntimeError("短信网关不可用")


def test_plugins_are_told_once_per_order_and_a_failing_one_undoes_nothing(jiaozuo_url, clock):
    notified = Notified()
    app = make_app(jiaozuo_url, plugins=(Broken(), notified))
    app.clock = clock
    try:
        first = dispatched(app)
        second = dispatched(app, enterprise=CITY_KEY_2, lead="jz-czj", category=3)
        assert escalate(app, now=at(4), dry_run=True)
        assert notified.orders == []  # a dry run tells nobody

        done = escalate(app, now=at(4))
        assert len(done) == 2
        assert [(i, o["id"], o["deadline"]) for i, o in notified.orders] == [
            (first.id, done[0].order, "acknowledge"),
            (second.id, done[1].order, "acknowledge"),
        ]
        assert notified.orders[0][1]["overdue_official"] == "jz-fgw-head"
        assert notified.orders[0][1]["to_official"] == "jz-evm"
        failures = [f for f in app.plugins.failures if f.hook == "serviceframe_escalated"]
        assert len(failures) == 2 and "短信网关不可用" in failures[0].error
        # The sweep stands.
        assert len(supervision_orders(app)) == 2
        assert where(app, first.id)[2] == "jz-evm"

        escalate(app, now=at(4))
        assert len(notified.orders) == 2

        result = invoke(app, "escalate", "--now", "2026-11-06T09:00", "--json")
        assert result.exit_code == 0, result.output
        assert len(json.loads(result.stdout)) == 2  # feedback missed by both
        assert "短信网关不可用" in result.stderr
        assert len(notified.orders) == 4
    finally:
        app.close()


# --- the sweep reads only what is due -------------------------------------------------------


def test_the_sweep_reads_issues_by_status_and_due_date_indexes(app):
    if app.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    dispatched(app)
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(app.engine, "before_cursor_execute", capture)
    try:
        escalate(app, now=at(4), dry_run=True)
    finally:
        event.remove(app.engine, "before_cursor_execute", capture)
    (statement, parameters), *_ = [
        (s, p) for s, p in seen if "supervision_orders" in s and "UNION ALL" in s
    ]
    with app.engine.connect() as conn:
        plan = " | ".join(
            row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        )
    for index in (
        "ix_issues_status_ack_due",
        "ix_issues_status_feedback_due",
        "ix_issues_status_resolve_due",
    ):
        assert index in plan, plan
    assert "SCAN issues" not in plan, plan
    # The orders awaiting an answer are read from their own partial index, not the routing table.
    (statement, parameters), *_ = [(s, p) for s, p in seen if "reply_due <" in s]
    with app.engine.connect() as conn:
        plan = " | ".join(
            row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        )
    assert "ix_issue_routing_reply_due" in plan, plan
    assert "SCAN issue_routing" not in plan, plan


def test_no_order_without_a_missed_deadline(app, clock):
    """Issues not dispatched, resolved, or acknowledged and fed back in time are left alone."""
    svc.accept(
        app,
        svc.file_issue(app, IssueDraft(enterprise=CITY_KEY, source="hotline", body=POWER)).issue.id,
    )
    issue = dispatched(app)
    clock.now = at(3, 9)
    svc.acknowledge(app, issue.id, "jz-fgw")
    svc.resolve(app, issue.id, "已解决")
    assert escalate(app, now=at(30)) == []
    with app.uow() as uow:
        assert uow.connection.execute(text("SELECT count(*) FROM supervision_orders")).scalar() == 0
