"""The public status view of one nomor porsi: what `/porsi` shows, as plain data for a template.

Public level only (what Kemenag's own public lookup shows, DOMAIN.md "Waiting list and
estimate"): masked name, kab/kota, province, position, quota, estimate, payment status, and the
pilgrim status. Health, phone, birth date, bank and money never enter this view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import lru_cache

from knowledge.dates import local_time
from knowledge.masking import mask_name
from knowledge.policy_loader import load_policy
from knowledge.reading import (
    RESTRICTED,
    SENSITIVE_PAYMENTS,
    SENSITIVE_STATUSES,
    Reading,
    payment_status,
    read_record,
)
from knowledge.reading import Estimate as EstimateView
from knowledge.records import PilgrimRecord


@dataclass(frozen=True, slots=True)
class Freshness:
    source: str  # "live" | "mirror" | "stale"
    as_of: datetime | None  # local time of the last confirmation with Siskohat
    siskohat_down: bool
    show_date: bool  # say "data per <date>"


@dataclass(frozen=True, slots=True)
class StatusView:
    porsi: str
    name: str  # masked; "" when unknown
    regency: str | None
    province: str | None
    position: int | None
    quota: int | None
    estimate: EstimateView | None
    payment: str | None  # PaymentStatus name ("BELUM_LUNAS", ...), "UNKNOWN", or None
    payment_raw: str | None  # the text Siskohat sent when payment is UNKNOWN
    status: str | None  # PilgrimStatus name, "UNKNOWN", or None (not sent)
    status_raw: str | None
    waiting: bool  # still waiting: estimate and the human line make sense
    pelimpahan_possible: bool  # WAFAT / SAKIT PERMANEN, not itself transferred in
    registered_year: int | None
    freshness: Freshness
    reading: Reading  # the one reading every screen shares (allocation, cadangan, window...)


def _local(moment: datetime | None, tz: tzinfo | None) -> datetime | None:
    if moment is None or tz is None:
        return moment
    return local_time(moment, tz)  # a naive moment is UTC: the gateway speaks UTC


@lru_cache(maxsize=1)
def _policy() -> dict:
    """The newest pelunasan policy (season and windows), read once per process."""
    return load_policy("pelunasan")


def build_status_view(record: PilgrimRecord, *, source: str, as_of: datetime | None,
                      today: date, siskohat_down: bool = False,
                      tz: tzinfo | None = None, policy: dict | None = None,
                      verified: bool = False) -> StatusView:
    """The view model for one record; never raises on missing fields. Unless the chat is
    `verified` for this porsi, a health or financial status (sakit permanen, gagal bayar)
    shows as RESTRICTED: the card says a special status applies and how to verify."""
    source = str(getattr(source, "value", source))
    reading = read_record(record, today, policy if policy is not None else _policy())
    registered = record.identity.registered_on
    status, payment = reading.status, reading.payment
    hide_status = not verified and record.identity.status in SENSITIVE_STATUSES
    hide_payment = not verified and payment_status(record) in SENSITIVE_PAYMENTS
    freshness = Freshness(
        source=source,
        as_of=_local(as_of, tz),
        siskohat_down=siskohat_down or source == "stale",
        show_date=source in ("mirror", "stale") or siskohat_down,
    )
    return StatusView(
        porsi=record.porsi,
        name=mask_name(record.identity.name),
        regency=record.waiting.regency,
        province=record.waiting.province,
        position=record.waiting.position,
        quota=record.waiting.quota,
        estimate=reading.estimate,
        payment=RESTRICTED if hide_payment else payment,
        payment_raw=None if hide_payment else reading.payment_raw,
        status=RESTRICTED if hide_status else status,
        status_raw=None if hide_status else reading.status_raw,
        waiting=reading.waiting,
        pelimpahan_possible=reading.pelimpahan == "possible" and not hide_status,
        registered_year=registered.year if registered else None,
        freshness=freshness,
        reading=reading,
    )


def has_sensitive_status(record: PilgrimRecord) -> bool:
    """A health or financial status the public card must not show (see build_status_view)."""
    return (record.identity.status in SENSITIVE_STATUSES
            or payment_status(record) in SENSITIVE_PAYMENTS)
