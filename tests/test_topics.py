"""Topics group wordings: the packaged topic map, the matching rule, local edits, and the
corpus of complaints written in many words (tests/complaints.py).

Domain tests only (no database); clusters built from many wordings are in
test_topic_clusters.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from complaints import APART, COMPLAINTS, LOAN_WORDINGS, POWER_WORDINGS
from serviceframe.domain.categories import SERVICE_CATEGORIES, Category
from serviceframe.domain.taxonomy import classify, load_taxonomy, normalise
from serviceframe.domain.topics import (
    MAX_CONCEPT,
    Concept,
    TopicEdit,
    TopicMap,
    check_topic_edits,
    load_topic_map,
)
from serviceframe.errors import ConfigError

C = Category
MAP = load_topic_map()
# What the app classifies with: the packaged taxonomy taught the map's words.
TAXONOMY = load_taxonomy().with_words(MAP.words())


# -- the corpus: one problem, many wordings ----------------------------------------------


@pytest.mark.parametrize(("text", "category", "concept"), COMPLAINTS)
def test_each_complaint_gets_the_concept_it_speaks_of(text, category, concept):
    found = MAP.find(text, category)
    assert found is not None, text
    assert (found.concept, found.topic) == (concept, f"{int(category)}:{concept}"), found
    assert found.words and all(w in normalise(text) for w in found.words)


@pytest.mark.parametrize(("text", "category", "concept"), COMPLAINTS)
def test_each_complaint_is_classified_into_its_category(text, category, concept):
    assert classify(text, TAXONOMY).category is category


def test_the_corpus_covers_every_category_with_several_concepts():
    assert len(COMPLAINTS) >= 90
    for category in SERVICE_CATEGORIES:
        concepts = {concept for _, c, concept in COMPLAINTS if c is category}
        assert len(concepts) >= 5, category


def test_the_wordings_of_issue_7_are_one_topic_each():
    for word in POWER_WORDINGS:
        assert MAP.find(f"近期{word},生产受影响", C.PRODUCTION_FACTORS).topic == "1:电力供应"
        assert classify(word, TAXONOMY).category is C.PRODUCTION_FACTORS
    for word in LOAN_WORDINGS:
        assert MAP.find(f"企业反映{word}", C.FINANCING).topic == "3:融资难"
        assert classify(word, TAXONOMY).category is C.FINANCING


@pytest.mark.parametrize(("one", "other", "category"), APART)
def test_alike_but_different_problems_are_different_topics(one, other, category):
    a, b = MAP.find(one, category), MAP.find(other, category)
    assert a is not None and b is not None
    assert a.topic != b.topic, (a, b)


def test_the_same_words_in_another_category_are_another_topic():
    # 错峰: power rationing (1) is not the winter emission curbs on kilns (6).
    assert MAP.find("供电公司要求错峰用电", C.PRODUCTION_FACTORS).topic == "1:电力供应"
    assert MAP.find("环保要求错峰生产", C.INDUSTRIAL_UPGRADING).topic == "6:环保限产"
    assert MAP.find("环保要求错峰生产", C.PRODUCTION_FACTORS) is None
    # 拖欠: customers owing for goods (2) is not a government owing for works (7).
    assert MAP.find("客户拖欠货款", C.OPERATION_MONITORING).topic == "2:货款回收"
    assert MAP.find("政府拖欠工程款", C.BUSINESS_ENVIRONMENT).topic == "7:拖欠企业账款"


@pytest.mark.parametrize(
    "text", ["", "你好", "今天天气很好", "请问领导什么时候来我们公司参观", "电", "贷"]
)
def test_a_text_naming_no_concept_has_no_topic(text):
    assert all(MAP.find(text, c) is None for c in SERVICE_CATEGORIES)
    assert MAP.find("停电", C.UNCLASSIFIED) is None


# -- the packaged map ----------------------------------------------------------------------


def test_the_packaged_map_covers_the_nine_categories():
    assert set(MAP.concepts) == set(SERVICE_CATEGORIES)
    assert sum(len(cs) for cs in MAP.concepts.values()) >= 70
    for category, concepts in MAP.concepts.items():
        assert len(concepts) >= 5, category
        for concept in concepts:
            assert 2 <= len(concept.name) <= MAX_CONCEPT
            assert len(concept.words) >= 3, concept
            assert all(len(w) >= 2 and w == normalise(w).strip() for w in concept.words)
        words = [w for c in concepts for w in c.words]
        assert len(words) == len(set(words)), f"a word under two concepts of {category}"


def test_every_taxonomy_keyword_belongs_to_a_concept_of_its_category():
    # So an issue the classifier put into a category by its keywords always has a topic.
    missing = [
        (int(category), keyword)
        for category, keywords in load_taxonomy().keywords.items()
        for keyword in keywords
        if MAP.concept_of(category, keyword) is None
    ]
    assert missing == []


def test_every_word_of_the_map_alone_points_the_classifier_to_its_category():
    # A word of several categories (拖欠货款: 2 and 3) points to one of them.
    listed_in: dict[str, set[Category]] = {}
    for category, words in MAP.words().items():
        for word in words:
            listed_in.setdefault(word, set()).add(category)
    wrong = [
        (word, sorted(int(c) for c in categories), int(classify(word, TAXONOMY).category))
        for word, categories in listed_in.items()
        if classify(word, TAXONOMY).category not in categories
    ]
    assert wrong == []


def test_the_packaged_file_is_read_once():
    assert load_topic_map() is load_topic_map()


# -- the rule, on a small hand-made map ---------------------------------------------------


def small() -> TopicMap:
    return TopicMap(
        {
            C.PRODUCTION_FACTORS: [
                Concept("电力供应", ("停电", "限电", "拉闸限电", "用电")),
                Concept("用电成本", ("电费", "用电成本")),
                Concept("天然气供应", ("停气", "燃气", "lng")),
            ],
            C.FINANCING: [Concept("融资难", ("贷款", "抽贷"))],
        }
    )


def test_most_words_win():
    found = small().find("燃气涨价,偶尔停电,燃气公司还停气", C.PRODUCTION_FACTORS)
    assert (found.concept, found.words) == ("天然气供应", ("燃气", "停气"))


def test_a_word_inside_a_longer_word_found_is_not_counted():
    # 限电 lies inside 拉闸限电; 用电 inside 用电成本 (of another concept).
    assert small().find("拉闸限电", C.PRODUCTION_FACTORS).words == ("拉闸限电",)
    found = small().find("用电成本太高", C.PRODUCTION_FACTORS)
    assert (found.concept, found.words) == ("用电成本", ("用电成本",))


def test_a_tie_goes_to_the_concept_named_first_then_to_the_map_order():
    assert small().find("电费高,还停气", C.PRODUCTION_FACTORS).concept == "用电成本"
    assert small().find("停气又电费高", C.PRODUCTION_FACTORS).concept == "天然气供应"


def test_only_the_issue_category_counts():
    assert small().find("停电后银行抽贷", C.FINANCING).concept == "融资难"
    assert small().find("停电", C.FINANCING) is None
    assert small().find("停电", C.TALENT_TRAINING) is None


def test_text_and_words_are_normalised():
    assert small().find("ＬＮＧ断供", C.PRODUCTION_FACTORS).concept == "天然气供应"


# -- local edits (the organisation file's [topics]) -------------------------------------------


def test_words_are_added_to_a_concept_and_a_new_concept_is_made():
    local = small().merged(
        {
            1: {"电力供应": TopicEdit(words=("晃电",)), "园区蒸汽": TopicEdit(words=("供汽",))},
            "3": {"融资难": TopicEdit(words=("断贷",))},
        }
    )
    assert local.find("厂区晃电", C.PRODUCTION_FACTORS).topic == "1:电力供应"
    assert local.find("供汽不足", C.PRODUCTION_FACTORS).topic == "1:园区蒸汽"
    assert local.find("银行断贷", C.FINANCING).topic == "3:融资难"
    assert small().find("厂区晃电", C.PRODUCTION_FACTORS) is None  # the original is untouched


def test_a_word_listed_under_another_concept_moves_there():
    local = small().merged({1: {"用电成本": TopicEdit(words=("用电",))}})
    assert local.concept_of(C.PRODUCTION_FACTORS, "用电") == "用电成本"
    assert "用电" not in local.concepts[C.PRODUCTION_FACTORS][0].words


def test_words_are_removed_and_concepts_disabled():
    local = small().merged(
        {1: {"电力供应": TopicEdit(remove=("停电",)), "天然气供应": TopicEdit(enabled=False)}}
    )
    assert local.find("停电", C.PRODUCTION_FACTORS) is None
    assert local.find("停气", C.PRODUCTION_FACTORS) is None
    assert [c.name for c in local.concepts[C.PRODUCTION_FACTORS]] == ["电力供应", "用电成本"]
    emptied = small().merged({3: {"融资难": TopicEdit(remove=("贷款", "抽贷"))}})
    assert C.FINANCING not in emptied.concepts


def test_bad_edits_are_each_reported_with_their_key_path():
    problems = check_topic_edits(
        {
            10: {},
            1: {
                "电力供应": TopicEdit(words=("电", "晃电")),
                "a:b": TopicEdit(words=("停气",)),
                "电网": TopicEdit(words=("晃电",)),
                "x" * 41: TopicEdit(),
                "燃气": TopicEdit(words=("燃气",), enabled=False),
            },
        },
        "topics",
    )
    assert problems == [
        "topics.10: unknown category number 10 (expected 1-9)",
        "topics.1.电力供应.words[0]='电': a word needs at least two characters "
        "(one character matches too much)",
        "topics.1.a:b: 'a:b': a concept name cannot contain ':' (it separates category "
        "and concept)",
        "topics.1.电网.words: '晃电' is also listed under topics.1.电力供应 (a word belongs "
        "to one concept of a category)",
        f"topics.1.{'x' * 41}: {'x' * 41!r}: a concept name is at most 40 characters",
        "topics.1.燃气.enabled=false: a disabled concept lists no words",
    ]
    with pytest.raises(ConfigError, match=r"topics\.10"):
        small().merged({10: {}})


def test_a_broken_map_file_is_reported_with_its_path(tmp_path):
    path = tmp_path / "topics.toml"
    path.write_text('[1."电力"]\nwords = ["停电"]\n[1."电网"]\nwords = ["停电"]\n', "utf-8")
    with pytest.raises(ConfigError, match=r"topics\.toml.*'停电' is also listed"):
        load_topic_map(str(path))
    path.write_text('[1."电力"]\nword = ["停电"]\n', "utf-8")
    with pytest.raises(ConfigError, match="expected exactly one key, words"):
        load_topic_map(str(path))
    with pytest.raises(ConfigError, match="cannot read"):
        load_topic_map(str(tmp_path / "missing.toml"))


# -- properties ---------------------------------------------------------------------------

CONCEPTS = [(category, concept) for category, cs in MAP.concepts.items() for concept in cs]
NEUTRAL = ["我公司反映", "情况紧急", "请领导协调", "已向有关部门报告", "2026年10月以来", "谢谢"]


@st.composite
def complaint_about(draw):
    """A complaint built of some words of one concept and neutral phrases, in any order."""
    category, concept = draw(st.sampled_from(CONCEPTS))
    words = draw(st.lists(st.sampled_from(concept.words), min_size=1, max_size=4))
    neutral = draw(st.lists(st.sampled_from(NEUTRAL), max_size=3))
    parts = draw(st.permutations([*words, *neutral]))
    return category, concept, ",".join(parts)


def test_the_neutral_phrases_name_nothing():
    assert all(MAP.find(p, c) is None for p in NEUTRAL for c in SERVICE_CATEGORIES)


@given(complaint_about())
def test_a_complaint_in_any_words_of_a_concept_gets_that_concept(case):
    category, concept, text = case
    found = MAP.find(text, category)
    assert found is not None and found.concept == concept.name
    assert set(found.words) <= set(concept.words)


@given(complaint_about(), st.lists(st.sampled_from(CONCEPTS), max_size=3))
def test_words_of_other_categories_do_not_change_the_topic(case, others):
    category, concept, text = case
    extra = [
        word
        for other_category, other in others
        if other_category is not category
        for word in other.words[:2]
        # (a word of another category may contain one of this category: 停产整治, 停产)
        if not any(w in word for w in MAP.words()[category])
    ]
    assert MAP.find(",".join([text, *extra]), category).concept == concept.name


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)


@given(st.sampled_from(CONCEPTS), st.text(CJK, min_size=2, max_size=6))
def test_a_word_added_in_the_organisation_file_finds_its_concept(target, word):
    category, concept = target
    local = MAP.merged({int(category): {concept.name: TopicEdit(words=(word,))}})
    assert local.find(word, category).concept == concept.name
    assert local.concept_of(category, word) == concept.name
    # Every other concept keeps its words (the new word moved, if another had it).
    for other in MAP.concepts[category]:
        if other.name != concept.name:
            kept = next(c for c in local.concepts[category] if c.name == other.name)
            assert set(kept.words) == set(other.words) - {word}
