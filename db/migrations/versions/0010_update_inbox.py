"""update inbox: every Telegram update stored before it is acknowledged (issue 13).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "update_inbox",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("update_id"),
    )
    op.create_index("ix_update_inbox_chat", "update_inbox", ["chat_id", "update_id"])
    op.create_index("ix_update_inbox_user", "update_inbox", ["user_id", "update_id"])
    op.create_index("ix_update_inbox_state", "update_inbox", ["state", "update_id"])


def downgrade() -> None:
    op.drop_index("ix_update_inbox_state", table_name="update_inbox")
    op.drop_index("ix_update_inbox_user", table_name="update_inbox")
    op.drop_index("ix_update_inbox_chat", table_name="update_inbox")
    op.drop_table("update_inbox")
