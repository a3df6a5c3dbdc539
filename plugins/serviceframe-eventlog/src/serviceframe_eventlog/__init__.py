"""serviceframe-eventlog: every registry and issue event, one JSON line each, in one file.

A county's IT engineer installs this plugin to feed another system (a data exchange, a
dashboard, a message queue reader) without touching serviceframe's database: each committed
change is appended to the file named by ``SERVICEFRAME_EVENTLOG`` (default
``serviceframe-events.jsonl`` in the current directory) as one UTF-8 JSON object per line,
Chinese text kept as it is.

Registry events (``stream`` = ``"registry"``) carry the event as the host stores it::

    {"stream": "registry", "kind": "key_level_changed", "subject": "enterprise:9141…",
     "actor": "cli:clerk", "at": "2025-03-03T08:00:00+00:00", "data": {"before": "none", …}}

Issue events (``stream`` = ``"issue"``) carry the event and the issue after the change::

    {"stream": "issue", "kind": "filed", "event": {…}, "issue": {…}}
"""

import json
import os
from pathlib import Path
from typing import Any

from serviceframe.hookspecs import hookimpl
from serviceframe.serialise import converter

__all__ = ["DEFAULT_PATH", "ENV_VAR", "append", "log_path"]

ENV_VAR = "SERVICEFRAME_EVENTLOG"
DEFAULT_PATH = "serviceframe-events.jsonl"


def log_path() -> Path:
    """The file events go to: ``$SERVICEFRAME_EVENTLOG``, else ``./serviceframe-events.jsonl``."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_PATH)


def append(record: dict[str, Any]) -> None:
    """Append one record as one JSON line.

    The line is written with a single ``write`` on a file opened for appending, so lines from
    several processes (a CLI and a web portal sharing the file) do not interleave.
    """
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
    path = log_path()
    if path.parent != Path():
        path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line)


@hookimpl
def serviceframe_registry_event(app: Any, event: dict[str, Any]) -> None:
    append({"stream": "registry", **converter.unstructure(event)})


@hookimpl
def serviceframe_issue_event(app: Any, issue: Any, event: Any) -> None:
    append(
        {
            "stream": "issue",
            "kind": converter.unstructure(getattr(event, "kind", None)),
            "event": converter.unstructure(event),
            "issue": converter.unstructure(issue),
        }
    )
