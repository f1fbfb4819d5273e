from datetime import date

import pytest

from knowledge.estimate import current_season, estimate, season_day, season_to_masehi


def test_season_masehi_follows_umm_al_qura():
    assert season_day(1447) == date(2026, 5, 27)
    assert season_to_masehi(1448) == 2027


def test_two_seasons_in_one_masehi_year():
    assert season_to_masehi(1460) == season_to_masehi(1461) == 2039


def test_current_season_turns_after_idul_adha():
    assert current_season(date(2026, 5, 27)) == 1447
    assert current_season(date(2026, 5, 28)) == 1448
    assert current_season(date(2026, 11, 20)) == 1448


def test_estimate_counts_seasons_from_position_and_quota():
    today = date(2026, 11, 20)
    first = estimate(1, 1000, today)
    assert (first.seasons_to_go, first.season_hijri, first.year_masehi) == (1, 1448, 2027)
    assert estimate(1000, 1000, today).seasons_to_go == 1
    later = estimate(1001, 1000, today)
    assert (later.seasons_to_go, later.season_hijri) == (2, 1449)


def test_estimate_beyond_the_calendar_table_still_answers():
    far = estimate(100 * 500, 500, date(2026, 11, 20))
    assert far.season_hijri == 1547
    assert far.year_masehi == 2123  # 1500 H ends Oct 2077; 47 mean Hijri years later


@pytest.mark.parametrize("pos,quota", [(0, 10), (5, 0), (-1, 3)])
def test_estimate_rejects_nonsense(pos, quota):
    with pytest.raises(ValueError):
        estimate(pos, quota, date(2026, 1, 1))
