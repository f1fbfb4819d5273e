"""Repository of the FAQ feedback table (kb_gaps). Takes a Session, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models.kb import KbGap

KINDS = ("unanswered", "clarify_failed", "unhelpful", "none_of_these")


@dataclass(frozen=True)
class GapCount:
    normalized: str
    example: str  # one masked text as typed
    count: int
    kinds: tuple[str, ...]
    entry_ids: tuple[str, ...]
    last_at: datetime


def record_gap(session: Session, *, kind: str, text: str, normalized: str, at: datetime,
               entry_id: str | None = None, score: float | None = None) -> None:
    """Store one masked question. The caller masks: this layer never sees raw personal text."""
    if kind not in KINDS:
        raise ValueError(f"unknown gap kind {kind!r}")
    session.add(KbGap(kind=kind, text=text[:500], normalized=(normalized or text)[:500],
                      entry_id=entry_id, score=score, created_at=at))


def top_gaps(session: Session, *, limit: int = 50, kind: str | None = None) -> list[GapCount]:
    """Stored questions grouped by their normalised text, most frequent first."""
    q = select(KbGap.normalized, func.count(KbGap.id), func.max(KbGap.created_at)).group_by(
        KbGap.normalized)
    if kind:
        q = q.where(KbGap.kind == kind)
    q = q.order_by(func.count(KbGap.id).desc(), func.max(KbGap.created_at).desc()).limit(limit)
    out: list[GapCount] = []
    for normalized, count, last_at in session.execute(q).all():
        rows = session.execute(
            select(KbGap.text, KbGap.kind, KbGap.entry_id).where(KbGap.normalized == normalized)
            .order_by(KbGap.created_at.desc())
        ).all()
        if kind:
            rows = [r for r in rows if r.kind == kind]
        out.append(GapCount(
            normalized=normalized, example=rows[0].text if rows else normalized, count=count,
            kinds=tuple(sorted({r.kind for r in rows})),
            entry_ids=tuple(sorted({r.entry_id for r in rows if r.entry_id})),
            last_at=last_at,
        ))
    return out
