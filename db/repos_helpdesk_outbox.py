"""Helpdesk outbox: the message rows and their claims by sending workers.

Split out of db/repos_helpdesk.py (which re-exports every public name here, so
`repos_helpdesk.claim(...)` keeps working); see that module's docstring for how several
workers share the outbox (claim, heartbeat, begin_send, release).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy import update as update_
from sqlalchemy.orm import Session

from db.models.helpdesk import HelpdeskMessage

# A flush refreshes its claims every HEARTBEAT while it runs (a task on the event loop, so
# also during a send's inline 429 wait or a topic creation); a claim not refreshed for
# CLAIM_TIMEOUT - six heartbeats - belongs to a dead worker and is taken over.
HEARTBEAT = timedelta(seconds=5)
CLAIM_TIMEOUT = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    ticket_id: int
    direction: str  # in | out | note | bot
    kind: str
    text: str | None
    person_message_id: int | None
    topic_message_id: int | None
    reply_to_message_id: int | None
    agent_id: int | None
    status: str  # pending | sent | failed | none
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    send_attempt: str | None = None  # see `begin_send`


def _message(r: HelpdeskMessage) -> Message:
    return Message(r.id, r.ticket_id, r.direction, r.kind, r.text, r.person_message_id,
                   r.topic_message_id, r.reply_to_message_id, r.agent_id, r.status, r.attempts,
                   r.next_attempt_at, r.last_error, r.created_at,
                   r.sent_at, r.send_attempt)


@dataclass(frozen=True, slots=True)
class Claim:
    rows: list[Message]  # claimed by the caller, oldest first: send in this order
    busy: bool  # older pending rows are held by another live worker (or being claimed now)
    pending_ids: tuple[int, ...]  # every pending row of the ticket seen by this claim


_CLAIM_COLS = (HelpdeskMessage.id, HelpdeskMessage.direction, HelpdeskMessage.claimed_by,
               HelpdeskMessage.claimed_at, HelpdeskMessage.next_attempt_at)


def _claimable(owner: str, stale_before: datetime):
    return or_(HelpdeskMessage.claimed_by.is_(None), HelpdeskMessage.claimed_by == owner,
               HelpdeskMessage.claimed_at < stale_before)


def claim(session: Session, *, ticket_id: int, owner: str, now: datetime,
          due_before: datetime | None = None, timeout: timedelta = CLAIM_TIMEOUT) -> Claim:
    """Claim the ticket's pending rows `owner` may send now (see the module docstring).

    Run it in its own short `db.session()`: the claim is only visible to others once that
    commits. `due_before` (the job) leaves rows whose next attempt is later - and every newer
    row of the same direction. Rows already claimed by `owner` are claimed again."""
    pending_q = (HelpdeskMessage.ticket_id == ticket_id, HelpdeskMessage.status == "pending")
    stamp, stale = now, now - timeout
    due = due_before
    if session.get_bind().dialect.name == "postgresql":
        # Rows another claimer holds are skipped, not waited for; the plain read below still
        # sees them, so they stop their direction instead of being overtaken.
        locked: set[int] | None = set(session.scalars(
            select(HelpdeskMessage.id).where(*pending_q).order_by(HelpdeskMessage.id)
            .with_for_update(skip_locked=True)))
    else:
        # SQLite has one writer at a time: making the first statement a write (refreshing our
        # own claims) holds the write lock until commit, so the read and the claim below are
        # one atomic step; a concurrent claimer waits (busy timeout) and then sees our claim.
        session.execute(update_(HelpdeskMessage)
                        .where(*pending_q, HelpdeskMessage.claimed_by == owner)
                        .values(claimed_at=stamp)
                        .execution_options(synchronize_session=False))
        locked = None
    rows = session.execute(select(*_CLAIM_COLS).where(*pending_q)
                           .order_by(HelpdeskMessage.id)).all()
    take: list[int] = []
    stopped: set[str] = set()
    busy = False
    for r in rows:
        if r.direction in stopped:
            continue
        free = (r.claimed_by is None or r.claimed_by == owner
                or (r.claimed_at is not None and r.claimed_at < stale))
        if locked is not None and r.id not in locked:
            free = False  # another claimer is deciding about it right now
        if free and (due is None or r.next_attempt_at is None or r.next_attempt_at <= due):
            take.append(r.id)
            continue
        stopped.add(r.direction)
        busy = busy or not free
    claimed: list[Message] = []
    if take:
        # conditional as well: never steal a live claim, whatever happened since the read
        session.execute(update_(HelpdeskMessage)
                        .where(HelpdeskMessage.id.in_(take), HelpdeskMessage.status == "pending",
                               _claimable(owner, stale))
                        .values(claimed_by=owner, claimed_at=stamp)
                        .execution_options(synchronize_session=False))
        got = {r.id: r for r in session.scalars(
            select(HelpdeskMessage).where(HelpdeskMessage.id.in_(take),
                                          HelpdeskMessage.claimed_by == owner)
            .execution_options(populate_existing=True))}
        lost: set[str] = set()
        for rid, direction in ((r.id, r.direction) for r in rows if r.id in take):
            if rid not in got or direction in lost:
                lost.add(direction)  # keep the order: nothing after a row we did not get
                continue
            claimed.append(_message(got[rid]))
        busy = busy or bool(lost)
    return Claim(claimed, busy, tuple(r.id for r in rows))


def renew(session: Session, message_id: int, *, owner: str, now: datetime) -> bool:
    """Refresh `owner`'s claim on a still pending row just before sending it; False when the
    claim was taken over (or the row is no longer pending): then it must not be sent."""
    done = session.execute(update_(HelpdeskMessage)
                           .where(HelpdeskMessage.id == message_id,
                                  HelpdeskMessage.status == "pending",
                                  HelpdeskMessage.claimed_by == owner)
                           .values(claimed_at=now)
                           .execution_options(synchronize_session=False))
    return (done.rowcount or 0) == 1


def heartbeat(session: Session, *, owner: str, now: datetime) -> int:
    """`owner` is alive: refresh every claim it holds (see HEARTBEAT)."""
    done = session.execute(update_(HelpdeskMessage)
                           .where(HelpdeskMessage.claimed_by == owner,
                                  HelpdeskMessage.status == "pending")
                           .values(claimed_at=now)
                           .execution_options(synchronize_session=False))
    return done.rowcount or 0


@dataclass(frozen=True, slots=True)
class SendStart:
    maybe_sent: bool  # an earlier copy of this row may already be on the other side


def begin_send(session: Session, message_id: int, *, owner: str, now: datetime
               ) -> SendStart | None:
    """Right before the copy goes out: renew `owner`'s claim and mark the row as being sent
    by `owner`. None: the claim was taken over (or the row is no longer pending) - do not send.
    `maybe_sent`: the row was still marked by another sender (it died mid-send, or its send
    timed out) or is in doubt since such an attempt, so a copy may exist already."""
    prior = session.scalars(select(HelpdeskMessage.send_attempt)
                            .where(HelpdeskMessage.id == message_id)).first()
    done = session.execute(update_(HelpdeskMessage)
                           .where(HelpdeskMessage.id == message_id,
                                  HelpdeskMessage.status == "pending",
                                  HelpdeskMessage.claimed_by == owner)
                           .values(claimed_at=now, send_attempt=owner)
                           .execution_options(synchronize_session=False))
    if (done.rowcount or 0) != 1:
        return None
    return SendStart(maybe_sent=prior is not None and prior != owner)


def release(session: Session, *, ticket_id: int, owner: str) -> int:
    """Give back `owner`'s claims on rows of the ticket it did not send (stopped behind a
    failure, or the worker gave up)."""
    done = session.execute(update_(HelpdeskMessage)
                           .where(HelpdeskMessage.ticket_id == ticket_id,
                                  HelpdeskMessage.claimed_by == owner)
                           .values(claimed_by=None, claimed_at=None)
                           .execution_options(synchronize_session=False))
    return done.rowcount or 0
