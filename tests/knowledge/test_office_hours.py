"""Working hours of the helpdesk: weekends, Indonesian public holidays, next opening."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from knowledge.office_hours import (
    OfficeHours,
    availability,
    holiday_name,
    is_open,
    next_open,
    working_seconds_between,
)

WIB = ZoneInfo("Asia/Jakarta")


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=WIB)


@pytest.mark.parametrize(("when", "expected"), [
    (wib(2025, 3, 3, 10, 0), True),  # Monday
    (wib(2025, 3, 3, 7, 59), False),
    (wib(2025, 3, 3, 8, 0), True),
    (wib(2025, 3, 3, 16, 0), False),  # the end is exclusive
    (wib(2025, 3, 8, 10, 0), False),  # Saturday
    (wib(2026, 8, 17, 10, 0), False),  # Monday, Independence Day
    (datetime(2025, 3, 3, 2, 0, tzinfo=UTC), True),  # 09:00 WIB
])
def test_is_open(when, expected):
    assert is_open(when) is expected


def test_holidays_come_from_the_package_in_indonesian():
    assert holiday_name(datetime(2026, 8, 17).date()) == "Hari Kemerdekaan Republik Indonesia"
    assert holiday_name(datetime(2025, 3, 31).date())  # Idul Fitri
    assert holiday_name(datetime(2025, 3, 4).date()) is None


@pytest.mark.parametrize(("when", "back"), [
    (wib(2025, 3, 3, 7, 0), wib(2025, 3, 3, 8, 0)),  # before hours: today
    (wib(2025, 3, 3, 16, 30), wib(2025, 3, 4, 8, 0)),  # after hours: tomorrow
    (wib(2025, 3, 7, 17, 0), wib(2025, 3, 10, 8, 0)),  # Friday evening: Monday
    (wib(2025, 3, 8, 10, 0), wib(2025, 3, 10, 8, 0)),  # Saturday
    # Friday 28 March 2025: Nyepi (Sat), Sunday, Idul Fitri Mon + Tue -> Wednesday 2 April
    (wib(2025, 3, 28, 17, 0), wib(2025, 4, 2, 8, 0)),
    (wib(2026, 8, 17, 9, 0), wib(2026, 8, 18, 8, 0)),  # Independence Day (Monday)
])
def test_next_open_skips_nights_weekends_and_holidays(when, back):
    assert next_open(when) == back


def test_next_open_is_now_when_open():
    now = wib(2025, 3, 3, 10, 0)
    assert next_open(now) == now


def test_availability_says_why_and_when():
    av = availability(wib(2026, 8, 17, 9, 0))
    assert (av.open_now, av.why_closed, av.next_day) == (False, "holiday", True)
    assert "Kemerdekaan" in av.holiday
    av = availability(wib(2025, 3, 8, 10, 0))
    assert av.why_closed == "weekend" and not av.next_day and av.back_at.weekday() == 0
    assert availability(wib(2025, 3, 3, 6, 0)).why_closed == "before_hours"
    assert availability(wib(2025, 3, 3, 6, 0)).same_day
    assert availability(wib(2025, 3, 3, 18, 0)).why_closed == "after_hours"
    assert availability(wib(2025, 3, 3, 10, 0)).open_now


def test_configurable_hours():
    hours = OfficeHours.parse("09.00 - 15:30")
    assert (hours.start, hours.end) == (time(9, 0), time(15, 30))
    assert not is_open(wib(2025, 3, 3, 8, 30), hours)
    assert next_open(wib(2025, 3, 3, 15, 45), hours) == wib(2025, 3, 4, 9, 0)
    assert OfficeHours.parse("rubbish") == OfficeHours()
    assert OfficeHours.parse("16:00-08:00") == OfficeHours()


def test_naive_time_is_refused():
    with pytest.raises(ValueError):
        is_open(datetime(2025, 3, 3, 10, 0))


def test_working_seconds_skip_nights_and_weekends():
    # Friday 15:30 -> Monday 08:45: 30 min on Friday + 45 min on Monday
    assert working_seconds_between(wib(2025, 3, 7, 15, 30), wib(2025, 3, 10, 8, 45)) == 75 * 60
    assert working_seconds_between(wib(2025, 3, 3, 10, 0), wib(2025, 3, 3, 9, 0)) == 0
