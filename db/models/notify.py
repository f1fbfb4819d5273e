"""Notifications: who watches which porsi, the outbox of messages to send, the sender's lease,
announcements, and the quota per area and season.

Times are naive UTC (as in the runtime tables). `chat_id` is the channel's numeric address (a
Telegram chat id; a WhatsApp wa_id is digits too). The outbox holds no names, phones, birth
dates or health values: its payload is the public facts a text needs (an estimate, a Tahap),
and for health and payment changes nothing but the kind.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime


class Subscription(Base):
    """A chat watches a porsi (`/pantau`)."""

    __tablename__ = "notify_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False, server_default="telegram")
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    porsi: Mapped[str] = mapped_column(String(10), nullable=False)
    lang: Mapped[str] = mapped_column(String(2), nullable=False, server_default="id")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        UniqueConstraint("channel", "chat_id", "porsi", name="uq_notify_sub_chat_porsi"),
        Index("ix_notify_sub_porsi", "porsi"),
        Index("ix_notify_sub_chat", "chat_id"),
    )


class Notification(Base):
    """One message to one chat. `key` (porsi, change, before and after value, chat) makes a
    crash, a second worker or a re-sync unable to queue or send it twice.

    state: pending -> sending (the send began; claimed_by/claimed_at) -> sent; or failed
    (gave up), blocked (the person blocked the bot), unknown (the sender died mid-send: it may
    or may not have arrived, and is not sent again)."""

    __tablename__ = "notify_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False, server_default="telegram")
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    porsi: Mapped[str | None] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False, server_default="{}")
    lang: Mapped[str] = mapped_column(String(2), nullable=False, server_default="id")
    zone: Mapped[str] = mapped_column(String(4), nullable=False, server_default="WIB")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    state: Mapped[str] = mapped_column(String(10), nullable=False, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("key", name="uq_notify_outbox_key"),
        Index("ix_notify_outbox_due", "state", "due_at"),
        Index("ix_notify_outbox_chat", "chat_id"),
    )


class SenderLease(Base):
    """One sender at a time sends (so the global rate and the one-a-second-per-chat rule hold
    across processes); a lease not renewed before `expires_at` is taken over."""

    __tablename__ = "notify_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Announcement(Base):
    """An operator's text (`hajibot notify announce`), stored once; outbox rows point at it."""

    __tablename__ = "notify_announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    filters: Mapped[str] = mapped_column(Text, nullable=False, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class AreaQuota(Base):
    """The quota of a quota area (BPS code) for a season, as last seen on a record: tells
    "the area's quota changed" from "the position moved" when an estimate moves."""

    __tablename__ = "notify_area_quota"

    area: Mapped[str] = mapped_column(String(8), primary_key=True)
    season: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    quota: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

