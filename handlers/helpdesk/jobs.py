"""Helpdesk repeating job: retries the outbox and posts reminders for waiting tickets.

The helpdesk's repeating job (scheduled by the registration table in bot/app.py).
"""

from __future__ import annotations

import logging
import time as _time

from telegram.ext import Application, CallbackContext

from db import repos_helpdesk as repo
from handlers.base import render
from handlers.helpdesk import relay
from knowledge.office_hours import working_seconds_between

log = logging.getLogger("handlers.helpdesk")


# --- the repeating job ---------------------------------------------------------------------
async def tick(app: Application) -> dict:
    """Retry due outbox rows and post reminders; returns counts (for tests and logs).

    Runs from the JobQueue every minute; jobs are not persisted, but everything it needs is in
    the database, so a restart just picks up where the last run stopped."""
    counts = {"sent": 0, "pending": 0, "failed": 0, "reminded": 0}
    if not relay.agents_chat(app):
        return counts
    svc = relay.svc(app)
    now = svc.clock()
    with svc.db.session() as s:
        due = sorted({m.ticket_id for m in repo.pending(s, due_before=now)})
    for ticket_id in due:
        result = await relay.flush(app, ticket_id, inline=False)
        counts["sent"] += len(result.sent)
        counts["pending"] += len(result.pending)
        counts["failed"] += len(result.failed)
        for row in result.failed:
            await _tell_failed(app, result.ticket, row)
    counts["reminded"] = await remind(app)
    return counts


async def _tell_failed(app: Application, ticket: repo.Ticket, row: repo.Message) -> None:
    if row.direction == "in":
        await relay.tell_person(app, ticket, render(ticket.lang, "helpdesk_not_delivered.j2",
                                                    final=True))
    else:
        await relay.post(app, ticket, render("id", "helpdesk_agent.j2", key="not_delivered",
                                             error=row.last_error or ""))


async def remind(app: Application) -> int:
    """A reminder in each topic whose person has waited longer than the configured minutes
    of working time without an agent reply (again after as long, while still waiting)."""
    svc = relay.svc(app)
    limit = max(1, svc.settings.helpdesk_reminder_minutes) * 60
    hours = relay.office(app)
    now = svc.clock()
    done = 0
    with svc.db.session() as s:
        tickets = repo.open_tickets(s)
    for t in tickets:
        if t.waiting_since is None or t.thread_id is None:
            continue
        waited = working_seconds_between(t.waiting_since, now, hours)
        since_reminder = (working_seconds_between(t.reminded_at, now, hours)
                          if t.reminded_at else waited)
        if waited < limit or since_reminder < limit:
            continue
        text = render("id", "helpdesk_reminder.j2", t=t, minutes=int(waited // 60))
        t, sent = await relay.post(app, t, text)
        if sent is not None:
            with svc.db.session() as s:
                repo.update_ticket(s, t.id, reminded_at=now)
            done += 1
    return done


async def job(context: CallbackContext) -> None:
    started = _time.perf_counter()
    try:
        counts = await tick(context.application)
    except Exception:
        log.exception("helpdesk job failed")
        return
    if any(counts.values()):
        log.info("helpdesk job: %s in %.2fs", counts, _time.perf_counter() - started)
