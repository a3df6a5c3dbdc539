"""Bulk intake from a file: a hotline's call records, a letter campaign's answers."""

from collections.abc import Iterator
from pathlib import Path

from serviceframe.app import App
from serviceframe.domain.clock import parse_local_time
from serviceframe.errors import ValidationError, shown
from serviceframe.progress import Progress
from serviceframe.services.issues import (
    BulkReport,
    DraftError,
    IssueDraft,
    Numbered,
    file_in_chunks,
    reported_chunks,
)
from serviceframe.tabular import RowProblem, count_rows, map_columns, problem_in, read_rows

COLUMNS = {
    "enterprise": ("统一社会信用代码", "enterprise", "credit_code"),
    "title": ("标题", "title"),
    "body": ("内容", "问题描述", "body"),
    "external_id": ("编号", "工单号", "external_id"),
    "received_at": ("受理时间", "received_at"),
    "category": ("类别", "category"),
    "severity": ("性质", "severity"),
    "received_by": ("受理单位", "受理人", "received_by"),
}
REQUIRED = ("enterprise", "body")


def import_issues(
    app: App,
    path: str | Path,
    source: str,
    encoding: str | None = None,
    received_by: str | None = None,
    actor: str | None = None,
    progress: Progress | None = None,
) -> BulkReport:
    """File every row of a CSV/XLSX file as an issue from ``source``, in one transaction.

    Who first received each issue is the row's 受理单位, else ``received_by``, else the office
    of the group that runs the enterprise's place. The file is read and filed in chunks, so
    memory stays flat however long it is. Errors are reported by the file's line number
    (``index``) and column. A file imported twice files
    nothing new when its rows carry an external id (编号). With ``progress``, the rows are
    counted first (one more pass over the file), then reported as they are filed.
    """
    early: list[DraftError] = []  # rows that never became drafts
    columns: dict[str, str] = {}  # field -> header
    total = count_rows(path, encoding) if progress else 0

    def batches() -> Iterator[Numbered]:
        early.clear()
        headers, rows = read_rows(path, encoding)
        columns.update(map_columns(headers, COLUMNS, REQUIRED, str(path)))
        used = set(columns.values())
        for chunk in reported_chunks(rows, total, progress):
            drafts: list[tuple[int, IssueDraft]] = []
            for item in chunk:
                item = problem_in(item, used)
                if isinstance(item, RowProblem):
                    field = _field_of(item.column)
                    early.append(DraftError(item.line, field, item.value, item.reason, item.column))
                    continue
                line, row = item
                try:
                    drafts.append((line, _draft(row, source, columns, received_by)))
                except ValidationError as exc:
                    early.append(DraftError(line, exc.field, shown(exc.value), exc.reason))
            yield drafts

    intake = file_in_chunks(app, batches, actor, keep_issues=False)
    errors = [
        DraftError(
            e.index, e.field, shown(e.value), e.reason, e.column or columns.get(e.field, e.field)
        )
        for e in [*early, *intake.errors]
    ]
    return BulkReport(
        intake.filed, tuple(intake.existing), tuple(sorted(errors, key=lambda e: e.index))
    )


def _draft(
    row: dict[str, str], source: str, columns: dict[str, str], received_by: str | None
) -> IssueDraft:
    value = {f: row.get(columns[f], "") if f in columns else "" for f in COLUMNS}
    return IssueDraft(
        enterprise=value["enterprise"],
        source=source,
        title=value["title"],
        body=value["body"],
        external_id=value["external_id"] or None,
        category=value["category"] or None,
        severity=value["severity"] or None,
        received_at=(
            parse_local_time(value["received_at"], "received_at") if value["received_at"] else None
        ),
        received_by=value["received_by"] or received_by,
    )


def _field_of(column: str) -> str:
    """The draft field read from a file column (the column itself when no field is)."""
    return next((f for f, names in COLUMNS.items() if column in names), column)
