"""``serviceframe channel``, ``outbox`` and ``quarantine`` as an office clerk uses them."""

import json
from pathlib import Path

import pytest

from channel_setup import configure, dispatched, drop
from ladder import invoke
from serviceframe.app import App
from serviceframe.channels import ChannelKind
from serviceframe.hookspecs import hookimpl


@pytest.fixture
def app(sf_small_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.setenv("SF_TEST_OUTBOX_PATH", str(tmp_path / "sent.jsonl"))
    configure(
        sf_small_app,
        tmp_path,
        f"""
[[channels]]
name = "files"
kind = "file"
settings = {{ inbox = "{tmp_path / "inbox"}" }}
secrets = {{ path = "SF_TEST_OUTBOX_PATH" }}
""",
    )
    return sf_small_app


def test_channel_list_never_shows_a_secret(app: App, tmp_path: Path):
    result = invoke(app, "channel", "list")
    assert result.exit_code == 0, result.output
    assert "files" in result.output and "path ← $SF_TEST_OUTBOX_PATH" in result.output
    assert str(tmp_path / "sent.jsonl") not in result.output
    data = json.loads(invoke(app, "channel", "list", "--json").output)
    assert data[0]["secrets"] == {"path": "SF_TEST_OUTBOX_PATH"}
    assert data[0]["secret_set"] == {"path": True}
    assert (data[0]["inbound"], data[0]["outbound"], data[0]["address"]) == (True, True, ["*"])
    assert str(tmp_path / "sent.jsonl") not in json.dumps(data, ensure_ascii=False)


def test_outbox_list_deliver_show(app: App):
    dispatched(app)
    listed = invoke(app, "outbox", "list", "--status", "pending")
    assert "待发送 pending" in listed.output and "王建国" in listed.output
    delivered = invoke(app, "outbox", "deliver", "--once")
    assert delivered.exit_code == 0, delivered.output
    assert "2 due: sent 2, to retry 0, failed 0" in delivered.output
    rows = json.loads(invoke(app, "outbox", "list", "--json").output)
    assert {r["status"] for r in rows} == {"sent"}
    assert rows[0]["created_at"].endswith("+08:00")  # Beijing time in JSON
    shown = invoke(app, "outbox", "show", str(rows[-1]["id"]))
    assert "attempt 1 by" in shown.output and ": sent (" in shown.output
    assert "【交办】" in shown.output


def test_outbox_retry_of_a_failed_notification(app: App, monkeypatch: pytest.MonkeyPatch):
    dispatched(app)
    monkeypatch.setenv("SF_TEST_OUTBOX_PATH", "")  # a path that cannot be written: permanent
    invoke(app, "outbox", "deliver")
    failed = json.loads(invoke(app, "outbox", "list", "--status", "failed", "--json").output)
    assert len(failed) == 2 and "no `path`" in failed[0]["last_error"]
    assert "发送失败 failed" in invoke(app, "outbox", "list", "--status", "failed").output
    again = invoke(app, "outbox", "retry", str(failed[0]["id"]))
    assert again.exit_code == 0 and "pending again" in again.output
    second = invoke(app, "outbox", "retry", str(failed[0]["id"]))
    assert second.exit_code == 1
    assert "is pending (待发送); only a failed one is retried" in second.output
    assert "no notification 999" in invoke(app, "outbox", "retry", "999").output


def test_channel_poll_and_the_quarantine(app: App, tmp_path: Path):
    drop(tmp_path, "a.json", {"id": "m-1", "from": "boss1@example.com", "body": "融资难"})
    drop(tmp_path, "b.json", {"id": "m-2", "from": "stranger@x.example", "body": "你好"})
    polled = invoke(app, "channel", "poll", "files")
    assert polled.exit_code == 0, polled.output
    assert "2 message(s): 新问题 filed 1" in polled.output
    assert "隔离 quarantine #2 m-2: 未登记的发件人" in polled.output
    rows = json.loads(invoke(app, "quarantine", "list", "--json").output)
    assert [(r["id"], r["sender"]) for r in rows] == [(2, "stranger@x.example")]
    assert "payload" not in rows[0]
    retried = invoke(app, "quarantine", "retry", "2")
    assert "#2 still quarantined: 未登记的发件人" in retried.output
    dismissed = invoke(app, "quarantine", "dismiss", "2", "--reason", "推销邮件")
    assert "#2 dismissed: 推销邮件" in dismissed.output
    assert json.loads(invoke(app, "quarantine", "list", "--json").output) == []
    assert "no channel 'sms'" in invoke(app, "channel", "poll", "sms").output


def test_org_load_names_an_unknown_channel_kind(sf_small_app: App, tmp_path: Path):
    from serviceframe.testing.sample import with_channels, write_org

    path = write_org(
        tmp_path / "org.toml",
        with_channels('[[channels]]\nname = "sms"\nkind = "sms"\nsettings = { gateway = "x" }'),
    )
    result = invoke(sf_small_app, "org", "load", str(path))
    assert result.exit_code == 1
    assert "channels[0].kind='sms': no installed plugin provides this channel kind" in result.output


class SecondFile:
    """A county plugin that claims the built-in kind's name."""

    @hookimpl
    def serviceframe_channel_kinds(self, app):
        yield ChannelKind("file", lambda context: None)


class Junk:
    """A plugin that yields junk beside a kind: all it yields is left out, and it is named."""

    @hookimpl
    def serviceframe_channel_kinds(self, app):
        yield "not a kind"
        yield ChannelKind("junk", lambda context: None)


def test_two_plugins_providing_one_kind_are_both_named(sf_small_app: App, tmp_path: Path):
    from serviceframe.testing.fixtures import make_app

    app = make_app(sf_small_app.settings.db_url or "", plugins=(SecondFile(), Junk()))
    result = invoke(app, "channel", "list")
    assert result.exit_code == 1
    assert (
        "channel kind 'file' is provided by two plugins, 'SecondFile-0' "
        "and 'serviceframe.plugins.file_channel'; disable one"
    ) in result.output
    assert any(
        f.plugin == "Junk-1" and "expected ChannelKind" in f.error for f in app.plugins.failures
    )
    app.close()
