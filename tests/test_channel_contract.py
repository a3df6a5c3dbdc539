"""The contract suite run against the built-in file channel, as any channel's author runs it."""

import json
from pathlib import Path
from typing import Any

import pytest

from serviceframe.plugins import file_channel
from serviceframe.testing.channels import ChannelContract, Delivered


class TestFileChannelContract(ChannelContract):
    kind = "file"
    plugin = file_channel
    passes_key = True

    @pytest.fixture
    def settings(self, tmp_path: Path) -> dict[str, Any]:
        return {"path": str(tmp_path / "sent.jsonl"), "inbox": str(tmp_path / "inbox")}

    @pytest.fixture
    def broken_settings(self, tmp_path: Path) -> dict[str, Any]:
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("")
        return {"path": str(blocker / "sent.jsonl")}  # cannot be created: an OS error

    def received(self, settings: dict[str, Any]) -> list[Delivered]:
        path = Path(settings["path"])
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        return [
            Delivered(m["address"], m["subject"], m["body"], m["key"])
            for m in map(json.loads, lines)
        ]

    def send_in(self, settings, sender, subject, body, message_id) -> None:
        inbox = Path(settings["inbox"])
        inbox.mkdir(exist_ok=True)
        message = {"id": message_id, "from": sender, "subject": subject, "body": body}
        (inbox / f"{len(list(inbox.iterdir()))}.json").write_text(
            json.dumps(message, ensure_ascii=False), encoding="utf-8"
        )

    def send_garbage(self, settings) -> None:
        inbox = Path(settings["inbox"])
        inbox.mkdir(exist_ok=True)
        (inbox / "garbage.json").write_bytes(b"\x00\xff{")


ROOT = Path(__file__).resolve().parent.parent


def test_the_docs_show_the_30_line_channel_and_its_test_as_they_are():
    doc = (ROOT / "docs" / "channels.md").read_text(encoding="utf-8")
    example = (ROOT / "examples" / "webhook_channel" / "webhook_channel.py").read_text("utf-8")
    assert example.strip() in doc
    assert len([line for line in example.splitlines() if line.strip()]) <= 30
    test = (ROOT / "examples" / "webhook_channel" / "test_webhook_channel.py").read_text("utf-8")
    shown = doc.split("class TestWebhookContract(ChannelContract):", 1)[1].split("```", 1)[0]
    assert "class TestWebhookContract(ChannelContract):" + shown.rstrip() in test
