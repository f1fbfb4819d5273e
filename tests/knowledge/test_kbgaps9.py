"""kbgaps9, knowledge-base gaps: questions people asked that no entry answered (the
writers' gaps files) now reach an entry, and the entry says what its sources say."""

from __future__ import annotations

import pytest

from knowledge.kb_schema import default_kb
from knowledge.matcher import Matcher
from knowledge.out_of_scope import asks_about_gap


@pytest.fixture(scope="module")
def m() -> Matcher:
    return Matcher(default_kb())


@pytest.mark.parametrize("text, entry", [
    # withdrawing the payoff (or part of the money) while keeping the place in the queue
    ("udah lunas tapi ga jadi berangkat krn sakit, uang pelunasan bisa ditarik?", "tarik-pelunasan"),
    ("pelunasan sudah dibayar tapi bapak batal berangkat, uang pelunasannya bisa diambil tanpa "
     "hilang porsi?", "tarik-pelunasan"),
    ("bisa tarik sebagian uang haji tapi tetap antre?", "tarik-pelunasan"),
    # why the cost rises from season to season
    ("kenapa ya biaya haji tiap tahun naik terus?", "biaya-haji-naik"),
    ("why does the hajj cost keep going up", "biaya-haji-naik"),
    # messages and links in the ministry's name
    ("ada pesan wa atas nama kemenag suruh klik link buat update data haji, itu asli?", "pesan-palsu"),
    ("I received an SMS with a link saying it is from the hajj ministry, is it real?", "pesan-palsu"),
    # family members in different kloter
    ("My parents are husband and wife but ended up in different flight groups. Can that be fixed "
     "so they travel together?", "mutasi-kloter"),
    ("suami istri beda kloter, bisa dimutasi jadi satu kloter?", "mutasi-kloter"),
    # not istithaah this season: is it for good (the payoff entry answers it)
    ("ibu tidak istithaah tahun ini, musim berikutnya masih bisa berangkat?",
     "pelunasan-tidak-istithaah"),
    # an elderly pilgrim without a companion (the companion entry answers it)
    ("bapak 70 th, ga ada anak yg daftar haji, boleh berangkat tanpa pendamping?",
     "pendamping-lansia-syarat"),
    ("lansia boleh berangkat haji tanpa pendamping?", "pendamping-lansia-syarat"),
])
def test_a_typical_question_reaches_its_entry(m, text, entry):
    assert not asks_about_gap(text)
    got = m.match(text)
    assert (got.decision, got.entry_id) == ("answer", entry), got


def _answer(entry_id: str, lang: str = "id") -> str:
    entry = default_kb()[entry_id]
    return entry.answer.id if lang == "id" else entry.answer.en or ""


def test_withdrawing_the_payoff_keeps_the_porsi_and_the_deposit_does_not():
    text = _answer("tarik-pelunasan")
    assert "Menarik setoran pelunasan saja: nomor porsi tetap" in text
    assert "Menarik setoran awal juga: porsinya gugur" in text
    # what the sources do not say is said plainly
    assert "tidak disebut sumber kami" in text


def test_the_cost_entry_names_its_causes_and_that_it_can_fall():
    text = _answer("biaya-haji-naik", "en")
    for cause in ("exchange rate", "service prices", "more service", "nilai manfaat"):
        assert cause in text
    assert "does not always rise" in text


def test_the_phishing_entry_says_not_to_click_and_where_official_news_is():
    text = _answer("pesan-palsu")
    assert "Jangan klik tautannya" in text
    assert ".go.id" in text and "/porsi" in text


def test_a_kloter_move_is_not_promised():
    text = _answer("mutasi-kloter")
    assert "tidak dijamin" in text and "kursi kosong" in text


def test_failing_istithaah_is_not_said_to_be_final():
    text = _answer("pelunasan-tidak-istithaah")
    assert "Tidak otomatis batal selamanya" in text
    assert "Pasal 27" in text


def test_a_companion_is_not_said_to_be_compulsory():
    text = _answer("pendamping-lansia-syarat")
    assert "tidak menyebut bahwa setiap lansia wajib" in text


@pytest.mark.parametrize("entry_id", [
    "tarik-pelunasan", "biaya-haji-naik", "pesan-palsu", "mutasi-kloter",
])
def test_each_new_entry_cites_checked_sources(entry_id):
    entry = default_kb()[entry_id]
    pages = [s for s in entry.source if s.url]
    assert pages and all(s.checked is not None for s in pages)
