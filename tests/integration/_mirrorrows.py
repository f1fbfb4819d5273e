"""Export rows built in tests of the mirror, sync, gateway, push and CLI."""

from __future__ import annotations

import csv
from pathlib import Path

from integration.wire import EXPORT_COLUMNS

BASE = {
    "nama": "AHMAD FAUZI", "jenis_kelamin": "L", "tgl_lahir": "1958-03-14",
    "status_nikah": "KAWIN", "no_hp": "6281234567890", "kd_prop": "17", "propinsi": "BENGKULU",
    "kd_kab": "1771", "kabupaten": "KOTA BENGKULU", "tgl_daftar": "2012-06-01",
    "bank": "BANK SYARIAH INDONESIA", "status_jemaah": "AKTIF", "posisiporsi": "1234",
    "kuotapropinsi": "1600", "berangkatmasehi": "2030", "berangkathijriah": "1452",
    "status_bayar": "BELUM LUNAS", "status_pelunasan": "BELUM LUNAS",
    "status_istithaah": "BELUM DIPERIKSA", "vaksin_meningitis": "N", "embarkasi": "PDG",
    "setoran_awal": "25000000",
}  # fmt: skip


def row(porsi: str, updated_at: str = "2024-03-01T10:00:00+07:00", **values: str) -> dict:
    out = {c: "" for c in EXPORT_COLUMNS}
    out.update(BASE)
    out.update(kd_porsi=porsi, updated_at=updated_at, **values)
    return out


def write(path: Path, rows: list[dict | list | str]) -> Path:
    """Rows as dicts, raw lists, or raw text lines (for malformed ones)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(EXPORT_COLUMNS) + "\n")
        w = csv.writer(fh, lineterminator="\n")
        for r in rows:
            if isinstance(r, str):
                fh.write(r + "\n")
            elif isinstance(r, dict):
                w.writerow([r[c] for c in EXPORT_COLUMNS])
            else:
                w.writerow(r)
    return path
