"""The keyword taxonomy: packaged data, classification, local edits and file errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serviceframe.domain.categories import SERVICE_CATEGORIES, Category
from serviceframe.domain.taxonomy import (
    Classification,
    Taxonomy,
    classify,
    keywords_in,
    load_taxonomy,
    normalise,
    parse_keyword_tables,
)
from serviceframe.errors import ConfigError

TAXONOMY = load_taxonomy()

C = Category

REALISTIC = [
    # 1 生产要素协调
    ("我公司近期频繁限电,生产线多次停工", C.PRODUCTION_FACTORS),
    ("冬季天然气供应紧张,供气公司通知压减用气量,窑炉无法正常运行", C.PRODUCTION_FACTORS),
    ("铁路车皮计划紧张,产品运不出去,请求协调运力", C.PRODUCTION_FACTORS),
    ("电煤库存只够三天,煤炭供应跟不上", C.PRODUCTION_FACTORS),
    # 2 工业运行监测
    ("今年以来订单减少三成,产量大幅下降,企业面临半停产", C.OPERATION_MONITORING),
    ("受国际市场低迷影响,外贸订单流失,产品积压严重", C.OPERATION_MONITORING),
    ("原材料价格上涨,成本上升,企业出现亏损", C.OPERATION_MONITORING),
    # 3 融资服务支持
    ("申请流动资金贷款被银行拒绝,希望协调银企对接", C.FINANCING),
    ("银行到期抽贷,企业资金链紧张,请求帮助续贷", C.FINANCING),
    ("找不到担保公司提供融资担保,贷款难", C.FINANCING),
    # 4 推进技术创新
    ("企业准备申报高新技术企业,需要指导高企认定材料", C.TECH_INNOVATION),
    ("我公司新产品研发遇到技术难题,希望对接高校开展产学研合作", C.TECH_INNOVATION),
    ("我公司发明专利被侵权,需要知识产权保护", C.TECH_INNOVATION),
    # 5 重大项目协调
    ("年产10万吨新建项目环评审批迟迟未批,影响开工", C.MAJOR_PROJECTS),
    ("项目用地手续办理缓慢,施工许可证无法取得", C.MAJOR_PROJECTS),
    ("厂房建成多年一直办不下房产证和土地证", C.MAJOR_PROJECTS),
    ("重点项目立项备案需要多个部门盖章,希望提供一站式服务", C.MAJOR_PROJECTS),
    # 6 产业结构升级
    ("企业计划实施节能降耗技术改造,希望获得政策支持", C.INDUSTRIAL_UPGRADING),
    ("按照能耗双控要求,需要淘汰落后产能,推进清洁生产", C.INDUSTRIAL_UPGRADING),
    ("锅炉脱硫脱硝环保改造资金压力大", C.INDUSTRIAL_UPGRADING),
    # 7 优化发展环境
    ("环保部门一个月内三次上门检查并罚款", C.BUSINESS_ENVIRONMENT),
    ("有关部门对企业乱收费、乱摊派,要求赞助活动", C.BUSINESS_ENVIRONMENT),
    ("到窗口办事,工作人员推诿扯皮,办事效率低", C.BUSINESS_ENVIRONMENT),
    ("周边村民阻工堵门,索要费用,影响企业正常生产", C.BUSINESS_ENVIRONMENT),
    # 8 人才培训服务
    ("企业招工难,缺少熟练技工,希望组织招聘会", C.TALENT_TRAINING),
    ("希望与职业院校开展校企合作,订单式培养技术工人", C.TALENT_TRAINING),
    ("引进的高层次人才落户和住房问题需要解决", C.TALENT_TRAINING),
    # 9 构建和谐工业
    ("厂区存在重大安全隐患,需要安监部门指导整改", C.HARMONIOUS_INDUSTRY),
    ("车间发生一起工伤事故,员工与企业发生劳资纠纷", C.HARMONIOUS_INDUSTRY),
    ("因拖欠工资,部分工人集体上访", C.HARMONIOUS_INDUSTRY),
]


# -- the packaged taxonomy ---------------------------------------------------------------


def test_packaged_taxonomy_covers_the_nine_categories() -> None:
    assert set(TAXONOMY.keywords) == set(SERVICE_CATEGORIES)
    for category, entries in TAXONOMY.keywords.items():
        assert 25 <= len(entries) <= 80, category
        for keyword, weight in entries.items():
            assert len(keyword) >= 2, (category, keyword)
            assert keyword == normalise(keyword).strip()
            assert weight > 0


@pytest.mark.parametrize(("text", "expected"), REALISTIC)
def test_realistic_complaints_land_in_the_right_category(text: str, expected: Category) -> None:
    result = classify(text, TAXONOMY)
    assert result.category is expected, result
    assert result.score > 0
    assert result.matched


def test_every_category_has_at_least_two_realistic_examples() -> None:
    counts = {c: sum(1 for _, e in REALISTIC if e is c) for c in SERVICE_CATEGORIES}
    assert min(counts.values()) >= 2


@pytest.mark.parametrize(
    "text", ["", "   ", "你好", "今天天气很好", "请问领导什么时候来我们公司参观"]
)
def test_unrelated_text_is_unclassified(text: str) -> None:
    assert classify(text, TAXONOMY) == Classification(C.UNCLASSIFIED, 0.0, (), None)


def test_classification_explains_itself() -> None:
    result = classify("申请流动资金贷款被银行拒绝,希望协调银企对接", TAXONOMY)
    assert result.matched == ("流动资金贷款", "银行", "银企对接")
    weights = TAXONOMY.keywords[C.FINANCING]
    assert result.score == sum(weights[k] for k in result.matched)


# -- the matching rule, on small hand-made taxonomies -------------------------------------


def small() -> Taxonomy:
    return Taxonomy(
        {
            C.PRODUCTION_FACTORS: {"限电": 2, "电力": 1, "停电": 2},
            C.FINANCING: {"贷款": 2, "银行": 1},
            C.HARMONIOUS_INDUSTRY: {"隐患": 1, "安全隐患": 3},
            C.BUSINESS_ENVIRONMENT: {"检查": 1, "罚款": 1},
        }
    )


def test_a_longer_keyword_hides_a_shorter_one_of_the_same_category() -> None:
    result = classify("厂区存在安全隐患", small())
    assert result.matched == ("安全隐患",)
    assert result.score == 3


def test_overlapping_keywords_both_match() -> None:
    # "限电" and "电力" overlap on "电"; both count.
    assert keywords_in("本月限电力度加大", small()) == ("限电", "电力")
    assert classify("本月限电力度加大", small()).score == 3


def test_a_keyword_counts_once_however_often_it_occurs() -> None:
    assert classify("停电,停电,又停电", small()).score == 2


def test_highest_score_wins_and_ties_go_to_the_lower_category_number() -> None:
    result = classify("检查之后又要贷款", small())  # 7: 1, 3: 2
    assert (result.category, result.runner_up) == (C.FINANCING, C.BUSINESS_ENVIRONMENT)
    tie = classify("停电后罚款并检查银行", small())  # 1: 2, 3: 1, 7: 2
    assert (tie.category, tie.score, tie.runner_up) == (
        C.PRODUCTION_FACTORS,
        2,
        C.BUSINESS_ENVIRONMENT,
    )


def test_text_and_keywords_are_normalised() -> None:
    taxonomy = small().merged({C.TECH_INNOVATION: {"ＬＥＤ芯片": 2, "ISO": 1}})
    assert "led芯片" in taxonomy.keywords[C.TECH_INNOVATION]
    result = classify("ＬＥＤ芯片通过 iso 认证", taxonomy)
    assert result.category is C.TECH_INNOVATION
    assert result.matched == ("led芯片", "iso")


def test_keywords_in_is_in_text_order_and_can_be_filtered() -> None:
    text = "银行要求先排除安全隐患才给贷款,期间又停电"
    assert keywords_in(text, small()) == ("银行", "安全隐患", "贷款", "停电")
    assert keywords_in(text, small(), C.FINANCING) == ("银行", "贷款")
    assert keywords_in(text, small(), C.TALENT_TRAINING) == ()
    assert keywords_in("", small()) == ()


def test_an_empty_taxonomy_classifies_nothing() -> None:
    assert classify("限电", Taxonomy({})).category is C.UNCLASSIFIED


# -- local edits --------------------------------------------------------------------------


def test_merged_adds_keywords() -> None:
    text = "园区污水管网堵塞"
    assert classify(text, TAXONOMY).category is C.UNCLASSIFIED
    local = TAXONOMY.merged({C.PRODUCTION_FACTORS: {"污水管网": 2}})
    assert classify(text, local).category is C.PRODUCTION_FACTORS
    assert local.keywords[C.PRODUCTION_FACTORS]["污水管网"] == 2
    assert "污水管网" not in TAXONOMY.keywords[C.PRODUCTION_FACTORS]  # original untouched


def test_merged_accepts_the_organisation_file_shape() -> None:
    # OrgFile.taxonomy is {category number: {keyword: weight}}
    local = small().merged({7: {"检查": 5.0}, 3: {"银行": 0.0}})
    assert local.keywords[C.BUSINESS_ENVIRONMENT]["检查"] == 5
    assert local.keywords[C.FINANCING] == {"贷款": 2}


def test_merged_changes_weights_and_zero_removes() -> None:
    text = "检查之后又要贷款"
    assert classify(text, small()).category is C.FINANCING
    heavier = small().merged({C.BUSINESS_ENVIRONMENT: {"检查": 5}})
    assert classify(text, heavier).category is C.BUSINESS_ENVIRONMENT
    removed = small().merged({C.FINANCING: {"贷款": 0}})
    assert "贷款" not in removed.keywords[C.FINANCING]
    assert classify(text, removed) == Classification(C.BUSINESS_ENVIRONMENT, 1, ("检查",), None)


def test_merged_removing_every_keyword_of_a_category_drops_it() -> None:
    emptied = small().merged({C.FINANCING: {"贷款": 0, "银行": 0, "不存在": 0}})
    assert C.FINANCING not in emptied.keywords
    assert classify("银行贷款", emptied).category is C.UNCLASSIFIED


def test_merged_rejects_bad_edits() -> None:
    with pytest.raises(ConfigError, match=r"extra\.3\.贷款 = -1"):
        small().merged({C.FINANCING: {"贷款": -1}})
    with pytest.raises(ConfigError, match=r"extra\.12"):
        small().merged({12: {"贷款": 1}})


def test_parse_keyword_tables_reads_organisation_edits() -> None:
    edits = parse_keyword_tables(
        {"3": {"keywords": ["供应链金融"], "weights": {"银行": 0, "贷款": 4}}}, "taxonomy"
    )
    assert edits == {C.FINANCING: {"供应链金融": 1.0, "银行": 0.0, "贷款": 4.0}}
    local = small().merged(edits)
    assert local.keywords[C.FINANCING] == {"供应链金融": 1.0, "贷款": 4.0}


def test_taxonomies_compare_by_content() -> None:
    assert small() == small()
    assert small() != small().merged({C.FINANCING: {"贷款": 3}})


# -- bad files ----------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("toml", "names"),
    [
        ('[12]\nkeywords = ["限电"]\n', ["12", "unknown category number"]),
        ('[0]\nkeywords = ["限电"]\n', ["0", "unknown category number"]),
        ('[abc]\nkeywords = ["限电"]\n', ["abc", "unknown category number"]),
        ('[1]\nkeywords = ["限电", ""]\n', ["1.keywords[1]", "''", "empty keyword"]),
        ('[1]\nkeywords = ["限电", "  "]\n', ["1.keywords[1]", "empty keyword"]),
        ('[1]\nkeywords = ["限电", 3]\n', ["1.keywords[1]", "3", "string"]),
        ('[1]\nkeywords = "限电"\n', ["1.keywords", "'限电'", "list"]),
        ('[1]\nkeywords = ["限电"]\n[1.weights]\n"限电" = -2\n', ["1.weights.限电", "-2"]),
        ('[1]\nkeywords = ["限电"]\n[1.weights]\n"限电" = "高"\n', ["1.weights.限电", "'高'"]),
        ('[1]\nkeywords = ["限电"]\n[1.weights]\n"限电" = nan\n', ["1.weights.限电", "nan"]),
        ('[1]\nkeyword = ["限电"]\n', ["1.keyword", "unknown key"]),
        ("[1]\nkeywords = [\n", ["invalid TOML"]),
        ('1 = ["限电"]\n', ["1", "'keywords'"]),
    ],
)
def test_bad_taxonomy_files_name_the_key_path(tmp_path: Path, toml: str, names: list[str]) -> None:
    path = write(tmp_path, toml)
    with pytest.raises(ConfigError) as info:
        load_taxonomy(path)
    message = str(info.value)
    assert message.startswith(str(path))
    for name in names:
        assert name in message, message


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_taxonomy(tmp_path / "absent.toml")


def test_a_good_file_loads_with_weights(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[1]\nkeywords = ["限电", "电力"]\n[1.weights]\n"限电" = 2.5\n"电力" = 0\n'
        '[9]\nkeywords = ["隐患"]\n',
    )
    taxonomy = load_taxonomy(str(path))
    assert taxonomy.keywords == {
        C.PRODUCTION_FACTORS: {"限电": 2.5},
        C.HARMONIOUS_INDUSTRY: {"隐患": 1},
    }


def test_constructing_a_bad_taxonomy_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"taxonomy\.1\.限电 = -1"):
        Taxonomy({C.PRODUCTION_FACTORS: {"限电": -1}})
    with pytest.raises(ConfigError, match="empty keyword"):
        Taxonomy({C.PRODUCTION_FACTORS: {"": 1}})
    with pytest.raises(ConfigError, match="unknown category number"):
        Taxonomy({C.UNCLASSIFIED: {"限电": 1}})


# -- properties ---------------------------------------------------------------------------

ALL_KEYWORDS = sorted({k for entries in TAXONOMY.keywords.values() for k in entries})

texts = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(ALL_KEYWORDS), st.text(max_size=3)), max_size=12).map(
        "".join
    ),
)


def reference_keywords(norm: str, category: Category) -> set[str]:
    """The matching rule written naively: every keyword x every text."""
    entries = TAXONOMY.keywords.get(category, {})
    matched = [k for k in entries if k in norm]
    return {k for k in matched if not any(k != o and k in o for o in matched)}


@given(texts)
def test_classification_is_deterministic_and_explained(text: str) -> None:
    result = classify(text, TAXONOMY)
    assert result == classify(text, TAXONOMY)
    norm = normalise(text)
    assert all(k in norm for k in result.matched)
    if result.category is C.UNCLASSIFIED:
        assert (result.score, result.matched, result.runner_up) == (0.0, (), None)
    else:
        weights = TAXONOMY.keywords[result.category]
        assert result.score == pytest.approx(sum(weights[k] for k in result.matched))
        assert result.runner_up != result.category


@given(texts)
def test_matching_agrees_with_the_naive_rule(text: str) -> None:
    norm = normalise(text)
    scores = {}
    for category in SERVICE_CATEGORIES:
        expected = reference_keywords(norm, category)
        assert set(keywords_in(text, TAXONOMY, category)) == expected
        weights = TAXONOMY.keywords[category]
        scores[category] = sum(weights[k] for k in expected)
    ranked = sorted((c for c in scores if scores[c] > 0), key=lambda c: (-scores[c], c))
    result = classify(text, TAXONOMY)
    assert result.category == (ranked[0] if ranked else C.UNCLASSIFIED)
    assert result.runner_up == (ranked[1] if len(ranked) > 1 else None)
    everything = keywords_in(text, TAXONOMY)
    assert len(everything) == len(set(everything))
    assert set(everything) == set().union(*(reference_keywords(norm, c) for c in scores))
