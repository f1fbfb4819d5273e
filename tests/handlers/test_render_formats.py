"""The format macros of common_macros.j2 as kept globals (handlers/base.py `_env`): the same
text as the imported macros, never a kept result for a value that only compares equal."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.base import FORMAT_MACROS, _env

WIB = ZoneInfo("Asia/Jakarta")
VALUES = {
    "angka": [0, 7, 1234, 1234567, 1.0, 1, True],
    "tanggal": [date(2026, 12, 7), datetime(2026, 12, 7, 23, 30, tzinfo=WIB),
                datetime(2026, 12, 7, 16, 30, tzinfo=UTC)],
    "waktu": [datetime(2026, 12, 7, 23, 30, tzinfo=WIB),
              datetime(2026, 12, 7, 16, 30, tzinfo=UTC),  # the same instant, another zone
              datetime(2026, 12, 7, 16, 30)],
}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_kept_globals_write_what_the_imported_macros_write(lang):
    env = _env(lang)
    for name in FORMAT_MACROS:
        kept = env.from_string("{{ " + name + "(x) }}")
        for _ in range(2):  # computed, then kept
            for x in VALUES[name]:
                want = env.from_string(
                    '{% from "common_macros.j2" import ' + name + " %}{{ " + name + "(x) }}"
                ).render(x=x)
                assert kept.render(x=x) == want


def test_equal_values_of_other_types_or_zones_are_not_confused():
    env = _env("id")
    angka, waktu = (env.globals[n] for n in ("angka", "waktu"))
    assert (angka(1), angka(1.0), angka(1)) == ("1", "1.0", "1")  # 1 == 1.0, kept apart
    wib, utc = VALUES["waktu"][:2]
    assert wib == utc
    assert waktu(wib) == "7 Desember 2026 pukul 23.30 WIB"
    assert waktu(utc) == "7 Desember 2026 pukul 16.30 UTC"
