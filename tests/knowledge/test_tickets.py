"""Ticket ids and helpdesk statistics arithmetic."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from knowledge.tickets import (
    TicketFacts,
    format_code,
    human_duration,
    median,
    month_key,
    normalize_code,
    parse_code,
    percentile,
    reason_of,
    stats,
)


def test_code_format_and_parse():
    assert month_key(datetime(2024, 11, 5)) == "2411"
    assert format_code("2411", 42) == "HD-2411-0042"
    assert format_code("2411", 12345) == "HD-2411-12345"
    assert parse_code("HD-2411-0042") == ("2411", 42)
    assert parse_code(" hd24110042 ") == ("2411", 42)
    assert normalize_code("hd-2411-42") is None  # four digits at least
    assert parse_code("HD-2413-0001") is None  # no 13th month
    assert parse_code("1300477219") is None
    with pytest.raises(ValueError):
        format_code("2411", 0)


@pytest.mark.parametrize(("hint", "reason"), [
    ("pelunasan", "pelunasan"), ("pelunasan-syarat", "pelunasan"),
    ("pelimpahan-sekali", "pelimpahan"), ("status", "status"), ("estimasi-keberangkatan", "status"),
    ("data_salah", "data_salah"), ("data-salah", "data_salah"), (None, "lainnya"),
    ("lainnya", "lainnya"), ("kesehatan-istithaah", "lainnya"),
])
def test_reason_of(hint, reason):
    assert reason_of(hint) == reason


def test_percentiles():
    assert median([]) is None
    assert median([5]) == 5
    assert median([1, 3, 2, 4]) == 2.5
    values = list(range(1, 11))  # 1..10
    assert percentile(values, 0.9) == pytest.approx(9.1)
    assert percentile(values, 0.0) == 1 and percentile(values, 1.0) == 10


def test_stats_overall_and_per_reason():
    t0 = datetime(2025, 3, 3, 3, 0)
    m = timedelta(minutes=1)
    facts = [
        TicketFacts("pelunasan", t0, t0 + 10 * m, t0 + 60 * m, 5),
        TicketFacts("pelunasan", t0, t0 + 30 * m, t0 + 120 * m, 3),
        TicketFacts("status", t0, t0 + 20 * m, None, None),
        TicketFacts("status", t0),
    ]
    out = stats(facts)
    a = out["all"]
    assert (a["opened"], a["closed"], a["open"]) == (4, 2, 2)
    assert a["first_response_s"] == {"n": 3, "median": 1200.0, "p90": pytest.approx(1680.0)}
    assert a["resolution_s"]["median"] == 5400.0
    assert a["rating_avg"] == 4.0 and a["ratings"] == 2
    assert out["per_reason"]["pelunasan"]["first_response_s"]["median"] == 1200.0
    assert out["per_reason"]["status"]["resolution_s"] == {"n": 0, "median": None, "p90": None}
    assert out["per_reason"]["status"]["rating_avg"] is None


def test_human_duration():
    assert human_duration(None) == "-"
    assert human_duration(42) == "42d"
    assert human_duration(12 * 60) == "12m"
    assert human_duration(3 * 3600 + 5 * 60) == "3j 05m"
    assert human_duration(50 * 3600) == "2h 2j"
