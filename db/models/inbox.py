"""The update inbox (bot/inbox.py): a Telegram update is stored here before it is acknowledged
and deleted in the transaction that saves the state it produced."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime


class InboxUpdate(Base):
    """One update not yet processed: `pending`, `claimed` by a worker (heartbeat in
    `claimed_at`), or `parked` (its processing failed MAX_ATTEMPTS times; kept for an operator,
    purged after PARKED_RETENTION)."""

    __tablename__ = "update_inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[str] = mapped_column(Text, nullable=False)  # the update's JSON
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    state: Mapped[str] = mapped_column(String(10), nullable=False, server_default="pending")
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")

    __table_args__ = (Index("ix_update_inbox_chat", "chat_id", "update_id"),
                      Index("ix_update_inbox_user", "user_id", "update_id"),
                      Index("ix_update_inbox_state", "state", "update_id"))


class UpdateSend(Base):
    """One Bot API request made while processing an inbox update (bot/sends.py): written
    before the request leaves (`response` NULL), given the response when it comes back, and
    deleted with the update's inbox row. A re-run of the update (its worker died) answers
    recorded requests from here instead of sending them again."""

    __tablename__ = "update_sends"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(64), nullable=False)
    response: Mapped[str | None] = mapped_column(Text)  # the Bot API's JSON answer
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
