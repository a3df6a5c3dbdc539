"""The store: SQLAlchemy Core tables, repositories, the unit of work, migrations.

Only code that touches the database imports this package (SQLAlchemy costs ~0.6 s to import).
"""
