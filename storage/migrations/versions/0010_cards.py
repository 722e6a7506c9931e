"""Template cards: outbound_messages.card, the cards sent and the taps on them

Revision ID: 0010_cards
Revises: 0008_insights
"""
import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0010_cards"
down_revision = "0009_fastpath"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages") as batch:
        batch.add_column(sa.Column("card", sa.JSON(), nullable=True))
    op.create_table(
        "cards",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("group_id", sa.String(length=128), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("buttons", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id"),
    )
    op.create_table(
        "card_taps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("userid", sa.String(length=128), nullable=False),
        sa.Column("button_key", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=300), nullable=False),
        sa.Column("at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("card_id", "userid", "button_key", name="uq_card_tap_once"),
    )
    op.create_index("ix_card_taps_card_id", "card_taps", ["card_id"])


def downgrade() -> None:
    op.drop_index("ix_card_taps_card_id", table_name="card_taps")
    op.drop_table("card_taps")
    op.drop_table("cards")
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_column("card")
