"""dedupe inbound messages on (channel, group, msg_id): the same msg_id in another group is
another message

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_constraint("uq_inbound_channel_msg", type_="unique")
        batch.create_unique_constraint("uq_inbound_channel_group_msg",
                                       ["channel", "group_id", "msg_id"])


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_constraint("uq_inbound_channel_group_msg", type_="unique")
        batch.create_unique_constraint("uq_inbound_channel_msg", ["channel", "msg_id"])
