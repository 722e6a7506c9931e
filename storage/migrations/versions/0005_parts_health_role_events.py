"""outbound_messages.parts_sent, the webhook_health facts, role_events and
members.roster_roles

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages") as batch:
        batch.add_column(sa.Column("parts_sent", sa.Integer(), nullable=False,
                                   server_default="0"))
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("roster_roles", sa.String(length=200), nullable=True))
    # the members the roster gave roles so far keep them as the roster's last word
    members = sa.table("members", sa.column("id", sa.Integer),
                       sa.column("roster_roles", sa.String))
    roles = sa.table("member_roles", sa.column("member_id", sa.Integer),
                     sa.column("role", sa.String), sa.column("source", sa.String))
    conn = op.get_bind()
    given: dict[int, list[str]] = {}
    for member_id, role in conn.execute(sa.select(roles.c.member_id, roles.c.role)
                                        .where(roles.c.source == "config")):
        given.setdefault(member_id, []).append(role)
    for member_id, codes in given.items():
        conn.execute(members.update().where(members.c.id == member_id)
                     .values(roster_roles=",".join(sorted(codes))))
    op.create_table(
        "webhook_health",
        sa.Column("group_id", sa.String(length=128), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("since", storage.models.UTCDateTime(), nullable=False),
        sa.Column("checked_at", storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("group_id"),
    )
    op.create_table(
        "role_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("community_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("old_roles", sa.JSON(), nullable=False),
        sa.Column("new_roles", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.ForeignKeyConstraint(["actor_id"], ["members.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_role_events_community", "role_events", ["community_id", "id"])
    op.create_index("ix_role_events_member_id", "role_events", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_role_events_member_id", table_name="role_events")
    op.drop_index("ix_role_events_community", table_name="role_events")
    op.drop_table("role_events")
    op.drop_table("webhook_health")
    # members is referenced by foreign keys: no table copy (batch) on SQLite; its
    # ALTER TABLE DROP COLUMN (SQLite 3.35+) does it in place
    op.drop_column("members", "roster_roles")
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_column("parts_sent")
