"""abuse counters that survive erasure, keyed by a salted hash of the user id.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "abuse_counters",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("stamps", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_abuse_counters_updated_at", "abuse_counters", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_abuse_counters_updated_at", table_name="abuse_counters")
    op.drop_table("abuse_counters")
