"""Status check by nomor porsi: `/porsi <nomor>`, the menu's "Cek status porsi", a bare number.

Public level only (knowledge/status_view.py). Lookups per person are capped per hour
(`settings.status_lookups_per_hour`) so the bot cannot be used to walk the waiting list.
"""

from __future__ import annotations

import logging
import math
from functools import lru_cache

from telegram import Update
from telegram.ext import Application, CallbackContext, CallbackQueryHandler, CommandHandler, filters

from bot.db import repos_verification
from handlers.base import (
    count_lookup,
    end_flow,
    lang_of,
    mark,
    pelunasan_policy,
    register_flow,
    register_reask,
    render,
    services,
    start_flow,
)
from handlers.menu import answer_callback, keyboard, send
from knowledge.porsi import PorsiProblem, looks_like_porsi_attempt, parse_porsi
from knowledge.status_view import build_status_view, has_sensitive_status

log = logging.getLogger(__name__)

FLOW = "status"
TOPIC = "status"


# The reply keyboards are immutable Telegram objects: built once per language, not per reply.
@lru_cache(maxsize=16)
def _result_keyboard(lang: str, pelimpahan: bool, pelunasan: bool = True):
    """Only the next steps that fit the status: pelunasan while the pilgrim still waits
    (not for batal, berangkat, dilimpahkan, wafat), pelimpahan for wafat / sakit permanen."""
    first = ([("pelimpahan", "pelimpahan:start")] if pelimpahan else []) + (
        [("pelunasan", "pelunasan:start")] if pelunasan else []) + [("faq", "faq:start")]
    return keyboard(lang, [first, [("menu", "menu:show")]])


@lru_cache(maxsize=16)
def _not_found_keyboard(lang: str):
    return keyboard(lang, [[("status", "status:start"), ("menu", "menu:show")]])


async def reply_format(update: Update, context: CallbackContext, text: str | None) -> None:
    """The expected format, with what was wrong (no number, letters, wrong length)."""
    parsed = parse_porsi(text)
    problem = parsed.problem or PorsiProblem.EMPTY
    mark(update, context, topic=TOPIC)
    await send(update, context, render(lang_of(update, context), "status_format.j2",
                                       problem=problem.value, digits=parsed.digits))


async def lookup_and_reply(update: Update, context: CallbackContext, porsi: str) -> None:
    """Look the porsi up (rate-limited) and reply with its public status view."""
    svc = services(context)
    lang = lang_of(update, context)
    mark(update, context, topic=TOPIC)
    now = svc.clock()
    wait = count_lookup(context, svc.settings.status_lookups_per_hour, now.timestamp())
    if wait is not None:
        await send(update, context, render(
            lang, "status_rate_limited.j2", limit=svc.settings.status_lookups_per_hour,
            minutes=max(1, math.ceil(wait / 60)),
        ))
        return
    try:
        result = await svc.gateway.lookup(porsi)
    except Exception:  # the gateway should degrade by itself; never leave the person hanging
        log.exception("status lookup failed")
        await send(update, context, render(lang, "status_unavailable.j2", porsi=porsi))
        return
    if result.record is None:
        template = "status_unavailable.j2" if result.siskohat_down else "status_not_found.j2"
        await send(update, context, render(lang, template, porsi=porsi),
                   _not_found_keyboard(lang))
        return
    tz = svc.tz
    today = now.astimezone(tz).date()
    verified = False
    if has_sensitive_status(result.record):  # one query, only where it changes the card
        with svc.db.session() as session:
            verified = repos_verification.is_verified(session, update.effective_chat.id,
                                                      porsi, now)
    view = build_status_view(result.record, source=result.source, as_of=result.as_of,
                             today=today, siskohat_down=result.siskohat_down, tz=tz,
                             policy=pelunasan_policy(context), verified=verified)
    await send(update, context, render(lang, "status_result.j2", v=view, demo=svc.demo_data),
               _result_keyboard(lang, view.pelimpahan_possible, view.waiting))


async def check_text(update: Update, context: CallbackContext, text: str | None) -> None:
    """Status for `text` if it is a valid porsi, else the format message."""
    parsed = parse_porsi(text)
    if parsed.ok:
        await lookup_and_reply(update, context, parsed.porsi)
    else:
        await reply_format(update, context, text)


async def porsi_command(update: Update, context: CallbackContext) -> None:
    """/porsi <nomor>: the status; /porsi alone asks for the number."""
    # args are split on spaces, and "1300 477 219" is one number written in groups
    text = " ".join(context.args or [])
    if not text.strip():
        await ask(update, context)
        return
    if context.chat_data.get("flow") == FLOW:
        end_flow(context)
    await check_text(update, context, text)


async def ask(update: Update, context: CallbackContext) -> None:
    """Ask for the nomor porsi; the next bare text goes to `flow_text`."""
    start_flow(context, FLOW)
    mark(update, context, topic=TOPIC)
    await send(update, context, render(lang_of(update, context), "status_ask.j2"))


async def reask(update: Update, context: CallbackContext) -> bool:
    """The question for the number again, in the chat's (possibly new) language (handlers.base
    re-ask registry: /bahasa while the bot waits for a porsi)."""
    await ask(update, context)
    return True


async def start_button(update: Update, context: CallbackContext) -> None:
    """Menu button "Cek status porsi": asks for the number."""
    await answer_callback(update)
    await ask(update, context)


async def flow_text(update: Update, context: CallbackContext) -> None:
    """Text while waiting for a porsi: a number (even a wrong one) is ours, anything else is not."""
    text = update.effective_message.text if update.effective_message else None
    parsed = parse_porsi(text)
    if parsed.ok:
        end_flow(context)
        await lookup_and_reply(update, context, parsed.porsi)
    elif parsed.problem is PorsiProblem.LENGTH or looks_like_porsi_attempt(text):
        await reply_format(update, context, text)  # stay in the flow for the corrected number
    else:
        # a question instead of a number: leave the flow and let the router answer it
        end_flow(context)
        from handlers.router import route_text

        await route_text(update, context)


def register(app: Application) -> None:
    # new messages in private chats only: edits are answered by the runtime's pre-filter
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("porsi", porsi_command, filters=private))
    app.add_handler(CallbackQueryHandler(start_button, pattern=r"^status:start$"))
    register_flow(FLOW, flow_text)
    register_reask(FLOW, reask)
