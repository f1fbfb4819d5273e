"""Every template of start/status/router renders in both languages as HTML Telegram accepts."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from markupsafe import Markup

from bot.transport import html_to_plain
from handlers.base import render
from handlers.menu import MENU, label
from knowledge.records import Identity, PilgrimRecord, WaitingList
from knowledge.status_view import build_status_view
from knowledge.values import PilgrimStatus

VIEW = build_status_view(
    PilgrimRecord("1300477219", identity=Identity(name="<Siti> & Aminah",
                                                  status=PilgrimStatus.WAFAT)),
    source="stale", as_of=datetime(2025, 1, 1, tzinfo=UTC), today=date(2025, 3, 3),
    siskohat_down=True, tz=ZoneInfo("Asia/Jakarta"))
AKTIF = build_status_view(
    PilgrimRecord("1300477219", waiting=WaitingList(position=3, quota=2)),
    source="live", as_of=None, today=date(2025, 3, 3))

CASES = [
    ("start_welcome.j2", {"first_name": "<b>"}),
    ("start_welcome.j2", {"first_name": None}),
    ("start_help.j2", {}),
    ("start_bahasa_choose.j2", {}),
    ("start_bahasa_set.j2", {}),
    ("common_menu.j2", {}),
    ("common_menu.j2", {"intro": Markup("OK")}),
    ("status_ask.j2", {}),
    ("status_format.j2", {"problem": "length", "digits": 9}),
    ("status_format.j2", {"problem": "letters", "digits": 0}),
    ("status_format.j2", {"problem": "empty", "digits": 0}),
    ("status_not_found.j2", {"porsi": "9999999999"}),
    ("status_unavailable.j2", {"porsi": "9999999999"}),
    ("status_rate_limited.j2", {"limit": 30, "minutes": 12}),
    ("status_result.j2", {"v": VIEW}),
    ("status_result.j2", {"v": AKTIF}),
    ("router_not_understood.j2", {}),
    ("router_unknown_command.j2", {"command": "/<x>"}),
    ("router_non_text.j2", {"kind": "sticker"}),
    ("router_non_text.j2", {"kind": "other"}),
    ("router_empty.j2", {}),
    ("router_unavailable_option.j2", {}),
    ("router_feature_unavailable.j2", {"command": "/akun"}),
    ("router_flow_ended.j2", {"ended": True}),
    ("router_flow_ended.j2", {"ended": False}),
]


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("name, values", CASES)
def test_template_is_valid_telegram_html(lang, name, values):
    text = render(lang, name, **values)
    plain = html_to_plain(text)  # raises on what Telegram would reject
    assert plain.strip() and len(text) < 4096


def test_english_is_really_english():
    for name, values in CASES:
        if name in ("start_bahasa_choose.j2",):  # one bilingual line on purpose
            continue
        assert render("en", name, **values) != render("id", name, **values), name


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_label_is_translated_and_short(lang):
    for row in MENU:
        for key, data in row:
            text = label(lang, key)
            assert text and text != key and len(text) <= 30
            assert len(data.encode()) <= 64
