"""kb tables: questions the FAQ could not answer well (masked), for `hajibot kb gaps`.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_gaps",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("normalized", sa.String(500), nullable=False),
        sa.Column("entry_id", sa.String(80), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_gaps")),
    )
    op.create_index(op.f("ix_kb_gaps_normalized"), "kb_gaps", ["normalized"])


def downgrade() -> None:
    op.drop_index(op.f("ix_kb_gaps_normalized"), table_name="kb_gaps")
    op.drop_table("kb_gaps")
