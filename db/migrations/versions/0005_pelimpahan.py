"""pelimpahan tables: the last assessed case per chat and its document checklist.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pelimpahan_cases",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("cause", sa.String(32), nullable=False),
        sa.Column("policy_version", sa.String(32), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.String(255), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_pelimpahan_cases")),
    )
    op.create_table(
        "pelimpahan_checklist",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("doc_key", sa.String(64), nullable=False),
        sa.Column("ready", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "doc_key", name=op.f("pk_pelimpahan_checklist")),
    )


def downgrade() -> None:
    op.drop_table("pelimpahan_checklist")
    op.drop_table("pelimpahan_cases")
