# The host's own fixtures: fresh migrated databases on SQLite, or on PostgreSQL when
# SERVICEFRAME_TEST_DB names one (sf_small_app, jiaozuo_app, ...).
pytest_plugins = ["serviceframe.testing.fixtures"]
