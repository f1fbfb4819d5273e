"""Issue 15, seventh round: the edges of what the bot does - a request for a person however it
is put, out of scope told where to go, small talk answered with a nod (faq_edge_dev7 and the
lead's own phrasings, written before looking at the patterns)."""

from __future__ import annotations

import pytest

from handlers.faq import matcher
from knowledge.chat_words import acknowledges
from knowledge.human_request import asks_for_human
from knowledge.normalize import normalize


@pytest.mark.parametrize("text", [
    # the bot failing the person
    "saya kecewa, jawabannya tidak membantu sama sekali",
    "jawaban bot ini ga nyambung",
    "bot bodoh, saya mau orang",
    "this bot is useless, i want a person",
    "this bot doesn't understand me",
    "sudah tiga kali tanya ga dijawab bener, tolong petugasnya",
    "gak usah pake bot deh, langsung ke manusianya aja",
    # a person, bare or in regional words
    "mau orang aja",
    "I need to talk to a real person",
    "kulo pengen ngomong kalih tiyang mawon",
    "abdi hoyong ngobrol sareng jalmi, sanes robot",
    "ambo nio bicaro jo urang kantor kemenag langsuang",
    # is anyone there
    "halo ada orang?",
    "kok gak ada yang balas sih, ada orang gak?",
    "hello anybody there?",
    # being called back, a number, who to contact
    "Pak, saya minta ditelepon balik",
    "berapa nomor wa petugas haji kabupaten",
    "tanggal lahir bapak di siskohat keliru, siapa yg bisa saya hubungi langsung buat benerin",
    # a complaint, a case passed up, a dispute
    "saya ingin mengadukan pelayanan bank penerima setoran",
    "lapor min",
    "tolong sampaikan ke atasan",
    "Please escalate my case",
    "hubungkan saya ke bagian haji",
    "keluarga kami bertengkar soal porsi almarhumah, butuh mediasi dari kemenag",
    "kok porsi saya tiba2 statusnya batal?? saya gak pernah minta batal. tolong dicek sama orang",
    # a second batch, written before the patterns for it
    "may I speak to your supervisor", "I want to speak to the manager", "representative",
    "talk to a representative", "tolong bantu saya, darurat",
    "emergency, my father collapsed at the airport, who can help",
    "bapak saya tertinggal rombongan di jeddah, tolong segera bantu", "min japri dong",
    "DM dong min", "kulo nyuwun tulung dipun telpon", "kek mana cara ngomong sama petugasnya lae",
    "tolong bantu saya langsung, saya tidak bisa baca tulis",
    "saya mau ajukan keberatan atas keputusan pembatalan", "males sama bot",
    "what's the hotline number", "can someone help me please",
    "Mohon maaf, saya sudah lanjut usia. Apakah saya bisa dihubungi melalui telepon oleh petugas?",
    # a third batch: going round in circles, explained by a person, Sundanese
    "muter muter terus jawabannya", "kok jawabannya itu itu aja",
    "saya gak ngerti maksudnya, bisa dijelasin sama petugas langsung?",
    "punten, tiasa disambungkeun ka petugas?",
    # faq_edge_dev8 (a second writer): someone to put it right, help urgently, reporting
    "nama saya di data haji salah ketik, siapa yg bisa benerin?",
    "hello sir i am TKI in malaysia, my name spelled wrong in hajj data, who can fix it",
    "my mother lost in mina, nobody from her group answering, please help urgent",
    "the bank charged me a fee on my hajj savings that nobody explained, I want to report it",
    # a case left without follow-up, a demand
    "sudah seminggu laporan saya tidak ditindaklanjuti",
    "my father's data was changed without permission, I demand an explanation",
    # the message handed on (eighth round, faq_formal_dev10)
    "Mohon pertanyaan saya diteruskan kepada petugas yang berwenang",
    "mohon disampaikan kepada pihak yang berwenang",
])
def test_a_request_for_a_person_however_it_is_put(text):
    assert asks_for_human(normalize(text)), normalize(text)


@pytest.mark.parametrize("text", [
    # the same words in questions the knowledge base answers
    "saya kecewa porsi ibu belum berangkat juga, kapan berangkatnya?",
    "nomor porsi saya sudah dicek petugas, kapan lunas?",
    "apakah lansia perlu orang pendamping?",
    "di kampung saya ada orang yang porsinya dilimpahkan, syaratnya apa",
    "kalau tidak paham cara pelunasan, tanya kemana?",
    "if my father does not understand the rules can I help him",
    "ke mana mengadukan pelayanan kantor haji yang buruk?",
    "where can I complain about the bank",
    "bapak sudah dihubungi kembali oleh bank untuk pelunasan, apa yang dibawa",
    "ada orang yang bisa menggantikan porsi ibu?",
    "berapa orang yang boleh mendampingi lansia",
    "bukan mau komplain ya, cuma tanya kenapa estimasi keberangkatan saya mundur 2 tahun",
    "siapa yang bisa saya hubungi untuk ganti data",
    "manager bank bilang pelunasan belum bisa, kenapa ya",
    "apakah ada prioritas untuk lansia yang sakit?",
    "not complaining, just asking: why did my departure year change?",
    "mau lapor kemana kalau pelayanan kantor haji buruk?",
    "siapa yang bisa mengurus pelimpahan porsi almarhum?",
    "dokumen yang disampaikan kepada petugas apa saja",
    "mohon info apa saja yang diteruskan ke petugas kanwil",
])
def test_the_same_words_in_a_question_are_not_a_request_for_a_person(text):
    assert not asks_for_human(normalize(text)), normalize(text)


@pytest.mark.parametrize("text", ["baik pak nanti saya coba", "oh begitu siap",
                                  "aamiin semoga sehat selalu", "ok i will try later",
                                  "oalah gitu", "siap insyaallah besok saya ke kantor",
                                  "sehat selalu pak", "hehe maaf salah ketik"])
def test_an_acknowledgement_is_small_talk(text):
    assert acknowledges(text.split())


@pytest.mark.parametrize("text", ["saya coba", "nanti saya cek dulu porsi", "baik kapan lunas",
                                  "ok " * 13])
def test_a_question_or_a_bare_intention_is_not_an_acknowledgement(text):
    assert not acknowledges(text.split())


@pytest.mark.parametrize("text", ["arti mimpi naik haji apa ya", "who is the minister of religious affairs now",
                                  "what is the price of gold today",
                                  "ktp elektronik saya rusak, ganti dimana",
                                  "tolong buatkan puisi untuk ibu saya yang mau haji",
                                  "berapa biaya bikin paspor biasa",
                                  "apa syarat bikin kartu keluarga baru",
                                  "pembagian warisan menurut islam gimana",
                                  "cara daftar jadi petugas haji 2027",
                                  "biaya kuliah di madinah berapa",
                                  "tolong hitung cicilan motor saya",
                                  "siapa presiden indonesia sekarang",
                                  "jam berapa sekarang di mekkah",
                                  "what is the capital of saudi arabia",
                                  "aplikasi m-banking saya error ga bisa login gimana",
                                  "my whatsapp keeps crashing how to fix"])
def test_other_matters_are_out_of_scope(text):
    m = matcher().match(text)
    assert m.decision == "handoff" and m.reason == "out_of_scope", m


@pytest.mark.parametrize("text", ["ktp saya hilang, apakah masih bisa daftar haji?",
                                  "paspor haji dibuatkan kemenag atau bikin sendiri?",
                                  "porsi haji almarhum ayah termasuk warisan?",
                                  "akta kematian harus dari mana desa atau dukcapil"])
def test_the_same_words_in_a_hajj_question_stay_in_scope(text):
    m = matcher().match(text)
    assert m.reason != "out_of_scope", m


def test_missing_the_pelunasan_deadline_in_english_is_the_late_payment_entry():
    m = matcher().match("what happens if I miss the pelunasan deadline")
    assert m.decision == "answer" and m.entry_id == "pelunasan-terlambat", m
