"""serviceframe's pytest plugin: installed with serviceframe, off until a project turns it on.

pytest loads it in every project where serviceframe is installed (entry point ``pytest11``),
so it adds nothing, and imports nothing, by itself: a project that does not use serviceframe's
fixtures sees no change but one ini key in ``pytest --help``. A plugin author turns it on in
pytest's configuration::

    [tool.pytest.ini_options]
    serviceframe = true

and gets the fixtures of :mod:`serviceframe.testing.fixtures` (``sf_db_url``, ``sf_app``,
``sf_small_app``, ``sf_clock``, ``jiaozuo_app``…) on SQLite, or on PostgreSQL with
``SERVICEFRAME_TEST_DB``, and can run the channel contract suite
(:class:`serviceframe.testing.channels.ChannelContract`). ``pytest_plugins =
["serviceframe.testing.fixtures"]`` in a ``conftest.py`` does the same.
"""

from typing import Any

FIXTURES = "serviceframe.testing.fixtures"


def pytest_addoption(parser: Any) -> None:
    parser.addini(
        "serviceframe",
        type="bool",
        default=False,
        help="serviceframe: provide its fixtures (sf_app, sf_small_app, …) and contract suites",
    )


def pytest_configure(config: Any) -> None:
    if config.getini("serviceframe") and not config.pluginmanager.has_plugin(FIXTURES):
        config.pluginmanager.import_plugin(FIXTURES)
