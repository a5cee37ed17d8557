"""feature sets, models, behavior and unit summaries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feature_sets",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hash"),
    )
    op.create_table(
        "behavior_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("annotations_id", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("behavior", sa.String(length=128), nullable=False),
        sa.Column("model_name", sa.String(length=128), nullable=True),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.Column("bout_count", sa.Integer(), nullable=False),
        sa.Column("total_duration_s", sa.Float(), nullable=False),
        sa.Column("mean_duration_s", sa.Float(), nullable=True),
        sa.Column("percent_of_session", sa.Float(), nullable=False),
        sa.Column("latency_s", sa.Float(), nullable=True),
        sa.Column("mean_interval_s", sa.Float(), nullable=True),
        sa.Column("session_duration_s", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["annotations_id"], ["assets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("annotations_id", "behavior", name="uq_summary_annotations_behavior"),
    )
    with op.batch_alter_table("behavior_summaries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_behavior_summaries_annotations_id"), ["annotations_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_behavior_summaries_behavior"), ["behavior"], unique=False)
        batch_op.create_index(batch_op.f("ix_behavior_summaries_session_id"), ["session_id"], unique=False)

    op.create_table(
        "models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("lab_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.String(length=32), nullable=False),
        sa.Column("behaviors", sa.JSON(), nullable=False),
        sa.Column("feature_set_hash", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stage_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("stage IN ('candidate', 'production', 'archived')", name="ck_model_stage"),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["lab_id"], ["labs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "version", name="uq_model_name_version"),
    )
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_models_lab_id"), ["lab_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_models_name"), ["name"], unique=False)

    op.create_table(
        "unit_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=128), nullable=False),
        sa.Column("region", sa.String(length=128), nullable=True),
        sa.Column("behavior", sa.String(length=128), nullable=False),
        sa.Column("rate_in_hz", sa.Float(), nullable=True),
        sa.Column("rate_out_hz", sa.Float(), nullable=True),
        sa.Column("modulation_index", sa.Float(), nullable=True),
        sa.Column("p_value", sa.Float(), nullable=True),
        sa.Column("q_value", sa.Float(), nullable=True),
        sa.Column("method", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("asset_id", "unit", "behavior", name="uq_unit_summary"),
    )
    with op.batch_alter_table("unit_summaries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_summaries_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_summaries_behavior"), ["behavior"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_summaries_session_id"), ["session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("unit_summaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_summaries_session_id"))
        batch_op.drop_index(batch_op.f("ix_unit_summaries_behavior"))
        batch_op.drop_index(batch_op.f("ix_unit_summaries_asset_id"))

    op.drop_table("unit_summaries")
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_models_name"))
        batch_op.drop_index(batch_op.f("ix_models_lab_id"))

    op.drop_table("models")
    with op.batch_alter_table("behavior_summaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_behavior_summaries_session_id"))
        batch_op.drop_index(batch_op.f("ix_behavior_summaries_behavior"))
        batch_op.drop_index(batch_op.f("ix_behavior_summaries_annotations_id"))

    op.drop_table("behavior_summaries")
    op.drop_table("feature_sets")
