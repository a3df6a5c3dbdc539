"""Widespread issues raised in many wordings, on the bundled Jiaozuo city.

Six enterprises in three counties who write 拉闸限电, 停电 and 供电不稳 raise one power-supply
problem: one topic (1:电力供应), one cluster. The cluster rules are unchanged (≥5 enterprises,
≥2 counties, 30 days); only what counts as "the same topic" is a concept now. Editing the topic
map in the organisation file is checked at load and re-groups the open issues.

Every test here runs on SQLite and, with ``SERVICEFRAME_TEST_DB`` set, on PostgreSQL.
"""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints import COMPLAINTS
from ladder import events_of, invoke, replayed, routing
from serviceframe.demo import example_dir
from serviceframe.errors import Forbidden
from serviceframe.services import bulk
from serviceframe.services import issues as svc
from serviceframe.services.enterprises import list_enterprises
from serviceframe.services.issues import IssueDraft
from serviceframe.services.trends import detect, list_clusters, show_cluster

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=SH)
COUNTIES = ("410802", "410803", "410821", "410822", "410882")

POWER = [text for text, _, concept in COMPLAINTS if concept == "电力供应"]
GAS = [text for text, _, concept in COMPLAINTS if concept == "天然气供应"]
POWER_COST = [text for text, _, concept in COMPLAINTS if concept == "用电成本"]


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def by_county(app):
    """Six enterprises of each of five counties (codes)."""
    return {c: [e.credit_code for e in list_enterprises(app, c)[:6]] for c in COUNTIES}


def raise_issues(app, raisers, category=None):
    """File one issue per (enterprise, text) and accept them all (the office's morning)."""
    report = svc.file_issues(
        app,
        [
            IssueDraft(enterprise=code, source="hotline", body=text, category=category)
            for code, text in raisers
        ],
    )
    assert not report.errors, report.errors
    return [i.id for i in bulk.accept_many(app, report.filed)]


def power_shortage(by_county):
    """Six enterprises, two in each of three counties, raising one power shortage in
    different wordings."""
    return [
        (by_county["410802"][0], "我公司近期频繁遭遇拉闸限电,生产线多次停工"),
        (by_county["410802"][1], "本月以来园区每周停电两三次,事先没有通知"),
        (by_county["410803"][0], "厂区供电不稳,电压忽高忽低,精密设备多次损坏"),
        (by_county["410803"][1], "又拉闸限电了,三条生产线只能轮流开"),
        (by_county["410821"][0], "停电太频繁,熔炉被迫熄火"),
        (by_county["410821"][1], "供电不稳,一天跳闸好几次"),
    ]


def test_six_enterprises_in_three_counties_one_power_shortage_in_three_wordings(app, by_county):
    raisers = power_shortage(by_county)
    ids = raise_issues(app, raisers)  # the classifier puts each into category 1
    assert {routing(app, i).topic for i in ids} == {"1:电力供应"}

    (change,) = detect(app)
    assert (change.kind, change.topic, change.enterprises, change.counties) == (
        "formed",
        "1:电力供应",
        6,
        3,
    )
    assert sorted(change.new_members) == sorted(ids)
    assert (change.rung, change.official) == ("executive_deputy", "jz-evm")
    for issue_id in ids:
        assert routing(app, issue_id).cluster == change.cluster
        assert replayed(app, issue_id) == routing(app, issue_id)

    result = invoke(app, "cluster", "show", str(change.cluster))
    assert result.exit_code == 0, result.output
    assert "1:电力供应" in result.stdout and "6 家企业,3 个县(市、区)" in result.stdout

    # A seventh enterprise in a fourth county, in a fourth wording, joins at once.
    (late,) = raise_issues(app, [(by_county["410882"][0], "有序用电方案把我们列为限电企业")])
    assert routing(app, late).cluster == change.cluster
    assert [e.data["topic"] for e in events_of(app, late, "clustered")] == ["1:电力供应"]


def test_a_county_office_sees_the_clusters_with_its_issues_counted_over_them(app, by_county):
    raisers = power_shortage(by_county)[:5]
    ids = raise_issues(app, raisers)
    (change,) = detect(app)
    (whole,) = list_clusters(app)
    assert (whole["issues"], whole["enterprises"], whole["counties"]) == (5, 5, 3)

    jiefang = app.acting_as("jf-edsb")
    (mine,) = list_clusters(jiefang)
    assert mine["id"] == change.cluster
    assert (mine["issues"], mine["enterprises"], mine["counties"]) == (2, 2, 1)
    view = show_cluster(jiefang, change.cluster)
    assert [m["id"] for m in view.members] == ids[:2]  # not the other counties' issues

    # A county with no member sees no cluster, and asking for it by id is refused.
    wuzhi = app.acting_as("wz-edsb")  # 武陟县: none of its enterprises raised it
    assert list_clusters(wuzhi) == []
    with pytest.raises(Forbidden) as info:
        show_cluster(wuzhi, change.cluster)
    assert "wz-edsb" in str(info.value) and f"cluster {change.cluster}" in str(info.value)
    with pytest.raises(Forbidden):
        list_clusters(app.acting_as("jz-fgw"))  # a department: not a report it runs


def test_problems_alike_in_words_form_no_cluster_together(app, by_county):
    # Three counties, nine enterprises, but three problems: power cuts, gas cuts, the price
    # of power; none raised by five enterprises.
    raisers = [
        *((by_county[c][0], POWER[i]) for i, c in enumerate(COUNTIES[:3])),
        *((by_county[c][1], GAS[i]) for i, c in enumerate(COUNTIES[:3])),
        *((by_county[c][2], POWER_COST[i % len(POWER_COST)]) for i, c in enumerate(COUNTIES[:3])),
    ]
    ids = raise_issues(app, raisers, category=1)
    assert sorted({routing(app, i).topic for i in ids}) == [
        "1:天然气供应",
        "1:用电成本",
        "1:电力供应",
    ]
    assert detect(app) == []
    assert list_clusters(app) == []


def test_the_loan_wordings_are_one_financing_problem(app, by_county):
    wordings = [
        "企业贷款难",
        "融资难,银行不放款",
        "银行到期抽贷",
        "原合作银行断贷",
        "担保难,贷不到款",
    ]
    raisers = [(by_county[COUNTIES[i % 2]][i], text) for i, text in enumerate(wordings)]
    ids = raise_issues(app, raisers)
    assert {routing(app, i).topic for i in ids} == {"3:融资难"}
    (change,) = detect(app)
    assert (change.topic, change.enterprises, change.counties) == ("3:融资难", 5, 2)


# --- the topic map edited in the organisation file ------------------------------------------


def org_file_with(tmp_path, extra: str):
    text = (example_dir() / "organisation.toml").read_text("utf-8") + "\n" + extra
    path = tmp_path / "organisation.toml"
    path.write_text(text, "utf-8")
    return path


def test_a_wording_taught_in_the_organisation_file_regroups_the_open_issues(
    app, by_county, tmp_path
):
    # 闹电荒 is how some enterprises say it; the packaged map does not know the word.
    raisers = [
        (by_county[c][n], "园区又闹电荒,生产线开开停停") for c in COUNTIES[:3] for n in (0, 1)
    ]
    ids = raise_issues(app, raisers, category=1)  # the office gave the category
    assert {routing(app, i).topic for i in ids} == {None}
    assert detect(app) == []

    path = org_file_with(tmp_path, '[topics.1."电力供应"]\nwords = ["电荒"]\n')
    result = invoke(app, "org", "load", str(path))
    assert result.exit_code == 0, result.output
    assert "the topic map changed: 6 open issues have a new topic" in result.stdout
    for issue_id in ids:
        assert routing(app, issue_id).topic == "1:电力供应"
        (event,) = events_of(app, issue_id, "routed")[-1:]
        assert (event.data["topic"], event.data["topic_before"]) == ("1:电力供应", None)
        assert replayed(app, issue_id) == routing(app, issue_id)

    (change,) = detect(app)
    assert (change.topic, change.enterprises, change.counties) == ("1:电力供应", 6, 3)

    # The word now also tells the classifier the category, and the issue joins the cluster.
    (new,) = raise_issues(app, [(by_county["410882"][0], "闹电荒")])
    assert svc.get_issue(app, new).issue.category == 1
    assert routing(app, new).cluster == change.cluster

    # Loading the same file again changes no topic.
    again = invoke(app, "org", "load", str(path), "--json")
    assert json.loads(again.stdout)["retopiced_issues"] == 0


def test_bad_topic_and_taxonomy_edits_stop_the_load_and_store_nothing(app, tmp_path):
    before = invoke(app, "org", "show", "--json").stdout
    path = org_file_with(
        tmp_path,
        '[taxonomy.12]\n"电荒" = 2\n\n[taxonomy.2]\n"减产" = -1\n\n'
        '[topics.1."电力供应"]\nwords = ["电", "电荒"]\n\n[topics.1."电网"]\nwords = ["电荒"]\n',
    )
    result = invoke(app, "org", "load", str(path))
    assert result.exit_code == 1
    assert "4 problem(s)" in result.stderr
    for expected in (
        "taxonomy.12 = 12: unknown category number (expected 1-9)",
        "taxonomy.2.减产 = -1.0: a weight must be a finite number >= 0",
        "topics.1.电力供应.words[0]='电': a word needs at least two characters",
        "topics.1.电网.words: '电荒' is also listed under topics.1.电力供应",
    ):
        assert expected in result.stderr
    assert invoke(app, "org", "show", "--json").stdout == before

    path = org_file_with(tmp_path, '[topics.3."融资"]\nwords = "贷款难"\nwrods = []\n')
    result = invoke(app, "org", "load", str(path))
    assert result.exit_code == 1
    assert "'贷款难' is a single value; write a list: ['贷款难'] @ $.topics['3']['融资'].words" in (
        result.stderr
    )
    assert "extra fields found (wrods) @ $.topics['3']['融资']" in result.stderr
    assert invoke(app, "org", "show", "--json").stdout == before


# --- the CLI ---------------------------------------------------------------------------------


def test_topics_find_list_and_refresh(app):
    result = invoke(app, "topics", "find", "供电不稳,一天跳闸好几次")
    assert result.exit_code == 0, result.output
    assert "类别 category 1 生产要素协调" in result.stdout
    assert "主题 topic 1:电力供应 (词语 words: 供电不稳、跳闸)" in result.stdout

    data = json.loads(invoke(app, "topics", "find", "银行抽贷", "--category", "3", "--json").stdout)
    assert (data["topic"], data["classified"], data["words"]) == (
        "3:融资难",
        False,
        ["银行", "抽贷"],
    )
    none = invoke(app, "topics", "find", "今天天气很好")
    assert "主题 topic: none" in none.stdout

    rows = json.loads(invoke(app, "topics", "list", "--category", "1", "--json").stdout)
    assert rows[0] == {
        "category": 1,
        "category_label": "生产要素协调",
        "concept": "电力供应",
        "topic": "1:电力供应",
        "words": rows[0]["words"],
    }
    assert {"停电", "拉闸", "错峰用电", "供电不稳"} <= set(rows[0]["words"])
    assert "1:电力供应" in invoke(app, "topics", "list").stdout

    result = invoke(app, "topics", "refresh")
    assert result.exit_code == 0, result.output
    assert "0 issues have a new topic" in result.stdout


# --- the cluster rule, whatever the wordings -------------------------------------------------

RAISERS = st.lists(
    st.tuples(
        st.integers(0, len(COUNTIES) - 1),  # county
        st.integers(0, 5),  # enterprise in it
        st.integers(0, len(POWER) - 1),  # wording
    ),
    max_size=9,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raisers=RAISERS)
def test_one_power_shortage_forms_a_cluster_exactly_when_the_rules_say(
    app, clock, by_county, raisers
):
    # Each example lives 60 days after the one before: the earlier ones fall out of the
    # 30-day window, so one database serves them all.
    clock.now += timedelta(days=60)
    raise_issues(app, [(by_county[COUNTIES[c]][e], POWER[w]) for c, e, w in raisers], category=1)
    enterprises = {(c, e) for c, e, _ in raisers}
    counties = {c for c, _, _ in raisers}
    changes = detect(app, dry_run=True)
    if len(enterprises) >= 5 and len(counties) >= 2:
        (change,) = changes
        assert (change.topic, change.enterprises, change.counties) == (
            "1:电力供应",
            len(enterprises),
            len(counties),
        )
        assert len(change.new_members) == len(raisers)
    else:
        assert changes == []
