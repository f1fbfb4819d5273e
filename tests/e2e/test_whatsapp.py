"""WhatsApp through the real Application: identity in /pelunasan, the helpdesk across the
24-hour window, /hapusdata, kinds the bot cannot read, and Cloud API errors and retries.
(Status, FAQ and the pelimpahan guide run on both channels in their own modules.)"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select, text

from bot.channels.whatsapp_fake import bsuid_for
from db import repos_helpdesk as hd
from db import repos_verification as ver
from db import repos_whatsapp as wa_repo
from db.models.whatsapp import WhatsAppChat, WhatsAppMessage
from knowledge.records import Identity, PilgrimRecord, WaitingList
from knowledge.values import PilgrimStatus
from tests.e2e.harness import AGENTS_CHAT_ID, WIB
from tests.e2e.test_pelunasan import PORSI, VERIFY, make_record
from tests.e2e.whatsapp_harness import WhatsAppHarness

PERSON = 111
PHONE = "6281234567890"  # the phone on record (make_record)
AGENT = 900


def metric(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture(autouse=True)
def pinned(clock):
    clock.set(datetime(2027, 1, 11, 10, 0, tzinfo=WIB))  # Monday, office hours, Tahap I open


@pytest.fixture
async def h(sqlite_url, clock, fake_gateway):
    fake_gateway.add(make_record())
    async with WhatsAppHarness(db_url=sqlite_url, clock=clock, gateway=fake_gateway,
                               settings_overrides={"helpdesk_chat_id": AGENTS_CHAT_ID,
                                                   "throttle_burst": 1000}) as hh:
        hh.add_agent(AGENT, first_name="Andi")
        yield hh


# --- identity ------------------------------------------------------------------------------
async def test_the_senders_number_and_birth_date_verify(h):
    h.add_user(PERSON, phone=PHONE)
    r = await h.send(PERSON, f"/pelunasan {PORSI}")
    assert "S*** A*****" in r.text and VERIFY in r.buttons
    assert "Rp 30.046.172" not in r.text
    r = await h.press(VERIFY)
    assert "Nomor WhatsApp yang Anda pakai" in r.text and "tanggal lahir" in r.text
    assert "Bagikan nomor HP saya" not in r.buttons  # no contact step on WhatsApp
    r = await h.send(PERSON, "17-08-1960")
    assert "Verifikasi berhasil" in r.text and "Rp 30.046.172" in r.text
    chat = h.chat_of(PERSON)
    assert wa_repo.is_whatsapp(chat) and chat != int(PHONE)
    with h.db.session() as s:
        assert ver.is_verified(s, chat, PORSI, h.services.clock())
        assert [(v.chat_id, v.kind) for v in ver.audit_views(s, porsi=PORSI)] == [
            (chat, "pelunasan")]


async def test_another_number_fails_and_locks_out_as_on_telegram(h):
    h.add_user(PERSON, phone="6281299999999")
    for _ in range(3):
        await h.send(PERSON, f"/pelunasan {PORSI}")
        await h.press(VERIFY)
        r = await h.send(PERSON, "17-08-1960")  # right date, wrong WhatsApp number
        assert "Verifikasi tidak berhasil" in r.text and "nomor HP WhatsApp" in r.text
        assert "Rp " not in r.text
    assert "dikunci sementara" in r.text
    with h.db.session() as s:
        assert ver.failure_count(s, chat_id=h.chat_of(PERSON)) == 3
        assert not ver.is_verified(s, h.chat_of(PERSON), PORSI, h.services.clock())


async def test_a_hidden_number_is_asked_for_and_unverified_until_matched(h):
    h.add_user(PERSON, hidden=True)
    await h.send(PERSON, f"/pelunasan {PORSI}")
    r = await h.press(VERIFY)
    assert "tidak memperlihatkan nomor HP" in r.text
    r = await h.send(PERSON, "belum tahu")
    assert "belum terbaca sebagai nomor HP" in r.text
    with h.db.session() as s:
        assert not ver.is_verified(s, h.chat_of(PERSON), PORSI, h.services.clock())
        assert wa_repo.get_chat(s, h.chat_of(PERSON)).wa_id is None
    r = await h.send(PERSON, "0812-3456-7890")
    assert "tanggal lahir" in r.text
    r = await h.send(PERSON, "17 agustus 1960")
    assert "Verifikasi berhasil" in r.text
    # the typed number is never kept
    with h.db.session() as s:
        assert wa_repo.get_chat(s, h.chat_of(PERSON)).wa_id is None


async def test_a_hidden_number_typed_wrong_fails(h):
    h.add_user(PERSON, hidden=True)
    await h.send(PERSON, f"/pelunasan {PORSI}")
    await h.press(VERIFY)
    await h.send(PERSON, "081299999999")
    r = await h.send(PERSON, "17-08-1960")
    assert "Verifikasi tidak berhasil" in r.text


# --- helpdesk --------------------------------------------------------------------------------
async def open_ticket(h, text="Mau tanya pelunasan saya"):
    await h.send(PERSON, "/petugas")
    await h.press("Pelunasan")
    r = await h.send(PERSON, text)
    topic = r.to(AGENTS_CHAT_ID)
    return r, topic[0].thread_id


async def agent(h, thread, text):
    return await h.send(AGENTS_CHAT_ID, text, user_id=AGENT, message_thread_id=thread)


async def test_handoff_to_the_agents_topic_and_back(h, clock):
    r, thread = await open_ticket(h)
    chat = h.chat_of(PERSON)
    with h.db.session() as s:
        ticket = hd.open_of(s, chat)
    title = h.api.chats[AGENTS_CHAT_ID].topics[thread]["name"]
    assert "WhatsApp" in title and ticket.code in title
    in_topic = h.api.sent_to(AGENTS_CHAT_ID, thread_id=thread)
    assert any("Kanal: WhatsApp" in s.text for s in in_topic)  # the context card
    assert any("WhatsApp" in s.text and "Mau tanya pelunasan saya" in s.text for s in in_topic)
    assert ticket.code in r.to(PERSON).text  # the person's receipt, on WhatsApp
    # the agent answers inside the 24-hour window: it reaches WhatsApp as text
    r = await agent(h, thread, "Baik Bu, saya cek dulu <ya>")
    assert [s.text for s in r.to(PERSON)] == ["Baik Bu, saya cek dulu <ya>"]
    # the person writes again: relayed
    r = await h.send(PERSON, "Terima kasih pak")
    assert "Terima kasih pak" in r.to(AGENTS_CHAT_ID).text
    # and back to the bot
    r = await h.send(PERSON, "/selesai")
    assert r.to(PERSON)
    with h.db.session() as s:
        assert hd.open_of(s, chat) is None
    r = await h.send(PERSON, "1300477219")
    assert "S*** A*****" in r.text  # the bot answers again


async def test_outside_the_window_the_agent_is_told_and_the_person_invited(h, clock):
    _, thread = await open_ticket(h)
    clock.advance(hours=25)
    sent_before = metric("hajibot_whatsapp_sent_total", kind="template")
    r = await agent(h, thread, "Bu, data sudah kami cek")
    posted = h.cloud.to(h.recipient(PERSON))
    assert posted[-1].template == "hajibot_balasan_petugas"
    assert posted[-1].body["template"]["language"]["code"] == "id"
    assert all("data sudah kami cek" not in p.text for p in posted)  # not sent free-form
    notice = r.to(AGENTS_CHAT_ID, thread_id=thread).text
    assert "tidak" in notice and "24 jam" in notice and "templat" in notice
    assert metric("hajibot_whatsapp_sent_total", kind="template") == sent_before + 1
    # the person answers the invitation: the window opens, the agent's next reply arrives
    await h.send(PERSON, "Iya pak, saya di sini")
    r = await agent(h, thread, "Bu, data sudah kami cek")
    assert [s.text for s in r.to(PERSON)] == ["Bu, data sudah kami cek"]


async def test_the_channel_send_interface_reports_the_window(h, clock):
    await h.send(PERSON, "/start")
    channel = h.services.extras["whatsapp"]
    chat = h.chat_of(PERSON)
    result = await channel.send(chat, text="<b>Pengingat</b> pelunasan")
    assert result.sent and result.window_open and not result.template
    assert h.cloud.posted[-1].text == "*Pengingat* pelunasan"
    clock.advance(hours=24, seconds=1)
    result = await channel.send(chat, text="Pengingat", template="hajibot_pengingat")
    assert result.sent and result.template and not result.window_open
    assert h.cloud.posted[-1].template == "hajibot_pengingat"
    result = await channel.send(chat, text="Pengingat")  # no template: nothing is sent
    assert not result.sent and result.error == "window_closed"
    assert (await channel.send(wa_repo.WA_ID_BASE + 999_999, text="x")).error == "unknown_chat"


# --- erasure ---------------------------------------------------------------------------------
async def test_hapusdata_erases_the_number_and_the_mapping(h):
    h.add_user(PERSON, phone=PHONE)
    await h.send(PERSON, f"/pelunasan {PORSI}")
    await h.press(VERIFY)
    await h.send(PERSON, "17-08-1960")
    chat = h.chat_of(PERSON)
    await h.send(PERSON, "/hapusdata")
    r = await h.press("Ya, hapus")
    assert "dihapus" in r.text.lower() and "WhatsApp" in r.text  # the confirmation arrives
    with h.db.session() as s:
        assert s.scalar(select(func.count()).select_from(WhatsAppChat)) == 0
        assert s.scalar(select(func.count()).select_from(WhatsAppMessage)
                        .where(WhatsAppMessage.chat_id == chat)) == 0
        assert not ver.is_verified(s, chat, PORSI, h.services.clock())
        # no table keeps the phone number or the WhatsApp user id
        for table in ("whatsapp_chats", "runtime_chat_state", "runtime_user_state",
                      "update_inbox", "helpdesk_messages"):
            rows = s.execute(text(f"SELECT * FROM {table}")).fetchall()  # noqa: S608
            assert PHONE not in repr(rows) and bsuid_for(PHONE) not in repr(rows)
    assert h.channel.chat(chat) is None  # nor the process's memory
    # writing again starts afresh, under a new internal id
    await h.send(PERSON, "/start")
    assert h.chat_of(PERSON) != chat


# --- kinds, errors -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind, word", [
    ({"sticker": True}, "stiker"), ({"location": (-6.2, 106.8)}, "lokasi"),
    ({"voice": True}, "pesan suara"), ({"reaction": True}, "stiker"), ({"photo": True}, "foto"),
])
async def test_kinds_the_bot_cannot_read_get_the_telegram_reply(h, kind, word):
    r = await h.send(PERSON, **kind)
    assert f"belum bisa membaca {word}" in r.text
    assert "Cek status porsi" in r.buttons  # with the menu, as on Telegram


async def test_a_cloud_api_error_is_retried_and_the_reply_delivered(h):
    retries = metric("hajibot_whatsapp_send_retries_total", code="131000")
    h.cloud.fail(131000, status=500)
    r = await h.send(PERSON, "/start")
    assert "bot" in r.text
    assert metric("hajibot_whatsapp_send_retries_total", code="131000") == retries + 1
    h.cloud.rate_limit()
    r = await h.send(PERSON, "/help")
    assert r.text


async def test_a_send_that_keeps_failing_is_logged_by_id_and_counted(h, caplog):
    await h.send(PERSON, "/start")
    errors = metric("hajibot_whatsapp_send_errors_total", code="131000")
    h.cloud.fail(131000, status=500, times=6)  # the reply and the error notice, 3 tries each
    await h.send(PERSON, "Budi bertanya tentang pelunasan ibunya")
    assert metric("hajibot_whatsapp_send_errors_total", code="131000") == errors + 2
    lines = [r.getMessage() for r in caplog.records if "whatsapp" in r.getMessage()]
    assert any(f"to chat {h.chat_of(PERSON)} failed: 131000" in line for line in lines)
    assert all(PHONE not in line and "Budi" not in line for line in lines)
    assert len(h.cloud.requests) >= 6


async def test_a_permanent_error_is_not_retried(h):
    await h.send(PERSON, "/start")
    before = len(h.cloud.requests)
    h.cloud.fail(131026, status=400, message="Message undeliverable")
    await h.send(PERSON, "/help")
    # one try for the reply; the error handler's notice then goes through
    assert len(h.cloud.requests) - before == 2


async def test_documents_are_uploaded_then_sent(h, fake_gateway):
    fake_gateway.add(PilgrimRecord(
        porsi="0100123456",
        identity=Identity(name="Ahmad Zulkifli", status=PilgrimStatus.WAFAT,
                          birth_date=date(1950, 1, 1)),
        waiting=WaitingList(province="Bengkulu", regency="Kota Bengkulu")))
    await h.send(PERSON, "/pelimpahan")
    await h.press("Meninggal dunia")
    await h.send(PERSON, "10 Maret 2023")
    await h.press("Ya, sebelum berangkat")
    await h.press("Anak kandung")
    await h.send(PERSON, "17/8/1990")
    await h.send(PERSON, "0100123456")
    await h.press("Belum / tidak")
    await h.press("Daftar dokumen")
    r = await h.press("Ringkasan")
    docs = [p for p in h.cloud.posted if p.type == "document"]
    assert docs and docs[-1].file_name.endswith(".docx") and docs[-1].file_bytes[:2] == b"PK"
    assert ("POST", f"/v23.0/{h.cloud.phone_id}/media") in h.cloud.requests
    assert "Menu" in r.buttons


async def test_window_clock_follows_the_last_inbound_message(h, clock):
    await h.send(PERSON, "/start")
    chat = h.chat_of(PERSON)
    with h.db.session() as s:
        first = wa_repo.get_chat(s, chat)
    assert first.window_open(clock())
    assert not first.window_open(clock() + timedelta(hours=24, seconds=1))


async def test_telegrams_pacing_is_not_applied_to_whatsapp_chats():
    from bot.limiter import TelegramLimiter

    limiter = TelegramLimiter(overall_max_rate=1, overall_time_period=3600)
    calls = []

    async def call(*args, **kwargs):
        calls.append(kwargs)
        return True

    await limiter.initialize()
    try:
        for _ in range(5):  # five at once: beyond Telegram's pace, answered without waiting
            await asyncio.wait_for(limiter.process_request(
                call, (), {"n": 1}, "sendMessage", {"chat_id": wa_repo.WA_ID_BASE + 1}, None),
                1.0)
    finally:
        await limiter.shutdown()
    assert len(calls) == 5
