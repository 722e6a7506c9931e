"""case_complainants(member_id): a resident's own open cases are found by member on every
complaint (the primary key starts with case_id, so without this the lookup read the whole
table, growing with every case ever opened)

Revision ID: 0009_fastpath
Revises: 0008_insights
"""
from alembic import op

revision = "0009_fastpath"
down_revision = "0008_insights"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_case_complainants_member", "case_complainants", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_case_complainants_member", table_name="case_complainants")
