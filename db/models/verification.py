"""Verified chat-porsi links, failed attempts and lock-outs, personal-data audit log.

Times are naive UTC (as in the runtime tables). No phone number, birth date or health value is
ever stored here: a link says only "this chat proved it holds this porsi, until then".
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime


class VerifiedLink(Base):
    """A chat (and the Telegram user in it) verified for a porsi, until `expires_at`."""

    __tablename__ = "verified_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    user_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    porsi: Mapped[str] = mapped_column(String(10), nullable=False)
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        UniqueConstraint("chat_id", "porsi", name="uq_verified_links_chat_porsi"),
        Index("ix_verified_links_porsi", "porsi"),
        Index("ix_verified_links_expires_at", "expires_at"),
    )


class VerificationFailure(Base):
    """One failed verification (counted per porsi and per chat for lock-outs)."""

    __tablename__ = "verification_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    porsi: Mapped[str] = mapped_column(String(10), nullable=False)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        Index("ix_verification_failures_porsi_at", "porsi", "failed_at"),
        Index("ix_verification_failures_chat_at", "chat_id", "failed_at"),
    )


class PersonalDataView(Base):
    """Audit: who (chat/user) saw which porsi's personal data, when, and what kind of view.

    `kind` is a fixed code (e.g. "pelunasan"); never a health value or any other record value.
    """

    __tablename__ = "personal_data_views"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    porsi: Mapped[str] = mapped_column(String(10), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        Index("ix_personal_data_views_porsi_at", "porsi", "viewed_at"),
        Index("ix_personal_data_views_chat_at", "chat_id", "viewed_at"),
    )


class VerificationFactorChange(Base):
    """Audit: a verification factor (`no_hp` or `tgl_lahir`) of a porsi changed in the mirror
    by `source` (e.g. "push", with the push event's id), when, and how many verified links
    of that porsi were reset because of it. The values themselves are never stored."""

    __tablename__ = "verification_factor_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    porsi: Mapped[str] = mapped_column(String(10), nullable=False)
    factor: Mapped[str] = mapped_column(String(16), nullable=False)
    source: Mapped[str] = mapped_column(String(8), nullable=False)
    event_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    links_reset: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (
        Index("ix_verification_factor_changes_porsi_at", "porsi", "changed_at"),
        Index("ix_verification_factor_changes_at", "changed_at"),
    )
