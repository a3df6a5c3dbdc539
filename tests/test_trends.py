"""Widespread issues (倾向性、普遍性问题, R7) on the bundled Jiaozuo city.

The same topic (category and strongest keyword: "1:天然气供应") raised by at least 5 different
enterprises in at least 2 counties within 30 days forms a cluster, escalated as one item to
the executive vice mayor; every member follows it, and resolving it settles them all.

Every test here runs on SQLite and, with ``SERVICEFRAME_TEST_DB`` set, on PostgreSQL.
"""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from ladder import events_of, invoke, replayed, routing
from serviceframe.domain.routing import Rung
from serviceframe.errors import ServiceFrameError
from serviceframe.hookspecs import hookimpl
from serviceframe.services import issues as svc
from serviceframe.services.issues import IssueDraft
from serviceframe.services.trends import detect, list_clusters, resolve_cluster, show_cluster
from serviceframe.store import tables as t
from serviceframe.testing.clock import Clock
from serviceframe.testing.fixtures import make_app

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=SH)
CITY = "410800"

# Enterprises of 解放区 (410802), 中站区 (410803) and 修武县 (410821), of every key level.
JIEFANG = ("914108026469439561", "91410802800014232W", "914108023928756223")
ZHONGZHAN = ("9141080382189956X4", "9141080393961761X2")
XIUWU = ("91410821807299699J", "91410821890220899X")
FIVE = (*JIEFANG[:2], *ZHONGZHAN, XIUWU[0])  # five enterprises in three counties
JIEFANG_FIVE = (
    "914108026469439561",
    "9141080242426208X7",
    "91410802967291987R",
    "91410802800014232W",
    "91410802996054454J",
)
GAS = "天然气供气严重不足，锅炉多次停机，生产受到很大影响。"
GAS_AGAIN = "冬季用气高峰，天然气缺口大，请协调增加供气指标。"
POWER = "我公司近期频繁遭遇拉闸限电，生产线多次停工。"
FINANCE = "企业流动资金紧张，申请协调银行贷款。"


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def app(jiaozuo_app, clock):
    jiaozuo_app.clock = clock
    return jiaozuo_app


def accepted(app, enterprise: str, body: str = GAS, received_at: datetime | None = None):
    draft = IssueDraft(enterprise=enterprise, source="hotline", body=body, received_at=received_at)
    return svc.accept(app, svc.file_issue(app, draft).issue.id)


def counts(app) -> tuple[int, int, int]:
    with app.uow() as uow:
        c = uow.connection
        return tuple(
            c.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (t.clusters, t.events, t.supervision_orders)
        )


# --- forming ---------------------------------------------------------------------------------


def test_five_enterprises_in_several_counties_form_a_cluster(app):
    ids = [accepted(app, e).id for e in FIVE]
    assert routing(app, ids[0]).topic == "1:天然气供应"
    assert routing(app, ids[1]).official == "jf-vm-industry"  # its county's, until now

    (change,) = detect(app)
    assert (change.kind, change.topic, change.enterprises, change.counties) == (
        "formed",
        "1:天然气供应",
        5,
        3,
    )
    assert (change.rung, change.official) == ("executive_deputy", "jz-evm")
    assert sorted(change.new_members) == sorted(ids)
    for issue_id in ids:
        r = routing(app, issue_id)
        assert (r.cluster, r.level, r.rung, r.official) == (
            change.cluster,
            CITY,
            Rung.EXECUTIVE_DEPUTY,
            "jz-evm",
        )
        (linked,) = events_of(app, issue_id, "clustered")
        assert linked.data["cluster"] == change.cluster
        assert replayed(app, issue_id) == r

    view = show_cluster(app, change.cluster)
    assert (view.enterprises, view.counties) == (5, 3)
    assert sorted(m["id"] for m in view.members) == sorted(ids)

    result = invoke(app, "route", str(ids[1]))
    assert result.exit_code == 0, result.output
    assert f"cluster {change.cluster}" in result.stdout and "jz-evm" in result.stdout

    result = invoke(app, "cluster", "show", str(change.cluster))
    assert result.exit_code == 0, result.output
    assert "1:天然气供应" in result.stdout and "5 家企业" in result.stdout
    data = json.loads(invoke(app, "cluster", "show", str(change.cluster), "--json").stdout)
    assert data["cluster"]["official"] == "jz-evm"
    assert (data["enterprises"], data["counties"]) == (5, 3)
    assert sorted(m["id"] for m in data["members"]) == sorted(ids)
    missing = invoke(app, "cluster", "show", "999")
    assert missing.exit_code == 1 and "999" in missing.stderr


def test_too_few_enterprises_or_counties_form_no_cluster(app):
    topics = {
        # four enterprises in three counties
        "1:天然气供应": [accepted(app, e).id for e in FIVE[:4]],
        # five enterprises, all in 解放区
        "3:融资难": [accepted(app, e, body=FINANCE).id for e in JIEFANG_FIVE],
        # five issues in two counties, but of two enterprises
        "1:电力供应": [
            accepted(app, e, body=POWER).id for e in (*FIVE[:1] * 3, *ZHONGZHAN[:1] * 2)
        ],
    }
    for topic, ids in topics.items():
        assert {routing(app, i).topic for i in ids} == {topic}
    # Together they are 7 enterprises in 3 counties, but no topic is widespread.
    assert detect(app) == []
    assert list_clusters(app) == []
    assert all(routing(app, i).cluster is None for ids in topics.values() for i in ids)


def test_a_later_member_joins_the_open_cluster_at_once_and_follows_it(app, clock):
    ids = [accepted(app, e).id for e in FIVE]
    (change,) = detect(app)
    clock.now = NOW + timedelta(days=3)
    late = accepted(app, XIUWU[1], body=GAS_AGAIN)  # a county key enterprise of 修武县
    r = routing(app, late.id)
    assert (r.cluster, r.official, r.level) == (change.cluster, "jz-evm", CITY)
    assert [e.data["cluster"] for e in events_of(app, late.id, "clustered")] == [change.cluster]
    assert sorted(m["id"] for m in show_cluster(app, change.cluster).members) == sorted(
        [*ids, late.id]
    )
    assert detect(app) == []  # nothing left to add


def test_members_keep_following_the_cluster_when_dispatched(app):
    ids = [accepted(app, e).id for e in FIVE]
    detect(app)
    county_member = ids[1]  # 解放区's county key enterprise: its county's ladder before
    svc.dispatch(app, county_member, "jf-fgw")
    r = routing(app, county_member)
    assert (r.level, r.rung, r.official) == (CITY, Rung.EXECUTIVE_DEPUTY, "jz-evm")
    assert r.cluster is not None
    assert replayed(app, county_member) == r


def test_trends_twice_at_the_same_moment_changes_nothing(app):
    for e in FIVE:
        accepted(app, e)
    assert len(detect(app)) == 1
    before = counts(app)
    assert detect(app) == []
    assert counts(app) == before
    result = invoke(app, "trends", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["changes"] == []
    assert [(c["topic"], c["issues"], c["enterprises"]) for c in data["open_clusters"]] == [
        ("1:天然气供应", 5, 5)
    ]
    assert counts(app) == before


def test_the_window_is_honoured(app):
    old = accepted(app, FIVE[0], received_at=NOW - timedelta(days=31))
    for e in FIVE[1:]:
        accepted(app, e)
    assert detect(app) == []  # 30 days: only four enterprises
    assert detect(app, dry_run=True, window_days=45)[0].enterprises == 5
    assert list_clusters(app) == []  # a dry run forms nothing

    result = invoke(app, "trends", "--window", "45")
    assert result.exit_code == 0, result.output
    assert "formed" in result.stdout and "1:天然气供应" in result.stdout
    (cluster,) = list_clusters(app)
    assert routing(app, old.id).cluster == cluster["id"]


def test_thresholds_come_from_the_organisation(app):
    from attrs import evolve

    from serviceframe.demo import example_dir
    from serviceframe.orgfile import EscalationRules, load_org
    from serviceframe.services.organisation import save_organisation

    org_file = load_org(example_dir() / "organisation.toml")
    rules = EscalationRules(cluster_min_enterprises=3, cluster_min_counties=3)
    save_organisation(app, evolve(org_file, escalation=rules), "test")
    for e in (FIVE[0], ZHONGZHAN[0], XIUWU[0]):
        accepted(app, e)
    (change,) = detect(app)
    assert (change.enterprises, change.counties) == (3, 3)


# --- resolving: solve one, settle a class ---------------------------------------------------


def test_resolving_a_cluster_settles_all_its_open_members(app, clock):
    ids = [accepted(app, e).id for e in FIVE]
    (change,) = detect(app)
    svc.dispatch(app, ids[0], "jz-fgw")
    svc.acknowledge(app, ids[0], "jz-fgw")
    clock.now = NOW + timedelta(days=1)
    with pytest.raises(ServiceFrameError):  # a resolution needs a note
        resolve_cluster(app, change.cluster, "  ")
    assert show_cluster(app, change.cluster).cluster["status"] == "open"

    result = invoke(
        app, "cluster", "resolve", str(change.cluster), "--note", "已协调中石油增加供气指标"
    )
    assert result.exit_code == 0, result.output
    assert "5 个问题一并办结" in result.stdout
    for issue_id in ids:
        issue = svc.get_issue(app, issue_id).issue
        assert issue.status.value == "resolved"
        assert issue.resolution == "已协调中石油增加供气指标"
        (settled,) = events_of(app, issue_id, "settled")
        assert settled.data["note"] == "已协调中石油增加供气指标"
        assert settled.data["cluster"] == change.cluster
    cluster = show_cluster(app, change.cluster).cluster
    assert (cluster["status"], cluster["resolution"]) == ("resolved", "已协调中石油增加供气指标")

    assert svc.rate(app, ids[0], "satisfied").status.value == "closed"
    assert svc.rate(app, ids[1], "basic").status.value == "closed"

    again = invoke(app, "cluster", "resolve", str(change.cluster), "--note", "再次")
    assert again.exit_code == 1 and "already resolved" in again.stderr


def test_members_already_resolved_are_left_as_they_are(app, clock):
    ids = [accepted(app, e).id for e in FIVE]
    (change,) = detect(app)
    svc.dispatch(app, ids[0], "jz-fgw")
    svc.acknowledge(app, ids[0], "jz-fgw")
    svc.resolve(app, ids[0], "单独协调解决")
    _, settled = resolve_cluster(app, change.cluster, "统一协调")
    assert sorted(settled) == sorted(ids[1:])
    assert svc.get_issue(app, ids[0]).issue.resolution == "单独协调解决"
    assert events_of(app, ids[0], "settled") == []


def test_after_resolution_a_new_wave_forms_a_new_cluster_and_the_old_members_none(app, clock):
    ids = [accepted(app, e).id for e in FIVE]
    (first,) = detect(app)
    resolve_cluster(app, first.cluster, "已协调增加供气")
    for issue_id in ids:  # nobody is satisfied: all back for redo
        svc.rate(app, issue_id, "unsatisfied", "仍然缺气")
    assert detect(app) == []  # they stay with their cluster; no empty cluster forms
    assert [c["id"] for c in list_clusters(app)] == [first.cluster]

    clock.now = NOW + timedelta(days=5)
    wave = [accepted(app, e, body=GAS_AGAIN).id for e in (*JIEFANG, *ZHONGZHAN)]
    assert all(routing(app, i).cluster is None for i in wave)  # no open cluster to join
    (second,) = detect(app)
    assert second.kind == "formed" and second.cluster != first.cluster
    assert sorted(second.new_members) == sorted(wave)
    assert {routing(app, i).cluster for i in ids} == {first.cluster}


# --- hooks -----------------------------------------------------------------------------------


class Listener:
    def __init__(self) -> None:
        self.seen: list[tuple[str, int, list[int]]] = []

    @hookimpl
    def serviceframe_cluster_event(self, app, cluster, kind, issues):
        self.seen.append((kind, cluster["id"], sorted(issues)))


def test_cluster_events_reach_plugins(jiaozuo_url, clock):
    listener = Listener()
    app = make_app(jiaozuo_url, plugins=(listener,))
    app.clock = clock
    try:
        ids = [accepted(app, e).id for e in FIVE]
        (change,) = detect(app)
        resolve_cluster(app, change.cluster, "已解决")
        assert listener.seen == [
            ("formed", change.cluster, sorted(ids)),
            ("resolved", change.cluster, sorted(ids)),
        ]
    finally:
        app.close()
