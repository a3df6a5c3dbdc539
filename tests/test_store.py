"""The store: migrations, schema, errors that never leak from the driver, Chinese in JSON.

Every test here runs on SQLite and, with ``SERVICEFRAME_TEST_DB`` set, on PostgreSQL.
"""

from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from serviceframe.app import Settings, bootstrap
from serviceframe.domain.assignment import AssignmentKind
from serviceframe.domain.enterprise import KeyLevel
from serviceframe.errors import StoreError
from serviceframe.services.enterprises import get_enterprise, list_enterprises
from serviceframe.services.organisation import organisation
from serviceframe.store import migrate
from serviceframe.store.database import make_engine, resolve_url
from serviceframe.store.tables import metadata, outside_metadata
from serviceframe.testing.fixtures import make_app
from serviceframe.testing.sample import JIEFANG, credit_code


@pytest.fixture
def empty_url(sf_empty_db_url):
    return sf_empty_db_url


@pytest.fixture
def engine(empty_url):
    engine = make_engine(empty_url)
    yield engine
    engine.dispose()


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
    migrate.require_head(engine)  # does not raise


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
        conn.execute(
            text(
                "INSERT INTO jurisdictions (code, name, kind, parent_code) VALUES "
                "('410800', '焦作市', 'city', NULL), ('410802', '解放区', 'district', '410800')"
            )
        )
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
    app = bootstrap(Settings(db_url=url, actor="test", load_entry_points=False))
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
        uow.assignments.start(AssignmentKind.CONTACT, code, "jz-vm", None, date.today())
        # A second current contact breaks the partial unique index.
        uow.assignments.start(AssignmentKind.CONTACT, code, "jz-mayor", None, date.today())
        uow.commit()
    with sf_small_app.uow() as uow:
        assert uow.assignments.for_enterprise(code) == []  # nothing half-written


def test_foreign_keys_are_enforced(sf_small_app):
    with pytest.raises(StoreError), sf_small_app.uow() as uow:
        uow.assignments.start(
            AssignmentKind.CONTACT, credit_code(JIEFANG, 99), "jz-vm", None, date.today()
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
        uow.assignments.start(AssignmentKind.CONTACT, code, "jz-vm", None, date.today())
        # no commit
    with sf_small_app.uow() as uow:
        assert uow.assignments.for_enterprise(code) == []
