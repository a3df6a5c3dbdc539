"""Issues: intake, lifecycle state, handling units, ratings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

import serviceframe.store.tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issues",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("enterprise_code", sa.String(length=18), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("origin", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("category", sa.Integer(), nullable=False),
        sa.Column("suggested_category", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column(
            "received_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("received_by", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("lead_unit", sa.String(length=64), nullable=True),
        sa.Column(
            "dispatched_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("ack_due", sa.Date(), nullable=True),
        sa.Column(
            "ack_provisional", sa.Boolean(), server_default=sa.text("(false)"), nullable=False
        ),
        sa.Column(
            "acknowledged_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("feedback_due", sa.Date(), nullable=True),
        sa.Column(
            "feedback_provisional", sa.Boolean(), server_default=sa.text("(false)"), nullable=False
        ),
        sa.Column(
            "first_feedback_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("resolve_due", sa.Date(), nullable=True),
        sa.Column(
            "resolve_provisional", sa.Boolean(), server_default=sa.text("(false)"), nullable=False
        ),
        sa.Column(
            "resolved_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("resolution", sa.Text(), server_default="", nullable=False),
        sa.Column("round", sa.Integer(), server_default="1", nullable=False),
        sa.Column("redo_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("satisfaction", sa.String(length=12), nullable=True),
        sa.Column("rated_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reject_reason", sa.String(length=500), server_default="", nullable=False),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("duplicates", sa.Integer(), server_default="0", nullable=False),
        sa.Column("possible_duplicates", sa.JSON(), nullable=False),
        sa.Column(
            "updated_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "severity IN ('general', 'major', 'policy')", name=op.f("ck_issues_severity")
        ),
        sa.CheckConstraint("category BETWEEN 0 AND 9", name=op.f("ck_issues_category")),
        sa.ForeignKeyConstraint(
            ["enterprise_code"],
            ["enterprises.credit_code"],
            name=op.f("fk_issues_enterprise_code_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_unit"], ["units.id"], name=op.f("fk_issues_lead_unit_units")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into"], ["issues.id"], name=op.f("fk_issues_merged_into_issues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issues")),
    )
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issues_enterprise_code"), ["enterprise_code"], unique=False
        )
        batch_op.create_index(
            "ix_issues_enterprise_received", ["enterprise_code", "received_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_issues_lead_unit"), ["lead_unit"], unique=False)
        batch_op.create_index(batch_op.f("ix_issues_received_at"), ["received_at"], unique=False)
        batch_op.create_index("ix_issues_status_received", ["status", "received_at"], unique=False)
        batch_op.create_index(
            "uq_issues_source_external_id",
            ["source", "external_id"],
            unique=True,
            sqlite_where=sa.text("external_id IS NOT NULL"),
            postgresql_where=sa.text("external_id IS NOT NULL"),
        )

    op.create_table(
        "issue_units",
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=4), nullable=False),
        sa.CheckConstraint("role IN ('lead', 'co')", name=op.f("ck_issue_units_role")),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_issue_units_issue_id_issues")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_issue_units_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("issue_id", "unit_id", name=op.f("pk_issue_units")),
    )
    with op.batch_alter_table("issue_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issue_units_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "ratings",
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("satisfaction", sa.String(length=12), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("rated_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rated_by", sa.String(length=100), nullable=False),
        sa.Column("lead_unit", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "satisfaction IN ('satisfied', 'basic', 'unsatisfied')",
            name=op.f("ck_ratings_satisfaction"),
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_ratings_issue_id_issues")
        ),
        sa.ForeignKeyConstraint(
            ["lead_unit"], ["units.id"], name=op.f("fk_ratings_lead_unit_units")
        ),
        sa.PrimaryKeyConstraint("issue_id", "round", name=op.f("pk_ratings")),
    )
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ratings_lead_unit"), ["lead_unit"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ratings_lead_unit"))

    op.drop_table("ratings")
    with op.batch_alter_table("issue_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issue_units_unit_id"))

    op.drop_table("issue_units")
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_issues_source_external_id",
            sqlite_where=sa.text("external_id IS NOT NULL"),
            postgresql_where=sa.text("external_id IS NOT NULL"),
        )
        batch_op.drop_index("ix_issues_status_received")
        batch_op.drop_index(batch_op.f("ix_issues_received_at"))
        batch_op.drop_index(batch_op.f("ix_issues_lead_unit"))
        batch_op.drop_index("ix_issues_enterprise_received")
        batch_op.drop_index(batch_op.f("ix_issues_enterprise_code"))

    op.drop_table("issues")
