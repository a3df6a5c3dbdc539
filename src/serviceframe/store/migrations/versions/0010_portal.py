"""The enterprise portal: sign-in codes, survey links, solicitation letters

Revision ID: 0010
Revises: 0007
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

import serviceframe.store.tables

revision = "0010"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC = serviceframe.store.tables.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "portal_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("enterprise_code", sa.String(length=18), nullable=False),
        sa.Column("contact", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("expires_at", UTC(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("used_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_code"],
            ["enterprises.credit_code"],
            name=op.f("fk_portal_codes_enterprise_code_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_codes")),
    )
    op.create_index(
        "ix_portal_codes_enterprise_code", "portal_codes", ["enterprise_code", "contact"]
    )
    op.create_table(
        "survey_links",
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("enterprise_code", sa.String(length=18), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("expires_at", UTC(timezone=True), nullable=False),
        sa.Column("used_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_survey_links_issue_id_issues")
        ),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_survey_links")),
    )
    op.create_index(op.f("ix_survey_links_issue_id"), "survey_links", ["issue_id"])
    op.create_table(
        "letters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letters")),
    )
    op.create_table(
        "letter_recipients",
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_code", sa.String(length=18), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("sent_at", UTC(timezone=True), nullable=False),
        sa.Column("answered_at", UTC(timezone=True), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("problem", sa.Text(), server_default="", nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_code"],
            ["enterprises.credit_code"],
            name=op.f("fk_letter_recipients_enterprise_code_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_letter_recipients_issue_id_issues")
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"], ["letters.id"], name=op.f("fk_letter_recipients_letter_id_letters")
        ),
        sa.PrimaryKeyConstraint("letter_id", "enterprise_code", name=op.f("pk_letter_recipients")),
        sa.UniqueConstraint("nonce", name=op.f("uq_letter_recipients_nonce")),
    )


def downgrade() -> None:
    op.drop_table("letter_recipients")
    op.drop_table("letters")
    op.drop_index(op.f("ix_survey_links_issue_id"), table_name="survey_links")
    op.drop_table("survey_links")
    op.drop_index("ix_portal_codes_enterprise_code", table_name="portal_codes")
    op.drop_table("portal_codes")
