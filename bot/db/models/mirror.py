"""Local mirror of Siskohat records (one row per nomor porsi) and sync bookkeeping.

`mirror` keeps the export columns as they arrive (text; '' stored as NULL; dates as ISO
`YYYY-MM-DD`; `updated_at` as a fixed-width UTC ISO string, so text order is time order).
`fetched_at` is when this copy was last confirmed with Siskohat; `source` how it came
(batch / feed / live / push). Parsing into the product's record happens in integration.wire.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base


class MirrorRow(Base):
    __tablename__ = "mirror"

    porsi: Mapped[str] = mapped_column(String(10), primary_key=True)  # kd_porsi
    nama: Mapped[str | None] = mapped_column(Text)
    jenis_kelamin: Mapped[str | None] = mapped_column(Text)
    tgl_lahir: Mapped[str | None] = mapped_column(Text)
    status_nikah: Mapped[str | None] = mapped_column(Text)
    no_hp: Mapped[str | None] = mapped_column(Text)
    kd_prop: Mapped[str | None] = mapped_column(Text)
    propinsi: Mapped[str | None] = mapped_column(Text)
    kd_kab: Mapped[str | None] = mapped_column(Text)
    kabupaten: Mapped[str | None] = mapped_column(Text)
    tgl_daftar: Mapped[str | None] = mapped_column(Text)
    bank: Mapped[str | None] = mapped_column(Text)
    status_jemaah: Mapped[str | None] = mapped_column(Text)
    posisiporsi: Mapped[str | None] = mapped_column(Text)
    kuotapropinsi: Mapped[str | None] = mapped_column(Text)
    berangkatmasehi: Mapped[str | None] = mapped_column(Text)
    berangkathijriah: Mapped[str | None] = mapped_column(Text)
    status_bayar: Mapped[str | None] = mapped_column(Text)
    tahun_pelunasan: Mapped[str | None] = mapped_column(Text)
    tahap_pelunasan: Mapped[str | None] = mapped_column(Text)
    status_cadangan: Mapped[str | None] = mapped_column(Text)
    status_pelunasan: Mapped[str | None] = mapped_column(Text)
    status_istithaah: Mapped[str | None] = mapped_column(Text)
    tgl_istithaah: Mapped[str | None] = mapped_column(Text)
    vaksin_meningitis: Mapped[str | None] = mapped_column(Text)
    laik_terbang: Mapped[str | None] = mapped_column(Text)
    pernah_haji: Mapped[str | None] = mapped_column(Text)
    tahun_haji_terakhir: Mapped[str | None] = mapped_column(Text)
    asal_pelimpahan: Mapped[str | None] = mapped_column(Text)
    porsi_terkait: Mapped[str | None] = mapped_column(Text)
    kategori_prioritas: Mapped[str | None] = mapped_column(Text)
    embarkasi: Mapped[str | None] = mapped_column(Text)
    biaya_bipih: Mapped[str | None] = mapped_column(Text)
    setoran_awal: Mapped[str | None] = mapped_column(Text)
    nilai_manfaat: Mapped[str | None] = mapped_column(Text)
    jumlah_pelunasan: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[str] = mapped_column(String(32), nullable=False)
    fetched_at: Mapped[str] = mapped_column(String(32), nullable=False)
    source: Mapped[str] = mapped_column(String(8), nullable=False)


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
