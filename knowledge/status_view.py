"""The public status view of one nomor porsi: what `/porsi` shows, as plain data for a template.

Public level only (what Kemenag's own public lookup shows, DOMAIN.md "Waiting list and
estimate"): masked name, kab/kota, province, position, quota, estimate, payment status, and the
pilgrim status. Health, phone, birth date, bank and money never enter this view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache

from knowledge.masking import mask_name
from knowledge.policy_loader import load_policy
from knowledge.reading import Estimate as EstimateView
from knowledge.reading import Reading, read_record
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
    if moment.tzinfo is None:  # the gateway speaks UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz)


@lru_cache(maxsize=1)
def _policy() -> dict:
    """The newest pelunasan policy (season and windows), read once per process."""
    return load_policy("pelunasan")


def build_status_view(record: PilgrimRecord, *, source: str, as_of: datetime | None,
                      today: date, siskohat_down: bool = False,
                      tz: tzinfo | None = None, policy: dict | None = None) -> StatusView:
    """The view model for one record; never raises on missing fields."""
    source = str(getattr(source, "value", source))
    reading = read_record(record, today, policy if policy is not None else _policy())
    registered = record.identity.registered_on
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
        payment=reading.payment,
        payment_raw=reading.payment_raw,
        status=reading.status,
        status_raw=reading.status_raw,
        waiting=reading.waiting,
        pelimpahan_possible=reading.pelimpahan == "possible",
        registered_year=registered.year if registered else None,
        freshness=freshness,
        reading=reading,
    )
