"""Typed answers to the pelimpahan guide's button questions, read for what they say."""

from __future__ import annotations

import pytest

from knowledge.pelimpahan_words import cause_in, departure_in, living_cost_in


@pytest.mark.parametrize("text, cause", [
    ("bapak saya meninggal bulan lalu, bisa saya ambil porsinya?", "wafat"),
    ("Meninggal dunia", "wafat"),
    ("almarhumah ibu sudah wafat tahun 2023", "wafat"),
    ("my father died, can I take his porsi?", "wafat"),
    ("she passed away last year", "wafat"),
    ("ayah kena stroke lalu meninggal", "wafat"),  # the death is what happened
    ("ayah kena stroke, tidak bisa jalan", "sakit_permanen"),
    ("ibu sakit permanen", "sakit_permanen"),
    ("he is permanently ill", "sakit_permanen"),
    ("belum meninggal tapi lumpuh total", "sakit_permanen"),
    ("masih hidup, cuma sudah tua", None),
    ("kapan jadwal pelunasan?", None),
    ("batal saja", None),
])
def test_cause_in(text, cause):
    assert cause_in(text) == cause


@pytest.mark.parametrize("text, before", [
    ("belum", True), ("ya", True), ("Ya, sebelum berangkat", True), ("belum berangkat pak", True),
    ("yes before departure", True), ("tidak", False), ("Tidak, sudah berangkat", False),
    ("sudah berangkat", False), ("no, after", False), ("belum tahu", None), ("sudah", None),
    ("hmm", None), ("beliau wafat di rumah sakit sebelum sempat mengurus apa pun", None),
])
def test_departure_in(text, before):
    assert departure_in(text) is before


@pytest.mark.parametrize("text, code", [
    ("sudah", "y"), ("ya sudah menerima", "y"), ("yes", "y"), ("belum", "n"), ("tidak", "n"),
    ("tidak tahu", "u"), ("gak tau pak", "u"), ("don't know", "u"), ("hmm", None),
])
def test_living_cost_in(text, code):
    assert living_cost_in(text) == code
