"""The policy catalogue's rules without a database: folding, query terms, dates as clerks
write them, validity, snippets, industry levels, and the checks of a policy."""

from datetime import date

import pytest

from serviceframe.domain.categories import Category
from serviceframe.domain.policy import (
    EnterpriseSize,
    Policy,
    Validity,
    fold,
    industry_prefixes,
    parse_day,
    parse_size,
    query_terms,
    snippet,
)
from serviceframe.errors import ValidationError


def policy(**changes):
    fields = {
        "title": "关于支持企业融资的通知",
        "issuer": "焦作市人民政府",
        "issued_on": date(2026, 3, 1),
        "categories": (3,),
        "body": "加大信贷投放。",
    }
    return Policy(**{**fields, **changes})


def test_fold_makes_full_width_and_case_the_same():
    assert fold("ＩＳＯ９００１认证（２０２５年）") == "iso9001认证(2025年)"
    assert fold("Clinker") == fold("CLINKER") == "clinker"
    assert fold("融资担保") == "融资担保"


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("融资", ("融资",)),
        ("融资 担保", ("融资", "担保")),
        ("融资、担保，融资", ("融资", "担保")),
        ("“5G+工业互联网”", ("5g", "工业互联网")),
        ("ISO9001认证", ("iso9001认证",)),
        ("焦政〔2025〕18号", ("焦政", "2025", "18号")),
        ("a_b%c", ("a", "b", "c")),
        ("　用电　", ("用电",)),  # an ideographic space
    ],
)
def test_query_terms(text, terms):
    assert query_terms(text) == terms


@pytest.mark.parametrize("text", ["", " ", "、，。", "!!!"])
def test_a_query_needs_a_word(text):
    with pytest.raises(ValidationError, match="give a word"):
        query_terms(text)


@pytest.mark.parametrize(
    "text",
    ["2025-03-12", "2025/3/12", "2025.3.12", "2025年3月12日", "20250312", "２０２５年３月１２日",
     "2025-03-12 00:00:00", " 2025-3-12 "],
)  # fmt: skip
def test_dates_as_clerks_write_them(text):
    assert parse_day("issued_on", text) == date(2025, 3, 12)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("2025-13-01", "no such day"), ("2025-02-30", "no such day"), ("明年", "not a date"),
     ("2025", "not a date"), ("12/03/2025", "not a date")],
)  # fmt: skip
def test_bad_dates_name_the_field(text, reason):
    with pytest.raises(ValidationError, match=reason) as caught:
        parse_day("valid_to", text)
    assert caught.value.field == "valid_to"


def test_validity_on_a_day():
    p = policy(valid_from=date(2026, 4, 1), valid_to=date(2026, 12, 31))
    assert p.validity(date(2026, 3, 31)) is Validity.UPCOMING
    assert p.validity(date(2026, 4, 1)) is Validity.CURRENT
    assert p.validity(date(2026, 12, 31)) is Validity.CURRENT  # the last day is in force
    assert p.validity(date(2027, 1, 1)) is Validity.EXPIRED
    assert policy().valid_from == date(2026, 3, 1)  # from the issue date by default
    assert [v.label for v in Validity] == ["现行有效", "尚未生效", "已失效"]


def test_a_policy_is_checked_whole():
    p = policy(
        categories=["融资服务支持", 4, "3"], industries=["c26", "C2614"], sizes=["小型", "micro"]
    )
    assert p.categories == (Category.FINANCING, Category.TECH_INNOVATION)
    assert p.industries == ("C26", "C2614")
    assert p.sizes == (EnterpriseSize.SMALL, EnterpriseSize.MICRO)
    for changes, field in [
        ({"title": " "}, "title"),
        ({"categories": ()}, "categories"),
        ({"categories": (0,)}, "categories"),
        ({"industries": ("制造业",)}, "industry"),
        ({"valid_to": date(2026, 2, 1)}, "valid_to"),
        ({"source_url": "ftp://x"}, "source_url"),
        ({"doc_no": "号" * 101}, "doc_no"),
        ({"sizes": ("huge",)}, "sizes"),
    ]:
        with pytest.raises(ValidationError) as caught:
            policy(**changes)
        assert caught.value.field == field, changes


def test_sizes_in_chinese_and_english():
    assert [parse_size(x) for x in ("大型", "中", "小企业", "micro", "SMALL")] == [
        EnterpriseSize.LARGE,
        EnterpriseSize.MEDIUM,
        EnterpriseSize.SMALL,
        EnterpriseSize.MICRO,
        EnterpriseSize.SMALL,
    ]


def test_industry_levels():
    assert industry_prefixes("c2614") == ("C", "C26", "C261", "C2614")
    assert industry_prefixes("C26") == ("C", "C26")
    assert industry_prefixes("D") == ("D",)


def test_snippets_show_the_first_hit():
    body = "前言" * 30 + "，支持ＩＳＯ９００１认证。" + "后文" * 30
    shown = snippet(body, ["iso9001"], width=20)
    assert shown.startswith("…") and shown.endswith("…")
    assert "ＩＳＯ９００１" in shown
    assert snippet("短文本融资", ["融资"]) == "短文本融资"
    assert snippet("没有", ["融资"]) == "没有"
    # A character that folds to two (ﬁ → fi) before the hit does not shift the window.
    assert "融资" in snippet("ﬁ" * 40 + "融资" + "后" * 40, ["融资"], width=10)
    assert "融资" in snippet("ﬁ" * 40 + "融资", ["融资"], width=10)
