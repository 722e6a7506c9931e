"""media (photos with messages, attached to cases) and archive_cursors (how far the
WeCom 会话内容存档 feed has been read)

Revision ID: 0011_media_archive
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_media_archive"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("inbound_id", sa.Integer(), sa.ForeignKey("inbound_messages.id"),
                  nullable=False),
        sa.Column("group_id", sa.String(length=128), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id"), nullable=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_media_inbound_id", "media", ["inbound_id"])
    op.create_index("ix_media_case", "media", ["case_id", "kind"])
    op.create_index("ix_media_sender", "media", ["group_id", "member_id", "created_at"])
    op.create_table(
        "archive_cursors",
        sa.Column("corp_id", sa.String(length=64), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("archive_cursors")
    op.drop_index("ix_media_sender", table_name="media")
    op.drop_index("ix_media_case", table_name="media")
    op.drop_index("ix_media_inbound_id", table_name="media")
    op.drop_table("media")
