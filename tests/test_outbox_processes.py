"""Deliverers as real processes, as cron, systemd or an operator runs them: a worker stopped by
SIGTERM, one killed between sending and recording, and two at once. On SQLite, and on
PostgreSQL with SERVICEFRAME_TEST_DB (where claims use FOR UPDATE SKIP LOCKED)."""

import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from channel_setup import configure, dispatched, file_channel, sent
from serviceframe.app import App
from serviceframe.services import outbox

CLI = [sys.executable, "-c", "from serviceframe.cli import main; main()"]


def deliverer(app: App, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*CLI, "--db", app.settings.db_url or "", "outbox", "deliver", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_a_worker_delivers_until_sigterm_and_stops_gracefully(sf_small_app: App, tmp_path: Path):
    configure(sf_small_app, tmp_path)
    worker = deliverer(sf_small_app, "--worker", "--idle", "0.2")
    try:
        dispatched(sf_small_app)  # written while the worker runs: it picks them up
        deadline = time.monotonic() + 60
        while len(sent(tmp_path / "sent.jsonl")) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(sent(tmp_path / "sent.jsonl")) == 2
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert "SIGTERM: stopping after the current notification" in err
    assert "outbox deliverer stopped" in err
    assert "sent files" in out


KILLER = """
import os, signal, sys
from serviceframe.app import Settings, bootstrap
from serviceframe.file_channel import FileChannel
from serviceframe.services.outbox import deliver_due

deliver = FileChannel.deliver
def deliver_then_die(self, message):
    deliver(self, message)
    os.kill(os.getpid(), signal.SIGKILL)  # written, and killed before the outcome is recorded
FileChannel.deliver = deliver_then_die
deliver_due(bootstrap(Settings(acting_as="office", db_url=sys.argv[1])), limit=5)
"""


@pytest.mark.slow
def test_a_deliverer_killed_between_sending_and_recording_sends_nothing_twice(
    sf_small_app: App, tmp_path: Path
):
    configure(sf_small_app, tmp_path, file_channel(tmp_path) + "[outbox]\nlease_seconds = 30\n")
    dispatched(sf_small_app)
    killed = subprocess.run([sys.executable, "-c", KILLER, sf_small_app.settings.db_url or ""])
    assert killed.returncode == -signal.SIGKILL
    rows = {r["status"]: r for r in outbox.list_outbox(sf_small_app)}
    assert set(rows) == {"sending"}  # both claimed; one written, neither recorded
    assert len(sent(tmp_path / "sent.jsonl")) == 1
    assert outbox.deliver_due(sf_small_app).claimed == 0  # their lease still runs
    later = sf_small_app.now() + timedelta(seconds=31)
    sf_small_app.clock = lambda: later
    report = outbox.deliver_due(sf_small_app)
    assert sorted(a.outcome for a in report.attempts) == ["confirmed", "sent"]
    keys = Counter(line["key"] for line in sent(tmp_path / "sent.jsonl"))
    assert len(keys) == 2 and set(keys.values()) == {1}  # each exactly once


@pytest.mark.slow
def test_two_deliverer_processes_send_each_notification_once(sf_small_app: App, tmp_path: Path):
    configure(sf_small_app, tmp_path)
    for _ in range(40):
        dispatched(sf_small_app)  # 80 notifications
    for _ in range(10):
        workers = [deliverer(sf_small_app, "--once", "--batch", "6") for _ in range(2)]
        outputs = [w.communicate(timeout=120) for w in workers]
        assert all(w.returncode == 0 for w in workers), outputs
        if not outbox.list_outbox(sf_small_app, status="pending"):
            break
    keys = Counter(line["key"] for line in sent(tmp_path / "sent.jsonl"))
    assert len(keys) == 80 and set(keys.values()) == {1}
    assert {r["status"] for r in outbox.list_outbox(sf_small_app, limit=None)} == {"sent"}
