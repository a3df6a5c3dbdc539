"""Routing and escalation: the ladder, supervision orders, clusters, the executive meeting agenda

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

import serviceframe.store.tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clusters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("category", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=6), nullable=False),
        sa.Column("rung", sa.String(length=24), nullable=False),
        sa.Column("official", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=500), server_default="", nullable=False),
        sa.Column("status", sa.String(length=10), server_default="open", nullable=False),
        sa.Column(
            "created_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "resolved_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("resolution", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clusters")),
    )
    with op.batch_alter_table("clusters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clusters_topic"), ["topic"], unique=False)

    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["jurisdiction"],
            ["jurisdictions.code"],
            name=op.f("fk_meetings_jurisdiction_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("jurisdiction", "date", name="uq_meetings_jurisdiction_date"),
    )
    op.create_table(
        "agenda_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "queued_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("decision", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "decided_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "(issue_id IS NULL) <> (cluster_id IS NULL)", name=op.f("ck_agenda_items_one_subject")
        ),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["clusters.id"], name=op.f("fk_agenda_items_cluster_id_clusters")
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_agenda_items_issue_id_issues")
        ),
        sa.ForeignKeyConstraint(
            ["jurisdiction"],
            ["jurisdictions.code"],
            name=op.f("fk_agenda_items_jurisdiction_jurisdictions"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_agenda_items_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_items")),
        sa.UniqueConstraint("cluster_id", name=op.f("uq_agenda_items_cluster_id")),
        sa.UniqueConstraint("issue_id", name=op.f("uq_agenda_items_issue_id")),
    )
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agenda_items_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "issue_routing",
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=6), nullable=False),
        sa.Column("rung", sa.String(length=24), nullable=False),
        sa.Column("official", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=500), server_default="", nullable=False),
        sa.Column("informed", sa.JSON(), nullable=False),
        sa.Column("escalations", sa.Integer(), server_default="0", nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=True),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("agenda_item_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "updated_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["clusters.id"], name=op.f("fk_issue_routing_cluster_id_clusters")
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_issue_routing_issue_id_issues")
        ),
        sa.ForeignKeyConstraint(
            ["level"], ["jurisdictions.code"], name=op.f("fk_issue_routing_level_jurisdictions")
        ),
        sa.ForeignKeyConstraint(
            ["official"], ["officials.id"], name=op.f("fk_issue_routing_official_officials")
        ),
        sa.PrimaryKeyConstraint("issue_id", name=op.f("pk_issue_routing")),
    )
    with op.batch_alter_table("issue_routing", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issue_routing_cluster_id"), ["cluster_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_issue_routing_official"), ["official"], unique=False)
        batch_op.create_index(batch_op.f("ix_issue_routing_topic"), ["topic"], unique=False)

    op.create_table(
        "supervision_orders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.String(length=12), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("overdue_unit", sa.String(length=64), nullable=True),
        sa.Column("overdue_official", sa.String(length=64), nullable=True),
        sa.Column("from_level", sa.String(length=6), nullable=False),
        sa.Column("from_rung", sa.String(length=24), nullable=False),
        sa.Column("from_official", sa.String(length=64), nullable=True),
        sa.Column("to_level", sa.String(length=6), nullable=False),
        sa.Column("to_rung", sa.String(length=24), nullable=False),
        sa.Column("to_official", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_supervision_orders_issue_id_issues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_orders")),
        sa.UniqueConstraint(
            "issue_id", "deadline", "round", "due", name="uq_supervision_orders_breach"
        ),
    )
    with op.batch_alter_table("supervision_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supervision_orders_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_supervision_orders_issue_id"), ["issue_id"], unique=False
        )

    # Partial indexes: only the issues in which each deadline can still be missed.
    for name, column, condition in (
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
    ):
        op.create_index(
            name,
            "issues",
            ["status", column],
            unique=False,
            sqlite_where=sa.text(condition),
            postgresql_where=sa.text(condition),
        )


def downgrade() -> None:
    for name in (
        "ix_issues_status_resolve_due",
        "ix_issues_status_feedback_due",
        "ix_issues_status_ack_due",
    ):
        op.drop_index(name, table_name="issues")

    with op.batch_alter_table("supervision_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_orders_issue_id"))
        batch_op.drop_index(batch_op.f("ix_supervision_orders_created_at"))

    op.drop_table("supervision_orders")
    with op.batch_alter_table("issue_routing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issue_routing_topic"))
        batch_op.drop_index(batch_op.f("ix_issue_routing_official"))
        batch_op.drop_index(batch_op.f("ix_issue_routing_cluster_id"))

    op.drop_table("issue_routing")
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_items_meeting_id"))

    op.drop_table("agenda_items")
    op.drop_table("meetings")
    with op.batch_alter_table("clusters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clusters_topic"))

    op.drop_table("clusters")
