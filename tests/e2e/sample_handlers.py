"""A tiny handler module for runtime tests (independent of the product's features)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters


async def hello(update: Update, context) -> None:
    await update.message.reply_text(
        "Halo <b>dari</b> bot", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("Ya", callback_data="yn:y"),
              InlineKeyboardButton("Tidak", callback_data="yn:n")]]))


async def pressed(update: Update, context) -> None:
    await update.callback_query.answer()
    context.chat_data["answer"] = update.callback_query.data
    await update.callback_query.edit_message_text(f"pilih {update.callback_query.data}")


async def boom(update: Update, context) -> None:
    raise ValueError(f"secret user text: {update.message.text}")


async def count(update: Update, context) -> None:
    context.chat_data["n"] = context.chat_data.get("n", 0) + 1
    context.user_data.setdefault("seen", []).append(update.message.text)
    await update.message.reply_text(f"n={context.chat_data['n']}")


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", hello))
    app.add_handler(CommandHandler("boom", boom))
    app.add_handler(CallbackQueryHandler(pressed, pattern="^yn:"))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, count))
