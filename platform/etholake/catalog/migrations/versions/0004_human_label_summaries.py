"""behavior_summaries.model_name holds a label set's identity (annotator:label_set) for human summaries

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("behavior_summaries", schema=None) as batch_op:
        batch_op.alter_column(
            "model_name", existing_type=sa.String(length=128), type_=sa.String(length=257), existing_nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("behavior_summaries", schema=None) as batch_op:
        batch_op.alter_column(
            "model_name", existing_type=sa.String(length=257), type_=sa.String(length=128), existing_nullable=True
        )
