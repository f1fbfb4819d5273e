"""e2e: the demo porsi that used to contradict themselves now tell one story on every screen
(issue 12): status card, /pelunasan and /pelimpahan read the record through knowledge.reading."""

from __future__ import annotations

import pytest

from integration.demo import DEMO_PORSI, showcase_rows
from integration.wire import record_from_wire
from tests.e2e.test_pelimpahan import CHAT, RELAXED, answer_until_porsi

FEATURES = ["start", "status", "pelunasan", "pelimpahan", "router"]


@pytest.fixture
async def bot(make_harness, fake_gateway):
    for row in showcase_rows():
        fake_gateway.add(record_from_wire(row))
    async with make_harness(settings_overrides=RELAXED, features=FEATURES) as h:
        yield h


async def _pelimpahan_for(h, porsi: str) -> str:
    await answer_until_porsi(h)
    r = await h.send(CHAT, porsi)
    text = r.text
    for _ in range(3):  # answer what is still asked (living cost) until the verdict
        if "Hasil pemeriksaan pelimpahan" in text:
            break
        r = await h.press("Belum / tidak")
        text = r.text
    return text


@pytest.mark.parametrize("label,needle", [
    ("berangkat", "sudah berangkat"),
    ("batal", "sudah batal"),
    ("transferred", "sendiri berasal dari pelimpahan"),
])
async def test_pelimpahan_refuses_what_the_record_rules_out(bot, label, needle):
    text = await _pelimpahan_for(bot, DEMO_PORSI[label])
    assert "dapat diajukan untuk dilimpahkan" not in text
    assert "belum dapat dilimpahkan" in text and needle in text


async def test_pelimpahan_still_says_yes_for_a_pilgrim_who_died(bot):
    text = await _pelimpahan_for(bot, DEMO_PORSI["wafat"])
    assert "dapat diajukan untuk dilimpahkan" in text


async def test_cadangan_is_cadangan_on_the_card_and_on_pelunasan(bot):
    porsi = DEMO_PORSI["cadangan"]
    card = (await bot.send(CHAT, f"/porsi {porsi}")).text
    assert "jemaah cadangan" in card and "1449 H" in card
    public = (await bot.send(CHAT, f"/pelunasan {porsi}")).text
    assert "jemaah cadangan" in public and "Tahap II" in public
    assert "Contoh data (demo)" in card and "Contoh data (demo)" in public


@pytest.mark.parametrize("label,secret,line", [
    ("sakit_permanen", "Status jemaah: sakit permanen", "Status jemaah: ada keterangan khusus"),
    ("gagal_bayar", "gagal bayar", "Status pembayaran: ada keterangan khusus"),
])
async def test_health_and_financial_statuses_only_after_verification(bot, label, secret, line):
    from datetime import timedelta

    from db import repos_verification

    porsi = DEMO_PORSI[label]
    card = (await bot.send(CHAT, f"/porsi {porsi}")).text
    public = (await bot.send(CHAT, f"/pelunasan {porsi}")).text
    for text in (card, public):
        assert secret not in text.replace("wafat atau sakit permanen", "")
        assert "keterangan khusus" in text and "/pelunasan" in text
    assert line in card
    with bot.db.session() as session:
        repos_verification.add_link(session, chat_id=CHAT, user_id=CHAT, porsi=porsi,
                                    now=bot.services.clock(), ttl=timedelta(days=30))
    card = (await bot.send(CHAT, f"/porsi {porsi}")).text
    assert secret in card


async def test_the_record_wins_over_an_answer_and_the_reply_says_so(bot):
    # answer_until_porsi answers "Ya, sebelum berangkat"; the record says departed
    text = await _pelimpahan_for(bot, DEMO_PORSI["berangkat"])
    assert "jawaban Anda berbeda" in text and "Hubungi petugas" in text
    assert "Hubungi petugas" in bot.api.sent_to(CHAT)[-1].buttons


async def test_lunas_tunda_verified_sees_no_full_payoff_amount(bot):
    from datetime import timedelta

    from db import repos_verification

    porsi = DEMO_PORSI["lunas_tunda"]
    with bot.db.session() as session:
        repos_verification.add_link(session, chat_id=CHAT, user_id=CHAT, porsi=porsi,
                                    now=bot.services.clock(), ttl=timedelta(days=30))
    text = (await bot.send(CHAT, f"/pelunasan {porsi}")).text
    assert "lunas tunda" in text and "Jumlah pelunasan" not in text
    assert "Anda dapat melakukan pelunasan" not in text
    assert "tidak menyebut jumlah" in text


async def test_which_ministry_handles_hajj_now(make_harness):
    async with make_harness() as h:
        for q in ("kementerian apa yang sekarang mengurus haji?",
                  "which ministry handles hajj now?"):
            text = (await h.send(CHAT, q)).text
            assert "Kementerian Haji dan Umrah" in text or "Ministry of Hajj and Umrah" in text
            assert "UU 14/2025" in text
