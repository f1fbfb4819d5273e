"""kbgaps10, knowledge-base gaps: a woman travelling without a mahram, saving up for the setoran
awal and how long a cancellation refund takes now reach an entry, and each entry names the
sources of what it says."""

from __future__ import annotations

import pytest

from knowledge.kb_schema import default_kb
from knowledge.matcher import Matcher
from knowledge.out_of_scope import asks_about_gap


@pytest.fixture(scope="module")
def m() -> Matcher:
    return Matcher(default_kb())


@pytest.mark.parametrize("text, entry", [
    # a woman without a mahram (Indonesian and Saudi rules)
    ("perempuan berangkat haji tanpa mahram boleh gak", "haji-tanpa-mahram"),
    ("does a woman need a mahram for hajj", "haji-tanpa-mahram"),
    ("sy janda umur 50an mau daftar haji sendiri tanpa mahram boleh gk", "haji-tanpa-mahram"),
    # saving up for the setoran awal
    ("setoran awal 25 juta itu bisa dicicil nggak", "setoran-awal"),
    # how long a cancellation refund takes
    ("dana pembatalan cair brp lama", "pembatalan"),
])
def test_a_typical_question_reaches_its_entry(m, text, entry):
    assert not asks_about_gap(text)
    got = m.match(text)
    assert (got.decision, got.entry_id) == ("answer", entry), got


@pytest.mark.parametrize("text", [
    # the fiqh ruling stays out of scope: the bot gives no hukum
    "apa hukumnya wanita berhaji tanpa mahram menurut mazhab syafii",
    "Can women go hajj without mahram according to islam?",
])
def test_the_religious_ruling_on_a_mahram_is_not_answered(m, text):
    got = m.match(text)
    assert got.entry_id != "haji-tanpa-mahram" or got.decision != "answer", got


@pytest.mark.parametrize("text, entry", [
    # neighbours keep their questions
    ("mahram wanita", "penggabungan"),
    ("What is penggabungan mahram and how to apply?", "penggabungan"),
    ("lupa nomor porsi", "lupa-nomor-porsi"),
    ("saya lupa nomor porsi dan bukti setorannya hilang, gimana cara tahu lagi?",
     "lupa-nomor-porsi"),
    ("syarat pelunasan", "pelunasan-siapa-boleh"),
    ("pelunasan menika saged dicicil mboten nggih? artane dereng cekap", "pelunasan-terlambat"),
])
def test_the_neighbours_keep_their_answers(m, text, entry):
    got = m.match(text)
    assert got.entry_id == entry, got


def _entry(entry_id: str):
    return default_kb()[entry_id]


def test_the_mahram_entry_gives_both_rules_and_names_them():
    e = _entry("haji-tanpa-mahram")
    assert "tidak harus berangkat bersama mahram" in e.answer.id
    assert "Arab Saudi" in e.answer.id and "2023" in e.answer.id
    assert "ketua regu" in e.answer.id
    urls = " ".join(s.url or "" for s in e.source)
    assert "republika" in urls and "himpuh.or.id" in urls
    assert all(s.checked for s in e.source if s.url)


def test_saving_up_is_a_bank_product_and_the_porsi_waits_for_the_full_deposit():
    text = _entry("setoran-awal").answer.id
    assert "tabungan haji" in text and "nomor porsi baru didapat" in text
    assert any("gobear" in (s.url or "") for s in _entry("setoran-awal").source)


def test_the_refund_time_is_the_2020_estimate_and_says_what_is_unknown():
    e = _entry("pembatalan")
    assert "sembilan hari" in e.answer.id and "2020" in e.answer.id
    assert "nine days" in (e.answer.en or "")
    assert "tidak disebut sumber resmi kami" in e.answer.id
    assert any("okezone" in (s.url or "") for s in e.source)


def test_the_mahram_entry_points_to_the_office():
    assert _entry("haji-tanpa-mahram").refers_to_office
