"""Erasure on request (UU 27/2022 on personal data protection), across the repositories.

`erase_person` deletes what a chat/user has stored that need not be kept: runtime state,
verified links, the pelimpahan case and checklist, watched porsi with their notifications and
the estimates the chat saw, a WhatsApp person's ids and phone number; the person's helpdesk
tickets are closed and their words in the transcripts replaced, keeping ticket metadata for
statistics.
Kept on purpose: the personal-data audit log (who saw which porsi when: the record that each
view was legitimate; it holds no record values), verification failures (anti-abuse; they
expire), helpdesk blocks (anti-abuse) and the FAQ gaps (masked, without any chat id).
Retention by age (`purge`) is the composition root's job: bot/privacy.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_

from db import (
    repos_helpdesk,
    repos_notify,
    repos_pelimpahan,
    repos_runtime,
    repos_verification,
    repos_whatsapp,
)
from db.models.inbox import InboxUpdate, UpdateSend

# The messages keep the "privacy:" prefix operators grep for; the logger name says where.
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeptLookups:
    """Where the user's recent porsi lookups live, so erasure can carry them over to a counter
    keyed by a salted hash of the user id: erasure never resets the hourly lookup allowance.
    The conversation owns the key and the window (handlers/base.py); storage is told them."""

    salt: str  # salt of the pseudonymous counter key
    key: str  # user_data key: epoch seconds of the user's recent lookups
    window_s: float  # how long a lookup still counts


def erase_person(db, chat_id: int, user_id: int | None, now: datetime, *,
                 kept_lookups: KeptLookups | None = None) -> dict[str, int]:
    """Erase this chat's/user's data (one transaction); counts of what was deleted or
    anonymised, and of what was kept on purpose (`kept_*`). With `kept_lookups`, the user's
    recent status lookups survive as a pseudonymous counter (`kept_lookup_counter`)."""
    with db.session() as s:
        counts: dict[str, int] = {}
        if kept_lookups is not None and user_id is not None:
            counts["kept_lookup_counter"] = _keep_lookups(s, kept_lookups, user_id, now)
        counts.update(repos_runtime.erase_person(s, chat_id, user_id))
        counts["verified_links"] = repos_verification.erase_person(s, chat_id, user_id)
        counts.update(repos_pelimpahan.erase_person(s, chat_id))
        counts.update(repos_notify.erase_person(s, chat_id))
        counts.update(repos_helpdesk.erase_person(s, chat_id, user_id, now))
        counts["parked_updates"] = _erase_parked(s, chat_id, user_id)
        # requests journaled while an update of this chat runs hold the replies' texts
        counts["update_sends"] = s.execute(
            delete(UpdateSend).where(UpdateSend.chat_id == chat_id)).rowcount or 0
        counts.update(repos_whatsapp.erase_person(s, chat_id))
        counts["kept_audit_views"] = len(repos_verification.audit_views(s, chat_id=chat_id))
        counts["kept_verification_failures"] = repos_verification.failure_count(s,
                                                                                chat_id=chat_id)
    log.info("privacy: erased on request: %s", counts)
    return counts


def _erase_parked(session, chat_id: int, user_id: int | None) -> int:
    """Updates parked after failing (kept for an operator) hold the person's words: they go.
    Pending ones stay: they are this person's newer messages, still to be answered."""
    table = InboxUpdate.__table__
    who = table.c.chat_id == chat_id
    if user_id is not None:
        who = or_(who, table.c.user_id == user_id)
    result = session.execute(delete(table).where(table.c.state == "parked", who))
    return result.rowcount or 0


def _keep_lookups(session, kept: KeptLookups, user_id: int, now: datetime) -> int:
    stamps = repos_runtime.user_data(session, user_id).get(kept.key) or []
    recent = [t for t in stamps if isinstance(t, int | float) and 0 <= now.timestamp() - t
              < kept.window_s]
    repos_runtime.keep_counter(session, repos_runtime.counter_key(kept.salt, user_id), recent,
                               now)
    return len(recent)
