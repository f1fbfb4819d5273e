"""Waiting-list estimate and Hijri season arithmetic.

Each quota year is one hajj season, i.e. one Hijri year (DOMAIN.md, "Waiting list and estimate").
A season's Masehi year is the year of its 10 Dzulhijjah by the Umm al-Qura calendar (hijridate),
never a fixed offset: 2039 holds both 1460 H and 1461 H.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from hijridate import Gregorian, Hijri

DHUL_HIJJAH = 12
ARAFAH_NEXT_DAY = 10  # 10 Dzulhijjah, Idul Adha: the day that names a season's Masehi year
# hijridate's Umm al-Qura table covers 1343-1500 H (1924-2077 M); beyond it we fall back to the
# mean length of a Hijri year, which drifts by at most a day or two per decade.
_LAST_TABLE_YEAR = 1500
_MEAN_HIJRI_YEAR_DAYS = 354.36667


@dataclass(frozen=True, slots=True)
class Estimate:
    seasons_to_go: int  # 1 = the coming season
    season_hijri: int
    year_masehi: int
    computed: bool = True  # False when Siskohat sent its own estimate


@lru_cache(maxsize=512)
def season_day(season_hijri: int) -> date:
    """The Gregorian date of 10 Dzulhijjah of a Hijri year."""
    if season_hijri <= _LAST_TABLE_YEAR:
        return _as_date(Hijri(season_hijri, DHUL_HIJJAH, ARAFAH_NEXT_DAY).to_gregorian())
    last = _as_date(Hijri(_LAST_TABLE_YEAR, DHUL_HIJJAH, ARAFAH_NEXT_DAY).to_gregorian())
    extra = round((season_hijri - _LAST_TABLE_YEAR) * _MEAN_HIJRI_YEAR_DAYS)
    return last + timedelta(days=extra)


def _as_date(g: Gregorian) -> date:
    return date(g.year, g.month, g.day)


def season_to_masehi(season_hijri: int) -> int:
    return season_day(season_hijri).year


@lru_cache(maxsize=64)  # one date a day, asked for every status card
def current_season(today: date) -> int:
    """The Hijri year of the next season whose 10 Dzulhijjah is on or after `today`."""
    hijri_year = Gregorian(today.year, today.month, today.day).to_hijri().year
    return hijri_year if season_day(hijri_year) >= today else hijri_year + 1


def estimate(position: int, quota: int, today: date) -> Estimate:
    """Position 1..quota leaves in the coming season, quota+1..2*quota the one after, and so on."""
    if position < 1 or quota < 1:
        raise ValueError("position and quota must be positive")
    seasons = math.ceil(position / quota)
    season = current_season(today) + seasons - 1
    return Estimate(seasons_to_go=seasons, season_hijri=season, year_masehi=season_to_masehi(season))
