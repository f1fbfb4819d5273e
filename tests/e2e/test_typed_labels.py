"""e2e: a menu button's label typed instead of pressed does what the button does (people who
see the menu as words, WhatsApp users above all), in the label's language, also in the middle
of a guide; the same words inside a longer sentence are still a question."""

from __future__ import annotations

import pytest

from knowledge.records import Identity, PilgrimRecord, WaitingList
from knowledge.values import PilgrimStatus

PORSI = "3509412276"
SETTINGS = {"throttle_burst": 1000, "status_lookups_per_hour": 1000}


@pytest.fixture
async def bot(make_channel_harness, fake_gateway):
    fake_gateway.add(PilgrimRecord(
        porsi=PORSI, identity=Identity(name="Siti Aminah", status=PilgrimStatus.AKTIF),
        waiting=WaitingList(province="Jawa Timur", regency="Kab. Malang")))
    async with make_channel_harness(settings_overrides=SETTINGS) as h:
        yield h


@pytest.mark.parametrize("text, flow, said", [
    ("Cek status porsi", "status", "kirim nomor porsi"),
    ("cek status porsi.", "status", "kirim nomor porsi"),
    ("Pelunasan", "pelunasan", "Kirim nomor porsi yang ingin dicek"),
    ("Cek pelunasan saya", "pelunasan", "Kirim nomor porsi yang ingin dicek"),
    ("PELIMPAHAN", "pelimpahan", "1/6"),
    ("Mulai panduan pelimpahan", "pelimpahan", "1/6"),
    ("Tanya jawab", None, "ketik pertanyaan"),
])
async def test_a_menu_label_typed_is_the_button(bot, text, flow, said):
    r = await bot.send(111, text)
    assert said.casefold() in r.text.casefold()
    assert bot.chat_data(111).get("flow") == flow
    assert "belum yakin" not in r.text and "tidak bisa menjawab" not in r.text


@pytest.mark.parametrize("text, said", [
    ("Check porsi status", "Please send your nomor porsi"),
    ("Start the pelimpahan guide", "What happened to the pilgrim"),
])
async def test_an_english_label_is_answered_in_english(bot, text, said):
    r = await bot.send(111, text)
    assert said in r.text


async def test_a_menu_label_typed_inside_a_guide_leaves_it_for_that_button(bot):
    await bot.send(111, "/pelunasan")
    r = await bot.send(111, "Pelimpahan")  # not "I am waiting for a porsi number"
    assert "1/6" in r.text and bot.chat_data(111).get("flow") == "pelimpahan"
    r = await bot.send(111, "cek status porsi")
    assert bot.chat_data(111).get("flow") == "status"
    r = await bot.send(111, PORSI)
    assert "Status nomor porsi" in r.text


async def test_the_words_inside_a_sentence_are_a_question_not_a_button(bot):
    await bot.send(111, "pelimpahan itu apa sih")
    assert bot.chat_data(111).get("flow") is None


async def test_an_indonesian_label_keeps_an_english_chat_english(bot):
    await bot.callback(111, "bahasa:set:en", 1)
    r = await bot.send(111, "Pelimpahan", language_code="en")
    assert "What happened to the pilgrim" in r.text
