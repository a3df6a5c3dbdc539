"""serviceframe's channel contract against the portal channel: messages written to its spool
directory (as a portal on a host without database access writes them) come in through
``channel poll`` like any channel's."""

import json
from pathlib import Path
from typing import Any

import pytest
from serviceframe.testing.channels import ChannelContract

import serviceframe_portal
from serviceframe_portal.channel import payload, spool


class TestPortalContract(ChannelContract):
    kind = "portal"
    plugin = serviceframe_portal

    @pytest.fixture
    def settings(self, tmp_path: Path) -> dict[str, Any]:
        return {"spool": str(tmp_path / "spool")}

    def send_in(
        self, settings: dict[str, Any], sender: str, subject: str, body: str, message_id: str
    ) -> None:
        spool(settings["spool"], message_id, payload("issue", sender, body, title=subject))

    def send_garbage(self, settings: dict[str, Any]) -> None:
        spool(settings["spool"], "garbage", b"\xff\xfe not json")


def test_a_reply_names_its_issue(tmp_path: Path) -> None:
    from serviceframe.channels import ChannelContext, Reply

    from serviceframe_portal.channel import PortalChannel, PortalSettings

    channel = PortalChannel(
        ChannelContext(None, "web", "portal", "410800", PortalSettings(str(tmp_path)), ("phone",))
    )
    spool(str(tmp_path), "r1", payload("reply", "13903910001", "补充材料已上传", issue_id=7))
    (raw,) = channel.poll()
    assert channel.parse(raw) == Reply("13903910001", "补充材料已上传", issue_id=7)
    channel.done(raw)
    assert list(channel.poll()) == []
    assert json.loads((tmp_path / "done" / "r1.json").read_text())["issue_id"] == 7
