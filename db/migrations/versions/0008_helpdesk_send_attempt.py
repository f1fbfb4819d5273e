"""helpdesk outbox: the send whose outcome is unknown (a worker died, or Telegram timed out,
while copying a row), so that a takeover marks a possible repeat instead of a silent one.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("helpdesk_messages") as batch:
        batch.add_column(sa.Column("send_attempt", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("helpdesk_messages") as batch:
        batch.drop_column("send_attempt")
