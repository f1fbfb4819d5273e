"""Helpdesk delivery: forum topics, the context card, and the outbox between person and agents.

Every relayed message is first stored as a `pending` row (db/repos_helpdesk.py), then sent
with `copy_message` (no "forwarded from": the agent's account stays hidden) and marked `sent`
with the copy's id - the mapping both ways. A 429 is retried here a few times when Telegram asks
for a short wait; anything still failing stays pending with a next attempt time and is retried by
the repeating job (`handlers.helpdesk.person.tick`), never dropped. A deleted topic is recreated (new
topic, context card again, resend); a closed topic is reopened.
Several processes may share the database: a flush claims the rows it sends (`repo.claim`, a
claim per flush run), keeps its claims alive with a heartbeat while it runs, renews the claim
and marks the row right before each send (`repo.begin_send`) and gives back what it did not
send, so the job and a handler - in this process or another - never send the same row twice.
A process killed mid-send stops its heartbeat: its rows are taken over after
`repo.CLAIM_TIMEOUT` (30 s), and a row it may already have copied is sent again with a visible
"may be repeated" notice (see `deliver`).
Nothing from messages reaches a log line: ticket codes, ids and Telegram's error texts only.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telegram import Message as TgMessage
from telegram import ReplyParameters
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application

from db import repos_helpdesk as repo
from db.repos_whatsapp import is_whatsapp
from handlers.base import Services, render, retry_after_s
from knowledge.office_hours import OfficeHours

log = logging.getLogger(__name__)

MAX_INLINE_ATTEMPTS = 3  # tries while the person (or agent) waits for the handler
MAX_ATTEMPTS = 10  # then the row is failed and the sender is told
BACKOFF_S = 30.0
MAX_BACKOFF_S = 1800.0
TITLE_MAX = 128
CARD_KEY = "card_message_id"  # ticket context: the context card's message in the topic
LOCKS_KEY = "hd_flush_locks"  # bot_data.caches: ticket id -> asyncio.Lock
# A handler whose ticket's older rows are held by another process waits this long (polling)
# for them before leaving its own row to that process / the job.
CLAIM_WAIT_S = 5.0
CLAIM_POLL_S = 0.1


def svc(app: Application) -> Services:
    return app.bot_data.services


def agents_chat(app: Application) -> int | None:
    return svc(app).settings.helpdesk_chat_id


def office(app: Application) -> OfficeHours:
    s = svc(app).settings
    return OfficeHours.parse(s.helpdesk_hours, s.timezone)


def now(app: Application) -> datetime:
    return svc(app).clock()


def local(app: Application, when: datetime | None = None) -> datetime:
    return (when or now(app)).astimezone(office(app).zone)


def message_text(msg: TgMessage) -> str | None:
    return msg.text or msg.caption or None


def _backoff(attempts: int) -> float:
    return min(MAX_BACKOFF_S, BACKOFF_S * (2 ** max(0, attempts)))


# --- topics ------------------------------------------------------------------------------------
def title_for(ticket: repo.Ticket, *, blocked: bool = False) -> str:
    """"HD-2411-0042 · pelunasan · baru" (plain text; Telegram caps titles at 128)."""
    text = html.unescape(render("id", "helpdesk_topic_title.j2", t=ticket, blocked=blocked,
                                whatsapp=is_whatsapp(ticket.chat_id)))
    return " ".join(text.split())[:TITLE_MAX]


def card_text(app: Application, ticket: repo.Ticket, *, recreated: bool = False) -> str:
    waited = (now(app) - ticket.created_at).total_seconds()
    return render("id", "helpdesk_card.j2", t=ticket, c=ticket.context,
                  opened=local(app, ticket.created_at), waited_min=max(0, int(waited // 60)),
                  recreated=recreated, whatsapp=is_whatsapp(ticket.chat_id))


async def create_topic(app: Application, ticket: repo.Ticket, *, recreated: bool = False
                       ) -> repo.Ticket:
    """A new forum topic for the ticket with the context card as its first post."""
    db = svc(app).db
    with db.session() as s:
        blocked = repo.is_blocked(s, ticket.chat_id)
    topic = await app.bot.create_forum_topic(agents_chat(app), title_for(ticket, blocked=blocked))
    with db.session() as s:
        won = repo.set_thread(s, ticket.id, expected=ticket.thread_id,
                              thread_id=topic.message_thread_id)
        current = repo.get(s, ticket.id)
    if not won:
        # Another process (re)created the ticket's topic meanwhile: one topic per ticket, so
        # ours goes and theirs, with its card, is used.
        log.info("helpdesk %s: topic %s made twice; keeping %s", ticket.code,
                 topic.message_thread_id, current.thread_id)
        try:
            await app.bot.delete_forum_topic(agents_chat(app), topic.message_thread_id)
        except TelegramError as exc:
            log.warning("helpdesk %s: spare topic not deleted: %s", ticket.code, exc)
        return current
    ticket = current
    log.info("helpdesk %s: topic %s %s", ticket.code, topic.message_thread_id,
             "recreated" if recreated else "created")
    try:
        text = card_text(app, ticket, recreated=recreated)
        card = await app.bot.send_message(agents_chat(app), text,
                                          message_thread_id=ticket.thread_id)
    except TelegramError as exc:  # the card is context, not the person's message: go on
        log.warning("helpdesk %s: context card not posted: %s", ticket.code, exc)
        return ticket
    # Its id, so that an erasure (/hapusdata) can remove the masked name and status with it.
    with db.session() as s:
        return repo.update_ticket(s, ticket.id,
                                  context={**ticket.context, CARD_KEY: card.message_id})


async def set_title(app: Application, ticket: repo.Ticket) -> None:
    if ticket.thread_id is None:
        return
    with svc(app).db.session() as s:
        blocked = repo.is_blocked(s, ticket.chat_id)
    try:
        await app.bot.edit_forum_topic(agents_chat(app), ticket.thread_id,
                                       name=title_for(ticket, blocked=blocked))
    except TelegramError as exc:  # TOPIC_NOT_MODIFIED, a deleted topic...: cosmetic only
        log.debug("helpdesk %s: title not changed: %s", ticket.code, exc)


async def set_topic_closed(app: Application, ticket: repo.Ticket, closed: bool) -> repo.Ticket:
    if ticket.thread_id is not None:
        try:
            if closed:
                await app.bot.close_forum_topic(agents_chat(app), ticket.thread_id)
            else:
                await app.bot.reopen_forum_topic(agents_chat(app), ticket.thread_id)
        except TelegramError as exc:  # already so (TOPIC_NOT_MODIFIED) or gone
            log.debug("helpdesk %s: topic open/close: %s", ticket.code, exc)
    with svc(app).db.session() as s:
        return repo.update_ticket(s, ticket.id, topic_closed=closed)


async def post(app: Application, ticket: repo.Ticket, text: str, *, markup=None
               ) -> tuple[repo.Ticket, TgMessage | None]:
    """A bot notice (HTML) in the ticket's topic; recreates a deleted topic, reopens a closed
    one. Returns the (possibly updated) ticket and the message, None if it could not be sent."""
    for attempt in range(1, MAX_INLINE_ATTEMPTS + 1):
        try:
            if ticket.thread_id is None:
                ticket = await create_topic(app, ticket)
            msg = await app.bot.send_message(agents_chat(app), text,
                                             message_thread_id=ticket.thread_id,
                                             reply_markup=markup)
            return ticket, msg
        except BadRequest as exc:
            desc = exc.message.lower()
            if "thread not found" in desc and attempt < MAX_INLINE_ATTEMPTS:
                ticket = await create_topic(app, ticket, recreated=True)
                continue
            if "topic_closed" in desc and attempt < MAX_INLINE_ATTEMPTS:
                ticket = await set_topic_closed(app, ticket, False)
                continue
            log.warning("helpdesk %s: notice not posted: %s", ticket.code, exc)
            return ticket, None
        except TelegramError as exc:
            log.warning("helpdesk %s: notice not posted: %s", ticket.code, exc)
            return ticket, None
    return ticket, None


# --- the outbox --------------------------------------------------------------------------------
@dataclass
class Flushed:
    sent: list[int] = field(default_factory=list)  # row ids delivered now
    pending: list[int] = field(default_factory=list)  # still waiting (retry later)
    failed: list[repo.Message] = field(default_factory=list)  # given up: tell the sender
    ticket: repo.Ticket | None = None


async def _copy(app: Application, ticket: repo.Ticket, row: repo.Message) -> int:
    reply = (ReplyParameters(message_id=row.reply_to_message_id, allow_sending_without_reply=True)
             if row.reply_to_message_id else None)
    if is_whatsapp(ticket.chat_id):
        return await _relay_whatsapp(app, ticket, row, reply)
    if row.direction == "in":
        result = await app.bot.copy_message(
            chat_id=agents_chat(app), from_chat_id=ticket.chat_id,
            message_id=row.person_message_id, message_thread_id=ticket.thread_id,
            reply_parameters=reply)
    else:
        result = await app.bot.copy_message(
            chat_id=ticket.chat_id, from_chat_id=agents_chat(app),
            message_id=row.topic_message_id, reply_parameters=reply)
    return result.message_id


async def _relay_whatsapp(app: Application, ticket: repo.Ticket, row: repo.Message,
                          reply: ReplyParameters | None) -> int:
    """WhatsApp and Telegram cannot copy each other's messages: the text is sent instead,
    labelled with its channel. An agent's reply outside WhatsApp's 24-hour window is not
    sent: the person gets the approved invitation template, the agent is told in the topic
    (the row counts as handled: the agent writes again once the person answers)."""
    if row.direction == "in":
        text = render("id", "helpdesk_agent.j2", key="wa_in", kind=row.kind,
                      text=html.escape(row.text or ""))
        result = await app.bot.send_message(agents_chat(app), text,
                                            message_thread_id=ticket.thread_id,
                                            reply_parameters=reply)
        return result.message_id
    channel = svc(app).extras.get("whatsapp")
    if channel is not None and not channel.window_open(ticket.chat_id):
        settings = svc(app).settings
        sent = await channel.send(ticket.chat_id,
                                  template=settings.whatsapp_template_helpdesk,
                                  lang=ticket.lang)
        log.info("helpdesk %s: message %s outside the WhatsApp window; invitation %s",
                 ticket.code, row.id, "sent" if sent.sent else f"failed ({sent.error})")
        await post(app, ticket, render("id", "helpdesk_agent.j2", key="wa_window",
                                       invited=sent.sent, error=sent.error))
        return sent.message_id or 0
    text = (html.escape(row.text) if row.text and row.kind == "text" else
            render(ticket.lang, "helpdesk_wa_media.j2", kind=row.kind)
            + (("\n" + html.escape(row.text)) if row.text else ""))
    result = await app.bot.send_message(ticket.chat_id, text)
    return result.message_id


def _owner() -> str:
    """A claim owner for one flush run (host and pid say who, for a person reading the table)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


async def deliver(app: Application, ticket: repo.Ticket, row: repo.Message, *,
                  owner: str) -> tuple[str, repo.Ticket]:
    """Try to send one outbox row claimed by `owner`:
    ("sent" | "pending" | "failed" | "lost", ticket); "lost": the claim was taken over (or the
    row is no longer pending), so it was not sent.

    A copy that may already exist (`repo.begin_send` found the row still marked by a sender
    that died mid-send, or an earlier send timed out) cannot be checked: the Bot API can neither
    read a chat's history nor send idempotently, and the id of such a copy never reached us. Not
    sending would lose the message whenever that copy did not arrive, and the person's words
    must never be lost; so it is sent again and a notice replying to the new copy says it may be
    a repeat - a duplicate the reader can see, never a silent one. A copy whose id was stored
    (`mark_sent`: id and status in one commit) is never sent again."""
    db = svc(app).db
    attempt = 0
    doubt = False  # an earlier copy of this row may exist (see above)
    while True:
        attempt += 1
        error: str
        retry_at: datetime | None = None
        unknown = False  # this attempt's copy may have arrived although it failed
        if row.direction == "in" and ticket.thread_id is None:
            with db.session() as s:
                if not repo.renew(s, row.id, owner=owner, now=now(app)):
                    log.warning("helpdesk %s: message %s claimed elsewhere", ticket.code, row.id)
                    return "lost", ticket
            try:
                ticket = await create_topic(app, ticket)
            except TelegramError as exc:  # 429, not a forum, no rights: keep it for later
                wait = retry_after_s(exc) if isinstance(exc, RetryAfter) else 0.0
                with db.session() as s:
                    repo.mark_retry(s, row.id, error=exc.message,
                                    next_at=now(app) + timedelta(
                                        seconds=max(wait, _backoff(row.attempts))))
                log.warning("helpdesk %s: no topic yet: %s", ticket.code, exc)
                return "pending", ticket
        with db.session() as s:
            start = repo.begin_send(s, row.id, owner=owner, now=now(app))
        if start is None:
            log.warning("helpdesk %s: message %s claimed elsewhere", ticket.code, row.id)
            return "lost", ticket
        doubt = doubt or start.maybe_sent
        try:
            target = await _copy(app, ticket, row)
        except RetryAfter as exc:  # a long wait (short ones the rate limiter retried): later
            wait = retry_after_s(exc)
            error = exc.message  # Telegram's words: "Flood control exceeded. Retry in 3 seconds"
            retry_at = now(app) + timedelta(seconds=max(wait, 1.0))
        except BadRequest as exc:
            desc = exc.message.lower()
            if row.direction == "in" and "thread not found" in desc \
                    and attempt < MAX_INLINE_ATTEMPTS:
                try:
                    ticket = await create_topic(app, ticket, recreated=True)
                    continue
                except TelegramError as inner:
                    error, retry_at = inner.message, now(app) + timedelta(seconds=BACKOFF_S)
            elif row.direction == "in" and "topic_closed" in desc \
                    and attempt < MAX_INLINE_ATTEMPTS:
                ticket = await set_topic_closed(app, ticket, False)
                continue
            else:
                error = exc.message  # the source is gone, the content is refused...: final
        except Forbidden as exc:  # the person blocked the bot / the bot left the group
            error = exc.message
        except NetworkError as exc:  # timeouts, connection errors: later
            error = exc.message
            retry_at = now(app) + timedelta(seconds=_backoff(row.attempts))
            # a timeout may come after Telegram took the request: the copy may be there
            unknown = isinstance(exc, TimedOut)
        except TelegramError as exc:
            error = exc.message
            retry_at = now(app) + timedelta(seconds=_backoff(row.attempts))
        else:
            with db.session() as s:
                repo.mark_sent(s, row.id, target_message_id=target, now=now(app))
            if doubt:
                await _say_maybe_repeated(app, ticket, row, target)
            return "sent", ticket
        final = retry_at is None or row.attempts + 1 >= MAX_ATTEMPTS
        with db.session() as s:
            repo.mark_retry(s, row.id, error=error, next_at=retry_at or now(app), failed=final,
                            in_doubt=doubt or unknown)
        log.warning("helpdesk %s: message %s %s: %s", ticket.code, row.id,
                    "failed" if final else "pending", error)
        return ("failed" if final else "pending"), ticket


async def _say_maybe_repeated(app: Application, ticket: repo.Ticket, row: repo.Message,
                              target: int) -> None:
    """The visible mark of a possible repeat: a notice replying to the new copy, to the agents
    (a person's message) or to the person (an agent's reply). Best effort: the copy is there."""
    log.warning("helpdesk %s: message %s sent again after an unknown outcome", ticket.code,
                row.id)
    reply = ReplyParameters(message_id=target, allow_sending_without_reply=True)
    try:
        if row.direction == "in":
            await app.bot.send_message(agents_chat(app),
                                       render("id", "helpdesk_agent.j2", key="maybe_repeated"),
                                       message_thread_id=ticket.thread_id,
                                       reply_parameters=reply)
        else:
            await app.bot.send_message(ticket.chat_id,
                                       render(ticket.lang, "helpdesk_edit.j2",
                                              key="maybe_repeated"),
                                       reply_parameters=reply,
                                       disable_notification=True)
    except TelegramError as exc:
        log.warning("helpdesk %s: repeat notice not sent: %s", ticket.code, exc)


async def _heartbeat(app: Application, owner: str) -> None:
    """While a flush runs: keep its claims fresh, so only a dead worker's claims go stale."""
    interval = repo.HEARTBEAT.total_seconds()
    while True:
        await asyncio.sleep(interval)  # real time, like the process it vouches for
        try:
            with svc(app).db.session() as s:
                repo.heartbeat(s, owner=owner, now=now(app))
        except Exception as exc:  # noqa: BLE001 - try again next beat; begin_send checks
            log.warning("helpdesk: heartbeat failed: %s", type(exc).__name__)


async def flush(app: Application, ticket_id: int, *, inline: bool = True) -> Flushed:
    """Send the ticket's pending rows in order, each direction stopping at its first failure
    (so messages never overtake each other). `inline=False` (the job) takes only due rows."""
    # Within this process one flush per ticket at a time (no claim contention, no polling);
    # across processes the claims in the database keep workers apart.
    locks = app.bot_data.caches.setdefault(LOCKS_KEY, {})
    lock = locks.setdefault(ticket_id, asyncio.Lock())
    async with lock:
        owner = _owner()
        beat = asyncio.create_task(_heartbeat(app, owner))
        try:
            return await _flush(app, ticket_id, inline=inline, owner=owner)
        finally:
            beat.cancel()
            try:
                with svc(app).db.session() as s:
                    repo.release(s, ticket_id=ticket_id, owner=owner)
            except Exception:
                log.exception("helpdesk: claims of ticket %s not released", ticket_id)
            if not lock._waiters:
                locks.pop(ticket_id, None)


async def _flush(app: Application, ticket_id: int, *, inline: bool, owner: str) -> Flushed:
    db = svc(app).db
    with db.session() as s:
        ticket = repo.get(s, ticket_id)
    out = Flushed(ticket=ticket)
    if ticket is None:
        return out
    stuck: set[str] = set()
    tried: set[int] = set()  # rows this run has handled (sent, left pending, failed, lost)
    first_seen: tuple[int, ...] | None = None
    waited = 0.0
    contended = False
    while True:
        # Claim again after each batch: rows added meanwhile, or released by another worker.
        with db.session() as s:
            claim = repo.claim(s, ticket_id=ticket_id, owner=owner, now=now(app),
                               due_before=None if inline else now(app))
        if first_seen is None:
            first_seen = claim.pending_ids
        contended = contended or claim.busy
        fresh = [r for r in claim.rows if r.id not in tried]
        if not fresh:
            if claim.busy and inline and waited < CLAIM_WAIT_S:
                await asyncio.sleep(CLAIM_POLL_S)  # real time: another process is sending
                waited += CLAIM_POLL_S
                continue
            break
        for row in fresh:
            tried.add(row.id)
            if row.direction in stuck:
                out.pending.append(row.id)
                continue
            if row.direction == "in" and ticket.topic_closed and ticket.is_open:
                ticket = await set_topic_closed(app, ticket, False)  # the person writes: reopen
            result, ticket = await deliver(app, ticket, row, owner=owner)
            if result == "sent":
                out.sent.append(row.id)
                continue
            stuck.add(row.direction)
            if result in ("pending", "lost"):
                out.pending.append(row.id)
            else:
                with db.session() as s:
                    failed = repo.get_message(s, row.id)
                out.failed.append(failed)
    if contended and first_seen:
        # Rows another worker held: report what became of them (sent -> the caller's receipt;
        # failed ones are reported by the worker that failed them).
        with db.session() as s:
            for rid in first_seen:
                if rid in tried:
                    continue
                other = repo.get_message(s, rid)
                if other is not None and other.status == "sent":
                    out.sent.append(rid)
                elif other is not None and other.status == "pending":
                    out.pending.append(rid)
    out.ticket = ticket
    return out


async def tell_person(app: Application, ticket: repo.Ticket, text: str, *, markup=None
                      ) -> TgMessage | None:
    try:
        return await app.bot.send_message(ticket.chat_id, text, reply_markup=markup)
    except TelegramError as exc:
        log.warning("helpdesk %s: person not told: %s", ticket.code, exc)
    return None
