"""Pelimpahan guide: `/pelimpahan`, the menu's `pelimpahan:start`, callbacks `pelimpahan:*`.

A short wizard (cause, event date, before departure, relation, recipient's birth date, optional
porsi, living cost when relevant) -> the verdict of knowledge.pelimpahan with every reason
explained -> a document checklist kept in the database, three letter drafts and a summary as
DOCX. State lives in `chat_data["pelimpahan"]` (JSON-able: dates as ISO strings), so a restart
resumes where the person was. Names typed for the letters are never logged and are dropped once
the letters are sent.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackContext

from db import repos_pelimpahan as repo
from db import repos_verification
from handlers.base import (
    active_flow,
    end_flow,
    lang_of,
    looks_like_new_question,
    mark,
    plain_label,
    render,
    route_free_text,
    services,
    start_flow,
)
from handlers.menu import answer_callback, offer_handoff, send, show_menu
from handlers.pelimpahan.checklist import (
    _letters,
    _send_letters,
    _send_summary,
    _show_checklist,
    _toggle,
)
from handlers.pelimpahan.docs import MAX_NAME, clean_name
from handlers.pelimpahan.state import (
    FLOW,
    KEY,
    NAME_STEPS,
    QUESTION_LEAVES,
    TOPIC,
    WIZARD_STEPS,
    _after_markup,
    _ask,
    _assess,
    _button,
    _fields,
    _nav,
    _policy,
    _state,
    _step_markup,
    _today,
)
from handlers.pelimpahan.view import (
    fmt_date,
    verdict_text,
)
from knowledge.chat_words import BACK_WORDS, CANCEL_WORDS, MENU_WORDS
from knowledge.dates import DateInputError, parse_user_date
from knowledge.pelimpahan import (
    decided_reasons,
    facts_from_record,
    relation_label,
    relation_questions,
    resolve_relation,
    source_titles,
)
from knowledge.pelimpahan_words import cause_in, departure_in, living_cost_in
from knowledge.porsi import find_porsi, parse_porsi

log = logging.getLogger(__name__)



async def reask(update: Update, context: CallbackContext) -> bool:
    """The current question again, in the chat's (possibly new) language, with its buttons
    (handlers.base re-ask registry: /bahasa mid-guide)."""
    step = _state(context).get("step")
    if step not in WIZARD_STEPS + NAME_STEPS:
        return False
    await _ask(update, context, step)
    return True


def _go(state: dict, step: str) -> None:
    if state.get("step") and state["step"] != step:
        state["history"].append(state["step"])


def _next_after(step: str, answers: dict, policy: dict) -> str | None:
    if step == "cause":
        return "event_date"
    if step == "event_date":
        return "departure"
    if step == "departure":
        return "relation"
    if step in ("relation", "relation_text"):
        return "birth"
    if step == "birth":
        return "porsi"
    if step == "porsi":
        # Living cost is only asked where its rule applies (death before departure).
        relevant = (answers.get("cause") in policy["living_cost"].get("applies_to", [])
                    and answers.get("departure"))
        return "living_cost" if relevant else None
    return None


async def _advance(update: Update, context: CallbackContext, step: str) -> None:
    state = _state(context)
    nxt = _next_after(step, state["answers"], _policy(context))
    # an answer that already makes the case ineligible (e.g. a death before the cut-off): the
    # verdict now, not the remaining questions
    if nxt is None or decided_reasons(_fields(context), _policy(context)):
        await _verdict(update, context)
        return
    _go(state, nxt)
    await _ask(update, context, nxt)


# --- entry points -------------------------------------------------------------------------


async def start_command(update: Update, context: CallbackContext) -> None:
    """/pelimpahan: start the guide, or offer to resume one in progress."""
    await _start(update, context)


async def _start(update: Update, context: CallbackContext, fresh: bool = False) -> None:
    mark(update, context, topic=TOPIC)
    state = _state(context)
    step = state.get("step")
    if not fresh and step in WIZARD_STEPS + NAME_STEPS and step != "cause":
        await _ask(update, context, step, resumed=True)
        return
    context.chat_data[KEY] = {"answers": {}, "history": [], "step": "cause"}
    await _ask(update, context, "cause")


async def on_text(update: Update, context: CallbackContext) -> None:
    """Typed answers while the guide is active (dates, a relation word, porsi, names)."""
    mark(update, context, topic=TOPIC)
    text = (update.effective_message.text or "").strip()
    state = _state(context)
    step = state.get("step")
    word = text.casefold().strip("/!. ")
    if word in CANCEL_WORDS:
        await _cancel(update, context)
        return
    if word in BACK_WORDS:  # before MENU_WORDS: here "kembali" / "back" is one step back
        await _back(update, context)
        return
    if word in MENU_WORDS:  # leave the guide for the menu; /pelimpahan resumes it
        end_flow(context)
        await show_menu(update, context)
        return
    if step is None:
        end_flow(context)
        await _start(update, context)
        return
    pressed = _typed_button(text, step, lang_of(update, context), _policy(context))
    if pressed is not None:
        # a button's words typed (its label, "bapak saya meninggal bulan lalu" at the cause,
        # "belum" at before-departure): as if pressed
        await _press(update, context, pressed)
        return
    if step in QUESTION_LEAVES and looks_like_new_question(
            text, typed_step=step in ("event_date", "birth", "porsi")):
        # "kapan jadwal pelunasan?" at a date or button question: paused, not refused; the
        # answers stay, so /pelimpahan resumes here
        end_flow(context)
        await send(update, context, render(lang_of(update, context), "pelimpahan_left.j2"))
        await route_free_text(update, context)
        return
    answers = state["answers"]
    today = _today(context)
    if step in ("event_date", "birth"):
        try:
            value = parse_user_date(text, today)
        except DateInputError as exc:
            await _ask(update, context, step, error=exc.reason, given=text)
            return
        answers["event_date" if step == "event_date" else "birth"] = value.isoformat()
        await _advance(update, context, step)
    elif step in ("relation", "relation_text"):
        await _relation_answer(update, context, text)
    elif step == "porsi":
        # "porsi almarhum 3509 412 276": the porsi inside the sentence (the first, if several)
        porsi = parse_porsi(text).porsi or next(iter(find_porsi(text)), None)
        if porsi is None:
            await _ask(update, context, step, error="porsi")
            return
        answers["porsi"] = porsi
        await _lookup_porsi(update, context, porsi)
        await _advance(update, context, step)
    elif step in NAME_STEPS:
        if not _valid_name(text):
            await _ask(update, context, step, error="name")
            return
        # one line, no markup separators: a line break or " | " would break the DOCX blocks
        state.setdefault("names", {})[step] = clean_name(text)
        if step == "recipient_name":
            _go(state, "pilgrim_name")
            await _ask(update, context, "pilgrim_name")
        else:
            await _send_letters(update, context)
    else:  # a button step: the person typed instead of pressing
        await _ask(update, context, step, error="button")


def _valid_name(text: str) -> bool:
    # a name too long is refused with a note, not silently cut (it goes into legal letters)
    name = clean_name(text)
    return (len(name) >= 2 and len(" ".join(text.split())) <= MAX_NAME
            and any(ch.isalpha() for ch in name))


async def _relation_answer(update: Update, context: CallbackContext, text: str) -> None:
    policy = _policy(context)
    relation = resolve_relation(text, policy)
    state = _state(context)
    if relation.status == "ambiguous":  # "saudara", "mas", "ortu": asked, never refused
        await _relation_question(update, context, relation)
        return
    if relation.key is None:
        lang = lang_of(update, context)
        allowed = [relation_label(k, policy, lang) for k in policy["relations"]["allowed"]]
        note = render(lang, "pelimpahan_note.j2", key="relation_refused", status=relation.status,
                      relation_text=text[:60], allowed=allowed,
                      sources=source_titles(policy["relations"]["source"], policy, lang, True))
        if state.get("step") == "relation_text" and state["history"][-1:] == ["relation"]:
            state["history"].pop()  # back from here goes to the question before "relation"
        state["step"] = "relation"
        start_flow(context, FLOW, step="relation")
        markup = _step_markup("relation", lang, policy, first=False)
        *choices, last = markup.inline_keyboard
        rows = [*choices, [_button(lang, "human", "human")], last]
        await send(update, context, note, InlineKeyboardMarkup(rows))
        return
    state["answers"]["relation"] = relation.key
    state["answers"]["relation_text"] = text[:60]
    await _advance(update, context, state.get("step") or "relation")


async def _relation_question(update: Update, context: CallbackContext, relation) -> None:
    """Ask what an ambiguous relation word means, one button per option (the option's phrase
    is then read like a typed answer), plus "type it" and the usual navigation."""
    lang = lang_of(update, context)
    policy = _policy(context)
    state = _state(context)
    question = relation_questions(relation, policy, lang)[0]
    text = render(lang, "pelimpahan_relation_question.j2", question=question,
                  relation_text=relation.text[:60], buttons=True,
                  allowed=[relation_label(k, policy, lang) for k in policy["relations"]["allowed"]],
                  sources=source_titles(policy["relations"]["source"], policy, lang, True))
    if state.get("step") == "relation_text" and state["history"][-1:] == ["relation"]:
        state["history"].pop()  # back from here goes to the question before "relation"
    state["step"] = "relation"
    start_flow(context, FLOW, step="relation")
    options = [InlineKeyboardButton(o["label"], callback_data=f"{FLOW}:relq:{question['code']}:{i}")
               for i, o in enumerate(question["options"])]
    rows = [options[i:i + 2] for i in range(0, len(options), 2)]
    rows += [[_button(lang, "rel_other", "rel:other")], _nav(lang)]
    await send(update, context, text, InlineKeyboardMarkup(rows))


async def _lookup_porsi(update: Update, context: CallbackContext, porsi: str) -> None:
    """Fill the case from the gateway: kab/kota, already transferred, other porsi."""
    lang = lang_of(update, context)
    state = _state(context)
    try:
        found = await services(context).gateway.lookup(porsi)
    except Exception as exc:  # noqa: BLE001 - the guide goes on without porsi data
        log.warning("pelimpahan porsi lookup failed: %s", type(exc).__name__)
        await send(update, context, render(lang, "pelimpahan_note.j2", key="porsi_unavailable"))
        return
    if found.record is None:
        state["facts"] = {}
        key = "porsi_unavailable" if found.siskohat_down else "porsi_not_found"
        await send(update, context, render(lang, "pelimpahan_note.j2", key=key, porsi=porsi))
        return
    svc = services(context)
    with svc.db.session() as session:
        verified = repos_verification.is_verified(session, update.effective_chat.id, porsi,
                                                  svc.clock())
    # transfer history and related porsi are not public data: only for a verified chat
    facts = facts_from_record(found.record, public_only=not verified)
    state["facts"] = facts
    as_of = fmt_date(found.as_of.date(), lang) if found.as_of else ""
    await send(update, context, render(
        lang, "pelimpahan_note.j2", key="porsi_found", regency=facts.get("regency"),
        stale=found.source.value == "stale", as_of=as_of, verified=verified))


def _typed_button(text: str, step: str, lang: str, policy: dict) -> str | None:
    """The callback data of the button the typed text means at `step`, or None."""
    said = plain_label(text)
    markup = _step_markup(step, lang, policy, first=False) if step in WIZARD_STEPS else None
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if said and plain_label(button.text) == said:
                return button.callback_data
    if step == "cause":
        code = cause_in(text)
        return f"{FLOW}:cause:{code}" if code else None
    if step == "departure":
        before = departure_in(text)
        return None if before is None else f"{FLOW}:dep:{'y' if before else 'n'}"
    if step == "living_cost":
        code = living_cost_in(text)
        return f"{FLOW}:lc:{code}" if code else None
    return None


async def on_button(update: Update, context: CallbackContext) -> None:
    """Every `pelimpahan:*` button."""
    await answer_callback(update)
    await _press(update, context, update.callback_query.data or "")


async def _press(update: Update, context: CallbackContext, data: str) -> None:
    """A button's callback data, pressed or typed."""
    mark(update, context, topic=TOPIC)
    parts = data.split(":")
    action = parts[1] if len(parts) > 1 else ""
    arg = parts[2] if len(parts) > 2 else ""
    state = _state(context)
    step = state.get("step")
    answers = state["answers"]
    if action == "start":
        await _start(update, context)
    elif action == "restart":
        await _start(update, context, fresh=True)
    elif action == "cancel":
        await _cancel(update, context)
    elif action == "back":
        await _back(update, context)
    elif action == "human":
        await offer_handoff(update, context, reason=TOPIC)
    elif action == "check":
        await _toggle(update, context, arg)
    elif action == "checklist":
        await _show_checklist(update, context)
    elif action == "summary":
        await _send_summary(update, context)
    elif action == "letters":
        await _letters(update, context)
    elif action == "relq":  # an option of the question on an ambiguous relation word
        options = (_policy(context)["relations"].get("ambiguous") or {}).get(arg, {}).get(
            "options") or []
        index = parts[3] if len(parts) > 3 else ""
        if step != "relation" or not index.isdigit() or int(index) >= len(options):
            await (_ask(update, context, step, error="stale") if step else _start(update, context))
            return
        await _relation_answer(update, context, str(options[int(index)]["relation"]))
    elif action in ("cause", "dep", "rel", "lc", "skip"):
        expected = {"cause": "cause", "dep": "departure", "rel": "relation",
                    "lc": "living_cost", "skip": "porsi"}[action]
        if step != expected:
            if step is None:
                await _start(update, context)
            else:
                await _ask(update, context, step, error="stale")
            return
        if action == "cause":
            if arg not in ("wafat", "sakit_permanen"):
                await _other_cause(update, context)
                return
            if answers.get("cause") != arg:
                answers.pop("event_date", None)  # a date of death is not a hospital letter's
            answers["cause"] = arg
        elif action == "dep":
            answers["departure"] = arg == "y"
        elif action == "rel":
            if arg == "other":
                _go(state, "relation_text")
                await _ask(update, context, "relation_text")
                return
            if arg not in _policy(context)["relations"]["allowed"]:
                await _ask(update, context, step, error="stale")
                return
            answers["relation"] = arg
            answers["relation_text"] = arg
        elif action == "lc":
            answers["living_cost"] = {"y": True, "n": False}.get(arg)
        elif action == "skip":
            answers.pop("porsi", None)
            state.pop("facts", None)
        await _advance(update, context, expected)
    else:
        log.info("unknown pelimpahan button %r", data[:64])
        await _start(update, context)


async def _cancel(update: Update, context: CallbackContext) -> None:
    context.chat_data.pop(KEY, None)
    if active_flow(context) == FLOW:
        end_flow(context)
    await send(update, context, render(lang_of(update, context), "pelimpahan_note.j2",
                                       key="cancelled"))


async def _back(update: Update, context: CallbackContext) -> None:
    state = _state(context)
    if not state["history"]:
        await _start(update, context, fresh=True)
        return
    previous = state["history"].pop()
    state["step"] = previous
    await _ask(update, context, previous)


async def _other_cause(update: Update, context: CallbackContext) -> None:
    lang = lang_of(update, context)
    policy = _policy(context)
    context.chat_data.pop(KEY, None)
    end_flow(context)
    text = render(lang, "pelimpahan_note.j2", key="other_cause",
                  sources=source_titles(policy["causes"]["source"], policy, lang, True))
    await send(update, context, text, InlineKeyboardMarkup(
        [[_button(lang, "human", "human"), _button(lang, "restart", "restart")]]))


async def _verdict(update: Update, context: CallbackContext) -> None:
    lang = lang_of(update, context)
    state = _state(context)
    policy = _policy(context)
    result = _assess(context)
    state["step"] = "done"
    state["history"] = []
    end_flow(context)
    svc = services(context)
    with svc.db.session() as session:
        repo.save_case(session, update.effective_chat.id, cause=result.cause,
                       policy_version=result.policy_version, eligible=result.eligible,
                       reasons=result.codes(), now=svc.clock())
    log.info("pelimpahan verdict eligible=%s reasons=%s", result.eligible, result.codes())
    text = verdict_text(result, policy, lang)
    if state["answers"].get("living_cost") is None and "living_cost" in state["answers"]:
        text += "\n\n" + render(lang, "pelimpahan_note.j2", key="living_cost_unknown")
    await send(update, context, text, _after_markup(lang, result.eligible))
