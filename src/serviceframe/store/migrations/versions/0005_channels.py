"""Channels and the outbox: addresses, the transactional outbox, its attempts, inbound messages

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-29
"""

import re

import sqlalchemy as sa
from alembic import op

import serviceframe.store.tables

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC_DATETIME = serviceframe.store.tables.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("officials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("addresses", sa.JSON(), server_default="{}", nullable=False))
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("addresses", sa.JSON(), server_default="{}", nullable=False))

    contact_addresses = op.create_table(
        "contact_addresses",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("enterprise_code", sa.String(length=18), nullable=False),
        sa.Column("contact", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_code"],
            ["enterprises.credit_code"],
            name=op.f("fk_contact_addresses_enterprise_code_enterprises"),
        ),
        sa.PrimaryKeyConstraint(
            "kind", "value", "enterprise_code", name=op.f("pk_contact_addresses")
        ),
    )
    with op.batch_alter_table("contact_addresses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_addresses_enterprise_code"), ["enterprise_code"], unique=False
        )
    _index_existing_contacts(contact_addresses)

    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("received_at", UTC_DATETIME, nullable=False),
        sa.Column("sender", sa.String(length=300), server_default="", nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(
            "status IN ('received', 'filed', 'replied', 'rated', 'quarantined', 'dismissed')",
            name=op.f("ck_inbound_messages_status"),
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_inbound_messages_issue_id_issues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint("channel", "message_id", name="uq_inbound_messages_channel_message"),
    )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_issue_id"), ["issue_id"], unique=False
        )
        batch_op.create_index(
            "ix_inbound_messages_quarantined",
            ["id"],
            unique=False,
            sqlite_where=sa.text("status = 'quarantined'"),
            postgresql_where=sa.text("status = 'quarantined'"),
        )

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("recipient_kind", sa.String(length=10), nullable=False),
        sa.Column("recipient_id", sa.String(length=100), nullable=False),
        sa.Column("recipient_name", sa.String(length=100), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("address", sa.String(length=300), server_default="", nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("round", sa.Integer(), nullable=True),
        sa.Column("cause", sa.String(length=100), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", UTC_DATETIME, nullable=False),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("sent_at", UTC_DATETIME, nullable=True),
        sa.Column("receipt", sa.String(length=300), server_default="", nullable=False),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed')", name=op.f("ck_outbox_status")
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_outbox_issue_id_issues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_channel_address", ["channel", "address"], unique=False)
        batch_op.create_index(
            "ix_outbox_due",
            ["next_attempt_at"],
            unique=False,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index(batch_op.f("ix_outbox_issue_id"), ["issue_id"], unique=False)
        batch_op.create_index(
            "ix_outbox_sending",
            ["claimed_at"],
            unique=False,
            sqlite_where=sa.text("status = 'sending'"),
            postgresql_where=sa.text("status = 'sending'"),
        )
        batch_op.create_index("ix_outbox_status_id", ["status", "id"], unique=False)

    op.create_table(
        "outbox_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_outbox_attempts_outbox_id_outbox")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attempts")),
    )
    with op.batch_alter_table("outbox_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_attempts_outbox_id"), ["outbox_id"], unique=False
        )


def _index_existing_contacts(contact_addresses: sa.Table) -> None:
    """The addresses of the enterprises already registered. The normal form is written out
    here, not imported, so that this revision does the same thing whatever the code becomes."""
    conn = op.get_bind()
    enterprises = sa.table(
        "enterprises", sa.column("credit_code", sa.String), sa.column("contacts", sa.JSON)
    )
    rows: dict[tuple[str, str, str], dict[str, object]] = {}
    for code, contacts in conn.execute(
        sa.select(enterprises.c.credit_code, enterprises.c.contacts)
    ):
        for position, contact in enumerate(contacts or []):
            email = (contact.get("email") or "").strip().lower()
            digits = re.sub(r"\D", "", contact.get("phone") or "")
            for prefix in ("0086", "86"):
                if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
                    digits = digits[len(prefix) :]
                    break
            for kind, value in (("email", email), ("phone", digits)):
                if value and len(value) <= 200:
                    rows.setdefault(
                        (kind, value, code),
                        {
                            "kind": kind,
                            "value": value,
                            "enterprise_code": code,
                            "contact": position,
                        },
                    )
    if rows:
        op.bulk_insert(contact_addresses, list(rows.values()))


def downgrade() -> None:
    for table in ("outbox_attempts", "outbox", "inbound_messages", "contact_addresses"):
        op.drop_table(table)
    for table in ("units", "officials"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("addresses")
