"""Siskohat wire schema: the envelope, lenient scalar parsers, wire row <-> `PilgrimRecord`.

The only module that maps Siskohat wire names (`kd_porsi`, `posisiporsi`, `ResposeMessage`, ...)
to the product's own field names (knowledge/records.py). Everything is tolerant of what real
back-ends send (numbers as strings, empty strings as null, statuses in any case/spacing, both
date formats) and strict only where a value cannot mean anything (an impossible date, a porsi
that is not 10 digits): those raise `WireError` naming the field.

Rows handled here are plain mappings of wire names to values. Three shapes exist:
- an export / change-feed row (`EXPORT_COLUMNS`);
- the merged `Data[0]` of the four read calls (`merge_read_calls`); the pembatalan call's `bank`
  and `nomor_rekening` collide with pelunasan's, so in a merged row they are stored under
  `bank_pembatalan` / `nomor_rekening_pembatalan` (see `EXTRA_COLUMNS`);
- `row_from_record` output: `ROW_COLUMNS` = export columns + `EXTRA_COLUMNS`, '' for None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from knowledge.dates import to_utc
from knowledge.porsi import parse_porsi as _read_porsi
from knowledge.records import (
    Cancellation,
    Health,
    History,
    Identity,
    Payoff,
    PilgrimRecord,
    WaitingList,
)
from knowledge.values import (
    CodedEnum,
    Gender,
    Istithaah,
    MaritalStatus,
    PaymentStatus,
    PilgrimStatus,
    Priority,
    Tahap,
    parse_flag,
)

EXPORT_COLUMNS: tuple[str, ...] = (
    "kd_porsi", "nama", "jenis_kelamin", "tgl_lahir", "status_nikah", "no_hp", "kd_prop",
    "propinsi", "kd_kab", "kabupaten", "tgl_daftar", "bank", "status_jemaah", "posisiporsi",
    "kuotapropinsi", "berangkatmasehi", "berangkathijriah", "status_bayar", "tahun_pelunasan",
    "tahap_pelunasan", "status_cadangan", "status_pelunasan", "status_istithaah", "tgl_istithaah",
    "vaksin_meningitis", "laik_terbang", "pernah_haji", "tahun_haji_terakhir", "asal_pelimpahan",
    "porsi_terkait", "kategori_prioritas", "embarkasi", "biaya_bipih", "setoran_awal",
    "nilai_manfaat", "jumlah_pelunasan", "updated_at",
)  # fmt: skip

# Fields the read calls carry that the export does not (pembatalan's colliding names renamed).
CANCEL_BANK = "bank_pembatalan"
CANCEL_ACCOUNT = "nomor_rekening_pembatalan"
CANCELLATION_COLUMNS: tuple[str, ...] = (
    "nama_ahli_waris", CANCEL_BANK, CANCEL_ACCOUNT, "status_pembatalan",
    "tgl_batal_pendaftaran", "tgl_batal_kankemenag", "no_spm_bpkh", "tgl_spm_bpkh",
    "tgl_transfer_bps", "status_transfer",
)  # fmt: skip
EXTRA_COLUMNS: tuple[str, ...] = ("nomor_rekening", *CANCELLATION_COLUMNS)
ROW_COLUMNS: tuple[str, ...] = EXPORT_COLUMNS + EXTRA_COLUMNS

# Fields of Data[0] per read call, as in the contract table.
ESTIMASI_FIELDS: tuple[str, ...] = (
    "kd_porsi", "nama", "kd_kab", "kabupaten", "kd_prop", "propinsi", "posisiporsi",
    "kuotapropinsi", "berangkatmasehi", "berangkathijriah", "status_bayar",
)  # fmt: skip
PELUNASAN_FIELDS: tuple[str, ...] = (
    "tahun_pelunasan", "nomor_porsi", "nama", "tahap_pelunasan", "status_cadangan", "bank",
    "nomor_rekening", "embarkasi", "biaya_bipih", "setoran_awal", "nilai_manfaat",
    "jumlah_pelunasan", "status_istithaah", "status_pelunasan",
)  # fmt: skip
PEMBATALAN_FIELDS: tuple[str, ...] = (
    "nomor_porsi", "nama", "nama_ahli_waris", "bank", "nomor_rekening", "status_pembatalan",
    "tgl_batal_pendaftaran", "tgl_batal_kankemenag", "no_spm_bpkh", "tgl_spm_bpkh",
    "tgl_transfer_bps", "status_transfer",
)  # fmt: skip
JEMAAH_FIELDS: tuple[str, ...] = (
    "kd_porsi", "tgl_lahir", "jenis_kelamin", "status_nikah", "no_hp", "tgl_daftar",
    "status_jemaah", "pernah_haji", "tahun_haji_terakhir", "asal_pelimpahan", "porsi_terkait",
    "kategori_prioritas", "tgl_istithaah", "vaksin_meningitis", "laik_terbang", "updated_at",
)  # fmt: skip


class WireError(ValueError):
    """A wire value that cannot mean anything (impossible date, malformed porsi, ...)."""

    def __init__(self, field: str | None, value: Any, reason: str = "invalid value") -> None:
        self.field = field
        self.value = value
        # the value itself stays out of the message: it may be personal data
        super().__init__(f"{field or 'value'}: {reason}")


# ---------------------------------------------------------------------------------- envelope


@dataclass(frozen=True, slots=True)
class Envelope:
    code: str
    message: str | None
    data: list[dict] = field(default_factory=list)
    next_page: int | None = None

    @property
    def found(self) -> bool:
        return self.code == "00"

    @property
    def not_found(self) -> bool:
        return self.code == "01"


def parse_envelope(payload: Any) -> Envelope:
    """`{"ResponseCode", "ResposeMessage"|"ResponseMessage", "Data", "HalamanBerikutnya"?}`."""
    if not isinstance(payload, dict):
        raise WireError("envelope", None, "not a JSON object")
    raw_code = payload.get("ResponseCode")
    code = blank(raw_code)
    if code is None:
        raise WireError("ResponseCode", raw_code, "missing")
    message = payload.get("ResposeMessage", payload.get("ResponseMessage"))
    data = payload.get("Data")
    if data is None:
        data = []
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise WireError("Data", None, "not a list of objects")
    raw_next = payload.get("HalamanBerikutnya")
    next_page = None if blank(raw_next) is None else parse_int(raw_next, "HalamanBerikutnya")
    return Envelope(
        code=code,
        message=None if message is None else str(message),
        data=data,
        next_page=next_page,
    )


# ---------------------------------------------------------------------------- scalar parsers

_INT = re.compile(r"\d+|\d{1,3}(?:\.\d{3})+")
def blank(v: Any) -> str | None:
    """None, '' and whitespace -> None; anything else -> its text, stripped."""
    if v is None:
        return None
    text = v.strip() if type(v) is str else str(v).strip()
    return text or None


def parse_int(v: Any, field: str | None = None) -> int | None:
    """'12345', ' 12.345 ' (thousands dots), 12345 -> 12345; blank -> None; else WireError."""
    if v is None:
        return None
    if type(v) is int:
        return v
    if isinstance(v, float):
        if v.is_integer():
            return int(v)
        raise WireError(field, v, "not a whole number")
    if isinstance(v, bool):
        raise WireError(field, v, "not a number")
    text = v.strip() if type(v) is str else str(v).strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if _INT.fullmatch(text):
        return int(text.replace(".", ""))
    raise WireError(field, v, "not a number")


def parse_date(v: Any, field: str | None = None) -> date | None:
    """'YYYY-MM-DD' or 'DD-MM-YYYY' (also with '/'); blank -> None; impossible -> WireError."""
    if v is None:
        return None
    if type(v) is date:
        return v
    if isinstance(v, datetime):
        return v.date()
    text = v.strip() if type(v) is str else str(v).strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            sep = text[4]
            if (sep == "-" or sep == "/") and text[7] == sep:
                return date(int(text[0:4]), int(text[5:7]), int(text[8:10]))
            sep = text[2]
            if (sep == "-" or sep == "/") and text[5] == sep:
                return date(int(text[6:10]), int(text[3:5]), int(text[0:2]))
        elif len(text) > 10 and text[10] in "T ":
            # a timestamp where a date was expected: its date part
            return parse_datetime(text, field).date()
    except ValueError:
        raise WireError(field, v, "impossible date") from None
    raise WireError(field, v, "not a date")


def parse_datetime(v: Any, field: str | None = None) -> datetime | None:
    """ISO-8601 with or without offset/'Z', or a plain date; naive = UTC; -> aware UTC."""
    if v is None:
        return None
    if isinstance(v, datetime):
        dt = v
    elif type(v) is date:
        return datetime(v.year, v.month, v.day, tzinfo=UTC)
    else:
        text = v.strip() if type(v) is str else str(v).strip()
        if not text:
            return None
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            if len(text) == 10:  # DD-MM-YYYY
                d = parse_date(text, field)
                return datetime(d.year, d.month, d.day, tzinfo=UTC)
            raise WireError(field, v, "not an ISO-8601 timestamp") from None
    return to_utc(dt)


def parse_porsi(v: Any, field: str | None = "kd_porsi") -> str:
    """A nomor porsi in the strict machine form (`knowledge.porsi.parse_porsi(strict=True)`);
    else WireError."""
    parsed = _read_porsi(v, strict=True)
    if parsed.porsi is None:
        raise WireError(field, v, "not a 10-digit nomor porsi")
    return parsed.porsi


# ------------------------------------------------------------------------ enums (memoized)

_ENUM_CACHE: dict[type, dict[str, CodedEnum]] = {}
_ENUM_CACHE_MAX = 4096  # per enum; raw variants are few, this only bounds hostile input


def _enum(cls: type[CodedEnum], raw: Any, path: str, unknown: dict[str, str]):
    text = blank(raw)
    if text is None:
        return None
    cache = _ENUM_CACHE.setdefault(cls, {})
    member = cache.get(text)
    if member is None:
        member = cls.parse(text)
        if len(cache) < _ENUM_CACHE_MAX:
            cache[text] = member
    if member.name == "UNKNOWN":
        unknown[path] = text
    return member


_FLAG_CACHE: dict[str, bool | None] = {}


def _flag(raw: Any, path: str, unknown: dict[str, str]) -> bool | None:
    text = blank(raw)
    if text is None:
        return None
    try:
        value = _FLAG_CACHE[text]
    except KeyError:
        value = parse_flag(text)
        if len(_FLAG_CACHE) < _ENUM_CACHE_MAX:
            _FLAG_CACHE[text] = value
    if value is None:
        unknown[path] = text
    return value


# ------------------------------------------------------------------------- row -> record


def merge_read_calls(
    estimasi: Mapping[str, Any] | None,
    pelunasan: Mapping[str, Any] | None = None,
    pembatalan: Mapping[str, Any] | None = None,
    jemaah: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One row from the `Data[0]` of the four read calls (None for a call that found nothing)."""
    row: dict[str, Any] = {}
    if jemaah:
        row.update(jemaah)
    if pelunasan:
        row.update(pelunasan)
    if estimasi:
        row.update(estimasi)
    if pembatalan:
        for key, value in pembatalan.items():
            if key == "bank":
                row[CANCEL_BANK] = value
            elif key == "nomor_rekening":
                row[CANCEL_ACCOUNT] = value
            elif key not in row:  # nomor_porsi / nama: the same person, never override
                row[key] = value
    return row


def _porsi_of(row: Mapping[str, Any]) -> str:
    raw = row.get("kd_porsi")
    if blank(raw) is None:
        raw = row.get("nomor_porsi")
        return parse_porsi(raw, "nomor_porsi")
    return parse_porsi(raw, "kd_porsi")


def _related(raw: Any) -> tuple[str, ...]:
    text = blank(raw)
    if text is None:
        return ()
    return tuple(p for p in (s.strip() for s in text.split(";")) if p)


def record_from_wire(row: Mapping[str, Any]) -> PilgrimRecord:
    """The product record from any subset of wire fields (export row or merged read calls)."""
    g = row.get
    unknown: dict[str, str] = {}
    porsi = _porsi_of(row)

    identity = Identity(
        name=blank(g("nama")),
        gender=_enum(Gender, g("jenis_kelamin"), "identity.gender", unknown),
        birth_date=parse_date(g("tgl_lahir"), "tgl_lahir"),
        marital_status=_enum(MaritalStatus, g("status_nikah"), "identity.marital_status", unknown),
        phone=blank(g("no_hp")),
        registered_on=parse_date(g("tgl_daftar"), "tgl_daftar"),
        status=_enum(PilgrimStatus, g("status_jemaah"), "identity.status", unknown),
        bank=blank(g("bank")),
    )
    waiting = WaitingList(
        province_code=blank(g("kd_prop")),
        province=blank(g("propinsi")),
        regency_code=blank(g("kd_kab")),
        regency=blank(g("kabupaten")),
        position=parse_int(g("posisiporsi"), "posisiporsi"),
        quota=parse_int(g("kuotapropinsi"), "kuotapropinsi"),
        departure_year=parse_int(g("berangkatmasehi"), "berangkatmasehi"),
        departure_season_hijri=parse_int(g("berangkathijriah"), "berangkathijriah"),
        payment_status=_enum(PaymentStatus, g("status_bayar"), "waiting.payment_status", unknown),
    )
    payoff = Payoff(
        season_hijri=parse_int(g("tahun_pelunasan"), "tahun_pelunasan"),
        tahap=_enum(Tahap, g("tahap_pelunasan"), "payoff.tahap", unknown),
        reserve=_flag(g("status_cadangan"), "payoff.reserve", unknown),
        status=_enum(PaymentStatus, g("status_pelunasan"), "payoff.status", unknown),
        embarkation=blank(g("embarkasi")),
        bipih=parse_int(g("biaya_bipih"), "biaya_bipih"),
        initial_deposit=parse_int(g("setoran_awal"), "setoran_awal"),
        benefit_value=parse_int(g("nilai_manfaat"), "nilai_manfaat"),
        amount_due=parse_int(g("jumlah_pelunasan"), "jumlah_pelunasan"),
        account_number=blank(g("nomor_rekening")),
    )
    health = Health(
        istithaah=_enum(Istithaah, g("status_istithaah"), "health.istithaah", unknown),
        istithaah_date=parse_date(g("tgl_istithaah"), "tgl_istithaah"),
        meningitis_vaccinated=_flag(
            g("vaksin_meningitis"), "health.meningitis_vaccinated", unknown
        ),
        fit_to_fly=_flag(g("laik_terbang"), "health.fit_to_fly", unknown),
    )
    history = History(
        performed_hajj=_flag(g("pernah_haji"), "history.performed_hajj", unknown),
        last_hajj_year=parse_int(g("tahun_haji_terakhir"), "tahun_haji_terakhir"),
        transferred_in=_flag(g("asal_pelimpahan"), "history.transferred_in", unknown),
        related_porsi=_related(g("porsi_terkait")),
        priority=_enum(Priority, g("kategori_prioritas"), "history.priority", unknown),
    )
    cancellation = None
    for key in CANCELLATION_COLUMNS:
        if blank(g(key)) is not None:
            cancellation = Cancellation(
                heir_name=blank(g("nama_ahli_waris")),
                bank=blank(g(CANCEL_BANK)),
                account_number=blank(g(CANCEL_ACCOUNT)),
                status=blank(g("status_pembatalan")),
                cancelled_registration_on=parse_date(
                    g("tgl_batal_pendaftaran"), "tgl_batal_pendaftaran"
                ),
                cancelled_at_office_on=parse_date(
                    g("tgl_batal_kankemenag"), "tgl_batal_kankemenag"
                ),
                spm_number=blank(g("no_spm_bpkh")),
                spm_date=parse_date(g("tgl_spm_bpkh"), "tgl_spm_bpkh"),
                transferred_to_bank_on=parse_date(g("tgl_transfer_bps"), "tgl_transfer_bps"),
                transfer_status=blank(g("status_transfer")),
            )
            break
    return PilgrimRecord(
        porsi=porsi,
        identity=identity,
        waiting=waiting,
        payoff=payoff,
        health=health,
        history=history,
        cancellation=cancellation,
        updated_at=parse_datetime(g("updated_at"), "updated_at"),
        unknown_values=unknown,
    )


# ------------------------------------------------------------------------- record -> row


def _s(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def _code(member: CodedEnum | None, path: str, unknown: Mapping[str, str]) -> str:
    if member is None:
        return ""
    if member.name == "UNKNOWN":
        return unknown.get(path, "")
    return member.value


def _yn(v: bool | None, path: str, unknown: Mapping[str, str]) -> str:
    if v is None:
        return unknown.get(path, "")
    return "Y" if v else "N"


def row_from_record(record: PilgrimRecord) -> dict[str, str]:
    """Wire row (`ROW_COLUMNS`, '' for None) from a record; `record_from_wire` inverts it."""
    i, w, p, h, y = record.identity, record.waiting, record.payoff, record.health, record.history
    u = record.unknown_values
    c = record.cancellation
    row = {
        "kd_porsi": record.porsi,
        "nama": _s(i.name),
        "jenis_kelamin": _code(i.gender, "identity.gender", u),
        "tgl_lahir": _s(i.birth_date),
        "status_nikah": _code(i.marital_status, "identity.marital_status", u),
        "no_hp": _s(i.phone),
        "kd_prop": _s(w.province_code),
        "propinsi": _s(w.province),
        "kd_kab": _s(w.regency_code),
        "kabupaten": _s(w.regency),
        "tgl_daftar": _s(i.registered_on),
        "bank": _s(i.bank),
        "status_jemaah": _code(i.status, "identity.status", u),
        "posisiporsi": _s(w.position),
        "kuotapropinsi": _s(w.quota),
        "berangkatmasehi": _s(w.departure_year),
        "berangkathijriah": _s(w.departure_season_hijri),
        "status_bayar": _code(w.payment_status, "waiting.payment_status", u),
        "tahun_pelunasan": _s(p.season_hijri),
        "tahap_pelunasan": _code(p.tahap, "payoff.tahap", u),
        "status_cadangan": _yn(p.reserve, "payoff.reserve", u),
        "status_pelunasan": _code(p.status, "payoff.status", u),
        "status_istithaah": _code(h.istithaah, "health.istithaah", u),
        "tgl_istithaah": _s(h.istithaah_date),
        "vaksin_meningitis": _yn(h.meningitis_vaccinated, "health.meningitis_vaccinated", u),
        "laik_terbang": _yn(h.fit_to_fly, "health.fit_to_fly", u),
        "pernah_haji": _yn(y.performed_hajj, "history.performed_hajj", u),
        "tahun_haji_terakhir": _s(y.last_hajj_year),
        "asal_pelimpahan": _yn(y.transferred_in, "history.transferred_in", u),
        "porsi_terkait": ";".join(y.related_porsi),
        "kategori_prioritas": _code(y.priority, "history.priority", u),
        "embarkasi": _s(p.embarkation),
        "biaya_bipih": _s(p.bipih),
        "setoran_awal": _s(p.initial_deposit),
        "nilai_manfaat": _s(p.benefit_value),
        "jumlah_pelunasan": _s(p.amount_due),
        "updated_at": _s(record.updated_at),
        "nomor_rekening": _s(p.account_number),
    }
    if c is None:
        for key in CANCELLATION_COLUMNS:
            row[key] = ""
    else:
        row.update(
            {
                "nama_ahli_waris": _s(c.heir_name),
                CANCEL_BANK: _s(c.bank),
                CANCEL_ACCOUNT: _s(c.account_number),
                "status_pembatalan": _s(c.status),
                "tgl_batal_pendaftaran": _s(c.cancelled_registration_on),
                "tgl_batal_kankemenag": _s(c.cancelled_at_office_on),
                "no_spm_bpkh": _s(c.spm_number),
                "tgl_spm_bpkh": _s(c.spm_date),
                "tgl_transfer_bps": _s(c.transferred_to_bank_on),
                "status_transfer": _s(c.transfer_status),
            }
        )
    return {k: row[k] for k in ROW_COLUMNS}
