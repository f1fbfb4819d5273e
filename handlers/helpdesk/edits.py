"""Edits during a helpdesk ticket: a correction reaches the other side.

A person who fixes a typo in a message already relayed to the agents, or an agent who corrects
a reply, expects the copy on the other side to change too - otherwise the agent answers the
wrong question, or the pilgrim acts on the uncorrected answer. So an edit of a relayed message
(text or caption) is carried to its copy with `edit_message_text`/`edit_message_caption`.
When the copy cannot be edited (deleted, or Telegram refuses), the new wording is sent as a
fresh message that says it is a correction; when even that fails, the editor is told to send
it again. A copy not sent yet needs nothing: `copy_message` copies the message as it is now.
The person gets a short silent receipt, as for a new message in a ticket.
Every edit is kept in the transcript as a row of kind "edit" (the original stays as it was).
An agent's edit of a `/catatan` note only updates the transcript. Edits of messages that were
never relayed, and location updates (live locations arrive as edits), are not helpdesk
business: the first get the runtime's usual answer, the second are ignored there.
"""

from __future__ import annotations

import logging

from telegram import Message as TgMessage
from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop, CallbackContext

from db import repos_helpdesk as repo
from handlers.base import mark, message_kind, parse_command, render
from handlers.helpdesk import agents, relay

log = logging.getLogger(__name__)

# The agents' edits: before the runtime's pre-filters (-10), which concern private chats only.
# The person's edits come through the pre-filter's `hooks.edit`, after its throttle.
GROUP = -11
# Kinds whose caption can be edited (a sticker, a location or a poll has none).
CAPTIONED = frozenset({"photo", "document", "voice", "audio", "video", "animation"})


def _editable(msg: TgMessage) -> bool:
    return msg.text is not None or message_kind(msg) in CAPTIONED


async def _edit_copy(context: CallbackContext, chat_id: int, message_id: int,
                     msg: TgMessage) -> None:
    """Make the copy say what the edited message says now, formatting included (entities,
    so no parse mode: the default HTML would misread the person's own "<" and "&")."""
    if msg.text is not None:
        await context.bot.edit_message_text(msg.text, chat_id=chat_id, message_id=message_id,
                                            entities=msg.entities, parse_mode=None)
    else:
        await context.bot.edit_message_caption(chat_id=chat_id, message_id=message_id,
                                               caption=msg.caption,
                                               caption_entities=msg.caption_entities,
                                               parse_mode=None)


async def _carry(context: CallbackContext, ticket: repo.Ticket, row: repo.Message,
                 msg: TgMessage) -> tuple[str, int | None]:
    """Carry the edit of `row`'s message: ("none" (nothing to do) | "sent" | "notice" (sent as
    a correction message) | "failed", the id of a correction notice in the topic)."""
    if row.status != "sent":
        return "none", None  # an unsent copy will copy the new version; a failed one never will
    app = context.application
    if row.direction == "in":
        target_chat, target_id = relay.agents_chat(app), row.topic_message_id
    else:
        target_chat, target_id = ticket.chat_id, row.person_message_id
    try:  # (a short 429 was retried by the rate limiter; anything else: a notice instead)
        await _edit_copy(context, target_chat, target_id, msg)
        return "sent", None
    except BadRequest as exc:
        if "not modified" in exc.message.lower():
            return "sent", None  # the copy already says this (the edit changed nothing visible)
        log.info("helpdesk %s: copy %s not edited: %s", ticket.code, row.id, exc)
    except TelegramError as exc:
        log.warning("helpdesk %s: copy %s not edited: %s", ticket.code, row.id, exc)
    text = relay.message_text(msg) or ""
    if row.direction == "in":
        _, sent = await relay.post(app, ticket, render("id", "helpdesk_agent.j2", key="edited",
                                                       text=text))
        # Kept as the edit row's topic message: an erasure deletes it with the other copies.
        return ("notice", sent.message_id) if sent is not None else ("failed", None)
    sent = await relay.tell_person(app, ticket, render(ticket.lang, "helpdesk_edit.j2",
                                                       key="agent_edited", text=text))
    return ("notice" if sent is not None else "failed"), None


def _record(context: CallbackContext, ticket: repo.Ticket, row: repo.Message, msg: TgMessage,
            outcome: str, notice_id: int | None) -> None:
    svc = relay.svc(context.application)
    status = {"sent": "sent", "notice": "sent", "failed": "failed"}.get(outcome, "none")
    with svc.db.session() as s:
        repo.add_message(s, ticket_id=ticket.id, direction=row.direction, kind="edit",
                         text=relay.message_text(msg), now=svc.clock(), status=status,
                         topic_message_id=notice_id,
                         agent_id=row.agent_id if row.direction != "in" else None)


async def on_person_edit(update: Update, context: CallbackContext) -> bool:
    """An edited private message (the runtime's `hooks.edit`): carried when it belongs to the
    open ticket; True when it was dealt with here."""
    msg, chat = update.edited_message, update.effective_chat
    if msg is None or chat is None or not relay.agents_chat(context.application):
        return False
    if not context.chat_data.get(agents.OPEN_KEY):
        return False  # no open ticket (the flag follows both sides): no query per edit
    svc = relay.svc(context.application)
    with svc.db.session() as s:
        ticket = repo.open_of(s, chat.id)
        row = (repo.relayed_row(s, ticket.id, person_message_id=msg.message_id)
               if ticket is not None else None)
        blocked = repo.is_blocked(s, chat.id)
    if row is None or blocked or not _editable(msg):
        return False  # not relayed (or not carried): the runtime answers or ignores it
    mark(update, context, topic="helpdesk", handoff=True)
    outcome, notice_id = await _carry(context, ticket, row, msg)
    _record(context, ticket, row, msg, outcome, notice_id)
    # Like a new message in a ticket, an edit gets a short silent receipt: never silence.
    if outcome in ("sent", "notice"):
        key = "carried"
    elif row.status == "pending":
        key = "queued"  # the copy is still to be sent: it will carry the new version
    else:
        key = "not_carried"  # the original never reached the agents (they were told)
    try:
        await context.bot.send_message(chat.id, render(ticket.lang, "helpdesk_edit.j2", key=key),
                                       disable_notification=key != "not_carried")
    except TelegramError as exc:
        log.debug("helpdesk %s: edit receipt not sent: %s", ticket.code, exc)
    return True


async def on_agent_edit(update: Update, context: CallbackContext) -> None:
    """An edited message in a ticket's topic: an agent's reply or note."""
    app = context.application
    msg, chat = update.edited_message, update.effective_chat
    if msg is None or chat is None or chat.id != relay.agents_chat(app):
        return
    thread = msg.message_thread_id if msg.is_topic_message else None
    if thread is None or not _editable(msg):
        raise ApplicationHandlerStop
    with relay.svc(app).db.session() as s:
        ticket = repo.by_thread(s, thread)
        row = (repo.relayed_row(s, ticket.id, topic_message_id=msg.message_id)
               if ticket is not None else None)
    if row is None or not await agents.is_agent(context, update):
        raise ApplicationHandlerStop  # talk that was never relayed, or not an agent
    mark(update, context, topic="helpdesk")
    if row.direction == "note":  # internal: the transcript only, nothing leaves the topic
        command = parse_command(msg.text, context.bot.username)
        if command is None or command[0] != "catatan" or not command[1]:
            raise ApplicationHandlerStop  # no longer a note: keep the one on record
        svc = relay.svc(app)
        with svc.db.session() as s:
            repo.add_message(s, ticket_id=ticket.id, direction="note", kind="edit",
                             text=command[1], now=svc.clock(), status="none",
                             agent_id=row.agent_id)
        raise ApplicationHandlerStop
    if not ticket.is_open:
        raise ApplicationHandlerStop  # the person is no longer in a conversation with us
    outcome, notice_id = await _carry(context, ticket, row, msg)
    _record(context, ticket, row, msg, outcome, notice_id)
    if outcome == "failed":
        await relay.post(app, ticket, render("id", "helpdesk_agent.j2", key="edit_not_carried"))
    raise ApplicationHandlerStop
