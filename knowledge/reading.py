"""One reading of a pilgrim record: every fact a screen states about a porsi, derived once.

The status card, `/pelunasan` (public and verified), `/pelimpahan`, `/akun`, `hajibot assess`
and the FAQ's personal answers all read a record through `read_record`, so no two screens can
disagree on whether the porsi is active, the season it is allocated to (cadangan said as
cadangan), what its payment status means, its Tahap, whether that window is open on the day,
or whether it can still pass by pelimpahan.

Pure: a `PilgrimRecord`, a date and the pelunasan policy (season and window dates) in; a frozen
`Reading` out. Never raises on missing or unknown fields: what cannot be told is None/"unknown".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from knowledge import estimate as est
from knowledge.records import PilgrimRecord
from knowledge.values import PaymentStatus, PilgrimStatus, Priority, Tahap

# Statuses after which there is no departure left to estimate.
NO_WAIT = frozenset({PilgrimStatus.BATAL, PilgrimStatus.WAFAT, PilgrimStatus.SAKIT_PERMANEN,
                     PilgrimStatus.BERANGKAT, PilgrimStatus.DILIMPAHKAN})
TAHAP_NAMES = {Tahap.I: "I", Tahap.II: "II"}
# What a payment status means for the payoff (seed 000: lunas tunda is its own Tahap I group;
# the sources give no amount for it, so no screen may present the full payoff as owed).
PAYMENT_MEANING = {
    PaymentStatus.BELUM_LUNAS: "due",
    PaymentStatus.LUNAS: "paid",
    PaymentStatus.LUNAS_TUNDA: "deferred",
    PaymentStatus.GAGAL_BAYAR: "failed",
}


# Health and financial facts are specific personal data (UU 27/2022 Pasal 4 ayat (2)): the
# public level says only that a special status applies and how to verify.
RESTRICTED = "RESTRICTED"
SENSITIVE_STATUSES = frozenset({PilgrimStatus.SAKIT_PERMANEN})
SENSITIVE_PAYMENTS = frozenset({PaymentStatus.GAGAL_BAYAR})


@dataclass(frozen=True, slots=True)
class Window:
    tahap: str
    opens: date
    closes: date
    state: str  # "before" | "open" | "after"
    days_left: int | None = None  # open: days until it closes, that day counted; else None
    days_to_open: int | None = None  # before: days until it opens; else None


@dataclass(frozen=True, slots=True)
class Estimate:
    season_hijri: int | None
    year_masehi: int | None
    computed: bool  # True: position / quota computed here; False: Siskohat's own
    seasons_to_go: int | None  # 1 = the coming season


@dataclass(frozen=True, slots=True)
class Reading:
    porsi: str
    status: str | None  # PilgrimStatus name ("AKTIF", "SAKIT_PERMANEN", "UNKNOWN"...) or None
    status_raw: str | None  # what Siskohat sent when the status is UNKNOWN
    active: bool | None  # True: AKTIF; False: another known status; None: unknown/not sent
    waiting: bool  # still waits for departure: an estimate makes sense
    transferred_in: bool | None  # this porsi itself came by pelimpahan
    pelimpahan: str  # see `pelimpahan_state`
    allocation: str  # "season" | "reserve" | "other_season" | "none"
    season_hijri: int | None  # the policy's coming season
    season_masehi: int | None
    allocated_season: int | None  # tahun_pelunasan on record
    tahap: str | None  # "I" | "II" when allocated (season or reserve)
    payment: str | None  # PaymentStatus name, "UNKNOWN" or None
    payment_raw: str | None
    payment_meaning: str  # "due" | "paid" | "deferred" | "failed" | "unknown"
    window: Window | None  # this porsi's Tahap window on the day
    other_window: Window | None  # the other Tahap's window (Tahap II after Tahap I closed)
    estimate: Estimate | None  # None when not waiting or not computable
    schedule_placeholder: bool  # the window dates are operator configuration, not published

    @property
    def allocated(self) -> bool:
        return self.allocation in ("season", "reserve")

    @property
    def reserve(self) -> bool:
        return self.allocation == "reserve"

    def to_dict(self) -> dict[str, Any]:
        def win(w: Window | None):
            return None if w is None else {
                "tahap": w.tahap, "opens": w.opens.isoformat(), "closes": w.closes.isoformat(),
                "state": w.state, "days_left": w.days_left, "days_to_open": w.days_to_open}

        return {
            "status": self.status, "active": self.active, "waiting": self.waiting,
            "transferred_in": self.transferred_in, "pelimpahan": self.pelimpahan,
            "allocation": self.allocation, "allocated_season": self.allocated_season,
            "tahap": self.tahap, "payment": self.payment, "payment_meaning": self.payment_meaning,
            "window": win(self.window),
            "estimate": None if self.estimate is None else {
                "season_hijri": self.estimate.season_hijri,
                "year_masehi": self.estimate.year_masehi,
                "computed": self.estimate.computed,
                "seasons_to_go": self.estimate.seasons_to_go},
        }


def as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def tahap_window(policy: dict, tahap: str | None, today: date) -> Window | None:
    """The policy's window of `tahap` and its state on `today`; None when the policy has none."""
    if not tahap:
        return None
    spec = ((policy.get("schedule") or {}).get("tahap") or {}).get(tahap) or {}
    opens, closes = as_date(spec.get("opens")), as_date(spec.get("closes"))
    if opens is None or closes is None:
        return None
    if today < opens:
        return Window(tahap, opens, closes, "before", None, (opens - today).days)
    if today > closes:
        return Window(tahap, opens, closes, "after", None, None)
    return Window(tahap, opens, closes, "open", (closes - today).days + 1, None)


def _coded(value, unknown: dict[str, str], path: str) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if value.name == "UNKNOWN":
        return "UNKNOWN", unknown.get(path) or value.value
    return value.name, None


def payment_status(record: PilgrimRecord) -> PaymentStatus | None:
    """status_pelunasan (the payoff call's own view), backed by status_bayar (public lookup)."""
    for value in (record.payoff.status, record.waiting.payment_status):
        if value is not None and value is not PaymentStatus.UNKNOWN:
            return value
    for value in (record.payoff.status, record.waiting.payment_status):
        if value is not None:
            return value
    return None


def record_estimate(record: PilgrimRecord, today: date) -> Estimate | None:
    """Siskohat's own estimate when it sends one, else position / quota in Hijri seasons."""
    w = record.waiting
    try:
        season_now = est.current_season(today)
    except (ValueError, OverflowError):  # a date outside the Umm al-Qura table: no season arithmetic
        season_now = None
    if w.departure_season_hijri or w.departure_year:
        hijri, masehi = w.departure_season_hijri, w.departure_year
        if hijri and not masehi:
            try:
                masehi = est.season_to_masehi(hijri)
            except (ValueError, OverflowError):  # an implausible year from the back-end: show what it sent
                masehi = None
        to_go = max(1, hijri - season_now + 1) if hijri and season_now else None
        return Estimate(hijri, masehi, False, to_go)
    if w.position and w.quota and w.position > 0 and w.quota > 0:
        try:
            e = est.estimate(w.position, w.quota, today)
        except (ValueError, OverflowError):
            return None
        return Estimate(e.season_hijri, e.year_masehi, True, e.seasons_to_go)
    return None


def pelimpahan_state(status: PilgrimStatus | None, transferred_in: bool | None) -> str:
    """Whether this porsi can still pass by pelimpahan, as the record tells it (seed 003,
    Ketentuan 1, 3 and 7: only a porsi whose pilgrim died or fell permanently ill before
    departure, and only once).

    "possible" | "departed" | "cancelled" | "transferred_in" (the porsi itself came by
    pelimpahan) | "already_transferred" | "active" (no death or illness on record) | "unknown"."""
    if status is PilgrimStatus.BERANGKAT:
        return "departed"
    if status is PilgrimStatus.BATAL:
        return "cancelled"
    if status is PilgrimStatus.DILIMPAHKAN:
        return "already_transferred"
    if transferred_in:
        return "transferred_in"
    if status in (PilgrimStatus.WAFAT, PilgrimStatus.SAKIT_PERMANEN):
        return "possible"
    if status is PilgrimStatus.AKTIF:
        return "active"
    return "unknown"


def read_record(record: PilgrimRecord, today: date, policy: dict | None = None) -> Reading:
    """Every fact a screen states about `record` on `today` under the pelunasan `policy`."""
    policy = policy or {}
    season = policy.get("season") or {}
    season_hijri = season.get("hijri")
    status = record.identity.status
    status_name, status_raw = _coded(status, record.unknown_values, "identity.status")
    active = None if status in (None, PilgrimStatus.UNKNOWN) else status is PilgrimStatus.AKTIF
    transferred = record.history.transferred_in

    payoff = record.payoff
    tahap = TAHAP_NAMES.get(payoff.tahap) if payoff.tahap else None
    reserve = bool(payoff.reserve) or record.history.priority is Priority.CADANGAN
    if payoff.season_hijri is None:
        allocation = "none"
    elif season_hijri is None or payoff.season_hijri != season_hijri or tahap is None:
        allocation = "other_season"
    else:
        allocation = "reserve" if reserve else "season"
    allocated = allocation in ("season", "reserve")

    pay = payment_status(record)
    unknown_pay = record.unknown_values.get("waiting.payment_status") or (
        record.unknown_values.get("payoff.status"))
    payment = None if pay is None else pay.name
    payment_raw = (unknown_pay or pay.value) if pay is PaymentStatus.UNKNOWN else None

    window = tahap_window(policy, tahap, today) if allocated else None
    other = tahap_window(policy, "II" if tahap == "I" else "I", today) if allocated else None
    waiting = status not in NO_WAIT
    return Reading(
        porsi=record.porsi,
        status=status_name,
        status_raw=status_raw,
        active=active,
        waiting=waiting,
        transferred_in=transferred,
        pelimpahan=pelimpahan_state(status, transferred),
        allocation=allocation,
        season_hijri=season_hijri,
        season_masehi=season.get("masehi"),
        allocated_season=payoff.season_hijri,
        tahap=tahap if allocated else None,
        payment=payment,
        payment_raw=payment_raw,
        payment_meaning=PAYMENT_MEANING.get(pay, "unknown") if pay is not None else "unknown",
        window=window,
        other_window=other,
        estimate=record_estimate(record, today) if waiting else None,
        schedule_placeholder=bool((policy.get("schedule") or {}).get("placeholder", False)),
    )
