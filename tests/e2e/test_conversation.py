"""e2e: /start, /help, /bahasa, the menu, the status check and every bad input, through the real
Application and the fake Bot API."""

from __future__ import annotations

import shutil
from datetime import date, datetime

import pytest

from db import migrate
from knowledge.records import Identity, PilgrimRecord, WaitingList
from knowledge.values import PaymentStatus, PilgrimStatus

PORSI = "1300477219"
MENU_ID = ["Cek status porsi", "Pelunasan", "Pelimpahan", "Tanya jawab", "Hubungi petugas"]
# Only the modules this area owns: the answers to other features' buttons are the fallbacks.
OWN_FEATURES = ["start", "status", "router"]
RELAXED = {"throttle_burst": 1000}


def pilgrim(porsi: str = PORSI, **identity) -> PilgrimRecord:
    ident = dict(name="Siti Aminah", registered_on=date(2012, 3, 4), status=PilgrimStatus.AKTIF)
    ident.update(identity)
    return PilgrimRecord(
        porsi=porsi,
        identity=Identity(**ident),
        waiting=WaitingList(province="Jawa Barat", regency="Kab. Bandung", position=123456,
                            quota=9000, payment_status=PaymentStatus.BELUM_LUNAS),
    )


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path, migrated_template):
    """A copy of a database migrated once for this module (migrating each time is slow)."""
    target = tmp_path / "test.sqlite3"
    shutil.copy(migrated_template, target)
    return f"sqlite:///{target}"


class Errors:
    """Counts calls of the runtime's error handler (added next to it)."""

    def __init__(self, app):
        self.seen: list[BaseException] = []

        async def count(update, context):
            self.seen.append(context.error)

        app.add_error_handler(count)


@pytest.fixture
async def bot(make_harness, fake_gateway):
    fake_gateway.add(pilgrim())
    async with make_harness(settings_overrides=RELAXED, features=OWN_FEATURES) as h:
        h.errors = Errors(h.app)
        yield h
        assert h.errors.seen == []


# --- /start, /help, /bahasa, menu -----------------------------------------------------------


async def test_start_in_indonesian_says_it_is_a_bot_and_shows_the_menu(bot):
    r = await bot.send(111, "/start")
    assert len(r) == 1
    assert "bot" in r.text and "bukan petugas manusia" in r.text
    assert r.buttons == MENU_ID
    assert [b["callback_data"] for row in r[0].reply_markup["inline_keyboard"] for b in row] == [
        "status:start", "pelunasan:start", "pelimpahan:start", "faq:start", "helpdesk:start"]


async def test_start_in_english_for_an_english_client(bot):
    r = await bot.send(222, "/start", language_code="en")
    assert "I am a bot" in r.text and "not a human" in r.text
    assert r.buttons == ["Check porsi status", "Pelunasan (payoff)", "Pelimpahan (transfer)",
                         "Questions", "Contact an officer"]


async def test_first_name_is_escaped(bot):
    r = await bot.send(333, "/start", first_name="<b>Ali</b> & co")
    assert "&lt;b&gt;Ali&lt;/b&gt; &amp; co" in r[0].html
    assert "<b>Ali</b> & co" in r.text  # shown literally


async def test_help_lists_the_commands(bot):
    r = await bot.send(111, "/help")
    for command in ("/start", "/porsi", "/pelunasan", "/pelimpahan", "/petugas", "/selesai",
                    "/akun", "/bahasa", "/help"):
        assert command in r.text


async def test_bahasa_switches_and_is_remembered(bot):
    r = await bot.send(111, "/bahasa")
    assert r.buttons == ["Bahasa Indonesia", "English"]
    r = await bot.press("English")
    assert "English" in r.text and "Check porsi status" in r.buttons
    assert bot.user_data(111)["lang"] == "en"
    await bot.restart()
    r = await bot.send(111, "/help")
    assert "Commands" in r.text
    r = await bot.send(111, "/bahasa id")
    assert "Bahasa Indonesia" in r.text and r.buttons == MENU_ID
    assert bot.user_data(111)["lang"] == "id"


async def test_menu_button_and_word_show_the_menu(bot):
    await bot.send(111, "/start")
    r = await bot.send(111, "menu")
    assert r.buttons == MENU_ID
    await bot.send(111, PORSI)
    r = await bot.press("Menu")
    assert r.buttons == MENU_ID


async def test_every_button_press_is_answered(bot):
    await bot.send(111, "/start")
    for label in MENU_ID:
        before = len(bot.api.answered_callbacks)
        r = await bot.press(label)
        assert r, label
        assert len(bot.api.answered_callbacks) == before + 1, label


async def test_buttons_of_missing_features_get_a_polite_answer(bot):
    await bot.send(111, "/start")
    r = await bot.press("Pelunasan")
    assert "tidak tersedia" in r.text and r.buttons == MENU_ID
    r = await bot.press("Hubungi petugas")
    assert "Kankemenag" in r.text and bot.outcome()["handoff"] is True
    r = await bot.callback(111, "nonsense:x:1", r[0].message_id)
    assert "tidak tersedia" in r.text


async def test_commands_of_missing_features(bot):
    r = await bot.send(111, "/pelunasan")
    assert "belum tersedia" in r.text and r.buttons == MENU_ID
    r = await bot.send(111, "/petugas")
    assert "Kankemenag" in r.text and bot.outcome()["handoff"] is True
    r = await bot.send(111, "/selesai")
    assert "Tidak ada percakapan" in r.text


# --- status ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [f"/porsi {PORSI}", "/porsi 1300 477 219",
                                     "/porsi@{bot} " + PORSI])
async def test_status_by_command(bot, command):
    r = await bot.send(111, command.format(bot=bot.app.bot.username))
    text = r.text
    for part in ("S*** A*****", "Kab. Bandung", "Jawa Barat", "123.456", "9.000",
                 "perkiraan dihitung", "belum lunas", "Terdaftar tahun 2012",
                 "berubah bila kuota berubah", "Data per 3 Maret 2025"):
        assert part in text, part
    assert "Siti" not in text
    assert r.buttons == ["🔔 Pantau porsi ini", "Pelunasan", "Tanya jawab", "Menu"]
    assert bot.outcome()["topic"] == "status"


@pytest.mark.parametrize("typed", [PORSI, "1300 477 219", "1300.477.219", "1300-477-219",
                                   "porsi 1300477219"])
async def test_status_from_a_bare_number(bot, typed):
    r = await bot.send(111, typed)
    assert "Status nomor porsi 1300477219" in r.text
    assert bot.gateway.lookups == [PORSI]


async def test_status_live_in_english(bot):
    bot.gateway.source = "live"
    r = await bot.send(222, PORSI, language_code="en")
    assert "Latest data from Siskohat." in r.text and "Position in the queue: 123,456" in r.text


async def test_status_button_asks_then_takes_the_number(bot):
    await bot.send(111, "/start")
    r = await bot.press("Cek status porsi")
    assert "10 angka" in r.text
    r = await bot.send(111, "130047721")  # 9 digits: told so, still waiting for the number
    assert "yang Anda kirim 9 angka" in r.text
    r = await bot.send(111, PORSI)
    assert "Status nomor porsi" in r.text
    assert "flow" not in bot.chat_data(111)


async def test_status_flow_lets_a_question_through(bot):
    await bot.send(111, "/porsi")
    r = await bot.send(111, "kapan saya berangkat haji?")
    assert "angka" not in r.text.split("\n")[0]  # not the porsi-format message
    assert "belum mengerti" in r.text
    assert "flow" not in bot.chat_data(111)


async def test_bahasa_while_waiting_for_a_porsi_repeats_the_question(bot):
    await bot.send(111, "/porsi")
    r = await bot.send(111, "/bahasa en")
    assert "answer in English" in r.text and "still open" in r.text
    assert "Please send your nomor porsi" in r.text
    assert "Check porsi status" not in r.buttons  # not the menu that hides the question
    assert bot.chat_data(111)["flow"] == "status"
    r = await bot.send(111, PORSI)  # the typed number still answers it
    assert "Status of nomor porsi" in r.text and PORSI in r.text
    assert "flow" not in bot.chat_data(111)


async def test_porsi_with_nothing_asks_for_the_number(bot):
    r = await bot.send(111, "/porsi")
    assert "kirim nomor porsi" in r.text and "1234567890" in r.text


async def test_porsi_with_letters(bot):
    r = await bot.send(111, "/porsi abcdefghij")
    assert "hanya berisi angka" in r.text and "/porsi 1234567890" in r.text
    assert bot.gateway.lookups == []


@pytest.mark.parametrize("number, digits", [("130047721", 9), ("13004772190", 11)])
async def test_wrong_length(bot, number, digits):
    for text in (f"/porsi {number}", number):
        r = await bot.send(111, text)
        assert f"yang Anda kirim {digits} angka" in r.text
        assert bot.outcome()["topic"] == "status"
    assert bot.gateway.lookups == []


async def test_unknown_porsi(bot):
    r = await bot.send(111, "/porsi 9999999999")
    assert "tidak ditemukan" in r.text and "periksa kembali" in r.text
    assert "Kankemenag" in r.text
    r = await bot.send(222, "9999999999", language_code="en")
    assert "was not found" in r.text


async def test_stale_data_when_siskohat_is_down(bot):
    bot.gateway.down = True
    bot.gateway.as_of = datetime(2025, 2, 27, 1, 30)
    r = await bot.send(111, PORSI)
    assert "Siskohat sedang tidak dapat dihubungi; data per 27 Februari 2025 pukul 08.30 WIB" \
        in r.text
    r = await bot.send(111, "/porsi 9999999999")
    assert "tidak dapat dihubungi" in r.text and "tidak ditemukan" not in r.text


async def test_wafat_points_to_pelimpahan(bot):
    bot.gateway.add(pilgrim("1300477220", status=PilgrimStatus.WAFAT))
    r = await bot.send(111, "1300477220")
    assert "wafat" in r.text and "/pelimpahan" in r.text and "Pelimpahan" in r.buttons
    assert "Pelunasan" not in r.buttons  # a pilgrim who died does not pay off


@pytest.mark.parametrize("status", [PilgrimStatus.BATAL, PilgrimStatus.BERANGKAT])
async def test_finished_porsi_offers_no_pelunasan(bot, status):
    bot.gateway.add(pilgrim("1300477222", status=status))
    r = await bot.send(111, "1300477222")
    assert "Pelunasan" not in r.buttons and "Pelimpahan" not in r.buttons
    assert r.buttons == ["Tanya jawab", "Menu"]
    assert "Perkiraan berangkat" not in r.text


async def test_markup_in_a_name_is_shown_literally(bot):
    bot.gateway.add(PilgrimRecord("1300477221", waiting=WaitingList(regency="<b>Kota</b>")))
    r = await bot.send(111, "1300477221")
    assert "<b>Kota</b>" in r.text and "&lt;b&gt;Kota&lt;/b&gt;" in r[0].html


async def test_gateway_failure_is_a_plain_message(bot):
    async def broken(porsi):
        raise ConnectionError("boom")

    bot.gateway.lookup = broken
    r = await bot.send(111, PORSI)
    assert "tidak dapat dihubungi" in r.text


async def test_lookups_are_limited_per_hour(make_harness, fake_gateway, clock):
    fake_gateway.add(pilgrim())
    async with make_harness(settings_overrides={**RELAXED, "status_lookups_per_hour": 3},
                            features=OWN_FEATURES) as h:
        for _ in range(3):
            assert "Status nomor porsi" in (await h.send(111, PORSI)).text
            clock.advance(minutes=1)
        await h.restart()  # the count is in the database, not in memory
        r = await h.send(111, "1300477222")
        assert "3 kali" in r.text and "57 menit" in r.text
        assert len(fake_gateway.lookups) == 3
        assert "Status nomor porsi" in (await h.send(222, PORSI)).text  # someone else
        clock.advance(minutes=58)
        assert "Status nomor porsi" in (await h.send(111, PORSI)).text


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, expected", [
    ({"sticker": True}, "stiker"),
    ({"photo": True}, "foto"),
    ({"voice": True}, "pesan suara"),
    ({"document": True}, "dokumen"),
    ({"location": (-6.2, 106.8)}, "lokasi"),
])
async def test_non_text_messages(bot, kind, expected):
    r = await bot.send(111, **kind)
    assert f"belum bisa membaca {expected}" in r.text
    assert r.buttons == MENU_ID


@pytest.mark.parametrize("text", ["", "   ", "\n\t", None])
async def test_empty_messages(bot, text):
    r = await bot.send(111, text)
    assert "Pesan Anda kosong" in r.text


async def test_unknown_command(bot):
    r = await bot.send(111, "/terbang")
    assert "/terbang" in r.text and "tidak dikenal" in r.text and "/help" in r.text
    r = await bot.send(222, "/<b>x", language_code="en")
    assert "Unknown command" in r.text and "&lt;b&gt;" in r[0].html


async def test_unrecognised_text_gets_menu_and_a_human(bot):
    r = await bot.send(111, "zzz qqq")
    assert "belum mengerti" in r.text and r.buttons == MENU_ID
    assert "Kankemenag" in r.text and bot.outcome()["handoff"] is True
    assert bot.outcome()["topic"] is None


async def test_ten_thousand_characters(bot):
    r = await bot.send(111, "a" * 10_000)
    assert len(r) == 1 and "terlalu panjang" in r.text
    r = await bot.send(111, "1" * 10_000)
    assert "terlalu panjang" in r.text and bot.gateway.lookups == []


async def test_edited_message(bot):
    await bot.send(111, "zzz")
    r = await bot.edit(111, PORSI)
    assert len(r) == 1 and "diedit" in r.text
    assert bot.gateway.lookups == []


async def test_the_whole_product_answers_start_and_status(make_harness, fake_gateway):
    """With every feature module installed (whatever is built), start and status still work."""
    fake_gateway.add(pilgrim())
    async with make_harness(settings_overrides=RELAXED) as h:
        errors = Errors(h.app)
        r = await h.send(111, "/start")
        assert r.buttons == MENU_ID
        r = await h.send(111, f"/porsi {PORSI}")
        assert "S*** A*****" in r.text
        r = await h.send(111, "1300.477.219")
        assert "S*** A*****" in r.text
        r = await h.send(111, sticker=True)
        assert r
        assert errors.seen == []


async def test_catch_alls_stay_quiet_in_the_agents_group(make_harness):
    from tests.e2e.harness import AGENTS_CHAT_ID

    async with make_harness(settings_overrides={**RELAXED, "helpdesk_chat_id": AGENTS_CHAT_ID},
                            features=OWN_FEATURES) as h:
        h.add_agent(900)
        r = await h.send(AGENTS_CHAT_ID, "halo semua", user_id=900)
        assert r == []
        r = await h.send(AGENTS_CHAT_ID, "/terbang", user_id=900)
        assert r == []
        before = len(h.api.answered_callbacks)
        r = await h.callback(AGENTS_CHAT_ID, "nonsense:x", 1, user_id=900)
        assert r.of("sendMessage") == [] and len(h.api.answered_callbacks) == before + 1
