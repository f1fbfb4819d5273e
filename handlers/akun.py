"""/akun: the porsi numbers this chat is verified for (until when), each with a remove button.

Registered by handlers/pelunasan.py (the verification lives there); links come from
bot/db/repos_verification.py.
"""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackContext, CallbackQueryHandler, CommandHandler, filters

from bot.db import repos_verification as repo
from handlers.base import lang_of, mark, render, services
from handlers.menu import answer_callback, label, send
from knowledge.porsi import parse_porsi

TOPIC = "pelunasan"


async def show_links(update: Update, context: CallbackContext, removed: str | None = None) -> None:
    svc = services(context)
    lang = lang_of(update, context)
    chat_id = update.effective_chat.id
    try:
        tz = ZoneInfo(svc.settings.timezone)
    except Exception:
        tz = UTC
    with svc.db.session() as s:
        links = repo.active_links(s, chat_id, svc.clock())
    items = [{"porsi": lk.porsi, "expires": lk.expires_at.astimezone(tz)} for lk in links]
    rows = [[InlineKeyboardButton(render(lang, "pelunasan_label.j2", key="remove", arg=lk.porsi),
                                  callback_data=f"akun:remove:{lk.porsi}")] for lk in links]
    rows.append([InlineKeyboardButton(label(lang, "menu"), callback_data="menu:show")])
    mark(update, context, topic=TOPIC)
    await send(update, context, render(lang, "akun_list.j2", links=items, removed=removed),
               InlineKeyboardMarkup(rows))


async def akun_command(update: Update, context: CallbackContext) -> None:
    """/akun: list the verified porsi links of this chat, with buttons to remove each."""
    await show_links(update, context)


async def on_callback(update: Update, context: CallbackContext) -> None:
    """`akun:remove:<porsi>` removes that link; `akun:list` shows the list."""
    await answer_callback(update)
    if update.effective_chat is None:
        return
    parts = (update.callback_query.data or "").split(":")
    removed = None
    if len(parts) == 3 and parts[1] == "remove":
        parsed = parse_porsi(parts[2])
        if parsed.ok:
            with services(context).db.session() as s:
                if repo.remove_link(s, update.effective_chat.id, parsed.porsi):
                    removed = parsed.porsi
    await show_links(update, context, removed=removed)


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("akun", akun_command, filters=private))
    app.add_handler(CallbackQueryHandler(on_callback, pattern=r"^akun:"))
