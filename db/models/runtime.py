"""Runtime state: per-chat and per-user conversation state, processed update ids, throttling."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime


class ChatState(Base):
    """`context.chat_data` of one chat, as JSON (loaded before and saved after each update)."""

    __tablename__ = "runtime_chat_state"
    __table_args__ = ({"sqlite_with_rowid": False},)  # one B-tree on SQLite (migration 0015)

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class UserState(Base):
    """`context.user_data` of one user, plus runtime bookkeeping (`meta`: throttle window)."""

    __tablename__ = "runtime_user_state"
    __table_args__ = ({"sqlite_with_rowid": False},)

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    meta: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ProcessedUpdate(Base):
    """One row per Telegram update id already taken by some process (dedupe; pruned after days)."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_processed_updates_processed_at", "processed_at"),
                      {"sqlite_with_rowid": False})


class AbuseCounter(Base):
    """Anti-abuse timestamps (e.g. status lookups in the last hour) that must survive
    /hapusdata, so erasing one's data never resets a rate limit. Keyed by a salted hash of
    the user id (`repos_runtime.counter_key`), never the id itself; purged after a day."""

    __tablename__ = "abuse_counters"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    stamps: Mapped[str] = mapped_column(Text, nullable=False)  # JSON list of epoch seconds
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_abuse_counters_updated_at", "updated_at"),)
