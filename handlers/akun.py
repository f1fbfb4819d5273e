"""/akun: the porsi numbers this chat is verified for (until when), each with a remove button,
and "Hapus data saya" (also /hapusdata): erase this person's data after an explicit yes.

The verification that makes the links lives in handlers/pelunasan/wizard.py; links come from
db/repos_verification.py, the erasure itself is db/erasure.py. Callback data:
`akun:remove:<porsi>`, `akun:list`, `privacy:ask`, `privacy:yes`, `privacy:no`.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import Application, CallbackContext

from db import erasure, repos_helpdesk, repos_whatsapp
from db import repos_verification as repo
from handlers.base import HOUR_S, LOOKUPS_KEY, labels, lang_of, mark, render, services
from handlers.menu import answer_callback, label, send
from knowledge.porsi import parse_porsi

log = logging.getLogger(__name__)

# /akun (verified links) and the erasure flow are their own topic, not pelunasan
TOPIC = "akun"
PRIVACY_TOPIC = "akun"


async def show_links(update: Update, context: CallbackContext, removed: str | None = None) -> None:
    svc = services(context)
    lang = lang_of(update, context)
    chat_id = update.effective_chat.id
    tz = svc.tz
    with svc.db.session() as s:
        links = repo.active_links(s, chat_id, svc.clock())
    items = [{"porsi": lk.porsi, "expires": lk.expires_at.astimezone(tz)} for lk in links]
    rows = [[InlineKeyboardButton(render(lang, "pelunasan_label.j2", key="remove", arg=lk.porsi),
                                  callback_data=f"akun:remove:{lk.porsi}")] for lk in links]
    rows.append([InlineKeyboardButton(privacy_label(lang, "erase"), callback_data="privacy:ask")])
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


# --- erasure on request ---------------------------------------------------------------------
privacy_label = labels("privacy_label.j2")


async def ask_erase(update: Update, context: CallbackContext) -> None:
    """What will be deleted and what is kept, with "Ya, hapus" / "Batal"."""
    lang = lang_of(update, context)
    mark(update, context, topic=PRIVACY_TOPIC)
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(privacy_label(lang, "yes"), callback_data="privacy:yes"),
        InlineKeyboardButton(privacy_label(lang, "no"), callback_data="privacy:no")]])
    await send(update, context, render(lang, "privacy_confirm.j2"), markup)


async def hapusdata_command(update: Update, context: CallbackContext) -> None:
    """/hapusdata: ask before erasing this person's data."""
    await ask_erase(update, context)


async def _drop_buttons(update: Update) -> None:
    # the confirmation is answered: its buttons go (no second "Ya, hapus")
    with contextlib.suppress(TelegramError):
        await update.callback_query.edit_message_reply_markup(None)


async def _delete_copies(app: Application, agents_chat: int, ids: list[int]) -> tuple[int, int]:
    """Best effort: delete the copies of the person's messages in the agents' group (Telegram
    refuses messages older than 48 hours). Returns (deleted, not deleted)."""
    done = 0
    for n, mid in enumerate(ids):
        try:
            await app.bot.delete_message(agents_chat, mid)
            done += 1
        except RetryAfter:
            return done, len(ids) - n  # flood control: the agents delete the rest by hand
        except TelegramError:
            pass
    return done, len(ids) - done


async def _erase_card(app: Application, agents_chat: int, message_id: int) -> bool:
    """The context card carries the masked name and public status: delete it, or (when
    Telegram refuses the delete) overwrite it - a bot may edit its own message at any age."""
    try:
        await app.bot.delete_message(agents_chat, message_id)
        return True
    except TelegramError:
        pass
    try:
        await app.bot.edit_message_text(render("id", "privacy_card.j2"), chat_id=agents_chat,
                                        message_id=message_id)
        return True
    except TelegramError as exc:
        log.warning("privacy: context card not removed: %s", exc)
        return False


async def _tell_agents(app: Application, before: list[repos_helpdesk.Ticket]) -> int:
    """The agents' side of an erasure: copies deleted, a notice in each topic that had any,
    open tickets' topics renamed and closed (through the helpdesk's own functions). Returns
    how many tickets were open."""
    from handlers.helpdesk import relay

    agents_chat = relay.agents_chat(app)
    db = relay.svc(app).db
    was_open = 0
    for old in before:
        if agents_chat is None or old.thread_id is None:
            continue
        with db.session() as s:
            ids = [m.topic_message_id for m in repos_helpdesk.messages(s, old.id)
                   if m.direction == "in" and m.topic_message_id is not None]
            ticket = repos_helpdesk.get(s, old.id)
        deleted, left = await _delete_copies(app, agents_chat, ids)
        card = (old.context or {}).get(relay.CARD_KEY)
        card_gone = await _erase_card(app, agents_chat, card) if card else False
        text = render("id", "privacy_agent.j2", code=old.code, was_open=old.is_open,
                      deleted=deleted, left=left, card_gone=card_gone)
        if old.is_open:
            was_open += 1
            ticket, _ = await relay.post(app, ticket, text)
            await relay.set_title(app, ticket)
            await relay.set_topic_closed(app, ticket, True)
        elif deleted or left:
            try:  # a closed ticket's topic: no re-creating or reopening it for this notice
                await app.bot.send_message(agents_chat, text, message_thread_id=old.thread_id)
            except TelegramError as exc:
                log.warning("privacy: notice to the agents not posted: %s", exc)
    return was_open


async def erase(update: Update, context: CallbackContext) -> None:
    """The confirmed erasure: the database first (one transaction), then the agents' side,
    then the in-memory state of this chat/user, then the reply (counts only, in the language
    the person had)."""
    svc = services(context)
    lang = lang_of(update, context)
    chat_id = update.effective_chat.id
    user_id = update.effective_user.id if update.effective_user else None
    with svc.db.session() as s:
        before = repos_helpdesk.tickets_of(s, chat_id, user_id)
    kept = erasure.KeptLookups(salt=svc.counter_salt, key=LOOKUPS_KEY, window_s=HOUR_S)
    # WhatsApp: the address goes with the erasure; the channel keeps it in memory just long
    # enough for the confirmation below
    wa = svc.extras.get("whatsapp") if repos_whatsapp.is_whatsapp(chat_id) else None
    if wa is not None:
        wa.chat(chat_id)
    counts = erasure.erase_person(svc.db, chat_id, user_id, svc.clock(), kept_lookups=kept)
    try:
        await _tell_agents(context.application, before)
    except Exception:
        log.exception("privacy: agents not told")
    # The rows are gone; the runtime must not write this update's state back.
    context.chat_data.clear()
    if context.user_data is not None:
        context.user_data.clear()
    forget = getattr(context.application, "forget", None)
    if forget is not None:
        forget(chat_id, user_id)
    mark(update, context, topic=PRIVACY_TOPIC)
    try:
        await send(update, context, render(lang, "privacy_done.j2", c=counts,
                                           whatsapp=wa is not None),
                   InlineKeyboardMarkup([[InlineKeyboardButton(label(lang, "menu"),
                                                               callback_data="menu:show")]]))
    finally:
        if wa is not None:
            wa.forget(chat_id)


async def on_privacy_callback(update: Update, context: CallbackContext) -> None:
    """`privacy:ask` (from /akun), `privacy:yes` (erase), `privacy:no` (nothing happens)."""
    await answer_callback(update)
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return
    action = (update.callback_query.data or "").partition(":")[2]
    if action == "ask":
        await ask_erase(update, context)
    elif action == "yes":
        await _drop_buttons(update)
        await erase(update, context)
    elif action == "no":
        await _drop_buttons(update)
        mark(update, context, topic=PRIVACY_TOPIC)
        await send(update, context, render(lang_of(update, context), "privacy_cancelled.j2"))
