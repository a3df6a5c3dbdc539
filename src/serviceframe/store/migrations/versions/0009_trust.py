"""Trust: databases built by an edited release of 0003 brought in line

Revision ID: 0009
Revises: 0003
Create Date: 2026-11-29

Two commits of the first routing release created revision 0003 otherwise than 0003 does now,
and such databases report "already at schema 0003": the first (8594e33) keyed supervision
orders by (issue, deadline, round) without the due date, and both it and the next (ccc38e5)
made the three sweep indexes on ``issues`` over every row instead of only the open issues. The
repair finds each of these by looking at the database and rebuilds only what differs, so it
changes nothing on a database that 0003 built as it is now.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0003"
branch_labels = None
depends_on = None

BREACH = ("issue_id", "deadline", "round", "due")
SWEEP_INDEXES = (
    ("ix_issues_status_ack_due", "ack_due", "status = 'dispatched'"),
    (
        "ix_issues_status_feedback_due",
        "feedback_due",
        "status IN ('dispatched', 'acknowledged') AND first_feedback_at IS NULL",
    ),
    (
        "ix_issues_status_resolve_due",
        "resolve_due",
        "status IN ('dispatched', 'acknowledged', 'in_progress', 'redo')",
    ),
)


def upgrade() -> None:
    repair_0003()


def repair_0003() -> None:
    bind = op.get_bind()
    # The schema being migrated (not necessarily the dialect's default one: `db check` builds
    # its fresh reference in a schema of its own).
    schema = (
        bind.execute(sa.text("SELECT current_schema()")).scalar()
        if bind.dialect.name == "postgresql"
        else None
    )
    inspector = sa.inspect(bind)
    keys = {
        u["name"]: tuple(u["column_names"])
        for u in inspector.get_unique_constraints("supervision_orders", schema=schema)
    }
    if keys.get("uq_supervision_orders_breach") != BREACH:
        with op.batch_alter_table("supervision_orders") as batch:
            batch.drop_constraint("uq_supervision_orders_breach", type_="unique")
            batch.create_unique_constraint("uq_supervision_orders_breach", list(BREACH))
    indexes = {i["name"]: i for i in inspector.get_indexes("issues", schema=schema)}
    for name, column, condition in SWEEP_INDEXES:
        found = indexes.get(name)
        options = found.get("dialect_options", {}) if found else {}
        partial = options.get("postgresql_where") or options.get("sqlite_where")
        if (
            found is not None
            and partial is not None
            and found["column_names"] == ["status", column]
        ):
            continue
        if found is not None:
            op.drop_index(name, table_name="issues")
        op.create_index(
            name,
            "issues",
            ["status", column],
            unique=False,
            sqlite_where=sa.text(condition),
            postgresql_where=sa.text(condition),
        )


def downgrade() -> None:
    pass  # the repaired shape is 0003's own: nothing to undo
