"""Pelunasan: the verification steps (own Telegram contact, then the typed birth date) that
unlock the personal level; see the flow description in handlers/pelunasan/wizard.py.

On WhatsApp the sender's own WhatsApp number takes the contact's place (WhatsApp itself vouches
that the message comes from it), so the flow goes straight to the birth date; when the person
hides their number (a username), they type the number on record first and the chat stays
unverified until number and birth date both match. Lock-outs and audit are the same."""

from __future__ import annotations

import logging

from telegram import (
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    CallbackContext,
)

from db import repos_verification as repo
from db import repos_whatsapp
from handlers.base import (
    end_flow,
    lang_of,
    mark,
    render,
    services,
    start_flow,
)
from handlers.menu import send
from handlers.pelunasan.common import (
    FLOW,
    TOPIC,
    _ids,
    _in_flow,
    _local,
    _now,
    _state,
    _today,
    ask_porsi,
    contact_keyboard,
    inline,
    policy_of,
    show_full,
)
from knowledge.dates import DateInputError, parse_user_date
from knowledge.verification import LockoutRules, birth_date_matches, phones_match

log = logging.getLogger("handlers.pelunasan.wizard")  # the feature's logger


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
    if repos_whatsapp.is_whatsapp(chat_id):
        await whatsapp_identity(update, context, porsi)
        return
    start_flow(context, FLOW, step="contact", porsi=porsi)
    await send(update, context, render(lang, "pelunasan_verify_contact.j2", porsi=porsi),
               contact_keyboard(lang))


async def _phone_on_record(context: CallbackContext, porsi: str) -> str | None:
    try:
        result = await services(context).gateway.lookup(porsi)
        return result.record.identity.phone if result.record is not None else None
    except Exception:
        log.exception("pelunasan lookup failed during verification")
        return None


async def whatsapp_identity(update: Update, context: CallbackContext, porsi: str) -> None:
    """WhatsApp: the sender's number is the phone to match; hidden, it is asked for."""
    lang = lang_of(update, context)
    chat_id, user_id = _ids(update)
    with services(context).db.session() as s:
        chat = repos_whatsapp.get_chat(s, chat_id)
    number = chat.wa_id if chat is not None else None
    if number is None:
        start_flow(context, FLOW, step="wa_phone", porsi=porsi)
        await send(update, context, render(lang, "pelunasan_verify_whatsapp.j2", porsi=porsi,
                                           hidden=True))
        return
    start_flow(context, FLOW, step="birth", porsi=porsi,
               phone_ok=phones_match(number, await _phone_on_record(context, porsi)),
               uid=user_id)
    await send(update, context, render(lang, "pelunasan_verify_whatsapp.j2", porsi=porsi,
                                       hidden=False))


async def on_typed_phone(update: Update, context: CallbackContext, text: str) -> None:
    """WhatsApp with a hidden number: the typed number on record, then the birth date."""
    lang = lang_of(update, context)
    state = _state(context)
    porsi = state["porsi"]
    _, user_id = _ids(update)
    mark(update, context, topic=TOPIC)
    if sum(c.isdigit() for c in text) < 9:
        await send(update, context, render(lang, "pelunasan_verify_whatsapp.j2", porsi=porsi,
                                           hidden=True, bad=True))
        return
    # Only the outcome waits for the birth date; the typed number is never kept.
    start_flow(context, FLOW, step="birth", porsi=porsi,
               phone_ok=phones_match(text, await _phone_on_record(context, porsi)),
               uid=user_id)
    await send(update, context, render(lang, "pelunasan_ask_birth.j2"))


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
    text_out = render(lang, "pelunasan_verify_failed.j2", porsi=porsi, left=left,
                      whatsapp=repos_whatsapp.is_whatsapp(chat_id))
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
