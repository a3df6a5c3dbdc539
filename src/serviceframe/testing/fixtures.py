"""pytest fixtures: ``sf_databases``, ``sf_db_url``, ``sf_app``, ``sf_small_app``, ``jiaozuo_app``.

``jiaozuo_app`` is the bundled example city (organisation, enterprises, assignments) on a fresh
database of its own, copied from a template built once per session. ``sf_small_app`` is the
small organisation of :mod:`serviceframe.testing.sample` with its four enterprises.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from serviceframe.app import App, Settings, bootstrap
from serviceframe.testing.databases import (
    PostgreSQLDatabases,
    SQLiteDatabases,
    empty,
    migrated,
    test_databases,
)


@pytest.fixture(scope="session")
def sf_databases() -> Iterator[SQLiteDatabases | PostgreSQLDatabases]:
    databases = test_databases()
    yield databases
    databases.close()


@pytest.fixture(scope="session")
def _sf_templates(sf_databases: SQLiteDatabases | PostgreSQLDatabases) -> dict[str, str]:
    return {}


def _maker(
    databases: SQLiteDatabases | PostgreSQLDatabases, templates: dict[str, str], made: list[str]
) -> Callable[[str, Callable[[str], None]], str]:
    def make(name: str, build: Callable[[str], None]) -> str:
        if name not in templates:
            templates[name] = databases.template(build)
        url = databases.clone(templates[name])
        made.append(url)
        return url

    return make


@pytest.fixture
def sf_make_db(
    sf_databases: SQLiteDatabases | PostgreSQLDatabases, _sf_templates: dict[str, str]
) -> Iterator[Callable[[str, Callable[[str], None]], str]]:
    """``make(name, builder)``: a fresh database copied from the session's template ``name``."""
    made: list[str] = []
    yield _maker(sf_databases, _sf_templates, made)
    for url in made:
        sf_databases.drop(url)


@pytest.fixture(scope="module")
def sf_make_module_db(
    sf_databases: SQLiteDatabases | PostgreSQLDatabases, _sf_templates: dict[str, str]
) -> Iterator[Callable[[str, Callable[[str], None]], str]]:
    """Like ``sf_make_db``, but the database lives as long as the test module.

    For fixtures shared by tests that only read (or only fail before writing): a database
    per test costs a copy, and on PostgreSQL a ``CREATE DATABASE``.
    """
    made: list[str] = []
    yield _maker(sf_databases, _sf_templates, made)
    for url in made:
        sf_databases.drop(url)


@pytest.fixture
def sf_empty_db_url(sf_make_db: Callable[[str, Callable[[str], None]], str]) -> str:
    """A fresh database without any tables: what ``serviceframe db upgrade`` starts from."""
    return sf_make_db("empty", empty)


@pytest.fixture
def sf_db_url(sf_make_db: Callable[[str, Callable[[str], None]], str]) -> str:
    """A fresh database at the current schema, empty."""
    return sf_make_db("migrated", migrated)


def make_app(url: str, plugins: tuple[Any, ...] = ()) -> App:
    return bootstrap(
        Settings(acting_as="office", db_url=url, actor="test", load_entry_points=False),
        plugins=plugins,
    )


@pytest.fixture
def sf_app(sf_db_url: str) -> Iterator[App]:
    app = make_app(sf_db_url)
    yield app
    app.close()


def _jiaozuo(url: str) -> None:
    from serviceframe.demo import load_example

    migrated(url)
    app = make_app(url)
    try:
        load_example(app)
    finally:
        app.close()


@pytest.fixture
def jiaozuo_url(sf_make_db: Callable[[str, Callable[[str], None]], str]) -> str:
    return sf_make_db("jiaozuo", _jiaozuo)


@pytest.fixture
def jiaozuo_app(jiaozuo_url: str) -> Iterator[App]:
    """The bundled city: organisation, enterprises and assignments loaded."""
    app = make_app(jiaozuo_url)
    yield app
    app.close()


def _small(url: str) -> None:
    import tempfile
    from pathlib import Path

    from serviceframe.services.enterprises import import_enterprises
    from serviceframe.services.organisation import load_organisation
    from serviceframe.testing.sample import SMALL_ENTERPRISES, write_csv, write_org

    migrated(url)
    app = make_app(url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            load_organisation(app, write_org(Path(tmp) / "organisation.toml"))
            import_enterprises(app, write_csv(Path(tmp) / "enterprises.csv", SMALL_ENTERPRISES))
    finally:
        app.close()


@pytest.fixture
def sf_small_app(sf_make_db: Callable[[str, Callable[[str], None]], str]) -> Iterator[App]:
    """The small organisation of :mod:`serviceframe.testing.sample` and its four enterprises."""
    app = make_app(sf_make_db("small", _small))
    yield app
    app.close()


@pytest.fixture(scope="module")
def sf_small_app_shared(
    sf_make_module_db: Callable[[str, Callable[[str], None]], str],
) -> Iterator[App]:
    """``sf_small_app`` shared by a module's tests: only for tests that change nothing."""
    app = make_app(sf_make_module_db("small", _small))
    yield app
    app.close()


@pytest.fixture
def sf_clock() -> Any:
    """A settable clock at Monday 12 October 2026, 09:00 Beijing time: ``app.clock = sf_clock``,
    then ``sf_clock.now += timedelta(days=3)`` moves the app's "now"."""
    from datetime import datetime

    from serviceframe.domain.workdays import SHANGHAI
    from serviceframe.testing.clock import Clock

    return Clock(datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI))
