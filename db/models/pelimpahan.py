"""Pelimpahan wizard cases and document checklists per chat.

Only the verdict's shape is stored (cause, policy version, reason codes), never names or dates:
the names a family types for the letters stay in the chat state, not here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime


class PelimpahanCase(Base):
    """The last assessed case of a chat: which checklist (cause) it ticks."""

    __tablename__ = "pelimpahan_cases"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    cause: Mapped[str] = mapped_column(String(32), nullable=False)
    policy_version: Mapped[str] = mapped_column(String(32), nullable=False)
    eligible: Mapped[bool] = mapped_column(Boolean, nullable=False)
    reasons: Mapped[str] = mapped_column(String(255), nullable=False, default="")  # codes, ","
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class PelimpahanChecklistItem(Base):
    """One document of a chat's checklist and whether the family has it ready."""

    __tablename__ = "pelimpahan_checklist"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    doc_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    ready: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
