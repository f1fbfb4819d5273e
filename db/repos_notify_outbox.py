"""The notification outbox, sending side: the sender's lease, claiming due rows, recording each
send's fate. Queueing is integration/notify_queue.py; subscriptions are db/repos_notify.py.

One sender at a time holds the lease (renewed every few seconds; taken over when it lapses), so
the global rate and "one message a second per chat" hold across processes. A row goes
pending -> sending (committed before the Bot API call) -> sent. A sender that dies mid-send
leaves its row in `sending`; the next lease holder marks it `unknown` and never sends it again:
Telegram has no idempotent send, and a repeated notification is what this outbox promises never
to make. Rows whose send had not begun are still `pending` and are sent by the next holder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from db.models.notify import Announcement, Notification, SenderLease, Subscription
from knowledge.dates import to_utc

LEASE = "sender"


@dataclass(frozen=True, slots=True)
class Due:
    id: int
    channel: str
    chat_id: int
    porsi: str | None
    kind: str
    payload: dict
    lang: str
    zone: str
    attempts: int
    due_at: datetime


def _insert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def take_lease(session: Session, owner: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the sender's lease; False while another live sender holds it."""
    insert = _insert(session)
    table = SenderLease.__table__
    stmt = insert(table).values(name=LEASE, owner=owner, expires_at=now + ttl)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.name],
        set_={"owner": stmt.excluded.owner, "expires_at": stmt.excluded.expires_at},
        where=(table.c.owner == owner) | (table.c.expires_at < now))
    session.execute(stmt)
    return session.scalar(select(table.c.owner).where(table.c.name == LEASE)) == owner


def release_lease(session: Session, owner: str) -> None:
    session.execute(delete(SenderLease).where(SenderLease.name == LEASE,
                                              SenderLease.owner == owner))


def lease_holder(session: Session, now: datetime) -> str | None:
    row = session.execute(select(SenderLease.owner, SenderLease.expires_at)
                          .where(SenderLease.name == LEASE)).first()
    return row[0] if row is not None and row[1] >= to_utc(now) else None


def recover(session: Session, owner: str) -> int:
    """Rows another (dead) holder began sending: their fate is unknown; never sent again."""
    res = session.execute(update(Notification).where(
        Notification.state == "sending", Notification.claimed_by != owner)
        .values(state="unknown", last_error="sender died during the send"))
    return res.rowcount or 0


def claim_due(session: Session, now: datetime, limit: int, *, skip_chats: set[int],
              channels: set[str]) -> list[Due]:
    """Up to `limit` due pending rows of `channels`, oldest first, at most one per chat, none
    of the chats in `skip_chats` (sent to less than a second ago, or being sent to)."""
    q = (select(Notification).where(Notification.state == "pending",
                                    Notification.channel.in_(sorted(channels)),
                                    Notification.due_at <= now)
         .order_by(Notification.due_at, Notification.id).limit(limit * 4))
    if skip_chats:
        q = q.where(Notification.chat_id.not_in(sorted(skip_chats)))
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    out: list[Due] = []
    chats: set[int] = set()
    for r in session.scalars(q):
        if r.chat_id in chats:
            continue
        chats.add(r.chat_id)
        out.append(Due(r.id, r.channel, r.chat_id, r.porsi, r.kind, json.loads(r.payload or "{}"),
                       r.lang, r.zone, r.attempts, r.due_at))
        if len(out) >= limit:
            break
    return out


def begin_send(session: Session, row_id: int, owner: str, now: datetime) -> bool:
    """pending -> sending (committed before the Bot API call); False when the row is no longer
    pending (erased, unsubscribed)."""
    res = session.execute(update(Notification).where(
        Notification.id == row_id, Notification.state == "pending")
        .values(state="sending", claimed_by=owner, claimed_at=now,
                attempts=Notification.attempts + 1))
    return bool(res.rowcount)


def mark_sent(session: Session, row_id: int, now: datetime) -> None:
    session.execute(update(Notification).where(Notification.id == row_id)
                    .values(state="sent", sent_at=now, claimed_by=None))


def defer(session: Session, row_id: int, until: datetime, *, error: str | None = None,
          count_attempt: bool = False) -> None:
    """Back to pending, due at `until` (quiet hours, a 429, a transient error)."""
    values = {"state": "pending", "due_at": until, "claimed_by": None,
              "claimed_at": None}
    if error is not None:
        values["last_error"] = error[:200]
    if not count_attempt:
        values["attempts"] = Notification.attempts - 1
    session.execute(update(Notification).where(Notification.id == row_id).values(**values))


def defer_many(session: Session, row_ids: list[int], until: datetime) -> None:
    if row_ids:
        session.execute(update(Notification).where(
            Notification.id.in_(row_ids), Notification.state == "pending")
            .values(due_at=until))


def fail(session: Session, row_id: int, error: str) -> None:
    session.execute(update(Notification).where(Notification.id == row_id)
                    .values(state="failed", last_error=error[:200], claimed_by=None))


def blocked(session: Session, row_id: int, channel: str, chat_id: int) -> int:
    """The person blocked the bot: this row and the chat's other pending rows are `blocked`,
    its subscriptions removed. Returns the subscriptions removed."""
    session.execute(update(Notification).where(
        (Notification.id == row_id) | ((Notification.channel == channel)
                                       & (Notification.chat_id == chat_id)
                                       & (Notification.state == "pending")))
        .values(state="blocked", last_error="blocked by the user", claimed_by=None))
    res = session.execute(delete(Subscription).where(Subscription.channel == channel,
                                                     Subscription.chat_id == chat_id))
    return res.rowcount or 0


def count_later(session: Session, now: datetime, channels: set[str]) -> int:
    """Pending rows not yet due (quiet hours, a back-off)."""
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.state == "pending", Notification.channel.in_(sorted(channels)),
        Notification.due_at > now)) or 0


def next_due(session: Session, channels: set[str] | None = None) -> datetime | None:
    """When the earliest pending row (of `channels`, default all) falls due (aware UTC), None
    when none is pending. A sender asks only about the channels it can send on: rows of
    another channel would be due forever to it."""
    q = select(Notification.due_at).where(Notification.state == "pending")
    if channels is not None:
        q = q.where(Notification.channel.in_(sorted(channels)))
    return session.scalar(q.order_by(Notification.due_at).limit(1))


def announcement_text(session: Session, announcement_id: int) -> str | None:
    return session.scalar(select(Announcement.text).where(Announcement.id == announcement_id))
