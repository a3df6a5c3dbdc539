"""Progress of long work: services report (done, total) to a callable they are given; the CLI
shows a bar on a terminal, and nothing when piped or with ``--json``.

The terminal cases run the real ``serviceframe`` in a pseudo-terminal. Every test here runs on
SQLite and, with ``SERVICEFRAME_TEST_DB`` set, on PostgreSQL.
"""

import json
import os
import pty
import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ladder import invoke
from serviceframe.services import bulk
from serviceframe.services.enterprises import import_enterprises, list_enterprises
from serviceframe.services.intake_file import import_issues
from serviceframe.services.routing import escalate
from serviceframe.services.topics import refresh_topics
from serviceframe.services.trends import detect
from serviceframe.testing.fixtures import make_app
from serviceframe.testing.sample import enterprise_row, write_csv

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 9, 28, 10, 0, tzinfo=SH)
POWER = "我公司近期频繁遭遇拉闸限电,生产线多次停工"


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((done, total))

    def check(self, total: int) -> None:
        """Called with one total, ``done`` never going back, ending with all done."""
        assert self.calls, "no progress reported"
        assert {t for _, t in self.calls} == {total}
        done = [d for d, _ in self.calls]
        assert done == sorted(done) and done[-1] == total and done[0] <= 1


def issues_csv(tmp_path, codes, name="calls.csv"):
    rows = [[code, POWER, f"{name}-{n}"] for n, code in enumerate(codes)]
    return write_csv(tmp_path / name, rows, header=("统一社会信用代码", "内容", "编号"))


def spread(app, n=10):
    """``n`` enterprises, two of each of five counties."""
    counties = ("410802", "410803", "410821", "410822", "410882")
    return [e.credit_code for c in counties for e in list_enterprises(app, c)[: n // 5]]


# --- the services report -----------------------------------------------------------------


def test_imports_report_every_row(app, tmp_path):
    rows = [enterprise_row("410802", 700 + n) for n in range(30)]
    recorder = Recorder()
    report = import_enterprises(app, write_csv(tmp_path / "e.csv", rows), progress=recorder)
    assert report.inserted == 30
    recorder.check(30)

    recorder = Recorder()
    report = import_issues(app, issues_csv(tmp_path, spread(app)), "hotline", progress=recorder)
    assert len(report.filed) == 10
    recorder.check(10)


def test_bulk_steps_the_sweep_trends_and_topics_report(app, clock, tmp_path):
    ids = list(import_issues(app, issues_csv(tmp_path, spread(app)), "hotline").filed)
    for run in (
        lambda p: bulk.accept_many(app, ids, progress=p),
        lambda p: bulk.dispatch_many(app, ids, "jz-fgw", progress=p),
    ):
        recorder = Recorder()
        run(recorder)
        recorder.check(len(ids))

    recorder = Recorder()
    assert len(detect(app, progress=recorder)) == 1
    recorder.check(1)  # one trending topic

    clock.now = NOW + timedelta(days=40)
    recorder = Recorder()
    orders = escalate(app, progress=recorder)
    recorder.check(len(orders))
    assert len(orders) >= len(ids)

    recorder = Recorder()
    assert refresh_topics(app, progress=recorder) == []
    assert recorder.calls == [(0, 0)]  # all ten are in the cluster: nothing to look at


def test_nobody_watching_is_the_default(app, tmp_path):
    report = import_issues(app, issues_csv(tmp_path, spread(app)), "hotline")
    assert len(bulk.accept_many(app, report.filed)) == 10


# --- the CLI shows a bar only to a person at a terminal ---------------------------------------


def test_no_bar_in_captured_output(app, tmp_path):
    path = issues_csv(tmp_path, spread(app))
    result = invoke(app, "issue", "import", str(path), "--source", "hotline")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path}: 10 filed, 0 already filed, 0 rejected\n"
    assert result.stderr == ""
    result = invoke(app, "issue", "accept", "--source", "hotline")
    assert "导入" not in result.output and "受理 accepting" not in result.output


def run_in_terminal(url: str, *args: str, stdout_tty: bool = True) -> tuple[str, str]:
    """Run the real CLI with stderr (and stdout, unless piped) on a pseudo-terminal; return
    what the terminal showed and what went through the pipe."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from serviceframe.cli import main; main()", "--db", url, *args],
        stdin=slave,
        stdout=slave if stdout_tty else subprocess.PIPE,
        stderr=slave,
        env={**os.environ, "COLUMNS": "120", "SERVICEFRAME_ACTOR": "test"},
    )
    os.close(slave)
    shown = b""
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the program ended and closed the terminal
            break
        if not data:
            break
        shown += data
    piped = proc.stdout.read() if proc.stdout else b""
    assert proc.wait(timeout=120) == 0, shown.decode("utf-8", "replace")
    os.close(master)
    return shown.decode("utf-8", "replace"), piped.decode("utf-8")


def test_a_terminal_shows_a_bar_and_a_pipe_or_json_none(jiaozuo_url, tmp_path):
    app = make_app(jiaozuo_url)
    try:
        codes = spread(app, 20)
    finally:
        app.close()

    shown, _ = run_in_terminal(
        jiaozuo_url, "issue", "import", str(issues_csv(tmp_path, codes[:10])), "--source", "hotline"
    )
    assert "导入问题 importing" in shown and "100%" in shown and "10/10" in shown
    assert "10 filed, 0 already filed, 0 rejected" in shown

    shown, piped = run_in_terminal(
        jiaozuo_url,
        "issue",
        "import",
        str(issues_csv(tmp_path, codes[10:], "more.csv")),
        "--source",
        "hotline",
        stdout_tty=False,
    )
    assert shown == "" and "10 filed" in piped  # stdout piped: no bar on stderr either

    shown, _ = run_in_terminal(jiaozuo_url, "issue", "accept", "--source", "hotline", "--json")
    assert "受理 accepting" not in shown and "%" not in shown
    assert len(json.loads(shown)) == 20

    shown, _ = run_in_terminal(
        jiaozuo_url, "issue", "dispatch", "--source", "hotline", "--lead", "jz-fgw"
    )
    assert "交办 dispatching" in shown and "20/20" in shown
    assert "已交办 20 件 · dispatched 20 issues" in shown
