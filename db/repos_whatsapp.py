"""WhatsApp chats: internal chat ids, the phone behind them, the 24-hour window, message ids.

Repositories take a session and never commit (the caller's unit of work does).
Internal ids start at `WA_ID_BASE` (9e15): Telegram's user and chat ids fit in 52 bits
(< 4.6e15) and supergroups are negative, so a WhatsApp chat can never share an id with a
Telegram one, and a `chat_id` says by itself which channel it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from db.models.whatsapp import WhatsAppChat, WhatsAppMessage
from knowledge.dates import aware_utc, naive_utc

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


class InboundSql:
    """The two statements every inbound WhatsApp message costs, as plain SQL on a DBAPI cursor
    (valid on SQLite >= 3.35 and PostgreSQL alike, built once per dialect): the webhook runs
    them inside the update inbox's storing transaction (bot/web_whatsapp.py), where the
    ORM's per-statement compile and a connection checkout of their own would cost more than
    the statements."""

    _TOUCH = ("INSERT INTO whatsapp_chats (user_key, wa_id, first_seen_at, last_inbound_at) "
              "VALUES ({m}, {m}, {m}, {m}) ON CONFLICT (user_key) DO UPDATE SET "
              "last_inbound_at = CASE WHEN whatsapp_chats.last_inbound_at "
              "< excluded.last_inbound_at THEN excluded.last_inbound_at "
              "ELSE whatsapp_chats.last_inbound_at END, "
              "wa_id = coalesce(excluded.wa_id, whatsapp_chats.wa_id) "
              "RETURNING id, user_key, wa_id, last_inbound_at, invited_at")
    _MESSAGE = ("INSERT INTO whatsapp_messages (wamid, chat_id, received_at) "
                "VALUES ({m}, {m}, {m}) ON CONFLICT (wamid) DO NOTHING RETURNING id")
    _KNOWN = "SELECT id FROM whatsapp_messages WHERE wamid = {m}"

    def __init__(self, dialect_name: str, paramstyle: str):
        self.sqlite = dialect_name == "sqlite"
        mark = "?" if paramstyle == "qmark" else "%s"
        self.touch_sql = self._TOUCH.format(m=mark)
        self.message_sql = self._MESSAGE.format(m=mark)
        self.known_sql = self._KNOWN.format(m=mark)

    def _stamp(self, now: datetime):
        # SQLite: SQLAlchemy's own DateTime text, so the ORM reads these rows as it wrote them
        naive = naive_utc(now)
        return naive.isoformat(" ", "microseconds") if self.sqlite else naive

    @staticmethod
    def _moment(value) -> datetime | None:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return aware_utc(value)

    def touch(self, cur, user_key: str, wa_id: str | None, now: datetime) -> WaChat:
        """The chat of this person (created on first contact): an inbound message opens the
        24-hour window (never moves it back); a phone seen now is kept (it may have been
        hidden)."""
        stamp = self._stamp(now)
        cur.execute(self.touch_sql, (user_key, wa_id, stamp, stamp))
        row_id, key, phone, last, invited = cur.fetchone()
        return WaChat(chat_id=WA_ID_BASE + row_id, user_key=key, wa_id=phone,
                      last_inbound_at=self._moment(last), invited_at=self._moment(invited))

    def message(self, cur, wamid: str, chat_id: int, now: datetime) -> tuple[int, bool]:
        """(update id, first time seen) of an inbound WhatsApp message id: a redelivery gets
        the update id it got the first time."""
        cur.execute(self.message_sql, (wamid, chat_id, self._stamp(now)))
        row = cur.fetchone()
        if row is not None:
            return WA_ID_BASE + row[0], True
        cur.execute(self.known_sql, (wamid,))
        return WA_ID_BASE + cur.fetchone()[0], False


_SQL: dict[tuple[str, str], InboundSql] = {}


def inbound_sql(conn) -> InboundSql:
    """The statements for the dialect of `conn` (an Engine, a Connection or a Session)."""
    dialect = conn.dialect if hasattr(conn, "dialect") else conn.get_bind().dialect
    key = (dialect.name, dialect.paramstyle)
    sql = _SQL.get(key)
    if sql is None:
        sql = _SQL[key] = InboundSql(*key)
    return sql


def _cursor(conn):
    """A DBAPI cursor in the transaction of `conn` (a Session or a Connection)."""
    if hasattr(conn, "get_bind"):  # a Session
        conn = conn.connection()
    return conn.connection.cursor()


def touch_chat(conn, user_key: str, wa_id: str | None, now: datetime) -> WaChat:
    """`InboundSql.touch` in the transaction of `conn` (a Session or a Connection)."""
    cur = _cursor(conn)
    try:
        return inbound_sql(conn).touch(cur, user_key, wa_id, now)
    finally:
        cur.close()


def update_id_for(conn, wamid: str, chat_id: int, now: datetime) -> tuple[int, bool]:
    """`InboundSql.message` in the transaction of `conn` (a Session or a Connection)."""
    cur = _cursor(conn)
    try:
        return inbound_sql(conn).message(cur, wamid, chat_id, now)
    finally:
        cur.close()


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
