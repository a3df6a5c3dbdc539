"""Operating indicators, early warnings and policy pushes (issue 13)

Revision ID: 0012
Revises: 0007
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

import serviceframe.store.tables

revision = "0012"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicators",
        sa.Column("enterprise_code", sa.String(length=18), nullable=False),
        sa.Column("indicator", sa.String(length=20), nullable=False),
        sa.Column("month_no", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column(
            "updated_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "indicator IN ('electricity', 'output', 'tax', 'employees')",
            name=op.f("ck_indicators_indicator"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_code"],
            ["enterprises.credit_code"],
            name=op.f("fk_indicators_enterprise_code_enterprises"),
        ),
        sa.PrimaryKeyConstraint(
            "enterprise_code", "indicator", "month_no", name=op.f("pk_indicators")
        ),
    )
    op.create_index(
        "ix_indicators_indicator_month_no", "indicators", ["indicator", "month_no"], unique=False
    )
    op.create_table(
        "warnings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("enterprise_code", sa.String(length=18), nullable=False),
        sa.Column("month_no", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("indicator", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("reference", sa.Float(), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column(
            "raised_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_code"],
            ["enterprises.credit_code"],
            name=op.f("fk_warnings_enterprise_code_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_warnings_issue_id_issues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warnings")),
        sa.UniqueConstraint(
            "enterprise_code", "month_no", "rule", name="uq_warnings_enterprise_month"
        ),
    )
    op.create_index(
        op.f("ix_warnings_enterprise_code"), "warnings", ["enterprise_code"], unique=False
    )
    op.create_index(op.f("ix_warnings_month_no"), "warnings", ["month_no"], unique=False)
    op.create_table(
        "policy_pushes",
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_code", sa.String(length=18), nullable=False),
        sa.Column(
            "pushed_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_code"],
            ["enterprises.credit_code"],
            name=op.f("fk_policy_pushes_enterprise_code_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name=op.f("fk_policy_pushes_policy_id_policies")
        ),
        sa.PrimaryKeyConstraint("policy_id", "enterprise_code", name=op.f("pk_policy_pushes")),
    )


def downgrade() -> None:
    op.drop_table("policy_pushes")
    op.drop_index(op.f("ix_warnings_month_no"), table_name="warnings")
    op.drop_index(op.f("ix_warnings_enterprise_code"), table_name="warnings")
    op.drop_table("warnings")
    op.drop_index("ix_indicators_indicator_month_no", table_name="indicators")
    op.drop_table("indicators")
