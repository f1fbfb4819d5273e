"""WhatsApp chats and inbound message ids (bot/channels/whatsapp*.py).

A WhatsApp person gets an internal chat id (`WA_ID_BASE` + a never reused row id) that stands in
for them everywhere else (state, tickets, logs, metrics): their phone number and WhatsApp user
id live only in `whatsapp_chats`, which erasure deletes. Each inbound WhatsApp message id gets an
update id in the same range, so a redelivered message maps to the update already stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime


class WhatsAppChat(Base):
    """One WhatsApp person: their ids (personal data) and the last time they wrote."""

    __tablename__ = "whatsapp_chats"

    # sqlite_autoincrement: a deleted (erased) row's id is never given to someone else
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_key: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)  # BSUID
    wa_id: Mapped[str | None] = mapped_column(String(32))  # the phone; None when hidden
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_inbound_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last template invitation

    __table_args__ = ({"sqlite_autoincrement": True},)


class WhatsAppMessage(Base):
    """An inbound WhatsApp message id and the update id it became."""

    __tablename__ = "whatsapp_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    wamid: Mapped[str] = mapped_column(String(160), nullable=False, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_whatsapp_messages_chat", "chat_id"),
                      Index("ix_whatsapp_messages_received", "received_at"),
                      {"sqlite_autoincrement": True})
