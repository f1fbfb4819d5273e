"""notifications: subscriptions, outbox, sender lease, announcements, area quota (issue 16).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False, server_default="telegram"),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("porsi", sa.String(10), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False, server_default="id"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "chat_id", "porsi", name="uq_notify_sub_chat_porsi"),
    )
    op.create_index("ix_notify_sub_porsi", "notify_subscriptions", ["porsi"])
    op.create_index("ix_notify_sub_chat", "notify_subscriptions", ["chat_id"])
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False, server_default="telegram"),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("porsi", sa.String(10), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("lang", sa.String(2), nullable=False, server_default="id"),
        sa.Column("zone", sa.String(4), nullable=False, server_default="WIB"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_notify_outbox_key"),
    )
    op.create_index("ix_notify_outbox_due", "notify_outbox", ["state", "due_at"])
    op.create_index("ix_notify_outbox_chat", "notify_outbox", ["chat_id"])
    op.create_table(
        "notify_lease",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "notify_announcements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("filters", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "notify_area_quota",
        sa.Column("area", sa.String(8), nullable=False),
        sa.Column("season", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("area", "season"),
    )


def downgrade() -> None:
    op.drop_table("notify_area_quota")
    op.drop_table("notify_announcements")
    op.drop_table("notify_lease")
    op.drop_index("ix_notify_outbox_chat", table_name="notify_outbox")
    op.drop_index("ix_notify_outbox_due", table_name="notify_outbox")
    op.drop_table("notify_outbox")
    op.drop_index("ix_notify_sub_chat", table_name="notify_subscriptions")
    op.drop_index("ix_notify_sub_porsi", table_name="notify_subscriptions")
    op.drop_table("notify_subscriptions")
