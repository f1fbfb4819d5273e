"""The product's own pilgrim record, in product names (never Siskohat wire names).

Built by `integration/` from the wire or the mirror; read by handlers and assessors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum

from knowledge.values import (
    Gender,
    Istithaah,
    MaritalStatus,
    PaymentStatus,
    PilgrimStatus,
    Priority,
    Tahap,
)


@dataclass(frozen=True, slots=True)
class Identity:
    name: str | None = None
    gender: Gender | None = None
    birth_date: date | None = None
    marital_status: MaritalStatus | None = None
    phone: str | None = None  # digits with country code, e.g. 6281234567890
    registered_on: date | None = None
    status: PilgrimStatus | None = None
    bank: str | None = None  # the BPS BPIH holding the hajj savings account


@dataclass(frozen=True, slots=True)
class WaitingList:
    province_code: str | None = None
    province: str | None = None
    regency_code: str | None = None
    regency: str | None = None  # kab/kota of registration
    position: int | None = None  # posisi porsi inside the quota area
    quota: int | None = None  # the quota area's yearly quota
    departure_year: int | None = None  # Masehi, as Siskohat estimates it
    departure_season_hijri: int | None = None  # Hijri year, as Siskohat estimates it
    payment_status: PaymentStatus | None = None


@dataclass(frozen=True, slots=True)
class Payoff:
    season_hijri: int | None = None  # tahun_pelunasan: the season whose allocation pays off
    tahap: Tahap | None = None
    reserve: bool | None = None  # jemaah cadangan
    status: PaymentStatus | None = None
    embarkation: str | None = None
    bipih: int | None = None  # rupiah
    initial_deposit: int | None = None
    benefit_value: int | None = None  # nilai manfaat
    amount_due: int | None = None
    account_number: str | None = None


@dataclass(frozen=True, slots=True)
class Health:
    istithaah: Istithaah | None = None
    istithaah_date: date | None = None
    meningitis_vaccinated: bool | None = None
    fit_to_fly: bool | None = None


@dataclass(frozen=True, slots=True)
class History:
    performed_hajj: bool | None = None
    last_hajj_year: int | None = None
    transferred_in: bool | None = None  # this porsi came by pelimpahan
    related_porsi: tuple[str, ...] = ()  # other porsi numbers of the same person
    priority: Priority | None = None


@dataclass(frozen=True, slots=True)
class Cancellation:
    heir_name: str | None = None
    bank: str | None = None
    account_number: str | None = None
    status: str | None = None
    cancelled_registration_on: date | None = None
    cancelled_at_office_on: date | None = None
    spm_number: str | None = None
    spm_date: date | None = None
    transferred_to_bank_on: date | None = None
    transfer_status: str | None = None


@dataclass(frozen=True, slots=True)
class PilgrimRecord:
    porsi: str
    identity: Identity = field(default_factory=Identity)
    waiting: WaitingList = field(default_factory=WaitingList)
    payoff: Payoff = field(default_factory=Payoff)
    health: Health = field(default_factory=Health)
    history: History = field(default_factory=History)
    cancellation: Cancellation | None = None
    updated_at: datetime | None = None
    # field path -> raw text of values outside the contract's value sets, shown as they came
    unknown_values: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain JSON-able dict in product field names (for `hajibot lookup --json`)."""
        return _plain(self)


def _plain(obj):
    if isinstance(obj, Enum):
        return obj.value if obj.name != "UNKNOWN" else "UNKNOWN"
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, tuple | list):
        return [_plain(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if hasattr(obj, "__dataclass_fields__"):
        return {k: _plain(getattr(obj, k)) for k in obj.__dataclass_fields__}
    return obj
