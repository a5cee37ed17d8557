"""assets.unique_key: at most one asset per derived result, even under concurrent runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unique_key", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint("uq_assets_unique_key", ["unique_key"])


def downgrade() -> None:
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_constraint("uq_assets_unique_key", type_="unique")
        batch_op.drop_column("unique_key")
