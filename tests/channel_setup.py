"""The small organisation with channels, for the tests of notifications and inbound messages."""

import json
from pathlib import Path
from typing import Any

from serviceframe.app import App
from serviceframe.services import issues as svc
from serviceframe.services.organisation import load_organisation
from serviceframe.testing.sample import JIEFANG, credit_code, with_channels, write_org

ENTERPRISE = credit_code(JIEFANG, 1)  # 焦作市恒泽制药有限公司; contact boss1@example.com
OTHER = credit_code(JIEFANG, 2)  # 焦作市宝祥电机有限公司; contact boss2@example.com


def file_channel(tmp: Path, name: str = "files", extra: str = "") -> str:
    return (
        f'[[channels]]\nname = "{name}"\nkind = "file"\n'
        f'settings = {{ path = "{tmp / "sent.jsonl"}", inbox = "{tmp / "inbox"}" }}\n{extra}'
    )


def configure(app: App, tmp: Path, channels: str | None = None) -> Path:
    """Reload the small organisation with ``channels`` (default: one file channel)."""
    text = with_channels(file_channel(tmp) if channels is None else channels)
    load_organisation(app, write_org(tmp / "organisation.toml", text))
    return tmp / "sent.jsonl"


def sent(path: Path) -> list[dict[str, Any]]:
    """What the file channel delivered."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def drop(tmp: Path, name: str, message: dict[str, Any]) -> Path:
    inbox = tmp / "inbox"
    inbox.mkdir(exist_ok=True)
    path = inbox / name
    path.write_text(json.dumps(message, ensure_ascii=False), encoding="utf-8")
    return path


def dispatched(app: App, body: str = "电网频繁拉闸限电,生产线多次停工,请协调供电公司") -> int:
    issue = svc.file_issue(app, svc.IssueDraft(enterprise=ENTERPRISE, source="portal", body=body))
    svc.accept(app, issue.issue.id)
    svc.dispatch(app, issue.issue.id, "jz-edsb", ["jz-fgw"])
    return issue.issue.id


def resolved(app: App) -> int:
    issue_id = dispatched(app)
    svc.acknowledge(app, issue_id, "jz-edsb")
    svc.resolve(app, issue_id, "已协调供电公司恢复供电")
    return issue_id
