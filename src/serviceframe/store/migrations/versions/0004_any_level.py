"""Any level of government: level-neutral roles and rungs, province key enterprises, one
contact leader per level, supervision orders with a reply limit, follow-ups and long-overdue
listings

Revision ID: 0004
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import serviceframe.store.tables

revision = "0004"
down_revision = "0006"
branch_labels = None
depends_on = None

# The first release's names for the rungs of a government's ladder, and the neutral ones.
RENAMED = {"mayor": "head", "executive_vice_mayor": "executive_deputy", "vice_mayor": "deputy"}

# Mutable tables that name a role or a rung. Events keep their old names: they are the record,
# and reading them accepts both (serviceframe.domain.routing.Rung).
ROLE_COLUMNS = (
    ("officials", "role"),
    ("issue_routing", "rung"),
    ("supervision_orders", "from_rung"),
    ("supervision_orders", "to_rung"),
    ("clusters", "rung"),
)


def _rename(mapping: dict[str, str]) -> None:
    for table, column in ROLE_COLUMNS:
        for old, new in mapping.items():
            op.execute(
                sa.text(f"UPDATE {table} SET {column} = :new WHERE {column} = :old").bindparams(
                    old=old, new=new
                )
            )


def upgrade() -> None:
    _rename(RENAMED)

    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_enterprises_key_level"), type_="check")
        batch_op.create_check_constraint(
            "key_level", "key_level IN ('none', 'county', 'city', 'province')"
        )

    # Each assignment belongs to the level its official serves; a contact is unique per
    # enterprise and level (a province key enterprise has a province, city and county contact).
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("jurisdiction_code", sa.String(length=6), nullable=True))
    op.execute(
        "UPDATE assignments SET jurisdiction_code = (SELECT officials.jurisdiction_code "
        "FROM officials WHERE officials.id = assignments.official_id)"
    )
    op.drop_index(
        "uq_assignments_current_contact",
        table_name="assignments",
        sqlite_where=sa.text("kind = 'contact' AND valid_to IS NULL"),
        postgresql_where=sa.text("kind = 'contact' AND valid_to IS NULL"),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.alter_column("jurisdiction_code", existing_type=sa.String(6), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_assignments_jurisdiction_code_jurisdictions"),
            "jurisdictions",
            ["jurisdiction_code"],
            ["code"],
        )
    op.create_index(
        "uq_assignments_current_contact",
        "assignments",
        ["enterprise_code", "jurisdiction_code"],
        unique=True,
        sqlite_where=sa.text("kind = 'contact' AND valid_to IS NULL"),
        postgresql_where=sa.text("kind = 'contact' AND valid_to IS NULL"),
    )

    with op.batch_alter_table("supervision_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_due", sa.Date(), nullable=True))
    with op.batch_alter_table("issue_routing", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_due", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "listed_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=True
            )
        )
    op.create_index(
        "ix_issue_routing_reply_due",
        "issue_routing",
        ["reply_due"],
        unique=False,
        sqlite_where=sa.text("reply_due IS NOT NULL"),
        postgresql_where=sa.text("reply_due IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_issue_routing_reply_due", table_name="issue_routing")
    with op.batch_alter_table("issue_routing", schema=None) as batch_op:
        batch_op.drop_column("listed_at")
        batch_op.drop_column("reply_due")
    with op.batch_alter_table("supervision_orders", schema=None) as batch_op:
        batch_op.drop_column("reply_due")

    op.drop_index("uq_assignments_current_contact", table_name="assignments")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_assignments_jurisdiction_code_jurisdictions"), type_="foreignkey"
        )
        batch_op.drop_column("jurisdiction_code")
    op.create_index(
        "uq_assignments_current_contact",
        "assignments",
        ["enterprise_code"],
        unique=True,
        sqlite_where=sa.text("kind = 'contact' AND valid_to IS NULL"),
        postgresql_where=sa.text("kind = 'contact' AND valid_to IS NULL"),
    )

    op.execute("UPDATE enterprises SET key_level = 'city' WHERE key_level = 'province'")
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_enterprises_key_level"), type_="check")
        batch_op.create_check_constraint("key_level", "key_level IN ('none', 'county', 'city')")

    _rename({new: old for old, new in RENAMED.items()})
