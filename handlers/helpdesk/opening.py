"""Helpdesk hand-off, opening a ticket: the person's first message becomes a ticket.

The public status of the porsi the chat knows for the agents' context card, the Kankemenag
office of that porsi, and `open_ticket` itself with what the person is told afterwards.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CallbackContext

from db import repos_helpdesk as repo
from handlers.base import end_flow, lang_of, mark, message_kind, render, services
from handlers.helpdesk import agents, relay
from handlers.menu import send
from knowledge.dates import local_today
from knowledge.masking import mask_name
from knowledge.office_hours import availability
from knowledge.status_view import build_status_view

log = logging.getLogger("handlers.helpdesk")

TOPIC = "helpdesk"
RECENT_KEY = "hd_recent"  # chat_data: the last bot exchanges, masked, text only
PORSI_KEY = "hd_porsi"  # chat_data: the last valid nomor porsi the person typed
OFFICE_KEY = "hd_office"  # chat_data: {"porsi", "regency", "province"} of that porsi
RECENT_MAX = 6


def _hours_values(app: Application) -> dict:
    minutes = max(1, relay.svc(app).settings.helpdesk_response_minutes)
    return {"av": availability(relay.now(app), relay.office(app)), "response_minutes": minutes}


# --- opening a ticket ----------------------------------------------------------------------
async def _public_status(context: CallbackContext, porsi: str | None) -> dict | None:
    """Public level only (what /porsi shows): never health, money, phone or birth date."""
    if not porsi:
        return None
    svc = services(context)
    try:
        result = await svc.gateway.lookup(porsi)
    except Exception:  # noqa: BLE001 - the card is context; the ticket must open anyway
        log.warning("helpdesk: status lookup for the context card failed")
        return None
    if result.record is None:
        return {"found": False, "down": bool(result.siskohat_down)}
    tz = relay.office(context.application).zone
    view = build_status_view(result.record, source=result.source, as_of=result.as_of,
                             today=local_today(svc.clock(), tz),
                             siskohat_down=result.siskohat_down, tz=tz)
    est = view.estimate
    return {"found": True, "name": view.name, "status": view.status_raw or view.status,
            "regency": view.regency, "province": view.province, "position": view.position,
            "quota": view.quota, "payment": view.payment_raw or view.payment,
            "year": est.year_masehi if est else None,
            "season": est.season_hijri if est else None,
            "stale": result.siskohat_down or str(result.source.value) == "stale"}


def _known_porsi(context: CallbackContext, chat_id: int) -> str | None:
    porsi = context.chat_data.get(PORSI_KEY)
    if porsi:
        return porsi
    try:
        from db import repos_verification

        svc = services(context)
        with svc.db.session() as s:
            links = repos_verification.active_links(s, chat_id, svc.clock())
        return links[0].porsi if links else None
    except Exception:  # noqa: BLE001 - verification not installed or failing: no porsi
        return None


async def _office(context: CallbackContext, chat_id: int) -> dict:
    """Kab/kota and province of the porsi this chat looked up or verified ({} if unknown);
    remembered per porsi so an unanswered question does not look the porsi up again."""
    porsi = _known_porsi(context, chat_id)
    if not porsi:
        return {}
    cached = context.chat_data.get(OFFICE_KEY)
    if isinstance(cached, dict) and cached.get("porsi") == porsi:
        return cached
    status = await _public_status(context, porsi)
    if not status or not status.get("found") or not status.get("regency"):
        return {}
    office = {"porsi": porsi, "regency": status["regency"], "province": status.get("province")}
    context.chat_data[OFFICE_KEY] = office
    return office


async def open_ticket(update: Update, context: CallbackContext, reason: str) -> None:
    """Open the ticket with this message as its first one; tell the person what happens next."""
    app = context.application
    svc = services(context)
    msg = update.effective_message
    chat_id = update.effective_chat.id
    user = update.effective_user
    lang = lang_of(update, context)
    end_flow(context)
    porsi = _known_porsi(context, chat_id)
    status = await _public_status(context, porsi)
    full = " ".join(p for p in (user.first_name, user.last_name) if p) if user else ""
    ctx = {"tg_name": mask_name(full), "lang": lang, "status": status,
           "recent": list(context.chat_data.get(RECENT_KEY) or [])[-RECENT_MAX:]}
    now = svc.clock()
    with svc.db.session() as s:
        existing = repo.open_of(s, chat_id)
        if existing is None:
            ticket = repo.open_ticket(s, chat_id=chat_id, user_id=user.id if user else None,
                                      lang=lang, reason=reason, local_now=relay.local(app, now),
                                      porsi=porsi, context=ctx)
        else:  # opened meanwhile (a second device): add to it
            ticket = existing
        row = repo.add_message(s, ticket_id=ticket.id, direction="in",
                               kind=message_kind(msg), text=relay.message_text(msg),
                               person_message_id=msg.message_id, now=now)
        queue = len(repo.open_tickets(s)) - 1
    context.chat_data[agents.OPEN_KEY] = True
    log.info("helpdesk %s opened (reason %s)", ticket.code, reason)
    mark(update, context, topic=TOPIC, handoff=True)
    result = await relay.flush(app, ticket.id)
    await send(update, context, render(lang, "helpdesk_opened.j2", code=ticket.code,
                                       queue=max(0, queue), **_hours_values(app)))
    await _report_flush(app, ticket, result, row.id)


async def _report_flush(app: Application, ticket: repo.Ticket, result: relay.Flushed,
                        row_id: int) -> None:
    """Tell the person when their message could not be delivered (yet)."""
    lang = ticket.lang
    if any(m.id == row_id for m in result.failed):
        await relay.tell_person(app, ticket, render(lang, "helpdesk_not_delivered.j2",
                                                    final=True))
    elif row_id in result.pending:
        await relay.tell_person(app, ticket, render(lang, "helpdesk_not_delivered.j2",
                                                    final=False))
