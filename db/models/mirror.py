"""Local mirror of Siskohat records (one row per nomor porsi) and sync bookkeeping.

`mirror` keeps per porsi: `updated_at` (Siskohat's change time as fixed-width UTC ISO text, so
text order is time order; the import compares it), `fetched_at` (when this copy was last
confirmed with Siskohat), `source` (batch / feed / live / push), and `data`: the other export
columns, `nama` to `jumlah_pelunasan`, as one CSV line ('' for no value, dates as ISO
`YYYY-MM-DD`). One text column instead of 35 because the mirror is only ever read whole, by
porsi, and binding 35 values per row was most of the national import's time. Packing and
parsing live in integration.mirror (`pack`/`unpack`) and integration.wire.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base


class MirrorRow(Base):
    __tablename__ = "mirror"

    porsi: Mapped[str] = mapped_column(String(10), primary_key=True)  # kd_porsi
    updated_at: Mapped[str] = mapped_column(String(32), nullable=False)
    fetched_at: Mapped[str] = mapped_column(String(32), nullable=False)
    source: Mapped[str] = mapped_column(String(8), nullable=False)
    data: Mapped[str] = mapped_column(Text, nullable=False)  # nama..jumlah_pelunasan, CSV


class MirrorImport(Base):
    """One sync run: a CSV file (daily export) or a change-feed pass, with its counts."""

    __tablename__ = "mirror_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # file | feed
    name: Mapped[str] = mapped_column(Text, nullable=False)  # file name, or the feed's `sejak`
    sha256: Mapped[str | None] = mapped_column(String(64))
    export_date: Mapped[str | None] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(8), nullable=False)
    started_at: Mapped[str] = mapped_column(String(32), nullable=False)
    finished_at: Mapped[str] = mapped_column(String(32), nullable=False)
    rows_read: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    inserted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    malformed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class PushEvent(Base):
    """A push event id already applied (each id is applied once)."""

    __tablename__ = "push_events"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[str] = mapped_column(String(32), nullable=False)
    jenis: Mapped[str | None] = mapped_column(String(40))
    porsi: Mapped[str | None] = mapped_column(String(10))
    outcome: Mapped[str | None] = mapped_column(String(16))  # applied | stale | unknown_porsi
