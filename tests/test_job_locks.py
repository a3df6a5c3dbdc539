"""Scheduled jobs never run twice at once: a second escalation sweep (or trend detection)
while one is under way does nothing, says so and exits 0 — checked with real processes on
SQLite and PostgreSQL."""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import AlreadyRunning
from serviceframe.services.issues import IssueDraft, accept, dispatch, file_issues
from serviceframe.services.routing import escalate, supervision_orders
from serviceframe.services.trends import detect
from serviceframe.store.locks import job_lock
from serviceframe.testing.clock import Clock
from serviceframe.testing.sample import JIEFANG, XIUWU, credit_code

FILED = datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI)
LATER = FILED + timedelta(days=40)

HOLD = """
import sys
from serviceframe.store.database import make_engine
from serviceframe.store.locks import job_lock

with job_lock(make_engine(sys.argv[1]), sys.argv[2]):
    print("locked", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def overdue(sf_small_app):
    """Ten dispatched issues whose deadlines have all passed by LATER."""
    app = sf_small_app
    app.clock = Clock(FILED)
    codes = [credit_code(JIEFANG, 1), credit_code(XIUWU, 4)]
    drafts = [
        IssueDraft(codes[i % 2], "hotline", body=f"第{i}号诉求:园区停电影响生产", category=1)
        for i in range(10)
    ]
    for issue_id in file_issues(app, drafts).filed:
        accept(app, issue_id)
        dispatch(app, issue_id, "jz-edsb")
    return app


def url_of(app):
    return app.engine.url.render_as_string(hide_password=False)


def run_cli(url, *args):
    return subprocess.Popen(
        [sys.executable, "-c", "from serviceframe.cli import main; main()", "--db", url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def test_a_sweep_while_another_holds_the_lock_does_nothing_and_exits_0(overdue):
    url = url_of(overdue)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, url, "escalation sweep"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        second = run_cli(url, "escalate", "--now", LATER.isoformat())
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        assert "another escalation sweep is running" in err
        assert "Traceback" not in err and out == ""
        assert supervision_orders(overdue, open_only=False) == []
    finally:
        holder.communicate("\n", timeout=60)
    assert holder.returncode == 0
    # With the lock released, the next run does the work.
    third = run_cli(url, "escalate", "--now", LATER.isoformat(), "--json")
    out, err = third.communicate(timeout=120)
    assert third.returncode == 0, err
    assert len(supervision_orders(overdue, open_only=False)) == 30  # 3 deadlines x 10 issues


def test_two_sweeps_started_together_both_exit_0_and_supervise_each_deadline_once(overdue):
    url = url_of(overdue)
    runs = [run_cli(url, "escalate", "--now", LATER.isoformat()) for _ in range(2)]
    results = [(p.communicate(timeout=120), p.returncode) for p in runs]
    for (_out, err), code in results:
        assert code == 0, err
        assert "Traceback" not in err and "UNIQUE" not in err.upper()
    orders = supervision_orders(overdue, open_only=False)
    assert len(orders) == 30
    assert len({(o["issue_id"], o["deadline"], o["round"], o["due"]) for o in orders}) == 30


def test_the_service_refuses_a_second_run_in_the_same_process(overdue):
    with job_lock(overdue.engine, "escalation sweep"), pytest.raises(AlreadyRunning) as info:
        escalate(overdue, LATER)
    assert info.value.job == "escalation sweep"
    assert supervision_orders(overdue, open_only=False) == []
    assert len(escalate(overdue, LATER)) == 30  # released: the next run does it all


def test_trend_detection_runs_one_at_a_time(overdue):
    with job_lock(overdue.engine, "trend detection"):
        with pytest.raises(AlreadyRunning, match="another trend detection is running"):
            detect(overdue, LATER)
        # Another job's lock is another lock: the sweep is free to run meanwhile.
        assert escalate(overdue, LATER)


def test_threads_of_one_process_take_turns_too(overdue):
    def sweep():
        try:
            return len(escalate(overdue, LATER))
        except AlreadyRunning:
            return "busy"

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda _: sweep(), range(4)))
    assert sum(o for o in outcomes if o != "busy") == 30  # type: ignore[misc]
    assert len(supervision_orders(overdue, open_only=False)) == 30


def test_an_in_memory_database_needs_no_lock():
    from serviceframe.store.database import make_engine

    engine = make_engine("sqlite://")
    with job_lock(engine, "escalation sweep"), job_lock(engine, "escalation sweep"):
        pass
