"""Personal data by retention (UU 27/2022 on personal data protection); erasure on request
is db/erasure.py.

`purge` applies the retention settings; `hajibot db purge` and a daily job run it. Both return
counts only, and only counts are logged. The log of verification-factor changes (porsi and
factor name, no values) follows the audit log's period; ids of Siskohat push events are
forgotten after `push_event_retention_days`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from bot.settings import Settings
from db import (
    repos_helpdesk,
    repos_notify,
    repos_pelimpahan,
    repos_runtime,
    repos_verification,
    repos_whatsapp,
)
from integration import push

log = logging.getLogger(__name__)

KEEP_UPDATE_IDS = timedelta(days=2)  # as the runtime's own pruning (bot/runtime.py)
PURGE_EVERY = timedelta(days=1)
PURGE_FIRST = timedelta(minutes=10)  # not in the middle of start-up


def lockout_keep() -> timedelta:
    """How long a verification failure can still matter: the lock-out rules' window plus the
    lock-out itself (from the pelunasan policy; the rules' defaults if it cannot be read)."""
    from knowledge.verification import LockoutRules

    try:
        from knowledge.policy_loader import load_policy

        rules = LockoutRules.from_policy(load_policy("pelunasan"))
    except Exception:  # noqa: BLE001 - housekeeping must not fail on a policy problem
        log.warning("privacy: pelunasan policy not readable; default lock-out rules used")
        rules = LockoutRules()
    return rules.window + rules.lockout


def purge(db, settings: Settings, now: datetime, *, dry_run: bool = False,
          keep_failures: timedelta | None = None) -> dict[str, int]:
    """Apply retention: state untouched for `state_retention_days` (runtime state, pelimpahan
    case/checklist), expired links, failures past the lock-out window, update ids older than
    two days, push event ids older than `push_event_retention_days`, WhatsApp message ids
    older than a week and WhatsApp people (number, ids) silent for `state_retention_days`;
    anonymise tickets closed
    more than `ticket_retention_days` ago. `dry_run` counts the same rows and rolls back."""
    state_before = now - timedelta(days=settings.state_retention_days)
    keep = keep_failures if keep_failures is not None else lockout_keep()
    with db.session() as s:
        counts: dict[str, int] = {}
        counts.update(repos_runtime.purge_older_than(
            s, state_before=state_before, updates_before=now - KEEP_UPDATE_IDS))
        audit_before = (now - timedelta(days=settings.audit_retention_days)
                        if settings.audit_retention_days > 0 else None)
        counts.update(repos_verification.purge_older_than(s, now, keep_failures=keep,
                                                          audit_before=audit_before))
        counts.update(repos_pelimpahan.purge_older_than(s, state_before))
        counts.update(repos_helpdesk.purge_older_than(
            s, now - timedelta(days=settings.ticket_retention_days)))
        counts["push_events"] = push.purge_events(
            s, now - timedelta(days=settings.push_event_retention_days))
        counts["notifications_done"] = repos_notify.purge_sent(s, now - repos_notify.RETENTION)
        counts["whatsapp_message_ids"] = repos_whatsapp.purge_message_ids(s, now)
        counts["whatsapp_chats"] = repos_whatsapp.purge_chats(s, state_before)
        if dry_run:
            s.rollback()
    log.info("privacy: purge%s: %s", " (dry run)" if dry_run else "", counts)
    return counts


async def purge_job(context) -> None:
    """The daily JobQueue run of `purge` (in a worker thread: the queries are synchronous)."""
    svc = context.application.bot_data.services
    if svc is None:
        return
    try:
        await asyncio.to_thread(purge, svc.db, svc.settings, svc.clock())
    except Exception:
        log.exception("privacy: purge job failed")


def schedule(app) -> bool:
    """Register the daily purge on the app's JobQueue (none -> nothing, returns False)."""
    if app.job_queue is None:
        return False
    app.job_queue.run_repeating(purge_job, interval=PURGE_EVERY, first=PURGE_FIRST,
                                name="privacy_purge")
    return True
