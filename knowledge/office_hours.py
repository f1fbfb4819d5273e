"""The helpdesk's working hours: open now?, when agents are back, and why it is closed.

Pure (no I/O). Working days Mon-Fri, hours from settings ("08:00-16:00", WIB), minus Indonesian
public holidays from the maintained `holidays` package (never a hand-written list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

WORKING_DAYS = frozenset({0, 1, 2, 3, 4})  # Monday .. Friday
DEFAULT_TZ = "Asia/Jakarta"
# Far enough to cross the longest run of holidays plus weekends (Lebaran + cuti); a guard only.
_MAX_DAYS_AHEAD = 40


@dataclass(frozen=True, slots=True)
class OfficeHours:
    start: time = time(8, 0)
    end: time = time(16, 0)
    days: frozenset[int] = WORKING_DAYS
    tz: str = DEFAULT_TZ

    @classmethod
    def parse(cls, spec: str | None, tz: str = DEFAULT_TZ) -> OfficeHours:
        """"08:00-16:00" (also "8.00 - 16.00"); a malformed spec gives the default hours."""
        try:
            left, right = (spec or "").replace(".", ":").split("-", 1)
            start, end = _hm(left), _hm(right)
        except (ValueError, TypeError):
            return cls(tz=tz)
        if end <= start:
            return cls(tz=tz)
        return cls(start=start, end=end, tz=tz)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


def _hm(text: str) -> time:
    hh, _, mm = text.strip().partition(":")
    return time(int(hh), int(mm or 0))


@lru_cache(maxsize=16)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("ID", years=year, language="id")


def holiday_name(day: date) -> str | None:
    """The Indonesian public holiday on `day` (its Indonesian name), or None."""
    return _holidays(day.year).get(day)


def is_working_day(day: date, hours: OfficeHours = OfficeHours()) -> bool:
    return day.weekday() in hours.days and holiday_name(day) is None


def _local(now: datetime, hours: OfficeHours) -> datetime:
    if now.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    return now.astimezone(hours.zone)


def is_open(now: datetime, hours: OfficeHours = OfficeHours()) -> bool:
    """Agents are at work at `now` (aware datetime)."""
    local = _local(now, hours)
    return is_working_day(local.date(), hours) and hours.start <= local.time() < hours.end


def next_open(now: datetime, hours: OfficeHours = OfficeHours()) -> datetime:
    """`now` if open, else the start of the next working period (in the office's zone)."""
    local = _local(now, hours)
    if is_open(local, hours):
        return local
    day = local.date()
    if local.time() >= hours.start:  # today's hours are over (or it is not a working day)
        day += timedelta(days=1)
    for _ in range(_MAX_DAYS_AHEAD):
        if is_working_day(day, hours):
            return datetime.combine(day, hours.start, tzinfo=hours.zone)
        day += timedelta(days=1)
    return datetime.combine(day, hours.start, tzinfo=hours.zone)


@dataclass(frozen=True, slots=True)
class Availability:
    """What the person is told about when an agent will answer (inputs of the template)."""

    open_now: bool
    back_at: datetime | None  # next opening, local time; None when open now
    why_closed: str | None  # "holiday" | "weekend" | "after_hours" | "before_hours" | None
    holiday: str | None  # the holiday's Indonesian name when why_closed == "holiday"
    start: time
    end: time
    same_day: bool  # back_at is today
    next_day: bool  # back_at is tomorrow


def availability(now: datetime, hours: OfficeHours = OfficeHours()) -> Availability:
    local = _local(now, hours)
    if is_open(local, hours):
        return Availability(True, None, None, None, hours.start, hours.end, True, False)
    today = local.date()
    name = holiday_name(today)
    if name is not None and today.weekday() in hours.days:
        why = "holiday"
    elif today.weekday() not in hours.days:
        why = "weekend"
    elif local.time() < hours.start:
        why = "before_hours"
    else:
        why = "after_hours"
    back = next_open(local, hours)
    return Availability(False, back, why, name, hours.start, hours.end,
                        back.date() == today, back.date() == today + timedelta(days=1))


def working_seconds_between(start: datetime, end: datetime,
                            hours: OfficeHours = OfficeHours()) -> float:
    """Seconds of working time in [start, end] (for waits that should not count nights)."""
    if end <= start:
        return 0.0
    a, b = _local(start, hours), _local(end, hours)
    total = 0.0
    day = a.date()
    while day <= b.date():
        if is_working_day(day, hours):
            lo = max(a, datetime.combine(day, hours.start, tzinfo=hours.zone))
            hi = min(b, datetime.combine(day, hours.end, tzinfo=hours.zone))
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total
