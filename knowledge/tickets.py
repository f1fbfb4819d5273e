"""Helpdesk ticket ids and statistics arithmetic (pure).

A ticket id is `HD-<YYMM>-<NNNN>`: the month it was opened and a sequence that restarts every
month (`HD-2411-0042` is the 42nd ticket of November 2024; past 9999 the number just grows).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

PREFIX = "HD"
REASONS = ("status", "pelunasan", "pelimpahan", "data_salah", "lainnya")
_CODE = re.compile(r"^\s*HD-?(\d{2})(\d{2})-?(\d{4,})\s*$", re.IGNORECASE)


def month_key(when: datetime) -> str:
    """"2411" for November 2024 (in the zone of `when`)."""
    return f"{when.year % 100:02d}{when.month:02d}"


def format_code(month: str, seq: int) -> str:
    if seq < 1:
        raise ValueError("sequence starts at 1")
    return f"{PREFIX}-{month}-{seq:04d}"


def parse_code(text: str) -> tuple[str, int] | None:
    """("2411", 42) for "HD-2411-0042" (case and dashes lenient), None if it is not one."""
    m = _CODE.match(text or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return m.group(1) + m.group(2), int(m.group(3))


def normalize_code(text: str) -> str | None:
    parsed = parse_code(text)
    return format_code(*parsed) if parsed else None


def reason_of(hint: str | None) -> str:
    """A caller's reason hint (a reason, or e.g. an FAQ entry id) -> one of REASONS."""
    h = (hint or "").casefold().replace("-", "_")
    if h in REASONS:
        return h
    for key in ("pelunasan", "pelimpahan"):
        if key in h:
            return key
    if "status" in h or "porsi" in h or "estimasi" in h or "antrean" in h:
        return "status"
    if "data" in h and ("salah" in h or "ubah" in h or "koreksi" in h):
        return "data_salah"
    return "lainnya"


# --- statistics ------------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    s = sorted(values)
    if len(s) == 1:
        return float(s[0])
    pos = (len(s) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return float(s[lo] + (s[hi] - s[lo]) * (pos - lo))


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 0.5)


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What statistics need of one ticket (times aware or all naive, consistently)."""

    reason: str
    opened_at: datetime
    first_response_at: datetime | None = None
    closed_at: datetime | None = None
    rating: int | None = None


@dataclass
class Figures:
    opened: int = 0
    closed: int = 0
    open: int = 0
    first_response_s: dict = field(default_factory=dict)  # {"n", "median", "p90"}
    resolution_s: dict = field(default_factory=dict)
    rating_avg: float | None = None
    ratings: int = 0

    def as_dict(self) -> dict:
        return {"opened": self.opened, "closed": self.closed, "open": self.open,
                "first_response_s": self.first_response_s, "resolution_s": self.resolution_s,
                "rating_avg": self.rating_avg, "ratings": self.ratings}


def _summary(values: list[float]) -> dict:
    return {"n": len(values), "median": median(values), "p90": percentile(values, 0.9)}


def figures(tickets: Iterable[TicketFacts]) -> Figures:
    items = list(tickets)
    first = [(t.first_response_at - t.opened_at).total_seconds()
             for t in items if t.first_response_at is not None]
    resolution = [(t.closed_at - t.opened_at).total_seconds()
                  for t in items if t.closed_at is not None]
    ratings = [t.rating for t in items if t.rating is not None]
    closed = sum(1 for t in items if t.closed_at is not None)
    return Figures(
        opened=len(items), closed=closed, open=len(items) - closed,
        first_response_s=_summary(first), resolution_s=_summary(resolution),
        rating_avg=round(sum(ratings) / len(ratings), 2) if ratings else None,
        ratings=len(ratings))


def stats(tickets: Iterable[TicketFacts]) -> dict:
    """{"all": figures, "per_reason": {reason: figures}} as plain dicts."""
    items = list(tickets)
    per: dict[str, list[TicketFacts]] = {}
    for t in items:
        per.setdefault(t.reason, []).append(t)
    return {"all": figures(items).as_dict(),
            "per_reason": {r: figures(ts).as_dict() for r, ts in sorted(per.items())}}


def human_duration(seconds: float | None) -> str:
    """"3j 05m", "12m", "40d" for tables (Indonesian unit letters: j=jam, m=menit, d=detik)."""
    if seconds is None:
        return "-"
    s = round(seconds)
    if s < 60:
        return f"{s}d"
    minutes, _ = divmod(s, 60)
    hours, minutes = divmod(minutes, 60)
    if hours >= 24:
        days, hours = divmod(hours, 24)
        return f"{days}h {hours}j"
    return f"{hours}j {minutes:02d}m" if hours else f"{minutes}m"
