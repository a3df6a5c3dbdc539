"""Policy catalogue (涉企政策): policies, their categories, industries and sizes, the search index

Revision ID: 0007
Revises: 0009
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

import serviceframe.store.tables
from serviceframe.store import policy_search

revision = "0007"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("doc_no", sa.String(length=100), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("source_url", sa.String(length=500), server_default="", nullable=False),
        sa.Column("search_title", sa.Text(), nullable=False),
        sa.Column("search_body", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policies")),
    )
    op.create_index("uq_policies_doc_no", "policies", ["doc_no"], unique=True)
    op.create_index(
        "ix_policies_issuer_issued_on", "policies", ["issuer", "issued_on"], unique=False
    )
    op.create_table(
        "policy_categories",
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.Integer(), nullable=False),
        sa.CheckConstraint("category BETWEEN 1 AND 9", name=op.f("ck_policy_categories_category")),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name=op.f("fk_policy_categories_policy_id_policies")
        ),
        sa.PrimaryKeyConstraint("policy_id", "category", name=op.f("pk_policy_categories")),
    )
    op.create_index(
        op.f("ix_policy_categories_category"), "policy_categories", ["category"], unique=False
    )
    op.create_table(
        "policy_industries",
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("industry", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name=op.f("fk_policy_industries_policy_id_policies")
        ),
        sa.PrimaryKeyConstraint("policy_id", "industry", name=op.f("pk_policy_industries")),
    )
    op.create_index(
        op.f("ix_policy_industries_industry"), "policy_industries", ["industry"], unique=False
    )
    op.create_table(
        "policy_sizes",
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.String(length=10), nullable=False),
        sa.CheckConstraint(
            "size IN ('large', 'medium', 'small', 'micro')", name=op.f("ck_policy_sizes_size")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name=op.f("fk_policy_sizes_policy_id_policies")
        ),
        sa.PrimaryKeyConstraint("policy_id", "size", name=op.f("pk_policy_sizes")),
    )
    # The search index where the database can have it (FTS5 trigram, or pg_trgm); without
    # it search scans, and `serviceframe policy reindex` makes it later.
    policy_search.create(op.get_bind())


def downgrade() -> None:
    policy_search.drop(op.get_bind())
    op.drop_table("policy_sizes")
    op.drop_index(op.f("ix_policy_industries_industry"), table_name="policy_industries")
    op.drop_table("policy_industries")
    op.drop_index(op.f("ix_policy_categories_category"), table_name="policy_categories")
    op.drop_table("policy_categories")
    op.drop_index("ix_policies_issuer_issued_on", table_name="policies")
    op.drop_index("uq_policies_doc_no", table_name="policies")
    op.drop_table("policies")
