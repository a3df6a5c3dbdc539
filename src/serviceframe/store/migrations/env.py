"""Alembic environment for serviceframe's own tables.

Run programmatically by ``serviceframe.store.migrate``: the caller passes a live connection in
``config.attributes["connection"]``. Batch mode lets ALTERs work on SQLite. The version table has
serviceframe's own name so that plugins can keep their own version tables beside it.
"""

from alembic import context

from serviceframe.store.database import VERSION_TABLE
from serviceframe.store.tables import declare_partial_indexes, metadata

connection = context.config.attributes["connection"]
declare_partial_indexes(connection.dialect.name)
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
