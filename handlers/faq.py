"""Tanya jawab: free-text questions answered from the knowledge base, or handed to a human.

The router sends free text here (`hooks.free_text`) after flows and porsi numbers. A
confident match gets the entry's answer with its source and "Apakah jawaban ini membantu?";
a likely one (clearly ahead, not by the confident margin) the same answer with the runner-ups
as "Bukan ini?" buttons and "Hubungi petugas"; an unsure one gets the top 3 entries as buttons
(twice in a row -> a human is offered); a request for a human opens the handoff. Out of
scope is told where to go, not ticketed: a question about a service another body handles
(SIM, BPJS, zakat, umrah ...: the `services` of lexicon/out_of_scope.yaml) gets a pointer to
it, anything else outside the hajj the bot's scope, both with "/petugas" for a person on
request and no helpdesk offer; only a hajj matter the knowledge base lacks is offered a human.
Replies come in the question's language (knowledge/language.py; the chat's language when the
words do not say).
Unanswered and unhelpful questions are stored masked (`hajibot kb gaps`).
Callback data: `faq:start`, `faq:pick:<id>`, `faq:yes:<id>`, `faq:no:<id>`, `faq:none`.
"""

from __future__ import annotations

import functools
import logging
from functools import cache

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackContext

from db import repos_kb
from handlers.base import (
    labels,
    lang_of,
    mark,
    render,
    services,
    set_reply_lang,
)
from handlers.menu import answer_callback, menu_markup, offer_handoff, send
from knowledge.chat_words import (
    ASK_INTRO,
    GREETINGS,
    NO_WORDS,
    THANKS,
    YES_WORDS,
    acknowledges,
    asks_if_bot,
    squash,
)
from knowledge.kb_schema import Entry, KnowledgeBase, default_kb
from knowledge.matcher import Match, Matcher
from knowledge.normalize import mask_personal, normalize, normalize_words
from knowledge.out_of_scope import hajj_words, out_of_scope_pointer, person_words

log = logging.getLogger(__name__)

CLARIFY_KEY = "faq_clarify"  # chat_data: clarifications in a row
LAST_KEY = "faq_last"  # chat_data: the last question, MASKED (chat state is persisted)
FEEDBACK_KEY = "faq_feedback"  # chat_data: entry id whose "membantu?" question is pending
LANG_KEY = "faq_lang"  # chat_data: the language of the last question (its buttons answer in it)
MAX_LABEL = 60
# An answer in one of these knowledge-base groups also offers the flow that settles the
# person's own case (issue 6: the wizard is reachable "from matching questions"):
# entry group -> (label key in faq_label.j2, callback data of that flow's start button).
GROUP_ACTIONS: dict[str, tuple[str, str]] = {
    "pelimpahan": ("start_pelimpahan", "pelimpahan:start"),
    "pelunasan": ("start_pelunasan", "pelunasan:start"),
    "status": ("start_status", "status:start"),
}
# Entries that answer "how do I reach a person": the way to one comes with the answer (a
# button, and the reply counts as a hand-off offer), rather than a description of it.
ENTRY_ACTIONS: dict[str, tuple[str, str]] = {
    "hubungi-petugas": ("start_helpdesk", "helpdesk:start"),
    # the sources are silent and an officer is the way on
    "ganti-nomor-hp": ("start_helpdesk", "helpdesk:start"),
    "pengaduan-layanan": ("start_helpdesk", "helpdesk:start"),
}


@cache
def matcher() -> Matcher:
    """The knowledge base and its indexes, built once per process (never per message)."""
    return Matcher(default_kb())


def kb() -> KnowledgeBase:
    return matcher().kb


# --- rendering --------------------------------------------------------------------------------
def answer_text(entry: Entry, lang: str) -> str:
    """The reply for one entry (also what `hajibot kb eval` checks in its fallback path)."""
    en = lang == "en"
    question = entry.question.en if en and entry.question.en else entry.question.id
    body = entry.answer.en if en and entry.answer.en else entry.answer.id
    return render(lang, "faq_answer.j2", question=question, answer=body.strip(),
                  source=entry.source_line(), confirm=entry.needs_confirmation())


_label = labels("faq_label.j2")


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1].rstrip() + "…"


def feedback_markup(entry: Entry, lang: str) -> InlineKeyboardMarkup:
    """Ya / Tidak, and under them the flow for the entry's group (if it has one)."""
    rows = [[
        InlineKeyboardButton(_label(lang, "yes"), callback_data=f"faq:yes:{entry.id}"),
        InlineKeyboardButton(_label(lang, "no"), callback_data=f"faq:no:{entry.id}"),
    ]]
    action = ENTRY_ACTIONS.get(entry.id) or GROUP_ACTIONS.get(entry.group)
    if action is not None:
        key, data = action
        rows.append([InlineKeyboardButton(_label(lang, key), callback_data=data)])
    return InlineKeyboardMarkup(rows)


def clarify_markup(match: Match, lang: str) -> InlineKeyboardMarkup:
    rows = []
    for cand in match.candidates:
        entry = kb().get(cand.entry_id)
        if entry is None:
            continue
        title = entry.question.en if lang == "en" and entry.question.en else entry.question.id
        rows.append([InlineKeyboardButton(_short(title), callback_data=f"faq:pick:{entry.id}")])
    rows.append([InlineKeyboardButton(_label(lang, "none"), callback_data="faq:none")])
    return InlineKeyboardMarkup(rows)


# --- storage of what the KB could not answer --------------------------------------------------
def _masked(text: str) -> tuple[str, str]:
    words = matcher().vocab.words
    masked = mask_personal(text, words)
    return masked, normalize(masked)


def _store_gap(context: CallbackContext, kind: str, masked: str, normalized: str,
               entry_id: str | None = None, score: float | None = None) -> None:
    if not masked.strip():
        return
    try:
        svc = services(context)
        with svc.db.session() as session:
            repos_kb.record_gap(session, kind=kind, text=masked, normalized=normalized,
                                entry_id=entry_id, score=score, at=svc.clock())
    except Exception:
        log.exception("could not store a kb gap (%s)", kind)


# --- replies ----------------------------------------------------------------------------------
async def send_answer(update: Update, context: CallbackContext, entry: Entry,
                      score: float | None, others: tuple[Entry, ...] = ()) -> None:
    """The entry's answer; with `others` (a "likely" match), the runner-ups beside it as
    "Bukan ini?" buttons and a person, so a near miss costs one press, not a wrong answer."""
    lang = lang_of(update, context)
    context.chat_data[CLARIFY_KEY] = 0
    context.chat_data[FEEDBACK_KEY] = entry.id
    offers_human = ENTRY_ACTIONS.get(entry.id, ("", ""))[1] == "helpdesk:start"
    mark(update, context, topic=entry.id, score=score, handoff=offers_human)
    text = answer_text(entry, lang)
    markup = feedback_markup(entry, lang)
    if others:
        text += "\n\n" + render(lang, "faq_alternatives.j2")
        markup = alternatives_markup(entry, others, lang)
    await send(update, context, text, markup)


def alternatives_markup(entry: Entry, others: tuple[Entry, ...],
                        lang: str) -> InlineKeyboardMarkup:
    """Ya / Tidak, a button per runner-up ("Bukan ini?") and "Hubungi petugas"."""
    rows = [list(feedback_markup(entry, lang).inline_keyboard[0])]
    for other in others:
        title = other.question.en if lang == "en" and other.question.en else other.question.id
        rows.append([InlineKeyboardButton(_short(title), callback_data=f"faq:pick:{other.id}")])
    rows.append([InlineKeyboardButton(_label(lang, "start_helpdesk"),
                                      callback_data="helpdesk:start")])
    return InlineKeyboardMarkup(rows)


# polite words around a short reply ("halo pak", "terima kasih banyak ya bu")
# (and the ways people address whoever answers: "assalamualaikum min" greets the admin, it
# does not ask for one)
FILLERS = frozenset({"pak", "bu", "bapak", "ibu", "kak", "mas", "mbak", "bang", "dik", "ya",
                     "banyak", "sekali", "bot", "semua", "wr", "wb", "warahmatullahi",
                     "wabarakatuh", "warahmatullah", "nya", "deh", "dong", "kakak", "min",
                     "admin", "mimin", "gan", "agan", "sis", "kang", "teh", "bro", "sir",
                     "madam", "maam", "om", "tante", "uda", "uni", "pakde", "bude", "everyone",
                     "all", "there"})


def _plain_words(text: str) -> str:
    """Lower case, letters only, repeats squashed, polite fillers dropped (short replies)."""
    kept = "".join(ch if ch.isalpha() else " " for ch in text.lower())
    words = squash(" ".join(kept.split())).split()
    core = [w for w in words if squash(w) not in FILLERS]
    return " ".join(core or words)


def _squashed(words: frozenset[str]) -> frozenset[str]:
    return frozenset(squash(w) for w in words)


@functools.cache
def _greeting_words() -> frozenset[str]:
    # the words of the greetings, but not those that are also something else ("p", "ping")
    return frozenset(w for g in _squashed(GREETINGS) for w in g.split() if len(w) > 1) - {"ping"}


async def _small_talk(update: Update, context: CallbackContext, text: str) -> bool:
    """Typed Ya/Tidak after an answer, a greeting or thanks: True when handled here."""
    pending = context.chat_data.pop(FEEDBACK_KEY, None)
    words = _plain_words(text)
    bot_question = asks_if_bot(text)  # "are you a bot?": the greeting says so
    if not words or (len(words) > 40 and not bot_question):
        return False
    entry = kb().get(pending) if pending else None
    # People type their answer to "Apakah jawaban ini membantu?" instead of pressing the button,
    # and greet or thank the bot; none of these is a question for the matcher (it would call
    # them out of scope and offer a human).
    yes, no = _squashed(YES_WORDS), _squashed(NO_WORDS)
    greetings, thanks = _squashed(GREETINGS), _squashed(THANKS)
    if entry is not None and (words in yes or words in no):
        await _feedback(update, context, entry, helpful=words in yes)
        return True
    lang = lang_of(update, context)
    # "halo admin selamat pagi": greetings one after the other are a greeting
    greeting = words in greetings or set(words.split()) <= _greeting_words()
    asking = words in _squashed(ASK_INTRO)  # "min mau tanya": go ahead
    # "baik pak, nanti saya coba", "amin, semoga sehat selalu": a nod, like a typed "ok"
    acked = acknowledges(words.split())
    if greeting or words in thanks or bot_question or asking or acked:
        # no knowledge-base answer: the menu (which offers a human) instead of "out of scope"
        mark(update, context, topic=None, handoff=False)
        if asking:
            key = "ask"
        elif bot_question:
            key = "greeting"
        elif greeting:
            key = "salam" if words.startswith(("asalam", "salam")) else "greeting"
        else:
            key = "thanks" if any(w in words for w in ("kasih", "thank", "trims", "jazak", "thx",
                                                       "mksh", "makasi", "nuhun", "suwun")) \
                else "ok"
        await send(update, context, render(lang, "faq_small_talk.j2", key=key),
                   menu_markup(lang))
        return True
    return False


async def _feedback(update: Update, context: CallbackContext, entry: Entry,
                    helpful: bool) -> None:
    lang = lang_of(update, context)
    if helpful:
        mark(update, context, topic=entry.id)
        await send(update, context, render(lang, "faq_thanks.j2"))
        return
    masked = str(context.chat_data.get(LAST_KEY) or "")
    _store_gap(context, "unhelpful", masked, normalize(masked), entry.id, None)
    mark(update, context, topic=entry.id, handoff=True)
    await send(update, context, render(lang, "faq_sorry.j2"))
    await offer_handoff(update, context, reason=entry.id)


def question_lang(update: Update, context: CallbackContext) -> str:
    """The language to answer this question in: its own when its words say so (the router
    noted it for every reply to this update, `note_message_lang`), else the chat's;
    remembered for the buttons under the answer."""
    lang = lang_of(update, context)
    context.chat_data[LANG_KEY] = lang
    return lang


async def _out_of_scope(update: Update, context: CallbackContext, text: str, lang: str,
                        score: float | None) -> None:
    """Where to go instead: a service's pointer, or the bot's scope; a human on request only.
    A hajj matter the knowledge base lacks, or a message about reaching a person, is the
    exception: a human is offered."""
    words = normalize_words(text)
    pointer = out_of_scope_pointer(words)
    if pointer is None and (hajj_words() | person_words()) & set(words):
        mark(update, context, topic=None, score=score, handoff=True)
        await send(update, context, render(lang, "faq_out_of_scope.j2", pointer=None,
                                           offered=True))
        await offer_handoff(update, context, reason="lainnya")
        return
    mark(update, context, topic=None, score=score, handoff=False)
    text_pointer = (pointer.get(lang) or pointer.get("id")) if pointer else None
    await send(update, context, render(lang, "faq_out_of_scope.j2", pointer=text_pointer,
                                       offered=False))


async def ask_prompt(update: Update, context: CallbackContext) -> None:
    """The menu's "Tanya jawab": an invitation to type the question."""
    mark(update, context, topic="faq")
    await send(update, context, render(lang_of(update, context), "faq_ask.j2"))


async def respond(update: Update, context: CallbackContext, text: str) -> None:
    """Answer one free-text question (the decision is the matcher's, the wording templates')."""
    lang = question_lang(update, context)
    if await _small_talk(update, context, text):
        return
    match = matcher().match(text)
    masked, normalized = _masked(text)
    context.chat_data[LAST_KEY] = masked
    if match.reason == "human_request":
        context.chat_data[CLARIFY_KEY] = 0
        mark(update, context, topic=None, handoff=True)
        await offer_handoff(update, context, reason="lainnya", forced=True)
        return
    if match.decision == "answer" and match.entry_id:
        others: tuple[Entry, ...] = ()
        if match.reason == "likely":  # answered, with the way out beside it
            others = tuple(e for c in match.candidates[1:]
                           if (e := kb().get(c.entry_id)) is not None)
        mark(update, context, mode=match.reason)
        await send_answer(update, context, kb()[match.entry_id], match.score, others)
        return
    if match.decision == "clarify":
        count = int(context.chat_data.get(CLARIFY_KEY, 0)) + 1
        if count < 2:
            context.chat_data[CLARIFY_KEY] = count
            mark(update, context, topic=None, score=match.score, handoff=False)
            await send(update, context, render(lang, "faq_clarify.j2"),
                       clarify_markup(match, lang))
            return
        context.chat_data[CLARIFY_KEY] = 0
        _store_gap(context, "clarify_failed", masked, normalized, match.entry_id, match.score)
        mark(update, context, topic=None, score=match.score, handoff=True)
        await send(update, context, render(lang, "faq_not_found.j2"))
        await offer_handoff(update, context, reason="lainnya")
        return
    # out of scope (or nothing usable): say so and where to go instead
    context.chat_data[CLARIFY_KEY] = 0
    _store_gap(context, "unanswered", masked, normalized, None, match.score)
    await _out_of_scope(update, context, text, lang, match.score)


async def answer(update: Update, context: CallbackContext) -> None:
    """Free text from the router: the knowledge base's answer, a choice, or a human."""
    message = update.effective_message
    await respond(update, context, (message.text or "") if message else "")


async def on_callback(update: Update, context: CallbackContext) -> None:
    """The FAQ's buttons: start, pick a suggestion, feedback Ya/Tidak, none of these."""
    await answer_callback(update)
    data = update.callback_query.data or ""
    if context.chat_data.get(LANG_KEY):  # the buttons answer in the question's language
        set_reply_lang(update, context, context.chat_data[LANG_KEY])
    lang = lang_of(update, context)
    parts = data.split(":", 2)
    action = parts[1] if len(parts) > 1 else ""
    entry = kb().get(parts[2]) if len(parts) > 2 else None
    if action == "start":
        await ask_prompt(update, context)
    elif action == "pick" and entry is not None:
        await send_answer(update, context, entry, None)
    elif action in ("yes", "no") and entry is not None:
        context.chat_data.pop(FEEDBACK_KEY, None)
        await _feedback(update, context, entry, helpful=action == "yes")
    elif action == "none":
        masked = str(context.chat_data.get(LAST_KEY) or "")
        context.chat_data[CLARIFY_KEY] = 0
        _store_gap(context, "none_of_these", masked, normalize(masked))
        mark(update, context, topic=None, handoff=True)
        await send(update, context, render(lang, "faq_not_found.j2"))
        await offer_handoff(update, context, reason="lainnya")
    else:  # an entry removed since the button was sent
        mark(update, context, topic="faq")
        await send(update, context, render(lang, "faq_ask.j2"))
