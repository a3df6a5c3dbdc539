"""Delivering the outbox: retries with back-off, every attempt recorded, nothing lost, nothing
sent twice (also by two deliverers at once, and after a deliverer stopped mid-way)."""

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest

from channel_setup import configure, dispatched, file_channel, sent
from serviceframe.app import App
from serviceframe.channels import Channel, ChannelKind, Failure, Outgoing, Receipt
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import ServiceFrameError
from serviceframe.hookspecs import hookimpl
from serviceframe.orgfile import OutboxRules
from serviceframe.services import outbox
from serviceframe.services.outbox import backoff, deliver_due
from serviceframe.testing.clock import Clock
from serviceframe.testing.fixtures import make_app


class Flaky(Channel):
    """A county's channel that misbehaves as the test says; it counts what reached it."""

    script: ClassVar[list[str]] = []  # per attempt: "raise", "retry", "permanent", "ok"
    delivered: ClassVar[list[tuple[str, str]]] = []

    def __init__(self, context):
        pass

    def deliver(self, message: Outgoing):
        step = self.script.pop(0) if self.script else "ok"
        if step == "raise":
            raise ConnectionResetError("网关连接被重置")
        if step == "retry":
            return Failure("网关繁忙 busy")
        if step == "permanent":
            return Failure("号码不存在 no such number", permanent=True)
        if step == "junk":
            return "ok"
        self.delivered.append((message.key, message.subject))
        return Receipt(f"gw-{len(self.delivered)}")


class FlakyPlugin:
    @hookimpl
    def serviceframe_channel_kinds(self, app):
        yield ChannelKind("flaky", Flaky, address=("phone",))


FLAKY = '[[channels]]\nname = "gateway"\nkind = "flaky"\n'


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture
def flaky(sf_small_app: App, tmp_path: Path, clock: Clock):
    Flaky.script = []
    Flaky.delivered = []
    app = make_app(sf_small_app.settings.db_url or "", plugins=(FlakyPlugin(),))
    app.clock = clock
    configure(app, tmp_path, FLAKY + "[outbox]\nmax_attempts = 3\nfirst_retry_seconds = 60\n")
    yield app
    app.close()


def test_backoff_doubles_up_to_the_cap():
    rules = OutboxRules(first_retry_seconds=60, max_retry_seconds=600)
    assert [backoff(rules, n).total_seconds() for n in range(1, 7)] == [60, 120, 240, 480, 600, 600]


def test_a_plugin_that_raises_is_named_retried_and_not_lost(flaky: App, clock: Clock):
    Flaky.script = ["raise"]
    dispatched(flaky)
    report = deliver_due(flaky)
    assert (report.count("retry"), report.count("sent")) == (1, 1)
    (row,) = outbox.list_outbox(flaky, status="pending")
    assert "plugin 'FlakyPlugin-0' raised" in row["last_error"]
    assert "ConnectionResetError: 网关连接被重置" in row["last_error"]
    assert deliver_due(flaky).claimed == 0  # not due before its back-off
    clock.now += timedelta(seconds=61)
    assert deliver_due(flaky).count("sent") == 1
    shown = outbox.show_outbox(flaky, row["id"])
    assert [a["outcome"] for a in shown["attempt_log"]] == ["retry", "sent"]
    assert shown["status"] == "sent" and shown["receipt"].startswith("gw-")
    assert len(Flaky.delivered) == 2  # both notifications, each once


def test_a_permanent_failure_waits_for_a_person_then_retry(flaky: App, clock: Clock):
    Flaky.script = ["permanent", "ok"]
    dispatched(flaky)
    deliver_due(flaky)
    (failed,) = outbox.list_outbox(flaky, status="failed")
    assert "号码不存在" in failed["last_error"]
    row = outbox.retry(flaky, failed["id"])
    assert (row["status"], row["attempts"]) == ("pending", 0)
    assert deliver_due(flaky).count("sent") == 1
    with pytest.raises(ServiceFrameError, match="only a failed one is retried"):
        outbox.retry(flaky, failed["id"])


def test_after_max_attempts_it_gives_up(flaky: App, clock: Clock):
    Flaky.script = ["retry", "ok", "retry", "retry"]  # the second row is sent at once
    dispatched(flaky)
    for _ in range(3):
        deliver_due(flaky)
        clock.now += timedelta(hours=1)
    (failed,) = outbox.list_outbox(flaky, status="failed")
    assert failed["attempts"] == 3
    assert "gave up after 3 attempts" in failed["last_error"]
    assert len(outbox.show_outbox(flaky, failed["id"])["attempt_log"]) == 3


def test_a_result_that_is_neither_receipt_nor_failure_is_retried(flaky: App):
    Flaky.script = ["junk"]
    dispatched(flaky)
    report = deliver_due(flaky)
    assert report.count("retry") == 1
    assert "returned 'ok', not a Receipt or Failure" in report.attempts[0].detail


def test_a_channel_removed_from_the_file_fails_its_notifications(sf_small_app: App, tmp_path: Path):
    configure(sf_small_app, tmp_path)
    dispatched(sf_small_app)
    configure(sf_small_app, tmp_path, file_channel(tmp_path, name="other"))
    report = deliver_due(sf_small_app)
    assert report.count("failed") == 2
    assert "channel 'files' is no longer in the organisation file" in report.attempts[0].detail


def test_a_missing_secret_is_named_and_retried(sf_small_app: App, tmp_path: Path, monkeypatch):
    monkeypatch.delenv("SF_TEST_NO_SUCH_SECRET", raising=False)
    path = tmp_path / "sent.jsonl"
    configure(
        sf_small_app,
        tmp_path,
        '[[channels]]\nname = "files"\nkind = "file"\nsecrets = { path = "SF_TEST_NO_SUCH_SECRET" }\n',
    )
    dispatched(sf_small_app)
    report = deliver_due(sf_small_app)
    assert report.count("retry") == 2
    assert (
        "environment variable SF_TEST_NO_SUCH_SECRET, which is not set" in report.attempts[0].detail
    )
    monkeypatch.setenv("SF_TEST_NO_SUCH_SECRET", str(path))
    later = datetime.now(UTC) + timedelta(minutes=5)  # past the first back-off
    sf_small_app.clock = lambda: later
    assert deliver_due(sf_small_app).count("sent") == 2
    assert len(sent(path)) == 2


def test_a_deliverer_that_stopped_between_send_and_record(sf_small_app: App, tmp_path: Path):
    """The file channel can confirm a delivery key: the notification is not sent again."""
    configure(sf_small_app, tmp_path)
    dispatched(sf_small_app)
    now = sf_small_app.now()
    # A deliverer claims both rows and sends the first, then dies before recording anything.
    with sf_small_app.uow() as uow:
        _claim, rows = uow.outbox.claim("dead-worker", now, 10, now - timedelta(hours=1))
        uow.commit()
    from serviceframe.services.channels import configured, open_channel

    with sf_small_app.uow() as uow:
        (channel,) = configured(sf_small_app, uow)
    open_channel(sf_small_app, channel).deliver(outbox.outgoing(rows[0]))
    assert deliver_due(sf_small_app).claimed == 0  # the lease still runs
    sf_small_app.clock = lambda: now + timedelta(minutes=6)
    report = deliver_due(sf_small_app)
    assert sorted(a.outcome for a in report.attempts) == ["confirmed", "sent"]
    assert len(sent(tmp_path / "sent.jsonl")) == 2  # each exactly once
    log = outbox.show_outbox(sf_small_app, rows[0]["id"])["attempt_log"]
    assert (log[0]["worker"], log[0]["outcome"]) == ("dead-worker", "unknown")


def test_a_channel_that_cannot_confirm_sends_again_with_the_same_key(flaky: App, clock: Clock):
    dispatched(flaky)
    with flaky.uow() as uow:
        _claim, rows = uow.outbox.claim("dead-worker", clock.now, 1, clock.now)
        uow.commit()
    clock.now += timedelta(minutes=6)
    report = deliver_due(flaky)
    resent = next(a for a in report.attempts if a.outbox_id == rows[0]["id"])
    assert resent.outcome == "sent"
    assert "at-least-once" in resent.detail
    assert Flaky.delivered[0][0] == rows[0]["key"]


def test_a_stop_part_way_hands_the_rest_back(flaky: App):
    dispatched(flaky)
    stop = threading.Event()
    stop.set()
    report = deliver_due(flaky, stop=stop)
    assert [a.outcome for a in report.attempts] == ["released", "released"]
    assert {r["status"] for r in outbox.list_outbox(flaky)} == {"pending"}
    assert {r["attempts"] for r in outbox.list_outbox(flaky)} == {0}
    assert deliver_due(flaky).count("sent") == 2


def test_two_deliverers_at_once_send_each_notification_once(sf_small_app: App, tmp_path: Path):
    configure(sf_small_app, tmp_path)
    for _ in range(15):
        dispatched(sf_small_app)  # 30 notifications
    apps = [make_app(sf_small_app.settings.db_url or "") for _ in range(2)]
    reports: list = []

    def work(app: App, name: str) -> None:
        while (report := deliver_due(app, limit=4, worker=name)).claimed:
            reports.append(report)

    threads = [threading.Thread(target=work, args=(a, f"w{n}")) for n, a in enumerate(apps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for app in apps:
        app.close()
    keys = [line["key"] for line in sent(tmp_path / "sent.jsonl")]
    assert len(keys) == 30 and len(set(keys)) == 30
    assert sum(r.count("sent") for r in reports) == 30
    assert {r["status"] for r in outbox.list_outbox(sf_small_app)} == {"sent"}
