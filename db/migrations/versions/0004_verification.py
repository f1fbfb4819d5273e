"""verification tables: verified chat-porsi links, failed attempts, personal-data audit log.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verified_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("porsi", sa.String(length=10), nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verified_links")),
        sa.UniqueConstraint("chat_id", "porsi", name="uq_verified_links_chat_porsi"),
    )
    op.create_index("ix_verified_links_porsi", "verified_links", ["porsi"])
    op.create_index("ix_verified_links_expires_at", "verified_links", ["expires_at"])
    op.create_table(
        "verification_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("porsi", sa.String(length=10), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_failures")),
    )
    op.create_index("ix_verification_failures_porsi_at", "verification_failures",
                    ["porsi", "failed_at"])
    op.create_index("ix_verification_failures_chat_at", "verification_failures",
                    ["chat_id", "failed_at"])
    op.create_table(
        "personal_data_views",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("porsi", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("viewed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_data_views")),
    )
    op.create_index("ix_personal_data_views_porsi_at", "personal_data_views",
                    ["porsi", "viewed_at"])
    op.create_index("ix_personal_data_views_chat_at", "personal_data_views",
                    ["chat_id", "viewed_at"])


def downgrade() -> None:
    op.drop_index("ix_personal_data_views_chat_at", table_name="personal_data_views")
    op.drop_index("ix_personal_data_views_porsi_at", table_name="personal_data_views")
    op.drop_table("personal_data_views")
    op.drop_index("ix_verification_failures_chat_at", table_name="verification_failures")
    op.drop_index("ix_verification_failures_porsi_at", table_name="verification_failures")
    op.drop_table("verification_failures")
    op.drop_index("ix_verified_links_expires_at", table_name="verified_links")
    op.drop_index("ix_verified_links_porsi", table_name="verified_links")
    op.drop_table("verified_links")
