"""topic_cases (a 议题 linked to several cases: 未诉先办 hot spots) and hotspot_notices
(which hot spots the weekly post already announced)

Revision ID: 0008_insights
Revises: 0007_desk
"""
import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0008_insights"
down_revision = "0007_desk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "topic_cases",
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("topic_id", "case_id"),
    )
    op.create_index("ix_topic_cases_case_id", "topic_cases", ["case_id"])
    op.create_table(
        "hotspot_notices",
        sa.Column("community_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("announced_at", storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("community_id", "key"),
    )


def downgrade() -> None:
    op.drop_table("hotspot_notices")
    op.drop_index("ix_topic_cases_case_id", table_name="topic_cases")
    op.drop_table("topic_cases")
