"""Pelimpahan guide: the document checklist (kept in the database), the letter drafts and
the summary as DOCX, after the verdict of handlers/pelimpahan/wizard.py."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest
from telegram.ext import CallbackContext

from db import repos_pelimpahan as repo
from handlers.base import (
    end_flow,
    lang_of,
    render,
    services,
)
from handlers.menu import keyboard, send
from handlers.pelimpahan.docs import LETTERS, render_document
from handlers.pelimpahan.docs import file_name as doc_file_name
from handlers.pelimpahan.state import (
    FLOW,
    KEY,
    _after_markup,
    _ask,
    _assess,
    _button,
    _fields,
    _policy,
    _state,
    _today,
)
from handlers.pelimpahan.view import (
    checklist_context,
    fmt_date,
    items_view,
    plain,
    verdict_context,
    verdict_text,
)
from knowledge.pelimpahan import (
    Result,
    checklist_items,
    decided_reasons,
    documents_for,
    is_complete,
    relation_label,
)

log = logging.getLogger("handlers.pelimpahan.wizard")  # the feature's logger


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
