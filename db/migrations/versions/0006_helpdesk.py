"""helpdesk tables: tickets, messages (mapping both ways + outbox), blocks, ticket counters.

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
    op.create_table(
        "helpdesk_tickets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("month", sa.String(4), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("lang", sa.String(4), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("topic_closed", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=True),
        sa.Column("agent_name", sa.String(64), nullable=True),
        sa.Column("porsi", sa.String(10), nullable=True),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("waiting_since", sa.DateTime(), nullable=True),
        sa.Column("first_response_at", sa.DateTime(), nullable=True),
        sa.Column("last_person_at", sa.DateTime(), nullable=True),
        sa.Column("last_agent_at", sa.DateTime(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by", sa.String(10), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helpdesk_tickets")),
        sa.UniqueConstraint("code", name=op.f("uq_helpdesk_tickets_code")),
        sa.UniqueConstraint("month", "seq", name="uq_helpdesk_tickets_month_seq"),
    )
    op.create_index("ix_helpdesk_tickets_chat_state", "helpdesk_tickets", ["chat_id", "state"])
    op.create_index("ix_helpdesk_tickets_thread", "helpdesk_tickets", ["thread_id"])
    op.create_table(
        "helpdesk_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(4), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("person_message_id", sa.BigInteger(), nullable=True),
        sa.Column("topic_message_id", sa.BigInteger(), nullable=True),
        sa.Column("reply_to_message_id", sa.BigInteger(), nullable=True),
        sa.Column("agent_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(120), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["helpdesk_tickets.id"], ondelete="CASCADE",
                                name=op.f("fk_helpdesk_messages_ticket_id_helpdesk_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helpdesk_messages")),
    )
    op.create_index("ix_helpdesk_messages_ticket", "helpdesk_messages", ["ticket_id", "id"])
    op.create_index("ix_helpdesk_messages_status", "helpdesk_messages",
                    ["status", "next_attempt_at"])
    op.create_index("ix_helpdesk_messages_topic_msg", "helpdesk_messages", ["topic_message_id"])
    op.create_table(
        "helpdesk_blocks",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("blocked_at", sa.DateTime(), nullable=False),
        sa.Column("blocked_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_helpdesk_blocks")),
    )
    op.create_table(
        "helpdesk_counters",
        sa.Column("month", sa.String(4), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_helpdesk_counters")),
    )


def downgrade() -> None:
    op.drop_table("helpdesk_counters")
    op.drop_table("helpdesk_blocks")
    op.drop_index("ix_helpdesk_messages_topic_msg", table_name="helpdesk_messages")
    op.drop_index("ix_helpdesk_messages_status", table_name="helpdesk_messages")
    op.drop_index("ix_helpdesk_messages_ticket", table_name="helpdesk_messages")
    op.drop_table("helpdesk_messages")
    op.drop_index("ix_helpdesk_tickets_thread", table_name="helpdesk_tickets")
    op.drop_index("ix_helpdesk_tickets_chat_state", table_name="helpdesk_tickets")
    op.drop_table("helpdesk_tickets")
