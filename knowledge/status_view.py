"""The public status view of one nomor porsi: what `/porsi` shows, as plain data for a template.

Public level only (what Kemenag's own public lookup shows, DOMAIN.md "Waiting list and
estimate"): masked name, kab/kota, province, position, quota, estimate, payment status, and the
pilgrim status. Health, phone, birth date, bank and money never enter this view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from knowledge.estimate import current_season, estimate, season_to_masehi
from knowledge.masking import mask_name
from knowledge.records import PilgrimRecord
from knowledge.values import PilgrimStatus

# Statuses after which there is no departure left to estimate.
_NO_WAIT = {
    PilgrimStatus.BATAL,
    PilgrimStatus.WAFAT,
    PilgrimStatus.SAKIT_PERMANEN,
    PilgrimStatus.BERANGKAT,
    PilgrimStatus.DILIMPAHKAN,
}
# Statuses whose porsi may be handed to a family member (DOMAIN.md, "Pelimpahan" provision 1).
_PELIMPAHAN = {PilgrimStatus.WAFAT, PilgrimStatus.SAKIT_PERMANEN}


@dataclass(frozen=True, slots=True)
class EstimateView:
    season_hijri: int | None
    year_masehi: int | None
    computed: bool  # True: computed here from position and quota; False: Siskohat's own
    seasons_to_go: int | None  # 1 = the coming season; None when it cannot be told


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
    pelimpahan_possible: bool  # WAFAT / SAKIT PERMANEN: point to pelimpahan
    registered_year: int | None
    freshness: Freshness


def _estimate(record: PilgrimRecord, today: date) -> EstimateView | None:
    w = record.waiting
    try:
        season_now = current_season(today)
    except Exception:  # a date outside the Umm al-Qura table: no season arithmetic
        season_now = None
    if w.departure_season_hijri or w.departure_year:
        hijri = w.departure_season_hijri
        masehi = w.departure_year
        if hijri and not masehi:
            try:
                masehi = season_to_masehi(hijri)
            except Exception:  # an implausible year from the back-end: show what it sent
                masehi = None
        to_go = hijri - season_now + 1 if hijri and season_now else None
        return EstimateView(hijri, masehi, computed=False, seasons_to_go=to_go)
    if w.position and w.quota and w.position > 0 and w.quota > 0:
        try:
            est = estimate(w.position, w.quota, today)
        except Exception:
            return None
        return EstimateView(est.season_hijri, est.year_masehi, True, est.seasons_to_go)
    return None


def _local(moment: datetime | None, tz: tzinfo | None) -> datetime | None:
    if moment is None or tz is None:
        return moment
    if moment.tzinfo is None:  # the gateway speaks UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz)


def _coded(value, unknown: dict[str, str], path: str) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if value.name == "UNKNOWN":
        return "UNKNOWN", unknown.get(path) or value.value
    return value.name, None


def build_status_view(record: PilgrimRecord, *, source: str, as_of: datetime | None,
                      today: date, siskohat_down: bool = False,
                      tz: tzinfo | None = None) -> StatusView:
    """The view model for one record; never raises on missing fields."""
    source = str(getattr(source, "value", source))
    status = record.identity.status
    status_name, status_raw = _coded(status, record.unknown_values, "identity.status")
    payment_name, payment_raw = _coded(
        record.waiting.payment_status, record.unknown_values, "waiting.payment_status"
    )
    waiting = status not in _NO_WAIT
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
        estimate=_estimate(record, today) if waiting else None,
        payment=payment_name,
        payment_raw=payment_raw,
        status=status_name,
        status_raw=status_raw,
        waiting=waiting,
        pelimpahan_possible=status in _PELIMPAHAN,
        registered_year=registered.year if registered else None,
        freshness=freshness,
    )
