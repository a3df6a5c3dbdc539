"""Visits, symposiums and on-site office days (R5); ratings indexed by time for assessment

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import serviceframe.store.tables

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=100), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=6), nullable=False),
        sa.Column("subject", sa.String(length=200), server_default="", nullable=False),
        sa.Column("place", sa.String(length=200), server_default="", nullable=False),
        sa.Column(
            "recorded_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("kind IN ('visit', 'symposium', 'onsite')", name=op.f("ck_visits_kind")),
        sa.ForeignKeyConstraint(
            ["jurisdiction_code"],
            ["jurisdictions.code"],
            name=op.f("fk_visits_jurisdiction_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
        sa.UniqueConstraint("ref", name=op.f("uq_visits_ref")),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visits_date"), ["date"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_visits_jurisdiction_code"), ["jurisdiction_code"], unique=False
        )

    op.create_table(
        "visit_units",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_visit_units_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_visit_units_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("visit_id", "unit_id", name=op.f("pk_visit_units")),
    )
    with op.batch_alter_table("visit_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_units_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "visit_officials",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["official_id"], ["officials.id"], name=op.f("fk_visit_officials_official_id_officials")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_visit_officials_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("visit_id", "official_id", name=op.f("pk_visit_officials")),
    )
    with op.batch_alter_table("visit_officials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_visit_officials_official_id"), ["official_id"], unique=False
        )

    op.create_table(
        "visit_enterprises",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_code", sa.String(length=18), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_code"],
            ["enterprises.credit_code"],
            name=op.f("fk_visit_enterprises_enterprise_code_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_visit_enterprises_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("visit_id", "enterprise_code", name=op.f("pk_visit_enterprises")),
    )
    with op.batch_alter_table("visit_enterprises", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_visit_enterprises_enterprise_code"), ["enterprise_code"], unique=False
        )

    op.create_table(
        "visit_findings",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("enterprise_code", sa.String(length=18), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("problem", sa.Boolean(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_code"],
            ["enterprises.credit_code"],
            name=op.f("fk_visit_findings_enterprise_code_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_visit_findings_issue_id_issues")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_visit_findings_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("visit_id", "position", name=op.f("pk_visit_findings")),
        sa.UniqueConstraint("issue_id", name=op.f("uq_visit_findings_issue_id")),
    )

    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ratings_rated_at"), ["rated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ratings_rated_at"))
    op.drop_table("visit_findings")
    for table, index in (
        ("visit_enterprises", "ix_visit_enterprises_enterprise_code"),
        ("visit_officials", "ix_visit_officials_official_id"),
        ("visit_units", "ix_visit_units_unit_id"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(index))
        op.drop_table(table)
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visits_jurisdiction_code"))
        batch_op.drop_index(batch_op.f("ix_visits_date"))
    op.drop_table("visits")
