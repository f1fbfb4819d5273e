"""Watching a porsi: `/pantau PORSI`, `/pantau` (the list, each with a "🔕 Berhenti" button),
the "🔔 Pantau porsi ini" button under every status card; and the texts of the notifications
themselves (`compose`, used by the sender in bot/notify_sender.py).

A porsi is watched only once the status check has found it (the same replies as `/porsi` for a
malformed or unknown number, and the same hourly lookup allowance, so watching cannot be used
to walk the waiting list). Health and payment news go only to chats verified for the porsi, as
a bare "there is news" with a button that re-checks verification (`pelunasan:use:<porsi>`)
before showing anything.
"""

from __future__ import annotations

import logging
import math
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackContext

from db import repos_notify
from db.repos_whatsapp import is_whatsapp
from handlers.base import (
    count_lookup,
    end_flow,
    labels,
    lang_of,
    mark,
    render,
    route_free_text,
    services,
    start_flow,
)
from handlers.menu import answer_callback, send, show_menu
from handlers.status import reply_format
from knowledge.chat_words import CANCEL_WORDS
from knowledge.masking import mask_porsi
from knowledge.notify import SENSITIVE_KINDS
from knowledge.porsi import PorsiProblem, looks_like_porsi_attempt, parse_porsi, scan_numbers

log = logging.getLogger(__name__)

TOPIC = "pantau"
FLOW = "pantau"  # waiting for the porsi to watch, after "/pantau" with nothing watched
label = labels("pantau_label.j2")


def channel_of(chat_id: int) -> str:
    """The outbox channel of a chat: its id says which (db/repos_whatsapp.py)."""
    return "whatsapp" if is_whatsapp(chat_id) else "telegram"


def watch_button(lang: str, porsi: str) -> InlineKeyboardButton:
    """The "🔔 Pantau porsi ini" button of a status card."""
    return InlineKeyboardButton(label(lang, "watch"), callback_data=f"pantau:add:{porsi}")


def _settings(context: CallbackContext):
    s = services(context).settings
    return (getattr(s, "notify_max_per_chat", 10),
            getattr(s, "notify_quiet_hours", "21:00-06:00") or "")


def _quiet_text(lang: str, quiet: str) -> str:
    return quiet.replace("-", "–") if quiet else ""


async def _reply(update: Update, context: CallbackContext, key: str, markup=None, **kw) -> None:
    lang = lang_of(update, context)
    await send(update, context, render(lang, "pantau_reply.j2", key=key, **kw), markup)


async def subscribe(update: Update, context: CallbackContext, porsi: str) -> None:
    """Watch `porsi` in this chat once the status check finds it."""
    svc = services(context)
    lang = lang_of(update, context)
    chat_id = update.effective_chat.id
    limit, quiet = _settings(context)
    mark(update, context, topic=TOPIC)
    channel = channel_of(chat_id)
    with svc.db.session() as s:
        if repos_notify.is_subscribed(s, chat_id, porsi, channel):
            repos_notify.subscribe(s, chat_id, porsi, lang, svc.clock(), limit=limit,
                                   channel=channel)
            await _reply(update, context, "already", p=porsi)
            return
        count = len(repos_notify.subscriptions(s, chat_id, channel))
    if count >= limit:
        await _reply(update, context, "limit", limit=limit)
        return
    wait = count_lookup(context, svc.settings.status_lookups_per_hour, svc.clock().timestamp())
    if wait is not None:
        await send(update, context, render(
            lang, "status_rate_limited.j2", limit=svc.settings.status_lookups_per_hour,
            minutes=max(1, math.ceil(wait / 60))))
        return
    try:
        result = await svc.gateway.lookup(porsi)
    except Exception:  # the gateway degrades by itself; never leave the person hanging
        log.exception("pantau lookup failed")
        await send(update, context, render(lang, "status_unavailable.j2", porsi=porsi))
        return
    if result.record is None:
        template = "status_unavailable.j2" if result.siskohat_down else "status_not_found.j2"
        await send(update, context, render(lang, template, porsi=porsi))
        return
    with svc.db.session() as s:
        outcome = repos_notify.subscribe(s, chat_id, porsi, lang, svc.clock(), limit=limit,
                                         channel=channel)
    if outcome == "limit":
        await _reply(update, context, "limit", limit=limit)
    else:
        await _reply(update, context, outcome, p=porsi, quiet=_quiet_text(lang, quiet))


async def show_list(update: Update, context: CallbackContext) -> int:
    """The porsi this chat watches, each with a stop button; returns how many."""
    svc = services(context)
    lang = lang_of(update, context)
    limit, _ = _settings(context)
    mark(update, context, topic=TOPIC)
    with svc.db.session() as s:
        chat_id = update.effective_chat.id
        items = [w.porsi for w in repos_notify.subscriptions(s, chat_id, channel_of(chat_id))]
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton(label(lang, "stop", p=p), callback_data=f"pantau:stop:{p}")]
        for p in items]) if items else None
    await _reply(update, context, "list", markup, items=items, limit=limit)
    return len(items)


async def pantau_command(update: Update, context: CallbackContext) -> None:
    """/pantau: the list (when it is empty, the next porsi sent is the one to watch);
    /pantau PORSI: watch it."""
    text = " ".join(context.args or [])
    if not text.strip():
        if not await show_list(update, context):
            start_flow(context, FLOW)  # "/pantau", then the number: the one to watch
        return
    parsed = parse_porsi(text)
    if not parsed.ok:
        await reply_format(update, context, text)
        return
    await subscribe(update, context, parsed.porsi)


async def flow_text(update: Update, context: CallbackContext) -> None:
    """Text after "/pantau" with nothing watched yet: a porsi is the one to watch; "batal"
    stops; a wrong number is told its format (still waiting); anything else is a question
    for the router."""
    text = (update.effective_message.text or "") if update.effective_message else ""
    if text.strip().strip("/!.").casefold() in CANCEL_WORDS:
        end_flow(context)
        await show_menu(update, context, "router_flow_ended.j2", ended=True)
        return
    parsed = parse_porsi(text)
    porsi = parsed.porsi if parsed.ok else next(iter(scan_numbers(text).porsi), None)
    if porsi is not None:
        end_flow(context)
        await subscribe(update, context, porsi)
    elif parsed.problem is PorsiProblem.LENGTH or looks_like_porsi_attempt(text):
        await reply_format(update, context, text)
    else:
        end_flow(context)
        await route_free_text(update, context)


async def on_callback(update: Update, context: CallbackContext) -> None:
    """Buttons `pantau:add:<porsi>`, `pantau:stop:<porsi>`, `pantau:list`."""
    await answer_callback(update)
    if update.effective_chat is None:
        return
    _, _, rest = (update.callback_query.data or "").partition(":")
    action, _, arg = rest.partition(":")
    parsed = parse_porsi(arg) if arg else None
    if action == "add" and parsed is not None and parsed.ok:
        await subscribe(update, context, parsed.porsi)
    elif action == "stop" and parsed is not None and parsed.ok:
        svc = services(context)
        mark(update, context, topic=TOPIC)
        with svc.db.session() as s:
            chat_id = update.effective_chat.id
            removed = repos_notify.unsubscribe(s, chat_id, parsed.porsi, channel_of(chat_id))
        await _reply(update, context, "stopped" if removed else "not_watched", p=parsed.porsi)
    else:
        await show_list(update, context)


# ------------------------------------------------------------------ the notification texts


def _dates(payload: dict) -> dict:
    out = dict(payload)
    for key in ("opens", "closes"):
        if isinstance(out.get(key), str):
            try:
                out[key] = date.fromisoformat(out[key])
            except ValueError:
                out[key] = None
    return out


def compose(kind: str, payload: dict, lang: str, porsi: str | None,
            announcement: str | None = None) -> tuple[str, list[tuple[str, str]]]:
    """(HTML text, [(button label, callback data)]) of one notification. An announcement is
    the operator's text exactly as written: HTML-escaped here, so nothing in it is markup."""
    if kind == "announce":
        return render(lang, "notify_announce.j2", text=announcement or ""), []
    masked = mask_porsi(porsi or "")
    text = render(lang, "notify_message.j2", kind=kind, d=_dates(payload), p=masked)
    buttons: list[tuple[str, str]] = []
    if kind in SENSITIVE_KINDS and porsi:
        buttons.append((label(lang, "detail"), f"pelunasan:use:{porsi}"))
    return text, buttons
