"""pending_questions.kind: 需要帮您登记报修吗？ (complaint) or 请问是哪一件？ (which_case)

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pending_questions") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False,
                                   server_default="complaint"))


def downgrade() -> None:
    with op.batch_alter_table("pending_questions") as batch:
        batch.drop_column("kind")
