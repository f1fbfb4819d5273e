"""Shared reply helpers: button labels from templates, the main menu keyboard, and `send`.

Not a feature module (no `register`): start, status and router use it, and other features may
(`menu_markup(lang)`, `keyboard(lang, [[("menu", "menu:show")]])`, `send(...)`); and
`offer_handoff`, the hand-off path every feature may take (the helpdesk installs it as a hook).
Callback data follows `<feature>:<action>[:arg]`.
"""

from __future__ import annotations

import logging
import warnings
from collections import OrderedDict

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import CallbackContext
from telegram.warnings import PTBUserWarning

from handlers.base import labels, lang_of, mark, render

log = logging.getLogger(__name__)

# `send` calls `do_api_request("sendMessage")` on purpose (see there): PTB's advice to call
# `send_message` instead is not for this call. (pyproject.toml's pytest filters say the same.)
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage' instead",
                        category=PTBUserWarning)

# The main menu: (label key in common_label.j2, callback data), one list per row.
MENU: tuple[tuple[tuple[str, str], ...], ...] = (
    (("status", "status:start"),),
    (("pelunasan", "pelunasan:start"), ("pelimpahan", "pelimpahan:start")),
    (("faq", "faq:start"), ("helpdesk", "helpdesk:start")),
)


label = labels("common_label.j2")  # label(lang, key): the buttons every feature shares


def keyboard(lang: str, rows) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of (label key, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label(lang, key), callback_data=data) for key, data in row]
         for row in rows]
    )


def menu_markup(lang: str) -> InlineKeyboardMarkup:
    return keyboard(lang, MENU)


async def send(update: Update, context: CallbackContext, text: str,
               markup: InlineKeyboardMarkup | None = None) -> None:
    """Send `text` (HTML) to the update's chat; works for messages and button presses alike.

    The sent message is not needed here, so the request goes through PTB's public raw call
    (`Bot.do_api_request`, no `Message` built from Telegram's answer: that parsing was about a
    sixth of a status answer's CPU). The request is the one `send_message` makes: the same
    fields (`do_api_request` inserts no `Defaults`, so the parse mode is the bot's default,
    given here), the same serialisation, the same request layer (journal, rate limiter, retry)
    and errors (a refused request raises the same `TelegramError`). (PTB's arbitrary callback
    data, which this path would bypass, is not used by this application.)"""
    chat = update.effective_chat
    if chat is None:  # e.g. a button under an inline-mode message: nowhere to write
        return
    bot = context.bot
    defaults = getattr(bot, "defaults", None)
    await bot.do_api_request("sendMessage", {
        "chat_id": chat.id, "text": text,
        "parse_mode": defaults.parse_mode if defaults is not None else None,
        "reply_markup": markup_json(markup)})


# The JSON of the buttons last sent, by identity (buttons are immutable; most replies reuse
# the same few, cached per language): PTB's `to_dict` of a whole keyboard cost as much as
# reading the porsi from the mirror. A strong reference is kept with each, so an id is never
# reused while it is cached.
_BUTTONS_KEPT = 256
_button_json: OrderedDict[int, tuple[InlineKeyboardButton, dict]] = OrderedDict()


# Every field of a button but its text and callback data: a button with none of them set (the
# status card's, built afresh for each card) is written directly, as PTB's `to_dict` would.
_OTHER_FIELDS = tuple(f for f in InlineKeyboardButton.__slots__
                      if f not in ("text", "callback_data"))


def _button(button: InlineKeyboardButton) -> dict:
    hit = _button_json.get(id(button))
    if hit is not None and hit[0] is button:
        _button_json.move_to_end(id(button))
        return hit[1]
    if (type(button) is InlineKeyboardButton and isinstance(button.callback_data, str)
            and not button.api_kwargs
            and all(getattr(button, f) is None for f in _OTHER_FIELDS)):
        return {"callback_data": button.callback_data, "text": button.text}
    out = button.to_dict()
    _button_json[id(button)] = (button, out)
    if len(_button_json) > _BUTTONS_KEPT:
        _button_json.popitem(last=False)
    return out


def markup_json(markup: object) -> object:
    """What PTB would send for `markup` (its `to_dict()`), the buttons' JSON reused; any
    markup but a plain inline keyboard is left to PTB."""
    if type(markup) is not InlineKeyboardMarkup or markup.api_kwargs:
        return markup
    return {"inline_keyboard": [[_button(b) for b in row] for row in markup.inline_keyboard]}


async def answer_callback(update: Update) -> None:
    """Stop the button's spinner; a query too old to answer is not worth an error."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer()
    except TelegramError as exc:
        log.debug("callback answer failed: %s", exc)


async def show_menu(update: Update, context: CallbackContext,
                    template: str = "common_menu.j2", **values) -> None:
    """A text (the menu prompt by default) with the main menu under it."""
    lang = lang_of(update, context)
    await send(update, context, render(lang, template, **values), menu_markup(lang))


async def offer_handoff(update: Update, context: CallbackContext, reason: str = "lainnya",
                        forced: bool = False) -> None:
    """Offer (or, when `forced`, open) a hand-off to a human agent.

    The helpdesk feature installs the real implementation with ``hooks.handoff``
    (handlers/base.py); an Application built without it (a subset of handler modules) tells
    the person where human help is (Kankemenag kab/kota), with a Menu button when they asked
    (`forced`).
    """
    func = context.application.bot_data.hooks.handoff
    mark(update, context, handoff=True)
    if func is not None:
        await func(update, context, reason=reason, forced=forced)
        return
    lang = lang_of(update, context)
    # Asked for a human: where help is plus a way on, never a dead end. A mere offer follows
    # the caller's own reply (the router's already carries the whole menu), so no second one.
    markup = keyboard(lang, [[("menu", "menu:show")]]) if forced else None
    await send(update, context, render(lang, "handoff_fallback.j2", forced=forced), markup)
