"""Building event rows for the append-only log."""

from datetime import datetime
from typing import Any


def event_row(kind: str, subject: str, actor: str, at: datetime, **data: Any) -> dict[str, Any]:
    return {"kind": kind, "subject": subject, "actor": actor, "at": at, "data": data}
