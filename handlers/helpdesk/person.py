"""Helpdesk hand-off, the pilgrim's side: from the bot to a human agent and back.

Triggers: /petugas, the menu's `helpdesk:start`, and `offer_handoff` (installed as the
"handoff" hook: forced -> the reason choice, otherwise a "Hubungi petugas" button). The person
picks a reason (status, pelunasan, pelimpahan, data salah, lainnya; the caller's reason is
preselected) and types a message (flow "helpdesk"); the ticket opens (`HD-YYMM-NNNN`), a forum
topic is created in the agents' group with a context card, and the person is told what happens
next and when agents work (Mon-Fri, hours from settings, Indonesian public holidays skipped).

While a ticket is open (at most one per person; asking again adds to it):
- every NEW message that is not a command (text, photo, document, voice, sticker, video,
  location, ...) goes to the agents and stops there (handler in group -5, ApplicationHandlerStop);
  the person gets a short silent receipt ("Terkirim ke petugas", once per album), or is told
  that it could not be delivered yet;
- the runtime's burst throttle never drops such a message (`hooks.throttle`, `keep_for_agents`):
  up to TICKET_BURST_FACTOR bursts per throttle window go straight through; beyond that (a
  flood) each message is still stored in the outbox, due after the window, and relayed in order
  by the next flush or the job, the person being told it follows shortly;
- commands (/start, /porsi, /help, ...) and buttons still reach the bot; /selesai closes the
  ticket; /petugas reminds the person of the open ticket;
- while a bot wizard the person started is waiting for an answer (e.g. /porsi asked for the
  number), that answer goes to the wizard, not to the agents.
At close (by the person or an agent) they rate 1-5 with buttons and may add a comment.
The agents' side lives in handlers/helpdesk/agents.py, delivery in handlers/helpdesk/relay.py,
edits of relayed messages in handlers/helpdesk/edits.py, opening a ticket in
handlers/helpdesk/opening.py, the repeating job in handlers/helpdesk/jobs.py.
A repeating job (`tick`) retries the outbox and posts reminders for tickets waiting too long.
Callback data: `helpdesk:start[:reason]`, `helpdesk:reason:<r>`, `helpdesk:cancel`,
`helpdesk:rate:<ticket id>:<1-5>`, `helpdesk:skip:<ticket id>`.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackContext,
)

from db import repos_helpdesk as repo
from handlers.base import (
    active_flow,
    end_flow,
    lang_of,
    mark,
    message_kind,
    parse_command,
    render,
    services,
    start_flow,
)
from handlers.helpdesk import agents, relay
from handlers.helpdesk.agents import label
from handlers.helpdesk.jobs import (
    remind,  # noqa: F401 - re-exported
    tick,  # noqa: F401 - re-exported
)
from handlers.helpdesk.opening import (
    OFFICE_KEY,  # noqa: F401 - re-exported
    PORSI_KEY,
    RECENT_KEY,
    RECENT_MAX,
    TOPIC,
    _office,
    _report_flush,
    open_ticket,
)
from handlers.menu import answer_callback, keyboard, send, show_menu
from knowledge.normalize import mask_personal
from knowledge.porsi import parse_porsi
from knowledge.tickets import REASONS, reason_of

log = logging.getLogger(__name__)

FLOW = "helpdesk"
GROUP = -5  # after the runtime's pre-filters (-10), before every feature (0)
RECORD_GROUP = 90  # after every feature: remember the exchange for the context card
ALBUM_KEY = "hd_album"  # chat_data: media group id of the last acknowledged album
# chat_data: [window start (epoch s), messages in it, last album id, person told of pacing]
RATE_KEY = "hd_rate"
# In an open ticket this many throttle bursts per throttle window are relayed at once (20 per
# 10 s by default); more are queued in the outbox (paced), never dropped.
TICKET_BURST_FACTOR = 4
RECENT_CHARS = 160
JOB_INTERVAL_S = 60.0
# Commands of the helpdesk itself; every other command reaches the bot even in a ticket.
OWN_COMMANDS = frozenset({"petugas", "selesai"})
# Commands that leave the helpdesk step where it was: /bahasa re-asks it in the new language.
KEEP_FLOW_COMMANDS = frozenset({"bahasa", "language"})


# --- small helpers -------------------------------------------------------------------------
def configured(context: CallbackContext) -> bool:
    return bool(services(context).settings.helpdesk_chat_id)


def _command(text: str | None) -> str | None:
    command = parse_command(text)
    return command[0] if command else None


def reason_markup(lang: str, selected: str | None) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(label(lang, "reason", reason=r, selected=r == selected),
                                    callback_data=f"helpdesk:reason:{r}") for r in REASONS]
    rows = [buttons[0:2], buttons[2:4], buttons[4:]]
    rows.append([InlineKeyboardButton(label(lang, "cancel"), callback_data="helpdesk:cancel")])
    return InlineKeyboardMarkup(rows)


def _blocked(context: CallbackContext, chat_id: int) -> bool:
    with services(context).db.session() as s:
        return repo.is_blocked(s, chat_id)


def _open_ticket(context: CallbackContext, chat_id: int) -> repo.Ticket | None:
    with services(context).db.session() as s:
        ticket = repo.open_of(s, chat_id)
    # always the person's own chat here: keep the flag `_maybe_open_ticket` reads in step
    context.chat_data[agents.OPEN_KEY] = ticket is not None
    return ticket


def _maybe_open_ticket(context: CallbackContext, chat_id: int) -> repo.Ticket | None:
    """The open ticket, without a query when the chat is known to have none (the flag is set
    on open and reopen, cleared on close by either side)."""
    if context.chat_data.get(agents.OPEN_KEY) is False:
        return None
    return _open_ticket(context, chat_id)


# --- entry points --------------------------------------------------------------------------
async def handoff(update: Update, context: CallbackContext, reason: str = "lainnya",
                  forced: bool = False) -> None:
    """The "handoff" hook: forced -> choose a reason now; otherwise offer a button."""
    # no topic: the caller's (None for out-of-scope questions) stays what the reply was about
    mark(update, context, handoff=True)
    lang = lang_of(update, context)
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return
    if not configured(context):
        await unavailable(update, context, offered=not forced)
        return
    if forced:
        await begin(update, context, reason)
        return
    ticket = _open_ticket(context, chat.id)
    if ticket is not None:
        await send(update, context, render(lang, "helpdesk_already_open.j2", code=ticket.code))
        return
    hint = reason_of(reason)
    await send(update, context, render(lang, "helpdesk_offer.j2"), InlineKeyboardMarkup([[
        InlineKeyboardButton(label(lang, "contact"), callback_data=f"helpdesk:start:{hint}")]]))


async def begin(update: Update, context: CallbackContext, reason: str | None = None) -> None:
    """Start a hand-off: the reason buttons (or the open ticket, or where else to get help)."""
    mark(update, context, handoff=True)
    lang = lang_of(update, context)
    chat_id = update.effective_chat.id
    if not configured(context):
        await unavailable(update, context, offered=False)
        return
    if _blocked(context, chat_id):
        await send(update, context, render(lang, "helpdesk_blocked.j2"))
        return
    ticket = _open_ticket(context, chat_id)
    if ticket is not None:
        await send(update, context, render(lang, "helpdesk_already_open.j2", code=ticket.code))
        return
    selected = reason_of(reason) if reason else None
    start_flow(context, FLOW, step="reason", reason=selected or "lainnya")
    await send(update, context, render(lang, "helpdesk_reason.j2", selected=selected),
               reason_markup(lang, selected))


async def unavailable(update: Update, context: CallbackContext, *, offered: bool) -> None:
    """No agents' group: say where human help is (the Kankemenag of the porsi's kab/kota when
    the chat knows one) and give a way on; `offered` (not asked for) -> the short note."""
    lang = lang_of(update, context)
    office = await _office(context, update.effective_chat.id)
    await send(update, context,
               render(lang, "helpdesk_unavailable.j2", offered=offered,
                      office=office.get("regency"), province=office.get("province"),
                      porsi=office.get("porsi")),
               keyboard(lang, [[("menu", "menu:show")]]))


async def petugas_command(update: Update, context: CallbackContext) -> None:
    """/petugas: talk to a human agent."""
    mark(update, context, topic=TOPIC)
    await begin(update, context)


async def selesai_command(update: Update, context: CallbackContext) -> None:
    """/selesai: close the open ticket (then rate it), or end whatever step is running."""
    chat_id = update.effective_chat.id
    ticket = _open_ticket(context, chat_id)
    if ticket is None:
        ended = active_flow(context) is not None
        end_flow(context)
        await show_menu(update, context, "router_flow_ended.j2", ended=ended)
        return
    mark(update, context, topic=TOPIC, handoff=True)
    if active_flow(context) == FLOW:
        end_flow(context)
    await agents.close_ticket(context.application, ticket, by="person")
    context.chat_data[agents.OPEN_KEY] = False


# --- while a ticket is open ----------------------------------------------------------------
async def keep_for_agents(update: Update, context: CallbackContext) -> bool:
    """The runtime's THROTTLE_HOOK: a message over the burst is kept when it is words for the
    agents - a new non-command message while the chat has an open ticket (paced beyond
    TICKET_BURST_FACTOR bursts, see `_paced`), or an edit of one within that bound (an edit
    cannot wait in the outbox: past the bound the runtime asks to wait, as elsewhere)."""
    msg, chat = update.effective_message, update.effective_chat
    if msg is None or chat is None or not configured(context):
        return False
    command = _command(msg.text) if update.message is not None else None
    if command is not None and command not in OWN_COMMANDS:
        return False  # the bot's commands are throttled as usual; /selesai never
    flow = active_flow(context)
    if update.message is not None and flow and flow != FLOW and context.application.bot_data.flows.get(flow) is not None \
            and msg.text:
        return False  # an answer to a bot wizard (see `on_private`), not words for the agents
    if _maybe_open_ticket(context, chat.id) is None or _blocked(context, chat.id):
        return False
    return update.edited_message is None or not _count(update, context)[0]


def _count(update: Update, context: CallbackContext) -> tuple[bool, list]:
    """Count this message in the chat's relay window: (over TICKET_BURST_FACTOR bursts, the
    window [start, count, last album, person told of pacing])."""
    settings = services(context).settings
    window = max(1.0, float(settings.throttle_window_s))
    limit = max(1, settings.throttle_burst) * TICKET_BURST_FACTOR
    now = services(context).clock().timestamp()
    rate = context.chat_data.get(RATE_KEY)
    if not isinstance(rate, list) or len(rate) != 4 or not 0 <= now - rate[0] < window:
        rate = [now, 0, None, False]
    album = update.effective_message.media_group_id
    if album is None or album != rate[2]:  # an album counts once, as in the throttle
        rate[1] += 1
    rate[2] = album
    context.chat_data[RATE_KEY] = rate
    return rate[1] > limit, rate


def _paced(update: Update, context: CallbackContext) -> tuple[timedelta | None, bool]:
    """Count this message in the chat's relay window: (None, False) - relay now; past
    TICKET_BURST_FACTOR bursts (the delay after which it is due - the window's end, whether
    the person is to be told, once per window)."""
    if not context.application.bot_data.throttle:
        return None, False  # no throttle in this channel (console, ask): nothing to pace
    over, rate = _count(update, context)
    if not over:
        return None, False
    tell, rate[3] = not rate[3], True
    window = max(1.0, float(services(context).settings.throttle_window_s))
    now = services(context).clock().timestamp()
    return timedelta(seconds=max(1.0, rate[0] + window - now)), tell


async def relay_to_agents(update: Update, context: CallbackContext, ticket: repo.Ticket) -> None:
    app = context.application
    svc = services(context)
    msg = update.effective_message
    now = svc.clock()
    reply_to = None
    delay, tell = _paced(update, context)
    with svc.db.session() as s:
        if msg.reply_to_message is not None:
            reply_to = repo.topic_message_for(s, ticket.id, msg.reply_to_message.message_id)
        row = repo.add_message(s, ticket_id=ticket.id, direction="in",
                               kind=message_kind(msg), text=relay.message_text(msg),
                               person_message_id=msg.message_id, now=now,
                               reply_to_message_id=reply_to,
                               next_attempt_at=now + delay if delay is not None else None)
        repo.person_wrote(s, ticket.id, now)
    if delay is not None:
        # A flood in a ticket: stored, due after the window, relayed in order by the next
        # flush or the job (no inline send, so the agents' group is not flooded with it).
        if tell:
            await send(update, context, render(lang_of(update, context),
                                               "helpdesk_not_delivered.j2", final=False,
                                               paced=True))
        return
    result = await relay.flush(app, ticket.id)
    if row.id in result.sent:
        await _acknowledge(update, context)
    else:
        await _report_flush(app, result.ticket or ticket, result, row.id)


async def _acknowledge(update: Update, context: CallbackContext) -> None:
    """A short, silent "sent to the agents": the person knows it arrived (once per album)."""
    album = update.effective_message.media_group_id
    if album is not None:
        if context.chat_data.get(ALBUM_KEY) == album:
            return
        context.chat_data[ALBUM_KEY] = album
    try:
        await context.bot.send_message(update.effective_chat.id,
                                       render(lang_of(update, context), "helpdesk_relayed.j2"),
                                       disable_notification=True)
    except TelegramError as exc:  # the message itself is delivered; the receipt is a nicety
        log.debug("helpdesk: receipt not sent: %s", exc)


async def _batal(update: Update, context: CallbackContext, flow: str | None) -> bool:
    """/batal of the helpdesk's: before the message is written it cancels the request (as the
    "Batal" button); in an open ticket it says how the conversation ends (/selesai). False
    when neither applies (another guide's /batal, or nothing running: the router's)."""
    if flow == FLOW:
        end_flow(context)
        mark(update, context, topic=TOPIC)
        await show_menu(update, context, "helpdesk_cancelled.j2")
        return True
    if flow is None and configured(context):
        ticket = _maybe_open_ticket(context, update.effective_chat.id)
        if ticket is not None:
            mark(update, context, topic=TOPIC)
            await send(update, context, render(lang_of(update, context),
                                               "helpdesk_already_open.j2", code=ticket.code))
            return True
    return False


async def on_private(update: Update, context: CallbackContext) -> None:
    """Group -5: a new private message goes to the agents while a ticket is open, or opens
    one in the helpdesk flow; everything else continues to the bot's features."""
    msg = update.effective_message
    chat = update.effective_chat
    if msg is None or chat is None:
        return
    command = _command(msg.text)
    flow = active_flow(context)
    if command == "batal" and await _batal(update, context, flow):
        raise ApplicationHandlerStop
    if command is not None:
        if flow == FLOW and command not in OWN_COMMANDS | KEEP_FLOW_COMMANDS:
            end_flow(context)  # the person moved on to something else
        return  # commands are the bot's (ours are CommandHandlers in group 0)
    if not configured(context):
        return
    ticket = _maybe_open_ticket(context, chat.id)
    if ticket is not None:
        if flow and flow != FLOW and context.application.bot_data.flows.get(flow) is not None and msg.text:
            return  # a bot wizard the person started waits for this answer
        mark(update, context, topic=TOPIC, handoff=True)
        if _blocked(context, chat.id):
            await send(update, context, render(lang_of(update, context), "helpdesk_blocked.j2"))
        else:
            if flow == FLOW:
                end_flow(context)
            await relay_to_agents(update, context, ticket)
        raise ApplicationHandlerStop
    if flow != FLOW:
        return
    state = context.chat_data.get("flow_state") or {}
    step = state.get("step")
    if step in ("reason", "message"):
        if _blocked(context, chat.id):
            end_flow(context)
            await send(update, context, render(lang_of(update, context), "helpdesk_blocked.j2"))
        else:
            await open_ticket(update, context, reason_of(state.get("reason")))
        raise ApplicationHandlerStop
    if step == "comment" and msg.text:
        await save_comment(update, context, int(state.get("ticket") or 0), msg.text)
        raise ApplicationHandlerStop
    end_flow(context)  # a photo instead of a comment: the comment step is over


async def flow_text(update: Update, context: CallbackContext) -> None:
    """The router's entry for free text while the helpdesk flow is active (normally handled
    earlier by `on_private`; kept so any other path that dispatches flows works the same)."""
    try:
        await on_private(update, context)
    except ApplicationHandlerStop:
        return
    end_flow(context)
    await show_menu(update, context)


# --- closing and rating --------------------------------------------------------------------
async def save_comment(update: Update, context: CallbackContext, ticket_id: int,
                       text: str) -> None:
    app = context.application
    svc = services(context)
    end_flow(context)
    with svc.db.session() as s:
        ticket = repo.get(s, ticket_id)
        if ticket is None or ticket.chat_id != update.effective_chat.id:
            ticket = None
        else:
            ticket = repo.update_ticket(s, ticket_id, comment=text[:2000])
            repo.add_message(s, ticket_id=ticket_id, direction="bot", kind="comment",
                             text=text[:2000], now=svc.clock(), status="none")
    mark(update, context, topic=TOPIC)
    if ticket is not None:
        await relay.post(app, ticket, render("id", "helpdesk_agent.j2", key="comment",
                                             comment=text[:2000]))
    await send(update, context, render(lang_of(update, context), "helpdesk_thanks.j2"))


async def on_callback(update: Update, context: CallbackContext) -> None:
    """The helpdesk's buttons (see the module docstring)."""
    await answer_callback(update)
    query = update.callback_query
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return
    parts = (query.data or "").split(":")
    action = parts[1] if len(parts) > 1 else ""
    lang = lang_of(update, context)
    mark(update, context, topic=TOPIC, handoff=action in ("start", "reason"))
    if action == "start":
        await begin(update, context, parts[2] if len(parts) > 2 else None)
    elif action == "reason":
        reason = parts[2] if len(parts) > 2 and parts[2] in REASONS else "lainnya"
        if _open_ticket(context, chat.id) is not None:
            await begin(update, context)  # says the ticket is open
            return
        start_flow(context, FLOW, step="message", reason=reason)
        await _ask_message(update, context, reason)
    elif action == "cancel":
        if active_flow(context) == FLOW:
            end_flow(context)
        await show_menu(update, context, "helpdesk_cancelled.j2")
    elif action == "rate" and len(parts) == 4:
        await rate(update, context, int(parts[2]) if parts[2].isdecimal() else 0,
                   int(parts[3]) if parts[3].isdecimal() else 0)
    elif action == "skip":
        if active_flow(context) == FLOW:
            end_flow(context)
        await send(update, context, render(lang, "helpdesk_thanks.j2"))


async def rate(update: Update, context: CallbackContext, ticket_id: int, stars: int) -> None:
    svc = services(context)
    lang = lang_of(update, context)
    if not 1 <= stars <= 5:
        return
    with svc.db.session() as s:
        ticket = repo.get(s, ticket_id)
        if ticket is None or ticket.chat_id != update.effective_chat.id or ticket.is_open:
            ticket = None
        else:
            ticket = repo.update_ticket(s, ticket_id, rating=stars)
    if ticket is None:
        await send(update, context, render(lang, "helpdesk_rating_gone.j2"))
        return
    # the stars go away so the rating is not given twice by accident
    with contextlib.suppress(TelegramError):
        await update.callback_query.edit_message_reply_markup(None)
    await relay.post(context.application, ticket,
                     render("id", "helpdesk_agent.j2", key="rating", stars=stars))
    start_flow(context, FLOW, step="comment", ticket=ticket_id)
    await _ask_comment(update, context, ticket_id, stars)


async def _ask_message(update: Update, context: CallbackContext, reason: str) -> None:
    lang = lang_of(update, context)
    await send(update, context, render(lang, "helpdesk_ask_message.j2", reason=reason),
               InlineKeyboardMarkup([[InlineKeyboardButton(
                   label(lang, "cancel"), callback_data="helpdesk:cancel")]]))


async def _ask_comment(update: Update, context: CallbackContext, ticket_id: int,
                       stars: int) -> None:
    lang = lang_of(update, context)
    await send(update, context, render(lang, "helpdesk_ask_comment.j2", stars=stars),
               InlineKeyboardMarkup([[InlineKeyboardButton(
                   label(lang, "skip"), callback_data=f"helpdesk:skip:{ticket_id}")]]))


async def reask(update: Update, context: CallbackContext) -> bool:
    """The helpdesk step's question again, in the chat's (possibly new) language, with its
    buttons (handlers.base re-ask registry: /bahasa while choosing a reason, writing the
    message or the rating comment)."""
    lang = lang_of(update, context)
    state = context.chat_data.get("flow_state") or {}
    step = state.get("step")
    if step == "reason":
        selected = state.get("reason") if state.get("reason") != "lainnya" else None
        await send(update, context, render(lang, "helpdesk_reason.j2", selected=selected),
                   reason_markup(lang, selected))
    elif step == "message":
        await _ask_message(update, context, reason_of(state.get("reason")))
    elif step == "comment":
        ticket_id = int(state.get("ticket") or 0)
        with services(context).db.session() as s:
            ticket = repo.get(s, ticket_id)
        if ticket is None or ticket.rating is None:
            return False
        await _ask_comment(update, context, ticket_id, ticket.rating)
    else:
        return False
    return True


# --- the rolling transcript for the context card -------------------------------------------
async def remember(update: Update, context: CallbackContext) -> None:
    """Group 90: keep the last few exchanges (masked question + what the bot answered about)."""
    msg = update.effective_message
    if msg is None:
        return
    text = relay.message_text(msg) or ""
    command = parse_command(text)
    parsed = parse_porsi(command[1] if command and command[0] == "porsi" else text)
    if parsed.ok:
        context.chat_data[PORSI_KEY] = parsed.porsi
    if not relay.agents_chat(context.application):
        # No agents to read a context card: keep no transcript (data minimisation, and no
        # state write on every message).
        return
    outcome = context.application.bot_data.outcomes.get(update.update_id) or {}
    kind = message_kind(msg)
    said = mask_personal(text)[:RECENT_CHARS] if text else ""
    recent = list(context.chat_data.get(RECENT_KEY) or [])
    recent.append({"t": int(services(context).clock().timestamp()), "q": said,
                   "k": kind, "a": outcome.get("topic"), "h": bool(outcome.get("handoff"))})
    context.chat_data[RECENT_KEY] = recent[-RECENT_MAX:]
