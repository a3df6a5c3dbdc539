"""Running a report kind and writing it in a format: what ``report run`` and ``assess --out``
do, and what an embedding application calls."""

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from serviceframe.domain.period import parse_period
from serviceframe.errors import ServiceFrameError, ValidationError
from serviceframe.reports.document import Report
from serviceframe.reports.kinds import FORMATS, ReportRequest, report_kinds
from serviceframe.serialise import dumps

SUFFIXES = {".txt": "text", ".json": "json", ".xlsx": "xlsx", ".html": "html", ".htm": "html"}


def run_report(
    app: Any,
    name: str,
    period: str,
    jurisdiction: str | None = None,
    params: Mapping[str, object] | None = None,
    now: datetime | None = None,
) -> Report:
    """Build the report ``name`` registered by some plugin; its result is checked."""
    registry = report_kinds(app)
    kind = registry.get(name)
    request = ReportRequest(
        parse_period(period), jurisdiction or None, kind.params(params or {}), now or app.now()
    )
    plugin = registry.owner(name)
    try:
        report = kind.build(app, request)
    except ServiceFrameError:
        raise  # a clerk's error (a bad jurisdiction, no organisation): say it as it is
    except Exception as exc:
        raise ServiceFrameError(
            f"report {name!r} (plugin {plugin!r}) failed: {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(report, Report):
        raise ServiceFrameError(
            f"report {name!r} (plugin {plugin!r}) built a {type(report).__name__}, not a Report"
        )
    return report


def format_of(out: str | Path | None, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise ValidationError("format", fmt, f"use {', '.join(FORMATS)}")
        return fmt
    if out is not None and Path(out).suffix.lower() in SUFFIXES:
        return SUFFIXES[Path(out).suffix.lower()]
    raise ValidationError("format", str(out or ""), "give --format text, json, xlsx or html")


def report_dict(report: Report) -> dict[str, Any]:
    """The documented JSON of a report: its sections as records, and its figures."""
    return {
        "kind": report.kind,
        "title": report.title,
        "subtitle": report.subtitle,
        "period": {
            "text": str(report.period),
            "start": report.period.start,
            "end": report.period.end,
        },
        "jurisdiction": report.jurisdiction,
        "generated_at": report.generated_at,
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "paragraphs": list(s.paragraphs),
                "columns": [
                    {"key": c.key, "title": c.title, "kind": c.kind} for c in s.table.columns
                ]
                if s.table
                else [],
                "rows": s.table.records() if s.table else [],
                "more": s.table.more if s.table else 0,
            }
            for s in report.sections
        ],
        "data": dict(report.data),
    }


def render(report: Report, fmt: str, out: str | Path | None = None) -> str | None:
    """Text and JSON come back as a string when ``out`` is None; XLSX and HTML need a file."""
    if fmt in ("text", "json"):
        from serviceframe.reports.text import render_text

        text = render_text(report) if fmt == "text" else dumps(report_dict(report)) + "\n"
        if out is None:
            return text
        Path(out).write_text(text, encoding="utf-8")
        return None
    if out is None:
        raise ValidationError("out", "", f"--format {fmt} needs --out FILE")
    if fmt == "xlsx":
        from serviceframe.reports.xlsx import write_xlsx

        write_xlsx(report, out)
    else:
        from serviceframe.reports.html import write_html

        write_html(report, out)
    return None


def write_report(
    app: Any,
    name: str,
    out: str | Path,
    period: str,
    jurisdiction: str | None = None,
    params: Mapping[str, object] | None = None,
    fmt: str | None = None,
) -> str:
    """Build the report and write it to ``out`` (format from ``fmt`` or the suffix)."""
    chosen = format_of(out, fmt)
    registry = report_kinds(app)
    if chosen not in registry.get(name).formats:
        raise ValidationError("format", chosen, f"report {name!r} is not made as {chosen}")
    report = run_report(app, name, period, jurisdiction, params)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    render(report, chosen, out)
    return chosen
