"""The issue lifecycle through the services, on the bundled Jiaozuo city (R4, R7, category 7).

Every test here runs on SQLite and, with ``SERVICEFRAME_TEST_DB`` set, on PostgreSQL.
"""

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from attrs import evolve

from serviceframe.domain.categories import Category
from serviceframe.domain.duplicates import (
    DUPLICATE_SIMILARITY,
    DUPLICATE_WINDOW,
    compared_text,
    similarity,
)
from serviceframe.domain.issue import MAX_BODY, STATE_KINDS, Satisfaction, Status, replay
from serviceframe.domain.taxonomy import Classification
from serviceframe.errors import IllegalTransition, NotFound, ValidationError
from serviceframe.hookspecs import hookimpl
from serviceframe.plugins.manager import PluginFailure
from serviceframe.services import issues as svc
from serviceframe.services.issues import IssueDraft
from serviceframe.testing.clock import Clock
from serviceframe.testing.fixtures import make_app
from serviceframe.testing.sample import credit_code

SH = ZoneInfo("Asia/Shanghai")
E1 = "914108026469439561"  # 河南东昌电缆集团有限公司, 解放区
E2 = "9141080242426208X7"  # 焦作市恒泽制药有限公司, 解放区
E3 = "9141080382189956X4"
OFFICE = "jf-edsb"  # the office of 解放区's leading group, which runs its enterprises' issues (R4)
LEAD = "jz-fgw"
CO = ("jz-hbj", "jz-czj")

POWER = "我公司近期频繁遭遇拉闸限电，生产线多次停工，请协调供电部门保障用电。"
FINANCE = "企业流动资金紧张，申请协调银行贷款和融资担保。"


@pytest.fixture
def clock():
    return Clock(datetime(2026, 9, 28, 10, 0, tzinfo=SH))


@pytest.fixture
def app(jiaozuo_app, clock):
    jiaozuo_app.clock = clock
    return jiaozuo_app


def draft(body: str = POWER, enterprise: str = E1, **kw) -> IssueDraft:
    kw.setdefault("source", "hotline")
    return IssueDraft(enterprise=enterprise, body=body, **kw)


def file(app, body: str = POWER, enterprise: str = E1, **kw):
    return svc.file_issue(app, draft(body, enterprise, **kw)).issue


def stored(app, issue_id: int):
    with app.uow() as uow:
        return uow.issues.get(issue_id)


def events(app, issue_id: int):
    with app.uow() as uow:
        return uow.issues.events(issue_id)


def lifecycle(app, issue_id: int):
    """The events that change the issue; routing records of later modules are left out."""
    return [e for e in events(app, issue_id) if e.kind in STATE_KINDS]


def last(app, issue_id: int, kind: str):
    return [e for e in events(app, issue_id) if e.kind == kind][-1]


def count(app) -> int:
    with app.uow() as uow:
        return uow.issues.count()


def ratings(app, issue_id: int):
    with app.uow() as uow:
        return uow.issues.ratings(issue_id)


def assert_replays(app, issue_id: int):
    """The stored row is exactly what the event history says."""
    state = stored(app, issue_id)
    assert state == replay(events(app, issue_id))
    return state


def to_resolved(app, clock, **kw):
    issue = file(app, **kw)
    svc.accept(app, issue.id)
    svc.dispatch(app, issue.id, LEAD)
    svc.acknowledge(app, issue.id, LEAD)
    return svc.resolve(app, issue.id, "已协调供电公司恢复供电")


# --- the happy path ----------------------------------------------------------------------------


def test_happy_path_received_to_closed(app, clock):
    issue = file(app, title="频繁限电")
    assert issue.status is Status.RECEIVED
    assert issue.owner == OFFICE and issue.received_by == OFFICE

    clock.set(2026, 9, 28, 11, 0)
    issue = svc.accept(app, issue.id, severity="general")
    assert (issue.status, issue.category) == (Status.ACCEPTED, Category.PRODUCTION_FACTORS)

    issue = svc.dispatch(app, issue.id, LEAD, co=CO)
    assert issue.status is Status.DISPATCHED
    assert issue.lead_unit == LEAD and set(issue.co_units) == set(CO)
    assert issue.dispatched_at == clock.now
    assert issue.resolve_due is not None and issue.resolve_due.on == date(2026, 10, 13)
    # What the service hands back is what a later read sees.
    assert stored(app, issue.id) == issue

    clock.set(2026, 9, 29, 9, 0)
    issue = svc.acknowledge(app, issue.id, LEAD)
    assert (issue.status, issue.owner) == (Status.ACKNOWLEDGED, LEAD)

    clock.set(2026, 9, 30, 9, 0)
    issue = svc.progress(app, issue.id, "已联系国网焦作供电公司")
    assert issue.status is Status.IN_PROGRESS
    assert issue.first_feedback_at == clock.now

    clock.set(2026, 10, 9, 16, 0)
    issue = svc.resolve(app, issue.id, "已调整有序用电方案，企业恢复满负荷生产")
    assert issue.status is Status.RESOLVED
    assert issue.resolution == "已调整有序用电方案，企业恢复满负荷生产"

    clock.set(2026, 10, 10, 9, 0)
    issue = svc.rate(app, issue.id, "满意", comment="处理及时", enterprise=E1)
    assert issue.status is Status.CLOSED
    assert issue.satisfaction is Satisfaction.SATISFIED
    assert issue.closed_at == clock.now and issue.redo_count == 0

    history = lifecycle(app, issue.id)
    assert [e.kind for e in history] == [
        "filed",
        "accepted",
        "dispatched",
        "acknowledged",
        "progressed",
        "resolved",
        "rated",
    ]
    assert [e.at for e in history] == sorted(e.at for e in history)
    assert all(e.actor == "test" for e in history)
    state = assert_replays(app, issue.id)
    assert state == issue
    assert state.version == len(history)
    (rating,) = ratings(app, issue.id)
    assert (rating["round"], rating["satisfaction"], rating["comment"]) == (
        1,
        "satisfied",
        "处理及时",
    )
    assert rating["lead_unit"] == LEAD


def test_co_handling_units_are_stored_as_dispatched(app):
    issue = file(app)
    svc.accept(app, issue.id)
    returned = svc.dispatch(app, issue.id, LEAD, co=("jz-hbj", "jz-czj", "jz-hbj"))
    assert sorted(returned.co_units) == ["jz-czj", "jz-hbj"]
    assert stored(app, issue.id).co_units == returned.co_units
    assert_replays(app, issue.id)


# --- first-inquiry responsibility (首问负责) ------------------------------------------------------


def test_receiver_owns_the_issue_until_the_lead_unit_acknowledges(app, clock):
    issue = file(app)
    assert issue.owner == OFFICE
    assert svc.accept(app, issue.id).owner == OFFICE
    assert svc.dispatch(app, issue.id, LEAD, co=CO).owner == OFFICE

    # A co-handling unit is not the lead unit: it cannot take the issue over.
    with pytest.raises(ValidationError) as exc:
        svc.acknowledge(app, issue.id, "jz-hbj")
    assert exc.value.field == "unit"
    assert LEAD in str(exc.value)
    assert stored(app, issue.id).owner == OFFICE
    assert stored(app, issue.id).status is Status.DISPATCHED

    clock.set(2026, 9, 29, 9, 0)
    issue = svc.acknowledge(app, issue.id, LEAD)
    assert issue.owner == LEAD
    ack = last(app, issue.id, "acknowledged")
    assert ack.data["owner_before"] == OFFICE and ack.data["on_time"] is True
    svc.progress(app, issue.id, "正在协调")
    assert stored(app, issue.id).owner == LEAD


def test_a_county_receiver_owns_what_it_received(app):
    issue = file(app, received_by="jf-edsb")
    assert (issue.received_by, issue.owner) == ("jf-edsb", "jf-edsb")
    svc.accept(app, issue.id)
    assert svc.dispatch(app, issue.id, "jf-fgw").owner == "jf-edsb"
    assert svc.acknowledge(app, issue.id, "jf-fgw").owner == "jf-fgw"


def test_late_acknowledgement_is_recorded_as_late(app, clock):
    issue = file(app)
    svc.accept(app, issue.id)
    svc.dispatch(app, issue.id, LEAD)  # Monday 09-28: acknowledge by 09-29
    clock.set(2026, 9, 30, 9, 0)
    svc.acknowledge(app, issue.id, LEAD)
    assert last(app, issue.id, "acknowledged").data["on_time"] is False


# --- satisfaction --------------------------------------------------------------------------------


def test_unsatisfied_rating_sends_the_issue_back_with_a_redo_deadline(app, clock):
    issue = to_resolved(app, clock)
    assert issue.resolve_due.on == date(2026, 10, 13)

    clock.set(2026, 10, 9, 10, 0)  # Friday; 10-10 is a make-up working day
    issue = svc.rate(app, issue.id, Satisfaction.UNSATISFIED, comment="仍在限电", enterprise=E1)
    assert issue.status is Status.REDO
    assert (issue.round, issue.redo_count) == (2, 1)
    # 5 working days after 10-09: 10-10 (调休), 10-12, 10-13, 10-14, 10-15.
    assert issue.resolve_due.on == date(2026, 10, 15)
    assert issue.resolve_due.provisional is False
    assert issue.resolved_at is None
    assert issue.owner == LEAD
    assert_replays(app, issue.id)

    issue = svc.progress(app, issue.id, "重新协调")
    issue = svc.resolve(app, issue.id, "已专线供电")
    assert (issue.status, issue.round) == (Status.RESOLVED, 2)
    issue = svc.rate(app, issue.id, "basic")
    assert issue.status is Status.CLOSED and issue.satisfaction is Satisfaction.BASIC
    assert issue.redo_count == 1
    assert [(r["round"], r["satisfaction"]) for r in ratings(app, issue.id)] == [
        (1, "unsatisfied"),
        (2, "basic"),
    ]
    assert_replays(app, issue.id)


def test_two_unsatisfied_rounds_count_two_redos(app, clock):
    issue = to_resolved(app, clock)
    for _ in range(2):
        svc.rate(app, issue.id, "不满意")
        issue = svc.resolve(app, issue.id, "再次办理")
    assert (issue.round, issue.redo_count) == (3, 2)
    assert_replays(app, issue.id)


@pytest.mark.parametrize("first", ["satisfied", "unsatisfied"])
def test_one_rating_per_round(app, clock, first):
    issue = to_resolved(app, clock)
    after = svc.rate(app, issue.id, first)
    with pytest.raises(IllegalTransition) as exc:
        svc.rate(app, issue.id, "satisfied")
    assert after.status.value in str(exc.value)
    assert len(ratings(app, issue.id)) == 1
    assert stored(app, issue.id) == after


def test_rating_only_after_resolution(app):
    issue = file(app)
    svc.accept(app, issue.id)
    svc.dispatch(app, issue.id, LEAD)
    for status in ("dispatched", "acknowledged", "in_progress"):
        assert stored(app, issue.id).status.value == status
        with pytest.raises(IllegalTransition, match=status):
            svc.rate(app, issue.id, "satisfied", enterprise=E1)
        if status == "dispatched":
            svc.acknowledge(app, issue.id, LEAD)
        elif status == "acknowledged":
            svc.progress(app, issue.id, "办理中")
    assert ratings(app, issue.id) == []


def test_only_the_issues_enterprise_may_rate(app, clock):
    issue = to_resolved(app, clock)
    with pytest.raises(ValidationError) as exc:
        svc.rate(app, issue.id, "unsatisfied", enterprise=E2)
    assert exc.value.field == "enterprise"
    assert E1 in str(exc.value)
    assert stored(app, issue.id).status is Status.RESOLVED
    assert ratings(app, issue.id) == []
    # The enterprise itself may, however it writes its code.
    assert svc.rate(app, issue.id, "satisfied", enterprise=E1.lower()).status is Status.CLOSED
    (rating,) = ratings(app, issue.id)
    assert rating["rated_by"] == E1


def test_an_unknown_satisfaction_names_the_field(app, clock):
    issue = to_resolved(app, clock)
    with pytest.raises(ValidationError) as exc:
        svc.rate(app, issue.id, "great")
    assert exc.value.field == "satisfaction"


# --- reject, merge ------------------------------------------------------------------------------


def test_reject_with_reason(app):
    issue = file(app, body="希望政府帮助我公司推销产品到外省")
    with pytest.raises(ValidationError) as exc:
        svc.reject(app, issue.id, "  ")
    assert exc.value.field == "reason"
    with pytest.raises(ValidationError) as exc:
        svc.reject(app, issue.id, "不予受理。" * 101)
    assert exc.value.field == "reason"
    assert stored(app, issue.id).status is Status.RECEIVED
    issue = svc.reject(app, issue.id, "属于企业自主经营事项，不予受理")
    assert issue.status is Status.REJECTED
    assert issue.reject_reason == "属于企业自主经营事项，不予受理"
    assert issue.closed_at is not None
    with pytest.raises(IllegalTransition, match="rejected"):
        svc.accept(app, issue.id, category=1)
    assert_replays(app, issue.id)


def test_reject_is_refused_once_dispatched(app):
    issue = file(app)
    svc.accept(app, issue.id)
    svc.dispatch(app, issue.id, LEAD)
    with pytest.raises(IllegalTransition, match="dispatched"):
        svc.reject(app, issue.id, "不予受理")


def test_merge_keeps_the_duplicate_and_counts_it(app):
    target = file(app, enterprise=E1)
    dup = file(app, body=POWER + "（重复反映）", enterprise=E2, source="portal")
    svc.accept(app, target.id)
    svc.dispatch(app, target.id, LEAD)

    merged = svc.merge(app, dup.id, into=target.id)
    assert merged.status is Status.MERGED and merged.merged_into == target.id
    assert merged.enterprise == E2 and merged.body.startswith(POWER)
    assert stored(app, target.id).duplicates == 1
    assert stored(app, target.id).status is Status.DISPATCHED

    third = file(app, body="第三次反映限电", enterprise=E1, source="visit")
    svc.merge(app, third.id, into=target.id)
    assert stored(app, target.id).duplicates == 2
    assert [e.kind for e in lifecycle(app, target.id)][-2:] == ["absorbed", "absorbed"]
    for issue_id in (target.id, dup.id, third.id):
        assert_replays(app, issue_id)

    # A merged issue is finished.
    for command in (
        lambda: svc.accept(app, dup.id),
        lambda: svc.reject(app, dup.id, "x"),
        lambda: svc.merge(app, dup.id, into=third.id),
        lambda: svc.merge(app, third.id, into=dup.id),
    ):
        with pytest.raises(IllegalTransition, match="merged"):
            command()
    assert stored(app, dup.id) == merged


def test_merge_refusals(app):
    a, b = file(app), file(app, body=FINANCE)
    with pytest.raises(ValidationError) as exc:
        svc.merge(app, a.id, into=a.id)
    assert exc.value.field == "into"
    with pytest.raises(NotFound):
        svc.merge(app, a.id, into=9999)
    svc.reject(app, b.id, "重复")
    with pytest.raises(IllegalTransition, match="rejected"):
        svc.merge(app, a.id, into=b.id)
    assert stored(app, a.id).status is Status.RECEIVED


# --- illegal transitions -----------------------------------------------------------------------


def _walk(app, issue_id: int, status: str) -> None:
    steps = {
        "accepted": lambda: svc.accept(app, issue_id),
        "dispatched": lambda: svc.dispatch(app, issue_id, LEAD),
        "acknowledged": lambda: svc.acknowledge(app, issue_id, LEAD),
        "resolved": lambda: svc.resolve(app, issue_id, "办结"),
        "closed": lambda: svc.rate(app, issue_id, "satisfied"),
    }
    for name, step in steps.items():
        if stored(app, issue_id).status.value == status:
            return
        step()
        if name == status:
            return


ILLEGAL = {
    "received": ("dispatch", "ack", "progress", "resolve", "rate"),
    "accepted": ("accept", "ack", "progress", "resolve", "rate"),
    "dispatched": ("accept", "progress", "resolve", "rate", "reject"),
    "acknowledged": ("accept", "dispatch", "ack", "rate", "reject", "merge"),
    "resolved": ("accept", "dispatch", "progress", "resolve", "reject", "merge"),
    "closed": ("accept", "dispatch", "ack", "progress", "resolve", "rate", "reject", "merge"),
}


def test_illegal_transitions_name_the_current_state(app):
    for status, commands in ILLEGAL.items():
        issue = file(app, body=f"{POWER}（{status}）")
        other = file(app, body=FINANCE, enterprise=E2)
        _walk(app, issue.id, status)
        before = stored(app, issue.id)
        assert before.status.value == status
        run = {
            "accept": lambda i=issue: svc.accept(app, i.id, category=1),
            "dispatch": lambda i=issue: svc.dispatch(app, i.id, LEAD),
            "ack": lambda i=issue: svc.acknowledge(app, i.id, LEAD),
            "progress": lambda i=issue: svc.progress(app, i.id, "进展"),
            "resolve": lambda i=issue: svc.resolve(app, i.id, "办结"),
            "rate": lambda i=issue: svc.rate(app, i.id, "satisfied"),
            "reject": lambda i=issue: svc.reject(app, i.id, "不予受理"),
            "merge": lambda i=issue, o=other: svc.merge(app, i.id, into=o.id),
        }
        for command in commands:
            with pytest.raises(IllegalTransition) as exc:
                run[command]()
            assert f"is {status}" in str(exc.value), (status, command)
        assert stored(app, issue.id) == before, status
        assert stored(app, other.id).duplicates == 0
        assert len(lifecycle(app, issue.id)) == before.version
        assert_replays(app, issue.id)


def test_unknown_issue_is_not_found(app):
    with pytest.raises(NotFound):
        svc.accept(app, 4242)
    with pytest.raises(NotFound):
        svc.get_issue(app, 4242)


def test_dispatch_to_an_unknown_unit_names_the_field(app):
    issue = file(app)
    svc.accept(app, issue.id)
    with pytest.raises(ValidationError) as exc:
        svc.dispatch(app, issue.id, "jz-nope")
    assert exc.value.field == "lead"
    with pytest.raises(ValidationError) as exc:
        svc.dispatch(app, issue.id, LEAD, co=["jz-nope"])
    assert exc.value.field == "co"
    with pytest.raises(ValidationError) as exc:
        svc.dispatch(app, issue.id, LEAD, co=[LEAD])
    assert exc.value.field == "co"
    assert stored(app, issue.id).status is Status.ACCEPTED


# --- intake ---------------------------------------------------------------------------------------


def test_same_source_and_external_id_is_one_issue(app):
    first = svc.file_issue(app, draft(external_id="RX-2026-0001"))
    again = svc.file_issue(app, draft(external_id=" RX-2026-0001 ", title="重复推送"))
    assert first.created and not again.created
    assert again.issue.id == first.issue.id
    assert again.issue == stored(app, first.issue.id)
    assert count(app) == 1
    # Another channel's message with the same number is another message.
    other = svc.file_issue(app, draft(external_id="RX-2026-0001", source="portal"))
    assert other.created and other.issue.id != first.issue.id
    assert count(app) == 2


UNREGISTERED = credit_code("410802", 987654)


BAD_DRAFTS = [
    ({"enterprise": UNREGISTERED}, "enterprise"),
    ({"enterprise": "91410802ABC"}, "enterprise"),
    ({"body": "   "}, "body"),
    ({"body": "限" * (MAX_BODY + 1)}, "body"),
    ({"title": "长" * 201}, "title"),
    ({"category": 10}, "category"),
    ({"category": "招商引资"}, "category"),
    ({"severity": "urgent"}, "severity"),
    ({"source": "fax"}, "source"),
    ({"received_by": "nobody"}, "received_by"),
    ({"received_at": datetime(2026, 9, 28, 9, 0)}, "received_at"),
    ({"received_at": "2026-09-28T09:00+08:00"}, "received_at"),
    ({"received_at": datetime(2026, 10, 28, 9, 0, tzinfo=SH)}, "received_at"),
    ({"external_id": "x" * 201}, "external_id"),
    ({"origin": "visit:" + "9" * 200}, "origin"),
]


def test_bad_drafts_name_the_field_and_store_nothing(app):
    # One database for all the cases: each must leave it as it was.
    file(app, body=FINANCE)
    for changes, field in BAD_DRAFTS:
        kw = {"enterprise": E1, "body": POWER, "source": "hotline", **changes}
        with pytest.raises(ValidationError) as exc:
            svc.file_issue(app, IssueDraft(**kw))
        assert exc.value.field == field, changes
        assert count(app) == 1, changes
    # and in bulk, each is reported by its position
    report = svc.file_issues(
        app,
        [
            IssueDraft(**{"enterprise": E1, "body": POWER, "source": "hotline", **c})
            for c, _ in BAD_DRAFTS
        ],
    )
    assert [(e.index, e.field) for e in report.errors] == [
        (n, field) for n, (_, field) in enumerate(BAD_DRAFTS)
    ]
    assert not report.filed and count(app) == 1


def test_received_at_keeps_the_moment_and_a_title_defaults_to_the_body(app):
    received = datetime(2026, 9, 27, 21, 30, tzinfo=SH)
    issue = file(app, received_at=received)
    assert issue.received_at == received
    assert issue.title == POWER[:40]
    assert stored(app, issue.id).received_at == received


def test_near_duplicates_are_flagged_not_dropped(app, clock):
    clock.set(2026, 9, 1, 9, 0)
    first = file(app)
    clock.set(2026, 9, 8, 9, 0)
    similar = file(app, body=POWER.replace("频繁", "多次"), source="portal")
    elsewhere = file(app, enterprise=E2)
    unrelated = file(app, body=FINANCE)
    assert similar.possible_duplicates == (first.id,)
    assert elsewhere.possible_duplicates == ()
    assert unrelated.possible_duplicates == ()
    assert count(app) == 4
    assert stored(app, similar.id).possible_duplicates == (first.id,)

    # Weeks later, the same complaint again is a new issue, not a duplicate.
    clock.set(2026, 10, 20, 9, 0)
    assert file(app).possible_duplicates == ()


def test_near_duplicates_look_at_when_each_issue_was_received(app, clock):
    """The window is around each issue's own time: a letter received weeks before an issue
    is not its duplicate, even when it is filed after it."""
    clock.set(2026, 9, 28, 9, 0)
    recent = file(app)
    late_letter = file(app, source="letter", received_at=datetime(2026, 9, 1, 9, 0, tzinfo=SH))
    assert recent.id not in late_letter.possible_duplicates

    # In bulk: the batch starts early, but each draft is compared within its own window.
    report = svc.file_issues(
        app,
        [
            draft(FINANCE, enterprise=E2, received_at=datetime(2026, 9, 2, 9, 0, tzinfo=SH)),
            draft(received_at=datetime(2026, 9, 20, 9, 0, tzinfo=SH), source="visit"),
        ],
    )
    (_, visit_id) = report.filed
    assert stored(app, visit_id).possible_duplicates == (recent.id,)


# Calls of three enterprises over four months: a few wordings of two complaints, and others.
CALLS = [
    POWER,
    POWER.replace("频繁", "多次"),
    "我公司近期多次遭遇拉闸限电，生产线停工，请尽快协调供电部门。",
    FINANCE,
    "企业流动资金非常紧张，申请协调银行贷款。",
    "厂区门口道路破损严重，货车进出困难，请求尽快修复。",
    "企业招工难，缺少熟练技工，希望组织招聘会。",
]


@pytest.mark.parametrize("order", ["by time", "shuffled"])
def test_a_later_chunk_finds_the_near_duplicates_of_an_earlier_one(app, monkeypatch, order):
    """An import keeps its candidates from chunk to chunk and reads the store again when a
    draft reaches back past them: whatever the order of the file, each issue is flagged with
    exactly the earlier issues of its enterprise within two weeks that read much the same
    (fewer than DUPLICATE_CANDIDATES of an enterprise in the file, so none is left out)."""
    monkeypatch.setattr(svc, "INTAKE_CHUNK", 7)
    rng = random.Random(3)
    start = datetime(2026, 5, 1, 9, 0, tzinfo=SH)
    drafts = [
        draft(
            rng.choice(CALLS),
            enterprise=rng.choice((E1, E2, E3)),
            received_at=start + timedelta(hours=rng.randrange(120 * 24)),
        )
        for _ in range(90)
    ]
    drafts.sort(key=lambda d: d.received_at)
    if order == "shuffled":
        rng.shuffle(drafts)
    filed = svc.file_issues(app, drafts).filed
    with app.uow() as uow:
        issues = {i.id: i for i in uow.issues.find() if i.enterprise in (E1, E2, E3)}
    before = [  # stored before the import, and candidates
        i
        for i, issue in issues.items()
        if i not in set(filed) and issue.status not in (Status.REJECTED, Status.MERGED)
    ]

    def alike(a, b) -> bool:
        return (
            a.enterprise == b.enterprise
            and abs(a.received_at - b.received_at) <= DUPLICATE_WINDOW
            and similarity(compared_text(a.title, a.body), compared_text(b.title, b.body))
            >= DUPLICATE_SIMILARITY
        )

    flagged = 0
    for n, issue_id in enumerate(filed):
        issue = issues[issue_id]
        earlier = [issues[i] for i in [*before, *filed[:n]]]
        expected = tuple(sorted(e.id for e in earlier if alike(e, issue)))
        assert issue.possible_duplicates == expected, issue_id
        flagged += bool(expected)
    assert flagged > 20, flagged  # not vacuous


# --- classification -------------------------------------------------------------------------------


def test_accept_uses_the_built_in_classifier(app):
    issue = file(app)
    assert issue.category is Category.UNCLASSIFIED
    assert issue.suggested_category is Category.PRODUCTION_FACTORS
    issue = svc.accept(app, issue.id)
    assert issue.category is Category.PRODUCTION_FACTORS
    accepted = last(app, issue.id, "accepted")
    assert accepted.data["classified_by"] == "classifier"
    assert "限电" in "".join(accepted.data["matched"])


def test_the_office_overrides_the_classifier(app):
    issue = file(app)
    issue = svc.accept(app, issue.id, category="融资服务支持", severity="major")
    assert (issue.category, issue.severity.value) == (Category.FINANCING, "major")
    assert last(app, issue.id, "accepted").data["classified_by"] == "office"
    # and a category given at filing is kept
    filed = file(app, body=FINANCE, category=8)
    assert svc.accept(app, filed.id).category is Category.TALENT_TRAINING


def test_text_the_classifier_cannot_place_needs_a_category(app):
    issue = file(app, body="请回电。")
    with pytest.raises(ValidationError) as exc:
        svc.accept(app, issue.id)
    assert exc.value.field == "category"
    assert stored(app, issue.id).status is Status.RECEIVED


class CountyClassifier:
    """A county's own classifier: everything about 限电 is its training matter."""

    @hookimpl
    def serviceframe_classify(self, app, title, body):
        if "限电" in body:
            return Classification(Category.TALENT_TRAINING, 5.0, ("county",), None)
        return None


def test_a_plugin_classifier_wins_over_the_built_in(jiaozuo_url, clock):
    app = make_app(jiaozuo_url, plugins=(CountyClassifier(),))
    app.clock = clock
    try:
        issue = file(app)
        assert issue.suggested_category is Category.TALENT_TRAINING
        assert svc.accept(app, issue.id).category is Category.TALENT_TRAINING
        # None lets the built-in decide.
        other = file(app, body=FINANCE)
        assert svc.accept(app, other.id).category is Category.FINANCING
        # The office still has the last word.
        third = file(app, body=POWER + "（二）")
        assert svc.accept(app, third.id, category=1).category is Category.PRODUCTION_FACTORS
    finally:
        app.close()


class BrokenClassifier:
    def __init__(self) -> None:
        self.__name__ = "county-classifier"

    @hookimpl
    def serviceframe_classify(self, app, title, body):
        raise RuntimeError("词库文件损坏")


def test_a_broken_classifier_plugin_is_reported_and_the_built_in_decides(jiaozuo_url, clock):
    app = make_app(jiaozuo_url, plugins=(BrokenClassifier(),))
    app.clock = clock
    try:
        issue = file(app)
        assert issue.suggested_category is Category.PRODUCTION_FACTORS
        assert svc.accept(app, issue.id).category is Category.PRODUCTION_FACTORS
        failure = app.plugins.failures[0]
        assert (failure.plugin, failure.hook) == ("county-classifier", "serviceframe_classify")
        assert "词库文件损坏" in failure.error
    finally:
        app.close()


class FailingNotifier:
    def __init__(self) -> None:
        self.__name__ = "county-sms"
        self.seen: list[str] = []

    @hookimpl
    def serviceframe_issue_event(self, app, issue, event):
        self.seen.append(event.kind)
        if event.kind == "accepted":
            raise RuntimeError("短信网关不可用")


def test_a_failing_plugin_is_reported_and_the_change_stands(jiaozuo_url, clock):
    notifier = FailingNotifier()
    app = make_app(jiaozuo_url, plugins=(notifier,))
    app.clock = clock
    try:
        issue = file(app)
        assert app.plugins.failures == []
        issue = svc.accept(app, issue.id)
        assert issue.status is Status.ACCEPTED
        assert stored(app, issue.id).status is Status.ACCEPTED
        (failure,) = app.plugins.failures
        assert isinstance(failure, PluginFailure)
        assert failure.plugin == "county-sms"
        assert failure.hook == "serviceframe_issue_event"
        assert "短信网关不可用" in str(failure)
        svc.dispatch(app, issue.id, LEAD)
        assert [k for k in notifier.seen if k in STATE_KINDS] == ["filed", "accepted", "dispatched"]
        assert len(app.plugins.failures) == 1
    finally:
        app.close()


# --- bulk intake ----------------------------------------------------------------------------------


def test_bulk_files_the_good_drafts_and_reports_the_bad_by_index(app, clock):
    drafts = [
        draft(external_id="h-1"),
        draft(enterprise=UNREGISTERED, external_id="h-2"),
        draft(FINANCE, enterprise=E2, external_id="h-3"),
        draft("", external_id="h-4"),
        draft("企业招工难，技术工人短缺，希望组织职业技能培训。", external_id="h-5"),
        draft(FINANCE, source="wechat", external_id="h-6"),
    ]
    report = svc.file_issues(app, drafts)
    assert [(e.index, e.field) for e in report.errors] == [
        (1, "enterprise"),
        (3, "body"),
        (5, "source"),
    ]
    assert len(report.filed) == 3 and report.existing == ()
    assert count(app) == 3
    filed = [stored(app, i) for i in report.filed]
    assert [i.external_id for i in filed] == ["h-1", "h-3", "h-5"]
    assert [i.suggested_category for i in filed] == [
        Category.PRODUCTION_FACTORS,
        Category.FINANCING,
        Category.TALENT_TRAINING,
    ]
    for i in filed:
        assert i.owner == OFFICE
        assert_replays(app, i.id)

    # The same export again files nothing new.
    again = svc.file_issues(app, drafts)
    assert not again.filed
    assert sorted(again.existing) == sorted(report.filed)
    assert count(app) == 3


def test_bulk_duplicates_within_one_batch_become_one_issue(app):
    report = svc.file_issues(
        app,
        [
            draft(external_id="call-7"),
            draft(FINANCE, enterprise=E2, external_id="call-8"),
            draft(external_id="call-7", title="二次推送"),
        ],
    )
    assert len(report.filed) == 2 and report.errors == ()
    # The repeated delivery is accounted for: it is the issue filed for its first copy.
    assert report.existing == (report.filed[0],)
    assert count(app) == 2


def test_bulk_flags_near_duplicates_within_the_batch(app):
    report = svc.file_issues(
        app, [draft(), draft(POWER.replace("频繁", "多次"), source="portal"), draft(FINANCE)]
    )
    first, second, third = (stored(app, i) for i in report.filed)
    assert first.possible_duplicates == ()
    assert second.possible_duplicates == (first.id,)
    assert third.possible_duplicates == ()
    for i in (first, second, third):
        assert_replays(app, i.id)


def test_bulk_with_nothing_good_stores_nothing(app):
    report = svc.file_issues(app, [draft(""), draft(source="fax")])
    assert not report.filed and len(report.errors) == 2
    assert count(app) == 0
    assert not svc.file_issues(app, []).filed


def test_list_filters(app, clock):
    a = file(app)
    b = file(app, body=FINANCE, enterprise=E2, source="portal")
    svc.accept(app, a.id)
    svc.dispatch(app, a.id, LEAD, co=["jz-czj"])
    assert [i.id for i in svc.list_issues(app, status=["dispatched"])] == [a.id]
    assert [i.id for i in svc.list_issues(app, enterprise=E2)] == [b.id]
    assert [i.id for i in svc.list_issues(app, unit="jz-czj")] == [a.id]
    assert [i.id for i in svc.list_issues(app, unit=OFFICE)] == [a.id, b.id]
    assert [i.id for i in svc.list_issues(app, source="portal")] == [b.id]
    assert svc.list_issues(app, received_from=clock.now + timedelta(days=1)) == []


def test_a_message_delivered_twice_at_once_is_still_one_issue(app, monkeypatch):
    """The second delivery looked for the message before the first one committed: the
    database's unique index catches it, and it is answered with the first one's issue."""
    from serviceframe.store.issue_repository import IssueRepository

    first = svc.file_issue(app, draft(external_id="RX-9"))
    real = IssueRepository.intake_lookup
    calls = []

    def not_yet_committed(self, windows, keys):
        calls.append(keys)
        found = real(self, windows, keys)
        return evolve(found, filed={}) if len(calls) == 1 else found

    monkeypatch.setattr(IssueRepository, "intake_lookup", not_yet_committed)
    again = svc.file_issue(app, draft(external_id="RX-9"))
    assert len(calls) == 2
    assert (again.created, again.issue.id) == (False, first.issue.id)
    assert count(app) == 1


def test_one_drafts_look_up_agrees_with_a_chunks(app, clock):
    """Filing one issue reads its enterprise, its external id and the near-duplicate
    candidates in one statement; a chunk reads them with others: the same answers."""
    a = file(app, external_id="L-1")
    b = file(app, body=FINANCE, enterprise=E2, external_id="L-2")
    window = (clock.now - timedelta(days=14), clock.now + timedelta(days=14))
    unknown = "91410800MA44XXXX0X"
    with app.uow() as uow:
        alone = uow.issues.intake_lookup({E1: window}, {("hotline", "L-1")})
        other = uow.issues.intake_lookup({E1: window}, {("hotline", "L-2")})
        missing = uow.issues.intake_lookup({unknown: window}, {("hotline", "L-1")})
        together = uow.issues.intake_lookup(
            {E1: window, E2: window, unknown: window}, {("hotline", "L-1"), ("hotline", "L-2")}
        )
    assert alone.filed == {("hotline", "L-1"): a.id}
    assert other.filed == {("hotline", "L-2"): b.id}  # an external id is the source's
    assert missing.known == {} and missing.filed == {}
    assert together.filed == {("hotline", "L-1"): a.id, ("hotline", "L-2"): b.id}
    assert alone.known == {E1: together.known[E1]} and set(together.known) == {E1, E2}
    assert [r[0] for r in alone.recent] == [a.id]
    assert sorted(r[0] for r in together.recent) == [a.id, b.id]
