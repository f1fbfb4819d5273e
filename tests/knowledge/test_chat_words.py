"""Whole short messages that mean an action: here, a request to erase one's data."""

from __future__ import annotations

import pytest

from knowledge.chat_words import asks_erasure


@pytest.mark.parametrize("text", [
    "hapus data saya", "Tolong hapus semua data pribadi saya dari bot ini",
    "saya mau data saya dihapus", "delete my data", "please delete my personal data",
    "erase my chat history please", "forget me", "hapus akun saya",
])
def test_asks_erasure(text):
    assert asks_erasure(text)


@pytest.mark.parametrize("text", [
    "hapus", "data saya salah", "cara hapus data porsi di siskohat",
    "hapus data jemaah yg wafat", "bagaimana mengubah data saya di kemenag",
    "saya mau hapus data saya karena ada yang salah dan ingin mendaftar ulang di kantor kemenag",
])
def test_not_an_erasure_request(text):
    assert not asks_erasure(text)


@pytest.mark.parametrize("text", ["halo, ini bot ya? 😅", "are you a bot? 🤖", "kamu manusia atau robot 🙏"])
def test_asking_if_it_is_a_bot_with_an_emoji(text):
    from knowledge.chat_words import asks_if_bot

    assert asks_if_bot(text)
