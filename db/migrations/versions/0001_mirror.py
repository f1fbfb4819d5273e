"""mirror tables: the local mirror of Siskohat, sync runs, applied push event ids.

Revision ID: 0001
Revises: None
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mirror",
        sa.Column("porsi", sa.String(10), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("fetched_at", sa.String(32), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        # export columns nama..jumlah_pelunasan as one CSV line (see integration.mirror.pack)
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("porsi", name="pk_mirror"),
    )
    op.create_table(
        "mirror_imports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("export_date", sa.String(10), nullable=True),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("finished_at", sa.String(32), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("malformed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mirror_imports"),
    )
    op.create_table(
        "push_events",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("received_at", sa.String(32), nullable=False),
        sa.Column("jenis", sa.String(40), nullable=True),
        sa.Column("porsi", sa.String(10), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_push_events"),
    )


def downgrade() -> None:
    op.drop_table("push_events")
    op.drop_table("mirror_imports")
    op.drop_table("mirror")
