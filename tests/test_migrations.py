"""Migrations never drift: a database built at any earlier revision, with data in it, upgrades to
exactly the schema a fresh database gets; released migrations are never edited; databases built
by the two commits whose 0003 differed are repaired; ``db check`` finds drift on a live database.
Every test runs on SQLite and, with ``SERVICEFRAME_TEST_DB``, on PostgreSQL."""

import ast
import json
import types
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import text

from serviceframe.cli import cli
from serviceframe.services.audit import verify
from serviceframe.services.events import event_row
from serviceframe.store import migrate
from serviceframe.store.database import make_engine
from serviceframe.store.drift import drift
from serviceframe.store.tables import metadata, outside_metadata
from serviceframe.testing.fixtures import make_app
from serviceframe.testing.sample import JIEFANG, credit_code

VERSIONS = Path(migrate.__file__).parent / "migrations" / "versions"
HISTORIC = Path(__file__).parent / "data" / "historic"

# Revisions on main are released: their code (formatting and comments aside) is fixed forever.
# A change to the schema is a new revision; when a revision is released, add it here.
RELEASED = {
    "0001_foundation.py": "127242c0fb75432a",
    "0002_issues.py": "0e55497a6d2cf3c9",
    "0003_routing.py": "8e6500d07625a478",
    "0004_any_level.py": "26e728f48d1a6b73",
    "0005_channels.py": "f90fd40582adee28",
    "0006_visits.py": "72be9989fe8abf9f",
}


def fingerprint(path: Path) -> str:
    import hashlib

    tree = ast.dump(ast.parse(path.read_text(encoding="utf-8")))
    return hashlib.sha256(tree.encode()).hexdigest()[:16]


@pytest.mark.parametrize("name", sorted(RELEASED))
def test_released_migrations_are_never_edited(name):
    assert fingerprint(VERSIONS / name) == RELEASED[name], (
        f"the released migration {name} was edited: restore it and put the change in a new "
        "revision (databases built by the released one would never get it)"
    )


def revisions() -> list[str]:
    """Every revision from the first to the head, in order."""
    script = ScriptDirectory.from_config(migrate._config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


# --- data as each revision stored it ---------------------------------------------------------

CODE = credit_code(JIEFANG, 7)
AT = datetime(2026, 10, 12, 1, 0, tzinfo=UTC)


def _rows(conn, sql: str, *params: dict) -> None:
    for p in params or ({},):
        conn.execute(text(sql), p)


def data_0001(conn) -> None:
    _rows(
        conn,
        "INSERT INTO jurisdictions (code, name, kind, parent_code) VALUES (:c, :n, :k, :p)",
        {"c": "410800", "n": "焦作市", "k": "city", "p": None},
        {"c": "410802", "n": "解放区", "k": "district", "p": "410800"},
    )
    _rows(
        conn,
        "INSERT INTO units (id, name, jurisdiction_code, kind) VALUES "
        "('jz-edsb', '焦作市企业发展服务局', '410800', 'department')",
    )
    _rows(
        conn,
        "INSERT INTO officials (id, name, title, role, jurisdiction_code, unit_id) VALUES "
        "('jz-vm', '黄秀倩', '副市长', 'vice_mayor', '410800', NULL)",
    )
    _rows(
        conn,
        "INSERT INTO enterprises (credit_code, name, jurisdiction_code, industry, key_level, "
        "contacts, created_at, updated_at) VALUES (:code, '焦作市老厂有限公司', '410802', "
        "'C3011', 'city', :contacts, :at, :at)",
        {"code": CODE, "contacts": '[{"person":"老王","phone":"139","email":""}]', "at": AT},
    )
    _rows(
        conn,
        "INSERT INTO assignments (kind, enterprise_code, official_id, valid_from) VALUES "
        "('contact', :code, 'jz-vm', :on)",
        {"code": CODE, "on": date(2026, 10, 1)},
    )
    _event(conn, "org_loaded", "organisation", {"source": "焦作.toml", "units": 1})
    _event(conn, "enterprise_added", f"enterprise:{CODE}", {"name": "焦作市老厂有限公司"})
    _event(conn, "assignment_started", f"enterprise:{CODE}", {"official": "jz-vm"})


def data_0002(conn) -> None:
    _rows(
        conn,
        "INSERT INTO issues (enterprise_code, source, title, body, status, category, "
        "suggested_category, severity, received_at, received_by, owner, lead_unit, "
        "possible_duplicates, updated_at, version) VALUES (:code, 'hotline', '停电', "
        "'园区停电三天', 'dispatched', 1, 1, 'general', :at, 'jz-edsb', 'jz-edsb', 'jz-edsb', "
        "'[]', :at, 3)",
        {"code": CODE, "at": AT},
    )
    _rows(conn, "INSERT INTO issue_units (issue_id, unit_id, role) VALUES (1, 'jz-edsb', 'lead')")
    for kind in ("filed", "accepted", "dispatched"):
        _event(conn, kind, "issue:1", {"note": f"{kind} 备注"})


def data_0003(conn) -> None:
    _rows(
        conn,
        "INSERT INTO issue_routing (issue_id, level, rung, official, informed, updated_at) "
        "VALUES (1, '410800', 'vice_mayor', 'jz-vm', '[]', :at)",
        {"at": AT},
    )
    _rows(
        conn,
        "INSERT INTO supervision_orders (issue_id, deadline, round, due, from_level, from_rung, "
        "to_level, to_rung, created_at, actor) VALUES (1, 'acknowledge', 1, :due, '410800', "
        "'vice_mayor', '410800', 'executive_vice_mayor', :at, 'cron')",
        {"due": date(2026, 10, 14), "at": AT},
    )
    _event(conn, "escalated", "issue:1", {"deadline": "acknowledge", "moved": True})


DATA = {"0001": data_0001, "0002": data_0002, "0003": data_0003}


def _event(conn, kind: str, subject: str, data: dict) -> None:
    conn.execute(
        text(
            "INSERT INTO events (at, actor, kind, subject, data) "
            "VALUES (:at, '县工信局:张伟', :kind, :subject, :data)"
        ),
        {"at": AT, "kind": kind, "subject": subject, "data": json.dumps(data, ensure_ascii=False)},
    )


def build_at(engine, revision: str) -> None:
    """The database as a release at ``revision`` left it: migrated there, with its data."""
    for rev in revisions():
        migrate.upgrade(engine, rev)
        with engine.begin() as conn:
            if rev in DATA:
                DATA[rev](conn)
        if rev == revision:
            return


def assert_same_as_fresh(engine) -> None:
    assert migrate.current(engine) == migrate.head()
    assert drift(engine) == []
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "version_table": migrate.VERSION_TABLE,
                "include_name": lambda name, *_: not outside_metadata(name),
            },
        )
        assert compare_metadata(context, metadata) == []


@pytest.fixture
def engine(sf_empty_db_url):
    engine = make_engine(sf_empty_db_url)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("revision", revisions()[:-1])
def test_a_database_from_each_earlier_revision_upgrades_to_the_fresh_schema(engine, revision):
    build_at(engine, revision)
    with engine.connect() as conn:
        events_before = conn.execute(text("SELECT count(*) FROM events")).scalar()
    migrate.upgrade(engine)
    assert_same_as_fresh(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM events")).scalar() == events_before
        name = conn.execute(text("SELECT name FROM enterprises")).scalar()
        assert name == "焦作市老厂有限公司"
        # The events stored before the chains existed are chained in the order recorded.
        numbered = conn.execute(text("SELECT subject, seq FROM events ORDER BY id")).all()
    seen: dict[str, int] = {}
    for subject, seq in numbered:
        seen[subject] = seen.get(subject, 0) + 1
        assert seq == seen[subject]
    app = make_app(engine.url.render_as_string(hide_password=False))
    try:
        report = verify(app)
        assert report.ok and report.events == events_before, report
        # And the history goes on from there.
        with app.uow() as uow:
            uow.record([event_row("note", f"enterprise:{CODE}", "test", AT, n=1)])
            uow.commit()
        assert verify(app).ok
    finally:
        app.close()


def test_a_fresh_database_matches_itself(engine):
    migrate.upgrade(engine)
    assert_same_as_fresh(engine)


# --- the two commits whose 0003 was edited afterwards ------------------------------------------


def build_as_commit(engine, commit: str) -> None:
    """The database a checkout of ``commit`` built: 0001 and 0002 as released, then that
    commit's own 0003, whose version row says 0003 like any other."""
    migrate.upgrade(engine, "0002")
    with engine.begin() as conn:
        data_0001(conn)
        data_0002(conn)
        source = (HISTORIC / f"0003_routing@{commit}.py.txt").read_text(encoding="utf-8")
        module = types.ModuleType(f"historic_0003_{commit}")
        exec(compile(source, f"0003_routing@{commit}", "exec"), module.__dict__)
        context = MigrationContext.configure(
            conn,
            opts={
                "version_table": migrate.VERSION_TABLE,
                "render_as_batch": conn.dialect.name == "sqlite",
            },
        )
        with Operations.context(context):
            module.upgrade()
        conn.execute(text(f"UPDATE {migrate.VERSION_TABLE} SET version_num = '0003'"))
        data_0003(conn)


@pytest.mark.parametrize("commit", ["8594e33", "ccc38e5"])
def test_a_database_built_by_an_edited_release_is_repaired(engine, commit):
    build_as_commit(engine, commit)
    assert migrate.current(engine) == "0003"
    before = {line.split(":")[0] for line in drift_at_0003(engine)}
    assert "index issues.ix_issues_status_ack_due" in before
    assert ("unique constraint supervision_orders.uq_supervision_orders_breach" in before) == (
        commit == "8594e33"
    )
    migrate.upgrade(engine)
    assert_same_as_fresh(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM supervision_orders")).scalar() == 1


def drift_at_0003(engine) -> list[str]:
    """Drift against a fresh database at 0003 (the historic ones claim to be exactly that)."""
    from serviceframe.store import drift as drift_module

    fresh = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with fresh.connect() as conn:
            live = drift_module.describe(conn)
    finally:
        fresh.dispose()
    reference = _reference_at(engine, "0003")
    return drift_module.compare(live, reference)


def _reference_at(engine, revision: str):
    import tempfile

    from serviceframe.store import drift as drift_module

    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            try:
                drift_module.enter_scratch_schema(conn, "sf_ref_test")
                migrate.run_migrations(conn, revision, version_schema="sf_ref_test")
                found = drift_module.describe(conn, "sf_ref_test")
                return drift_module._unqualified(found, "sf_ref_test")
            finally:
                conn.rollback()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = make_engine(f"sqlite:///{tmp}/ref.db")
        try:
            migrate.upgrade(scratch, revision)
            with scratch.connect() as conn:
                return drift_module.describe(conn)
        finally:
            scratch.dispose()


# --- db check on a live database ---------------------------------------------------------------


def test_db_check_says_a_fresh_database_matches(engine, sf_empty_db_url):
    migrate.upgrade(engine)
    result = CliRunner().invoke(cli, ["--db", sf_empty_db_url, "db", "check"])
    assert result.exit_code == 0, result.output
    assert f"schema {migrate.head()}" in result.stdout
    assert "same as a fresh database" in result.stdout


def test_db_check_names_each_difference_and_exits_1(engine, sf_empty_db_url):
    migrate.upgrade(engine)
    with engine.begin() as conn:  # an index made by hand, and one dropped
        conn.execute(text("DROP INDEX ix_issues_status_ack_due"))
        conn.execute(text("CREATE INDEX ix_issues_status_ack_due ON issues (status, ack_due)"))
        conn.execute(text("DROP INDEX ix_clusters_topic"))
        conn.execute(text("CREATE INDEX ix_by_hand ON enterprises (name)"))
    result = CliRunner().invoke(cli, ["--db", sf_empty_db_url, "db", "check", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["current"] == report["head"] == migrate.head()
    assert report["matches"] is False
    lines = report["differences"]
    assert any(
        line.startswith(
            "index issues.ix_issues_status_ack_due: the database has (status, ack_due),"
        )
        and "WHERE" in line
        for line in lines
    ), lines
    assert any(line.startswith("index clusters.ix_clusters_topic: missing") for line in lines)
    assert any(
        line.startswith("index enterprises.ix_by_hand: not in a fresh database") for line in lines
    )
    text_result = CliRunner().invoke(cli, ["--db", sf_empty_db_url, "db", "check"])
    assert text_result.exit_code == 1
    assert "ix_by_hand" in text_result.stdout


def test_db_check_on_an_old_database_says_to_upgrade(engine, sf_empty_db_url):
    migrate.upgrade(engine, "0002")
    result = CliRunner().invoke(cli, ["--db", sf_empty_db_url, "db", "check"])
    assert result.exit_code == 1
    assert "serviceframe db upgrade" in result.stdout + result.stderr
