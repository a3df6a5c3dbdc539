"""foundation: organisation, enterprises, assignments, events

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

import serviceframe.store.tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_subject"), ["subject"], unique=False)

    op.create_table(
        "jurisdictions",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("parent_code", sa.String(length=6), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["jurisdictions.code"],
            name=op.f("fk_jurisdictions_parent_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_jurisdictions")),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "enterprises",
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=6), nullable=False),
        sa.Column("industry", sa.String(length=5), nullable=False),
        sa.Column("key_level", sa.String(length=10), server_default="none", nullable=False),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("address", sa.String(length=300), server_default="", nullable=False),
        sa.Column(
            "created_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "key_level IN ('none', 'county', 'city')", name=op.f("ck_enterprises_key_level")
        ),
        sa.ForeignKeyConstraint(
            ["jurisdiction_code"],
            ["jurisdictions.code"],
            name=op.f("fk_enterprises_jurisdiction_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("credit_code", name=op.f("pk_enterprises")),
    )
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enterprises_jurisdiction_code"), ["jurisdiction_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_enterprises_key_level"), ["key_level"], unique=False)

    op.create_table(
        "units",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("phone", sa.String(length=50), server_default="", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["jurisdiction_code"],
            ["jurisdictions.code"],
            name=op.f("fk_units_jurisdiction_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
    )
    op.create_table(
        "officials",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=6), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=50), server_default="", nullable=False),
        sa.Column("email", sa.String(length=200), server_default="", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["jurisdiction_code"],
            ["jurisdictions.code"],
            name=op.f("fk_officials_jurisdiction_code_jurisdictions"),
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_officials_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officials")),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("enterprise_code", sa.String(length=18), nullable=False),
        sa.Column("official_id", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("ended_reason", sa.String(length=200), server_default="", nullable=False),
        sa.CheckConstraint(
            "kind = 'contact' OR unit_id IS NOT NULL", name=op.f("ck_assignments_liaison_has_unit")
        ),
        sa.CheckConstraint("kind IN ('contact', 'liaison')", name=op.f("ck_assignments_kind")),
        sa.ForeignKeyConstraint(
            ["enterprise_code"],
            ["enterprises.credit_code"],
            name=op.f("fk_assignments_enterprise_code_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["official_id"], ["officials.id"], name=op.f("fk_assignments_official_id_officials")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_assignments_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assignments_enterprise_code"), ["enterprise_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_assignments_official_id"), ["official_id"], unique=False
        )
        batch_op.create_index(
            "uq_assignments_current_contact",
            ["enterprise_code"],
            unique=True,
            sqlite_where=sa.text("kind = 'contact' AND valid_to IS NULL"),
            postgresql_where=sa.text("kind = 'contact' AND valid_to IS NULL"),
        )
        batch_op.create_index(
            "uq_assignments_current_liaison",
            ["enterprise_code", "unit_id"],
            unique=True,
            sqlite_where=sa.text("kind = 'liaison' AND valid_to IS NULL"),
            postgresql_where=sa.text("kind = 'liaison' AND valid_to IS NULL"),
        )

    op.create_table(
        "leading_groups",
        sa.Column("jurisdiction_code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("leader_id", sa.String(length=64), nullable=False),
        sa.Column("office_unit_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["jurisdiction_code"],
            ["jurisdictions.code"],
            name=op.f("fk_leading_groups_jurisdiction_code_jurisdictions"),
        ),
        sa.ForeignKeyConstraint(
            ["leader_id"], ["officials.id"], name=op.f("fk_leading_groups_leader_id_officials")
        ),
        sa.ForeignKeyConstraint(
            ["office_unit_id"], ["units.id"], name=op.f("fk_leading_groups_office_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("jurisdiction_code", name=op.f("pk_leading_groups")),
    )
    op.create_table(
        "portfolio_categories",
        sa.Column("official_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["officials.id"],
            name=op.f("fk_portfolio_categories_official_id_officials"),
        ),
        sa.PrimaryKeyConstraint("official_id", "category", name=op.f("pk_portfolio_categories")),
    )
    op.create_table(
        "portfolio_units",
        sa.Column("official_id", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["official_id"], ["officials.id"], name=op.f("fk_portfolio_units_official_id_officials")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_portfolio_units_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("official_id", "unit_id", name=op.f("pk_portfolio_units")),
    )
    op.create_table(
        "group_deputies",
        sa.Column("jurisdiction_code", sa.String(length=6), nullable=False),
        sa.Column("official_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["jurisdiction_code"],
            ["leading_groups.jurisdiction_code"],
            name=op.f("fk_group_deputies_jurisdiction_code_leading_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["official_id"], ["officials.id"], name=op.f("fk_group_deputies_official_id_officials")
        ),
        sa.PrimaryKeyConstraint("jurisdiction_code", "official_id", name=op.f("pk_group_deputies")),
    )
    op.create_table(
        "group_members",
        sa.Column("jurisdiction_code", sa.String(length=6), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["jurisdiction_code"],
            ["leading_groups.jurisdiction_code"],
            name=op.f("fk_group_members_jurisdiction_code_leading_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_group_members_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("jurisdiction_code", "unit_id", name=op.f("pk_group_members")),
    )


def downgrade() -> None:
    op.drop_table("group_members")
    op.drop_table("group_deputies")
    op.drop_table("portfolio_units")
    op.drop_table("portfolio_categories")
    op.drop_table("leading_groups")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_assignments_current_liaison",
            sqlite_where=sa.text("kind = 'liaison' AND valid_to IS NULL"),
            postgresql_where=sa.text("kind = 'liaison' AND valid_to IS NULL"),
        )
        batch_op.drop_index(
            "uq_assignments_current_contact",
            sqlite_where=sa.text("kind = 'contact' AND valid_to IS NULL"),
            postgresql_where=sa.text("kind = 'contact' AND valid_to IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_assignments_official_id"))
        batch_op.drop_index(batch_op.f("ix_assignments_enterprise_code"))

    op.drop_table("assignments")
    op.drop_table("officials")
    op.drop_table("units")
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprises_key_level"))
        batch_op.drop_index(batch_op.f("ix_enterprises_jurisdiction_code"))

    op.drop_table("enterprises")
    op.drop_table("settings")
    op.drop_table("jurisdictions")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_subject"))

    op.drop_table("events")
