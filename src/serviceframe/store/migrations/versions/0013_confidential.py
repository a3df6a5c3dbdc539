"""Identities: the confidential-reporter flag on issues

Revision ID: 0013
Revises: 0007
Create Date: 2026-11-29

An issue filed with ``confidential`` shows who raised it (its origin, the filer on its history)
only to the office (docs/identities.md). Existing issues are not confidential.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("confidential", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.drop_column("confidential")
