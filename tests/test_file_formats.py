"""docs/file-formats.md against the importers: every column, header, required mark and value the
page documents is what the enterprise and issue importers accept, and its example files import
(in UTF-8 and in GBK) on the 温县 example."""

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from serviceframe.domain.categories import parse_category
from serviceframe.domain.enterprise import KEY_LEVEL_ALIASES, KeyLevel, parse_key_level
from serviceframe.domain.issue import Severity, parse_enum
from serviceframe.services import enterprises, indicators, intake_file
from serviceframe.services.enterprises import import_enterprises
from serviceframe.services.indicators import import_indicators
from serviceframe.services.intake_file import import_issues
from serviceframe.services.issues import get_issue
from serviceframe.services.organisation import load_organisation
from serviceframe.testing.clock import Clock
from serviceframe.testing.databases import migrated
from serviceframe.testing.fixtures import make_app

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "docs" / "file-formats.md").read_text(encoding="utf-8")
WENXIAN = ROOT / "examples" / "wenxian"


def section(title: str) -> str:
    start = PAGE.index(title)
    end = PAGE.find("\n## ", start + 1)
    return PAGE[start : end if end != -1 else None]


def table(text: str, first_header: str) -> list[list[str]]:
    """The rows of the markdown table whose first header is ``first_header``."""
    lines = text[text.index(f"| {first_header} |") :].splitlines()
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def ticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


@pytest.mark.parametrize(
    ("title", "module"),
    [
        ("## The enterprise file", enterprises),
        ("## The issue file", intake_file),
        ("## The indicator file", indicators),
    ],
    ids=["enterprises", "issues", "indicators"],
)
def test_the_columns_are_those_the_importer_reads(title, module):
    rows = table(section(title), "field")
    documented = {
        ticked(field)[0]: (ticked(headers), required) for field, headers, required, _ in rows
    }
    assert set(documented) == set(module.COLUMNS)
    for field, (headers, required) in documented.items():
        assert headers == list(module.COLUMNS[field]), field
        assert (required == "yes") == (field in module.REQUIRED), field


def test_every_key_level_written_as_documented_is_read_as_documented():
    rows = table(section("### Key levels"), "value")
    seen: set[str] = set()
    for value, also, _meaning in rows:
        level = KeyLevel(ticked(value)[0])
        for written in [*ticked(value), *ticked(also), *([""] if "empty" in also else [])]:
            assert parse_key_level(written) is level, written
            seen.add(written)
    assert set(KEY_LEVEL_ALIASES) <= seen  # no alias the page leaves out
    assert {k.value for k in KeyLevel} <= seen


def test_issue_values_are_read_as_documented():
    (severity,) = [r for r in table(section("## The issue file"), "field") if r[0] == "`severity`"]
    for english, chinese in re.findall(r"`(\w+)` / `(\S+?)`", severity[3]):
        assert parse_enum(Severity, "severity", english) is parse_enum(
            Severity, "severity", chinese
        )
    assert parse_category("融资服务支持") == parse_category("3")


@pytest.fixture
def wenxian_app(sf_make_db):
    def build(url: str) -> None:
        migrated(url)
        app = make_app(url)
        try:
            load_organisation(app, WENXIAN / "organisation.toml")
            import_enterprises(app, WENXIAN / "enterprises.csv")
        finally:
            app.close()

    app = make_app(sf_make_db("example-wenxian-registry", build))
    app.clock = Clock(datetime(2026, 11, 2, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    yield app
    app.close()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_the_example_files_of_the_page_import(wenxian_app, tmp_path, encoding):
    blocks = re.findall(r"```csv\n(.*?)```", PAGE, re.S)
    assert len(blocks) == 4  # the fourth, the project file, is imported in test_projects.py
    firms, calls, figures = (tmp_path / "企业.csv", tmp_path / "工单.csv", tmp_path / "指标.csv")
    firms.write_bytes(blocks[0].encode(encoding))
    calls.write_bytes(blocks[1].encode(encoding))
    figures.write_bytes(blocks[2].encode(encoding))

    report = import_enterprises(wenxian_app, firms)
    assert (report.rows, report.errors) == (2, ())

    filed = import_issues(wenxian_app, calls, "hotline")
    assert filed.errors == () and len(filed.filed) == 2
    first, second = (get_issue(wenxian_app, i).issue for i in filed.filed)
    assert (first.received_by, int(first.category)) == ("wx-gxj", 1)  # the county's office
    assert (second.received_by, int(second.category)) == ("wx-czj", 3)
    assert first.received_at == datetime(2026, 11, 2, 9, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
    again = import_issues(wenxian_app, calls, "hotline")
    assert not again.filed and len(again.existing) == 2
    imported = import_indicators(wenxian_app, figures)
    assert (imported.rows, imported.inserted, imported.errors) == (2, 8, ())
