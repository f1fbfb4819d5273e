"""e2e: the pelimpahan guide through the real Application and the fake Bot API: the wizard with
back, cancel and a restart in the middle, every refusal, the checklist across a restart, and the
DOCX letters and summary."""

from __future__ import annotations

import io
import logging

import docx
import pytest

from knowledge.records import History, Identity, PilgrimRecord, WaitingList
from knowledge.values import PilgrimStatus

FEATURES = ["start", "status", "pelimpahan", "router"]
RELAXED = {"throttle_burst": 1000}
CHAT = 4242
PORSI = "0100123456"
RECIPIENT = "Nur Aisyah Binti Ahmad"
PILGRIM = "H. Ahmad Zulkifli"


def docx_text(sent) -> str:
    d = docx.Document(io.BytesIO(sent.file_bytes))
    cells = [c.text for t in d.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


class Errors:
    def __init__(self, app):
        self.seen: list[BaseException] = []

        async def count(update, context):
            self.seen.append(context.error)

        app.add_error_handler(count)


@pytest.fixture
async def bot(make_channel_harness, fake_gateway):
    fake_gateway.add(PilgrimRecord(
        porsi=PORSI,
        identity=Identity(name="Ahmad Zulkifli", status=PilgrimStatus.WAFAT),
        waiting=WaitingList(province="Bengkulu", regency="Kota Bengkulu"),
        history=History(transferred_in=False, related_porsi=("0100999999",)),
    ))
    async with make_channel_harness(settings_overrides=RELAXED, features=FEATURES) as h:
        h.errors = Errors(h.app)
        yield h
        assert h.errors.seen == []


async def answer_until_porsi(h, *, relation: str = "Anak kandung") -> None:
    r = await h.send(CHAT, "/pelimpahan")
    assert "1/6" in r.text and h.outcome()["topic"] == "pelimpahan"
    r = await h.press("Meninggal dunia")
    assert "2/6" in r.text and "meninggal dunia" in r.text
    r = await h.send(CHAT, "10 Maret 2023")
    assert "3/6" in r.text
    r = await h.press("Ya, sebelum berangkat")
    assert "4/6" in r.text
    r = await h.press(relation)
    assert "5/6" in r.text
    r = await h.send(CHAT, "17/8/1990")
    assert "6/6" in r.text


async def test_full_wizard_with_porsi_checklist_letters_and_summary(bot, fake_gateway, caplog):
    caplog.set_level(logging.INFO)  # the production level
    await answer_until_porsi(bot)
    r = await bot.send(CHAT, PORSI)
    assert fake_gateway.lookups == [PORSI]
    assert "Kota Bengkulu" in r.text
    assert "living cost" in r.text  # died before departure: the living-cost question
    assert "Ahmad Zulkifli" not in r.text  # public data only: no name shown
    r = await bot.press("Belum / tidak")
    assert "dapat diajukan untuk dilimpahkan" in r.text
    assert "Kankemenag Kota Bengkulu" in r.text
    # not verified for this porsi: porsi_terkait / asal_pelimpahan are not public data, so the
    # rules are stated instead of the record's "2 porsi"
    assert "nomor porsi lainnya dibatalkan" not in r.text and "(2)" not in r.text
    assert "hanya dapat dilimpahkan satu kali" in r.text
    assert "lebih dari satu nomor porsi" in r.text
    assert "rekomendasi" in r.text and "Akta kematian" in r.text
    assert "UU 8/2019" in r.text

    r = await bot.press("Daftar dokumen")
    assert "0 dari 5 dokumen siap" in r.text
    r = await bot.press("☐ 1. Akta kematian")
    # Telegram edits the checklist in place; WhatsApp cannot edit: a new message
    assert r[0].kind == ("edit" if bot.channel_name == "telegram" else "text")
    assert "1 dari 5 dokumen siap" in r.text
    await bot.press("☐ 2. Bukti setoran")
    r = await bot.press("☐ 4. Surat tanggung jawab")
    assert "3 dari 5 dokumen siap" in r.text
    r = await bot.press("☑ 4. Surat tanggung jawab")  # untick
    assert "2 dari 5 dokumen siap" in r.text

    await bot.restart()
    r = await bot.send(CHAT, "/pelimpahan")  # a finished guide starts afresh ...
    assert "1/6" in r.text
    await bot.restart()
    r = await bot.press("Daftar dokumen")  # ... but the checklist survived both restarts
    assert "2 dari 5 dokumen siap" in r.text
    assert "☑ 1. Akta kematian" in r.buttons and "☐ 3. Surat kuasa keluarga" in r.buttons
    # persyaratan 5 and 6 are alternatives: one item, ticked by either, counted once
    assert "☐ 5. Bukti hubungan keluarga" in r.buttons and len(r.buttons) == 5 + 3
    assert "atau bukti lain hubungan" in r.text
    r = await bot.press("☐ 5. Bukti hubungan keluarga")
    assert "3 dari 5 dokumen siap" in r.text


async def test_transfer_history_only_for_a_chat_verified_for_the_porsi(bot, fake_gateway):
    from datetime import timedelta

    from db import repos_verification

    transferred = "0100777777"
    fake_gateway.add(PilgrimRecord(
        porsi=transferred, identity=Identity(name="Siti", status=PilgrimStatus.WAFAT),
        waiting=WaitingList(province="Bengkulu", regency="Kota Bengkulu"),
        history=History(transferred_in=True)))
    await answer_until_porsi(bot)
    r = await bot.send(CHAT, transferred)  # anyone typing the number: never a false yes
    assert "terverifikasi" not in r.text
    assert "dapat diajukan untuk dilimpahkan" not in r.text
    assert "sendiri berasal dari pelimpahan" in r.text

    with bot.db.session() as session:  # the pelunasan flow verified this chat for the porsi
        repos_verification.add_link(session, chat_id=bot.chat_of(CHAT),
                                    user_id=bot.chat_of(CHAT), porsi=transferred,
                                    now=bot.services.clock(), ttl=timedelta(days=30))
    await bot.press("Mulai dari awal")
    await bot.press("Meninggal dunia")
    await bot.send(CHAT, "10 Maret 2023")
    await bot.press("Ya, sebelum berangkat")
    await bot.press("Anak kandung")
    await bot.send(CHAT, "17/8/1990")
    r = await bot.send(CHAT, transferred)
    assert "terverifikasi" in r.text
    # the record decides it: the verdict at once, no living-cost question
    assert "living cost" not in r.text
    assert "belum dapat dilimpahkan" in r.text and "sendiri berasal dari pelimpahan" in r.text


async def test_letters_are_docx_with_names_and_porsi(bot, caplog):
    caplog.set_level(logging.INFO)  # the production level
    await answer_until_porsi(bot)
    await bot.send(CHAT, PORSI)
    await bot.press("Belum / tidak")
    r = await bot.press("Draf surat")
    assert "nama lengkap penerima" in r.text
    r = await bot.send(CHAT, RECIPIENT)
    assert "nama lengkap jemaah" in r.text
    r = await bot.send(CHAT, PILGRIM)
    docs = r.of("sendDocument")
    assert len(docs) == 3
    names = [d.file_name for d in docs]
    assert any("permohonan" in n for n in names) and any("kuasa" in n for n in names)
    assert any("tanggung jawab mutlak" in n for n in names)
    for d in docs:
        assert d.file_name.endswith(".docx")
        text = docx_text(d)
        assert "DRAF — periksa kembali dengan format Kankemenag setempat" in text
        assert RECIPIENT in text and PILGRIM in text and PORSI in text
    kuasa = docx_text(next(d for d in docs if "kuasa" in d.file_name))
    assert "Ketua RT" in kuasa and "Ketua RW" in kuasa and "Lurah/Kepala Desa" in kuasa
    assert "10 Maret 2023" in kuasa and "anak kandung" in kuasa
    assert "periksa kembali dengan format Kankemenag setempat" in r.text
    # names are personal data: not kept after the letters, never logged
    assert RECIPIENT not in str(bot.chat_data(CHAT))
    assert RECIPIENT not in caplog.text and PILGRIM not in caplog.text

    await bot.press("Daftar dokumen")
    await bot.press("☐ 1. Akta kematian")
    r = await bot.press("Ringkasan")
    summary = r.of("sendDocument")
    assert len(summary) == 1
    # WhatsApp: a document carries no buttons, they follow it in their own message
    assert (summary[0].buttons if bot.channel_name == "telegram" else r.buttons) == ["Menu"]
    text = docx_text(summary[0])
    assert "RINGKASAN PELIMPAHAN" in text and PORSI in text
    assert "1 dari 5 dokumen siap" in text and "☑ Akta kematian" in text
    assert "☐ Bukti setoran" in text and "Kankemenag Kota Bengkulu" in text
    assert text.count("Tempat pengajuan") == 1  # its own field line, not again in the verdict
    assert text.count("Kankemenag Kota Bengkulu") == 1
    # each document once: in the ticked list, not again in the verdict's numbered list
    assert text.count("Akta kematian") == 1 and "Dokumen yang dibawa" not in text
    assert "Langkah-langkah" in text  # the rest of the verdict stays
    letter = docx_text(next(d for d in docs if "permohonan" in d.file_name))
    assert "Lampiran" in letter and "5 berkas" in letter
    assert "akta nikah (salinan); atau bukti lain" in letter


async def test_back_cancel_and_restart_in_the_middle(bot):
    await bot.send(CHAT, "/pelimpahan")
    await bot.press("Sakit permanen")
    r = await bot.send(CHAT, "2024-01-15")
    assert "3/6" in r.text
    r = await bot.press("Kembali")
    assert "2/6" in r.text and "rumah sakit" in r.text
    r = await bot.send(CHAT, "31-02-2024")
    assert "tidak ada di kalender" in r.text and "2/6" in r.text
    r = await bot.send(CHAT, "1 Januari 2030")
    assert "belum lewat" in r.text
    r = await bot.send(CHAT, "kemarin sore")
    assert "tidak dapat kami baca" in r.text and "29-04-2019" in r.text
    r = await bot.send(CHAT, "15 Jan 2024")
    assert "3/6" in r.text

    await bot.restart()  # a deploy in the middle of the guide
    r = await bot.press("Ya, sebelum berangkat")
    assert "4/6" in r.text
    r = await bot.send(CHAT, "kembali")  # typed back
    assert "3/6" in r.text
    await bot.press("Ya, sebelum berangkat")
    await bot.restart()
    r = await bot.send(CHAT, "/pelimpahan")  # resumes, does not start over
    assert "kita lanjutkan" in r.text and "4/6" in r.text
    r = await bot.press("Batal")
    assert "dibatalkan" in r.text
    assert "pelimpahan" not in bot.chat_data(CHAT)
    assert bot.chat_data(CHAT).get("flow") is None


async def test_sakit_permanen_without_porsi_skips_living_cost(bot):
    await bot.send(CHAT, "/pelimpahan")
    await bot.press("Sakit permanen")
    await bot.send(CHAT, "2018-02-01")  # before 29 April 2019: the cut-off is for deaths only
    await bot.press("Ya, sebelum berangkat")
    await bot.press("Istri")
    await bot.send(CHAT, "1 Jan 1965")
    r = await bot.press("Lewati")
    assert "dapat diajukan untuk dilimpahkan" in r.text
    assert "rumah sakit pemerintah" in r.text
    assert "Kankemenag kabupaten/kota tempat jemaah terdaftar" in r.text


async def test_died_before_cutoff_is_refused_at_once(bot):
    await bot.send(CHAT, "/pelimpahan")
    await bot.press("Meninggal dunia")
    r = await bot.send(CHAT, "28-04-2019")
    # the date alone decides: the verdict now, not 4 more questions
    assert "3/6" not in r.text and "belum dapat dilimpahkan" in r.text
    assert "28 April 2019" in r.text and "mulai 29 April 2019" in r.text
    assert "Yang dapat dilakukan" in r.text and "Kepdirjen PHU 130/2020" in r.text
    assert "Tempat bertanya" in r.text
    assert "Hubungi petugas" in r.buttons and "Draf surat (DOCX)" not in " ".join(r.buttons)
    assert bot.chat_data(CHAT).get("flow") is None  # the guide is over
    r = await bot.press("Ringkasan")
    text = docx_text(r.of("sendDocument")[0])
    assert "belum dapat dilimpahkan" in text and "28 April 2019" in text
    assert text.count("Tempat bertanya") == 1 and "Tempat pengajuan" not in text
    r = await bot.press("Hubungi petugas")
    assert bot.outcome()["handoff"] is True


async def test_after_departure_is_refused_at_once(bot):
    await bot.send(CHAT, "/pelimpahan")
    await bot.press("Meninggal dunia")
    await bot.send(CHAT, "1 Mei 2020")
    r = await bot.press("Tidak, sudah berangkat")
    assert "4/6" not in r.text and "belum dapat dilimpahkan" in r.text
    assert "sebelum berangkat ke Arab Saudi" in r.text and "Yang dapat dilakukan" in r.text
    assert "🖨 Ringkasan (DOCX)" in r.buttons and "Draf surat (DOCX)" not in " ".join(r.buttons)


async def test_under_12_is_refused_before_the_porsi_question(bot):
    await bot.send(CHAT, "/pelimpahan")
    await bot.press("Meninggal dunia")
    await bot.send(CHAT, "1 Mei 2020")
    await bot.press("Ya, sebelum berangkat")
    await bot.press("Anak kandung")
    r = await bot.send(CHAT, "2 Maret 2014")  # 11 on 3 March 2025, 12 tomorrow
    assert "6/6" not in r.text and "belum dapat dilimpahkan" in r.text
    assert "minimal 12 tahun" in r.text and "ajukan mulai 2 Maret 2026" in r.text
    # the departure age is said once, in the refusal, not again under "Perhatian"
    assert "Perhatian" not in r.text and r.text.count("18 tahun") == 1


async def test_relation_words_typed(bot):
    await bot.send(CHAT, "/pelimpahan")
    await bot.press("Meninggal dunia")
    await bot.send(CHAT, "1 Mei 2020")
    await bot.press("Ya, sebelum berangkat")
    r = await bot.press("Lainnya")
    assert "Ketik hubungan" in r.text
    r = await bot.send(CHAT, "menantu")
    assert "tidak termasuk" in r.text and "saudara kandung" in r.text
    assert "UU 8/2019" in r.text and "Hubungi petugas" in r.buttons
    r = await bot.send(CHAT, "sahabat lama")
    assert "belum mengenali" in r.text and "anak kandung" in r.text
    r = await bot.send(CHAT, "kakak kandung")
    assert "5/6" in r.text
    await bot.send(CHAT, "1 Jan 1970")
    r = await bot.press("Lewati")
    assert "living cost" in r.text
    r = await bot.press("Belum / tidak")
    assert "saudara kandung" in r.text and "dapat diajukan" in r.text


async def test_ambiguous_relation_words_are_asked_with_buttons(bot):
    await bot.send(CHAT, "/pelimpahan")
    await bot.press("Meninggal dunia")
    await bot.send(CHAT, "1 Mei 2020")
    await bot.press("Ya, sebelum berangkat")
    r = await bot.send(CHAT, "saudara")  # typed at the relation question: asked, not refused
    assert "saudara seayah, atau saudara seibu?" in r.text and "tidak termasuk" in r.text
    assert "belum mengenali" not in r.text and "4/6" not in r.text
    assert r.buttons[:3] == ["Saudara kandung", "Saudara seayah", "Saudara seibu"]
    assert "Lainnya (ketik)" in r.buttons and "« Kembali" in r.buttons
    r = await bot.press("Saudara seayah")  # excluded by the 2020 rule: refused with the rule
    assert '"saudara seayah" tidak termasuk' in r.text
    assert "UU 8/2019" in r.text and "Hubungi petugas" in r.buttons
    r = await bot.press("Lainnya")
    assert "Ketik hubungan" in r.text
    r = await bot.send(CHAT, "mas")
    assert "kakak kandung jemaah, suami jemaah" in r.text
    r = await bot.callback(CHAT, "pelimpahan:relq:sibling_or_husband:9", 1)  # no such option
    assert "pertanyaan sebelumnya" in r.text
    r = await bot.send(CHAT, "ortu")
    assert "Ayah atau ibu jemaah?" in r.text
    r = await bot.press("Ibu")
    assert "5/6" in r.text
    await bot.send(CHAT, "1 Jan 1950")
    r = await bot.press("Lewati")
    r = await bot.press("Belum / tidak")
    assert "dapat diajukan" in r.text and "ibu" in r.text


async def test_ambiguous_relation_word_in_english(bot):
    await bot.callback(CHAT, "bahasa:set:en", 1)
    await bot.send(CHAT, "/pelimpahan", language_code="en")
    await bot.press("Died")
    await bot.send(CHAT, "29 April 2019", language_code="en")
    await bot.press("Yes, before departure")
    r = await bot.send(CHAT, "my sibling's spouse", language_code="en")
    assert "cannot" in r.text  # a relation of a relation: refused with the rule
    r = await bot.send(CHAT, "parents", language_code="en")
    assert "The pilgrim's father or mother?" in r.text and r.buttons[:2] == ["Father", "Mother"]
    r = await bot.press("Father")
    assert "5/" in r.text


async def test_typed_relation_words_with_qualifiers_go_on(bot):
    await bot.send(CHAT, "/pelimpahan")
    await bot.press("Meninggal dunia")
    await bot.send(CHAT, "1 Mei 2020")
    await bot.press("Ya, sebelum berangkat")
    r = await bot.send(CHAT, "istri sah almarhum")
    assert "5/6" in r.text


async def test_other_cause_and_stale_buttons(bot):
    r = await bot.callback(CHAT, "pelimpahan:start", 1)
    assert "1/6" in r.text
    r = await bot.press("Alasan lain")
    assert "meninggal dunia atau sakit permanen" in r.text and "Hubungi petugas" in r.buttons
    r = await bot.press("Mulai dari awal")
    assert "1/6" in r.text
    await bot.press("Meninggal dunia")
    r = await bot.callback(CHAT, "pelimpahan:dep:y", 1)  # a button of another question
    assert "pertanyaan sebelumnya" in r.text and "2/6" in r.text


async def test_english(bot):
    await bot.callback(CHAT, "bahasa:set:en", 1)  # the /bahasa choice holds for buttons too
    r = await bot.send(CHAT, "/pelimpahan", language_code="en")
    assert "What happened to the pilgrim" in r.text
    await bot.press("Died")
    await bot.send(CHAT, "29 April 2019", language_code="en")
    await bot.press("Yes, before departure")
    await bot.press("Husband")
    await bot.send(CHAT, "1 January 1960", language_code="en")
    await bot.press("Skip")
    r = await bot.press("Don't know")
    assert "can be submitted for transfer" in r.text
    assert "must return it" in r.text


async def test_menu_button_and_leaving_for_the_menu(bot):
    await bot.send(CHAT, "/start")
    r = await bot.press("Pelimpahan")  # the main menu's pelimpahan:start
    assert "1/6" in r.text
    await bot.press("Meninggal dunia")
    r = await bot.send(CHAT, "menu")  # typed while a date is expected: the menu, not an error
    assert "Cek status porsi" in r.buttons and "tidak dapat kami baca" not in r.text
    assert bot.chat_data(CHAT).get("flow") is None
    r = await bot.send(CHAT, "/pelimpahan")
    assert "kita lanjutkan" in r.text and "2/6" in r.text
    r = await bot.send(CHAT, "29/4/2019")
    assert "3/6" in r.text


async def test_bahasa_mid_guide_repeats_the_current_question_in_the_new_language(bot):
    await bot.send(CHAT, "/pelimpahan")
    await bot.press("Meninggal dunia")
    await bot.send(CHAT, "10 Maret 2023")
    r = await bot.send(CHAT, "/bahasa en")
    assert "answer in English" in r.text and "still open" in r.text
    assert "3/6" in r.text and "before departure" in r.text  # the pending question, in English
    assert "Yes, before departure" in r.buttons and "Check porsi status" not in r.buttons
    assert bot.chat_data(CHAT)["flow"] == "pelimpahan"
    r = await bot.press("Yes, before departure")
    assert "4/6" in r.text
    await bot.press("Child")
    r = await bot.callback(CHAT, "bahasa:set:id", 1)  # the /bahasa buttons do the same
    assert "masih terbuka" in r.text and "5/6" in r.text and "tanggal lahir" in r.text
    r = await bot.send(CHAT, "17/8/1990")  # the typed date still answers that question
    assert "6/6" in r.text


async def test_bahasa_after_the_guide_shows_the_menu(bot):
    await bot.send(CHAT, "/pelimpahan")
    await bot.press("Batal")
    r = await bot.send(CHAT, "/bahasa en")
    assert "still open" not in r.text and "Check porsi status" in r.buttons


async def test_typed_names_with_markup_separators_keep_the_signature_block_whole(bot):
    await answer_until_porsi(bot)
    await bot.press("Lewati")
    await bot.press("Belum / tidak")
    await bot.press("Draf surat")
    r = await bot.send(CHAT, " | ;")  # nothing but separators: not a name
    assert "nama lengkap" in r.text and "2 sampai 100 karakter" in r.text
    await bot.send(CHAT, "Nur Aisyah | Ketua RW ; X\u200b")
    r = await bot.send(CHAT, PILGRIM)
    for sent in r.of("sendDocument"):
        d = docx.Document(io.BytesIO(sent.file_bytes))
        cells = [c.text for t in d.tables for c in t.rows[0].cells if "Nur Aisyah" in c.text]
        assert cells and all("( Nur Aisyah Ketua RW X )" in c for c in cells), sent.file_name
        assert "|" not in docx_text(sent)


async def test_answers_typed_in_own_words_instead_of_pressed(bot):
    r = await bot.send(CHAT, "/pelimpahan")
    # the whole story at "what happened?": the death is the answer, the guide goes on
    r = await bot.send(CHAT, "bapak saya meninggal bulan lalu, bisa saya ambil porsinya?")
    assert "2/6" in r.text and "meninggal dunia" in r.text
    assert bot.chat_data(CHAT).get("flow") == "pelimpahan"
    await bot.send(CHAT, "10 Maret 2023")
    r = await bot.send(CHAT, "belum")  # before departure
    assert "4/6" in r.text
    r = await bot.send(CHAT, "Anak kandung")
    assert "5/6" in r.text
    await bot.send(CHAT, "17/8/1990")
    r = await bot.send(CHAT, "lewati")  # the button's label typed
    assert "living cost" in r.text
    r = await bot.send(CHAT, "gak tau")
    assert "dapat diajukan untuk dilimpahkan" in r.text
    assert bot.chat_data(CHAT)["pelimpahan"]["answers"]["living_cost"] is None


async def test_typed_illness_after_departure_and_other_cause(bot):
    await bot.send(CHAT, "/pelimpahan")
    r = await bot.send(CHAT, "ibu kena stroke, lumpuh")
    assert "2/6" in r.text and "surat keterangan sakit" in r.text
    await bot.send(CHAT, "1 Mei 2024")
    r = await bot.send(CHAT, "Tidak, sudah berangkat")
    assert "belum dapat dilimpahkan" in r.text
    await bot.send(CHAT, "/pelimpahan")
    r = await bot.send(CHAT, "alasan lain")
    assert "meninggal dunia atau sakit permanen" in r.text and "Hubungi petugas" in r.buttons


async def test_a_new_question_at_the_cause_still_pauses_the_guide(bot):
    await bot.send(CHAT, "/pelimpahan")
    r = await bot.send(CHAT, "kapan jadwal pelunasan tahap 1?")
    assert "1/6" not in r.text and "2/6" not in r.text
    assert bot.chat_data(CHAT).get("flow") is None


async def test_english_story_at_the_cause(bot):
    await bot.callback(CHAT, "bahasa:set:en", 1)
    await bot.send(CHAT, "/pelimpahan", language_code="en")
    r = await bot.send(CHAT, "my father died last month, can I take his porsi?",
                       language_code="en")
    assert "2/6" in r.text and "die" in r.text.casefold()


@pytest.mark.parametrize("text", ["saya mau bicara dengan petugas", "hubungkan ke admin"])
async def test_asking_for_a_person_at_a_typed_step_pauses_the_guide(bot, text):
    await bot.send(CHAT, "/pelimpahan")
    await bot.press("Meninggal dunia")
    r = await bot.send(CHAT, text)  # at the date question: not "a date we cannot read"
    assert "tidak dapat kami baca" not in r.text and bot.outcome()["handoff"] is True
    assert bot.chat_data(CHAT).get("flow") is None
    r = await bot.send(CHAT, "/pelimpahan")  # the answers stayed: it resumes
    assert "2/6" in r.text and "kita lanjutkan" in r.text


async def test_the_batal_command_stops_the_guide(bot):
    await bot.send(CHAT, "/pelimpahan")
    await bot.press("Meninggal dunia")
    r = await bot.send(CHAT, "/batal")  # as every guide's "ketik /batal" says
    assert "dibatalkan" in r.text and "tidak dikenal" not in r.text
    assert bot.chat_data(CHAT).get("flow") is None
