"""runtime state and processed update ids as SQLite WITHOUT ROWID tables (SQLite only).

A BIGINT primary key is not SQLite's rowid alias, so each of these tables was two B-trees: the
rows by a hidden rowid and the primary-key index pointing to them. Every update claims its id
(one page more written per commit) and reads and upserts its chat's and user's state (one
B-tree descent more each). Clustered on the primary key they are one B-tree each. Columns,
names and the processed_at index stay as they were; PostgreSQL is untouched.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TABLES = {
    "runtime_chat_state": lambda: [
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    ],
    "runtime_user_state": lambda: [
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("meta", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    ],
    "processed_updates": lambda: [
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("processed_at", sa.DateTime(), nullable=False),
    ],
}


def _rebuild(*, with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, columns in TABLES.items():
        cols = columns()
        key = cols[0].name
        op.create_table(f"_new_{name}", *cols,
                        sa.PrimaryKeyConstraint(key, name=op.f(f"pk_{name}")),
                        sqlite_with_rowid=with_rowid)
        names = ", ".join(c.name for c in cols)
        op.execute(f"INSERT INTO _new_{name} ({names}) SELECT {names} FROM {name}")  # noqa: S608 - our own names
        if name == "processed_updates":
            op.drop_index("ix_processed_updates_processed_at", table_name=name)
        op.drop_table(name)
        op.rename_table(f"_new_{name}", name)
    op.create_index("ix_processed_updates_processed_at", "processed_updates", ["processed_at"])


def upgrade() -> None:
    _rebuild(with_rowid=False)


def downgrade() -> None:
    _rebuild(with_rowid=True)
