"""Test support that plugin authors reuse: fresh databases on SQLite or PostgreSQL.

Use it from a ``conftest.py`` with ``pytest_plugins = ["serviceframe.testing.fixtures"]``.
Set ``SERVICEFRAME_TEST_DB`` to a PostgreSQL URL (a database the user may connect to, such as
``postgresql://postgres@127.0.0.1:5432/test``) to run the same tests on PostgreSQL; each test
then gets its own database, cloned from a migrated template and dropped afterwards.

``serviceframe.testing.hostile`` runs a plugin through every hook of the mechanism and lists
what it broke of the plugin contract (``contract_failures(sf_db_url, plugin) == []``), and holds
the hostile plugins serviceframe's own suite is tested with (docs/plugins.md).
"""
