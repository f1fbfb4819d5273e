"""parse_user_date: the formats people type, and each kind of date we refuse."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.dates import DateInputError, age_on, find_date_spans, parse_user_date

TODAY = date(2025, 6, 1)


@pytest.mark.parametrize(
    "text",
    [
        "29-04-2019",
        "29/4/2019",
        "29/04/2019",
        "29.04.2019",
        "2019-04-29",
        "2019/4/29",
        "29 april 2019",
        "29 April 2019",
        "29 APRIL 2019",
        "29 Apr 2019",
        "29 apr. 2019",
        "29-Apr-2019",
        "April 29, 2019",
        "tanggal 29 april 2019",
        "  29  april   2019 ",
    ],
)
def test_formats(text):
    assert parse_user_date(text, TODAY) == date(2019, 4, 29)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 Januari 2020", date(2020, 1, 1)),
        ("3 Pebruari 2021", date(2021, 2, 3)),
        ("17 Agustus 2020", date(2020, 8, 17)),
        ("17 Agt 2020", date(2020, 8, 17)),
        ("17 August 2020", date(2020, 8, 17)),
        ("5 Mei 2022", date(2022, 5, 5)),
        ("5 May 2022", date(2022, 5, 5)),
        ("1 Oktober 2022", date(2022, 10, 1)),
        ("1 Okt 2022", date(2022, 10, 1)),
        ("10 Nopember 2021", date(2021, 11, 10)),
        ("25 Desember 2021", date(2021, 12, 25)),
        ("25 Dec 2021", date(2021, 12, 25)),
        ("29 Februari 2020", date(2020, 2, 29)),
        ("1 June 2025", date(2025, 6, 1)),  # today itself is allowed
    ],
)
def test_month_names(text, expected):
    assert parse_user_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31-02-2020", "impossible"),
        ("29-02-2019", "impossible"),  # 2019 is no leap year
        ("31 April 2020", "impossible"),
        ("00-01-2020", "impossible"),
        ("12-13-2020", "impossible"),
        ("2020-13-01", "impossible"),
        ("01-01-0019", "impossible"),
        ("02-06-2025", "future"),
        ("1 Januari 2030", "future"),
        ("kemarin", "unparseable"),
        ("", "unparseable"),
        ("29 foo 2019", "unparseable"),
        ("20190429", "unparseable"),  # year first without separators: not a form we read
        ("32-01-78", "impossible"),
        ("29-02-23", "impossible"),  # no 29 February in 2023 nor in 1923
        ("lahir 14/3/78 atau 15/3/78", "unparseable"),  # two dates: we do not guess
        ("porsi 3509412276", "unparseable"),
        ("29 april", "unparseable"),
    ],
)
def test_bad_dates(text, reason):
    with pytest.raises(DateInputError) as err:
        parse_user_date(text, TODAY)
    assert err.value.reason == reason
    assert isinstance(err.value, ValueError)


# --- two-digit years, compact and in-sentence dates (issue 15) ------------------------------

TODAY_2026 = date(2026, 12, 6)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14/3/78", date(1978, 3, 14)),
        ("14-03-78", date(1978, 3, 14)),
        ("14.3.78", date(1978, 3, 14)),
        ("2/8/53", date(1953, 8, 2)),
        ("14 maret 78", date(1978, 3, 14)),
        ("14 Mar '78", date(1978, 3, 14)),
        ("3/5/24", date(2024, 5, 3)),  # an event date two years ago, not 1924
        ("6/12/26", date(2026, 12, 6)),  # today
        ("7/12/26", date(1926, 12, 7)),  # tomorrow in 2026: the most recent past one is 1926
        ("1/1/00", date(2000, 1, 1)),
        ("29/2/00", date(2000, 2, 29)),
        ("29/2/96", date(1996, 2, 29)),
        ("14031978", date(1978, 3, 14)),  # day, month, year without separators
        ("02081953", date(1953, 8, 2)),
        ("14th March 1978", date(1978, 3, 14)),
    ],
)
def test_two_digit_years_and_compact_dates(text, expected):
    assert parse_user_date(text, TODAY_2026) == expected


@pytest.mark.parametrize(
    "text",
    [
        "tanggal lahir 14/3/1978",
        "tgl lahir: 14-03-1978",
        "tanggal lahir saya 14/3/78",
        "lahir 14 maret 1978 pak",
        "ibu lahir tgl 14 Maret 1978",
        "born on 14 March 1978",
        "my date of birth is March 14, 1978",
        "DOB 14/03/1978",
        "14/3/1978 (tanggal lahir)",
        "“14-03-1978”",
    ],
)
def test_a_date_inside_a_short_sentence(text):
    assert parse_user_date(text, TODAY_2026) == date(1978, 3, 14)


def test_the_same_date_written_twice_is_one_date():
    assert parse_user_date("14/3/1978 ya, 14/3/1978", TODAY_2026) == date(1978, 3, 14)


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("lahir 02-08-1953", [(6, 16)]),
        ("14/3/78", [(0, 7)]),
        ("14 maret 1978 dan 3509412276", [(0, 13)]),
        ("3509 412 276", []),
        ("3509-412-276", []),
        ("13-00-47-72-19", []),  # a porsi in groups of two, not a date and more
        ("1300.477.219", []),
        ("setoran 25.000.000", []),
        ("umur 65 tahun 2025", []),
        ("0812-3456-7890", []),
        ("99/99/9999", []),
    ],
)
def test_find_date_spans(text, spans):
    assert find_date_spans(text) == spans


def test_age_on_birthday_and_leap_day():
    assert age_on(date(2010, 5, 2), date(2022, 5, 2)) == 12
    assert age_on(date(2010, 5, 2), date(2022, 5, 1)) == 11
    assert age_on(date(2008, 2, 29), date(2020, 2, 28)) == 11
    assert age_on(date(2008, 2, 29), date(2021, 3, 1)) == 13
    assert age_on(date(2008, 2, 29), date(2021, 2, 28)) == 12


def test_to_utc_reads_naive_as_utc_and_converts_aware():
    from datetime import UTC, datetime, timedelta, timezone

    from knowledge.dates import to_utc

    wib = timezone(timedelta(hours=7))
    assert to_utc(datetime(2026, 12, 7, 8, 0)) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    moved = to_utc(datetime(2026, 12, 7, 8, 0, tzinfo=wib))
    assert moved.utcoffset() == timedelta(0) and moved.hour == 1
