"""Rows for the append-only event log: registry changes and the events of issues."""

from datetime import datetime
from typing import Any

from serviceframe.domain.issue import IssueEvent


def event_row(kind: str, subject: str, actor: str, at: datetime, **data: Any) -> dict[str, Any]:
    return {"kind": kind, "subject": subject, "actor": actor, "at": at, "data": data}


def issue_event_row(issue_id: int, event: IssueEvent) -> dict[str, Any]:
    return event_row(event.kind, f"issue:{issue_id}", event.actor, event.at, **event.data)
