"""Pelimpahan repository: a chat's last case and its document checklist.

Takes a Session, never commits (the caller's `db.session()` does), returns plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, union
from sqlalchemy.orm import Session

from db.models.pelimpahan import PelimpahanCase, PelimpahanChecklistItem


@dataclass(frozen=True, slots=True)
class SavedCase:
    chat_id: int
    cause: str
    policy_version: str
    eligible: bool
    reasons: tuple[str, ...]
    updated_at: datetime


def save_case(session: Session, chat_id: int, *, cause: str, policy_version: str,
              eligible: bool, reasons: list[str] | tuple[str, ...], now: datetime) -> None:
    row = session.get(PelimpahanCase, chat_id)
    if row is None:
        row = PelimpahanCase(chat_id=chat_id)
        session.add(row)
    row.cause = cause
    row.policy_version = policy_version
    row.eligible = eligible
    row.reasons = ",".join(reasons)
    row.updated_at = now
    session.flush()


def get_case(session: Session, chat_id: int) -> SavedCase | None:
    row = session.get(PelimpahanCase, chat_id)
    if row is None:
        return None
    return SavedCase(row.chat_id, row.cause, row.policy_version, row.eligible,
                     tuple(r for r in row.reasons.split(",") if r), row.updated_at)


def checklist(session: Session, chat_id: int) -> dict[str, bool]:
    """doc_key -> ready, for every document this chat has ticked or unticked."""
    rows = session.scalars(
        select(PelimpahanChecklistItem).where(PelimpahanChecklistItem.chat_id == chat_id)
    )
    return {r.doc_key: r.ready for r in rows}


def set_ready(session: Session, chat_id: int, doc_key: str, ready: bool, now: datetime) -> None:
    row = session.get(PelimpahanChecklistItem, (chat_id, doc_key))
    if row is None:
        row = PelimpahanChecklistItem(chat_id=chat_id, doc_key=doc_key)
        session.add(row)
    row.ready = ready
    row.updated_at = now
    session.flush()


def toggle(session: Session, chat_id: int, doc_key: str, now: datetime) -> bool:
    """Flip one document's mark; returns the new state."""
    row = session.get(PelimpahanChecklistItem, (chat_id, doc_key))
    ready = not (row.ready if row is not None else False)
    set_ready(session, chat_id, doc_key, ready, now)
    return ready


def clear(session: Session, chat_id: int) -> None:
    """Forget a chat's case and checklist (the person starts over for another pilgrim)."""
    for row in session.scalars(
        select(PelimpahanChecklistItem).where(PelimpahanChecklistItem.chat_id == chat_id)
    ):
        session.delete(row)
    row = session.get(PelimpahanCase, chat_id)
    if row is not None:
        session.delete(row)
    session.flush()


# --- erasure and retention ------------------------------------------------------------------


def erase_person(session: Session, chat_id: int) -> dict[str, int]:
    """Delete the chat's case and checklist; counts per table."""
    items = session.execute(delete(PelimpahanChecklistItem)
                            .where(PelimpahanChecklistItem.chat_id == chat_id)).rowcount
    cases = session.execute(delete(PelimpahanCase)
                            .where(PelimpahanCase.chat_id == chat_id)).rowcount
    return {"pelimpahan_cases": cases or 0, "pelimpahan_checklist": items or 0}


def purge_older_than(session: Session, before: datetime) -> dict[str, int]:
    """Delete case and checklist of every chat whose newest pelimpahan row is older than
    `before` (a chat's checklist goes as a whole, never half of it)."""
    cut = before
    active = union(
        select(PelimpahanCase.chat_id).where(PelimpahanCase.updated_at >= cut),
        select(PelimpahanChecklistItem.chat_id).where(PelimpahanChecklistItem.updated_at >= cut),
    ).subquery()
    keep = select(active.c.chat_id)
    items = session.execute(delete(PelimpahanChecklistItem)
                            .where(PelimpahanChecklistItem.chat_id.not_in(keep))).rowcount
    cases = session.execute(delete(PelimpahanCase)
                            .where(PelimpahanCase.chat_id.not_in(keep))).rowcount
    return {"pelimpahan_cases": cases or 0, "pelimpahan_checklist": items or 0}
