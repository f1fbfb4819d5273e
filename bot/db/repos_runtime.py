"""Runtime-state repository for erasure and retention: per-chat/per-user state rows and the
processed update ids (the hot path of reading and writing them lives in bot/runtime.py).

Takes a Session, never commits (the caller's `db.session()` does). Times are naive UTC, as
the runtime writes them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.db.models.runtime import ChatState, ProcessedUpdate, UserState


def _db(t: datetime) -> datetime:
    return t if t.tzinfo is None else t.astimezone(UTC).replace(tzinfo=None)


def erase_person(session: Session, chat_id: int | None, user_id: int | None) -> dict[str, int]:
    """Delete the chat's and the user's state rows; counts per table."""
    chats = users = 0
    if chat_id is not None:
        chats = session.execute(delete(ChatState).where(ChatState.chat_id == chat_id)).rowcount
    if user_id is not None:
        users = session.execute(delete(UserState).where(UserState.user_id == user_id)).rowcount
    return {"chat_state": chats or 0, "user_state": users or 0}


def purge_older_than(session: Session, *, state_before: datetime,
                     updates_before: datetime) -> dict[str, int]:
    """Delete state rows untouched since `state_before` and update ids older than
    `updates_before`; counts per table."""
    cut = _db(state_before)
    chats = session.execute(delete(ChatState).where(ChatState.updated_at < cut)).rowcount
    users = session.execute(delete(UserState).where(UserState.updated_at < cut)).rowcount
    ids = session.execute(delete(ProcessedUpdate)
                          .where(ProcessedUpdate.processed_at < _db(updates_before))).rowcount
    return {"chat_state": chats or 0, "user_state": users or 0, "processed_updates": ids or 0}
