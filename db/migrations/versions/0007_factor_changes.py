"""verification_factor_changes: audit of changes to a porsi's verification factors (no_hp,
tgl_lahir) that reset its verified links.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verification_factor_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("porsi", sa.String(length=10), nullable=False),
        sa.Column("factor", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("links_reset", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_factor_changes")),
    )
    op.create_index("ix_verification_factor_changes_porsi_at", "verification_factor_changes",
                    ["porsi", "changed_at"])
    op.create_index("ix_verification_factor_changes_at", "verification_factor_changes",
                    ["changed_at"])


def downgrade() -> None:
    op.drop_index("ix_verification_factor_changes_at", table_name="verification_factor_changes")
    op.drop_index("ix_verification_factor_changes_porsi_at",
                  table_name="verification_factor_changes")
    op.drop_table("verification_factor_changes")
