"""The built-in ``file`` channel (plugin :mod:`serviceframe.plugins.file_channel`): nothing leaves
the machine.

Outbound, each notification is appended to a file as one JSON line (UTF-8, Chinese as it is),
which another system can read, and which ``serviceframe demo`` delivers to. Inbound, each
``*.json`` file dropped in a folder is one message::

    {"id": "oa-2026-0042", "from": "weibinlei@dongchang.example",
     "subject": "变压器增容", "body": "……"}

with ``"type": "reply"`` (and ``"issue"`` or ``"in_reply_to"``) for a reply, or
``"type": "answer"`` (``"satisfaction"``, ``"comment"``, and ``"issue"``/``"round"`` or
``"in_reply_to"``) for a rating; an ``"enterprise"`` (credit code or name) instead of ``"from"``
files the issue for that enterprise. Handled files move to ``done/`` in the folder.

```toml
[[channels]]
name = "files"
kind = "file"
settings = { path = "/var/lib/serviceframe/notifications.jsonl", inbox = "/var/lib/serviceframe/inbox" }
```
"""

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from attrs import frozen

from serviceframe.channels import (
    Answer,
    Channel,
    ChannelContext,
    ChannelKind,
    Failure,
    NewIssue,
    Outgoing,
    Parsed,
    RawMessage,
    Receipt,
    Reply,
)


@frozen
class FileSettings:
    path: str = ""  # the JSON lines file notifications are appended to
    inbox: str = ""  # the folder of *.json messages to bring in


class FileChannel(Channel):
    def __init__(self, context: ChannelContext) -> None:
        self.settings: FileSettings = context.settings

    def deliver(self, message: Outgoing) -> Receipt | Failure:
        if not self.settings.path:
            return Failure("the file channel has no `path` to write notifications to", True)
        record = {
            "key": message.key,
            "id": message.id,
            "kind": message.kind,
            "to": message.recipient.name,
            "recipient": f"{message.recipient.kind}:{message.recipient.id}",
            "address": message.address,
            "subject": message.subject,
            "body": message.body,
            "issue": message.issue_id,
            "round": message.round,
            "at": datetime.now(UTC).isoformat(),
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        path = Path(self.settings.path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # One write on a file opened for appending, then to disk: a line is whole or absent.
            with path.open("a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:  # a full disk, a missing mount: worth trying again later
            return Failure(f"cannot write {path}: {exc.strerror or exc}")
        return Receipt(f"{path.name}:{message.key}")

    def confirm(self, message: Outgoing) -> Receipt | None:
        path = Path(self.settings.path)
        if not path.exists():
            return None
        needle = f'"key": "{message.key}"'
        with path.open(encoding="utf-8") as fh:
            if any(needle in line for line in fh):
                return Receipt(f"{path.name}:{message.key}")
        return None

    def poll(self) -> Iterator[RawMessage]:
        if not self.settings.inbox:
            return
        for file in sorted(Path(self.settings.inbox).glob("*.json")):
            payload = file.read_bytes()
            try:
                given = str(json.loads(payload).get("id") or "")
            except (ValueError, AttributeError):
                given = ""
            yield RawMessage(
                given or "sha256:" + hashlib.sha256(payload).hexdigest(),
                payload,
                datetime.fromtimestamp(file.stat().st_mtime, UTC),
                {"file": str(file)},
            )

    def parse(self, raw: RawMessage) -> Parsed:
        data: dict[str, Any] = json.loads(raw.payload.decode("utf-8"))
        kind = data.get("type", "issue")
        sender = str(data.get("from", ""))
        issue = int(data["issue"]) if data.get("issue") is not None else None
        if kind == "issue":
            return NewIssue(
                sender,
                str(data["body"]),
                str(data.get("subject", "")),
                enterprise=data.get("enterprise"),
                category=data.get("category"),
            )
        if kind == "reply":
            return Reply(sender, str(data["body"]), issue, data.get("in_reply_to"))
        if kind == "answer":
            return Answer(
                sender,
                str(data["satisfaction"]),
                str(data.get("comment", "")),
                issue,
                data.get("round"),
                data.get("in_reply_to"),
            )
        raise ValueError(f"type={kind!r}: must be issue, reply or answer")

    def done(self, raw: RawMessage) -> None:
        file = Path(raw.meta.get("file", ""))
        if file.is_file():
            target = file.parent / "done"
            target.mkdir(exist_ok=True)
            file.replace(target / file.name)


def file_channel_kind() -> ChannelKind:
    return ChannelKind(
        "file",
        FileChannel,
        FileSettings,
        "通知写入本地文件;从文件夹读取消息 notifications to a local file, messages from a folder",
        address=("*",),
        inbound=True,
    )
