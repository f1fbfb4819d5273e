"""WhatsApp chats: internal chat ids, the phone behind them, the 24-hour window, message ids.

Repositories take a session and never commit (the caller's unit of work does).
Internal ids start at `WA_ID_BASE` (9e15): Telegram's user and chat ids fit in 52 bits
(< 4.6e15) and supergroups are negative, so a WhatsApp chat can never share an id with a
Telegram one, and a `chat_id` says by itself which channel it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select, update

from db.models.whatsapp import WhatsAppChat, WhatsAppMessage
from knowledge.dates import aware_utc

WA_ID_BASE = 9_000_000_000_000_000
# Meta's customer-service window: free-form messages only within 24 h of the person's last one
WINDOW = timedelta(hours=24)
MESSAGE_ID_RETENTION = timedelta(days=7)  # Meta redelivers for a few days at most


def is_whatsapp(chat_id: int | None) -> bool:
    return chat_id is not None and chat_id >= WA_ID_BASE


@dataclass(frozen=True, slots=True)
class WaChat:
    chat_id: int
    user_key: str  # the business-scoped user id (or the phone, for payloads without one)
    wa_id: str | None  # the phone number; None when the person hides it
    last_inbound_at: datetime  # aware, UTC
    invited_at: datetime | None

    @property
    def recipient(self) -> str:
        return self.wa_id or self.user_key

    def window_open(self, now: datetime) -> bool:
        return aware_utc(now) - self.last_inbound_at < WINDOW


def _chat(row: WhatsAppChat) -> WaChat:
    return WaChat(chat_id=WA_ID_BASE + row.id, user_key=row.user_key, wa_id=row.wa_id,
                  last_inbound_at=row.last_inbound_at, invited_at=row.invited_at)


def _row_id(chat_id: int) -> int:
    return chat_id - WA_ID_BASE


def _insert(conn, table):
    """INSERT with ON CONFLICT for the dialect (SQLite or PostgreSQL)."""
    dialect = conn.dialect if hasattr(conn, "dialect") else conn.get_bind().dialect
    if dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def touch_chat(conn, user_key: str, wa_id: str | None, now: datetime) -> WaChat:
    """The chat of this person (created on first contact), in one statement: an inbound
    message opens the 24-hour window; a phone seen now is kept (it may have been hidden).
    `conn`: a Session or a Connection inside a transaction."""
    t = WhatsAppChat.__table__
    stmt = _insert(conn, t).values(user_key=user_key, wa_id=wa_id, first_seen_at=now,
                                   last_inbound_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=[t.c.user_key], set_={
        "last_inbound_at": case((t.c.last_inbound_at < stmt.excluded.last_inbound_at,
                                 stmt.excluded.last_inbound_at), else_=t.c.last_inbound_at),
        "wa_id": func.coalesce(stmt.excluded.wa_id, t.c.wa_id),
    }).returning(t.c.id, t.c.user_key, t.c.wa_id, t.c.last_inbound_at, t.c.invited_at)
    row = conn.execute(stmt).one()
    return WaChat(chat_id=WA_ID_BASE + row.id, user_key=row.user_key, wa_id=row.wa_id,
                  last_inbound_at=row.last_inbound_at, invited_at=row.invited_at)


def update_id_for(conn, wamid: str, chat_id: int, now: datetime) -> tuple[int, bool]:
    """(update id, first time seen) of an inbound WhatsApp message id: a redelivery gets the
    update id it got the first time, so the inbox and processed_updates drop it."""
    t = WhatsAppMessage.__table__
    stmt = (_insert(conn, t).values(wamid=wamid, chat_id=chat_id, received_at=now)
            .on_conflict_do_nothing(index_elements=[t.c.wamid]).returning(t.c.id))
    new = conn.execute(stmt).scalar_one_or_none()
    if new is not None:
        return WA_ID_BASE + new, True
    found = conn.execute(select(t.c.id).where(t.c.wamid == wamid)).scalar_one()
    return WA_ID_BASE + found, False


def get_chat(session, chat_id: int) -> WaChat | None:
    if not is_whatsapp(chat_id):
        return None
    row = session.get(WhatsAppChat, _row_id(chat_id))
    return _chat(row) if row is not None else None


def mark_invited(session, chat_id: int, now: datetime) -> None:
    session.execute(update(WhatsAppChat).where(WhatsAppChat.id == _row_id(chat_id))
                    .values(invited_at=now))


def purge_message_ids(session, now: datetime, keep: timedelta = MESSAGE_ID_RETENTION) -> int:
    result = session.execute(delete(WhatsAppMessage).where(
        WhatsAppMessage.received_at < now - keep))
    return max(result.rowcount or 0, 0)


def erase_person(session, chat_id: int) -> dict[str, int]:
    """The person's WhatsApp ids and phone, and their message ids."""
    if not is_whatsapp(chat_id):
        return {}
    msgs = session.execute(delete(WhatsAppMessage).where(WhatsAppMessage.chat_id == chat_id))
    chats = session.execute(delete(WhatsAppChat).where(WhatsAppChat.id == _row_id(chat_id)))
    return {"whatsapp_chat": max(chats.rowcount or 0, 0),
            "whatsapp_message_ids": max(msgs.rowcount or 0, 0)}


def purge_chats(session, silent_before: datetime) -> int:
    """WhatsApp people silent since before `silent_before`: their number and ids go (a new
    message later starts a new chat)."""
    old = [row_id for (row_id,) in session.execute(select(WhatsAppChat.id).where(
        WhatsAppChat.last_inbound_at < silent_before))]
    for row_id in old:
        erase_person(session, WA_ID_BASE + row_id)
    return len(old)
