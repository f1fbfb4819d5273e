"""/pelunasan: may I pay off this season? Public data at once, the personal verdict after proof.

Flow (`register_flow("pelunasan")`, state in chat_data["flow_state"], JSON-able):
  step "porsi"   waiting for a nomor porsi (or a verified porsi picked with a button);
  step "offer"   the public level was shown; the person may press "Verifikasi";
  step "contact" waiting for the person's OWN Telegram contact (request_contact button);
  step "wa_phone" (WhatsApp, number hidden) waiting for the typed phone number on record;
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

from telegram import (
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    Application,
    CallbackContext,
    filters,
)

from db import repos_verification as repo
from handlers.base import (
    count_lookup,
    end_flow,
    lang_of,
    looks_like_new_question,
    mark,
    render,
    route_free_text,
    services,
    start_flow,
)
from handlers.menu import answer_callback, offer_handoff, send
from handlers.pelunasan.common import (
    FLOW,
    TOPIC,
    _ids,
    _now,
    _state,
    _today,
    as_of_text,
    ask_porsi,
    contact_keyboard,
    inline,
    label,
    looks_like_question,
    policy_of,
    show_full,
)
from handlers.pelunasan.verify import (
    check_birth_date,
    on_typed_phone,
    start_verification,
    whatsapp_identity,
)
from knowledge.chat_words import CANCEL_WORDS
from knowledge.pelunasan import public_view
from knowledge.porsi import (
    NumberKind,
    PorsiProblem,
    looks_like_porsi_attempt,
    parse_porsi,
    scan_numbers,
)

log = logging.getLogger(__name__)


# --- steps --------------------------------------------------------------------------------


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
    if step == "wa_phone" and porsi:
        await whatsapp_identity(update, context, porsi)
        return True
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


# At the card's offer to verify: its label's words, or a plain yes to it ("ok" is left out:
# it as often means "fine, that is all")
VERIFY_WORDS = frozenset({"verifikasi", "verify", "verifikasi dulu", "mau verifikasi",
                          "lanjut verifikasi", "rincian", "ya", "iya", "y", "yes", "yup", "mau", "iya mau",
                          "ya mau", "mau dong", "boleh", "lanjut", "lanjutkan", "yes please"})


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
    if step == "offer" and word in VERIFY_WORDS | {label("id", "verify").casefold(),
                                                    label("en", "verify").casefold()}:
        # the button's label typed instead of pressed (a phone that shows no buttons)
        await start_verification(update, context)
        return
    lang = lang_of(update, context)
    if step in ("birth", "contact", "wa_phone") and looks_like_new_question(text):
        # "kenapa harus kirim kontak?": a question, not the awaited answer: leave politely
        # (the contact keyboard goes with the note), then let the router answer it
        end_flow(context)
        await send(update, context, render(lang, "pelunasan_left.j2"), ReplyKeyboardRemove())
        await route_free_text(update, context)
        return
    if step == "birth":
        await check_birth_date(update, context, text)
        return
    if step == "wa_phone":
        await on_typed_phone(update, context, text)
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
    elif scan.of(NumberKind.DATE, NumberKind.PHONE, NumberKind.NIK):
        # a birth date, a phone number or a NIK where the porsi is awaited, or typed ahead of
        # the verification the card offers: what it looks like, never "a porsi of 5 digits"
        from handlers.status import reply_number_kind

        found = scan.of(NumberKind.DATE, NumberKind.PHONE, NumberKind.NIK)[0]
        await reply_number_kind(update, context, found, waiting=step == "porsi")
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


class InFlow(filters.MessageFilter):
    """True while this chat's pelunasan flow is active (the runtime loads chat_data first), so
    /batal and contacts are ours only then and other features keep theirs."""

    def __init__(self, app: Application):
        super().__init__(name="pelunasan_in_flow")
        self._app = app

    def filter(self, message) -> bool:
        data = self._app.chat_data.get(message.chat.id) if message.chat else None
        return bool(data) and data.get("flow") == FLOW
