"""The tamper-evident history: each change made with plain SQL — an event updated, deleted,
inserted or moved — is found by ``audit verify`` at that event, on SQLite and PostgreSQL;
anchors kept elsewhere expose a history rewritten from the start; chaining costs intake no
round trip and never lets two writers link to the same event."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import event, text

from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.services.audit import anchors, take_anchor, verify
from serviceframe.services.events import event_row
from serviceframe.services.issues import (
    IssueDraft,
    accept,
    acknowledge,
    dispatch,
    file_issues,
    progress,
)
from serviceframe.store.chain import GENESIS, event_hash
from serviceframe.testing.clock import Clock
from serviceframe.testing.sample import JIEFANG, XIUWU, credit_code

START = datetime(2026, 10, 12, 1, 0, tzinfo=UTC)


@pytest.fixture
def app(sf_small_app):
    """Two issues with a history each (filed, accepted, routed, dispatched, acknowledged,
    progressed)."""
    app = sf_small_app
    app.clock = Clock(START)
    drafts = [
        IssueDraft(credit_code(JIEFANG, 1), "hotline", body="园区停电三天,生产线停工。"),
        IssueDraft(credit_code(XIUWU, 4), "portal", body="银行抽贷,流动资金紧张。"),
    ]
    for issue_id in file_issues(app, drafts).filed:
        accept(app, issue_id)
        dispatch(app, issue_id, "jz-edsb")
        acknowledge(app, issue_id, "jz-edsb")
        progress(app, issue_id, "已协调供电公司")
    return app


def sql(app, statement: str, **params) -> None:
    with app.engine.begin() as conn:
        conn.execute(text(statement), params)


def scalar(app, statement: str, **params):
    with app.engine.connect() as conn:
        return conn.execute(text(statement), params).scalar()


def drop_guards(app) -> None:
    """What someone with SQL would do first: remove the append-only triggers."""
    with app.engine.begin() as conn:
        for table in ("events", "audit_anchors", "audit_anchor_heads"):
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
            else:
                for action in ("update", "delete"):
                    conn.execute(text(f"DROP TRIGGER {table}_append_only_{action}"))


def event_id(app, subject: str, seq: int) -> int:
    return scalar(app, "SELECT id FROM events WHERE subject = :s AND seq = :n", s=subject, n=seq)


def broken_at(report, problem_part: str = ""):
    assert not report.ok
    first = report.first_broken
    assert first is not None
    assert problem_part in first.problem, first
    return first


def test_an_untouched_history_verifies(app):
    report = verify(app)
    assert report.ok and report.problems == 0 and report.first_broken is None
    assert report.events == scalar(app, "SELECT count(*) FROM events")
    assert report.subjects == scalar(app, "SELECT count(DISTINCT subject) FROM events")
    with app.engine.connect() as conn:
        seqs = list(
            conn.scalars(text("SELECT seq FROM events WHERE subject = 'issue:1' ORDER BY id"))
        )
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 5


def test_the_store_refuses_to_change_or_remove_an_event(app):
    from serviceframe.errors import StoreError

    for statement in ("UPDATE events SET actor = 'jz-mayor'", "DELETE FROM events"):
        with pytest.raises(Exception, match="append-only"):
            sql(app, statement)
    assert verify(app).ok
    del StoreError


def test_an_event_changed_with_sql_is_found_at_that_event(app):
    drop_guards(app)
    target = event_id(app, "issue:1", 3)
    sql(app, "UPDATE events SET actor = '市长' WHERE id = :id", id=target)
    report = verify(app)
    first = broken_at(report, "does not follow from the event before it")
    assert (first.event, first.subject, first.seq) == (target, "issue:1", 3)
    guard = [b for b in report.broken if "guard" in b.problem]
    assert len(guard) == 3  # the removed triggers are reported too


def test_the_data_of_an_event_changed_is_found(app):
    drop_guards(app)
    target = event_id(app, "issue:2", 1)
    sql(
        app,
        "UPDATE events SET data = :data WHERE id = :id",
        id=target,
        data=json.dumps({"body": "没有问题"}, ensure_ascii=False),
    )
    assert broken_at(verify(app)).event == target


def test_an_event_deleted_with_sql_is_found_where_it_was(app):
    drop_guards(app)
    sql(app, "DELETE FROM events WHERE id = :id", id=event_id(app, "issue:1", 2))
    first = broken_at(verify(app), "event #2 of issue:1 is missing")
    assert (first.subject, first.seq) == ("issue:1", 3)


def test_an_event_inserted_with_sql_is_found(app):
    drop_guards(app)
    last = scalar(app, "SELECT max(seq) FROM events WHERE subject = 'issue:1'")
    sql(
        app,
        "INSERT INTO events (at, actor, kind, subject, data, seq, hash) VALUES "
        "(:at, 'jz-edsb', 'resolved', 'issue:1', '{\"note\": \"已办结\"}', :seq, :hash)",
        at=START + timedelta(days=1),
        seq=last + 1,
        hash="f" * 64,
    )
    first = broken_at(verify(app), "does not follow")
    assert (first.subject, first.seq) == ("issue:1", last + 1)


def test_events_reordered_with_sql_are_found(app):
    drop_guards(app)
    two, three = event_id(app, "issue:1", 2), event_id(app, "issue:1", 3)
    # Swap their places in the history: each takes the other's number.
    sql(app, "UPDATE events SET seq = -1 WHERE id = :id", id=two)
    sql(app, "UPDATE events SET seq = 2 WHERE id = :id", id=three)
    sql(app, "UPDATE events SET seq = 3 WHERE id = :id", id=two)
    report = verify(app)
    broken_at(report, "does not follow")
    flagged = {(b.subject, b.seq, b.event) for b in report.broken if b.event}
    # Both moved events, and the one after them, which no longer follows from its place.
    assert {("issue:1", 2, three), ("issue:1", 3, two)} <= flagged


def test_events_renumbered_to_change_their_order_are_found(app):
    drop_guards(app)
    two, three = event_id(app, "issue:1", 2), event_id(app, "issue:1", 3)
    big = scalar(app, "SELECT max(id) FROM events") + 10
    sql(app, "UPDATE events SET id = :big WHERE id = :id", big=big, id=two)  # after 3 by id
    sql(app, "UPDATE events SET id = :two WHERE id = :three", two=two, three=three)
    sql(app, "UPDATE events SET id = :three WHERE id = :big", three=three, big=big)
    # Content and numbers kept, the ids swapped: `issue show` would list them swapped.
    report = verify(app)
    assert any("moved" in b.problem and b.subject == "issue:1" for b in report.broken)


def forge(app, subject: str, seq: int, actor: str) -> None:
    """A forger who knows the algorithm: change an event and recompute its hash."""
    with app.engine.begin() as conn:
        prev = conn.execute(
            text("SELECT hash FROM events WHERE subject = :s AND seq = :n"),
            {"s": subject, "n": seq - 1},
        ).scalar()
        row = conn.execute(
            text(
                "SELECT kind, at, CAST(data AS TEXT) AS data FROM events "
                "WHERE subject = :s AND seq = :n"
            ),
            {"s": subject, "n": seq},
        ).one()
        at = row.at if isinstance(row.at, datetime) else datetime.fromisoformat(row.at)
        new = event_hash(
            prev or GENESIS, seq, subject, row.kind, actor, at.replace(tzinfo=UTC), row.data
        )
        conn.execute(
            text("UPDATE events SET actor = :a, hash = :h WHERE subject = :s AND seq = :n"),
            {"a": actor, "h": new, "s": subject, "n": seq},
        )


def test_a_forged_hash_breaks_the_link_to_the_next_event(app):
    drop_guards(app)
    forge(app, "issue:1", 2, "jz-mayor")
    first = broken_at(verify(app), "does not follow")
    assert (first.subject, first.seq) == ("issue:1", 3)


def test_an_anchor_exposes_a_forged_last_event_and_a_removed_one(app):
    take_anchor(app)
    drop_guards(app)
    last = scalar(app, "SELECT max(seq) FROM events WHERE subject = 'issue:1'")
    forge(app, "issue:1", last, "jz-mayor")  # the chain alone cannot tell: nothing follows it
    last2 = scalar(app, "SELECT max(seq) FROM events WHERE subject = 'issue:2'")
    sql(app, "DELETE FROM events WHERE subject = 'issue:2' AND seq = :n", n=last2)
    problems = [b.problem for b in verify(app).broken]
    assert f"anchor 1 certified issue:1 #{last}, which was rewritten" in problems
    assert f"anchor 1 certified issue:2 #{last2}, which is gone" in problems


def test_anchors_kept_elsewhere_expose_a_history_rewritten_with_its_anchors(app, tmp_path):
    take_anchor(app)
    app.clock.now = START + timedelta(days=1)
    progress(app, 1, "第二次反馈")
    take_anchor(app)
    kept = tmp_path / "anchors.json"
    runner = CliRunner()
    listed = runner.invoke(cli, ["audit", "anchors", "--json"], obj=CliContext(app=app))
    kept.write_text(listed.stdout, encoding="utf-8")
    assert [a["id"] for a in json.loads(listed.stdout)] == [1, 2]
    ok = runner.invoke(cli, ["audit", "verify", "--anchors", str(kept)], obj=CliContext(app=app))
    assert ok.exit_code == 0, ok.output
    # The forger rewrites an event, then every anchor from scratch, consistently.
    drop_guards(app)
    forge(app, "issue:1", scalar(app, "SELECT max(seq) FROM events WHERE subject='issue:1'"), "x")
    sql(app, "DELETE FROM audit_anchor_heads")
    sql(app, "DELETE FROM audit_anchors")
    take_anchor(app)
    take_anchor(app)
    assert verify(app).problems == 3  # only the removed guards: the store alone looks fine
    result = runner.invoke(
        cli, ["audit", "verify", "--anchors", str(kept), "--json"], obj=CliContext(app=app)
    )
    assert result.exit_code == 1
    problems = [b["problem"] for b in json.loads(result.stdout)["broken"]]
    # (PostgreSQL numbers the new anchors on from 3: then anchor 1 is simply gone.)
    assert any(p.startswith("anchor 1") and "kept elsewhere" in p for p in problems), problems


def test_an_issue_whose_history_was_removed_is_found(app):
    drop_guards(app)
    sql(app, "DELETE FROM events WHERE subject = 'issue:2'")
    problems = [b.problem for b in verify(app).broken]
    assert "issue 2 has no history: its events were removed" in problems


def test_a_changed_anchor_is_found(app):
    take_anchor(app)
    drop_guards(app)
    sql(app, "UPDATE audit_anchors SET events = 1")  # not part of the digest: fine
    assert not any(b.problem.startswith("anchor") for b in verify(app).broken)
    sql(app, "UPDATE audit_anchor_heads SET seq = 1 WHERE subject = 'issue:1'")
    problems = [b.problem for b in verify(app).broken]
    assert "anchor 1 was changed: its digest does not match" in problems


def test_verify_cli_exit_codes_and_json(app):
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify"], obj=CliContext(app=app))
    assert ok.exit_code == 0 and "history verified" in ok.stdout
    drop_guards(app)
    target = event_id(app, "issue:2", 2)
    sql(app, "UPDATE events SET kind = 'rejected' WHERE id = :id", id=target)
    text_out = runner.invoke(cli, ["audit", "verify"], obj=CliContext(app=app))
    assert text_out.exit_code == 1
    assert f"首个断点: event {target} (issue:2 #2, rejected, " in text_out.stdout
    as_json = runner.invoke(cli, ["audit", "verify", "--json"], obj=CliContext(app=app))
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    assert report["first_broken"]["event"] == target
    assert report["first_broken"]["at"].endswith("+08:00")


def test_a_new_history_verifies_across_anchors_and_later_events(app):
    take_anchor(app)
    app.clock.now = START + timedelta(days=2)
    progress(app, 2, "再次反馈")
    second = take_anchor(app)
    assert second.subjects == 1  # only issue:2 grew
    assert verify(app).ok
    assert [a.id for a in anchors(app)] == [1, 2]


# --- intake and concurrency --------------------------------------------------------------------


def test_filing_issues_costs_no_statement_for_the_chains(sf_small_app):
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(sf_small_app.engine, "before_cursor_execute", record)
    try:
        drafts = [
            IssueDraft(credit_code(JIEFANG, 1 + i % 2), "hotline", body=f"第{i}个诉求:用电紧张")
            for i in range(50)
        ]
        report = file_issues(sf_small_app, drafts)
    finally:
        event.remove(sf_small_app.engine, "before_cursor_execute", record)
    assert len(report.filed) == 50
    reads_of_events = [s for s in statements if "FROM events" in s or "advisory" in s]
    assert reads_of_events == []
    assert verify(sf_small_app).ok


def test_two_writers_appending_to_one_history_at_once_link_one_after_the_other(sf_small_app):
    """The first holds its unit of work open after appending; the second waits for it, then
    links to its event, not to the one both saw at the start."""
    app = sf_small_app
    subject = f"enterprise:{credit_code(JIEFANG, 1)}"
    appended, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first():
        try:
            with app.uow() as uow:
                uow.record([event_row("note", subject, "一号", START, n=1)])
                appended.set()
                release.wait(10)
                uow.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)
            appended.set()

    def second():
        try:
            with app.uow() as uow:
                uow.record([event_row("note", subject, "二号", START, n=2)])
                uow.commit()
        except BaseException as exc:
            errors.append(exc)

    one = threading.Thread(target=first)
    one.start()
    assert appended.wait(10)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)
    assert two.is_alive()  # waiting for the first
    release.set()
    one.join(20)
    two.join(20)
    assert errors == []
    with app.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT actor, seq FROM events WHERE subject = :s ORDER BY seq"), {"s": subject}
        ).all()
    assert [a for a, _ in rows][-2:] == ["一号", "二号"]
    assert [s for _, s in rows] == list(range(1, len(rows) + 1))
    assert verify(app).ok
