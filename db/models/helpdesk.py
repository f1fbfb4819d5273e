"""Helpdesk tickets, the message mapping both ways (doubling as the outbox), notes, ratings,
transcripts, blocked people, and the per-month ticket counters.

Times are naive UTC. Message texts are stored (the transcript is the point of this table) but
never logged.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime


class HelpdeskTicket(Base):
    """One conversation of a person with the agents, in one forum topic."""

    __tablename__ = "helpdesk_tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    month: Mapped[str] = mapped_column(String(4), nullable=False)  # "2411"
    seq: Mapped[int] = mapped_column(Integer, nullable=False)  # per month, from 1
    code: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    lang: Mapped[str] = mapped_column(String(4), nullable=False, default="id")
    reason: Mapped[str] = mapped_column(String(20), nullable=False)
    state: Mapped[str] = mapped_column(String(10), nullable=False)  # new|claimed|closed
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    topic_closed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    agent_id: Mapped[int | None] = mapped_column(BigInteger)
    agent_name: Mapped[str | None] = mapped_column(String(64))
    porsi: Mapped[str | None] = mapped_column(String(10))
    context: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # card inputs, JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)  # person waits for an agent
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_person_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_agent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(10))  # person|agent
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("month", "seq", name="uq_helpdesk_tickets_month_seq"),
        Index("ix_helpdesk_tickets_chat_state", "chat_id", "state"),
        Index("ix_helpdesk_tickets_thread", "thread_id"),
    )


class HelpdeskMessage(Base):
    """One message of a ticket: person -> agents ("in"), agent -> person ("out"), an internal
    note ("note") or a bot notice ("bot"). `status` pending rows are the outbox."""

    __tablename__ = "helpdesk_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("helpdesk_tickets.id", ondelete="CASCADE"), nullable=False)
    direction: Mapped[str] = mapped_column(String(4), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="text")
    text: Mapped[str | None] = mapped_column(Text)  # text or caption
    person_message_id: Mapped[int | None] = mapped_column(BigInteger)
    topic_message_id: Mapped[int | None] = mapped_column(BigInteger)
    reply_to_message_id: Mapped[int | None] = mapped_column(BigInteger)  # in the target chat
    agent_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), nullable=False)  # pending|sent|failed|none
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(120))  # Telegram's description only
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The worker (one flush run) sending this outbox row now; a claim older than the timeout
    # in db/repos_helpdesk.py belongs to a dead worker and may be taken over.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set (to the claim owner) right before the copy is sent, cleared when its outcome is
    # recorded: still set on a pending row, a copy may have reached the other side.
    send_attempt: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_helpdesk_messages_ticket", "ticket_id", "id"),
        Index("ix_helpdesk_messages_status", "status", "next_attempt_at"),
        Index("ix_helpdesk_messages_topic_msg", "topic_message_id"),
    )


class HelpdeskBlock(Base):
    """A person the agents blocked for abuse: nothing of theirs is relayed."""

    __tablename__ = "helpdesk_blocks"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    blocked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    blocked_by: Mapped[int | None] = mapped_column(BigInteger)


class HelpdeskCounter(Base):
    """The last ticket number given out in a month: incremented in place (UPDATE ... RETURNING)
    so two processes opening tickets at once never get the same number."""

    __tablename__ = "helpdesk_counters"

    month: Mapped[str] = mapped_column(String(4), primary_key=True)  # "2411"
    last: Mapped[int] = mapped_column(Integer, nullable=False)
