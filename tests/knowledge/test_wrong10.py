"""Confident wrong answers cut at their cause (helper wrong10): English negations typed without
the apostrophe, a question asking WHEN or WHO against an entry that never asks it, Javanese
teen numbers, and questions to the bot about itself."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.chat_words import asks_if_bot
from knowledge.kb_schema import default_kb
from knowledge.matcher import Matcher
from knowledge.normalize import normalize_words
from knowledge.question_type import ASKED_PENALTY, apply_asked, asked_masks, asked_words


@pytest.fixture(scope="module")
def m() -> Matcher:
    return Matcher(default_kb())


# --- English negations without the apostrophe --------------------------------------------------
@pytest.mark.parametrize("text", [
    "what if my mom doesn't pay off before the deadline", "he didn't pay off in time",
    "she won't be able to go this year", "they dont pay the pelunasan", "my father wasnt healthy",
    "we werent told about the deadline", "my parents arent able to go",
])
def test_an_english_negation_is_kept_as_tidak(text):
    assert "tidak" in normalize_words(text)


@pytest.mark.parametrize("text, words", [
    ("i don't pay", ["i", "tidak", "melunasi"]),  # the phrase still wins
    ("my mom isn't healthy", ["saya", "ibu", "bukan", "healthy"]),  # IndoCollex's "bukan"
    ("i can't pay off", ["i", "tidak", "bisa", "pelunasan"]),
])
def test_negations_already_mapped_are_unchanged(text, words):
    assert normalize_words(text) == words


def test_not_paying_before_the_deadline_is_not_answered_with_the_schedule(m):
    got = m.match("What happens if my mom doesn't pay off before the deadline? Does she lose "
                  "her spot?")
    assert not (got.decision == "answer" and got.entry_id == "pelunasan-jadwal"), got


# --- a question asking "kapan" / "siapa" -------------------------------------------------------
def test_apply_asked_scores_down_only_entries_that_never_ask_it():
    masks = {"kapan": np.array([True, False, False]), "siapa": np.array([False, True, False]),
             "_stage": np.array([False, False, True])}
    combined = np.array([0.6, 0.7, 0.5])
    apply_asked(("kapan",), ["lunas", "tahapdua", "kapan"], combined, masks)  # a stage named
    assert combined.tolist() == pytest.approx([0.6, 0.7 * ASKED_PENALTY, 0.5 * ASKED_PENALTY])
    combined = np.array([0.6, 0.7, 0.5])
    apply_asked(("kapan",), ["lunasnya", "kapan"], combined, masks)  # no stage: "tahap berapa" answers it
    assert combined.tolist() == pytest.approx([0.6, 0.7 * ASKED_PENALTY, 0.5])
    combined = np.array([0.6, 0.7, 0.5])
    apply_asked((), ["biaya", "haji", "berapa"], combined, masks)  # neither asked: unchanged
    assert combined.tolist() == pytest.approx([0.6, 0.7, 0.5])


@pytest.mark.parametrize("text, asked", [
    ("lunas tahap 2 kapan", ("kapan",)), ("kpn sy berangkat", ("kapan",)),
    ("uangnya nanti ke siapa", ("siapa",)), ("When do I go???", ("kapan",)),
    ("I waited since 2011. When will my mother go?", ("kapan",)),
    ("who pays in stage 2", ("siapa",)),
    # English conjunctions and relative pronouns inside a sentence ask nothing
    ("what documents to bring when doing pelunasan at bank", ()),
    ("my grandmother, who registered in 2011, passed away", ()),
    ("we will only know when she is told to pay", ()),
    ("berapa biaya haji", ()),
])
def test_asked_words(text, asked):
    assert asked_words(text, normalize_words(text)) == asked


def test_asked_masks_read_texts_and_keywords():
    masks = asked_masks([["kapan", "lunas"], ["siapa"], ["tahap", "berapa"]],
                        [["kapan", "lunas"], ["siapa"], ["tahap", "berapa"]], [0, 1, 2])
    assert masks["kapan"].tolist() == [True, False, False]
    assert masks["siapa"].tolist() == [False, True, False]
    assert masks["_stage"].tolist() == [False, False, True]


@pytest.mark.parametrize("text", [
    "lunas tahap 2 kapan", "pelunasan tahap 2 kapan ya", "tahap dua pelunasan kapan dibuka",
    "kapan pelunasan tahap II",
])
def test_when_is_a_stage_is_not_answered_with_who_pays_in_it(m, text):
    got = m.match(text)
    assert not (got.decision == "answer" and got.entry_id == "pelunasan-tahap-2"), got


@pytest.mark.parametrize("text, entry", [
    ("tahap 2 pelunasan utk siapa aja", "pelunasan-tahap-2"),
    ("siapa saja yang melunasi di tahap 2", "pelunasan-tahap-2"),
    # no stage named: the stage IS when ("lunasnya kapan" -> Tahap II)
    ("sy sdh pernah haji th 2009, skrg porsi sy masuk alokasi tahun berjalan. lunasnya kapan?",
     "pelunasan-tahap-2"),
    ("jemaah cadangan lunasnya kapan", "jemaah-cadangan"),
    ("kapan jadwal pelunasan", "pelunasan-jadwal"),
    ("kalau porsi dibatalkan uangnya dikembalikan ke siapa", "pembatalan"),
    ("siapa yang boleh menerima pelimpahan porsi", "pelimpahan-penerima"),
])
def test_questions_the_rule_must_not_move(m, text, entry):
    got = m.match(text)
    assert got.decision == "answer" and got.entry_id == entry, got


def test_who_gets_the_money_of_a_cancellation_is_not_the_transfer(m):
    got = m.match("suami saya meninggal dan anak anak belum mau ambil porsinya pak jadi mau "
                  "dibatalkan saja uangnya nanti ke siapa")
    assert not (got.decision == "answer" and got.entry_id == "pelimpahan-apa"), got


# --- Javanese teen numbers ---------------------------------------------------------------------
@pytest.mark.parametrize("text, number", [
    ("umur sewelas taun", "11"), ("umure rolas taun", "12"), ("limolas taun", "15"),
    ("pitulas", "17"), ("sangalas taun", "19"), ("umur sabelas taun", "11"),
    ("sebelas", "11"), ("seratus sebelas", "111"),
])
def test_teen_numbers_become_digits(text, number):
    assert number in normalize_words(text)


@pytest.mark.parametrize("text, words", [
    ("seratus", ["100"]), ("dua ratus sepuluh", ["210"]), ("salah satu", ["salah", "satu"]),
])
def test_other_numbers_are_unchanged(text, words):
    assert normalize_words(text) == words


def test_a_javanese_age_is_not_answered_with_who_may_receive(m):
    got = m.match("adhik kulo umur sewelas taun, saged nampi pelimpahan porsi ibu mboten?")
    assert not (got.decision == "answer" and got.entry_id == "pelimpahan-penerima"), got


# --- a question to the bot about itself --------------------------------------------------------
@pytest.mark.parametrize("text", [
    "kamu udah pernah haji belum bot? 😄", "bot kamu sudah makan belum", "bot, umur kamu berapa?",
    "nama kamu siapa bot", "have you ever been to hajj, bot?", "are you tired bot?",
])
def test_a_question_to_the_bot_about_itself_is_small_talk(text):
    assert asks_if_bot(text)


@pytest.mark.parametrize("text", [
    "bot, berapa biaya haji", "bot kamu tau ga orang yang pernah haji bisa daftar lagi?",
    "bot, saya pernah haji, bisa daftar lagi?", "kamu bisa cek porsi saya bot?",
    "kamu pernah haji belum?", "pernah haji boleh daftar lagi",
    "bot, orang yang pernah haji bisa daftar lagi?", "you know when my dad goes, bot?",
])
def test_a_question_for_the_faq_naming_the_bot_is_not(text):
    assert not asks_if_bot(text)
