"""Pelimpahan guide: the state, the question of each step and the verdict's assessment,
shared by handlers/pelimpahan/wizard.py (the wizard) and handlers/pelimpahan/checklist.py."""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackContext

from handlers.base import (
    labels,
    lang_of,
    render,
    services,
    start_flow,
)
from handlers.menu import send
from handlers.pelimpahan.docs import MAX_NAME
from knowledge.dates import local_today
from knowledge.pelimpahan import (
    Result,
    assess_answers,
    load_policy,
    relation_label,
    resolve_relation,
)

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
    return [*row, _button(lang, "cancel", "cancel")]


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
