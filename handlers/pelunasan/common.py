"""Pelunasan: what the flow's modules share: its state and small helpers, the result texts
and buttons (also used by `hajibot assess`), asking for the porsi and the personal level
shown to a verified chat (handlers/pelunasan/wizard.py, handlers/pelunasan/verify.py)."""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.ext import (
    CallbackContext,
)

from db import repos_verification as repo
from handlers.base import (
    end_flow,
    labels,
    lang_of,
    mark,
    pelunasan_policy,
    render,
    services,
    start_flow,
)
from handlers.menu import send
from knowledge.dates import local_time, local_today
from knowledge.masking import mask_name
from knowledge.pelunasan import Assessment, age_reference_day, assess_pelunasan
from knowledge.records import PilgrimRecord

log = logging.getLogger("handlers.pelunasan.wizard")  # the feature's logger

FLOW = "pelunasan"
TOPIC = "pelunasan"
POLICY_EXTRA = "pelunasan_policy"  # services.extras key: the loaded policy (tests may inject)
MAX_KB_BUTTONS = 3
VIEW_KIND = "pelunasan"

# Knowledge-base entries (knowledge/kb/<id>.yaml) worth offering beside each verdict/warning.
KB_FOR = {
    "not_found": ["pelunasan-siapa-boleh"],
    "inactive:WAFAT": ["pelunasan-jemaah-wafat", "pelimpahan-apa"],
    "inactive:SAKIT PERMANEN": ["pelimpahan-apa"],
    # the vaccine entry comes with the no_meningitis_vaccine warning, not when it is on record
    "already_paid": ["spma"],
    "not_in_quota_yet": ["pelunasan-siapa-boleh"],
    "blocked_age": ["usia-minimal"],
    "needs_health_exam": ["pelunasan-hasil-belum-diinput", "pelunasan-belum-di-siskohat"],
    "blocked_istithaah": ["pelunasan-tidak-istithaah", "istithaah-kategori"],
    "blocked_istithaah:tidak_istithaah_sementara": ["pelunasan-istithaah-sementara"],
    "may_pay:I": ["pelunasan-tahap-1"],
    "may_pay:II": ["pelunasan-tahap-2"],
    "no_meningitis_vaccine": ["vaksin-meningitis"],
    "not_fit_to_fly": ["tidak-laik-terbang"],
    "multiple_porsi": ["pelunasan-porsi-ganda"],
    "with_companion": ["istithaah-kategori"],
    "companion_of_elderly": ["pelunasan-pendamping-lansia"],
    "failed_payment": ["gagal-bayar"],
    "deferred_payoff": ["lunas-tunda"],
    "reserve": ["jemaah-cadangan"],
    "same_day_input": ["pelunasan-belum-di-siskohat"],
}


# --- small helpers --------------------------------------------------------------------------


def looks_like_question(text: str) -> bool:
    """Free text worth answering as a question rather than a stray word while a porsi number is
    awaited: a question mark, or at least three words ("halo", "ok pak" are not)."""
    return "?" in text or len(text.split()) >= 3


def policy_of(context: CallbackContext) -> dict:
    return pelunasan_policy(context)


label = labels("pelunasan_label.j2", arg="")


def inline(lang: str, rows: list[list[tuple[str, str] | tuple[str, str, str]]]
           ) -> InlineKeyboardMarkup:
    """Rows of (label key, callback data[, label argument])."""
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(label(lang, b[0], arg=b[2] if len(b) > 2 else ""), callback_data=b[1])
         for b in row] for row in rows])


def _now(context: CallbackContext) -> datetime:
    return services(context).clock()


def _today(context: CallbackContext) -> date:
    return local_today(_now(context), services(context).tz)


def _local(moment: datetime | None, tz) -> datetime | None:
    return None if moment is None else local_time(moment, tz)


def _ids(update: Update) -> tuple[int, int | None]:
    chat = update.effective_chat
    user = update.effective_user
    return chat.id, (user.id if user else None)


def _state(context: CallbackContext) -> dict:
    state = context.chat_data.get("flow_state")
    if not isinstance(state, dict):
        state = {}
        context.chat_data["flow_state"] = state
    return state


def _in_flow(context: CallbackContext) -> bool:
    return context.chat_data.get("flow") == FLOW


def as_of_text(lang: str, result, tz) -> str:
    source = str(getattr(result.source, "value", result.source))
    return render(lang, "pelunasan_as_of.j2", source=source, as_of=_local(result.as_of, tz),
                  siskohat_down=bool(result.siskohat_down))


def _mask_account(account: str | None) -> str | None:
    if not account:
        return None
    digits = str(account).strip()
    return "*" * max(0, len(digits) - 4) + digits[-4:]


def _plain_case(text: str | None) -> str | None:
    """Data in capitals ("BANK SYARIAH INDONESIA", "JAKARTA - BEKASI") in ordinary case for
    reading; short words (BSI, BNI, BRI) are kept as acronyms."""
    if not text or not text.isupper():
        return text
    return " ".join(w.capitalize() if len(w) > 3 else w for w in text.split())


def record_values(record: PilgrimRecord | None, policy: dict, today: date, *,
                  personal: bool, porsi: str | None = None) -> dict[str, Any]:
    """What pelunasan_result.j2 shows of the record (`personal`: the verified level)."""
    if record is None:
        return {"porsi": porsi, "name": None, "regency": None, "bank": None, "account": None,
                "related": [], "age_day": age_reference_day(policy, today),
                "personal": False, "istithaah": None, "meningitis": None, "amounts": None,
                "embarkation": None}
    p, h = record.payoff, record.health
    amounts = {"bipih": p.bipih, "initial_deposit": p.initial_deposit,
               "benefit_value": p.benefit_value, "amount_due": p.amount_due}
    ist = h.istithaah
    return {
        "porsi": record.porsi,
        "name": mask_name(record.identity.name) or None,
        "regency": record.waiting.regency,
        "bank": _plain_case(record.identity.bank) if personal else None,
        "account": _mask_account(p.account_number) if personal else None,
        "related": list(record.history.related_porsi),
        "age_day": age_reference_day(policy, today),
        "personal": personal,
        "istithaah": None if ist is None else ("UNKNOWN" if ist.name == "UNKNOWN" else ist.value),
        "meningitis": h.meningitis_vaccinated,
        "amounts": amounts if any(v is not None for v in amounts.values()) else None,
        "embarkation": _plain_case(p.embarkation),
    }


def render_result(lang: str, assessment: Assessment, record: PilgrimRecord | None, policy: dict,
                  today: date, *, personal: bool = True, as_of: str | None = None,
                  porsi: str | None = None, demo: bool = False) -> str:
    """The full (personal-level) text of an assessment; also used by `hajibot assess`.
    `demo`: the record comes from the Siskohat simulator's sample data (the reply says so)."""
    sources = [str(policy.get("sources", {}).get(k, k)).strip() for k in assessment.sources]
    return render(lang, "pelunasan_result.j2", a=assessment,
                  r=record_values(record, policy, today, personal=personal, porsi=porsi),
                  sources=sources, source_keys=list(assessment.sources), as_of_text=as_of,
                  demo=demo and record is not None)


def kb_ids(assessment: Assessment) -> list[str]:
    """Knowledge-base entries to offer beside this assessment (existing ids only)."""
    keys = [f"{assessment.verdict}:{assessment.status}", f"{assessment.verdict}:{assessment.tahap}"]
    keys += [f"{assessment.verdict}:{r}" for r in assessment.reasons]
    keys += [assessment.verdict, *assessment.warnings]
    out: list[str] = []
    for key in keys:
        for entry_id in KB_FOR.get(key, []):
            if entry_id not in out:
                out.append(entry_id)
    titles = _kb_titles("id")
    return [i for i in out if i in titles][:MAX_KB_BUTTONS]


@lru_cache(maxsize=2)
def _kb_titles(lang: str) -> dict[str, str]:
    try:
        from knowledge.kb_schema import default_kb
        kb = default_kb()
    except Exception:  # noqa: BLE001 - the KB is optional here: without it we offer only a human
        log.warning("knowledge base not available for pelunasan buttons")
        return {}
    return {e.id: (e.question.en if lang == "en" and e.question.en else e.question.id)
            for e in kb.entries}


def result_markup(lang: str, assessment: Assessment) -> InlineKeyboardMarkup:
    titles = _kb_titles(lang)
    rows: list[list[InlineKeyboardButton]] = []
    for entry_id in kb_ids(assessment):
        title = titles.get(entry_id, entry_id)
        title = title if len(title) <= 60 else title[:57].rstrip() + "..."
        rows.append([InlineKeyboardButton(title, callback_data=f"faq:pick:{entry_id}")])
    rows.append([InlineKeyboardButton(label(lang, "human"), callback_data="pelunasan:human"),
                 InlineKeyboardButton(label(lang, "menu"), callback_data="menu:show")])
    return InlineKeyboardMarkup(rows)


def contact_keyboard(lang: str) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(label(lang, "share_contact"), request_contact=True)],
         [KeyboardButton(label(lang, "cancel"))]],
        resize_keyboard=True, one_time_keyboard=True)


# --- steps --------------------------------------------------------------------------------


async def ask_porsi(update: Update, context: CallbackContext) -> None:
    """Ask for the nomor porsi, offering the porsi this chat is already verified for."""
    lang = lang_of(update, context)
    chat_id, _ = _ids(update)
    with services(context).db.session() as s:
        links = repo.active_links(s, chat_id, _now(context))
    start_flow(context, FLOW, step="porsi")
    mark(update, context, topic=TOPIC)
    if links:
        rows = [[("use_porsi", f"pelunasan:use:{lk.porsi}", lk.porsi)] for lk in links[:5]]
        rows.append([("cancel", "pelunasan:cancel")])
        await send(update, context, render(lang, "pelunasan_pick.j2"), inline(lang, rows))
    else:
        await send(update, context, render(lang, "pelunasan_ask_porsi.j2"),
                   inline(lang, [[("cancel", "pelunasan:cancel")]]))



async def show_full(update: Update, context: CallbackContext, porsi: str, result=None) -> None:
    """The personal level for a verified chat (audited): verdict, amounts, bank, next steps."""
    lang = lang_of(update, context)
    chat_id, user_id = _ids(update)
    end_flow(context)
    mark(update, context, topic=TOPIC)
    if result is None:
        try:
            result = await services(context).gateway.lookup(porsi)
        except Exception:
            log.exception("pelunasan lookup failed")
            await send(update, context, render(lang, "pelunasan_unavailable.j2", porsi=porsi))
            return
    if result.record is None and result.siskohat_down:
        await send(update, context, render(lang, "pelunasan_unavailable.j2", porsi=porsi),
                   inline(lang, [[("human", "pelunasan:human"), ("menu", "menu:show")]]))
        return
    policy = policy_of(context)
    today = _today(context)
    assessment = assess_pelunasan(result.record, policy, today)
    if result.record is not None:
        with services(context).db.session() as s:
            repo.audit_view(s, chat_id=chat_id, user_id=user_id, porsi=porsi, kind=VIEW_KIND,
                            now=_now(context))
    text = render_result(lang, assessment, result.record, policy, today, personal=True,
                         as_of=as_of_text(lang, result, services(context).tz), porsi=porsi,
                         demo=services(context).demo_data)
    await send(update, context, text, result_markup(lang, assessment))
