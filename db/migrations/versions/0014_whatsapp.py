"""whatsapp: WhatsApp chats (ids, phone, last inbound time) and inbound message ids (issue 17).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_chats",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_key", sa.String(128), nullable=False),
        sa.Column("wa_id", sa.String(32), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(), nullable=False),
        sa.Column("invited_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_key"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "whatsapp_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("wamid", sa.String(160), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wamid"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_whatsapp_messages_chat", "whatsapp_messages", ["chat_id"])
    op.create_index("ix_whatsapp_messages_received", "whatsapp_messages", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_whatsapp_messages_received", table_name="whatsapp_messages")
    op.drop_index("ix_whatsapp_messages_chat", table_name="whatsapp_messages")
    op.drop_table("whatsapp_messages")
    op.drop_table("whatsapp_chats")
