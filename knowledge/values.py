"""Value sets of the Siskohat contract as the product's own enums.

Each enum has an UNKNOWN member: a value the back-end sends that we do not know is kept
(as its raw text, see `Coded`) and shown as unknown, never a crash.
"""

from __future__ import annotations

import re
from enum import Enum

_SPACES = re.compile(r"[\s_]+")


def norm_code(raw: str | None) -> str | None:
    """Upper-case, trim and collapse inner spacing: ' belum  lunas ' -> 'BELUM LUNAS'."""
    if raw is None:
        return None
    text = _SPACES.sub(" ", str(raw)).strip().upper()
    return text or None


class CodedEnum(str, Enum):  # noqa: UP042 - str() and format() must keep Enum behaviour
    """An enum parsed leniently from back-end text."""

    @classmethod
    def parse(cls, raw: str | None):
        code = norm_code(raw)
        if code is None:
            return None
        try:
            return cls(code)
        except ValueError:
            return cls.UNKNOWN  # type: ignore[attr-defined]


class Gender(CodedEnum):
    L = "L"
    P = "P"
    UNKNOWN = "?"


class MaritalStatus(CodedEnum):
    KAWIN = "KAWIN"
    BELUM_KAWIN = "BELUM KAWIN"
    CERAI_HIDUP = "CERAI HIDUP"
    CERAI_MATI = "CERAI MATI"
    UNKNOWN = "?"


class PilgrimStatus(CodedEnum):
    AKTIF = "AKTIF"
    BATAL = "BATAL"
    WAFAT = "WAFAT"
    SAKIT_PERMANEN = "SAKIT PERMANEN"
    BERANGKAT = "BERANGKAT"
    DILIMPAHKAN = "DILIMPAHKAN"
    UNKNOWN = "?"


class PaymentStatus(CodedEnum):
    BELUM_LUNAS = "BELUM LUNAS"
    LUNAS = "LUNAS"
    LUNAS_TUNDA = "LUNAS TUNDA"
    GAGAL_BAYAR = "GAGAL BAYAR"
    UNKNOWN = "?"


class Tahap(CodedEnum):
    I = "TAHAP I"  # noqa: E741 - the domain's own name
    II = "TAHAP II"
    UNKNOWN = "?"


class Istithaah(CodedEnum):
    ISTITHAAH = "ISTITHAAH"
    DENGAN_PENDAMPINGAN = "ISTITHAAH DENGAN PENDAMPINGAN"
    TIDAK_SEMENTARA = "TIDAK ISTITHAAH SEMENTARA"
    TIDAK = "TIDAK ISTITHAAH"
    BELUM_DIPERIKSA = "BELUM DIPERIKSA"
    UNKNOWN = "?"


class Priority(CodedEnum):
    LANSIA = "LANSIA"
    PENDAMPING_LANSIA = "PENDAMPING LANSIA"
    PENGGABUNGAN = "PENGGABUNGAN"
    CADANGAN = "CADANGAN"
    UNKNOWN = "?"


def parse_flag(raw: str | None) -> bool | None:
    """`Y`/`N`/empty (any case) -> True/False/None; anything else -> None."""
    code = norm_code(raw)
    if code in ("Y", "YA", "YES", "1", "TRUE"):
        return True
    if code in ("N", "TIDAK", "NO", "0", "FALSE"):
        return False
    return None
