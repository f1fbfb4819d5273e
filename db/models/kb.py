"""Knowledge-base feedback: unanswered and unhelpful questions (masked).

Only the masked text is stored (digits as '#', name-like words as '***'), never the chat id, so
the table can be read by content editors without exposing who asked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime


class KbGap(Base):
    """One question the knowledge base did not answer well."""

    __tablename__ = "kb_gaps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # unanswered (out of scope) | clarify_failed (two clarifications) | unhelpful ("Tidak")
    # | none_of_these (the person rejected every suggestion)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    text: Mapped[str] = mapped_column(String(500), nullable=False)  # masked
    normalized: Mapped[str] = mapped_column(String(500), nullable=False, index=True)  # masked
    entry_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), nullable=False)
