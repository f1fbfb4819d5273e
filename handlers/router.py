"""The catch-alls, registered LAST: free text, unknown commands, non-text messages, stray buttons.

Free text goes, in order, to: the active flow (a wizard waiting for an answer), the status check
(every nomor porsi anywhere in the message: one card each; or a nearly valid one), a short reply
for a number that is something else (a date, a phone number, a NIK: never read as a porsi), a
request to erase one's data (as /hapusdata, when that feature is installed), the FAQ matcher (`hooks.free_text`), and finally a "belum mengerti" reply with the menu and an
offer of a human. Nothing a person sends in a private chat goes unanswered.
"""

from __future__ import annotations

import logging
import unicodedata

from telegram import Update
from telegram.ext import CallbackContext

from handlers import status
from handlers.base import (
    QUESTION_WORDS,
    active_flow,
    end_flow,
    lang_of,
    mark,
    message_kind,
    note_message_lang,
    note_written_lang,
    parse_command,
    plain_label,
    render,
)
from handlers.menu import answer_callback, offer_handoff, send, show_menu
from knowledge.chat_words import CANCEL_WORDS, MENU_WORDS, asks_erasure
from knowledge.human_request import asks_for_human
from knowledge.normalize import normalize
from knowledge.porsi import (
    looks_like_porsi_attempt,
    parse_porsi,
    scan_numbers,
)

log = logging.getLogger(__name__)

# Commands listed in /help whose feature module may not be installed; answered here if so.
FEATURE_COMMANDS = frozenset({"pelunasan", "pelimpahan", "akun"})


async def route_text(update: Update, context: CallbackContext, *,
                     use_flow: bool = True) -> None:
    """Answer one free-text message (see the module docstring for the order)."""
    message = update.effective_message
    text = (message.text or "") if message else ""
    if not text.strip():
        await show_menu(update, context, "router_empty.j2")
        return
    note_message_lang(update, context, text)
    flow = active_flow(context) if use_flow else None
    if flow:
        handler = context.application.bot_data.flows.get(flow)
        if handler is not None:
            carrying = flow in context.application.bot_data.carrying
            if not carrying and await _leaves_flow(update, context, text, flow):
                return
            await handler(update, context)
            return
        end_flow(context)  # left over from a feature that is no longer installed
    word = text.strip().strip("/!.").casefold()
    if word in MENU_WORDS:
        mark(update, context, topic="menu")
        await show_menu(update, context)
        return
    if word in CANCEL_WORDS:  # "batal" with no guide running: nothing to stop
        mark(update, context, topic="menu")
        await show_menu(update, context, "router_flow_ended.j2", ended=False)
        return
    if await _typed_button(update, context, text):  # "Cek status porsi" off the menu
        return
    if not any(ch.isalnum() for ch in text):
        # "👍", "🙏", "?", "...": nothing to match; thanks or "ok" get a nod, the rest the menu
        nod = "thanks" if any(e in text for e in THANKS_SIGNS) else (
            "ok" if any(e in text for e in OK_SIGNS) else None)
        # a nod is small talk answered (no topic), like a typed "makasih"; the rest is the menu
        mark(update, context, topic=None if nod else "menu", handoff=False)
        await show_menu(update, context, "router_symbols.j2", nod=nod)
        return
    parsed = parse_porsi(text)
    if parsed.ok:
        await status.lookup_and_reply(update, context, parsed.porsi)
        return
    scan = scan_numbers(text)
    if scan.porsi:
        await status.lookup_many(update, context, scan.porsi)
        hook = context.application.bot_data.hooks.free_text
        if hook is not None and _also_a_question(text, scan.words):
            # "brp kali porsi 1234567890 bs dilimpahkan?": the card, then the rule asked about
            await hook(update, context)
        return
    others = scan.of(*status.NOT_PORSI)
    if others and (scan.words == 0 or (scan.words <= MAX_NUMBER_WORDS
                                       and not _asks_something(text))):
        # "02-08-1953", "tgl lahir ibu 14/3/78", "nik saya 3509...": what it looks like; a
        # question that merely holds a date or a phone number goes on to the FAQ
        await status.reply_number_kind(update, context, others[0])
        return
    erase = context.application.bot_data.hooks.erase
    if erase is not None and asks_erasure(text):  # "hapus data saya": as /hapusdata
        await erase(update, context)
        return
    if looks_like_porsi_attempt(text):
        await status.reply_format(update, context, text)
        return
    if (attempt := scan.porsi_attempt) is not None:  # "porsi saya 350941227 pak"
        await status.reply_format(update, context, attempt.text)
        return
    if _mostly_other_script(text):  # Arabic, Chinese ...: not a language the bot reads
        mark(update, context, topic="menu")
        await show_menu(update, context, "router_other_script.j2", salam="السلام" in text)
        return
    hook = context.application.bot_data.hooks.free_text
    if hook is not None:
        await hook(update, context)
        return
    await not_understood(update, context)


def _mostly_other_script(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    other = sum(not ch.isascii() and "LATIN" not in unicodedata.name(ch, "") for ch in letters)
    return len(letters) >= 2 and other * 2 > len(letters)


THANKS_SIGNS = ("🙏", "🤲")
OK_SIGNS = ("👍", "👌", "🆗", "✅", "❤", "♥", "😊", "🙂", "☺", "😀", "😁", "🥰", "👏", "😂", "🤣",
            "😄", "😃", "😆", "😅")

async def _typed_button(update: Update, context: CallbackContext, text: str) -> bool:
    """A button's label typed instead of pressed (`register_typed`): what the button does; an
    English label answered in English. (An Indonesian one keeps the chat's language: "Pelunasan"
    and "Pelimpahan" are the words English speakers use too.) False when the text is no
    label."""
    found = context.application.bot_data.typed.get(plain_label(text))
    if found is None:
        return False
    handler, lang = found
    if lang == "en":
        note_written_lang(update, context, lang)
    await handler(update, context)
    return True


async def _leaves_flow(update: Update, context: CallbackContext, text: str, flow: str) -> bool:
    """A menu button's label, a request for a person or for erasure typed at any step of a
    guide (a date, a name, a button question) is that, not a wrong answer: the guide pauses
    (its answers stay, its command resumes it) and the request is served."""
    hooks = context.application.bot_data.hooks
    if plain_label(text) in context.application.bot_data.typed:
        end_flow(context)  # a menu button's label typed: that button, as if pressed
        return await _typed_button(update, context, text)
    if hooks.erase is not None and asks_erasure(text):
        end_flow(context)
        await hooks.erase(update, context)
        return True
    if asks_for_human(normalize(text)):
        end_flow(context)
        await offer_handoff(update, context, reason=flow, forced=True)
        return True
    return False


# A date, phone number or NIK with at most this many other words is taken as given for itself.
MAX_NUMBER_WORDS = 6


# A message with a porsi is also a question for the FAQ when it has this many other words, a
# question in them, and no word of the status card's own subject (when it departs, its place).
MIN_QUESTION_WORDS = 3
STATUS_WORDS = frozenset(
    "berangkat keberangkatan status cek check estimasi perkiraan antrean antrian antri posisi "
    "tunggu depart departure leave leaving look lookup queue go going estimate estimated position "
    "front ahead turn wait waiting".split())


def _also_a_question(text: str, words: int) -> bool:
    said = [w.strip(",.!?:;()\"'") for w in text.casefold().split()]
    return (words >= MIN_QUESTION_WORDS and ("?" in text or any(w in QUESTION_WORDS for w in said))
            and not any(w in STATUS_WORDS for w in said))


def _asks_something(text: str) -> bool:
    words = text.casefold().replace("?", " ? ").split()
    return "?" in words or any(w.strip(",.!") in QUESTION_WORDS for w in words[:3])


async def not_understood(update: Update, context: CallbackContext) -> None:
    """The last resort: say so plainly, show the menu, offer a human."""
    await show_menu(update, context, "router_not_understood.j2")
    await offer_handoff(update, context)


async def on_text(update: Update, context: CallbackContext) -> None:
    """Free text in a private chat."""
    await route_text(update, context)


async def on_command(update: Update, context: CallbackContext) -> None:
    """A /command nobody handled: a known feature not installed, or simply unknown."""
    message = update.effective_message
    text = (message.text or "").strip() if message else ""
    name = (parse_command(text) or ("", ""))[0]
    lang = lang_of(update, context)
    if name == "petugas":
        await offer_handoff(update, context, forced=True)
    elif name == "batal":
        # every guide's "Ketik /batal untuk berhenti": the guide stops itself on it
        flow = active_flow(context)
        handler = context.application.bot_data.flows.get(flow or "")
        if handler is not None and flow not in context.application.bot_data.carrying:
            await handler(update, context)
        else:  # (the helpdesk answers its own /batal before this: handlers/helpdesk/person.py)
            await show_menu(update, context, "router_flow_ended.j2", ended=False)
    elif name == "selesai":
        ended = active_flow(context) is not None
        end_flow(context)
        await show_menu(update, context, "router_flow_ended.j2", ended=ended)
    elif name in FEATURE_COMMANDS:
        await show_menu(update, context, "router_feature_unavailable.j2", command="/" + name)
    else:
        shown = text.split(maxsplit=1)[0][:40] if text else "/"
        await send(update, context, render(lang, "router_unknown_command.j2", command=shown))


def _kind(update: Update) -> str:
    return message_kind(update.effective_message, default="other")


async def on_other(update: Update, context: CallbackContext) -> None:
    """Stickers, photos, voice notes, documents, locations ... and empty messages."""
    message = update.effective_message
    kind = _kind(update)
    if kind == "other" and message is not None and not (message.caption or "").strip():
        # no text and nothing we recognise: treat as an empty message
        await show_menu(update, context, "router_empty.j2")
        return
    await show_menu(update, context, "router_non_text.j2",
                    kind="location" if kind == "venue" else kind)


async def on_callback(update: Update, context: CallbackContext) -> None:
    """A button no feature handled: `helpdesk:start` offers a human, anything else the menu."""
    await answer_callback(update)
    data = (update.callback_query.data or "") if update.callback_query else ""
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return  # inline-mode message (no chat), or a group: the catch-alls speak only privately
    if data == "helpdesk:start":
        await offer_handoff(update, context, forced=True)
        return
    log.debug("unhandled callback %r", data[:64])
    await show_menu(update, context, "router_unavailable_option.j2")
