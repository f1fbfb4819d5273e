"""Dates as people type them: 29-04-2019, 29/4/2019, 2019-04-29, "29 april 2019", "29 Agt 2019",
14/3/78 (a two-digit year), 14031978, "lahir 14 maret 1978" (a date inside a short sentence).

Pure; `parse_user_date(text, today)` returns a `date` or raises `DateInputError` whose `reason`
says why (unparseable, impossible, future), so a handler can say exactly what is wrong.
`find_date_spans(text)` tells where date-like text is in a sentence (the router uses it so a
date is never read as a nomor porsi).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from typing import overload

# Indonesian and English month names and their usual abbreviations (with older spellings such as
# "pebruari" and "nopember", and "agt"/"nop" as Kemenag's own tables write them).
MONTHS: dict[str, int] = {}
for _month, _names in {
    1: "januari january jan",
    2: "februari pebruari february feb peb",
    3: "maret march mar",
    4: "april apr",
    5: "mei may",
    6: "juni june jun",
    7: "juli july jul",
    8: "agustus august agu agt agus aug",
    9: "september sep sept",
    10: "oktober october okt oct",
    11: "november nopember nov nop",
    12: "desember december des dec",
}.items():
    for _name in _names.split():
        MONTHS[_name] = _month

# The forms, written once; `_anchored` matches a whole answer, `_inside` one date in a sentence.
# A year is four digits or two ("14/3/78", "14 maret '78": see `_full_year`).
_YEAR = r"(\d{4}|'?\d{2})"
_FORMS = {
    "dmy": rf"(\d{{1,2}})\s*[-/.]\s*(\d{{1,2}})\s*[-/.]\s*{_YEAR}",
    "ymd": r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})",
    "dmy_words": rf"(\d{{1,2}})(?:st|nd|rd|th)?\s*[-/ .]?\s*([a-z]+)\.?\s*[-/ ,.]?\s*{_YEAR}",
    "mdy_words": r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\s*,?\s*(\d{4})",
    "dmy_compact": r"(\d{2})(\d{2})(\d{4})",  # 14031978, as on some forms
}
_anchored = {k: re.compile(rf"^{v}$", re.IGNORECASE) for k, v in _FORMS.items()}
# Inside a sentence: not glued to other digits or to a further date-like group ("13-00-47-72-19"
# is a porsi in groups, not a date followed by more digits), nor inside a word.
_inside = {k: re.compile(rf"(?<![\w/.\-])(?<!\d[-/.]\s){v}(?![\w'])(?!\s?[-/.]\s?\d)",
                         re.IGNORECASE)
           for k, v in _FORMS.items()}
_LEAD_IN = re.compile(r"^(?:tanggal|tgl\.?)\s+")

MIN_YEAR = 1900  # no living pilgrim or recipient was born earlier; guards "0019"
EXAMPLE_FORMATS = ("29-04-2019", "29/4/2019", "2019-04-29", "29 April 2019")


class DateInputError(ValueError):
    """A typed date we cannot accept; `reason` is one of REASONS."""

    REASONS = ("unparseable", "impossible", "future")

    def __init__(self, reason: str, text: str = ""):
        if reason not in self.REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        self.reason = reason
        self.text = text
        super().__init__(f"{reason}: {text!r}")


def parse_user_date(text: str, today: date) -> date:
    """Parse a day-first date typed by a person; never a date after `today`.

    The whole answer is read first; failing that, the one date inside a short sentence
    ("tanggal lahir saya 14/3/78", "born on 14 March 1978"). Two different dates in one answer
    are unparseable: we do not guess which one was meant. A two-digit year is the most recent
    year that puts the date on or before `today` ("14/3/78" -> 1978, "3/5/24" -> 2024).
    """
    raw = (text or "").strip().lower()
    raw = _LEAD_IN.sub("", raw)
    raw = re.sub(r"\s+", " ", raw)
    parts = _split(raw, _anchored)
    if parts is None:
        found = {p for p in (_parts(k, m) for k, m in _matches(raw)) if p is not None}
        if len(found) != 1:
            raise DateInputError("unparseable", text)
        parts = found.pop()
    year, month, day, short = parts
    if short:
        year = _full_year(year, month, day, today)
    if year < MIN_YEAR:
        raise DateInputError("impossible", text)
    try:
        value = date(year, month, day)
    except ValueError as exc:
        raise DateInputError("impossible", text) from exc
    if value > today:
        raise DateInputError("future", text)
    return value


def _full_year(yy: int, month: int, day: int, today: date) -> int:
    """The most recent year ending in `yy` whose date is not after `today` (a birth or death
    date lies in the past): 78 -> 1978, 24 -> 2024 in 2026, 26 -> 2026 only once the day came."""
    for year in range(today.year - today.year % 100 + yy, MIN_YEAR - 1, -100):
        try:
            if date(year, month, day) <= today:
                return year
        except ValueError:  # 29 February of a non-leap year: try a century earlier
            continue
    return today.year - today.year % 100 + yy - 100  # checked (impossible) by the caller


def _year(text: str) -> tuple[int, bool]:
    digits = text.lstrip("'")
    return int(digits), len(digits) == 2


def _parts(kind: str, m: re.Match) -> tuple[int, int, int, bool] | None:
    """(year, month, day, two-digit year) of one match of `_FORMS[kind]`, or None."""
    if kind in ("dmy", "dmy_compact"):
        year, short = _year(m[3])
        if kind == "dmy_compact" and not MIN_YEAR <= year <= 2099:
            return None
        return year, int(m[2]), int(m[1]), short
    if kind == "ymd":
        return int(m[1]), int(m[2]), int(m[3]), False
    if kind == "dmy_words" and m[2].lower() in MONTHS:
        year, short = _year(m[3])
        return year, MONTHS[m[2].lower()], int(m[1]), short
    if kind == "mdy_words" and m[1].lower() in MONTHS:
        return int(m[3]), MONTHS[m[1].lower()], int(m[2]), False
    return None


def _split(raw: str, forms: dict[str, re.Pattern]) -> tuple[int, int, int, bool] | None:
    for kind, pattern in forms.items():
        if (m := pattern.match(raw)) and (parts := _parts(kind, m)) is not None:
            return parts
    return None


def _matches(text: str):
    for kind, pattern in _inside.items():
        for m in pattern.finditer(text):
            yield kind, m


def find_date_spans(text: str) -> list[tuple[int, int]]:
    """Where date-like text is in `text` (start, end), e.g. "02-08-1953", "14/3/78",
    "14 maret 1978": a day 1-31 and a month 1-12 in one of the forms `parse_user_date` reads.
    Overlapping matches are merged; no check against today (a future date is still a date)."""
    spans: list[tuple[int, int]] = []
    for kind, m in _matches(text or ""):
        parts = _parts(kind, m)
        if parts is None or not (1 <= parts[1] <= 12 and 1 <= parts[2] <= 31):
            continue
        spans.append(m.span())
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def age_on(birth: date, on: date) -> int:
    """Completed years on `on`; someone born on 29 February turns a year older on 1 March."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --- moments and days: the database keeps naive UTC; people live in local time ---------------


@overload
def naive_utc(moment: datetime) -> datetime: ...
@overload
def naive_utc(moment: None) -> None: ...
def naive_utc(moment: datetime | None) -> datetime | None:
    """`moment` as the database stores it: naive UTC (a naive `moment` is UTC already), so
    SQLite and PostgreSQL compare the same way."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


@overload
def aware_utc(moment: datetime) -> datetime: ...
@overload
def aware_utc(moment: None) -> None: ...
def aware_utc(moment: datetime | None) -> datetime | None:
    """A moment read back from the database (naive = UTC) as an aware datetime."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def to_utc(moment: datetime) -> datetime:
    """`moment` on UTC's clock, aware: a naive moment is UTC already (the database's and the
    Siskohat contract's convention), an aware one is converted."""
    return aware_utc(moment).astimezone(UTC)


def local_time(moment: datetime, zone: tzinfo) -> datetime:
    """`moment` (naive = UTC) on the clock of `zone`."""
    return aware_utc(moment).astimezone(zone)


def local_today(moment: datetime, zone: tzinfo) -> date:
    """The calendar day in `zone` at `moment` (naive = UTC): "today" for a person there."""
    return local_time(moment, zone).date()
