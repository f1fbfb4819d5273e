"""Issue 15's eleventh round of paraphrases (para11): phrasings of our own, none of them in the
knowledge base or a question set, that the matcher answered with a menu before the paraphrases
of that round were added. Each fails if those paraphrases are taken out again."""

from __future__ import annotations

import pytest

from handlers.faq import matcher


@pytest.mark.parametrize(("text", "entry"), [
    # batch 1: putting off the payoff a year; the bank not seeing a health result; an unfit
    # pilgrim's porsi under the newer pelimpahan rule; what changed in 2026
    ("pelunasan belum sanggup tahun ini, bisa ditunda tahun depan gak", "pelunasan-terlambat"),
    ("at the bank they said dad's health data is not in the system yet, but he already had the "
     "check", "pelunasan-hasil-belum-diinput"),
    ("kalau ibu tidak memenuhi istithaah, porsinya bisa dilimpahkan ke anak?",
     "pelimpahan-aturan-baru"),
    ("apa saja perubahan haji tahun 2026", "kementerian-haji"),
    # batch 2: joining a sibling's departure; registering through a child; a parent's porsi
    # after death, asked as a whole
    ("boleh nggak keberangkatan saya digabung sama adik kandung", "penggabungan"),
    ("pendaftaran haji bapak boleh diwakili anaknya? bapak sudah sulit berjalan",
     "daftar-syarat"),
    ("bapak saya sudah wafat, porsi hajinya bagaimana", "pelimpahan-apa"),
])
def test_a_wording_the_round_taught_is_answered(text, entry):
    found = matcher().match(text)
    assert (found.decision, found.entry_id) == ("answer", entry), found
