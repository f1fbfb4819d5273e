"""parse_user_date: the formats people type, and each kind of date we refuse."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.dates import DateInputError, age_on, parse_user_date

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
        ("29-04-19", "unparseable"),  # two-digit year: ambiguous century
        ("20190429", "unparseable"),
        ("29 april", "unparseable"),
    ],
)
def test_bad_dates(text, reason):
    with pytest.raises(DateInputError) as err:
        parse_user_date(text, TODAY)
    assert err.value.reason == reason
    assert isinstance(err.value, ValueError)


def test_age_on_birthday_and_leap_day():
    assert age_on(date(2010, 5, 2), date(2022, 5, 2)) == 12
    assert age_on(date(2010, 5, 2), date(2022, 5, 1)) == 11
    assert age_on(date(2008, 2, 29), date(2020, 2, 28)) == 11
    assert age_on(date(2008, 2, 29), date(2021, 3, 1)) == 13
    assert age_on(date(2008, 2, 29), date(2021, 2, 28)) == 12
