"""The registry through its services: organisation, enterprise import, key levels, assignments.

Most tests use ``sf_small_app`` (see :mod:`serviceframe.testing.sample`): 焦作市 with 解放区
(410802) and 修武县 (410821), seven officials, and four enterprises:

- ``credit_code(JIEFANG, 1)`` city key, ``(JIEFANG, 2)`` county key, ``(JIEFANG, 3)`` ordinary,
- ``credit_code(XIUWU, 4)`` county key of 修武县.
"""

from datetime import date

import pytest
from sqlalchemy.exc import OperationalError

from serviceframe.domain.assignment import AssignmentKind
from serviceframe.domain.enterprise import KeyLevel
from serviceframe.errors import NotFound, ServiceFrameError, StoreError, ValidationError
from serviceframe.services.assignments import (
    assign,
    assignments_of,
    contact_cards,
    coverage,
)
from serviceframe.services.enterprises import (
    designate,
    get_enterprise,
    import_enterprises,
    list_enterprises,
)
from serviceframe.services.organisation import load_organisation, organisation
from serviceframe.store.repositories import EventRepository
from serviceframe.testing.sample import (
    CITY,
    HEADER,
    JIEFANG,
    SMALL_ENTERPRISES,
    SMALL_ORG,
    XIUWU,
    credit_code,
    enterprise_row,
    write_csv,
    write_org,
)

CITY_KEY = credit_code(JIEFANG, 1)
COUNTY_KEY = credit_code(JIEFANG, 2)
ORDINARY = credit_code(JIEFANG, 3)
XIUWU_KEY = credit_code(XIUWU, 4)


def events(app, subject):
    with app.uow() as uow:
        return uow.events.for_subject(subject)


def kinds(app, subject):
    return [e["kind"] for e in events(app, subject)]


def stored(app):
    with app.uow() as uow:
        return {e.credit_code: e for e in uow.enterprises.list()}


def updated_at(app):
    from sqlalchemy import select

    from serviceframe.store import tables as t

    with app.engine.connect() as conn:
        rows = conn.execute(select(t.enterprises.c.credit_code, t.enterprises.c.updated_at))
        return {code: at for code, at in rows}


# --- organisation ------------------------------------------------------------------------


def without_official(official_id: str) -> str:
    start = SMALL_ORG.index(f'[[officials]]\nid = "{official_id}"')
    end = SMALL_ORG.index("[[", start + 2)
    return SMALL_ORG[:start] + SMALL_ORG[end:]


def test_organisation_is_stored_as_loaded(sf_small_app_shared):
    org = organisation(sf_small_app_shared)
    assert org.root.name == "焦作市"
    people = {o.id: o for o in org.officials}
    assert people["jz-vm"].portfolio.departments == {"jz-edsb", "jz-fgw"}
    assert len(people["jz-vm"].portfolio.categories) == 9
    group = org.group_of("410800")
    assert group is not None
    assert (group.leader, group.office, group.deputies) == ("jz-mayor", "jz-edsb", ("jz-vm",))
    assert set(group.members) == {"jz-edsb", "jz-fgw"}
    assert kinds(sf_small_app_shared, "organisation") == ["org_loaded"]


def test_organisation_before_loading_is_a_clear_error(sf_app):
    with pytest.raises(ServiceFrameError, match="org load"):
        organisation(sf_app)


def test_reload_without_an_official_retires_them_and_ends_their_assignments(sf_small_app, tmp_path):
    app = sf_small_app
    assign(app, CITY_KEY, "jz-fgw-leader")
    assign(app, COUNTY_KEY, "jz-fgw-leader", unit_id="jz-fgw")
    assign(app, XIUWU_KEY, "jz-vm")

    report = load_organisation(
        app, write_org(tmp_path / "org.toml", without_official("jz-fgw-leader"))
    )

    assert report.retired_officials == 1
    assert report.ended_assignments == 2
    people = {o.id: o for o in organisation(app).officials}
    assert people["jz-fgw-leader"].active is False  # kept: history points at them
    assert people["jz-vm"].active is True
    for code in (CITY_KEY, COUNTY_KEY):
        assert assignments_of(app, code) == []
        (ended,) = assignments_of(app, code, history=True)
        assert ended.official == "jz-fgw-leader"
        assert ended.valid_to == app.now().date()
        assert ended.ended_reason == "official left"
    assert [a.official for a in assignments_of(app, XIUWU_KEY)] == ["jz-vm"]
    assert CITY_KEY in {g.credit_code for g in coverage(app).gaps if g.level == CITY}
    assert kinds(app, "organisation") == ["org_loaded", "org_loaded"]
    # A departed official can no longer be assigned.
    with pytest.raises(ValidationError, match="jz-fgw-leader"):
        assign(app, CITY_KEY, "jz-fgw-leader")


def test_reloading_the_same_file_retires_no_one(sf_small_app, tmp_path):
    report = load_organisation(sf_small_app, write_org(tmp_path / "org.toml"))
    assert (report.retired_officials, report.retired_units, report.new_officials) == (0, 0, 0)
    assert report.officials == 7


def test_an_official_back_in_the_file_is_active_again(sf_small_app, tmp_path):
    gone = without_official("jz-fgw-leader")
    load_organisation(sf_small_app, write_org(tmp_path / "a.toml", gone))
    assert not {o.id: o for o in organisation(sf_small_app).officials}["jz-fgw-leader"].active
    report = load_organisation(sf_small_app, write_org(tmp_path / "b.toml"))
    assert {o.id: o for o in organisation(sf_small_app).officials}["jz-fgw-leader"].active
    assert report.retired_officials == 0


def test_a_bad_organisation_file_changes_nothing(sf_small_app, tmp_path):
    bad = SMALL_ORG.replace('role = "department_leader"', 'role = "boss"')
    with pytest.raises(ServiceFrameError, match="boss"):
        load_organisation(sf_small_app, write_org(tmp_path / "bad.toml", bad))
    assert len(organisation(sf_small_app).officials) == 7
    assert kinds(sf_small_app, "organisation") == ["org_loaded"]


# --- enterprise import -------------------------------------------------------------------


def new_rows():
    return [
        enterprise_row(JIEFANG, 11, "焦作市多氟多化工股份有限公司", "C2613", "city"),
        enterprise_row(JIEFANG, 12, "焦作市风神轮胎有限公司", "C2911", "county"),
        enterprise_row(XIUWU, 13, "修武县金属制品有限公司", "C3311", "none"),
    ]


def assert_new_rows_stored(app):
    found = stored(app)
    assert found[credit_code(JIEFANG, 11)].name == "焦作市多氟多化工股份有限公司"
    assert found[credit_code(JIEFANG, 11)].key_level is KeyLevel.CITY
    assert found[credit_code(JIEFANG, 12)].contacts[0].person == "联系人12"
    assert found[credit_code(XIUWU, 13)].jurisdiction == XIUWU


@pytest.mark.parametrize(
    ("encoding", "given"),
    [
        ("utf-8", None),
        ("utf-8-sig", None),  # Excel's "CSV UTF-8" starts with a BOM
        ("gbk", None),  # Excel's "CSV" on a Chinese Windows
        ("gbk", "gbk"),
        ("gb18030", "GB18030"),
        ("utf-8-sig", "utf-8"),  # a BOM is dropped even when utf-8 is named
        ("utf-8", "UTF8"),
    ],
)
def test_csv_import_in_the_encodings_clerks_have(sf_small_app, tmp_path, encoding, given):
    path = write_csv(tmp_path / "企业.csv", new_rows(), encoding=encoding)
    report = import_enterprises(sf_small_app, path, encoding=given)
    assert report.errors == ()
    assert (report.rows, report.inserted, report.updated, report.unchanged) == (3, 3, 0, 0)
    assert_new_rows_stored(sf_small_app)


def test_a_wrong_encoding_is_a_clear_error(sf_small_app, tmp_path):
    path = write_csv(tmp_path / "企业.csv", new_rows(), encoding="gbk")
    with pytest.raises(ValidationError) as info:
        import_enterprises(sf_small_app, path, encoding="utf-8")
    assert "utf-8" in str(info.value)
    assert "企业.csv" in str(info.value)
    with pytest.raises(ValidationError, match="latin-9000"):
        import_enterprises(sf_small_app, path, encoding="latin-9000")


def test_xlsx_import_with_numeric_cells(sf_small_app, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(HEADER))
    for row in new_rows():
        values: list[object] = list(row)
        values[2] = int(row[2])  # the county code typed as a number
        values[6] = int(row[6])  # so is the phone
        sheet.append(values)
    sheet.append([])  # an empty row is skipped
    bad = enterprise_row(JIEFANG, 14)
    bad[2] = 410899.0  # type: ignore[call-overload]
    sheet.append(bad)
    path = tmp_path / "企业.xlsx"
    workbook.save(path)

    report = import_enterprises(sf_small_app, path)

    assert report.inserted == 3
    assert_new_rows_stored(sf_small_app)
    assert stored(sf_small_app)[credit_code(JIEFANG, 12)].contacts[0].phone == "13903910012"
    (error,) = report.errors
    assert (error.line, error.column, error.value) == (6, "所属县区", "410899")


def test_bad_rows_are_reported_and_good_rows_stored(sf_small_app, tmp_path):
    good = new_rows()
    bad_check = enterprise_row(JIEFANG, 21)
    bad_check[0] = bad_check[0][:17] + ("0" if bad_check[0][17] != "0" else "1")
    unknown_county = enterprise_row(JIEFANG, 22)
    unknown_county[2] = "410899"
    duplicate = enterprise_row(JIEFANG, 11, "重复的企业")
    bad_industry = enterprise_row(JIEFANG, 23, industry="3011")
    empty_name = enterprise_row(JIEFANG, 24)
    empty_name[1] = ""
    bad_level = enterprise_row(JIEFANG, 25, level="省重点")
    bad_email = enterprise_row(JIEFANG, 26)
    bad_email[7] = "not-an-email"
    rows = [
        good[0],  # line 2
        bad_check,  # 3
        unknown_county,  # 4
        good[1],  # 5
        duplicate,  # 6: same code as line 2
        bad_industry,  # 7
        empty_name,  # 8
        bad_level,  # 9
        good[2],  # 10
        bad_email,  # 11
    ]
    path = write_csv(tmp_path / "企业.csv", rows)

    report = import_enterprises(sf_small_app, path)

    errors = {e.line: e for e in report.errors}
    assert sorted(errors) == [3, 4, 6, 7, 8, 9, 11]
    assert errors[3].column == "统一社会信用代码"
    assert "check character" in errors[3].reason
    assert errors[3].value == bad_check[0]
    assert errors[4].column == "所属县区"
    assert "not a jurisdiction" in errors[4].reason and errors[4].value == "410899"
    assert errors[6].column == "统一社会信用代码"
    assert "duplicate" in errors[6].reason and "line 2" in errors[6].reason
    assert errors[7].column == "行业代码" and errors[7].value == "3011"
    assert errors[8].column == "企业名称" and "empty" in errors[8].reason
    assert errors[9].column == "重点级别" and errors[9].value == "省重点"
    assert "no province level" in errors[9].reason
    assert errors[11].column == "电子邮箱" and errors[11].value == "not-an-email"
    assert str(errors[7]).startswith("line 7, column 行业代码: '3011': ")
    assert (report.rows, report.inserted) == (10, 3)
    assert_new_rows_stored(sf_small_app)
    found = stored(sf_small_app)
    assert found[credit_code(JIEFANG, 11)].name != "重复的企业"  # the first occurrence wins
    for n in (21, 22, 23, 24, 25, 26):
        assert credit_code(JIEFANG, n) not in found


def test_overlong_values_are_row_errors_not_a_failed_import(sf_small_app, tmp_path):
    long_name = enterprise_row(JIEFANG, 21, "焦" * 201)
    long_address = enterprise_row(JIEFANG, 22)
    long_address[8] = "路" * 301
    rows = [long_name, new_rows()[0], long_address]
    report = import_enterprises(sf_small_app, write_csv(tmp_path / "a.csv", rows))
    assert [(e.line, e.column) for e in report.errors] == [(2, "企业名称"), (4, "地址")]
    assert "200" in report.errors[0].reason
    assert report.inserted == 1


def test_an_enterprise_of_the_city_itself_is_no_county_key_enterprise(sf_small_app, tmp_path):
    # Registered at the city (no county below): it can be the city's key enterprise, but
    # there is no county for it to be a key enterprise of.
    county_key = enterprise_row(JIEFANG, 21, level="county")
    county_key[2] = "焦作市"
    city_key = enterprise_row(JIEFANG, 22, level="市重点")
    city_key[2] = "410800"
    report = import_enterprises(sf_small_app, write_csv(tmp_path / "a.csv", [county_key, city_key]))
    (error,) = report.errors
    assert (error.line, error.column, error.value) == (2, "重点级别", "county")
    assert "焦作市 has no county level" in error.reason
    found = stored(sf_small_app)[credit_code(JIEFANG, 22)]
    assert (found.jurisdiction, found.key_level) == (CITY, KeyLevel.CITY)


def test_jurisdictions_are_given_by_code_or_by_name(sf_small_app, tmp_path):
    by_name = enterprise_row(JIEFANG, 21)
    by_name[2] = "解放区"
    qualified = enterprise_row(XIUWU, 22)
    qualified[2] = "焦作市修武县"
    unknown = enterprise_row(XIUWU, 23)
    unknown[2] = "温县"
    report = import_enterprises(
        sf_small_app, write_csv(tmp_path / "a.csv", [by_name, qualified, unknown])
    )
    (error,) = report.errors
    assert (error.line, error.column, error.value) == (4, "所属县区", "温县")
    found = stored(sf_small_app)
    assert found[credit_code(JIEFANG, 21)].jurisdiction == JIEFANG
    assert found[credit_code(XIUWU, 22)].jurisdiction == XIUWU
    assert [e.credit_code for e in list_enterprises(sf_small_app, "修武县")] == [
        credit_code(XIUWU, 4),
        credit_code(XIUWU, 22),
    ]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.xlsx", b"this is not a workbook", "XLSX"),
        ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "not supported"),
        ("a.csv", "统一社会信用代码,企业名称\n".encode("utf-16"), "NUL"),
    ],
    ids=["not-xlsx", "old-xls", "utf-16"],
)
def test_unreadable_files_are_clear_errors(sf_small_app, tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValidationError) as info:
        import_enterprises(sf_small_app, path)
    assert name in str(info.value)
    assert expected in str(info.value)


def test_a_broken_csv_line_is_named(sf_small_app, tmp_path):
    rows = new_rows()
    rows[1][8] = "路" * 140_000  # beyond the csv module's field limit
    with pytest.raises(ValidationError, match="line 3"):
        import_enterprises(sf_small_app, write_csv(tmp_path / "a.csv", rows))
    assert credit_code(JIEFANG, 11) not in stored(sf_small_app)  # nothing half-written


def test_a_folder_is_not_a_file(sf_small_app, tmp_path):
    with pytest.raises(ValidationError, match="not a file"):
        import_enterprises(sf_small_app, tmp_path)


def test_listing_an_unknown_county_is_an_error(sf_small_app_shared):
    with pytest.raises(ValidationError, match="410899"):
        list_enterprises(sf_small_app_shared, "410899")


def test_line_numbers_count_blank_lines(sf_small_app, tmp_path):
    path = tmp_path / "企业.csv"
    good, bad = enterprise_row(JIEFANG, 11), enterprise_row(JIEFANG, 12, industry="X")
    path.write_text(
        ",".join(HEADER) + "\n" + ",".join(good) + "\n\n,,,\n" + ",".join(bad) + "\n",
        encoding="utf-8",
    )
    report = import_enterprises(sf_small_app, path)
    assert [(e.line, e.column) for e in report.errors] == [(5, "行业代码")]
    assert report.rows == 2


def test_reimporting_the_same_file_changes_nothing(sf_small_app, tmp_path):
    path = write_csv(tmp_path / "企业.csv", new_rows())
    first = import_enterprises(sf_small_app, path)
    assert first.inserted == 3
    before, events_before = (
        updated_at(sf_small_app),
        kinds(sf_small_app, f"enterprise:{credit_code(JIEFANG, 11)}"),
    )
    entities_before = stored(sf_small_app)

    second = import_enterprises(sf_small_app, path)

    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 3)
    assert updated_at(sf_small_app) == before
    assert stored(sf_small_app) == entities_before
    assert kinds(sf_small_app, f"enterprise:{credit_code(JIEFANG, 11)}") == events_before


def test_a_changed_row_is_updated(sf_small_app, tmp_path):
    rows = new_rows()
    import_enterprises(sf_small_app, write_csv(tmp_path / "a.csv", rows))
    before = updated_at(sf_small_app)
    rows[1][1] = "焦作市风神轮胎股份有限公司"
    rows[1][6] = "13800000000"

    report = import_enterprises(sf_small_app, write_csv(tmp_path / "b.csv", rows))

    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2)
    code = credit_code(JIEFANG, 12)
    found = get_enterprise(sf_small_app, code)
    assert found.name == "焦作市风神轮胎股份有限公司"
    assert found.contacts[0].phone == "13800000000"
    after = updated_at(sf_small_app)
    assert after[code] > before[code]
    assert after[credit_code(JIEFANG, 11)] == before[credit_code(JIEFANG, 11)]
    assert kinds(sf_small_app, f"enterprise:{code}") == ["enterprise_added", "enterprise_updated"]


def test_a_missing_required_column_stores_nothing(sf_small_app, tmp_path):
    header = [h for h in HEADER if h != "所属县区"]
    rows = [[v for i, v in enumerate(r) if HEADER[i] != "所属县区"] for r in new_rows()]
    before = stored(sf_small_app)
    with pytest.raises(ValidationError) as info:
        import_enterprises(sf_small_app, write_csv(tmp_path / "a.csv", rows, header=header))
    assert "所属县区" in str(info.value)
    assert "lacks column" in str(info.value)
    assert stored(sf_small_app) == before


def test_english_headers_are_understood(sf_small_app, tmp_path):
    header = ["credit_code", "name", "county", "industry", "key_level"]
    path = write_csv(tmp_path / "a.csv", [r[:5] for r in new_rows()], header=header)
    assert import_enterprises(sf_small_app, path).inserted == 3


def test_import_before_an_organisation_is_a_clear_error(sf_app, tmp_path):
    with pytest.raises(ServiceFrameError, match="org load"):
        import_enterprises(sf_app, write_csv(tmp_path / "a.csv", new_rows()))


def test_a_failing_database_leaves_the_import_unwritten(sf_small_app, tmp_path, monkeypatch):
    def broken(self, rows):
        raise OperationalError("INSERT INTO events", {}, Exception("disk I/O error"))

    before = stored(sf_small_app)
    monkeypatch.setattr(EventRepository, "append", broken)
    with pytest.raises(StoreError, match="disk I/O error"):
        import_enterprises(sf_small_app, write_csv(tmp_path / "a.csv", new_rows()))
    monkeypatch.undo()
    assert stored(sf_small_app) == before


def test_import_appends_one_event_per_change(sf_small_app, tmp_path):
    import_enterprises(sf_small_app, write_csv(tmp_path / "a.csv", new_rows()))
    (event,) = events(sf_small_app, f"enterprise:{credit_code(XIUWU, 13)}")
    assert event["kind"] == "enterprise_added"
    assert event["actor"] == "test"
    assert event["data"]["source"].endswith("a.csv")


# --- key levels --------------------------------------------------------------------------


def test_a_city_key_enterprise_is_a_key_enterprise_of_its_county(sf_small_app_shared):
    county_keys = {
        e.credit_code for e in list_enterprises(sf_small_app_shared, JIEFANG, KeyLevel.COUNTY)
    }
    assert county_keys == {CITY_KEY, COUNTY_KEY}
    city_keys = {e.credit_code for e in list_enterprises(sf_small_app_shared, key=KeyLevel.CITY)}
    assert city_keys == {CITY_KEY}
    assert {e.credit_code for e in list_enterprises(sf_small_app_shared, key=KeyLevel.NONE)} == {
        ORDINARY
    }
    result = coverage(sf_small_app_shared)
    lines = {q.level: q for q in result.quotas}
    assert (lines[CITY].key_enterprises, lines[CITY].target) == (1, 3)
    assert (lines[JIEFANG].key_enterprises, lines[JIEFANG].target) == (2, 2)
    assert lines[JIEFANG].name == "解放区"
    assert lines[XIUWU].key_enterprises == 1
    county_gaps = {g.credit_code for g in result.gaps if g.level == JIEFANG}
    assert county_gaps == {CITY_KEY, COUNTY_KEY}


def test_designate_up_and_down(sf_small_app):
    app = sf_small_app
    assert designate(app, ORDINARY, KeyLevel.CITY).key_level is KeyLevel.CITY
    assert get_enterprise(app, ORDINARY).key_level is KeyLevel.CITY
    assert ORDINARY in {e.credit_code for e in list_enterprises(app, JIEFANG, KeyLevel.COUNTY)}
    lines = {q.level: q for q in coverage(app).quotas}
    assert (lines[CITY].key_enterprises, lines[JIEFANG].key_enterprises) == (2, 3)

    designate(app, ORDINARY, KeyLevel.COUNTY)
    assert ORDINARY not in {e.credit_code for e in list_enterprises(app, key=KeyLevel.CITY)}
    assert ORDINARY in {e.credit_code for e in list_enterprises(app, JIEFANG, KeyLevel.COUNTY)}

    designate(app, ORDINARY, KeyLevel.NONE)
    assert get_enterprise(app, ORDINARY).key_level is KeyLevel.NONE
    changes = [
        (e["data"]["before"], e["data"]["after"])
        for e in events(app, f"enterprise:{ORDINARY}")
        if e["kind"] == "key_level_changed"
    ]
    assert changes == [("none", "city"), ("city", "county"), ("county", "none")]


def test_taken_off_the_key_list_an_enterprise_loses_its_contact(sf_small_app):
    assign(sf_small_app, COUNTY_KEY, "jz-vm")
    assign(sf_small_app, COUNTY_KEY, "jz-edsb-head", unit_id="jz-edsb")

    designate(sf_small_app, COUNTY_KEY, KeyLevel.NONE)

    (current,) = assignments_of(sf_small_app, COUNTY_KEY)
    assert current.kind is AssignmentKind.LIAISON  # a department's liaison stays
    ended = [a for a in assignments_of(sf_small_app, COUNTY_KEY, history=True) if a.valid_to]
    assert [(a.official, a.ended_reason) for a in ended] == [
        ("jz-vm", "no longer a key enterprise")
    ]
    assert kinds(sf_small_app, f"enterprise:{COUNTY_KEY}")[-2:] == [
        "key_level_changed",
        "assignment_ended",
    ]


def test_an_import_that_takes_an_enterprise_off_the_list_ends_its_contact(sf_small_app, tmp_path):
    assign(sf_small_app, CITY_KEY, "jz-vm")
    assign(sf_small_app, COUNTY_KEY, "jz-mayor")
    rows = [list(r) for r in SMALL_ENTERPRISES]
    rows[0][4] = "county"  # city -> county: still key, the contact stays
    rows[1][4] = "none"
    report = import_enterprises(sf_small_app, write_csv(tmp_path / "a.csv", rows))
    assert report.updated == 2
    assert [a.official for a in assignments_of(sf_small_app, CITY_KEY)] == ["jz-vm"]
    assert assignments_of(sf_small_app, COUNTY_KEY) == []
    assert "assignment_ended" in kinds(sf_small_app, f"enterprise:{COUNTY_KEY}")


def test_designating_the_same_level_again_changes_nothing(sf_small_app):
    before = updated_at(sf_small_app)[CITY_KEY]
    designate(sf_small_app, CITY_KEY, KeyLevel.CITY)
    assert updated_at(sf_small_app)[CITY_KEY] == before
    assert "key_level_changed" not in kinds(sf_small_app, f"enterprise:{CITY_KEY}")


def test_designate_an_unknown_enterprise(sf_small_app_shared):
    with pytest.raises(NotFound, match=credit_code(JIEFANG, 99)):
        designate(sf_small_app_shared, credit_code(JIEFANG, 99), KeyLevel.CITY)
    with pytest.raises(ValidationError, match="must be 18 characters"):
        designate(sf_small_app_shared, "123", KeyLevel.CITY)


def test_a_file_without_the_key_level_column_keeps_existing_levels(sf_small_app, tmp_path):
    header = [h for h in HEADER if h != "重点级别"]
    rows = [[v for i, v in enumerate(r) if HEADER[i] != "重点级别"] for r in SMALL_ENTERPRISES]
    rows[0][1] = "焦作市恒泽制药股份有限公司"  # a real change, so the row is rewritten
    rows.append([v for i, v in enumerate(new_rows()[0]) if HEADER[i] != "重点级别"])

    report = import_enterprises(sf_small_app, write_csv(tmp_path / "a.csv", rows, header=header))

    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 3)
    found = stored(sf_small_app)
    assert found[CITY_KEY].key_level is KeyLevel.CITY
    assert found[CITY_KEY].name == "焦作市恒泽制药股份有限公司"
    assert found[COUNTY_KEY].key_level is KeyLevel.COUNTY
    assert found[credit_code(JIEFANG, 11)].key_level is KeyLevel.NONE  # new: not key


# --- assignments -------------------------------------------------------------------------


def test_a_contact_must_be_a_leader_of_a_key_enterprise(sf_small_app_shared):
    with pytest.raises(ValidationError, match="not a key enterprise"):
        assign(sf_small_app_shared, ORDINARY, "jz-vm")
    with pytest.raises(ValidationError) as info:
        assign(sf_small_app_shared, CITY_KEY, "jz-edsb-liaison")
    assert "jz-edsb-liaison" in str(info.value)
    assert "企业联络员" in str(info.value)
    with pytest.raises(ValidationError, match="jz-nobody"):
        assign(sf_small_app_shared, CITY_KEY, "jz-nobody")
    with pytest.raises(NotFound):
        assign(sf_small_app_shared, credit_code(JIEFANG, 99), "jz-vm")
    assert assignments_of(sf_small_app_shared, CITY_KEY, history=True) == []
    assert kinds(sf_small_app_shared, f"enterprise:{CITY_KEY}") == ["enterprise_added"]


@pytest.mark.parametrize("official", ["jz-mayor", "jz-vm", "jz-edsb-head", "jz-fgw-leader"])
def test_every_leader_role_may_be_a_contact(sf_small_app, official):
    result = assign(sf_small_app, COUNTY_KEY, official)
    assert result.assignment.kind is AssignmentKind.CONTACT
    assert result.assignment.official == official
    assert result.assignment.unit is None


def test_a_liaison_works_in_the_department(sf_small_app):
    with pytest.raises(ValidationError) as info:
        assign(sf_small_app, CITY_KEY, "jz-edsb-head", unit_id="jz-fgw")
    assert "jz-edsb-head" in str(info.value) and "jz-fgw" in str(info.value)
    with pytest.raises(ValidationError, match="jz-nowhere"):
        assign(sf_small_app, CITY_KEY, "jz-edsb-head", unit_id="jz-nowhere")
    with pytest.raises(ValidationError, match="government"):
        assign(sf_small_app, CITY_KEY, "jz-vm", unit_id="jz-gov")

    result = assign(sf_small_app, ORDINARY, "jz-edsb-head", unit_id="jz-edsb")
    # Liaison needs no key enterprise; two departments may each hold one.
    assign(sf_small_app, ORDINARY, "jz-fgw-leader", unit_id="jz-fgw")
    assert result.assignment.kind is AssignmentKind.LIAISON
    assert {(a.unit, a.official) for a in assignments_of(sf_small_app, ORDINARY)} == {
        ("jz-edsb", "jz-edsb-head"),
        ("jz-fgw", "jz-fgw-leader"),
    }


def test_handover_ends_the_previous_assignment_and_keeps_history(sf_small_app):
    first = assign(sf_small_app, CITY_KEY, "jz-vm", on=date(2024, 3, 1))
    second = assign(sf_small_app, CITY_KEY, "jz-mayor", on=date(2025, 1, 6))

    assert second.replaced is not None
    assert second.replaced.id == first.assignment.id
    (current,) = assignments_of(sf_small_app, CITY_KEY)
    assert current.official == "jz-mayor"
    assert current.valid_from == date(2025, 1, 6)
    old, new = assignments_of(sf_small_app, CITY_KEY, history=True)
    assert (old.official, old.valid_from, old.valid_to) == (
        "jz-vm",
        date(2024, 3, 1),
        date(2025, 1, 6),
    )
    assert "jz-mayor" in old.ended_reason
    assert new == current
    assigned = [
        e["data"] for e in events(sf_small_app, f"enterprise:{CITY_KEY}") if e["kind"] == "assigned"
    ]
    assert [(d["official"], d["replaced"]) for d in assigned] == [
        ("jz-vm", None),
        ("jz-mayor", "jz-vm"),
    ]


def test_a_handover_cannot_predate_the_assignment_it_ends(sf_small_app):
    assign(sf_small_app, CITY_KEY, "jz-vm", on=date(2025, 3, 1))
    with pytest.raises(ValidationError, match="2025-03-01"):
        assign(sf_small_app, CITY_KEY, "jz-mayor", on=date(2025, 2, 1))
    assert [a.official for a in assignments_of(sf_small_app, CITY_KEY, history=True)] == ["jz-vm"]


def test_a_leader_moved_to_another_department_loses_the_old_liaison(sf_small_app, tmp_path):
    assign(sf_small_app, CITY_KEY, "jz-fgw-leader", unit_id="jz-fgw")
    assign(sf_small_app, CITY_KEY, "jz-edsb-head", unit_id="jz-edsb")
    moved = SMALL_ORG.replace(
        'title = "副主任"\nrole = "department_leader"\njurisdiction = "410800"\nunit = "jz-fgw"',
        'title = "副局长"\nrole = "department_leader"\njurisdiction = "410800"\nunit = "jz-edsb"',
    )
    assert moved != SMALL_ORG

    report = load_organisation(sf_small_app, write_org(tmp_path / "org.toml", moved))

    assert report.ended_assignments == 1
    current = {(a.unit, a.official) for a in assignments_of(sf_small_app, CITY_KEY)}
    assert current == {("jz-edsb", "jz-edsb-head")}
    ended = [a for a in assignments_of(sf_small_app, CITY_KEY, history=True) if a.valid_to]
    assert [(a.official, a.ended_reason) for a in ended] == [
        ("jz-fgw-leader", "official moved to another unit")
    ]
    cards = contact_cards(sf_small_app, CITY_KEY)
    assert [(c.unit, c.leader) for c in cards] == [("jz-edsb", "jz-edsb-head")]


def test_liaison_handover_within_a_department(sf_small_app):
    assign(sf_small_app, CITY_KEY, "jz-edsb-head", unit_id="jz-edsb")
    result = assign(sf_small_app, CITY_KEY, "jz-edsb-liaison", unit_id="jz-edsb")
    assert result.replaced is not None and result.replaced.official == "jz-edsb-head"
    assert [a.official for a in assignments_of(sf_small_app, CITY_KEY)] == ["jz-edsb-liaison"]


def test_assigning_the_same_official_again_changes_nothing(sf_small_app):
    first = assign(sf_small_app, CITY_KEY, "jz-vm")
    again = assign(sf_small_app, CITY_KEY, "jz-vm")
    assert again.assignment == first.assignment
    assert again.replaced is None
    assert len(assignments_of(sf_small_app, CITY_KEY, history=True)) == 1
    assert kinds(sf_small_app, f"enterprise:{CITY_KEY}").count("assigned") == 1


def test_coverage_lists_gaps_at_city_and_county_level(sf_small_app):
    gaps = {(g.level, g.credit_code) for g in coverage(sf_small_app).gaps}
    assert gaps == {
        (CITY, CITY_KEY),
        (JIEFANG, CITY_KEY),
        (JIEFANG, COUNTY_KEY),
        (XIUWU, XIUWU_KEY),
    }

    assign(sf_small_app, CITY_KEY, "jz-vm")
    assign(sf_small_app, XIUWU_KEY, "jz-edsb-head")
    # A liaison is not a contact leader: the gap stays.
    assign(sf_small_app, COUNTY_KEY, "jf-edsb-head", unit_id="jf-edsb")

    result = coverage(sf_small_app)
    assert {(g.level, g.credit_code) for g in result.gaps} == {(JIEFANG, COUNTY_KEY)}
    (gap,) = result.gaps
    assert gap.name == "焦作市宝祥电机有限公司"
    lines = {q.level: q for q in result.quotas}
    assert (lines[CITY].key_enterprises, lines[CITY].with_contact) == (1, 1)
    assert (lines[JIEFANG].key_enterprises, lines[JIEFANG].with_contact) == (2, 1)
    assert (lines[XIUWU].key_enterprises, lines[XIUWU].with_contact) == (1, 1)


def test_contact_cards_show_unit_leader_title_and_phone(sf_small_app):
    assign(sf_small_app, CITY_KEY, "jz-vm")
    assign(sf_small_app, CITY_KEY, "jz-edsb-head", unit_id="jz-edsb")
    assign(sf_small_app, CITY_KEY, "jz-fgw-leader", unit_id="jz-fgw")

    cards = contact_cards(sf_small_app, CITY_KEY.lower())

    by_unit = {c.unit: c for c in cards}
    assert set(by_unit) == {"jz-gov", "jz-edsb", "jz-fgw"}
    contact = by_unit["jz-gov"]
    assert contact.kind is AssignmentKind.CONTACT
    assert (contact.leader_name, contact.leader_title, contact.leader_phone) == (
        "黄秀倩",
        "副市长",
        "0391-3993955",
    )
    assert contact.unit_name == "焦作市人民政府"
    edsb = by_unit["jz-edsb"]
    assert edsb.kind is AssignmentKind.LIAISON
    assert (edsb.unit_name, edsb.unit_phone) == ("焦作市企业发展服务局", "0391-3996052")
    assert (edsb.leader_name, edsb.leader_title, edsb.leader_phone) == (
        "王建国",
        "局长",
        "13903910001",
    )
    assert all(c.enterprise_name == "焦作市恒泽制药有限公司" for c in cards)


def test_contact_cards_of_an_unknown_enterprise(sf_small_app_shared):
    with pytest.raises(NotFound):
        contact_cards(sf_small_app_shared, credit_code(JIEFANG, 99))
    assert contact_cards(sf_small_app_shared, ORDINARY) == []


def test_the_jiaozuo_example_is_loaded_whole(jiaozuo_app):
    result = coverage(jiaozuo_app)
    city = result.quotas[0]
    assert (city.level, city.key_enterprises, city.target) == (CITY, 100, 100)
    assert city.with_contact == 92
    assert len([g for g in result.gaps if g.level == CITY]) == 8
    assert len(result.quotas) == 11
    assert len(list_enterprises(jiaozuo_app)) >= 150
    # Every city gap is also a gap of that enterprise's county.
    city_gaps = {g.credit_code for g in result.gaps if g.level == CITY}
    county_gaps = {g.credit_code for g in result.gaps if g.level != CITY}
    assert city_gaps <= county_gaps
