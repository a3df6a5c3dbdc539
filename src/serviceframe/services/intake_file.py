"""Bulk intake from a file: a hotline's call records, a letter campaign's answers."""

from pathlib import Path

from serviceframe.app import App
from serviceframe.domain.clock import parse_local_time
from serviceframe.errors import ValidationError
from serviceframe.progress import Progress
from serviceframe.services.issues import BulkReport, DraftError, IssueDraft, file_issues
from serviceframe.tabular import map_columns, read_rows

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
    progress: Progress | None = None,
) -> BulkReport:
    """File every row of a CSV/XLSX file as an issue from ``source``, in one transaction.

    Who first received each issue is the row's 受理单位, else ``received_by``, else the office
    of the group that runs the enterprise's place. Errors are reported by the file's line
    number. A file imported twice files nothing new when its rows carry an external id (编号).
    """
    headers, rows = read_rows(path, encoding)
    columns = map_columns(headers, COLUMNS, REQUIRED, str(path))
    drafts: list[IssueDraft] = []
    lines: list[int] = []
    early: list[DraftError] = []
    for line, row in rows:
        value = {f: row.get(columns[f], "") if f in columns else "" for f in COLUMNS}
        try:
            received_at = (
                parse_local_time(value["received_at"], "received_at")
                if value["received_at"]
                else None
            )
        except ValidationError as exc:
            early.append(DraftError(line, exc.field, str(exc.value), exc.reason))
            continue
        drafts.append(
            IssueDraft(
                enterprise=value["enterprise"],
                source=source,
                title=value["title"],
                body=value["body"],
                external_id=value["external_id"] or None,
                category=value["category"] or None,
                severity=value["severity"] or None,
                received_at=received_at,
                received_by=value["received_by"] or received_by,
            )
        )
        lines.append(line)
    report = file_issues(app, drafts, progress=progress)
    errors = [DraftError(lines[e.index], e.field, e.value, e.reason) for e in report.errors]
    return BulkReport(
        report.filed, report.existing, tuple(sorted(early + errors, key=lambda e: e.index))
    )
