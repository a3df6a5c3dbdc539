"""Policy search (涉企政策查询): Chinese queries of any length, ranking, filters, paging.

Runs on SQLite (FTS5 trigram index) and, with ``SERVICEFRAME_TEST_DB``, on PostgreSQL
(pg_trgm). The catalogue is :mod:`tests.policy_catalogue`; the property tests compare every
result list with a plain-Python reading of the rules.
"""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy_catalogue import CATALOGUE, TODAY, build_catalogue, ids_by_name
from serviceframe.domain.policy import Validity, fold, query_terms
from serviceframe.errors import ValidationError
from serviceframe.services.policies import search_index, search_policies
from serviceframe.testing.fixtures import make_app


@pytest.fixture(scope="module")
def app(sf_make_module_db):
    app = make_app(sf_make_module_db("policy-catalogue", build_catalogue))
    yield app
    app.close()


@pytest.fixture(scope="module")
def ids(app):
    return ids_by_name(app)


def names(app, ids, text, **options):
    found = search_policies(app, text, on=TODAY, limit=None, **options)
    by_id = {v: k for k, v in ids.items()}
    return [by_id[h.policy.id] for h in found.hits]


def test_the_index_is_the_one_this_database_has(app):
    index = search_index(app)
    expected = "pg_trgm" if app.engine.dialect.name == "postgresql" else "fts5-trigram"
    assert (index.kind, index.note) == (expected, "")


# --- what is found -----------------------------------------------------------------------


def test_a_two_character_query_is_found_inside_longer_words(app, ids):
    assert set(names(app, ids, "融资")) == {
        "title",
        "body3",
        "body1",
        "body1_old",
        "upcoming",
        "expired",
    }


def test_two_characters_at_the_very_start_and_end_of_the_text(app, ids):
    # "power"'s text ends with 用电, "cement"'s begins with it (no padding to lean on).
    assert set(names(app, ids, "用电")) == {"power", "cement"}


def test_a_single_character(app, ids):
    assert set(names(app, ids, "泥")) == {"cement"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("融资租", {"upcoming"}),  # three characters: the trigram index
        ("融资担保", {"expired"}),
        ("供应链融资", {"body3"}),
        ("新建厂房报装实行限时办理", {"power"}),
        ("融资租赁设备给予补助", {"upcoming"}),
    ],
)
def test_three_and_longer(app, ids, query, expected):
    assert set(names(app, ids, query)) == expected


def test_every_term_must_occur(app, ids):
    assert names(app, ids, "融资 担保") == ["expired"]
    assert set(names(app, ids, "融资 补助")) == {"upcoming", "body1"}  # 补助 in body1's title
    assert names(app, ids, "融资 水泥") == []


@pytest.mark.parametrize(
    "query",
    ["融资、担保", "融资，担保", "“融资”（担保）", "融资;担保!", " 融资\t担保 ", "融资——担保"],
)
def test_punctuation_separates_terms(app, ids, query):
    assert query_terms(query) == ("融资", "担保")
    assert names(app, ids, query) == ["expired"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("5G", {"body1_old"}),
        ("5g+工业互联网", {"body1_old"}),
        ("5G工业", set()),  # "+" is in between: not one term
        ("clinker", {"cement"}),
        ("CLINKER 产能", {"cement"}),
        ("iso9001", {"body1"}),
    ],
)
def test_chinese_mixed_with_ascii(app, ids, query, expected):
    assert set(names(app, ids, query)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ＩＳＯ９００１", {"body1"}),  # full-width query, full-width text
        ("ISO9001认证", {"body1"}),  # half-width query, full-width text
        ("１５００元", {"talent"}),  # full-width query, half-width text
        ("Ｃｌｉｎｋｅｒ", {"cement"}),
        ("费率不高于１％", {"expired"}),
    ],
)
def test_full_width_and_half_width_are_the_same(app, ids, query, expected):
    assert set(names(app, ids, query)) == expected


def test_the_document_number_and_the_issuer_are_found(app, ids):
    assert names(app, ids, "焦财〔2024〕3号") == ["expired"]
    assert set(names(app, ids, "发展和改革委员会")) == {"power"}


def test_nothing_found_is_an_empty_page_not_an_error(app):
    found = search_policies(app, "航空航天", on=TODAY)
    assert (found.total, found.hits) == (0, ())


@pytest.mark.parametrize("query", ["", "   ", "，。、！", "%_\\"])
def test_a_query_without_words_is_refused(app, query):
    with pytest.raises(ValidationError, match="text"):
        search_policies(app, query)


def test_like_wildcards_are_plain_characters(app):
    # Query terms never hold % or _ (they split terms), but the store must not treat them
    # as wildcards either: no policy contains the text "融%资" or "融_资".
    from serviceframe.store.policy_repository import PolicyFilters

    with app.uow() as uow:
        for term in ("融%资", "融_资", "融\\资"):
            query = uow.policies.search_query((term,), TODAY, PolicyFilters(), None, 0, None)
            total, _ = uow.policies.ranked(query)
            assert total == 0, term
    assert search_policies(app, "融_资", on=TODAY).total == search_policies(app, "融 资").total


def test_an_overlong_query_is_refused(app):
    with pytest.raises(ValidationError, match="at most 200"):
        search_policies(app, "融资" * 101)


# --- ranking -----------------------------------------------------------------------------


def test_ranking_in_force_then_title_then_hits_then_newer(app, ids):
    assert names(app, ids, "融资") == [
        "title",  # in force, in the title
        "body3",  # in force, three times in the text
        "body1",  # once, 2026
        "body1_old",  # once, 2025
        "upcoming",  # not yet in force, although in the title
        "expired",  # expired last, although in the title
    ]


def test_hits_say_why(app, ids):
    found = search_policies(app, "融资", on=TODAY)
    first, second = found.hits[:2]
    assert (first.title_terms, first.hits) == (1, 2)
    assert (second.title_terms, second.hits) == (0, 3)
    assert [h.policy.validity for h in found.hits][-2:] == [Validity.UPCOMING, Validity.EXPIRED]
    assert "融资" in second.snippet


def test_more_terms_in_the_title_rank_higher(app, ids):
    # "title" has 企业 and 融资 in its title; "body3" has 企业 in its title only.
    assert names(app, ids, "企业 融资")[:2] == ["title", "body3"]


def test_validity_follows_the_day(app, ids):
    early = search_policies(app, "融资租赁", on=TODAY).hits[0].policy
    late = search_policies(app, "融资租赁", on=TODAY.replace(year=2027)).hits[0].policy
    assert (early.validity, late.validity) == (Validity.UPCOMING, Validity.CURRENT)


def test_expired_policies_can_be_left_out(app, ids):
    assert "expired" not in names(app, ids, "融资", include_expired=False)
    assert "upcoming" in names(app, ids, "融资", include_expired=False)


# --- filters and paging ------------------------------------------------------------------


def test_filter_by_category(app, ids):
    assert set(names(app, ids, "融资", categories=[6])) == {"body1", "body1_old"}
    assert set(names(app, ids, "融资", categories=["优化发展环境"])) == {"body3"}


def test_filter_by_industry_takes_broader_and_narrower_codes(app, ids):
    # C27 (pharmaceuticals): for every industry, C2710 (narrower); not C26 or C38.
    assert set(names(app, ids, "融资", industry="C27")) == {
        "title",
        "body3",
        "body1_old",
        "expired",
    }
    assert set(names(app, ids, "用电", industry="C3011")) == {"power", "cement"}


def test_filter_by_size(app, ids):
    assert "body3" not in names(app, ids, "融资", size="large")
    assert "body3" in names(app, ids, "融资", size="小型")
    assert names(app, ids, "补贴", size="small") == []


def test_paging_keeps_the_total(app, ids):
    everything = names(app, ids, "融资")
    page = search_policies(app, "融资", on=TODAY, limit=2, offset=2)
    assert page.total == len(everything)
    assert [h.policy.id for h in page.hits] == [ids[n] for n in everything[2:4]]


# --- properties: the result list is the rules applied in plain Python ----------------------


def expected(query: str) -> list[str]:
    terms = query_terms(query)
    rows = []
    for name, p in CATALOGUE.items():
        title = fold(p.title)
        text = fold("\n".join(x for x in (p.doc_no, p.issuer, p.body) if x))
        if not all(t in title or t in text for t in terms):
            continue
        in_title = sum(t in title for t in terms)
        hits = sum(title.count(t) + text.count(t) for t in terms)
        rows.append((p.validity(TODAY).rank, -in_title, -hits, -p.issued_on.toordinal(), name))
    return [r[-1] for r in sorted(rows)]


TEXTS = [fold(x) for p in CATALOGUE.values() for x in (p.title, p.body, p.issuer, p.doc_no) if x]


@st.composite
def queries(draw):
    """Pieces of the catalogue's text (1-6 characters, so that both paths are taken), a few
    of them, joined by spaces or Chinese punctuation, sometimes in full-width form."""
    pieces = []
    for _ in range(draw(st.integers(1, 3))):
        text = draw(st.sampled_from(TEXTS))
        start = draw(st.integers(0, len(text) - 1))
        pieces.append(text[start : start + draw(st.integers(1, 6))])
    query = draw(st.sampled_from([" ", "、", "，", "　"])).join(pieces)
    if draw(st.booleans()):  # type it in full-width where there is ASCII
        query = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in query)
    return query


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=queries())
def test_results_are_the_rules_applied_by_hand(app, ids, query):
    if not re.search(r"\w", fold(query).replace("_", "")):
        return  # punctuation only: refused, tested above
    assert names(app, ids, query) == expected(query)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(alphabet="融资担保用电企业水泥补贴技术改造ISO5G，、 ", min_size=1, max_size=8))
def test_random_queries_agree_with_the_rules(app, ids, query):
    if not re.search(r"\w", fold(query).replace("_", "")):
        return
    assert names(app, ids, query) == expected(query)


# --- the index serves terms of three or more characters ----------------------------------


def plan(app, terms):
    """The database's plan for a search (on PostgreSQL with sequential scans discouraged,
    since the planner rightly scans a table this small)."""
    from serviceframe.store.policy_repository import PolicyFilters

    index = search_index(app).kind
    with app.uow() as uow:
        conn = uow.connection
        query = uow.policies.search_query(terms, TODAY, PolicyFilters(), 20, 0, index)
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            return "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}"))
        return "\n".join(r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))


def test_a_long_term_is_looked_up_in_the_index(app):
    shown = plan(app, ("融资担保",))
    if app.engine.dialect.name == "postgresql":
        assert "policy_search_title" in shown and "policy_search_body" in shown, shown
    else:
        assert "SCAN policy_search VIRTUAL TABLE" in shown, shown


def test_short_terms_are_checked_on_the_rows_the_index_found(app):
    if app.engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL ANDs the conditions itself")
    shown = plan(app, ("融资担保", "费率", "1"))
    assert "SCAN policy_search VIRTUAL TABLE" in shown and "SCAN policies" not in shown, shown
