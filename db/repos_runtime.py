"""Runtime-state repository for erasure and retention: per-chat/per-user state rows and the
processed update ids (the hot path of reading and writing them lives in bot/runtime.py).

Takes a Session, never commits (the caller's `db.session()` does). Times are naive UTC, as
the runtime writes them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from functools import lru_cache

from sqlalchemy import delete
from sqlalchemy.orm import Session

from db.models.runtime import AbuseCounter, ChatState, ProcessedUpdate, UserState


def erase_person(session: Session, chat_id: int | None, user_id: int | None) -> dict[str, int]:
    """Delete the chat's and the user's state rows; counts per table."""
    chats = users = 0
    if chat_id is not None:
        chats = session.execute(delete(ChatState).where(ChatState.chat_id == chat_id)).rowcount
    if user_id is not None:
        users = session.execute(delete(UserState).where(UserState.user_id == user_id)).rowcount
    return {"chat_state": chats or 0, "user_state": users or 0}


@lru_cache(maxsize=1 << 16)  # read on every update (db/state_store.py): the same people again
def counter_key(salt: str, user_id: int) -> str:
    """The pseudonymous key of a user's abuse counters: HMAC-SHA256(salt, user id)."""
    return hmac.digest(salt.encode(), f"user:{user_id}".encode(), hashlib.sha256).hex()


def keep_counter(session: Session, key: str, stamps: list[float], now: datetime) -> None:
    """Store (replace) the stamps under `key`; an empty list deletes the row."""
    row = session.get(AbuseCounter, key)
    if not stamps:
        if row is not None:
            session.delete(row)
        return
    text = json.dumps([int(t) for t in stamps])
    if row is None:
        session.add(AbuseCounter(key=key, stamps=text, updated_at=now))
    else:
        row.stamps, row.updated_at = text, now


def user_data(session: Session, user_id: int) -> dict:
    """A user's stored `user_data` (for what erasure must carry over), {} when none."""
    row = session.get(UserState, user_id)
    try:
        data = json.loads(row.data) if row is not None else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def purge_older_than(session: Session, *, state_before: datetime,
                     updates_before: datetime) -> dict[str, int]:
    """Delete state rows untouched since `state_before` and update ids older than
    `updates_before`; counts per table."""
    cut = state_before
    chats = session.execute(delete(ChatState).where(ChatState.updated_at < cut)).rowcount
    users = session.execute(delete(UserState).where(UserState.updated_at < cut)).rowcount
    ids = session.execute(delete(ProcessedUpdate)
                          .where(ProcessedUpdate.processed_at < updates_before)).rowcount
    # abuse counters cover an hour; a day is plenty
    counters = session.execute(delete(AbuseCounter)
                               .where(AbuseCounter.updated_at < updates_before)).rowcount
    return {"chat_state": chats or 0, "user_state": users or 0, "processed_updates": ids or 0,
            "abuse_counters": counters or 0}
