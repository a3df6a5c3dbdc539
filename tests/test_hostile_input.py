"""The hostile-input corpus (``tests/hostile/``, described in ``hostile_corpus.py``): each file
gets a clear error naming line and column, or is stored exactly as given, and nothing else in
the store changes. Runs on SQLite and, with ``SERVICEFRAME_TEST_DB`` set, on PostgreSQL."""

import csv
import unicodedata
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from hostile_corpus import CASES, HERE, LONG, Case
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import ValidationError
from serviceframe.services.enterprises import import_enterprises
from serviceframe.services.intake_file import import_issues
from serviceframe.store.tables import metadata
from serviceframe.testing.clock import Clock

# A message a clerk reads: it names the place, and never carries a whole 100,000-character cell.
MESSAGE_MAX = 400


def snapshot(app: Any) -> dict[str, set[tuple[str, ...]]]:
    """Every row of every table, as text."""
    with app.engine.connect() as conn:
        return {
            table.name: {tuple(map(str, row)) for row in conn.execute(select(table))}
            for table in metadata.sorted_tables
        }


def rows_of(case: Case) -> dict[int, dict[str, str]]:
    """The file's rows by line, read independently of serviceframe (the csv module, openpyxl)."""
    path = HERE / case.file
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path).active
        assert sheet is not None
        values = [
            [("" if c is None else str(c)) for c in row]
            for row in sheet.iter_rows(values_only=True)
        ]
        header = values[0]
        return {
            n: dict(zip(header, row, strict=False)) for n, row in enumerate(values[1:], start=2)
        }
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gbk")
    reader = csv.reader(text.splitlines(keepends=True))
    header = next(reader)
    found = {}
    while True:
        start = reader.line_num + 1
        row = next(reader, None)
        if row is None:
            return found
        found[start] = dict(zip(header, row, strict=False))


@pytest.fixture
def app(sf_small_app):
    sf_small_app.clock = Clock(datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI))
    return sf_small_app


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_each_hostile_file_gets_a_clear_error_or_is_stored_as_given(app, case: Case) -> None:
    before = snapshot(app)
    path = HERE / case.file

    def run() -> Any:
        if case.kind == "enterprises":
            return import_enterprises(app, path)
        return import_issues(app, path, "hotline")

    if case.refused:
        with pytest.raises(ValidationError) as raised:
            run()
        message = str(raised.value)
        assert case.refused in message, message
        assert case.file in message
        assert len(message) < MESSAGE_MAX and LONG[:200] not in message
        assert snapshot(app) == before  # nothing stored, nothing changed
        return

    report = run()
    lines = [
        (e.line, e.column) if case.kind == "enterprises" else (e.index, e.column)
        for e in report.errors
    ]
    assert lines == list(case.errors)
    for error in report.errors:
        assert len(str(error)) < MESSAGE_MAX and LONG[:200] not in str(error), str(error)

    after = snapshot(app)
    assert all(before[name] <= after[name] for name in before), "a row changed or vanished"
    added = {name: after[name] - before[name] for name in after}
    good = {line: row for line, row in rows_of(case).items() if line not in dict(case.errors)}
    good = {line: row for line, row in good.items() if any(v.strip() for v in row.values())}
    if case.kind == "enterprises":
        assert_enterprises_stored(app, good)
        assert len(added["enterprises"]) == len(good)
        # and the contacts' addresses the channels reach them at
        changed = {n for n, rows in added.items() if rows} - {
            "enterprises",
            "events",
            "contact_addresses",
        }
    else:
        assert_issues_stored(app, good)
        assert len(added["issues"]) == len(good)
        changed = {n for n, rows in added.items() if rows} - {"issues", "events"}
    assert len(added["events"]) == len(good)  # one event for each stored row, nothing else
    assert not changed, changed


def assert_enterprises_stored(app: Any, good: dict[int, dict[str, str]]) -> None:
    from serviceframe.services.enterprises import get_enterprise

    assert good, "the case stores no row: put a good one in it"
    for row in good.values():
        # The code is stored normalised: full-width characters as their ASCII forms.
        code = unicodedata.normalize("NFKC", row["统一社会信用代码"]).strip().upper()
        stored = get_enterprise(app, code)
        assert stored.name == row["企业名称"].strip()
        assert stored.jurisdiction == row["所属县区"].strip()
        assert stored.industry == row["行业代码"].strip()
        assert stored.address == row["地址"].strip()
        (contact,) = stored.contacts
        assert (contact.person, contact.phone, contact.email) == (
            row["联系人"].strip(),
            row["联系电话"].strip(),
            row["电子邮箱"].strip(),
        )


def assert_issues_stored(app: Any, good: dict[int, dict[str, str]]) -> None:
    from serviceframe.services.issues import list_issues

    assert good, "the case stores no row: put a good one in it"
    stored = {i.external_id: i for i in list_issues(app, source="hotline")}
    for row in good.values():
        issue = stored[row["编号"]]
        assert (issue.title, issue.body, issue.enterprise) == (
            row["标题"].strip(),
            row["内容"].strip(),
            row["统一社会信用代码"].strip(),
        )
        received = datetime.fromisoformat(row["受理时间"]).replace(tzinfo=SHANGHAI)
        assert issue.received_at == received


def test_the_corpus_covers_what_clerks_send() -> None:
    """Every kind of file and both outcomes are in the corpus; every file is described."""
    kinds = {(c.kind, (HERE / c.file).suffix, bool(c.refused)) for c in CASES}
    for kind in ("enterprises", "issues"):
        assert {(kind, ".csv", True), (kind, ".csv", False), (kind, ".xlsx", False)} <= kinds
    assert sorted(p.name for p in HERE.iterdir()) == sorted(c.file for c in CASES)
