"""Major projects and their approval steps; service events and who was invited, came and borrowed

Revision ID: 0011
Revises: 0007
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

import serviceframe.store.tables

revision = "0011"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=100), nullable=True),
        sa.Column("enterprise_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("investment", sa.Integer(), nullable=False),
        sa.Column("industry", sa.String(length=5), server_default="", nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=6), nullable=False),
        sa.Column("leader", sa.String(length=64), nullable=True),
        sa.Column("lead_unit", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint("investment >= 0", name=op.f("ck_projects_investment")),
        sa.ForeignKeyConstraint(
            ["enterprise_code"],
            ["enterprises.credit_code"],
            name=op.f("fk_projects_enterprise_code_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["jurisdiction_code"],
            ["jurisdictions.code"],
            name=op.f("fk_projects_jurisdiction_code_jurisdictions"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_unit"], ["units.id"], name=op.f("fk_projects_lead_unit_units")
        ),
        sa.ForeignKeyConstraint(
            ["leader"], ["officials.id"], name=op.f("fk_projects_leader_officials")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("ref", name=op.f("uq_projects_ref")),
    )
    op.create_index(
        op.f("ix_projects_enterprise_code"), "projects", ["enterprise_code"], unique=False
    )
    op.create_index(
        op.f("ix_projects_jurisdiction_code"), "projects", ["jurisdiction_code"], unique=False
    )
    op.create_table(
        "project_steps",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("limit_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column(
            "submitted_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("due_provisional", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "finished_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('not_started', 'submitted', 'approved', 'returned', 'waived')",
            name=op.f("ck_project_steps_status"),
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_project_steps_issue_id_issues")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_steps_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_project_steps_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("project_id", "position", name=op.f("pk_project_steps")),
        sa.UniqueConstraint("project_id", "name", name="uq_project_steps_project_name"),
    )
    op.create_index("ix_project_steps_status_due", "project_steps", ["status", "due"], unique=False)
    op.create_index(op.f("ix_project_steps_unit_id"), "project_steps", ["unit_id"], unique=False)
    op.create_table(
        "service_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=6), nullable=False),
        sa.Column("place", sa.String(length=200), server_default="", nullable=False),
        sa.Column("organisers", sa.JSON(), nullable=False),
        sa.Column(
            "created_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "kind IN ('matchmaking', 'briefing', 'training')", name=op.f("ck_service_events_kind")
        ),
        sa.ForeignKeyConstraint(
            ["jurisdiction_code"],
            ["jurisdictions.code"],
            name=op.f("fk_service_events_jurisdiction_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_events")),
    )
    op.create_index(op.f("ix_service_events_date"), "service_events", ["date"], unique=False)
    op.create_table(
        "service_event_enterprises",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_code", sa.String(length=18), nullable=False),
        sa.Column(
            "invited_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.Column("bank", sa.String(length=100), server_default="", nullable=False),
        sa.Column("intended", sa.Integer(), server_default="0", nullable=False),
        sa.Column("signed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint(
            "intended >= 0 AND signed >= 0", name=op.f("ck_service_event_enterprises_amounts")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_code"],
            ["enterprises.credit_code"],
            name=op.f("fk_service_event_enterprises_enterprise_code_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["service_events.id"],
            name=op.f("fk_service_event_enterprises_event_id_service_events"),
        ),
        sa.PrimaryKeyConstraint(
            "event_id", "enterprise_code", name=op.f("pk_service_event_enterprises")
        ),
    )
    op.create_index(
        op.f("ix_service_event_enterprises_enterprise_code"),
        "service_event_enterprises",
        ["enterprise_code"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_service_event_enterprises_enterprise_code"), table_name="service_event_enterprises"
    )
    op.drop_table("service_event_enterprises")
    op.drop_index(op.f("ix_service_events_date"), table_name="service_events")
    op.drop_table("service_events")
    op.drop_index(op.f("ix_project_steps_unit_id"), table_name="project_steps")
    op.drop_index("ix_project_steps_status_due", table_name="project_steps")
    op.drop_table("project_steps")
    op.drop_index(op.f("ix_projects_jurisdiction_code"), table_name="projects")
    op.drop_index(op.f("ix_projects_enterprise_code"), table_name="projects")
    op.drop_table("projects")
