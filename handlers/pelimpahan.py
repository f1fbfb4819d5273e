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
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackContext, CallbackQueryHandler, CommandHandler, filters

from db import repos_pelimpahan as repo
from db import repos_verification
from handlers.base import (
    active_flow,
    end_flow,
    labels,
    lang_of,
    looks_like_new_question,
    mark,
    register_flow,
    register_reask,
    render,
    route_free_text,
    services,
    start_flow,
)
from handlers.menu import answer_callback, keyboard, offer_handoff, send, show_menu
from handlers.pelimpahan_docs import LETTERS, MAX_NAME, clean_name, render_document
from handlers.pelimpahan_docs import file_name as doc_file_name
from handlers.pelimpahan_view import (
    checklist_context,
    fmt_date,
    items_view,
    plain,
    verdict_context,
    verdict_text,
)
from knowledge.chat_words import BACK_WORDS, CANCEL_WORDS, MENU_WORDS
from knowledge.dates import DateInputError, local_today, parse_user_date
from knowledge.pelimpahan import (
    Result,
    assess_answers,
    checklist_items,
    decided_reasons,
    documents_for,
    facts_from_record,
    is_complete,
    load_policy,
    relation_label,
    relation_questions,
    resolve_relation,
    source_titles,
)
from knowledge.porsi import find_porsi, parse_porsi

log = logging.getLogger(__name__)

FLOW = "pelimpahan"
TOPIC = "pelimpahan"
KEY = "pelimpahan"  # chat_data key of this feature's state
POLICY_KEY = "pelimpahan_policy"  # Services.extras: a pinned policy (tests), else the newest
WIZARD_STEPS = ("cause", "event_date", "departure", "relation", "relation_text", "birth",
                "porsi", "living_cost")
NAME_STEPS = ("recipient_name", "pilgrim_name")
# Steps a clear new question pauses (dates, porsi, buttons); names and relation words are
# always read as answers.
QUESTION_LEAVES = ("cause", "event_date", "departure", "birth", "porsi", "living_cost")


# --- state --------------------------------------------------------------------------------


def _policy(context: CallbackContext) -> dict:
    extras = services(context).extras
    if POLICY_KEY not in extras:
        extras[POLICY_KEY] = load_policy()
    return extras[POLICY_KEY]


def _today(context: CallbackContext) -> date:
    svc = services(context)
    return local_today(svc.clock(), svc.tz)


def _state(context: CallbackContext) -> dict:
    state = context.chat_data.get(KEY)
    if not isinstance(state, dict):
        state = {}
        context.chat_data[KEY] = state
    state.setdefault("answers", {})
    state.setdefault("history", [])
    return state


_label = labels("pelimpahan_label.j2")


def _button(lang: str, key: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(_label(lang, key), callback_data=f"{FLOW}:{data}")


def _nav(lang: str, back: bool = True) -> list[InlineKeyboardButton]:
    row = [_button(lang, "back", "back")] if back else []
    return row + [_button(lang, "cancel", "cancel")]


def _step_markup(step: str, lang: str, policy: dict, first: bool) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    if step == "cause":
        rows = [[_button(lang, "cause_wafat", "cause:wafat"),
                 _button(lang, "cause_sakit_permanen", "cause:sakit_permanen")],
                [_button(lang, "cause_other", "cause:other")]]
    elif step == "departure":
        rows = [[_button(lang, "dep_yes", "dep:y"), _button(lang, "dep_no", "dep:n")]]
    elif step == "relation":
        keys = list(policy["relations"]["allowed"])
        buttons = [InlineKeyboardButton(relation_label(k, policy, lang).capitalize(),
                                        callback_data=f"{FLOW}:rel:{k}") for k in keys]
        rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        rows.append([_button(lang, "rel_other", "rel:other")])
    elif step == "porsi":
        rows = [[_button(lang, "skip", "skip")]]
    elif step == "living_cost":
        rows = [[_button(lang, "lc_yes", "lc:y"), _button(lang, "lc_no", "lc:n")],
                [_button(lang, "lc_unknown", "lc:u")]]
    rows.append(_nav(lang, back=not first))
    return InlineKeyboardMarkup(rows)


async def _ask(update: Update, context: CallbackContext, step: str, *, error: str | None = None,
               given: str = "", resumed: bool = False) -> None:
    """Show the question of `step` (after a note on the refused answer, if any)."""
    lang = lang_of(update, context)
    state = _state(context)
    state["step"] = step
    start_flow(context, FLOW, step=step)  # the router hands us typed text while this is set
    text = render(lang, "pelimpahan_ask.j2", step=step, error=error, given=given[:40],
                  resumed=resumed, cause=state["answers"].get("cause"), max_name=MAX_NAME)
    first = step == "cause" or (step in NAME_STEPS and step == "recipient_name")
    await send(update, context, text, _step_markup(step, lang, _policy(context), first))


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
    if step in QUESTION_LEAVES and looks_like_new_question(text):
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
    return (2 <= len(name) and len(" ".join(text.split())) <= MAX_NAME
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


async def on_button(update: Update, context: CallbackContext) -> None:
    """Every `pelimpahan:*` button."""
    await answer_callback(update)
    mark(update, context, topic=TOPIC)
    data = update.callback_query.data or ""
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


# --- verdict ------------------------------------------------------------------------------


def _fields(context: CallbackContext) -> dict:
    """The answers so far as Case fields (None: not answered yet), with the porsi's facts."""
    state = context.chat_data.get(KEY) or {}
    a = state.get("answers") or {}
    facts = state.get("facts") or {}

    def day(key: str) -> date | None:
        return date.fromisoformat(a[key]) if a.get(key) else None

    answered_departure = bool(a["departure"]) if a.get("departure") is not None else None
    return {
        "cause": a.get("cause"),
        "event_date": day("event_date"),
        # the record wins: a porsi Siskohat records as departed is past pelimpahan
        "before_departure": False if facts.get("before_departure") is False
        else answered_departure,
        "departed_on_record": facts.get("departed_on_record"),
        "answered_before_departure": answered_departure,
        "cancelled": facts.get("cancelled"),
        "transferred_in": facts.get("transferred_in"),
        "relation": _relation_answered(a, context),
        "recipient_birth_date": day("birth"),
        "submission_date": _today(context),
        "porsi": a.get("porsi"),
        "received_living_cost": a.get("living_cost"),
        "already_transferred": facts.get("already_transferred"),
        "porsi_count": facts.get("porsi_count"),
        "regency": facts.get("regency"),
    }


def _relation_answered(a: dict, context: CallbackContext) -> str | None:
    """The words typed for the relation, or its key when those words are (now) ambiguous: a
    guide saved before a word became a question ("abang") keeps the relation it was given."""
    text = a.get("relation_text")
    if text and a.get("relation") and resolve_relation(text, _policy(context)).key is None:
        return a["relation"]
    return text or a.get("relation")


def _assess(context: CallbackContext) -> Result:
    return assess_answers(_fields(context), _policy(context))


def _after_markup(lang: str, eligible: bool) -> InlineKeyboardMarkup:
    rows = []
    if eligible:
        rows.append([_button(lang, "checklist", "checklist")])
        rows.append([_button(lang, "letters", "letters"), _button(lang, "summary", "summary")])
    else:
        rows.append([_button(lang, "summary", "summary")])
    rows.append([_button(lang, "human", "human"), _button(lang, "restart", "restart")])
    return InlineKeyboardMarkup(rows)


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


# --- checklist ----------------------------------------------------------------------------


def _docs_view(context: CallbackContext, lang: str, cause: str) -> list[dict]:
    policy = _policy(context)
    return items_view(checklist_items(documents_for(cause, policy), policy), lang)


def _checklist(update: Update, context: CallbackContext) -> tuple[str, InlineKeyboardMarkup] | None:
    lang = lang_of(update, context)
    svc = services(context)
    chat_id = update.effective_chat.id
    with svc.db.session() as session:
        saved = repo.get_case(session, chat_id)
        ready = repo.checklist(session, chat_id) if saved else {}
    if saved is None:
        return None
    docs = _docs_view(context, lang, saved.cause)
    ctx = checklist_context(docs, ready)
    office = _office(context, lang)
    text = render(lang, "pelimpahan_checklist.j2", office=office, **ctx)
    rows = [[InlineKeyboardButton(f"{i['box']} {n}. {i['label']}",
                                  callback_data=f"{FLOW}:check:{i['key']}")]
            for n, i in enumerate(ctx["items"], start=1)]
    rows.append([_button(lang, "letters", "letters"), _button(lang, "summary", "summary")])
    rows.append([_button(lang, "human", "human")])
    return text, InlineKeyboardMarkup(rows)


def _office(context: CallbackContext, lang: str) -> str:
    state = context.chat_data.get(KEY) or {}
    regency = (state.get("facts") or {}).get("regency")
    policy = _policy(context)
    if regency:
        return f"{policy['office'].get('prefix', 'Kankemenag')} {regency}"
    return policy["office"].get(f"rule_{lang}") or policy["office"]["rule_id"]


async def _show_checklist(update: Update, context: CallbackContext) -> None:
    built = _checklist(update, context)
    lang = lang_of(update, context)
    if built is None:
        await send(update, context, render(lang, "pelimpahan_note.j2", key="no_case"))
        return
    await send(update, context, *built)


async def _toggle(update: Update, context: CallbackContext, doc_key: str) -> None:
    svc = services(context)
    chat_id = update.effective_chat.id
    with svc.db.session() as session:
        saved = repo.get_case(session, chat_id)
        known = saved is not None and doc_key in {
            d["key"] for d in _docs_view(context, "id", saved.cause)}
        if known:
            repo.toggle(session, chat_id, doc_key, svc.clock())
    built = _checklist(update, context)
    if built is None or not known:
        await _show_checklist(update, context)
        return
    text, markup = built
    try:
        await update.callback_query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:  # an old message that cannot be edited: send a fresh one
        log.info("checklist edit failed: %s", exc.__class__.__name__)
        await send(update, context, text, markup)


# --- documents ----------------------------------------------------------------------------


def _doc_values(context: CallbackContext, result: Result, lang: str) -> dict:
    state = _state(context)
    a = state["answers"]
    policy = _policy(context)
    names = state.get("names") or {}
    ctx = verdict_context(result, policy, "id")
    return {
        "today": fmt_date(_today(context), "id"),
        "regency": (state.get("facts") or {}).get("regency"),
        "recipient_name": names.get("recipient_name", ""),
        "pilgrim_name": names.get("pilgrim_name", ""),
        "recipient_birth_date": fmt_date(a.get("birth"), "id"),
        "relation": relation_label(result.relation.key, policy, "id")
        if result.relation.key else "",
        "porsi": a.get("porsi") or "",
        "cause": result.cause,
        "event_date": fmt_date(a.get("event_date"), "id"),
        "documents": ctx["documents"],
        "allowed_relations": ", ".join(ctx["allowed_relations"]),
    }


def _has_case(context: CallbackContext) -> bool:
    """A verdict can be given: every answer is in, or those given already refuse the case."""
    fields = _fields(context)
    return is_complete(fields) or bool(decided_reasons(fields, _policy(context)))


async def _letters(update: Update, context: CallbackContext) -> None:
    lang = lang_of(update, context)
    if not _has_case(context):
        await send(update, context, render(lang, "pelimpahan_note.j2", key="no_case"))
        return
    if not _assess(context).eligible:
        await send(update, context, render(lang, "pelimpahan_note.j2", key="ineligible_letters"))
        return
    state = _state(context)
    state["history"] = []
    state["step"] = "recipient_name"
    await _ask(update, context, "recipient_name")


async def _send_letters(update: Update, context: CallbackContext) -> None:
    lang = lang_of(update, context)
    result = _assess(context)
    values = _doc_values(context, result, lang)
    chat_id = update.effective_chat.id
    caption = plain(render(lang, "pelimpahan_note.j2", key="letter_caption"))
    for kind in LETTERS:
        data = render_document(kind, lang, **values)
        await context.bot.send_document(
            chat_id=chat_id, caption=caption,
            document=InputFile(data, filename=doc_file_name(kind, "id")))
    state = _state(context)
    state.pop("names", None)  # personal data: used for the letters, not kept
    state["step"] = "done"
    state["history"] = []
    end_flow(context)
    # the markup already has "Hubungi petugas"; an unasked hand-off offer here only confused
    # people (without a helpdesk group it said "not available" right after their letters)
    await send(update, context, render(lang, "pelimpahan_note.j2", key="letters_sent"),
               _after_markup(lang, True))


async def _send_summary(update: Update, context: CallbackContext) -> None:
    lang = lang_of(update, context)
    if not _has_case(context):
        await send(update, context, render(lang, "pelimpahan_note.j2", key="no_case"))
        return
    policy = _policy(context)
    result = _assess(context)
    svc = services(context)
    chat_id = update.effective_chat.id
    with svc.db.session() as session:
        ready = repo.checklist(session, chat_id)
    docs = _docs_view(context, lang, result.cause)
    # the summary has its own office field and ticked document list: the verdict's own office
    # line and document list would repeat them
    verdict = verdict_text(result, policy, lang, with_office=False, with_documents=False)
    lines = [ln.strip() for ln in plain(verdict).splitlines()]
    values = dict(
        today=fmt_date(_today(context), lang),
        porsi=_state(context)["answers"].get("porsi") or "",
        cause=result.cause,
        eligible=result.eligible,
        office=result.office_text(lang),
        verdict_lines=[ln for ln in lines[1:] if ln],
        **checklist_context(docs, ready),
    )
    data = render_document("summary", lang, **values)
    await context.bot.send_document(
        chat_id=chat_id, caption=plain(render(lang, "pelimpahan_note.j2", key="summary_caption")),
        document=InputFile(data, filename=doc_file_name("summary", lang)),
        reply_markup=keyboard(lang, [[("menu", "menu:show")]]))


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    register_flow(FLOW, on_text)
    register_reask(FLOW, reask)
    app.add_handler(CommandHandler("pelimpahan", start_command, filters=private))
    app.add_handler(CallbackQueryHandler(on_button, pattern=rf"^{FLOW}:"))

