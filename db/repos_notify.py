"""Notifications, the conversation's side: subscriptions (`/pantau`), stats, and erasure. The outbox's sending side is db/repos_notify_outbox.py; queueing on a
mirror write is integration/notify_queue.py.

Repositories take a Session and never commit (the caller's unit of work does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from db.models.notify import Notification, Subscription
from knowledge.dates import to_utc

TELEGRAM = "telegram"


@dataclass(frozen=True, slots=True)
class Watch:
    porsi: str
    created_at: datetime


def subscriptions(session: Session, chat_id: int, channel: str = TELEGRAM) -> list[Watch]:
    """The porsi this chat watches, oldest first."""
    rows = session.execute(
        select(Subscription.porsi, Subscription.created_at)
        .where(Subscription.channel == channel, Subscription.chat_id == chat_id)
        .order_by(Subscription.created_at, Subscription.id))
    return [Watch(p, c) for p, c in rows]


def subscribe(session: Session, chat_id: int, porsi: str, lang: str, now: datetime, *,
              limit: int, channel: str = TELEGRAM) -> str:
    """"added" | "already" (the language is refreshed) | "limit" (the chat watches `limit`)."""
    found = session.scalar(select(Subscription).where(
        Subscription.channel == channel, Subscription.chat_id == chat_id,
        Subscription.porsi == porsi))
    if found is not None:
        found.lang = lang
        return "already"
    count = session.scalar(select(func.count()).select_from(Subscription).where(
        Subscription.channel == channel, Subscription.chat_id == chat_id)) or 0
    if count >= limit:
        return "limit"
    session.add(Subscription(channel=channel, chat_id=chat_id, porsi=porsi, lang=lang,
                             created_at=now))
    session.flush()
    return "added"


def unsubscribe(session: Session, chat_id: int, porsi: str, channel: str = TELEGRAM) -> bool:
    """Stop watching `porsi`; its notifications not yet sent to this chat are dropped."""
    res = session.execute(delete(Subscription).where(
        Subscription.channel == channel, Subscription.chat_id == chat_id,
        Subscription.porsi == porsi))
    session.execute(delete(Notification).where(
        Notification.channel == channel, Notification.chat_id == chat_id,
        Notification.porsi == porsi, Notification.state == "pending"))
    return bool(res.rowcount)


def is_subscribed(session: Session, chat_id: int, porsi: str, channel: str = TELEGRAM) -> bool:
    return session.scalar(select(Subscription.id).where(
        Subscription.channel == channel, Subscription.chat_id == chat_id,
        Subscription.porsi == porsi)) is not None


# ---------------------------------------------------------------------------------- stats


def stats(session: Session, now: datetime) -> dict:
    """Queued by kind and channel, sent today (UTC day), oldest pending age, subscriptions,
    states."""
    by_kind = dict(session.execute(
        select(Notification.kind, func.count()).where(Notification.state == "pending")
        .group_by(Notification.kind)).all())
    by_channel = dict(session.execute(
        select(Notification.channel, func.count()).where(Notification.state == "pending")
        .group_by(Notification.channel)).all())
    states = dict(session.execute(
        select(Notification.state, func.count()).group_by(Notification.state)).all())
    midnight = to_utc(now).replace(hour=0, minute=0, second=0, microsecond=0)
    sent_today = session.scalar(select(func.count()).select_from(Notification).where(
        Notification.state == "sent", Notification.sent_at >= midnight)) or 0
    oldest = session.scalar(select(func.min(Notification.created_at)).where(
        Notification.state.in_(("pending", "sending"))))
    due_later = session.scalar(select(func.count()).select_from(Notification).where(
        Notification.state == "pending", Notification.due_at > now)) or 0
    subs = session.scalar(select(func.count()).select_from(Subscription)) or 0
    chats = session.scalar(select(func.count(func.distinct(Subscription.chat_id)))) or 0
    age = None if oldest is None else max(0.0, (to_utc(now) - oldest).total_seconds())
    return {"queued": sum(by_kind.values()), "queued_by_kind": by_kind,
            "queued_by_channel": by_channel,
            "deferred": due_later, "sent_today": sent_today,
            "oldest_pending_age_s": None if age is None else round(age, 1),
            "states": states, "subscriptions": subs, "subscribed_chats": chats}


# -------------------------------------------------------------------------------- erasure


def erase_person(session: Session, chat_id: int) -> dict[str, int]:
    """/hapusdata: this chat's subscriptions and its notifications (sent or not: each names a
    porsi). The estimates it saw live in its chat state, erased with it."""
    subs = session.execute(delete(Subscription).where(Subscription.chat_id == chat_id))
    notes = session.execute(delete(Notification).where(Notification.chat_id == chat_id))
    return {"notify_subscriptions": subs.rowcount or 0,
            "notifications": notes.rowcount or 0}


def purge_sent(session: Session, before: datetime) -> int:
    """Retention: sent, failed, blocked and unknown rows older than `before` (their keys only
    guard against a repeat for as long as a re-sync of that change can still arrive)."""
    res = session.execute(delete(Notification).where(
        Notification.state.in_(("sent", "failed", "blocked", "unknown")),
        Notification.created_at < before))
    return res.rowcount or 0


RETENTION = timedelta(days=90)
