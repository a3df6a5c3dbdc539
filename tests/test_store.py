"""The store: migrations, schema, errors that never leak from the driver, Chinese in JSON.

Every test here runs on SQLite and, with ``SERVICEFRAME_TEST_DB`` set, on PostgreSQL.
"""

from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from serviceframe.app import Settings, bootstrap
from serviceframe.domain.assignment import AssignmentKind
from serviceframe.domain.enterprise import KeyLevel
from serviceframe.errors import StoreError
from serviceframe.services.assignments import assign, assignments_of
from serviceframe.services.enterprises import get_enterprise, list_enterprises
from serviceframe.services.organisation import organisation
from serviceframe.store import migrate
from serviceframe.store.database import (
    SCHEMA_REVISION,
    make_engine,
    require_current_schema,
    resolve_url,
    stored_revision,
)
from serviceframe.store.tables import metadata, outside_metadata
from serviceframe.testing.fixtures import make_app
from serviceframe.testing.sample import CITY, JIEFANG, credit_code


@pytest.fixture
def empty_url(sf_empty_db_url):
    return sf_empty_db_url


@pytest.fixture
def engine(empty_url):
    engine = make_engine(empty_url)
    yield engine
    engine.dispose()


# The city and one district, as any revision's jurisdictions table holds them.
OLD_PLACES = text(
    "INSERT INTO jurisdictions (code, name, kind, parent_code) VALUES "
    "('410800', '焦作市', 'city', NULL), ('410802', '解放区', 'district', '410800')"
)


def first_revision() -> str:
    script = ScriptDirectory.from_config(migrate._config())
    (base,) = script.get_bases()
    return base


def test_upgrade_from_empty_reaches_head(engine):
    assert migrate.current(engine) is None
    before, after = migrate.upgrade(engine)
    assert before is None
    assert after == migrate.head()
    assert migrate.current(engine) == migrate.head()
    require_current_schema(engine)  # does not raise


def test_the_schema_revision_the_code_checks_is_alembics_head(engine):
    """Commands check the schema against SCHEMA_REVISION without importing alembic: a new
    migration must set it to its own revision."""
    assert migrate.head() == SCHEMA_REVISION
    assert stored_revision(engine) is None
    migrate.upgrade(engine, first_revision())
    assert stored_revision(engine) == migrate.current(engine) == first_revision()
    if first_revision() != SCHEMA_REVISION:
        with pytest.raises(StoreError, match=f"needs {SCHEMA_REVISION}"):
            require_current_schema(engine)


def test_upgrade_twice_changes_nothing(engine):
    migrate.upgrade(engine)
    assert migrate.upgrade(engine) == (migrate.head(), migrate.head())


def test_an_old_database_keeps_its_data_and_reaches_head(engine, empty_url):
    first = first_revision()
    migrate.upgrade(engine, first)
    assert migrate.current(engine) == first
    code = credit_code(JIEFANG, 7)
    # Written with the first revision's columns, as an old serviceframe would have.
    with engine.begin() as conn:
        conn.execute(OLD_PLACES)
        conn.execute(
            text(
                "INSERT INTO enterprises (credit_code, name, jurisdiction_code, industry, "
                "key_level, contacts, address, created_at, updated_at) VALUES "
                "(:code, '焦作市老厂有限公司', '410802', 'C3011', 'city', :contacts, '', "
                ":at, :at)"
            ),
            {
                "code": code,
                "contacts": '[{"person":"老王","phone":"139","email":""}]',
                "at": datetime(2020, 1, 2, 3, 4, 5),
            },
        )
    before, after = migrate.upgrade(engine)
    assert (before, after) == (first, migrate.head())
    app = make_app(empty_url)
    try:
        found = get_enterprise(app, code)
        assert found.name == "焦作市老厂有限公司"
        assert found.key_level is KeyLevel.CITY
        assert found.contacts[0].person == "老王"
        assert {j.code for j in organisation(app).jurisdictions} == {"410800", "410802"}
    finally:
        app.close()


def test_a_store_of_the_first_release_reads_with_level_neutral_roles(engine, empty_url):
    """0004: roles and rungs renamed in the tables, old names kept in the events (and read),
    each assignment given its official's level, province key enterprises allowed."""
    migrate.upgrade(engine, "0003")
    code = credit_code(JIEFANG, 7)
    at = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(OLD_PLACES)
        conn.execute(
            text(
                "INSERT INTO officials (id, name, title, role, jurisdiction_code) VALUES "
                "('jz-mayor', '于洪', '市长', 'mayor', '410800'), "
                "('jz-vm', '黄秀倩', '副市长', 'vice_mayor', '410800'), "
                "('jf-mayor', '孙丽', '区长', 'mayor', '410802')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO enterprises (credit_code, name, jurisdiction_code, industry, "
                "key_level, contacts, address, created_at, updated_at) VALUES "
                "(:code, '焦作市老厂有限公司', '410802', 'C3011', 'city', '[]', '', :at, :at)"
            ),
            {"code": code, "at": at},
        )
        conn.execute(
            text(
                "INSERT INTO assignments (kind, enterprise_code, official_id, valid_from) "
                "VALUES ('contact', :code, 'jz-vm', '2026-01-01')"
            ),
            {"code": code},
        )
    # The migration ran on a store with foreign keys on: they are on again after it.
    migrate.upgrade(engine)
    with engine.begin() as conn:
        assert dict(conn.execute(text("SELECT id, role FROM officials")).all()) == {
            "jz-mayor": "head",
            "jz-vm": "deputy",
            "jf-mayor": "head",
        }
        assert conn.execute(text("SELECT jurisdiction_code FROM assignments")).scalar() == CITY
        conn.execute(text("UPDATE enterprises SET key_level = 'province'"))
    with pytest.raises(IntegrityError), engine.begin() as conn:  # foreign keys still enforced
        conn.execute(text("UPDATE assignments SET official_id = 'nobody'"))
    # A county contact beside the city one: one contact per level.
    app = make_app(empty_url)
    try:
        assign(app, code, "jf-mayor")
        assert {a.level: a.official for a in assignments_of(app, code)} == {
            CITY: "jz-vm",
            JIEFANG: "jf-mayor",
        }
    finally:
        app.close()


def test_migrations_build_exactly_the_tables_module(engine):
    migrate.upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "version_table": migrate.VERSION_TABLE,
                "include_name": lambda name, *_: not outside_metadata(name),
            },
        )
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_an_unmigrated_database_is_refused_with_the_command_to_run(empty_url):
    app = make_app(empty_url)
    try:
        with pytest.raises(StoreError) as info:
            list_enterprises(app)
    finally:
        app.close()
    assert "serviceframe db upgrade" in str(info.value)
    assert "empty" in str(info.value)


def test_an_older_schema_is_refused_with_the_command_to_run(engine, empty_url):
    first = first_revision()
    if first == migrate.head():
        pytest.skip("only one revision exists")
    migrate.upgrade(engine, first)
    app = make_app(empty_url)
    try:
        with pytest.raises(StoreError) as info:
            list_enterprises(app)
    finally:
        app.close()
    assert f"at schema {first}" in str(info.value)
    assert "serviceframe db upgrade" in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:1/test",  # nothing listens on port 1
        "sqlite:////nonexistent-serviceframe-dir/sub/x.db",
        "nosuchdialect://somewhere/db",
    ],
)
def test_a_broken_database_gives_store_error_not_a_driver_exception(url):
    app = bootstrap(Settings(acting_as="office", db_url=url, actor="test", load_entry_points=False))
    try:
        with pytest.raises(StoreError) as info:
            list_enterprises(app)
    finally:
        app.close()
    assert "database" in str(info.value)


def test_upgrade_on_an_unreachable_server_gives_store_error():
    engine = make_engine("postgresql://postgres:secret@127.0.0.1:1/test")
    try:
        with pytest.raises(StoreError) as info:
            migrate.upgrade(engine)
    finally:
        engine.dispose()
    assert "secret" not in str(info.value)  # the password is hidden


def test_resolve_url():
    assert resolve_url("x.db") == "sqlite:///x.db"
    assert resolve_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert resolve_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert resolve_url("sqlite:///a.db") == "sqlite:///a.db"


def test_json_columns_keep_chinese_unescaped(sf_small_app):
    with sf_small_app.engine.connect() as conn:
        name = conn.scalar(text("SELECT CAST(value AS TEXT) FROM settings WHERE key = 'name'"))
        contacts = conn.scalar(
            text("SELECT CAST(contacts AS TEXT) FROM enterprises WHERE credit_code = :c"),
            {"c": credit_code(JIEFANG, 1)},
        )
        events = conn.scalars(text("SELECT CAST(data AS TEXT) FROM events")).all()
    assert "测试市" in name and "\\u" not in name
    assert "联系人1" in contacts and "\\u" not in contacts
    assert events and all("\\u" not in e for e in events)


def test_constraint_violations_become_store_errors(sf_small_app):
    code = credit_code(JIEFANG, 1)
    with pytest.raises(StoreError), sf_small_app.uow() as uow:
        uow.assignments.start(AssignmentKind.CONTACT, code, "jz-vm", None, date.today(), CITY)
        # A second current contact of the same level breaks the partial unique index.
        uow.assignments.start(AssignmentKind.CONTACT, code, "jz-mayor", None, date.today(), CITY)
        uow.commit()
    with sf_small_app.uow() as uow:
        assert uow.assignments.for_enterprise(code) == []  # nothing half-written


def test_foreign_keys_are_enforced(sf_small_app):
    with pytest.raises(StoreError), sf_small_app.uow() as uow:
        uow.assignments.start(
            AssignmentKind.CONTACT, credit_code(JIEFANG, 99), "jz-vm", None, date.today(), CITY
        )
        uow.commit()


def test_timestamps_come_back_aware_in_utc(sf_small_app):
    with sf_small_app.engine.connect() as conn:
        row = conn.execute(text("SELECT credit_code FROM enterprises ORDER BY credit_code")).first()
    with sf_small_app.uow() as uow:
        events = uow.events.for_subject(f"enterprise:{row[0]}")
    assert events
    at = events[0]["at"]
    assert at.tzinfo is not None
    assert at.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - at).total_seconds()) < 3600


def test_a_rolled_back_unit_of_work_leaves_nothing(sf_small_app):
    code = credit_code(JIEFANG, 2)
    with sf_small_app.uow() as uow:
        uow.assignments.start(AssignmentKind.CONTACT, code, "jz-vm", None, date.today(), CITY)
        # no commit
    with sf_small_app.uow() as uow:
        assert uow.assignments.for_enterprise(code) == []


def test_units_of_work_one_after_another_reuse_the_warm_connection(engine):
    # A unit of work opened inside another leaves two connections in the pool; taking them
    # in turn made SQLite drop its page cache at every transaction (issue 11).
    with engine.connect() as outer, engine.connect() as inner:
        assert outer.connection.dbapi_connection is not inner.connection.dbapi_connection
    seen = set()
    for _ in range(3):
        with engine.connect() as conn:
            seen.add(id(conn.connection.dbapi_connection))
    assert len(seen) == 1
