"""Greeting, menu, help and language: /start, /help, /bahasa, /menu and the `menu:show` button."""

from __future__ import annotations

from markupsafe import Markup
from telegram import Update
from telegram.ext import CallbackContext

from handlers import status
from handlers.base import LANGS, active_flow, lang_of, mark, reask, render
from handlers.menu import answer_callback, keyboard, menu_markup, send, show_menu
from knowledge.porsi import parse_porsi

TOPIC = "menu"
# What people type after /bahasa
_LANG_WORDS = {
    "id": "id", "ind": "id", "indo": "id", "indonesia": "id", "bahasa": "id", "in": "id",
    "en": "en", "eng": "en", "english": "en", "inggris": "en",
}


async def start(update: Update, context: CallbackContext) -> None:
    """/start: says it is a bot, what it can do, and shows the menu. A link that opens the bot
    with a porsi (t.me/<bot>?start=1234567890) shows that porsi's status card after it."""
    lang = lang_of(update, context)
    user = update.effective_user
    mark(update, context, topic=TOPIC)
    await send(update, context,
               render(lang, "start_welcome.j2", first_name=user.first_name if user else None),
               menu_markup(lang))
    parsed = parse_porsi(" ".join(context.args or []))
    if parsed.ok:
        await status.lookup_and_reply(update, context, parsed.porsi)


async def help_command(update: Update, context: CallbackContext) -> None:
    """/help: the command list."""
    mark(update, context, topic=TOPIC)
    lang = lang_of(update, context)
    await send(update, context, render(lang, "start_help.j2"), menu_markup(lang))


async def menu_command(update: Update, context: CallbackContext) -> None:
    """/menu: the main menu."""
    mark(update, context, topic=TOPIC)
    await show_menu(update, context)


async def menu_button(update: Update, context: CallbackContext) -> None:
    """Button "Menu": the main menu again."""
    await answer_callback(update)
    mark(update, context, topic=TOPIC)
    await show_menu(update, context)


async def _set_lang(update: Update, context: CallbackContext, lang: str) -> None:
    context.user_data["lang"] = lang
    mark(update, context, topic=TOPIC)
    if active_flow(context) in context.application.bot_data.reasks:
        # Mid-wizard: the next typed answer still goes to the wizard, so say so and repeat its
        # question in the new language rather than showing a menu that hides it.
        await send(update, context, render(lang, "start_bahasa_set.j2") + "\n"
                   + render(lang, "start_flow_open.j2"))
        if await reask(update, context):
            return
    await show_menu(update, context, intro=Markup(render(lang, "start_bahasa_set.j2")))  # noqa: S704 - our own template, escaped


async def bahasa(update: Update, context: CallbackContext) -> None:
    """/bahasa [id|en]: switch language, or choose it with two buttons."""
    word = (context.args[0].strip().lower() if context.args else "")
    lang = _LANG_WORDS.get(word)
    if lang:
        await _set_lang(update, context, lang)
        return
    mark(update, context, topic=TOPIC)
    current = lang_of(update, context)
    await send(update, context, render(current, "start_bahasa_choose.j2"),
               keyboard(current, [[("lang_id", "bahasa:set:id"), ("lang_en", "bahasa:set:en")]]))


async def bahasa_button(update: Update, context: CallbackContext) -> None:
    """Buttons under /bahasa: set the language."""
    await answer_callback(update)
    lang = (update.callback_query.data or "").rsplit(":", 1)[-1]
    await _set_lang(update, context, lang if lang in LANGS else "id")
