"""Near-duplicates: the similarity measure and the index that keeps the check linear.

The measure changed from difflib's ``SequenceMatcher.ratio`` to rapidfuzz's normalised Indel
similarity; on the texts enterprises write, both flag exactly the same pairs (checked here on a
corpus of complaints in many wordings, re-raised with small changes, by many enterprises).
"""

import difflib
import random
from datetime import UTC, datetime, timedelta
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from serviceframe.domain.duplicates import (
    DUPLICATE_CANDIDATES,
    DUPLICATE_SIMILARITY,
    DUPLICATE_WINDOW,
    DuplicateIndex,
    compared_text,
    similarity,
)

# What enterprises write: each topic in several wordings (a clerk's summary, the enterprise's
# own words, a follow-up call), {name}, {n} and {m} filled in per call.
WORDINGS: tuple[tuple[tuple[str, str], ...], ...] = (
    (
        (
            "新建厂房用电报装进度缓慢",
            "{name}反映:新建厂房{m}月提交用电报装申请,至今未接电,{n}台设备无法调试投产。",
        ),
        (
            "用电报装迟迟未办结",
            "{name}来电:厂房报装用电已{m}个月,供电公司仍未接电,{n}台设备无法投产,请求加快。",
        ),
        (
            "催办:厂房接电",
            "{name}再次反映新厂房用电报装未办结,设备{n}台闲置,要求供电公司{m}日内答复。",
        ),
    ),
    (
        ("冬季天然气供应紧张", "{name}反映:入冬以来供气压力不足,窑炉被迫降温,日减产约{n}吨。"),
        (
            "天然气压力不足影响生产",
            "{name}称:近{m}周燃气压力偏低,窑炉无法保温,每天少产{n}吨,请协调燃气公司。",
        ),
    ),
    (
        (
            "流动资金贷款续贷困难",
            "{name}反映:{n}万元流动资金贷款将于{m}月到期,银行要求先还后贷,资金周转困难。",
        ),
        (
            "申请无还本续贷",
            "{name}来电:一笔{n}万元贷款{m}月到期,希望协调银行办理无还本续贷,避免资金链断裂。",
        ),
        (
            "融资担保费率偏高",
            "{name}反映:政府性融资担保费率达{n}‰,反担保要求严格,希望降低费率、简化手续。",
        ),
    ),
    (
        (
            "技改项目环评审批时间长",
            "{name}反映:技术改造项目总投资{n}万元,环评审批已等待{m}个月,影响开工。",
        ),
        (
            "环评审批慢",
            "{name}称技改项目环评报告{m}个月未批复,{n}万元设备已到厂无法安装,恳请加快审批。",
        ),
    ),
    (
        ("招工难技术工人短缺", "{name}反映:缺少数控机床操作工、焊工等技术工人约{n}名,招聘困难。"),
        (
            "急需焊工和数控操作工",
            "{name}来电:生产旺季缺焊工、数控工{n}人,希望人社部门{m}月组织专场招聘会。",
        ),
    ),
    (
        (
            "涉企检查过多过频",
            "{name}反映:今年以来各部门来厂检查{n}次,内容重复,影响生产,建议联合检查。",
        ),
    ),
    (
        (
            "电费结算出现差错",
            "{name}反映:{m}月份电费账单多计{n}千瓦时,已向供电所反映尚未更正,请核实退费。",
        ),
        ("电费多收", "{name}称{m}月电费比实际用电多{n}千瓦时,供电所未处理,请求协调退费。"),
    ),
    (
        (
            "原材料运输车辆超限检查频繁",
            "{name}反映:原料运输车辆在国道检查站频繁被拦,每车延误{n}小时以上。",
        ),
    ),
    (
        ("政策兑现周期长", "{name}反映:去年获批的{n}万元奖励资金至今未兑现,多次询问无明确答复。"),
        (
            "奖励资金未到位",
            "{name}来电:{n}万元技改奖励去年{m}月公示,至今未拨付,请督促财政部门落实。",
        ),
    ),
)
NAMES = (
    "河南东昌电缆集团有限公司",
    "焦作市天隆线缆有限公司",
    "修武县恒信机械制造有限公司",
    "沁阳市宏达纸业有限公司",
    "孟州市华兴皮业有限公司",
    "温县金牛食品有限公司",
)


def difflib_ratio(a: str, b: str) -> float:
    """The measure used before: difflib's ratio, junk heuristic off."""
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def complaints(seed: int, per_enterprise: int) -> list[tuple[str, str]]:
    """(enterprise, compared text) of calls in many wordings, with many re-raised."""
    rng = random.Random(seed)
    calls = []
    for name in NAMES:
        for _ in range(per_enterprise):
            title, body = rng.choice(rng.choice(WORDINGS))
            filled = body.format(name=name, n=rng.randint(2, 900), m=rng.randint(1, 12))
            calls.append((name, compared_text(title, filled)))
    return calls


def test_the_same_pairs_are_flagged_as_with_difflib_on_complaint_texts():
    calls = complaints(seed=11, per_enterprise=40)
    before, after = set(), set()
    for (i, (a_name, a)), (j, (b_name, b)) in combinations(enumerate(calls), 2):
        if a_name != b_name:
            continue
        if difflib_ratio(a, b) >= DUPLICATE_SIMILARITY:
            before.add((i, j))
        if similarity(a, b) >= DUPLICATE_SIMILARITY:
            after.add((i, j))
    assert after == before
    # Not vacuous: the corpus has duplicates and near misses.
    pairs = sum(1 for (_, a), (_, b) in combinations(calls, 2))
    assert 100 < len(before) < pairs / 4


def test_rewording_is_caught_a_different_complaint_is_not():
    first = compared_text(
        "用电报装迟迟未办结", "来电:厂房报装用电已3个月,供电公司仍未接电,12台设备无法投产。"
    )
    again = compared_text(
        "用电报装迟迟未办结", "再次来电:厂房报装用电已4个月,供电公司仍未接电,12台设备闲置。"
    )
    other = compared_text("招工难", "缺少焊工约30名,招聘困难,希望组织专场招聘。")
    assert similarity(first, again) >= DUPLICATE_SIMILARITY
    assert similarity(first, other) < DUPLICATE_SIMILARITY
    assert similarity(first, first) == 1.0


T0 = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),  # enterprise
            st.integers(0, 60 * 24),  # hours after T0 (two months)
            st.integers(0, 40),  # which call of the corpus (its text)
        ),
        max_size=DUPLICATE_CANDIDATES,
    )
)
def test_the_index_finds_what_comparing_every_pair_finds(issues):
    """With fewer issues per window than the bound, the index flags exactly the pairs of one
    enterprise within two weeks of each other whose texts are much the same."""
    texts = [text for _, text in complaints(seed=5, per_enterprise=7)]
    index = DuplicateIndex()
    found = set()
    for position, (enterprise, hours, call) in enumerate(issues):
        when = T0 + timedelta(hours=hours)
        for other in index.similar(str(enterprise), when, texts[call]):
            found.add((other, position))
        index.add(str(enterprise), when, position, texts[call])
    expected = {
        (i, j)
        for (i, a), (j, b) in combinations(enumerate(issues), 2)
        if a[0] == b[0]
        and abs(a[1] - b[1]) * timedelta(hours=1) <= DUPLICATE_WINDOW
        and similarity(texts[a[2]], texts[b[2]]) >= DUPLICATE_SIMILARITY
    }
    assert found == expected


def test_a_flood_from_one_enterprise_is_compared_with_its_latest_issues_only():
    """Thousands of calls of one enterprise in two weeks (a broken export): each is compared
    with the latest DUPLICATE_CANDIDATES of them, so the check stays linear."""
    index = DuplicateIndex()
    text = compared_text("用电报装", "厂房报装用电未接电,设备无法投产。")
    for k in range(3 * DUPLICATE_CANDIDATES):
        index.add("e", T0 + timedelta(minutes=k), k, text)
    found = index.similar("e", T0 + timedelta(days=1), text)
    assert found == list(range(2 * DUPLICATE_CANDIDATES, 3 * DUPLICATE_CANDIDATES))
    # Issues received after the draft, within its window, count too (a backdated letter).
    late = index.similar("e", T0 - timedelta(days=1), text)
    assert late == list(range(2 * DUPLICATE_CANDIDATES, 3 * DUPLICATE_CANDIDATES))
    # Outside the window, nothing.
    assert index.similar("e", T0 + DUPLICATE_WINDOW + timedelta(days=1), text) == []


def test_an_import_holds_a_window_of_the_store_and_forgets_what_it_moved_past():
    """Across the chunks of an import the index stands for the store: it tells which drafts
    it holds every candidate of, and what it forgot must be read again."""
    index = DuplicateIndex()
    text = compared_text("用电报装", "厂房报装用电未接电,设备无法投产。")
    day, window = timedelta(days=1), DUPLICATE_WINDOW
    # The store had two issues of "e" in the stretch read.
    index.load("e", T0 - window, T0 + 10 * window, [(T0, 2, text), (T0 - day, 1, text)])
    assert index.covers("e", T0, T0 + 9 * window)
    assert not index.covers("e", T0 - day, T0)  # reaches back before what was read
    assert not index.covers("e", T0, T0 + 9 * window + day)  # or ahead of it
    assert not index.covers("f", T0, T0)  # never read
    # A chunk's drafts are found under their provisional keys, later chunks find their ids.
    index.add("e", T0 + day, "draft 0", text)
    assert index.similar("e", T0 + day, text) == [1, 2, "draft 0"]
    index.settle([3])
    assert index.similar("e", T0 + 2 * day, text) == [1, 2, 3]
    # Moving on, what lies before the next windows is forgotten: no longer covered.
    index.prune(T0 + day / 2)
    assert index.similar("e", T0 + 2 * day, text) == [3]
    assert index.covers("e", T0 + day / 2 + window, T0 + 2 * window)
    assert not index.covers("e", T0 + day, T0 + day)

    # Of a flood, the latest DUPLICATE_CANDIDATES are kept: enough for any later draft.
    for k in range(2 * DUPLICATE_CANDIDATES):
        index.add("e", T0 + 2 * day + k * timedelta(minutes=1), f"draft {k}", text)
    index.settle(range(10, 10 + 2 * DUPLICATE_CANDIDATES))
    index.prune(T0)
    later = T0 + 3 * day
    assert index.similar("e", later, text) == list(
        range(10 + DUPLICATE_CANDIDATES, 10 + 2 * DUPLICATE_CANDIDATES)
    )
    assert index.covers("e", later, later)
    assert not index.covers("e", T0 + 2 * day - window, later)  # its window ends before them

    # A stretch read whole from the store (as many as the bound) may have had more before.
    index.load(
        "g",
        T0 - window,
        T0 + window,
        [(T0 + k * day / 100, k, text) for k in range(DUPLICATE_CANDIDATES)],
    )
    assert index.covers("g", T0, T0)  # the latest of any window are held
    assert not index.covers("g", T0 - window + day / 4, T0)  # a window ending among them
    # Once the import has moved past a stretch, the enterprise is forgotten.
    index.prune(T0 + 2 * window)
    assert not index.covers("g", T0 + 2 * window, T0 + 2 * window)
