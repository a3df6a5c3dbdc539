"""The policy catalogue: import (CSV UTF-8/GBK, XLSX, JSON), bad files and rows, idempotent
re-import, updates that keep the search index in step, events, matching to enterprises, and
search without an index. On SQLite and, with ``SERVICEFRAME_TEST_DB``, on PostgreSQL."""

import csv
import json
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import text

from policy_catalogue import CATALOGUE, TODAY, build_catalogue, ids_by_name
from serviceframe.domain.categories import Category
from serviceframe.domain.policy import Validity
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import NotFound, ValidationError
from serviceframe.hookspecs import hookimpl
from serviceframe.services.issues import IssueDraft, accept, file_issue
from serviceframe.services.policies import (
    add_policy,
    enterprises_for,
    get_policy,
    import_policies,
    list_policies,
    policies_for,
    reindex_policies,
    search_index,
    search_policies,
    update_policy,
)
from serviceframe.store import policy_search
from serviceframe.testing.fixtures import make_app
from serviceframe.testing.sample import JIEFANG, XIUWU, credit_code

HEADER = [
    "文号",
    "标题",
    "发文机关",
    "发文日期",
    "生效日期",
    "失效日期",
    "服务类别",
    "适用行业",
    "企业规模",
    "原文链接",
    "正文",
]
ROWS = [
    ["焦政〔2026〕1号", "焦作市促进工业经济稳增长若干措施", "焦作市人民政府", "2026-01-05", "", "2026-12-31",
     "1;3;6", "", "", "", "降低企业用电用气成本，加大信贷投放，支持技术改造。"],
    ["焦金〔2025〕8号", "焦作市中小企业转贷应急周转资金管理办法", "焦作市人民政府金融工作办公室", "2025/7/1", "",
     "2028年6月30日", "融资服务支持", "", "中型、小型、微型", "https://www.jiaozuo.example/a.html",
     "设立转贷应急周转资金，帮助企业续贷，降低过桥资金成本。"],
    ["", "水泥行业错峰生产安排", "焦作市企业发展服务局", "20260401", "", "", "1，6", "C3011", "", "",
     "用电高峰期间水泥企业实行错峰生产。"],
]  # fmt: skip


def write_policies(path, rows=ROWS, header=HEADER, encoding="utf-8"):
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def events(app, kind=None):
    with app.engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, subject, data FROM events ORDER BY id")).all()
    found = [(k, s, d if isinstance(d, dict) else json.loads(d)) for k, s, d in rows]
    return [e for e in found if kind is None or e[0] == kind]


def titles(app, query, **options):
    return [h.policy.title for h in search_policies(app, query, limit=None, **options).hits]


# --- import --------------------------------------------------------------------------------


def test_import_a_csv_and_again_changes_nothing(sf_small_app, tmp_path):
    path = write_policies(tmp_path / "政策.csv")

    first = import_policies(sf_small_app, path)
    again = import_policies(sf_small_app, path)

    assert (first.rows, first.inserted, first.updated, first.errors) == (3, 3, 0, ())
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert len(events(sf_small_app, "policy_added")) == 3
    assert events(sf_small_app, "policy_updated") == []
    _, found = list_policies(sf_small_app, on=TODAY)
    loan = next(s for s in found if s.doc_no == "焦金〔2025〕8号")
    assert (loan.issued_on, loan.valid_to) == (date(2025, 7, 1), date(2028, 6, 30))
    assert loan.categories == (Category.FINANCING,)
    assert [s.value for s in loan.sizes] == ["medium", "small", "micro"]
    cement = next(s for s in found if s.title == "水泥行业错峰生产安排")
    assert (cement.issued_on, cement.valid_to, cement.industries) == (
        date(2026, 4, 1),
        None,
        ("C3011",),
    )
    assert cement.categories == (Category.PRODUCTION_FACTORS, Category.INDUSTRIAL_UPGRADING)


def test_import_tells_its_progress(sf_small_app, tmp_path):
    seen = []
    import_policies(
        sf_small_app, write_policies(tmp_path / "p.csv"), progress=lambda *a: seen.append(a)
    )
    assert seen[0] == (0, 3) and seen[-1] == (3, 3)


def test_a_gbk_file_from_excel(sf_small_app, tmp_path):
    path = write_policies(tmp_path / "gbk.csv", encoding="gbk")
    assert import_policies(sf_small_app, path).inserted == 3
    assert import_policies(sf_small_app, path, encoding="gbk").unchanged == 3
    assert titles(sf_small_app, "续贷") == ["焦作市中小企业转贷应急周转资金管理办法"]


def test_an_xlsx_file_with_date_cells(sf_small_app, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append([datetime(2026, 1, 5) if v == "2026-01-05" else v for v in row])
    book.save(tmp_path / "政策.xlsx")

    report = import_policies(sf_small_app, tmp_path / "政策.xlsx")

    assert (report.inserted, report.errors) == (3, ())
    assert get_policy(sf_small_app, 1).issued_on == date(2026, 1, 5)


def test_a_json_file(sf_small_app, tmp_path):
    path = tmp_path / "policies.json"
    items = [
        {"doc_no": "焦政〔2026〕1号", "title": "稳增长若干措施", "issuer": "焦作市人民政府",
         "issued_on": "2026-01-05", "categories": [1, "融资服务支持"], "industries": ["C26", "c27"],
         "sizes": ["small"], "body": "加大信贷投放。"},
        {"标题": "技能培训补贴", "发文机关": "焦作市人力资源和社会保障局", "发文日期": "2026-02-20",
         "服务类别": "8", "正文": "按每人1500元给予补贴。", "valid_to": None},
    ]  # fmt: skip
    path.write_text(json.dumps(items, ensure_ascii=False, indent=2), encoding="utf-8")

    report = import_policies(sf_small_app, path)

    assert (report.inserted, report.errors) == (2, ())
    first = get_policy(sf_small_app, 1)
    assert first.categories == (Category.PRODUCTION_FACTORS, Category.FINANCING)
    assert first.industries == ("C26", "C27")
    assert import_policies(sf_small_app, path).unchanged == 2


def test_a_bad_date_names_the_line_and_the_column(sf_small_app, tmp_path):
    rows = [list(r) for r in ROWS]
    rows[1][3] = "2025-13-01"
    rows[2][5] = "明年"

    report = import_policies(sf_small_app, write_policies(tmp_path / "p.csv", rows))

    assert report.inserted == 1  # the good row is stored
    assert [(e.line, e.column, e.value) for e in report.errors] == [
        (3, "发文日期", "2025-13-01"),
        (4, "失效日期", "明年"),
    ]
    assert "no such day" in report.errors[0].reason
    assert "not a date" in report.errors[1].reason
    assert str(report.errors[0]).startswith("line 3, column 发文日期: '2025-13-01'")


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        (6, "", "must not be empty"),
        (6, "10", "nine service categories"),
        (6, "0", "nine service categories"),
        (6, "环保", "nine service categories"),
        (7, "C26;X99", "GB/T 4754"),
        (8, "巨型", "not an enterprise size"),
        (9, "www.example.com", "web address"),
        (5, "2025-01-01", "before valid_from"),
        (1, "", "must not be empty"),
        (1, "长" * 301, "at most 300"),
        (10, " ", "must not be empty"),
    ],
)
def test_bad_values_name_their_column(sf_small_app, tmp_path, column, value, reason):
    rows = [list(ROWS[0])]
    rows[0][column] = value

    report = import_policies(sf_small_app, write_policies(tmp_path / "p.csv", rows))

    assert report.inserted == 0
    (error,) = report.errors
    assert (error.line, error.column) == (2, HEADER[column])
    assert reason in error.reason


def test_a_policy_twice_in_one_file(sf_small_app, tmp_path):
    rows = [ROWS[0], ROWS[2], ROWS[0]]
    report = import_policies(sf_small_app, write_policies(tmp_path / "p.csv", rows))
    assert report.inserted == 2
    ((line, column, reason),) = [(e.line, e.column, e.reason) for e in report.errors]
    assert (line, column, reason) == (4, "文号", "same policy as line 2")


def test_two_rows_that_are_one_stored_policy(sf_small_app, tmp_path):
    import_policies(sf_small_app, write_policies(tmp_path / "p.csv", [ROWS[1]]))
    without_number = ["", *ROWS[1][1:]]
    without_number[10] = "另一种写法。"
    report = import_policies(
        sf_small_app, write_policies(tmp_path / "q.csv", [ROWS[1], without_number])
    )
    assert (report.unchanged, report.updated) == (1, 0)
    assert [(e.line, e.column, e.reason) for e in report.errors] == [
        (3, "标题", "same policy as line 2")
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "lacks column"),
        ("标题,正文\n稳增长,内容\n".encode(), "lacks column(s) 发文机关, 发文日期, 服务类别"),
        (b"\x00\x01\x02PK\x03\x04", "a binary file, not CSV"),
    ],
)
def test_broken_csv_files(sf_small_app, tmp_path, content, message):
    path = tmp_path / "p.csv"
    path.write_bytes(content)
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_policies(sf_small_app, path)
    assert list_policies(sf_small_app)[0] == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"title": "a",}]', "not valid JSON: Expecting property name .* at line 1 column 16"),
        ('{"policies": []}', "a list of objects"),
        ("", "not valid JSON"),
    ],
)
def test_broken_json_files(sf_small_app, tmp_path, content, message):
    path = tmp_path / "p.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError, match=message):
        import_policies(sf_small_app, path)


def test_bad_json_items_name_their_line_and_key(sf_small_app, tmp_path):
    good = {
        "title": "稳增长",
        "issuer": "市政府",
        "issued_on": "2026-01-05",
        "categories": [1],
        "body": "内容",
    }
    path = tmp_path / "p.json"
    path.write_text(
        "[\n"
        + ",\n".join(
            json.dumps(x, ensure_ascii=False)
            for x in (
                good,
                {**good, "title": "二", "issue_on": "2026-01-05"},
                "not an object",
                {**good, "title": "三", "issued_on": "2026-02-30"},
                {**good, "title": "四", "categories": {"a": 1}},
            )
        )
        + "\n]\n",
        encoding="utf-8",
    )

    report = import_policies(sf_small_app, path)

    assert report.inserted == 1
    assert [(e.line, e.column) for e in report.errors] == [
        (3, "issue_on"),
        (4, "-"),
        (5, "issued_on"),
        (6, "categories"),
    ]
    assert "unknown key" in report.errors[0].reason


def test_a_missing_file(sf_small_app, tmp_path):
    for name in ("none.csv", "none.json"):
        with pytest.raises(ValidationError, match="no such file"):
            import_policies(sf_small_app, tmp_path / name)


# --- identity, updates, the index kept in step -----------------------------------------------


def test_a_changed_row_updates_the_policy_and_its_index(sf_small_app, tmp_path):
    path = write_policies(tmp_path / "p.csv")
    import_policies(sf_small_app, path)
    assert titles(sf_small_app, "过桥资金") == ["焦作市中小企业转贷应急周转资金管理办法"]

    rows = [list(r) for r in ROWS]
    rows[1][10] = "设立应急转贷资金，单户额度不超过1000万元。"
    rows[1][6] = "3;7"
    report = import_policies(sf_small_app, write_policies(path, rows))

    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2)
    assert titles(sf_small_app, "过桥资金") == []
    assert titles(sf_small_app, "应急转贷") == ["焦作市中小企业转贷应急周转资金管理办法"]
    assert titles(sf_small_app, "资金", categories=[7]) == [
        "焦作市中小企业转贷应急周转资金管理办法"
    ]
    ((_, subject, data),) = events(sf_small_app, "policy_updated")
    assert subject == "policy:2"
    assert data["changed"] == ["categories", "body"]
    assert_index_consistent(sf_small_app)


def test_without_a_document_number_title_issuer_and_date_are_the_key(sf_small_app, tmp_path):
    path = write_policies(tmp_path / "p.csv", [ROWS[2]])
    import_policies(sf_small_app, path)
    changed = list(ROWS[2])
    changed[10] = "用电高峰期间水泥企业错峰生产，熟料产能置换。"
    assert import_policies(sf_small_app, write_policies(path, [changed])).updated == 1
    later = list(changed)
    later[3] = "2026-09-01"  # a new document with the same title
    assert import_policies(sf_small_app, write_policies(path, [later])).inserted == 1


def test_a_file_without_document_numbers_keeps_them(sf_small_app, tmp_path):
    import_policies(sf_small_app, write_policies(tmp_path / "p.csv"))
    header = HEADER[1:]
    rows = [r[1:] for r in ROWS]
    report = import_policies(sf_small_app, write_policies(tmp_path / "q.csv", rows, header))
    assert (report.inserted, report.unchanged) == (0, 3)
    assert get_policy(sf_small_app, 1).doc_no == "焦政〔2026〕1号"


def test_add_and_update_policy(sf_small_app):
    events_seen = []

    class Listener:
        @hookimpl
        def serviceframe_registry_event(self, app, event):
            events_seen.append(event)

    app = make_app(sf_small_app.settings.db_url, plugins=(Listener(),))
    try:
        added = add_policy(app, CATALOGUE["power"])
        assert added.id == 1
        assert [e["kind"] for e in events_seen] == ["policy_added"]
        assert events_seen[0]["data"]["industries"] == ["C"]
        with pytest.raises(ValidationError, match="already in the catalogue as policy 1"):
            add_policy(app, CATALOGUE["power"])

        changed = update_policy(app, 1, valid_to=date(2026, 5, 31), body="保障企业生产供电")
        assert changed.valid_to == date(2026, 5, 31)
        assert events_seen[-1]["kind"] == "policy_updated"
        assert events_seen[-1]["data"]["changed"] == ["body", "valid_to"]
        assert titles(app, "限时办理", on=TODAY) == []  # the body no longer says it
        assert search_policies(app, "供电", on=TODAY).hits[0].policy.validity is Validity.EXPIRED
        assert update_policy(app, 1, valid_to=date(2026, 5, 31)) == changed  # no change, no event
        assert len(events_seen) == 2
        with pytest.raises(ValidationError, match="valid_to"):
            update_policy(app, 1, valid_to=date(2020, 1, 1))
        with pytest.raises(ValidationError, match="not a field"):
            update_policy(app, 1, colour="red")
        with pytest.raises(NotFound):
            update_policy(app, 99, body="x")
        other = add_policy(app, CATALOGUE["expired"])
        with pytest.raises(ValidationError, match=f"already used by policy {other.id}"):
            update_policy(app, 1, doc_no=other.doc_no)
        assert_index_consistent(app)
    finally:
        app.close()


def assert_index_consistent(app):
    """SQLite checks an external-content FTS5 index against its table; PostgreSQL keeps its
    GIN indexes itself, so there the check is that an indexed search sees the stored text."""
    with app.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "INSERT INTO policy_search (policy_search, rank) VALUES ('integrity-check', 1)"
            )
        rows = conn.execute(text("SELECT id, search_body FROM policies")).all()
    for policy_id, body in rows:
        probe = body.split("\n")[-1][:5]
        if len(probe) >= 3 and probe.isalnum():
            found = search_policies(app, probe, limit=None)
            assert policy_id in [h.policy.id for h in found.hits], probe


# --- policies for an enterprise --------------------------------------------------------------

PHARMA = credit_code(JIEFANG, 1)  # C2710
CEMENT = credit_code(XIUWU, 4)  # C3011


@pytest.fixture
def catalogue_app(sf_make_db):
    app = make_app(sf_make_db("policy-catalogue", build_catalogue))
    app.clock = lambda: datetime(2026, 6, 1, 9, tzinfo=SHANGHAI)
    yield app
    app.close()


def for_names(app, code, **options):
    ids = {v: k for k, v in ids_by_name(app).items()}
    return [(ids[m.policy.id], m.industry) for m in policies_for(app, code, on=TODAY, **options)]


def test_policies_for_an_enterprise_by_industry(catalogue_app):
    # C2710: narrowest first, C2710, C27, C, then for every industry; not C26, C38, C3011.
    assert for_names(catalogue_app, PHARMA) == [
        ("body1_old", "C2710"),
        ("talent", "C27"),
        ("power", "C"),
        ("title", ""),
        ("body3", ""),
    ]
    assert [n for n, _ in for_names(catalogue_app, CEMENT)] == ["cement", "power", "title", "body3"]


def test_expired_policies_only_when_asked(catalogue_app):
    assert "expired" not in [n for n, _ in for_names(catalogue_app, PHARMA)]
    assert for_names(catalogue_app, PHARMA, include_expired=True)[-1] == ("expired", "")


def test_the_categories_an_enterprise_raised_come_first(catalogue_app):
    issue = file_issue(
        catalogue_app,
        IssueDraft(enterprise=PHARMA, source="hotline", body="流动资金紧张，银行抽贷，请协调融资"),
    ).issue
    accept(catalogue_app, issue.id, category=3)

    matches = policies_for(catalogue_app, PHARMA, on=TODAY)

    by_id = {v: k for k, v in ids_by_name(catalogue_app).items()}
    assert [by_id[m.policy.id] for m in matches][:2] == ["title", "body3"]
    assert matches[0].raised == (Category.FINANCING,)
    assert matches[-1].raised == ()


def test_policies_for_with_category_and_size(catalogue_app):
    assert [n for n, _ in for_names(catalogue_app, PHARMA, categories=[6])] == ["body1_old"]
    assert "body3" not in [n for n, _ in for_names(catalogue_app, PHARMA, size="large")]
    assert "body3" in [n for n, _ in for_names(catalogue_app, PHARMA, size="micro")]


def test_policies_for_an_unknown_enterprise(catalogue_app):
    with pytest.raises(NotFound):
        policies_for(catalogue_app, credit_code(JIEFANG, 77))
    with pytest.raises(ValidationError, match="credit_code"):
        policies_for(catalogue_app, "12345")


def test_the_enterprises_a_policy_applies_to(catalogue_app):
    ids = ids_by_name(catalogue_app)
    every = sorted(
        credit_code(c, n) for c, n in ((JIEFANG, 1), (JIEFANG, 2), (JIEFANG, 3), (XIUWU, 4))
    )
    assert enterprises_for(catalogue_app, ids["title"]) == every
    assert enterprises_for(catalogue_app, ids["power"]) == every  # C: all four are manufacturers
    assert enterprises_for(catalogue_app, ids["cement"]) == [CEMENT]
    assert enterprises_for(catalogue_app, ids["body1"]) == []  # C26: none here
    assert enterprises_for(catalogue_app, ids["talent"]) == sorted(
        [PHARMA, credit_code(JIEFANG, 2)]
    )
    with pytest.raises(NotFound):
        enterprises_for(catalogue_app, 999)


# --- without a search index ------------------------------------------------------------------


def test_search_without_an_index_scans_and_says_so(catalogue_app):
    before = [titles(catalogue_app, q, on=TODAY) for q in ("融资", "融资担保", "ISO9001认证")]
    with catalogue_app.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP EXTENSION pg_trgm CASCADE")
        else:
            policy_search.drop(conn)
    catalogue_app.forget_cached()

    index = search_index(catalogue_app)
    assert index.kind is None
    assert "scans all policies" in index.note and "policy reindex" in index.note
    assert [
        titles(catalogue_app, q, on=TODAY) for q in ("融资", "融资担保", "ISO9001认证")
    ] == before

    assert reindex_policies(catalogue_app).kind in ("pg_trgm", "fts5-trigram")
    assert [
        titles(catalogue_app, q, on=TODAY) for q in ("融资", "融资担保", "ISO9001认证")
    ] == before
    assert_index_consistent(catalogue_app)


def test_the_migration_goes_on_when_pg_trgm_may_not_be_created(sf_empty_db_url):
    """A role that may create tables but not extensions: the catalogue works, unindexed."""
    from sqlalchemy.engine import make_url

    from serviceframe.store.database import make_engine
    from serviceframe.store.migrate import head, upgrade

    if not sf_empty_db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL extensions")
    admin = make_engine(sf_empty_db_url)
    database = make_url(sf_empty_db_url).database
    role = f"sf_policy_{database[-12:]}"
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
            conn.exec_driver_sql(f'REVOKE CREATE ON DATABASE "{database}" FROM PUBLIC')
            conn.exec_driver_sql(f'GRANT CREATE, USAGE ON SCHEMA public TO "{role}"')
        url = make_url(sf_empty_db_url).set(username=role).render_as_string(hide_password=False)
        engine = make_engine(url)
        try:
            assert upgrade(engine)[1] == head()
            app = make_app(url)
            try:
                assert search_index(app).kind is None
                add_policy(app, CATALOGUE["power"])
                assert titles(app, "用电") == ["降低企业用电成本的措施"]
            finally:
                app.close()
        finally:
            engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'REASSIGN OWNED BY "{role}" TO postgres')
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
        admin.dispose()


def test_the_documented_columns_are_those_the_importer_reads():
    from pathlib import Path

    from serviceframe.policyfile import COLUMNS, REQUIRED

    page = (Path(__file__).parent.parent / "docs" / "policies.md").read_text(encoding="utf-8")
    lines = page[page.index("| field | column names | required | format |") :].splitlines()
    documented = {}
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        field, names, required, _ = (c.strip() for c in line.strip("|").split("|"))
        documented[field.strip("`")] = ([n.strip() for n in names.split(",")], required == "yes")
    assert documented == {f: (list(names), f in REQUIRED) for f, names in COLUMNS.items()}
