"""Status check by nomor porsi: `/porsi <nomor>`, the menu's "Cek status porsi", a bare number.

Public level only (knowledge/status_view.py). Lookups per person are capped per hour
(`settings.status_lookups_per_hour`) so the bot cannot be used to walk the waiting list.
"""

from __future__ import annotations

import logging
import math
from functools import lru_cache

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackContext

from db import repos_verification
from handlers.base import (
    count_lookup,
    end_flow,
    labels,
    lang_of,
    mark,
    pelunasan_policy,
    render,
    route_free_text,
    services,
    start_flow,
)
from handlers.menu import answer_callback, keyboard, send, show_menu
from knowledge.chat_words import CANCEL_WORDS
from knowledge.dates import local_today
from knowledge.notify import estimate_move
from knowledge.porsi import (
    FoundNumber,
    NumberKind,
    PorsiProblem,
    looks_like_porsi_attempt,
    parse_porsi,
    scan_numbers,
)
from knowledge.status_view import build_status_view, has_sensitive_status

log = logging.getLogger(__name__)

FLOW = "status"
TOPIC = "status"
# Numbers recognised as something else than a porsi, answered with what they look like.
NOT_PORSI = (NumberKind.DATE, NumberKind.PHONE, NumberKind.NIK)


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


async def lookup_and_reply(update: Update, context: CallbackContext, porsi: str) -> bool:
    """Look the porsi up (rate-limited) and reply with its public status view; False when
    the hourly allowance is used up (nothing was looked up)."""
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
        return False
    try:
        result = await svc.gateway.lookup(porsi)
    except Exception:  # the gateway should degrade by itself; never leave the person hanging
        log.exception("status lookup failed")
        await send(update, context, render(lang, "status_unavailable.j2", porsi=porsi))
        return True
    if result.record is None:
        template = "status_unavailable.j2" if result.siskohat_down else "status_not_found.j2"
        await send(update, context, render(lang, template, porsi=porsi),
                   _not_found_keyboard(lang))
        return True
    tz = svc.tz
    today = local_today(now, tz)
    verified = False
    if has_sensitive_status(result.record):  # one query, only where it changes the card
        with svc.db.session() as session:
            verified = repos_verification.is_verified(session, update.effective_chat.id,
                                                      porsi, now)
    view = build_status_view(result.record, source=result.source, as_of=result.as_of,
                             today=today, siskohat_down=result.siskohat_down, tz=tz,
                             policy=pelunasan_policy(context), verified=verified)
    moved = _estimate_moved(context, porsi, view)
    markup = _result_keyboard(lang, view.pelimpahan_possible, view.waiting)
    if view.waiting:  # a porsi that still waits can be watched
        markup = InlineKeyboardMarkup(((InlineKeyboardButton(
            watch_label(lang, "watch"), callback_data=f"pantau:add:{porsi}"),),
            *markup.inline_keyboard))
    await send(update, context, render(lang, "status_result.j2", v=view, demo=svc.demo_data,
                                       moved=moved), markup)
    return True


watch_label = labels("pantau_label.j2")


SEEN_KEY = "seen_estimates"  # chat_data: porsi -> [season, year, position, quota] last shown
SEEN_MAX = 20  # porsi remembered per chat (the oldest forgotten first)


def _estimate_moved(context: CallbackContext, porsi: str, view) -> dict | None:
    """From what to what (and why) the estimate moved since this chat last saw this porsi;
    remembers what it shows now. Kept in the chat's state (saved with it after the update, and
    erased with it by /hapusdata): no extra database step on the status path."""
    e = view.estimate
    if e is None or context.chat_data is None:
        return None
    now = [e.season_hijri, e.year_masehi, view.position, view.quota]
    seen = context.chat_data.get(SEEN_KEY)
    if not isinstance(seen, dict):
        seen = {}
    before = seen.pop(porsi, None)
    seen[porsi] = now  # re-inserted: the dict keeps the most recent last
    while len(seen) > SEEN_MAX:
        seen.pop(next(iter(seen)))
    context.chat_data[SEEN_KEY] = seen
    if not (isinstance(before, list) and len(before) == 4):
        return None
    return estimate_move(tuple(before), tuple(now))


MAX_CARDS = 3  # porsi looked up from one message; more are named in a note, not walked


async def lookup_many(update: Update, context: CallbackContext, porsi: list[str]) -> None:
    """One status card per porsi found in a message ("punya bapak ... dan ibu ..."), up to
    MAX_CARDS, then a short note; stops at the first reply that says the hour is used up."""
    for number in porsi[:MAX_CARDS]:
        if not await lookup_and_reply(update, context, number):
            return
    if len(porsi) > MAX_CARDS:
        await send(update, context, render(lang_of(update, context), "router_porsi_many.j2",
                                           total=len(porsi), shown=MAX_CARDS))


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


async def reply_number_kind(update: Update, context: CallbackContext, number: FoundNumber, *,
                            waiting: bool = False) -> None:
    """"That looks like a date / phone number / NIK, not a porsi", and what to do instead
    (`waiting`: said while the status check waits for a porsi)."""
    mark(update, context, topic=TOPIC)
    kind = number.kind if number.kind in NOT_PORSI else NumberKind.NIK
    await send(update, context, render(lang_of(update, context), "router_number_kind.j2",
                                       kind=kind.value, given=number.text[:40], waiting=waiting))


async def flow_text(update: Update, context: CallbackContext) -> None:
    """Text while waiting for a porsi: a number (even a wrong one) is ours, anything else is not."""
    text = update.effective_message.text if update.effective_message else None
    if (text or "").strip().strip("/!.").casefold() in CANCEL_WORDS:
        end_flow(context)
        mark(update, context, topic=TOPIC)
        await show_menu(update, context, "router_flow_ended.j2", ended=True)
        return
    parsed = parse_porsi(text)
    scan = scan_numbers(text)
    if parsed.ok or scan.porsi:
        end_flow(context)
        await lookup_many(update, context, [parsed.porsi] if parsed.ok else scan.porsi)
    elif scan.of(*NOT_PORSI):
        # a birth date, a phone number, a NIK: say what it looks like, still waiting
        await reply_number_kind(update, context, scan.of(*NOT_PORSI)[0], waiting=True)
    elif parsed.problem is PorsiProblem.LENGTH or looks_like_porsi_attempt(text):
        await reply_format(update, context, text)  # stay in the flow for the corrected number
    else:
        # a question instead of a number: leave the flow and let the router answer it
        end_flow(context)
        await route_free_text(update, context)
