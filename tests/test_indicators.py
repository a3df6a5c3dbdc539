"""Monthly operating indicators: imported once per enterprise, month and indicator; bad rows
named by line and column; nothing half-stored; rolled up by jurisdiction and industry."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import func, select

from serviceframe.app import App
from serviceframe.cli import cli
from serviceframe.domain.indicators import parse_month
from serviceframe.errors import Forbidden, StoreError, ValidationError
from serviceframe.services.indicators import import_indicators, rollup, sizes
from serviceframe.store import tables as t
from serviceframe.testing.sample import JIEFANG, XIUWU, credit_code, write_csv

A, B, C, D = (
    credit_code(JIEFANG, 1),
    credit_code(JIEFANG, 2),
    credit_code(JIEFANG, 3),
    credit_code(XIUWU, 4),
)
HEADER = ("统一社会信用代码", "企业名称", "月份", "用电量", "工业总产值", "税收", "从业人员")


def stored(app: App) -> dict[tuple[str, str, int], float]:
    i = t.indicators.c
    with app.uow() as uow:
        rows = uow.connection.execute(select(i.enterprise_code, i.indicator, i.month_no, i.value))
        return {(r.enterprise_code, r.indicator, r.month_no): r.value for r in rows}


def test_import_is_idempotent_and_a_corrected_figure_replaces_the_old(
    sf_small_app: App, tmp_path: Path
):
    rows = [
        (A, "", "2026-01", "120.5", "1,500", "90", "320"),
        ("", "焦作市宝祥电机有限公司", "2026年2月", "80", "", "", "150"),  # by name, blanks
        (D, "", "202603", "60", "700", "40", "88"),
    ]
    path = write_csv(tmp_path / "ind.csv", rows, HEADER)

    first = import_indicators(sf_small_app, path)
    again = import_indicators(sf_small_app, path)

    assert (first.rows, first.inserted, first.updated, first.errors) == (3, 10, 0, ())
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 10)
    figures = stored(sf_small_app)
    assert len(figures) == 10
    assert figures[(A, "output", parse_month("2026-01"))] == 1500.0
    assert figures[(B, "employees", parse_month("2026-02"))] == 150.0
    assert (B, "output", parse_month("2026-02")) not in figures  # blank: not reported

    fixed = write_csv(tmp_path / "fixed.csv", [(A, "", "2026-01", "125", "", "", "")], HEADER)
    report = import_indicators(sf_small_app, fixed)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 0)
    assert stored(sf_small_app)[(A, "electricity", parse_month("2026-01"))] == 125.0
    assert len(stored(sf_small_app)) == 10


def test_bad_rows_are_named_by_line_and_column_and_the_good_rows_go_in(
    sf_small_app: App, tmp_path: Path
):
    rows = [
        (A, "", "2026-01", "100", "", "", ""),  # line 2: good
        (A, "", "2026-13", "100", "", "", ""),  # 3: no such month
        (A, "", "2026-02", "很多", "", "", ""),  # 4: not a number
        ("", "不存在的企业", "2026-02", "1", "", "", ""),  # 5: unknown name
        (credit_code(JIEFANG, 9), "", "2026-02", "1", "", "", ""),  # 6: not registered
        (A, "", "2026-01", "101", "", "", ""),  # 7: same enterprise and month as line 2
        (B, "", "2026-01", "", "", "", "12.5"),  # 8: half a person
        (B, "", "2026-01", "-3", "", "", ""),  # 9: negative
        (C, "", "2026-01", "7", "", "", ""),  # 10: good
    ]
    report = import_indicators(sf_small_app, write_csv(tmp_path / "bad.csv", rows, HEADER))

    found = {(e.line, e.column): e for e in report.errors}
    assert sorted(found) == [
        (3, "月份"),
        (4, "用电量"),
        (5, "企业名称"),
        (6, "统一社会信用代码"),
        (7, "月份"),
        (8, "从业人员"),
        (9, "用电量"),
    ]
    assert found[(3, "月份")].value == "2026-13"
    assert "line 2" in found[(7, "月份")].reason
    assert report.inserted == 2
    assert set(stored(sf_small_app)) == {
        (A, "electricity", parse_month("2026-01")),
        (C, "electricity", parse_month("2026-01")),
    }


def test_a_file_without_the_needed_columns_is_refused_naming_them(
    sf_small_app: App, tmp_path: Path
):
    path = write_csv(tmp_path / "x.csv", [(A, "100")], ("统一社会信用代码", "用电量"))
    with pytest.raises(ValidationError, match="月份"):
        import_indicators(sf_small_app, path)
    path = write_csv(tmp_path / "y.csv", [(A, "2026-01")], ("统一社会信用代码", "月份"))
    with pytest.raises(ValidationError, match="用电量"):
        import_indicators(sf_small_app, path)


def test_gbk_csv_and_xlsx_read_alike(sf_small_app: App, tmp_path: Path):
    rows = [(A, "", "2026-01", "100", "1000", "50", "300")]
    gbk = import_indicators(
        sf_small_app, write_csv(tmp_path / "g.csv", rows, HEADER, encoding="gbk")
    )
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append([B, "", "2026-01", 80.5, 900, 40, 120])
    book.save(tmp_path / "x.xlsx")
    xlsx = import_indicators(sf_small_app, tmp_path / "x.xlsx")
    assert (gbk.inserted, xlsx.inserted, gbk.errors, xlsx.errors) == (4, 4, (), ())
    assert stored(sf_small_app)[(B, "electricity", parse_month("2026-01"))] == 80.5


def test_a_failing_database_keeps_nothing_of_the_file(
    sf_small_app: App, tmp_path: Path, monkeypatch
):
    """The file is stored in chunks, in one transaction: a failure in a later chunk leaves
    the earlier chunks out too."""
    import serviceframe.services.indicators as svc

    monkeypatch.setattr(svc, "CHUNK", 2)
    calls = 0
    real = svc._store

    def failing(uow, figures, now):
        nonlocal calls
        calls += 1
        if calls == 2:
            raise StoreError("the disk is full")
        return real(uow, figures, now)

    monkeypatch.setattr(svc, "_store", failing)
    rows = [(A, "", f"2026-{m:02d}", "100", "", "", "") for m in range(1, 6)]
    with pytest.raises(StoreError):
        import_indicators(sf_small_app, write_csv(tmp_path / "f.csv", rows, HEADER))
    assert stored(sf_small_app) == {}


def test_rollup_by_jurisdiction_counts_the_places_below_and_compares_a_year_earlier(
    sf_small_app: App, tmp_path: Path
):
    rows = [
        (A, "", "2025-06", "100", "", "", ""),
        (A, "", "2026-06", "80", "", "", ""),
        (B, "", "2026-06", "20", "", "", ""),  # no figure a year earlier
        (D, "", "2025-06", "50", "", "", ""),
        (D, "", "2026-06", "60", "", "", ""),
    ]
    import_indicators(sf_small_app, write_csv(tmp_path / "r.csv", rows, HEADER))

    lines = {(ln.key, ln.indicator): ln for ln in rollup(sf_small_app, parse_month("2026-06"))}

    jiefang = lines[(JIEFANG, "electricity")]
    assert (jiefang.name, jiefang.enterprises, jiefang.value) == ("解放区", 2, 100.0)
    assert jiefang.year_before == 100.0  # only A reported both months
    assert lines[(XIUWU, "electricity")].change == pytest.approx(0.2)
    by_industry = rollup(sf_small_app, parse_month("2026-06"), by="industry")
    assert {ln.key for ln in by_industry} == {"C27", "C38", "C30"}

    # A county office rolls up its own county (the default), not another's.
    county = sf_small_app.acting_as("jf-edsb")
    assert rollup(county, parse_month("2026-06")) == rollup(
        sf_small_app, parse_month("2026-06"), jurisdiction="410802"
    )
    with pytest.raises(Forbidden):
        rollup(county, parse_month("2026-06"), jurisdiction="修武县")


def test_size_from_employees_and_a_years_output(sf_small_app: App, tmp_path: Path):
    rows = [(A, "", f"2026-{m:02d}", "", "200", "", "350") for m in range(1, 13)]  # 2400/yr
    rows += [(B, "", "2026-01", "", "10", "", "15")]  # micro
    import_indicators(sf_small_app, write_csv(tmp_path / "s.csv", rows, HEADER))
    with sf_small_app.uow() as uow:
        assert sizes(uow) == {A: "medium", B: "micro"}


def test_the_cli_imports_and_rolls_up(sf_small_app: App, tmp_path: Path):
    path = write_csv(tmp_path / "c.csv", [(A, "", "2026-01", "100", "", "", "")], HEADER)
    url = sf_small_app.settings.db_url
    result = CliRunner().invoke(cli, ["--db", url, "indicator", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output
    result = CliRunner().invoke(cli, ["--db", url, "indicator", "rollup", "--json"])
    assert result.exit_code == 0, result.output
    assert '"indicator_label": "用电量"' in result.output and '"month": "2026-01"' in result.output
    with sf_small_app.uow() as uow:
        assert uow.connection.scalar(select(func.count()).select_from(t.indicators)) == 1
