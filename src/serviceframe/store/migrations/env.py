"""Alembic environment for serviceframe's own tables.

Run programmatically by ``serviceframe.store.migrate``: the caller passes a live connection in
``config.attributes["connection"]``. Batch mode lets ALTERs work on SQLite. The version table has
serviceframe's own name so that plugins can keep their own version tables beside it.
"""

from alembic import context

from serviceframe.store.database import VERSION_TABLE
from serviceframe.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    # The drift reference names its scratch schema: with the live schema still on the search
    # path, alembic would otherwise find the live version table and think itself at head.
    version_table_schema=context.config.attributes.get("version_schema"),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
