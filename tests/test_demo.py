"""``serviceframe demo``: the bundled city on a fresh SQLite file, step by step."""

import re

from click.testing import CliRunner
from sqlalchemy import create_engine, func, select

from serviceframe.cli import cli
from serviceframe.store import migrate
from serviceframe.store import tables as t


def count(engine, *where):
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(t.enterprises).where(*where))


def test_demo_builds_the_city(tmp_path, monkeypatch):
    monkeypatch.delenv("SERVICEFRAME_DB", raising=False)
    out = tmp_path / "tmp" / "x.db"  # the folder does not exist yet

    result = CliRunner().invoke(cli, ["demo", "--out", str(out)])

    assert result.exit_code == 0, result.output
    text = result.stdout
    for step in ("1. 建库", "2. 组织机制", "3. 企业名录", "4. 领导分包", "5. 覆盖情况"):
        assert step in text
    assert "(0 rejected)" in text
    assert "涉企政策 45 policies in the catalogue" in text
    assert "   政策查询 policy search「融资」: 6 found (fts5-trigram index)" in text
    # The season's notifications, delivered to a file beside the database.
    assert "16. 通知 the season wrote" in text and "0 could not be addressed" in text
    # A year of indicators raises warnings (told through the outbox, some filed as issues),
    # and a new policy is pushed to the enterprises it fits, once.
    assert "14. 预测预警 imported" in text and "用电量同比下降 3" in text
    assert "预警通知 warning" in text and "政策推送 policy_push" in text
    assert "updated: pushed to 0 more" in text
    sent = out.with_suffix(".notifications.jsonl").read_text(encoding="utf-8").splitlines()
    assert f"delivered {len(sent)} to " in text and len(sent) > 100
    assert "city key enterprises 100/100" in text
    assert f"serviceframe --db {out} coverage" in text
    # It ends with the quarter's circular and assessment, next to the database.
    for name in ("circular-2026-Q4.html", "circular-2026-Q4.xlsx", "assessment-2026-Q4.xlsx"):
        assert str(out.parent / name) in text
        assert (out.parent / name).stat().st_size > 10_000
    assert "11. 走访调研" in text and "1 problem found filed as an issue" in text
    # A major project's stalled step climbs the ladder; a matchmaking follow-up is an issue.
    assert "12. 重大项目 4 projects" in text and "(source project)" in text
    stalled = re.search(r"filed as issue (\d+) \(source project\)", text)
    assert stalled is not None
    issue = stalled[1]
    climbs = [line for line in text.splitlines() if line.startswith(f"   督办 issue {issue}: ")]
    assert climbs[0].startswith(f"   督办 issue {issue}: 签收逾期; ") and "→" in climbs[0]
    assert f"issue {issue} settled (1 event)" in text
    assert "13. 银企对接" in text and "(source event)" in text
    page = (out.parent / "circular-2026-Q4.html").read_text(encoding="utf-8")
    assert "焦作市服务工业企业工作通报" in page and page.count("<svg") >= 4
    engine = create_engine(f"sqlite:///{out}")
    try:
        assert migrate.current(engine) == migrate.head()
        assert count(engine, t.enterprises.c.key_level == "city") == 100
        assert count(engine) >= 150
    finally:
        engine.dispose()


def test_demo_replaces_an_existing_file(tmp_path, monkeypatch):
    import serviceframe.demo

    def quick(app, say):  # the whole demo runs above; here only the file handling matters
        migrate.upgrade(app.engine)
        say("quick demo")

    monkeypatch.setattr(serviceframe.demo, "run_demo", quick)
    monkeypatch.setattr(serviceframe.demo, "write_reports", lambda app, directory, say: [])
    out = tmp_path / "demo.db"
    out.write_bytes(b"not a database")

    result = CliRunner().invoke(cli, ["demo", "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert "quick demo" in result.stdout
    engine = create_engine(f"sqlite:///{out}")
    try:
        assert migrate.current(engine) == migrate.head()
    finally:
        engine.dispose()
