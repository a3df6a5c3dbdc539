"""The portal as a channel: what an enterprise files or replies on the web comes in through
the core's inbound path, like a mail or a hotline record (idempotent per message id, mapped to
the enterprise, the quarantine for what cannot be placed).

The web application hands each form in at once (``inbound.receive``). With ``spool`` set, a
portal that cannot write to the database (one on a DMZ host) writes each message to that
directory instead, and ``serviceframe channel poll NAME`` brings them in.
"""

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from attrs import frozen
from serviceframe.channels import Channel, ChannelContext, NewIssue, Parsed, RawMessage, Reply

MAX_TEXT = 20_000


@frozen
class PortalSettings:
    spool: str = ""  # a directory: messages wait here for `channel poll` instead


def payload(kind: str, sender: str, body: str, **extra: Any) -> bytes:
    """A message as the portal writes it: UTF-8 JSON."""
    return json.dumps(
        {"kind": kind, "sender": sender, "body": body, **extra}, ensure_ascii=False
    ).encode()


def spool(directory: str, message_id: str, data: bytes) -> None:
    """Write a message to the spool directory atomically (a poll never reads half of one)."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    temporary = target / f".{uuid.uuid4().hex}.tmp"
    temporary.write_bytes(data)
    os.replace(temporary, target / f"{message_id}.json")


class PortalChannel(Channel):
    def __init__(self, context: ChannelContext) -> None:
        self.spool = context.settings.spool

    def poll(self) -> Iterator[RawMessage]:
        if not self.spool or not Path(self.spool).is_dir():
            return
        for path in sorted(Path(self.spool).glob("*.json")):
            yield RawMessage(path.stem, path.read_bytes(), meta={"file": path.name})

    def parse(self, raw: RawMessage) -> Parsed:
        data = json.loads(raw.payload.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a portal message (a JSON object)")
        body = str(data.get("body", "")).strip()
        if not body:
            raise ValueError("the message has no text")
        if len(body) > MAX_TEXT:
            raise ValueError(f"the text is longer than {MAX_TEXT} characters")
        sender = str(data.get("sender", ""))
        if data.get("kind") == "reply":
            return Reply(sender, body, issue_id=int(data["issue_id"]))
        if data.get("kind") != "issue":
            raise ValueError(f"unknown portal message kind {data.get('kind')!r}")
        return NewIssue(
            sender,
            body,
            title=str(data.get("title", ""))[:100],
            enterprise=data.get("enterprise") or None,
        )

    def done(self, raw: RawMessage) -> None:
        if self.spool:
            done = Path(self.spool) / "done"
            done.mkdir(exist_ok=True)
            os.replace(Path(self.spool) / f"{raw.id}.json", done / f"{raw.id}.json")
