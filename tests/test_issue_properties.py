"""Properties of the issue lifecycle (hypothesis): no sequence of commands reaches a state the
rules forbid, and the event history always replays to the stored state.

The transition table below is written out independently of the domain's, as the rules read in
the issue: a command either does what the table says or is refused, and a refusal changes
nothing. The stateful test drives the services on one database (SQLite, or PostgreSQL with
``SERVICEFRAME_TEST_DB``); the domain test needs no database.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from serviceframe.domain.issue import (
    ALLOWED_FROM,
    Issue,
    IssueEvent,
    Satisfaction,
    Status,
    apply,
    replay,
)
from serviceframe.errors import IllegalTransition, ValidationError
from serviceframe.services import issues as svc
from serviceframe.services.issues import IssueDraft
from serviceframe.testing.fixtures import make_app

E1 = "914108026469439561"
E2 = "9141080242426208X7"
OFFICE = "jf-edsb"  # 解放区 runs the mechanism: its office receives its enterprises' issues
LEADS = ("jz-fgw", "jz-hbj")
BODIES = (
    "我公司近期频繁遭遇拉闸限电，请协调供电部门保障用电。",
    "企业流动资金紧张，申请协调银行贷款和融资担保。",
    "企业招工难，技术工人短缺，希望组织职业技能培训。",
)

# The rules, as the issue states them: command -> {status before: status after}.
WORKING = ("acknowledged", "in_progress", "redo")
TABLE: dict[str, dict[str, str]] = {
    "accept": {"received": "accepted"},
    "dispatch": {"accepted": "dispatched", "dispatched": "dispatched"},
    "ack": {"dispatched": "acknowledged"},
    "progress": dict.fromkeys(WORKING, "in_progress"),
    "resolve": dict.fromkeys(WORKING, "resolved"),
    "rate:satisfied": {"resolved": "closed"},
    "rate:basic": {"resolved": "closed"},
    "rate:unsatisfied": {"resolved": "redo"},
    "reject": {"received": "rejected", "accepted": "rejected"},
    "merge": dict.fromkeys(("received", "accepted", "dispatched"), "merged"),
}
REDO_FIRST = sorted(Satisfaction, key=lambda s: s is not Satisfaction.UNSATISFIED)
FINISHED = frozenset({"closed", "rejected", "merged"})
OPEN = tuple(s.value for s in Status if s.value not in FINISHED)


def test_the_domain_table_is_the_rules():
    """The domain's ALLOWED_FROM says what the issue says, command by command."""
    kinds = {
        "accept": "accepted",
        "dispatch": "dispatched",
        "ack": "acknowledged",
        "progress": "progressed",
        "resolve": "resolved",
        "rate:basic": "rated",
        "reject": "rejected",
        "merge": "merged",
    }
    for command, kind in kinds.items():
        assert {s.value for s in ALLOWED_FROM[kind]} == set(TABLE[command]), command
    assert {s.value for s in ALLOWED_FROM["absorbed"]} == set(OPEN)
    assert {s.value for s in Status if s.is_open} == set(OPEN)


# The next step along a legal path, for the rules that walk issues forward.
NEXT = {
    "received": "accept",
    "accepted": "dispatch",
    "dispatched": "ack",
    "acknowledged": "progress",
    "in_progress": "resolve",
    "redo": "resolve",
    "resolved": "rate",
}

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

# --- the services, driven at random ----------------------------------------------------------


class Lifecycle(RuleBasedStateMachine):
    """Set up per test with ``app``; each example files fresh issues on the same database."""

    app = None
    clock_at: datetime = START

    issues = Bundle("issues")

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[int, dict] = {}  # what the rules say each issue must look like
        self.finished: dict[int, Issue] = {}  # frozen states of finished issues
        type(self).clock_at = START  # each example starts on Monday 2026-03-02

    # time moves on an hour per step, on working days and holidays alike
    def tick(self) -> None:
        type(self).clock_at += timedelta(hours=1)

    def _new(self, issue: Issue, receiver: str) -> int:
        self.model[issue.id] = {
            "status": "received",
            "receiver": receiver,
            "lead": None,
            "unsatisfied": 0,
            "enterprise": issue.enterprise,
        }
        return issue.id

    @initialize(target=issues)
    def file_some(self):
        self.tick()
        drafts = [
            IssueDraft(E1, "hotline", BODIES[0]),
            IssueDraft(E2, "portal", BODIES[1], received_by="jf-edsb"),
        ]
        report = svc.file_issues(self.app, drafts)
        assert report.errors == ()
        with self.app.uow() as uow:
            filed = uow.issues.get_many(report.filed)
        return multiple(*(self._new(i, i.received_by) for i in filed))

    @rule(
        target=issues,
        enterprise=st.sampled_from((E1, E2)),
        body=st.sampled_from(BODIES),
        receiver=st.sampled_from((None, "jf-edsb", "jz-office-1")),
    )
    def file(self, enterprise, body, receiver):
        if len(self.model) >= 4:
            return multiple()
        self.tick()
        issue = svc.file_issue(
            self.app, IssueDraft(enterprise, "visit", body, received_by=receiver)
        ).issue
        assert issue.status is Status.RECEIVED
        return self._new(issue, receiver or OFFICE)

    def _run(self, issue_id: int, command: str, call) -> None:
        """Run a command and hold it to the table."""
        self.tick()
        before = self.model[issue_id]["status"]
        expected = TABLE[command].get(before)
        try:
            result = call()
        except IllegalTransition as exc:
            assert expected is None, f"{command} refused from {before}: {exc}"
            assert f"is {before}" in str(exc)
            return
        assert expected is not None, f"{command} allowed from {before}"
        assert result.status.value == expected
        self.model[issue_id]["status"] = expected

    @rule(issue=issues, category=st.sampled_from((None, 1, 7)))
    def accept(self, issue, category):
        self._run(issue, "accept", lambda: svc.accept(self.app, issue, category=category))

    @rule(issue=issues, lead=st.sampled_from(LEADS))
    def dispatch(self, issue, lead):
        self._run(issue, "dispatch", lambda: svc.dispatch(self.app, issue, lead, co=["jz-czj"]))
        if self.model[issue]["status"] == "dispatched":
            self.model[issue]["lead"] = lead

    @rule(issue=issues, right_unit=st.booleans())
    def ack(self, issue, right_unit):
        m = self.model[issue]
        if not right_unit and m["status"] == "dispatched":
            wrong = next(u for u in (*LEADS, "jz-czj") if u != m["lead"])
            with pytest.raises(ValidationError) as exc:
                svc.acknowledge(self.app, issue, wrong)
            assert exc.value.field == "unit"
            return
        self._run(issue, "ack", lambda: svc.acknowledge(self.app, issue, m["lead"] or LEADS[0]))

    @rule(issue=issues)
    def progress(self, issue):
        self._run(issue, "progress", lambda: svc.progress(self.app, issue, "正在办理"))

    @rule(issue=issues)
    def resolve(self, issue):
        self._run(issue, "resolve", lambda: svc.resolve(self.app, issue, "已办结"))

    @rule(issue=issues, satisfaction=st.sampled_from(list(Satisfaction)), by_other=st.booleans())
    def rate(self, issue, satisfaction, by_other):
        m = self.model[issue]
        if by_other and m["status"] == "resolved":
            other = E2 if m["enterprise"] == E1 else E1
            with pytest.raises(ValidationError) as exc:
                svc.rate(self.app, issue, satisfaction, enterprise=other)
            assert exc.value.field == "enterprise"
            return
        command = f"rate:{satisfaction.value}"
        rated = m["status"] == "resolved"
        self._run(
            issue,
            command,
            lambda: svc.rate(self.app, issue, satisfaction, enterprise=m["enterprise"]),
        )
        if rated and command == "rate:unsatisfied":
            m["unsatisfied"] += 1

    @rule(issue=issues)
    def reject(self, issue):
        self._run(issue, "reject", lambda: svc.reject(self.app, issue, "不属于服务范围"))

    @rule(issue=issues, into=issues)
    def merge(self, issue, into):
        if issue == into:
            with pytest.raises(ValidationError):
                svc.merge(self.app, issue, into)
            return
        target = self.model[into]["status"]
        if target in FINISHED:
            # refused, whatever the duplicate's own state; it names a state
            with pytest.raises(IllegalTransition):
                svc.merge(self.app, issue, into)
            return
        self._run(issue, "merge", lambda: svc.merge(self.app, issue, into))

    # Commands picked blindly mostly hit a refusal; these walk an issue along a legal path
    # (one to four steps, the rating drawn at random) so that every state is reached often.

    def _advance(self, issue, steps, satisfactions):
        for n in range(steps):
            step = NEXT.get(self.model[issue]["status"])
            if step is None:
                return
            if step == "rate":
                self.rate(issue, satisfactions[n % len(satisfactions)], by_other=False)
            elif step == "dispatch":
                self.dispatch(issue, LEADS[n % 2])
            elif step == "ack":
                self.ack(issue, right_unit=True)
            else:
                getattr(self, step)(issue, **({"category": None} if step == "accept" else {}))

    @rule(
        issue=issues,
        steps=st.integers(1, 4),
        satisfactions=st.lists(st.sampled_from(REDO_FIRST), min_size=1, max_size=3),
    )
    def advance(self, issue, steps, satisfactions):
        self._advance(issue, steps, satisfactions)

    @rule(
        issue=issues,
        steps=st.integers(2, 6),
        satisfactions=st.lists(st.sampled_from(REDO_FIRST), min_size=1, max_size=3),
    )
    def advance_further(self, issue, steps, satisfactions):
        self._advance(issue, steps, satisfactions)

    @invariant()
    def every_issue_is_what_its_events_say(self):
        if not self.model:
            return
        with self.app.uow() as uow:
            states = {i.id: i for i in uow.issues.get_many(self.model)}
            histories = {i: uow.issues.events(i) for i in self.model}
        for issue_id, m in self.model.items():
            state = states[issue_id]
            assert state == replay(histories[issue_id])
            assert state.status.value == m["status"]
            assert state.redo_count == m["unsatisfied"]
            assert state.round == 1 + state.redo_count
            if state.acknowledged_at is None:
                assert state.owner == state.received_by == m["receiver"]
            else:
                assert state.owner == state.lead_unit == m["lead"]
            if issue_id in self.finished:
                assert state == self.finished[issue_id], "a finished issue changed"
            elif m["status"] in FINISHED:
                self.finished[issue_id] = state

    def teardown(self):
        # One rating row per rating given, and the unsatisfied ones are the redos.
        with self.app.uow() as uow:
            for issue_id, m in self.model.items():
                rows = uow.issues.ratings(issue_id)
                assert [r["round"] for r in rows] == list(range(1, len(rows) + 1))
                assert sum(r["satisfaction"] == "unsatisfied" for r in rows) == m["unsatisfied"]


def test_random_command_sequences_keep_the_rules(jiaozuo_url):
    app = make_app(jiaozuo_url)
    Lifecycle.app = app
    app.clock = lambda: Lifecycle.clock_at
    try:
        run_state_machine_as_test(
            Lifecycle,
            settings=settings(
                max_examples=25,
                deadline=None,
                stateful_step_count=20,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        Lifecycle.app = None
        app.close()


# --- the domain alone ----------------------------------------------------------------------------

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
COMMANDS = st.sampled_from(sorted({*TABLE, "absorb", "route", "recompute"}))


def _event(command: str, at: datetime) -> IssueEvent:
    due = {"on": "2026-03-10", "provisional": False}
    kind, data = {
        "accept": ("accepted", {"category": 1, "severity": "general"}),
        "dispatch": (
            "dispatched",
            {
                "lead": "u1",
                "co": ["u3", "u2"],
                "ack_due": due,
                "feedback_due": due,
                "resolve_due": due,
            },
        ),
        "ack": ("acknowledged", {"unit": "u1"}),
        "progress": ("progressed", {"note": "n"}),
        "resolve": ("resolved", {"note": "done"}),
        "rate:satisfied": ("rated", {"satisfaction": "satisfied"}),
        "rate:basic": ("rated", {"satisfaction": "basic"}),
        "rate:unsatisfied": ("rated", {"satisfaction": "unsatisfied", "redo_due": due}),
        "reject": ("rejected", {"reason": "r"}),
        "merge": ("merged", {"into": 99}),
        "absorb": ("absorbed", {"issue": 98}),
        "route": ("routed", {"level": "410800"}),  # a record of a later module
        "recompute": ("deadlines_recomputed", {"resolve_due": due}),
    }[command]
    return IssueEvent(kind, at, "tester", data)


FILED = IssueEvent(
    "filed",
    T0,
    "tester",
    {
        "id": 1,
        "enterprise": E1,
        "source": "hotline",
        "title": "t",
        "body": "b",
        "received_at": T0.isoformat(),
        "received_by": "office",
    },
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(COMMANDS, max_size=30))
def test_apply_and_replay_follow_the_rules(commands):
    issue = apply(None, FILED)
    history = [FILED]
    unsatisfied = 0
    for n, command in enumerate(commands, start=1):
        event = _event(command, T0 + timedelta(minutes=n))
        before = issue.status.value
        if command in TABLE:
            expected = TABLE[command].get(before)
        elif command == "absorb" or command == "recompute":
            expected = before if before not in FINISHED else None
        else:
            expected = before  # a record never refuses and never changes the issue
        try:
            new = apply(issue, event)
        except IllegalTransition as exc:
            assert expected is None, f"{command} refused from {before}"
            assert f"is {before}" in str(exc)
            continue
        if command == "route":
            assert new == issue
        assert expected is not None, f"{command} allowed from {before}"
        assert new.status.value == expected
        if before in FINISHED:
            assert new == issue
        if command == "rate:unsatisfied":
            unsatisfied += 1
        issue = new
        history.append(event)
    assert issue.redo_count == unsatisfied
    assert issue.round == 1 + unsatisfied
    assert issue.version == len([e for e in history if e.kind != "routed"])
    assert replay(history) == issue
    # The store keeps event data as JSON: the history read back replays to the same issue.
    stored = [
        IssueEvent(e.kind, e.at, e.actor, json.loads(json.dumps(dict(e.data)))) for e in history
    ]
    assert replay(stored) == issue
    if issue.acknowledged_at is None:
        assert issue.owner == "office"
    else:
        assert issue.owner == "u1"
    if issue.lead_unit:
        assert issue.co_units == ("u2", "u3")


def test_replay_refuses_a_history_that_does_not_start_with_filing():
    with pytest.raises(IllegalTransition):
        replay([_event("accept", T0)])
    with pytest.raises(IllegalTransition):
        replay([FILED, FILED])
    with pytest.raises(ValueError):
        replay([])
