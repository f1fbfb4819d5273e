"""Helpdesk, the agents' side: their forum supergroup (HAJIBOT_HELPDESK_CHAT_ID).

In a ticket's topic, a member's message is copied to the person (their account stays hidden)
and these commands act on the ticket: /ambil (claim; the title shows who), /catatan <teks>
(internal note, never sent to the person), /tutup (close; the person is asked for a rating),
/buka (reopen), /blokir and /buka_blokir (abuse: nothing of the person is relayed meanwhile).
/antrian anywhere in the group lists open tickets, oldest first. Only members of the group
(getChatMember: member, administrator, creator; cached briefly) can act; everything else -
other groups, non-members, the General topic - is ignored.
"""

from __future__ import annotations

import logging
import time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, CallbackContext

from db import repos_helpdesk as repo
from handlers.base import labels, mark, message_kind, parse_command, render
from handlers.helpdesk import relay

log = logging.getLogger(__name__)

MEMBER_STATUSES = frozenset({"member", "administrator", "creator"})
MEMBER_TTL_S = 60.0
MEMBERS_KEY = "hd_members"  # bot_data.caches: user id -> (is member, expires at monotonic)
# chat_data of the person: True/False = whether they have an open ticket; absent = unknown
# (ask the database). Saves a query per private message; kept by both sides (see helpdesk.py).
OPEN_KEY = "hd_open"
TICKET_COMMANDS = frozenset({"ambil", "catatan", "tutup", "buka", "blokir", "buka_blokir"})


label = labels("helpdesk_label.j2")


def rating_markup(lang: str, ticket_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(label(lang, "star", n=n),
                             callback_data=f"helpdesk:rate:{ticket_id}:{n}")
        for n in range(1, 6)]])


# --- membership ----------------------------------------------------------------------------
async def is_agent(context: CallbackContext, update: Update) -> bool:
    """A member of the agents' group (anonymous admins post as the group itself)."""
    msg = update.effective_message
    chat_id = relay.agents_chat(context.application)
    if msg.sender_chat is not None:
        return msg.sender_chat.id == chat_id
    user = update.effective_user
    if user is None or user.is_bot:
        return False
    cache = context.application.bot_data.caches.setdefault(MEMBERS_KEY, {})
    hit = cache.get(user.id)
    now = time.monotonic()
    if hit is not None and hit[1] > now:
        return hit[0]
    try:
        member = await context.bot.get_chat_member(chat_id, user.id)
        ok = member.status in MEMBER_STATUSES
    except TelegramError as exc:
        log.warning("helpdesk: membership check failed: %s", exc)
        return False  # not cached: ask again next time
    cache[user.id] = (ok, now + MEMBER_TTL_S)
    return ok


# --- closing (shared with the person's /selesai) -------------------------------------------
async def close_ticket(app: Application, ticket: repo.Ticket, *, by: str,
                       agent_name: str | None = None) -> repo.Ticket:
    """Close (by "person" or "agent"): notice, title, topic closed, rating prompt."""
    svc = relay.svc(app)
    with svc.db.session() as s:
        ticket = repo.close(s, ticket.id, by=by, now=svc.clock())
    log.info("helpdesk %s closed by %s", ticket.code, by)
    if by != "person":  # the person's own /selesai updates their chat_data in their update
        _set_person_state(app, ticket.chat_id, open_ticket=False)
    ticket, _ = await relay.post(app, ticket, render("id", "helpdesk_agent.j2", key="closed",
                                                     by=by, agent=agent_name))
    await relay.set_title(app, ticket)
    ticket = await relay.set_topic_closed(app, ticket, True)
    await relay.tell_person(app, ticket, render(ticket.lang, "helpdesk_closed.j2",
                                                code=ticket.code, by=by),
                            markup=rating_markup(ticket.lang, ticket.id))
    return ticket


def _set_person_state(app: Application, chat_id: int, *, open_ticket: bool) -> None:
    """Record in the person's chat_data whether their ticket is open; on reopening, also
    forget a pending rating comment. We run in the agents' update, outside the person's."""
    app.load_state(chat_id=chat_id)
    data = app.chat_data[chat_id]
    data[OPEN_KEY] = open_ticket
    if open_ticket and data.get("flow") == "helpdesk":
        data.pop("flow", None)
        data.pop("flow_state", None)
    app.save_state(chat_id=chat_id)


# --- the group -----------------------------------------------------------------------------
async def on_group_message(update: Update, context: CallbackContext) -> None:
    """Group -5: everything in the agents' group; other groups are ignored."""
    app = context.application
    chat = update.effective_chat
    msg = update.message
    if msg is None or chat is None or chat.id != relay.agents_chat(app):
        return
    thread = msg.message_thread_id if msg.is_topic_message else None
    if msg.forum_topic_closed or msg.forum_topic_reopened:
        await _topic_state(app, thread, closed=msg.forum_topic_closed is not None)
        raise ApplicationHandlerStop
    if not await is_agent(context, update):
        raise ApplicationHandlerStop  # a non-member (or a bot): ignored, nothing relayed
    mark(update, context, topic="helpdesk")
    command = parse_command(msg.text, context.bot.username)
    if command is not None and command[0] == "antrian":
        await queue(update, context, thread)
        raise ApplicationHandlerStop
    with relay.svc(app).db.session() as s:
        ticket = repo.by_thread(s, thread) if thread else None
    if ticket is None:
        if command is not None and command[0] in TICKET_COMMANDS:
            await _reply(context, thread, render("id", "helpdesk_agent.j2", key="no_ticket"))
        raise ApplicationHandlerStop  # the General topic and other talk: not ours
    if command is None:
        await relay_to_person(update, context, ticket)
    else:
        await ticket_command(update, context, ticket, *command)
    raise ApplicationHandlerStop


async def _reply(context: CallbackContext, thread: int | None, text: str) -> None:
    try:
        await context.bot.send_message(relay.agents_chat(context.application), text,
                                       message_thread_id=thread)
    except TelegramError as exc:
        log.warning("helpdesk: reply in the agents' group failed: %s", exc)


async def _topic_state(app: Application, thread: int | None, *, closed: bool) -> None:
    if thread is None:
        return
    with relay.svc(app).db.session() as s:
        ticket = repo.by_thread(s, thread)
        if ticket is not None:
            repo.update_ticket(s, ticket.id, topic_closed=closed)


def is_erased(session, ticket: repo.Ticket) -> bool:
    """Whether the person's words in this ticket were replaced by the erasure marker (their
    /hapusdata, or the retention purge): such a ticket stays closed - reopening it would
    relay to someone who asked to be forgotten, over a transcript nobody can read."""
    if ticket.is_open:
        return False
    if ticket.comment == repo.ERASED_TEXT:
        return True
    return any(m.text == repo.ERASED_TEXT for m in repo.messages(session, ticket.id)
               if m.direction in ("in", "bot"))


async def relay_to_person(update: Update, context: CallbackContext, ticket: repo.Ticket) -> None:
    """An agent's message in the topic -> a copy to the person (no sender shown)."""
    app = context.application
    msg = update.effective_message
    if not ticket.is_open:
        with relay.svc(app).db.session() as s:
            erased = is_erased(s, ticket)
        await relay.post(app, ticket, render("id", "helpdesk_agent.j2",
                                             key="erased" if erased else "is_closed"))
        return
    svc = relay.svc(app)
    now = svc.clock()
    with svc.db.session() as s:
        reply_to = None
        if msg.reply_to_message is not None:
            reply_to = repo.person_message_for(s, ticket.id, msg.reply_to_message.message_id)
        row = repo.add_message(s, ticket_id=ticket.id, direction="out",
                               kind=message_kind(msg), text=relay.message_text(msg),
                               topic_message_id=msg.message_id, agent_id=msg.from_user.id
                               if msg.from_user else None, now=now,
                               reply_to_message_id=reply_to)
        repo.agent_replied(s, ticket.id, now)
    result = await relay.flush(app, ticket.id)
    failed = next((m for m in result.failed if m.id == row.id), None)
    if failed is not None or row.id in result.pending:
        await relay.post(app, result.ticket or ticket, render(
            "id", "helpdesk_agent.j2", key="not_delivered" if failed else "pending",
            error=(failed.last_error if failed else "") or ""))


async def ticket_command(update: Update, context: CallbackContext, ticket: repo.Ticket,
                         name: str, args: str) -> None:
    app = context.application
    svc = relay.svc(app)
    user = update.effective_user
    agent = ((user.first_name or "").strip() if user else "") or label("id", "agent")
    agent = agent[:32]
    now = svc.clock()

    async def say(key: str, **values) -> None:
        await relay.post(app, ticket, render("id", "helpdesk_agent.j2", key=key, **values))

    if name == "catatan":
        if not args:
            await say("note_usage")
            return
        with svc.db.session() as s:
            repo.add_message(s, ticket_id=ticket.id, direction="note", kind="text", text=args,
                             topic_message_id=update.effective_message.message_id,
                             agent_id=user.id if user else None, now=now, status="none")
        await say("note_saved")
    elif name == "ambil":
        if not ticket.is_open:
            await say("is_closed")
            return
        with svc.db.session() as s:
            ticket = repo.update_ticket(s, ticket.id, state="claimed",
                                 agent_id=user.id if user else None, agent_name=agent)
        await relay.set_title(app, ticket)
        await say("claimed", agent=agent)
        await relay.tell_person(app, ticket, render(ticket.lang, "helpdesk_claimed.j2",
                                                    code=ticket.code))
    elif name == "tutup":
        if not ticket.is_open:
            await say("is_closed")
            return
        await close_ticket(app, ticket, by="agent", agent_name=agent)
    elif name == "buka":
        if ticket.is_open:
            await say("already_open")
            return
        with svc.db.session() as s:
            erased = is_erased(s, ticket)
            other = None if erased else repo.open_of(s, ticket.chat_id)
            if other is None and not erased:
                ticket = repo.reopen(s, ticket.id, now)
        if erased:
            await say("erased")
            return
        if other is not None:
            await say("other_open", other=other.code)
            return
        _set_person_state(app, ticket.chat_id, open_ticket=True)
        ticket = await relay.set_topic_closed(app, ticket, False)
        await relay.set_title(app, ticket)
        await say("reopened", agent=agent)
        await relay.tell_person(app, ticket, render(ticket.lang, "helpdesk_reopened.j2",
                                                    code=ticket.code))
    elif name == "blokir":
        with svc.db.session() as s:
            repo.block(s, ticket.chat_id, by=user.id if user else None, now=now)
        log.info("helpdesk %s: person blocked", ticket.code)
        await relay.set_title(app, ticket)
        await say("blocked")
    elif name == "buka_blokir":
        with svc.db.session() as s:
            repo.unblock(s, ticket.chat_id)
        log.info("helpdesk %s: person unblocked", ticket.code)
        await relay.set_title(app, ticket)
        await say("unblocked")
    else:
        await say("help")


def topic_link(chat_id: int, thread_id: int | None) -> str | None:
    """https://t.me/c/<internal id>/<thread> for a supergroup topic (agents tap to open it)."""
    raw = str(abs(chat_id))
    if thread_id is None or not raw.startswith("100"):
        return None
    return f"https://t.me/c/{raw[3:]}/{thread_id}"


async def queue(update: Update, context: CallbackContext, thread: int | None) -> None:
    """/antrian: open tickets, oldest first, with how long each has waited."""
    app = context.application
    svc = relay.svc(app)
    now = svc.clock()
    with svc.db.session() as s:
        tickets = repo.open_tickets(s)
        blocked = {t.chat_id for t in tickets if repo.is_blocked(s, t.chat_id)}
    items = [{"t": t, "link": topic_link(relay.agents_chat(app), t.thread_id),
              "age_min": int((now - t.created_at).total_seconds() // 60),
              "wait_min": (int((now - t.waiting_since).total_seconds() // 60)
                           if t.waiting_since else None),
              "blocked": t.chat_id in blocked} for t in tickets[:50]]
    await _reply(context, thread, render("id", "helpdesk_queue.j2", items=items,
                                         total=len(tickets)))
