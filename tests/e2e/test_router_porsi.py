"""e2e (issue 15, item 1): a porsi anywhere in a sentence gets its status card; several porsi get
one card each; a date, a phone number or a NIK is named for what it is and never looked up; FAQ
questions holding other numbers still reach the FAQ. The whole product, through the real
Application and the fake Bot API."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.records import Identity, PilgrimRecord, WaitingList
from knowledge.values import PaymentStatus, PilgrimStatus

A, B, C, D = "3509412276", "3309381154", "1300477219", "1300477220"
ALL = (A, B, C, D)
SETTINGS = {"throttle_burst": 1000, "status_lookups_per_hour": 1000}
CARD_ID = "Status nomor porsi"
CARD_EN = "Status of nomor porsi"


def pilgrim(porsi: str) -> PilgrimRecord:
    return PilgrimRecord(
        porsi=porsi,
        identity=Identity(name="Siti Aminah", registered_on=date(2012, 3, 4),
                          status=PilgrimStatus.AKTIF),
        waiting=WaitingList(province="Jawa Timur", regency="Kab. Malang", position=123456,
                            quota=9000, payment_status=PaymentStatus.BELUM_LUNAS),
    )


@pytest.fixture
async def bot(make_channel_harness, fake_gateway):
    for porsi in ALL:
        fake_gateway.add(pilgrim(porsi))
    async with make_channel_harness(settings_overrides=SETTINGS) as h:
        yield h


INDONESIAN = [
    f"porsi saya {A} pak",
    f"assalamualaikum pak, porsi ibu saya {A}, kapan berangkat ya",
    f"tolong cek {A} kapan berangkat",
    f"nomor porsi saya {A}",
    f"no porsi {A} mohon dicek",
    f"ini nomor porsi bapak saya: {A}",
    f"pak mau tanya, porsi {A} berangkat tahun berapa?",
    f"{A} itu porsi ibu saya, sudah bisa lunas belum",
    f"mohon info status porsi {A} terima kasih",
    f"selamat siang, saya mau cek nomor {A}",
    f"daftar tahun 2012, porsi {A}, kapan berangkat",
    "porsi saya 3509 412 276 pak",
    "porsi saya 3509-412-276",
    "porsi: 3509.412.276 mohon dicek",
    f"umur ibu 65 tahun, porsi {A}, setoran awal 25 juta",
    f"Porsi Saya {A} Atas Nama Ibu Siti",
    f"cek porsi {A} dong min",
    f"gimana status {A} ya",
]
ENGLISH = [
    f"when will I depart? my number {A}",
    f"my porsi number is {A}",
    f"please check {A}",
    f"check status {A} please",
    f"hi, my mother's porsi is {A}, when does she leave?",
    f"what is the status of {A}?",
    "porsi number: 3509 412 276",
    f"can you look up {A} for me",
    f"my registration number {A}, registered in 2012",
    f"{A} is my father's porsi",
    "my number is 3509-412-276, thanks",
    f"good morning, I would like to know the departure year for {A}",
]


def test_at_least_thirty_phrasings_in_both_languages():
    assert len(INDONESIAN) + len(ENGLISH) >= 30 and len(ENGLISH) >= 10


@pytest.mark.parametrize("text", INDONESIAN)
async def test_a_porsi_in_an_indonesian_sentence_gets_its_card(bot, text):
    r = await bot.send(111, text)
    assert f"{CARD_ID} {A}" in r.text, r.text[:200]
    assert "Kab. Malang" in r.text and "S*** A*****" in r.text
    assert "kirim nomor porsinya saja" not in r.text and "belum yakin" not in r.text
    assert bot.gateway.lookups == [A]
    assert bot.outcome()["topic"] == "status"


@pytest.mark.parametrize("text", ENGLISH)
async def test_a_porsi_in_an_english_sentence_gets_its_card(bot, text):
    r = await bot.send(222, text, language_code="en")
    assert f"{CARD_EN} {A}" in r.text, r.text[:200]
    assert bot.gateway.lookups == [A]


@pytest.mark.parametrize("text", [
    f"when will I depart? my number {A}",
    f"my porsi number is {A}",
    f"hi, my mother's porsi is {A}, when does she leave?",
    f"good morning, I would like to know the departure year for {A}",
])
async def test_an_english_sentence_gets_the_english_card_whatever_the_client(bot, text):
    # issue 15, item 4: the reply follows the message, not the phone's language (id here)
    r = await bot.send(222, text)
    assert f"{CARD_EN} {A}" in r.text, r.text[:200]
    # a bare porsi next says nothing either way: the language the person writes in stays
    r = await bot.send(222, B)
    assert f"{CARD_EN} {B}" in r.text, r.text[:200]
    r = await bot.send(222, f"porsi ibu saya {C} kapan berangkat")
    assert f"{CARD_ID} {C}" in r.text, r.text[:200]


@pytest.mark.parametrize("text", [
    f"{A} {B}",
    f"punya bapak {A} dan ibu {B}",
    "3509 412 276 3309 381 154",
    f"porsi bapak {A}\nporsi ibu {B}",
])
async def test_two_porsi_get_two_cards(bot, text):
    r = await bot.send(111, text)
    cards = [m for m in r if CARD_ID in m.text]
    assert len(cards) == 2
    assert f"{CARD_ID} {A}" in cards[0].text and f"{CARD_ID} {B}" in cards[1].text
    assert bot.gateway.lookups == [A, B]
    assert "20 angka" not in r.text


async def test_two_porsi_in_english(bot):
    r = await bot.send(222, f"my parents: {A} and {B}", language_code="en")
    assert [m.text.split("\n")[0] for m in r if CARD_EN in m.text] == [
        f"{CARD_EN} {A}", f"{CARD_EN} {B}"]


async def test_more_porsi_than_the_cap_get_a_note(bot):
    r = await bot.send(111, " ".join(ALL))
    assert len([m for m in r if CARD_ID in m.text]) == 3
    assert "4 nomor porsi" in r.text and "pesan terpisah" in r.text
    assert bot.gateway.lookups == [A, B, C]


async def test_the_hourly_allowance_stops_the_cards(make_harness, fake_gateway):
    for porsi in ALL:
        fake_gateway.add(pilgrim(porsi))
    async with make_harness(settings_overrides={**SETTINGS, "status_lookups_per_hour": 1}) as h:
        r = await h.send(111, f"{A} {B} {C}")
        assert len([m for m in r if CARD_ID in m.text]) == 1
        assert sum("1 kali" in m.text for m in r) == 1  # said once, not once per porsi
        assert fake_gateway.lookups == [A]


@pytest.mark.parametrize(("text", "expected"), [
    ("02-08-1953", "sepertinya tanggal"),
    ("2/8/1953", "sepertinya tanggal"),
    ("14/3/78", "sepertinya tanggal"),
    ("14 maret 1978", "sepertinya tanggal"),
    ("tanggal lahir ibu saya 02-08-1953", "sepertinya tanggal"),
    ("02081953", "sepertinya tanggal"),
    ("081234567890", "sepertinya nomor telepon"),
    ("+62 812-3456-7890", "sepertinya nomor telepon"),
    ("no hp saya 0812-3456-7890", "sepertinya nomor telepon"),
    ("3509123456780001", "sepertinya NIK"),
    ("nik ibu 3509 1234 5678 0001", "sepertinya NIK"),
])
async def test_dates_phones_and_nik_get_a_kind_reply_and_no_lookup(bot, text, expected):
    r = await bot.send(111, text)
    assert expected in r.text, r.text[:200]
    assert "10 angka" in r.text
    assert "yang Anda kirim 8 angka" not in r.text and "angka, tetapi" not in r.text
    assert bot.gateway.lookups == []


async def test_a_birth_date_reply_says_where_it_is_asked(bot):
    r = await bot.send(111, "02-08-1953")
    assert "/pelunasan" in r.text and "02-08-1953" in r.text
    r = await bot.send(222, "14/3/78", language_code="en")
    assert "looks like a date" in r.text and "/pelunasan" in r.text


async def test_a_nik_reply_in_english(bot):
    r = await bot.send(222, "3509123456780001", language_code="en")
    assert "looks like a NIK" in r.text and "10 digits" in r.text
    assert bot.gateway.lookups == []


@pytest.mark.parametrize("text", [
    "setoran awal 25 juta", "berapa setoran awal 25 juta?", "tahun 2025 kuota berapa",
    "umur 65 apakah bisa daftar haji", "biaya haji tahun 2026 berapa",
    "apakah yang lahir 1 januari 1960 boleh melunasi?",
])
async def test_faq_questions_with_other_numbers_are_not_stolen(bot, text):
    r = await bot.send(111, text)
    assert r and bot.gateway.lookups == []
    assert CARD_ID not in r.text and "sepertinya" not in r.text
    assert "angka, tetapi" not in r.text  # not the porsi format message either


async def test_a_near_porsi_after_the_word_porsi_gets_the_format_message(bot):
    r = await bot.send(111, "porsi saya 350941227 pak")
    assert "yang Anda kirim 9 angka" in r.text
    assert bot.gateway.lookups == []


async def test_status_flow_takes_a_porsi_in_a_sentence_and_names_a_date(bot):
    await bot.send(111, "/porsi")
    r = await bot.send(111, "02-08-1953")
    assert "sepertinya tanggal" in r.text and bot.chat_data(111)["flow"] == "status"
    r = await bot.send(111, f"punya ibu {A} dan bapak {B}")
    assert len([m for m in r if CARD_ID in m.text]) == 2
    assert "flow" not in bot.chat_data(111)


# --- inside the wizards: a porsi in a sentence, any date form, a new question leaves ----------


@pytest.fixture
async def wizard(make_channel_harness, fake_gateway):
    from tests.e2e.test_pelunasan import PHONE, make_record

    fake_gateway.add(make_record(C, phone=PHONE))
    async with make_channel_harness(settings_overrides=SETTINGS) as h:
        h.api.add_user(111, phone="+62 812-3456-7890")
        yield h


async def test_pelunasan_takes_a_porsi_in_a_sentence_and_a_two_digit_year(wizard):
    from tests.e2e.test_pelunasan import SHARE, VERIFY

    await wizard.send(111, "/pelunasan")
    r = await wizard.send(111, "02-08-1953")  # a date where the porsi is awaited
    assert "sepertinya tanggal" in r.text and wizard.chat_data(111)["flow"] == "pelunasan"
    r = await wizard.send(111, "porsi ibu saya 1300 477 219 pak")
    assert VERIFY in r.buttons and wizard.gateway.lookups == [C]
    await wizard.press(VERIFY)
    if wizard.channel_name == "telegram":  # WhatsApp: the sender's number, no contact
        await wizard.press(SHARE)
    r = await wizard.send(111, "tgl lahir 17/8/60")
    assert "Verifikasi berhasil" in r.text


async def test_pelunasan_card_takes_a_birth_date_typed_ahead_for_a_date(wizard):
    await wizard.send(111, f"/pelunasan {C}")
    r = await wizard.send(111, "14/3/78")  # before pressing the verification button
    assert "sepertinya tanggal" in r.text and "berisi 5 angka" not in r.text
    assert "/pelunasan" in r.text and wizard.chat_data(111)["flow"] == "pelunasan"


async def test_pelunasan_steps_answer_in_the_language_written(wizard):
    await wizard.send(111, "/pelunasan")
    r = await wizard.send(111, f"my mother's porsi number is {C}")
    assert "Pelunasan for the" in r.text and f"porsi {C}" in r.text, r.text[:300]
    r = await wizard.send(111, "her birth date is 17/8/60")  # typed ahead of verification
    assert "looks like a date" in r.text and wizard.chat_data(111)["flow"] == "pelunasan"


async def test_pelunasan_verification_label_typed_instead_of_pressed(wizard):
    from tests.e2e.test_pelunasan import VERIFY

    await wizard.send(111, f"/pelunasan {C}")
    r = await wizard.send(111, VERIFY)
    assert f"Verifikasi pemilik nomor porsi {C}" in r.text, r.text[:300]


@pytest.mark.parametrize("yes", ["ya", "iya mau", "Mau", "yes"])
async def test_pelunasan_a_plain_yes_to_the_offer_starts_verification(wizard, yes):
    await wizard.send(111, f"/pelunasan {C}")
    r = await wizard.send(111, yes)
    assert "nomor porsi " + C in r.text and ("Verifikasi pemilik" in r.text
                                             or "Verify the holder" in r.text), r.text[:300]


async def test_pelunasan_birth_step_left_for_a_new_question(wizard):
    from tests.e2e.test_pelunasan import SHARE, VERIFY

    await wizard.send(111, f"/pelunasan {C}")
    await wizard.press(VERIFY)
    if wizard.channel_name == "telegram":  # WhatsApp: the sender's number, no contact
        await wizard.press(SHARE)
    r = await wizard.send(111, "kenapa harus tanggal lahir?")
    assert "Pengecekan pelunasan saya hentikan" in r.text and "flow" not in wizard.chat_data(111)
    if wizard.channel_name == "telegram":
        assert r[0].reply_markup == {"remove_keyboard": True}


async def test_pelimpahan_reads_two_digit_years_and_pauses_for_a_question(wizard):
    await wizard.send(111, "/pelimpahan")
    await wizard.press("Meninggal dunia")
    r = await wizard.send(111, "kapan jadwal pelunasan tahap satu?")
    assert "Panduan pelimpahan saya jeda" in r.text and "flow" not in wizard.chat_data(111)
    r = await wizard.send(111, "/pelimpahan")  # resumes at the date question
    assert "2/6" in r.text
    r = await wizard.send(111, "tanggal 10/3/23")
    assert "3/6" in r.text


@pytest.mark.parametrize("text", [
    f"Budi tanya, brp kali porsi {A} bs dilimpahkan",
    f"porsi {A} sudah wafat, bagaimana syarat pelimpahannya?",
    f"my father's porsi {A}, can his son take it over if he dies?",
    # short questions too ("berapa biaya pelunasannya" is about the season, not the card)
    f"porsi {A} berapa biaya pelunasannya",
    f"{A} apa syarat pelimpahan?",
])
async def test_a_question_beside_the_porsi_is_answered_after_its_card(bot, text):
    r = await bot.send(111, text)
    assert len(r) >= 2 and (CARD_ID in r[0].text or CARD_EN in r[0].text)
    assert bot.gateway.lookups == [A]
    assert CARD_ID not in r[-1].text and CARD_EN not in r[-1].text  # the FAQ's reply to the rest


@pytest.mark.parametrize("text", [
    f"assalamualaikum pak, porsi ibu saya {A}, kapan berangkat ya",
    f"pak mau tanya, porsi {A} berangkat tahun berapa?",
    f"hi, my mother's porsi is {A}, when does she leave?",
    # English forms of "when do I go" / "how many ahead of me" (issue 15, third round)
    f"my porsi is {A}, when will i go?",
    f"porsi {A} - how many people are ahead of me in the queue?",
])
async def test_a_question_about_the_porsi_itself_is_the_card_alone(bot, text):
    r = await bot.send(111, text)
    assert len(r) == 1 and bot.outcome()["topic"] == "status"


@pytest.mark.parametrize("text, said", [
    ("👍", "Baik."), ("🙏🙏", "Sama-sama"), ("?", "belum mengerti"), ("...", "belum mengerti"),
])
async def test_signs_alone_get_a_nod_or_the_menu_never_out_of_scope(bot, text, said):
    r = await bot.send(111, text)
    assert said in r.text and "Cek status porsi" in r.buttons
    assert "tidak bisa menjawab" not in r.text and bot.gateway.lookups == []


@pytest.mark.parametrize("text", ["/batal", "batal", "cancel"])
async def test_cancel_while_waiting_for_a_porsi_stops_the_wait(bot, text):
    await bot.send(111, "/porsi")
    assert bot.chat_data(111).get("flow") == "status"
    r = await bot.send(111, text)
    assert "sudah diakhiri" in r.text and "Cek status porsi" in r.buttons
    assert "flow" not in bot.chat_data(111) and bot.gateway.lookups == []
    assert "membatalkan pendaftaran" not in r.text  # not the FAQ on cancelling a registration


@pytest.mark.parametrize("text", ["/batal", "batal"])
async def test_cancel_with_nothing_running_says_so(bot, text):
    r = await bot.send(111, text)
    assert "Tidak ada percakapan yang sedang berjalan" in r.text and "Cek status porsi" in r.buttons
    assert "tidak dikenal" not in r.text


@pytest.mark.parametrize("text, said", [
    ("مرحبا كيف حالك", "hanya memahami bahasa Indonesia dan bahasa Inggris"),
    ("السلام عليكم", "Wa'alaikumussalam"),
    ("你好", "I understand only Indonesian and English"),
])
async def test_another_script_is_told_which_languages_the_bot_reads(bot, text, said):
    r = await bot.send(111, text)
    assert said in r.text and "Cek status porsi" in r.buttons
    assert "tidak bisa menjawab" not in r.text


@pytest.mark.parametrize("glued, digits", [(A + B, 20), (A * 5, 50)])
async def test_porsi_pasted_together_are_told_to_separate_them(bot, glued, digits):
    r = await bot.send(111, glued)
    assert f"yang Anda kirim {digits} angka" in r.text and "Pisahkan dengan spasi" in r.text
    assert bot.gateway.lookups == []


async def test_a_start_link_with_a_porsi_shows_its_card_after_the_welcome(bot):
    r = await bot.send(111, f"/start {A}")  # t.me/<bot>?start=3509412276
    assert "asisten otomatis" in r[0].text and CARD_ID in r[-1].text
    assert bot.gateway.lookups == [A]
    r = await bot.send(111, "/start campaign_x")  # any other start parameter: the welcome
    assert len(r) == 1 and bot.gateway.lookups == [A]
