"""Dates as people type them: 29-04-2019, 29/4/2019, 2019-04-29, "29 april 2019", "29 Agt 2019".

Pure; `parse_user_date(text, today)` returns a `date` or raises `DateInputError` whose `reason`
says why (unparseable, impossible, future), so a handler can say exactly what is wrong.
"""

from __future__ import annotations

import re
from datetime import date

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

_NUMERIC_DMY = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})$")
_NUMERIC_YMD = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})$")
_WORDS_DMY = re.compile(r"^(\d{1,2})\s*[-/ .]?\s*([a-z]+)\.?\s*[-/ ,.]?\s*(\d{4})$")
_WORDS_MDY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\s*,?\s*(\d{4})$")

MIN_YEAR = 1900  # no living pilgrim or recipient was born earlier; guards "0019"
EXAMPLE_FORMATS = ("29-04-2019", "29/4/2019", "2019-04-29", "29 April 2019")


class DateInputError(ValueError):
    """A typed date we cannot accept; `reason` is one of REASONS."""

    REASONS = ("unparseable", "impossible", "future")

    def __init__(self, reason: str, text: str = ""):
        assert reason in self.REASONS
        self.reason = reason
        self.text = text
        super().__init__(f"{reason}: {text!r}")


def parse_user_date(text: str, today: date) -> date:
    """Parse a day-first date typed by a person; never a date after `today`."""
    raw = (text or "").strip().lower()
    raw = re.sub(r"^(tanggal|tgl\.?)\s+", "", raw)
    raw = re.sub(r"\s+", " ", raw)
    parts = _split(raw)
    if parts is None:
        raise DateInputError("unparseable", text)
    year, month, day = parts
    if year < MIN_YEAR:
        raise DateInputError("impossible", text)
    try:
        value = date(year, month, day)
    except ValueError as exc:
        raise DateInputError("impossible", text) from exc
    if value > today:
        raise DateInputError("future", text)
    return value


def _split(raw: str) -> tuple[int, int, int] | None:
    if m := _NUMERIC_DMY.match(raw):
        return int(m[3]), int(m[2]), int(m[1])
    if m := _NUMERIC_YMD.match(raw):
        return int(m[1]), int(m[2]), int(m[3])
    if (m := _WORDS_DMY.match(raw)) and m[2] in MONTHS:
        return int(m[3]), MONTHS[m[2]], int(m[1])
    if (m := _WORDS_MDY.match(raw)) and m[1] in MONTHS:
        return int(m[3]), MONTHS[m[1]], int(m[2])
    return None


def age_on(birth: date, on: date) -> int:
    """Completed years on `on`; someone born on 29 February turns a year older on 1 March."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
