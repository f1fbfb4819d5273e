"""Helpdesk repository: tickets, their messages (mapping + outbox), blocks, statistics input.

Takes a Session, never commits (the caller's `db.session()` does), returns plain dataclasses.
Times go in aware (any zone) and come out aware UTC; they are stored naive UTC.

Several worker processes may share one database (PostgreSQL in production):
- the outbox is claimed before sending (`claim`): a claim marks rows with the worker and the
  time; PostgreSQL locks the candidate rows with `FOR UPDATE SKIP LOCKED`, SQLite takes its one
  write lock with the first statement. A ticket's pending rows are claimed in order, per
  direction, only as a prefix: a row held by another live worker (or not due yet, for the job)
  stops its direction, so a newer message never overtakes an older pending one. A live worker
  refreshes its claims every HEARTBEAT (`heartbeat`, from a task beside its sends), so a claim
  not refreshed for CLAIM_TIMEOUT (a few heartbeats) belongs to a dead worker and is taken over.
- a copy already sent is recognised: `begin_send` marks the row with the sender right before
  the copy goes out and `mark_sent` stores the copy's id with the status in one commit (and
  clears the mark). A pending row still marked by someone else was being sent when its sender
  died (or Telegram timed out): the Bot API cannot tell whether that copy arrived, so the row
  is sent again with a visible "may be repeated" notice (handlers/helpdesk/relay.py) - never
  dropped, never silently doubled.
- ticket numbers come from a per-month counter row incremented with UPDATE ... RETURNING (the
  row lock / SQLite's write lock serialises concurrent openings; (month, seq) stays unique).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, literal, select
from sqlalchemy import update as update_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models.helpdesk import (
    HelpdeskBlock,
    HelpdeskCounter,
    HelpdeskMessage,
    HelpdeskTicket,
)
from db.repos_helpdesk_outbox import (  # re-exported: callers use repos_helpdesk.<name>
    CLAIM_TIMEOUT,  # noqa: F401 - re-exported
    HEARTBEAT,  # noqa: F401 - re-exported
    Claim,  # noqa: F401 - re-exported
    Message,
    SendStart,  # noqa: F401 - re-exported
    _message,
    begin_send,  # noqa: F401 - re-exported
    claim,  # noqa: F401 - re-exported
    heartbeat,  # noqa: F401 - re-exported
    release,  # noqa: F401 - re-exported
    renew,  # noqa: F401 - re-exported
)
from knowledge.tickets import TicketFacts, format_code, month_key

OPEN_STATES = ("new", "claimed")
IN_DOUBT = "?"  # send_attempt of a row whose earlier copy may exist, between attempts


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    code: str
    chat_id: int
    user_id: int | None
    lang: str
    reason: str
    state: str
    thread_id: int | None
    topic_closed: bool
    agent_id: int | None
    agent_name: str | None
    porsi: str | None
    context: dict
    created_at: datetime
    waiting_since: datetime | None
    first_response_at: datetime | None
    last_person_at: datetime | None
    last_agent_at: datetime | None
    reminded_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    rating: int | None
    comment: str | None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


def _ticket(r: HelpdeskTicket) -> Ticket:
    try:
        ctx = json.loads(r.context or "{}")
    except ValueError:
        ctx = {}
    return Ticket(
        r.id, r.code, r.chat_id, r.user_id, r.lang, r.reason, r.state, r.thread_id,
        bool(r.topic_closed), r.agent_id, r.agent_name, r.porsi, ctx, r.created_at,
        r.waiting_since, r.first_response_at, r.last_person_at,
        r.last_agent_at, r.reminded_at, r.closed_at, r.closed_by,
        r.rating, r.comment)



# --- tickets ---------------------------------------------------------------------------------
def open_ticket(session: Session, *, chat_id: int, user_id: int | None, lang: str, reason: str,
                local_now: datetime, porsi: str | None = None,
                context: dict | None = None) -> Ticket:
    """A new ticket numbered in the month of `local_now` (the office's local time)."""
    month = month_key(local_now)
    seq = _next_seq(session, month)
    now = local_now
    row = HelpdeskTicket(
        month=month, seq=seq, code=format_code(month, seq), chat_id=chat_id,
        user_id=user_id, lang=lang, reason=reason, state="new", topic_closed=0, porsi=porsi,
        context=json.dumps(context or {}, ensure_ascii=False), created_at=now,
        waiting_since=now, last_person_at=now)
    session.add(row)
    session.flush()
    return _ticket(row)


def _next_seq(session: Session, month: str) -> int:
    """The month's next ticket number, race-free across processes: the counter row (seeded
    from the tickets already there) is incremented in place; a concurrent opener waits on its
    row lock (PostgreSQL) or the write lock (SQLite) and gets the following number."""
    seed = (select(literal(month), func.coalesce(func.max(HelpdeskTicket.seq), 0))
            .where(HelpdeskTicket.month == month))
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(HelpdeskCounter).from_select(["month", "last"], seed)
                        .on_conflict_do_nothing(index_elements=["month"]))
    elif session.get(HelpdeskCounter, month) is None:  # pragma: no cover - other databases
        session.add(HelpdeskCounter(month=month, last=session.execute(seed).one()[1]))
        session.flush()
    return session.execute(
        update_(HelpdeskCounter).where(HelpdeskCounter.month == month)
        .values(last=HelpdeskCounter.last + 1).returning(HelpdeskCounter.last)
        .execution_options(synchronize_session=False)).scalar_one()


def get(session: Session, ticket_id: int) -> Ticket | None:
    row = session.get(HelpdeskTicket, ticket_id)
    return _ticket(row) if row is not None else None


def by_code(session: Session, code: str) -> Ticket | None:
    row = session.scalars(select(HelpdeskTicket).where(HelpdeskTicket.code == code)).first()
    return _ticket(row) if row is not None else None


def by_thread(session: Session, thread_id: int) -> Ticket | None:
    """The ticket whose topic is `thread_id` (the newest, should an id ever be reused)."""
    row = session.scalars(select(HelpdeskTicket).where(HelpdeskTicket.thread_id == thread_id)
                          .order_by(HelpdeskTicket.id.desc())).first()
    return _ticket(row) if row is not None else None


def open_of(session: Session, chat_id: int) -> Ticket | None:
    """The person's open ticket (at most one)."""
    row = session.scalars(select(HelpdeskTicket)
                          .where(HelpdeskTicket.chat_id == chat_id,
                                 HelpdeskTicket.state.in_(OPEN_STATES))
                          .order_by(HelpdeskTicket.id.desc())).first()
    return _ticket(row) if row is not None else None


def open_tickets(session: Session) -> list[Ticket]:
    """Open tickets, oldest first."""
    rows = session.scalars(select(HelpdeskTicket)
                           .where(HelpdeskTicket.state.in_(OPEN_STATES))
                           .order_by(HelpdeskTicket.created_at, HelpdeskTicket.id))
    return [_ticket(r) for r in rows]


def update_ticket(session: Session, ticket_id: int, **values) -> Ticket:
    """Set columns of one ticket (datetimes converted; `context` dict serialised)."""
    row = session.get(HelpdeskTicket, ticket_id)
    if row is None:
        raise KeyError(ticket_id)
    for key, value in values.items():
        if key == "context":
            value = json.dumps(value, ensure_ascii=False)
        elif key == "topic_closed":
            value = int(bool(value))
        setattr(row, key, value)
    session.flush()
    return _ticket(row)


def set_thread(session: Session, ticket_id: int, *, expected: int | None, thread_id: int) -> bool:
    """Compare-and-set the ticket's forum topic: only if it is still `expected` (None: no topic
    yet; else the deleted one being replaced). False: another process got there first."""
    current = (HelpdeskTicket.thread_id.is_(None) if expected is None
               else HelpdeskTicket.thread_id == expected)
    done = session.execute(update_(HelpdeskTicket)
                           .where(HelpdeskTicket.id == ticket_id, current)
                           .values(thread_id=thread_id, topic_closed=0))
    return done.rowcount == 1


def person_wrote(session: Session, ticket_id: int, now: datetime) -> Ticket:
    row = session.get(HelpdeskTicket, ticket_id)
    row.last_person_at = now
    if row.waiting_since is None:
        row.waiting_since = now
    session.flush()
    return _ticket(row)


def agent_replied(session: Session, ticket_id: int, now: datetime) -> Ticket:
    row = session.get(HelpdeskTicket, ticket_id)
    row.last_agent_at = now
    if row.first_response_at is None:
        row.first_response_at = now
    row.waiting_since = None
    row.reminded_at = None
    session.flush()
    return _ticket(row)


def close(session: Session, ticket_id: int, *, by: str, now: datetime) -> Ticket:
    row = session.get(HelpdeskTicket, ticket_id)
    row.state = "closed"
    row.closed_at = now
    row.closed_by = by
    row.waiting_since = None
    session.flush()
    return _ticket(row)


def reopen(session: Session, ticket_id: int, now: datetime) -> Ticket:
    row = session.get(HelpdeskTicket, ticket_id)
    row.state = "claimed" if row.agent_id is not None else "new"
    row.closed_at = None
    row.closed_by = None
    row.rating = None
    row.comment = None
    session.flush()
    return _ticket(row)


# --- messages --------------------------------------------------------------------------------
def add_message(session: Session, *, ticket_id: int, direction: str, kind: str,
                text: str | None, now: datetime, status: str = "pending",
                person_message_id: int | None = None, topic_message_id: int | None = None,
                agent_id: int | None = None, reply_to_message_id: int | None = None,
                next_attempt_at: datetime | None = None) -> Message:
    """`next_attempt_at`: a pending row not due before then (the job leaves it until then)."""
    row = HelpdeskMessage(
        ticket_id=ticket_id, direction=direction, kind=kind, text=text, status=status,
        person_message_id=person_message_id, topic_message_id=topic_message_id,
        agent_id=agent_id, reply_to_message_id=reply_to_message_id, attempts=0,
        next_attempt_at=next_attempt_at, created_at=now,
        sent_at=now if status == "sent" else None)
    session.add(row)
    session.flush()
    return _message(row)


def get_message(session: Session, message_id: int) -> Message | None:
    row = session.get(HelpdeskMessage, message_id)
    return _message(row) if row is not None else None


def mark_sent(session: Session, message_id: int, *, target_message_id: int | None,
              now: datetime) -> Message:
    """Delivered: remember the copy's id on the other side (the mapping both ways)."""
    row = session.get(HelpdeskMessage, message_id)
    if row.direction == "in":
        row.topic_message_id = target_message_id
    else:
        row.person_message_id = target_message_id
    row.status = "sent"
    row.attempts += 1
    row.sent_at = now
    row.next_attempt_at = None
    row.claimed_by = row.claimed_at = None
    row.send_attempt = None
    session.flush()
    return _message(row)


def mark_retry(session: Session, message_id: int, *, error: str, next_at: datetime,
               failed: bool = False, in_doubt: bool = False) -> Message:
    """Not delivered this time. `in_doubt`: a copy may have arrived all the same (a timeout
    after the request went out, or an earlier attempt's), so the next send says so."""
    row = session.get(HelpdeskMessage, message_id)
    row.send_attempt = IN_DOUBT if in_doubt else None
    row.attempts += 1
    row.last_error = error[:120]
    row.next_attempt_at = None if failed else next_at
    row.status = "failed" if failed else "pending"
    row.claimed_by = row.claimed_at = None  # free for whoever retries it when it is due
    session.flush()
    return _message(row)


def pending(session: Session, *, ticket_id: int | None = None, direction: str | None = None,
            due_before: datetime | None = None) -> list[Message]:
    """Outbox rows (oldest first), optionally only those due by `due_before`."""
    q = select(HelpdeskMessage).where(HelpdeskMessage.status == "pending")
    if ticket_id is not None:
        q = q.where(HelpdeskMessage.ticket_id == ticket_id)
    if direction is not None:
        q = q.where(HelpdeskMessage.direction == direction)
    if due_before is not None:
        q = q.where((HelpdeskMessage.next_attempt_at.is_(None))
                    | (HelpdeskMessage.next_attempt_at <= due_before))
    return [_message(r) for r in session.scalars(q.order_by(HelpdeskMessage.id))]


def messages(session: Session, ticket_id: int) -> list[Message]:
    rows = session.scalars(select(HelpdeskMessage).where(HelpdeskMessage.ticket_id == ticket_id)
                           .order_by(HelpdeskMessage.id))
    return [_message(r) for r in rows]


def person_message_for(session: Session, ticket_id: int, topic_message_id: int) -> int | None:
    """The person-side message id of a topic message (either direction), for reply threading."""
    row = session.scalars(select(HelpdeskMessage)
                          .where(HelpdeskMessage.ticket_id == ticket_id,
                                 HelpdeskMessage.topic_message_id == topic_message_id)).first()
    return row.person_message_id if row is not None else None


def relayed_row(session: Session, ticket_id: int, *, person_message_id: int | None = None,
                topic_message_id: int | None = None) -> Message | None:
    """The row of a message by its *source* id, to carry an edit: the person's message ("in")
    by its id in the private chat, an agent's reply or note ("out"/"note") by its id in the
    topic. Edit rows (kind "edit") are never the answer: an edit is always of the original."""
    if person_message_id is not None:
        where = ((HelpdeskMessage.direction == "in")
                 & (HelpdeskMessage.person_message_id == person_message_id))
    else:
        where = (HelpdeskMessage.direction.in_(("out", "note"))
                 & (HelpdeskMessage.topic_message_id == topic_message_id))
    row = session.scalars(select(HelpdeskMessage)
                          .where(HelpdeskMessage.ticket_id == ticket_id,
                                 HelpdeskMessage.kind != "edit", where)
                          .order_by(HelpdeskMessage.id)).first()
    return _message(row) if row is not None else None


def topic_message_for(session: Session, ticket_id: int, person_message_id: int) -> int | None:
    row = session.scalars(select(HelpdeskMessage)
                          .where(HelpdeskMessage.ticket_id == ticket_id,
                                 HelpdeskMessage.person_message_id == person_message_id)).first()
    return row.topic_message_id if row is not None else None


# --- blocks ----------------------------------------------------------------------------------
def block(session: Session, chat_id: int, *, by: int | None, now: datetime) -> None:
    if session.get(HelpdeskBlock, chat_id) is None:
        session.add(HelpdeskBlock(chat_id=chat_id, blocked_at=now, blocked_by=by))
        session.flush()


def unblock(session: Session, chat_id: int) -> bool:
    row = session.get(HelpdeskBlock, chat_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def is_blocked(session: Session, chat_id: int) -> bool:
    return session.get(HelpdeskBlock, chat_id) is not None


# --- statistics ------------------------------------------------------------------------------
def facts(session: Session, *, since: datetime | None = None) -> list[TicketFacts]:
    q = select(HelpdeskTicket)
    if since is not None:
        q = q.where(HelpdeskTicket.created_at >= since)
    return [TicketFacts(reason=r.reason, opened_at=r.created_at,
                        first_response_at=r.first_response_at, closed_at=r.closed_at,
                        rating=r.rating)
            for r in session.scalars(q.order_by(HelpdeskTicket.id))]


# --- erasure and retention -------------------------------------------------------------------
# What replaces the person's words in a kept transcript (stored data, not a reply text).
ERASED_TEXT = "[dihapus atas permintaan]"
ERASED_ERROR = "erased"  # last_error of outbox rows cancelled by an erasure


def _anonymise(session: Session, ticket_ids: list[int]) -> dict[str, int]:
    """Replace the person's texts/captions (incoming messages, rating comment) with
    ERASED_TEXT, drop the card inputs (masked name, public status, recent exchanges) and the
    porsi, cancel undelivered outbox rows. Ids, times, reason, state and rating stay."""
    if not ticket_ids:
        return {"tickets": 0, "messages": 0, "outbox_cancelled": 0}
    person_rows = ((HelpdeskMessage.direction == "in")
                   | ((HelpdeskMessage.direction == "bot") & (HelpdeskMessage.kind == "comment")))
    msgs = session.execute(
        update_(HelpdeskMessage)
        .where(HelpdeskMessage.ticket_id.in_(ticket_ids), person_rows,
               HelpdeskMessage.text.is_not(None), HelpdeskMessage.text != ERASED_TEXT)
        .values(text=ERASED_TEXT)).rowcount or 0
    # A pending "in" row would be copied from the person's chat later: not any more.
    cancelled = session.execute(
        update_(HelpdeskMessage)
        .where(HelpdeskMessage.ticket_id.in_(ticket_ids), HelpdeskMessage.status == "pending")
        .values(status="failed", next_attempt_at=None, last_error=ERASED_ERROR)).rowcount or 0
    tickets = session.execute(
        update_(HelpdeskTicket)
        .where(HelpdeskTicket.id.in_(ticket_ids),
               (HelpdeskTicket.context != "{}") | HelpdeskTicket.porsi.is_not(None)
               | (HelpdeskTicket.comment.is_not(None) & (HelpdeskTicket.comment != ERASED_TEXT)))
        .values(context="{}", porsi=None,
                comment=case((HelpdeskTicket.comment.is_(None), None), else_=ERASED_TEXT)))
    return {"tickets": tickets.rowcount or 0, "messages": msgs, "outbox_cancelled": cancelled}


def erase_person(session: Session, chat_id: int, user_id: int | None, now: datetime
                 ) -> dict[str, int]:
    """Close the person's open tickets (closed_by "person") and anonymise all their tickets
    (see `_anonymise`). The caller tells the agents in the topics of `open_of` beforehand."""
    who = HelpdeskTicket.chat_id == chat_id
    if user_id is not None:
        who = who | (HelpdeskTicket.user_id == user_id)
    rows = list(session.scalars(select(HelpdeskTicket).where(who)))
    closed = 0
    for row in rows:
        if row.state in OPEN_STATES:
            close(session, row.id, by="person", now=now)
            closed += 1
    session.flush()
    done = _anonymise(session, [r.id for r in rows])
    return {"tickets_closed": closed, "tickets_anonymised": done["tickets"],
            "messages_anonymised": done["messages"],
            "outbox_cancelled": done["outbox_cancelled"]}


def purge_older_than(session: Session, closed_before: datetime) -> dict[str, int]:
    """Anonymise tickets closed before `closed_before` (metadata stays for statistics)."""
    ids = list(session.scalars(select(HelpdeskTicket.id)
                               .where(HelpdeskTicket.state == "closed",
                                      HelpdeskTicket.closed_at < closed_before)))
    done = _anonymise(session, ids)
    return {"tickets_anonymised": done["tickets"], "messages_anonymised": done["messages"]}


def tickets_of(session: Session, chat_id: int, user_id: int | None = None) -> list[Ticket]:
    """Every ticket of this chat (or Telegram user), oldest first."""
    who = HelpdeskTicket.chat_id == chat_id
    if user_id is not None:
        who = who | (HelpdeskTicket.user_id == user_id)
    rows = session.scalars(select(HelpdeskTicket).where(who).order_by(HelpdeskTicket.id))
    return [_ticket(r) for r in rows]
