"""/pelunasan: may I pay off this season? Public data at once, the personal verdict after proof.

Flow (`register_flow("pelunasan")`, state in chat_data["flow_state"], JSON-able):
  step "porsi"   waiting for a nomor porsi (or a verified porsi picked with a button);
  step "offer"   the public level was shown; the person may press "Verifikasi";
  step "contact" waiting for the person's OWN Telegram contact (request_contact button);
  step "birth"   waiting for the typed birth date.
Unverified chats see only the public level (what the status check shows, plus whether the porsi
is in this season's allocation). The verdict itself can reveal health data (istithaah), so it,
the amounts and the bank account are shown only to a chat verified for that porsi (a stored link,
db/repos_verification.py); each such view is audited. The verification reply on failure is
the same whether or not the porsi exists, and the contact/birth-date steps run for any
well-formed porsi. Nothing personal (phone, birth date, health) is logged or kept in chat_data;
only whether the shared phone matched (a bool) waits there for the birth-date step.
"""

from __future__ import annotations

import logging
import math
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    Application,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from db import repos_verification as repo
from handlers.base import (
    count_lookup,
    end_flow,
    labels,
    lang_of,
    looks_like_new_question,
    mark,
    pelunasan_policy,
    register_flow,
    register_reask,
    render,
    route_free_text,
    services,
    start_flow,
)
from handlers.menu import answer_callback, offer_handoff, send
from knowledge.chat_words import CANCEL_WORDS
from knowledge.dates import DateInputError, local_time, local_today, parse_user_date
from knowledge.masking import mask_name
from knowledge.pelunasan import Assessment, age_reference_day, assess_pelunasan, public_view
from knowledge.porsi import (
    NumberKind,
    PorsiProblem,
    looks_like_porsi_attempt,
    parse_porsi,
    scan_numbers,
)
from knowledge.records import PilgrimRecord
from knowledge.verification import LockoutRules, birth_date_matches, phones_match

log = logging.getLogger(__name__)

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
    except Exception:  # the KB is optional here: without it we offer only a human
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


async def check_porsi(update: Update, context: CallbackContext, porsi: str) -> None:
    """A well-formed porsi: the full result if this chat is verified for it, else public level."""
    lang = lang_of(update, context)
    chat_id, _ = _ids(update)
    mark(update, context, topic=TOPIC)
    with services(context).db.session() as s:
        verified = repo.is_verified(s, chat_id, porsi, _now(context))
    if verified:
        await show_full(update, context, porsi)
        return
    limit = services(context).settings.status_lookups_per_hour
    wait = count_lookup(context, limit, _now(context).timestamp())
    if wait is not None:
        end_flow(context)
        await send(update, context, render(
            lang, "pelunasan_rate_limited.j2", limit=limit,
            minutes=max(1, math.ceil(wait / 60))))
        return
    try:
        result = await services(context).gateway.lookup(porsi)
    except Exception:  # the gateway degrades by itself; never leave the person hanging
        log.exception("pelunasan lookup failed")
        end_flow(context)
        await send(update, context, render(lang, "pelunasan_unavailable.j2", porsi=porsi))
        return
    if result.record is None and result.siskohat_down:
        end_flow(context)
        await send(update, context, render(lang, "pelunasan_unavailable.j2", porsi=porsi),
                   inline(lang, [[("human", "pelunasan:human"), ("menu", "menu:show")]]))
        return
    policy = policy_of(context)
    season = policy.get("season") or {}
    view = public_view(result.record, policy, _today(context))
    start_flow(context, FLOW, step="offer", porsi=porsi)
    text = render(lang, "pelunasan_public.j2", v=view, porsi=porsi,
                  season_hijri=season.get("hijri"), season_masehi=season.get("masehi"),
                  as_of_text=as_of_text(lang, result, services(context).tz) if result.record else None,
                  demo=services(context).demo_data and result.record is not None)
    # The verification offer comes for ANY well-formed porsi, found or not: the steps after it
    # must not tell whether a porsi exists.
    await send(update, context, text, inline(lang, [
        [("verify", "pelunasan:verify")],
        [("human", "pelunasan:human"), ("cancel", "pelunasan:cancel")],
    ]))


async def start_verification(update: Update, context: CallbackContext) -> None:
    """Ask for the person's own contact (Telegram's request_contact button)."""
    lang = lang_of(update, context)
    state = _state(context) if _in_flow(context) else {}
    porsi = state.get("porsi")
    if not porsi:
        await ask_porsi(update, context)
        return
    chat_id, _ = _ids(update)
    now = _now(context)
    with services(context).db.session() as s:
        until = repo.lockout_until(s, chat_id=chat_id, porsi=porsi, now=now, rules=_rules(context))
    mark(update, context, topic=TOPIC)
    if until is not None:
        end_flow(context)
        await send(update, context, render(lang, "pelunasan_locked.j2",
                                           until=_local(until, services(context).tz)))
        return
    start_flow(context, FLOW, step="contact", porsi=porsi)
    await send(update, context, render(lang, "pelunasan_verify_contact.j2", porsi=porsi),
               contact_keyboard(lang))


def _rules(context: CallbackContext) -> LockoutRules:
    return LockoutRules.from_policy(policy_of(context))


async def on_contact(update: Update, context: CallbackContext) -> None:
    """A shared contact during verification: it must be the sender's own."""
    lang = lang_of(update, context)
    msg = update.effective_message
    user = update.effective_user
    state = _state(context)
    porsi = state.get("porsi")
    mark(update, context, topic=TOPIC)
    if not porsi or state.get("step") not in ("contact", "birth"):
        await send(update, context, render(lang, "pelunasan_ask_porsi.j2"),
                   ReplyKeyboardRemove())
        start_flow(context, FLOW, step="porsi")
        return
    contact = msg.contact
    if contact is None or user is None or contact.user_id is None or contact.user_id != user.id:
        await send(update, context, render(lang, "pelunasan_not_own_contact.j2"),
                   contact_keyboard(lang))
        return
    try:
        result = await services(context).gateway.lookup(porsi)
        phone = result.record.identity.phone if result.record is not None else None
    except Exception:
        log.exception("pelunasan lookup failed during verification")
        phone = None
    # Only the outcome waits for the birth date; the number itself is never kept.
    start_flow(context, FLOW, step="birth", porsi=porsi,
               phone_ok=phones_match(contact.phone_number, phone), uid=user.id)
    await send(update, context, render(lang, "pelunasan_ask_birth.j2"), ReplyKeyboardRemove())


async def check_birth_date(update: Update, context: CallbackContext, text: str) -> None:
    lang = lang_of(update, context)
    state = _state(context)
    porsi = state["porsi"]
    chat_id, user_id = _ids(update)
    mark(update, context, topic=TOPIC)
    try:
        typed = parse_user_date(text, _today(context))
    except DateInputError as exc:  # the same wording as the pelimpahan guide
        await send(update, context, render(lang, "pelunasan_bad_date.j2", error=exc.reason,
                                           given=text.strip()[:40]))
        return
    svc = services(context)
    now = _now(context)
    rules = _rules(context)
    with svc.db.session() as s:
        until = repo.lockout_until(s, chat_id=chat_id, porsi=porsi, now=now, rules=rules)
    if until is not None:
        end_flow(context)
        await send(update, context, render(lang, "pelunasan_locked.j2",
                                           until=_local(until, services(context).tz)))
        return
    try:
        result = await services(context).gateway.lookup(porsi)
    except Exception:
        log.exception("pelunasan lookup failed during verification")
        result = None
    record = result.record if result is not None else None
    ok = (bool(state.get("phone_ok")) and state.get("uid") == user_id and record is not None
          and birth_date_matches(typed, record.identity.birth_date))
    if ok:
        with svc.db.session() as s:
            link = repo.add_link(s, chat_id=chat_id, user_id=user_id, porsi=porsi, now=now,
                                 ttl=rules.link_ttl)
            repo.clear_failures(s, chat_id=chat_id, porsi=porsi)
            repo.purge_expired(s, now)  # housekeeping: expired links, failures long past
        log.info("pelunasan verification succeeded")
        await send(update, context, render(lang, "pelunasan_verified.j2", porsi=porsi,
                                           expires=_local(link.expires_at, services(context).tz)))
        await show_full(update, context, porsi, result=result)
        return
    with svc.db.session() as s:
        repo.record_failure(s, chat_id=chat_id, porsi=porsi, now=now)
        until = repo.lockout_until(s, chat_id=chat_id, porsi=porsi, now=now, rules=rules)
        # Per chat AND per porsi (other chats' failures on this porsi count too). Failures are
        # stored for the porsi string whether or not it exists, so the count tells nothing.
        left = repo.tries_before_lockout(s, chat_id=chat_id, porsi=porsi, now=now, rules=rules)
    log.info("pelunasan verification failed")  # no porsi, phone or date: nothing to enumerate
    text_out = render(lang, "pelunasan_verify_failed.j2", porsi=porsi, left=left)
    if until is not None:
        end_flow(context)
        text_out += "\n\n" + render(lang, "pelunasan_locked.j2",
                                    until=_local(until, services(context).tz))
        await send(update, context, text_out,
                   inline(lang, [[("human", "pelunasan:human"), ("menu", "menu:show")]]))
        return
    start_flow(context, FLOW, step="offer", porsi=porsi)
    await send(update, context, text_out, inline(lang, [
        [("verify", "pelunasan:verify")],
        [("human", "pelunasan:human"), ("cancel", "pelunasan:cancel")],
    ]))


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


async def cancel(update: Update, context: CallbackContext) -> None:
    lang = lang_of(update, context)
    end_flow(context)
    mark(update, context, topic=TOPIC)
    await send(update, context, render(lang, "pelunasan_cancelled.j2"), ReplyKeyboardRemove())


async def reask(update: Update, context: CallbackContext) -> bool:
    """The current step's question again, in the chat's (possibly new) language, with the
    step's buttons (handlers.base re-ask registry: /bahasa mid-flow)."""
    lang = lang_of(update, context)
    state = _state(context)
    step = state.get("step", "porsi")
    porsi = state.get("porsi")
    if step not in ("porsi", "offer", "contact", "birth") or (step != "porsi" and not porsi):
        return False
    text = render(lang, "pelunasan_reask.j2", step=step, porsi=porsi, verify=label(lang, "verify"),
                  share=label(lang, "share_contact"), cancel=label(lang, "cancel"))
    if step == "offer":
        markup = inline(lang, [[("verify", "pelunasan:verify")],
                               [("human", "pelunasan:human"), ("cancel", "pelunasan:cancel")]])
    elif step == "contact":
        markup = contact_keyboard(lang)
    elif step == "birth":
        markup = None
    else:
        markup = inline(lang, [[("cancel", "pelunasan:cancel")]])
    await send(update, context, text, markup)
    return True


# --- entry points -------------------------------------------------------------------------


async def pelunasan_command(update: Update, context: CallbackContext) -> None:
    """/pelunasan [nomor]: may I pay off this season, and if not, why and what next."""
    text = " ".join(context.args or [])
    if not text.strip():
        await ask_porsi(update, context)
        return
    parsed = parse_porsi(text)
    if parsed.ok:
        await check_porsi(update, context, parsed.porsi)
        return
    start_flow(context, FLOW, step="porsi")
    mark(update, context, topic=TOPIC)
    await send(update, context, render(lang_of(update, context), "pelunasan_format.j2",
                                       digits=parsed.digits))


async def cancel_command(update: Update, context: CallbackContext) -> None:
    """/batal while the pelunasan flow is active: stop it."""
    await cancel(update, context)


async def flow_text(update: Update, context: CallbackContext) -> None:
    """Free text while the flow is active (routed here by handlers/router.py)."""
    text = (update.effective_message.text or "") if update.effective_message else ""
    state = _state(context)
    step = state.get("step", "porsi")
    word = text.strip().strip("/!.").casefold()
    if word in CANCEL_WORDS or word in (label("id", "cancel").casefold(),
                                        label("en", "cancel").casefold()):
        await cancel(update, context)
        return
    lang = lang_of(update, context)
    if step in ("birth", "contact") and looks_like_new_question(text):
        # "kenapa harus kirim kontak?": a question, not the awaited answer: leave politely
        # (the contact keyboard goes with the note), then let the router answer it
        end_flow(context)
        await send(update, context, render(lang, "pelunasan_left.j2"), ReplyKeyboardRemove())
        await route_free_text(update, context)
        return
    if step == "birth":
        await check_birth_date(update, context, text)
        return
    if step == "contact":
        mark(update, context, topic=TOPIC)
        await send(update, context, render(lang, "pelunasan_use_button.j2"),
                   contact_keyboard(lang))
        return
    parsed = parse_porsi(text)
    scan = scan_numbers(text) if not parsed.ok else None
    if parsed.ok:
        await check_porsi(update, context, parsed.porsi)
    elif scan.porsi:  # "porsi ibu saya 3509 412 276 pak": the (first) porsi in the sentence
        await check_porsi(update, context, scan.porsi[0])
    elif step == "porsi" and scan.of(NumberKind.DATE, NumberKind.PHONE, NumberKind.NIK):
        # a birth date, a phone number or a NIK where the porsi is awaited: what it looks like
        from handlers.status import reply_number_kind

        found = scan.of(NumberKind.DATE, NumberKind.PHONE, NumberKind.NIK)[0]
        await reply_number_kind(update, context, found, waiting=True)
        mark(update, context, topic=TOPIC)
    elif parsed.problem is PorsiProblem.LENGTH or looks_like_porsi_attempt(text):
        mark(update, context, topic=TOPIC)
        await send(update, context, render(lang, "pelunasan_format.j2", digits=parsed.digits))
    elif step == "porsi" and not looks_like_question(text):
        # "halo", "ok", a name ...: not a number and not a question; say what is awaited
        mark(update, context, topic=TOPIC)
        await send(update, context, render(lang, "pelunasan_still_waiting.j2"),
                   inline(lang, [[("cancel", "pelunasan:cancel")]]))
    else:
        # a question instead of a number: say the check was left, then let the router answer
        end_flow(context)
        if step == "porsi":
            await send(update, context, render(lang, "pelunasan_left.j2"))
        await route_free_text(update, context)


async def on_callback(update: Update, context: CallbackContext) -> None:
    """Buttons `pelunasan:<action>[:arg]`."""
    await answer_callback(update)
    if update.effective_chat is None:
        return
    data = update.callback_query.data or ""
    _, _, rest = data.partition(":")
    action, _, arg = rest.partition(":")
    if action == "start":
        await ask_porsi(update, context)
    elif action == "use":
        parsed = parse_porsi(arg)
        if parsed.ok:
            await check_porsi(update, context, parsed.porsi)
        else:
            await ask_porsi(update, context)
    elif action == "verify":
        await start_verification(update, context)
    elif action == "cancel":
        await cancel(update, context)
    elif action == "human":
        mark(update, context, topic=TOPIC)
        await offer_handoff(update, context, reason="pelunasan")
    else:
        await ask_porsi(update, context)


class _InFlow(filters.MessageFilter):
    """True while this chat's pelunasan flow is active (the runtime loads chat_data first), so
    /batal and contacts are ours only then and other features keep theirs."""

    def __init__(self, app: Application):
        super().__init__(name="pelunasan_in_flow")
        self._app = app

    def filter(self, message) -> bool:
        data = self._app.chat_data.get(message.chat.id) if message.chat else None
        return bool(data) and data.get("flow") == FLOW


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    in_flow = _InFlow(app)
    app.add_handler(CommandHandler("pelunasan", pelunasan_command, filters=private))
    app.add_handler(CommandHandler("batal", cancel_command, filters=private & in_flow))
    app.add_handler(MessageHandler(private & filters.CONTACT & in_flow, on_contact))
    app.add_handler(CallbackQueryHandler(on_callback, pattern=r"^pelunasan:"))
    register_flow(FLOW, flow_text)
    register_reask(FLOW, reask)
