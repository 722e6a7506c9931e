"""desk_tokens: the desk's one-time sign-in links (hashes only); an index of cases by
community and state (the desk's board)

Revision ID: 0007_desk
Revises: 0011_media_archive
"""
import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0007_desk"
down_revision = "0011_media_archive"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "desk_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("expires_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("used_at", storage.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_cases_community_state", "cases", ["community_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_cases_community_state", table_name="cases")
    op.drop_table("desk_tokens")
