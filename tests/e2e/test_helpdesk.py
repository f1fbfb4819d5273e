"""Helpdesk hand-off through the real Application: a private chat and the agents' forum group."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.limiter import TelegramLimiter
from db import repos_helpdesk as repo
from handlers.helpdesk.person import tick
from knowledge.records import Identity, PilgrimRecord, WaitingList
from knowledge.values import PilgrimStatus
from tests.e2e.harness import AGENTS_CHAT_ID, WIB

AGENT = 900
PERSON = 111
HD = {"helpdesk_chat_id": AGENTS_CHAT_ID}


class Sleeper:
    """Stands in for asyncio.sleep: records what Telegram asked and moves the clock on."""

    def __init__(self, clock):
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds=seconds)


@pytest.fixture
def sleeper(clock):
    return Sleeper(clock)


def limiter(sleeper: Sleeper) -> TelegramLimiter:
    """The product's one retry layer for 429s, sleeping on the test clock; no pacing (the
    agents' group would otherwise get 20 messages a minute, as on Telegram)."""
    return TelegramLimiter(sleep=sleeper, overall_max_rate=0, group_max_rate=0)


@pytest.fixture
async def h(make_harness, sleeper):
    async with make_harness(settings_overrides=HD, rate_limiter=limiter(sleeper)) as hh:
        hh.add_agent(AGENT, first_name="Andi")
        yield hh


async def open_ticket(h, chat: int = PERSON, text: str = "Mau tanya pelunasan saya",
                      reason: str = "Pelunasan", **kw):
    await h.send(chat, "/petugas", **kw)
    await h.press(reason, chat_id=chat)
    r = await h.send(chat, text, **kw)
    thread = r.to(AGENTS_CHAT_ID)[0].thread_id
    return r, thread


def ticket_of(h, chat: int = PERSON):
    with h.db.session() as s:
        return repo.open_of(s, chat)


def rows(h, code: str):
    with h.db.session() as s:
        return repo.messages(s, repo.by_code(s, code).id)


async def agent(h, thread, text=None, user_id=AGENT, **kw):
    return await h.send(AGENTS_CHAT_ID, text, user_id=user_id, message_thread_id=thread, **kw)


# --- opening ---------------------------------------------------------------------------------
async def test_open_ticket_creates_topic_with_context_card(h, fake_gateway):
    fake_gateway.add(PilgrimRecord(
        porsi="1300477219",
        identity=Identity(name="Siti Aminah", status=PilgrimStatus.AKTIF,
                          birth_date=datetime(1960, 1, 2).date(), phone="6281234567890"),
        waiting=WaitingList(regency="Kota Bandung", province="Jawa Barat", departure_year=2031)))
    await h.send(PERSON, "1300477219")  # the status check: the card will know the porsi
    r = await h.send(PERSON, "/petugas")
    assert {"Status porsi", "Pelunasan", "Pelimpahan", "Data salah", "Lainnya"} <= set(r.buttons)
    r = await h.press("Pelunasan")
    assert "tulis pertanyaan" in r.text.lower()
    r = await h.send(PERSON, "Kapan saya lunas?")
    ticket = ticket_of(h)
    assert ticket.code == "HD-2503-0001" and ticket.reason == "pelunasan"
    thread = ticket.thread_id
    # the person: ticket id, what happens next, agents at work now (Monday 10:00)
    mine = r.to(PERSON).text
    assert "HD-2503-0001" in mine and "/selesai" in mine and "jam kerja" in mine
    assert "biasanya dibalas dalam sekitar 1 jam pada jam kerja" in mine  # the default 60 min
    # the agents: one topic titled id · reason · state, the card first, then the message
    assert h.api.topic(AGENTS_CHAT_ID, thread)["name"] == "HD-2503-0001 · pelunasan · baru"
    posts = r.to(AGENTS_CHAT_ID, thread)
    card = posts[0].text
    assert "1300477219" in card and "S*** A*****" in card and "Siti" not in card
    assert "AKTIF" in card and "Kota Bandung" in card and "2031" in card
    assert "6281234567890" not in card and "1960" not in card  # no phone, no birth date
    assert "Kapan saya lunas?" not in card  # the card carries the masked recent exchanges only
    assert posts[1].method == "copyMessage" and posts[1].text == "Kapan saya lunas?"
    assert h.outcome()["handoff"] is True


async def test_second_request_adds_to_the_open_ticket(h):
    _, thread = await open_ticket(h)
    r = await h.send(PERSON, "/petugas")
    assert "masih terbuka" in r.text and "HD-2503-0001" in r.text
    r = await h.send(PERSON, "satu lagi")
    assert r.to(AGENTS_CHAT_ID, thread).of("copyMessage")
    with h.db.session() as s:
        assert len(repo.open_tickets(s)) == 1


# --- relay both ways -------------------------------------------------------------------------
async def test_relay_both_ways_text_and_photo_without_revealing_the_agent(h):
    _, thread = await open_ticket(h)
    r = await h.send(PERSON, photo=True, caption="bukti setor")
    copy = r.to(AGENTS_CHAT_ID, thread).of("copyMessage")
    assert len(copy) == 1 and copy[0].kind == "photo" and copy[0].text == "bukti setor"
    assert r.to(PERSON).text == "✓ Terkirim ke petugas."  # a receipt, not the FAQ's answer
    r = await h.send(PERSON, "apa itu siskohat")  # would be an FAQ answer without a ticket
    assert r.to(AGENTS_CHAT_ID, thread).of("copyMessage")
    assert r.to(PERSON).text == "✓ Terkirim ke petugas."
    assert r.to(PERSON)[0].params.get("disable_notification") is True

    r = await agent(h, thread, "Baik Bu, sudah kami terima")
    back = r.to(PERSON)
    assert [s.method for s in back] == ["copyMessage"] and back[0].text == "Baik Bu, sudah kami terima"
    stored = h.api.messages[(PERSON, back[0].message_id)]
    assert stored["from"]["is_bot"] and "forward_origin" not in stored  # no agent account shown
    r = await agent(h, thread, photo=True, caption="contoh formulir")
    assert r.to(PERSON)[0].kind == "photo"
    # agent replies to a relayed message -> the person sees a reply to their own message
    person_photo = copy[0].message_id
    r = await agent(h, thread, "ini jawabannya", reply_to_message_id=person_photo)
    params = r.to(PERSON)[0].params
    assert "reply_parameters" in params

    t = ticket_of(h)
    assert t.first_response_at is not None and t.waiting_since is None
    kinds = [(m.direction, m.kind, m.status) for m in rows(h, t.code)]
    assert kinds == [("in", "text", "sent"), ("in", "photo", "sent"), ("in", "text", "sent"),
                     ("out", "text", "sent"), ("out", "photo", "sent"), ("out", "text", "sent")]
    mapping = rows(h, t.code)[1]
    assert mapping.topic_message_id == person_photo and mapping.person_message_id


async def test_commands_still_reach_the_bot_during_a_ticket(h):
    _, _thread = await open_ticket(h)
    r = await h.send(PERSON, "/help")
    assert "/petugas" in r.text and not r.to(AGENTS_CHAT_ID)
    r = await h.send(PERSON, "/start")
    assert r.to(PERSON) and not r.to(AGENTS_CHAT_ID)


async def test_document_voice_sticker_video_reach_the_agents(h):
    _, thread = await open_ticket(h)
    for kw in ({"document": True}, {"voice": True}, {"sticker": True}, {"video": True},
               {"location": (-6.2, 106.8)}):
        r = await h.send(PERSON, **kw)
        assert len(r.to(AGENTS_CHAT_ID, thread).of("copyMessage")) == 1, kw


# --- agents' commands ------------------------------------------------------------------------
async def test_claim_note_close_rating_comment(h):
    _, thread = await open_ticket(h)
    r = await agent(h, thread, "/ambil")
    assert h.api.topic(AGENTS_CHAT_ID, thread)["name"] == "HD-2503-0001 · pelunasan · diambil Andi"
    assert "ditangani petugas" in r.to(PERSON).text and "Andi" not in r.to(PERSON).text

    r = await agent(h, thread, "/catatan sudah dicek ke Kankemenag, data benar")
    assert not r.to(PERSON)  # an internal note never reaches the person
    assert "Catatan internal disimpan" in r.to(AGENTS_CHAT_ID).text
    notes = [m for m in rows(h, "HD-2503-0001") if m.direction == "note"]
    assert notes[0].text == "sudah dicek ke Kankemenag, data benar"

    await agent(h, thread, "Data Bapak sudah benar")
    h.clock.advance(minutes=20)
    r = await agent(h, thread, "/tutup")
    assert "ditutup oleh petugas" in r.to(PERSON).text
    assert r.to(PERSON)[-1].buttons == ["1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐"]
    topic = h.api.topic(AGENTS_CHAT_ID, thread)
    assert topic["closed"] and topic["name"].endswith("· selesai")

    r = await h.press("5 ⭐", chat_id=PERSON)
    assert "5 dari 5" in r.to(PERSON).text and "Nilai dari jemaah: 5/5" in r.to(AGENTS_CHAT_ID).text
    r = await h.send(PERSON, "Terima kasih, cepat sekali")
    assert "Terima kasih" in r.to(PERSON).text
    with h.db.session() as s:
        t = repo.by_code(s, "HD-2503-0001")
    assert (t.state, t.closed_by, t.rating, t.comment) == ("closed", "agent", 5,
                                                          "Terima kasih, cepat sekali")
    # after the close, the person's free text is the bot's again (FAQ), not the agents'
    r = await h.send(PERSON, "apa itu siskohat")
    assert not r.to(AGENTS_CHAT_ID) and "Sumber:" in r.text


async def test_person_closes_with_selesai_then_agent_reopens(h):
    _, thread = await open_ticket(h)
    r = await h.send(PERSON, "/selesai")
    assert "sudah Anda tutup" in r.to(PERSON).text and "oleh jemaah" in r.to(AGENTS_CHAT_ID).text
    assert ticket_of(h) is None
    r = await h.press("3 ⭐", chat_id=PERSON)
    r = await h.press("Lewati", chat_id=PERSON)
    assert "Terima kasih" in r.text

    r = await agent(h, thread, "/buka")
    assert "membuka kembali" in r.to(PERSON).text
    assert not h.api.topic(AGENTS_CHAT_ID, thread)["closed"]
    t = ticket_of(h)
    assert t is not None and t.rating is None
    r = await h.send(PERSON, "masih ada pertanyaan")
    assert r.to(AGENTS_CHAT_ID, thread).of("copyMessage")


async def test_bahasa_mid_helpdesk_repeats_the_step_in_the_new_language(h):
    await h.send(PERSON, "/petugas")
    r = await h.send(PERSON, "/bahasa en")
    assert "still open" in r.text and "What is your question about?" in r.text
    assert "Payoff (pelunasan)" in r.buttons and h.chat_data(PERSON)["flow"] == "helpdesk"
    await h.press("Payoff (pelunasan)")
    r = await h.callback(PERSON, "bahasa:set:id", 1)  # the /bahasa buttons do the same
    assert "masih terbuka" in r.text and "tulis pertanyaan Anda untuk petugas" in r.text
    assert "Batal" in r.buttons
    r = await h.send(PERSON, "Kapan saya lunas?")  # the typed text still opens the ticket
    thread = r.to(AGENTS_CHAT_ID)[0].thread_id
    assert ticket_of(h).reason == "pelunasan"
    await agent(h, thread, "/tutup")
    await h.press("4 ⭐", chat_id=PERSON)
    r = await h.send(PERSON, "/bahasa en")
    assert "rating 4 out of 5" in r.text and "Skip" in r.buttons
    r = await h.send(PERSON, "cepat, terima kasih")
    assert "cepat, terima kasih" in r.to(AGENTS_CHAT_ID, thread).text  # saved as the comment


async def test_no_ticket_lookup_per_message_and_the_flag_follows_both_sides(h, monkeypatch):
    calls = []
    real = repo.open_of

    def counting(session, chat_id):
        calls.append(chat_id)
        return real(session, chat_id)

    monkeypatch.setattr(repo, "open_of", counting)
    for text in ("apa itu siskohat", "apa itu kloter", "apa itu spma"):
        await h.send(PERSON, text)
    assert calls.count(PERSON) == 1  # asked once, then the chat is known to have no ticket
    _, thread = await open_ticket(h)
    assert h.chat_data(PERSON)["hd_open"] is True
    await agent(h, thread, "/tutup")  # closed from the agents' group
    assert h.chat_data(PERSON)["hd_open"] is False
    calls.clear()
    r = await h.send(PERSON, "apa itu kloter")
    assert not r.to(AGENTS_CHAT_ID) and calls.count(PERSON) == 0
    await agent(h, thread, "/buka")  # reopened by an agent: the person's chat knows it
    assert h.chat_data(PERSON)["hd_open"] is True
    r = await h.send(PERSON, "masih ada pertanyaan")
    assert r.to(AGENTS_CHAT_ID, thread).of("copyMessage")
    await h.send(PERSON, "/selesai")  # closed by the person
    assert h.chat_data(PERSON)["hd_open"] is False
    r = await h.send(PERSON, "apa itu spma")
    assert not r.to(AGENTS_CHAT_ID, thread).of("copyMessage")


async def test_agent_message_in_a_closed_ticket_is_not_relayed(h):
    _, thread = await open_ticket(h)
    await h.send(PERSON, "/selesai")
    r = await agent(h, thread, "halo?")
    assert not r.to(PERSON) and "/buka" in r.to(AGENTS_CHAT_ID).text


async def test_non_member_and_other_groups_are_ignored(h):
    _, thread = await open_ticket(h)
    r = await agent(h, thread, "saya bukan petugas", user_id=555)
    assert r == []
    r = await agent(h, thread, "/tutup", user_id=555)
    assert r == [] and ticket_of(h) is not None
    h.api.add_group(-100999, title="Grup lain", forum=True, members=[AGENT])
    r = await h.send(-100999, "/antrian", user_id=AGENT)
    assert r == []
    h.api.set_member(AGENTS_CHAT_ID, AGENT, "left")  # left the team: cached for a short while
    h.app.bot_data.caches.get("hd_members", {}).clear()
    r = await agent(h, thread, "pesan")
    assert r == []


async def test_blocked_person_is_not_relayed(h):
    _, thread = await open_ticket(h)
    r = await agent(h, thread, "/blokir")
    assert not r.to(PERSON)
    assert h.api.topic(AGENTS_CHAT_ID, thread)["name"].endswith("· diblokir")
    r = await h.send(PERSON, "kata-kata kasar")
    assert not r.to(AGENTS_CHAT_ID) and "tidak dapat diteruskan" in r.to(PERSON).text
    r = await h.send(PERSON, "/petugas")
    assert "tidak dapat diteruskan" in r.text
    await agent(h, thread, "/buka_blokir")
    r = await h.send(PERSON, "maaf")
    assert r.to(AGENTS_CHAT_ID, thread).of("copyMessage")


async def test_queue_lists_open_tickets_oldest_first(h, clock):
    await open_ticket(h, 111, reason="Status porsi")
    clock.advance(minutes=5)
    await open_ticket(h, 222, reason="Data salah")
    clock.advance(minutes=5)
    r = await h.send(AGENTS_CHAT_ID, "/antrian", user_id=AGENT)
    text = r.to(AGENTS_CHAT_ID).text
    assert text.index("HD-2503-0001") < text.index("HD-2503-0002")
    assert "Antrean tiket terbuka: 2" in text and "data salah" in text and "10 menit" in text
    assert 'href="https://t.me/c/1234567890/' in r.to(AGENTS_CHAT_ID)[0].html


# --- topics deleted or closed ----------------------------------------------------------------
async def test_deleted_topic_is_recreated_and_the_message_delivered(h):
    _, thread = await open_ticket(h)
    h.api.delete_topic(AGENTS_CHAT_ID, thread)
    r = await h.send(PERSON, "pesan setelah topik dihapus")
    t = ticket_of(h)
    assert t.thread_id != thread
    posts = r.to(AGENTS_CHAT_ID, t.thread_id)
    assert "topik dibuat ulang" in posts[0].text  # the context card again
    assert posts[-1].method == "copyMessage" and posts[-1].text == "pesan setelah topik dihapus"
    assert h.api.topic(AGENTS_CHAT_ID, t.thread_id)["name"].startswith("HD-2503-0001")
    assert r.to(PERSON).text == "✓ Terkirim ke petugas."  # delivered: nothing to apologise for
    r = await agent(h, t.thread_id, "jawaban di topik baru")
    assert r.to(PERSON).of("copyMessage")


async def test_topic_made_twice_by_two_processes_keeps_one(h):
    """Two workers both saw no topic (or the same deleted one) and both created one: the
    database keeps the first, the second deletes its own and uses the first."""
    from dataclasses import replace

    from handlers.helpdesk.relay import create_topic

    _, thread = await open_ticket(h)
    stale = replace(ticket_of(h), thread_id=None)  # what the slower worker had read
    got = await create_topic(h.app, stale)
    assert got.thread_id == thread == ticket_of(h).thread_id
    spare = h.api.calls("createForumTopic")[-1].result["message_thread_id"]
    assert spare != thread and h.api.topic(AGENTS_CHAT_ID, spare)["deleted"]
    assert not [s for s in h.api.sent_to(AGENTS_CHAT_ID, thread_id=spare)]  # no second card
    # replacing a deleted topic: only the first replacement is kept
    h.api.delete_topic(AGENTS_CHAT_ID, thread)
    gone = ticket_of(h)
    first = await create_topic(h.app, gone, recreated=True)
    second = await create_topic(h.app, gone, recreated=True)
    assert second.thread_id == first.thread_id == ticket_of(h).thread_id != thread


async def test_closed_topic_is_reopened_when_the_person_writes(h):
    _, thread = await open_ticket(h)
    h.api.chats[AGENTS_CHAT_ID].bot_can_post_in_closed_topics = False
    h.api.chats[AGENTS_CHAT_ID].topics[thread]["closed"] = True  # an admin closed it by hand
    r = await h.send(PERSON, "halo, masih di sana?")
    assert h.api.calls("reopenForumTopic")
    assert not h.api.topic(AGENTS_CHAT_ID, thread)["closed"]
    assert r.to(AGENTS_CHAT_ID, thread).of("copyMessage")[0].text == "halo, masih di sana?"


async def test_topic_closed_service_message_is_tracked(h):
    _, thread = await open_ticket(h)
    await h.feed(_service(h, thread, "forum_topic_closed"))
    assert ticket_of(h).topic_closed
    h.api.chats[AGENTS_CHAT_ID].topics[thread]["closed"] = True
    await h.send(PERSON, "tolong dibalas")
    assert h.api.calls("reopenForumTopic") and not ticket_of(h).topic_closed


def _service(h, thread, kind):
    update = h.api.make_message(AGENTS_CHAT_ID, AGENT, None, message_thread_id=thread)
    update["message"][kind] = {}
    return update


# --- out of hours ----------------------------------------------------------------------------
async def test_saturday_ticket_says_when_agents_are_back(h, clock):
    clock.set(datetime(2025, 3, 8, 10, 0, tzinfo=WIB))  # Saturday
    r, _ = await open_ticket(h)
    text = r.to(PERSON).text
    assert "di luar jam kerja" in text and "akhir pekan" in text
    assert "Senin, 10 Maret 2025 pukul 08.00 WIB" in text


async def test_independence_day_ticket_skips_the_holiday(h, clock):
    clock.set(datetime(2026, 8, 17, 9, 0, tzinfo=WIB))  # Monday, Hari Kemerdekaan
    r, _ = await open_ticket(h)
    text = r.to(PERSON).text
    assert "Hari Kemerdekaan" in text and "besok" in text
    assert "Selasa, 18 Agustus 2026 pukul 08.00 WIB" in text
    assert ticket_of(h).code == "HD-2608-0001"


async def test_expected_response_time_is_configurable(make_harness):
    async with make_harness(settings_overrides={**HD, "helpdesk_response_minutes": 90}) as hh:
        r, _ = await open_ticket(hh)
        assert "sekitar 1 jam 30 menit pada jam kerja" in r.to(PERSON).text


async def test_expected_response_time_in_english(make_harness):
    async with make_harness(settings_overrides={**HD, "helpdesk_response_minutes": 30}) as hh:
        await hh.send(PERSON, "/petugas", language_code="en")
        await hh.press("Something else", chat_id=PERSON)
        r = await hh.send(PERSON, "hello", language_code="en")
        assert "within about 30 minutes of working time" in r.to(PERSON).text


async def test_out_of_hours_says_when_back_not_the_response_time(h, clock):
    clock.set(datetime(2025, 3, 8, 10, 0, tzinfo=WIB))  # Saturday
    r, _ = await open_ticket(h)
    assert "biasanya dibalas" not in r.to(PERSON).text


async def test_english_out_of_hours(h, clock):
    clock.set(datetime(2025, 3, 7, 17, 30, tzinfo=WIB))  # Friday after hours
    await h.send(PERSON, "/petugas", language_code="en")
    await h.press("Something else", chat_id=PERSON)
    r = await h.send(PERSON, "hello", language_code="en")
    assert "Monday, 10 March 2025, 08:00 WIB" in r.to(PERSON).text


# --- nothing lost ----------------------------------------------------------------------------
async def test_restart_mid_ticket_keeps_relaying_both_ways(h):
    _, thread = await open_ticket(h)
    await agent(h, thread, "/ambil")
    await h.restart()
    r = await h.send(PERSON, "setelah restart")
    assert r.to(AGENTS_CHAT_ID, thread).of("copyMessage")[0].text == "setelah restart"
    r = await agent(h, thread, "jawaban setelah restart")
    assert r.to(PERSON).of("copyMessage")[0].text == "jawaban setelah restart"
    # the same update delivered twice (a retried webhook) is processed once
    update = h.api.make_message(PERSON, None, "sekali saja")
    first = await h.feed(update)
    again = await h.feed(update)
    assert len(first.to(AGENTS_CHAT_ID).of("copyMessage")) == 1 and again == []


async def test_429_on_relay_is_retried_and_delivered_once(h, sleeper):
    _, thread = await open_ticket(h)
    h.api.fail_next("copyMessage", times=1, retry_after=2, chat_id=AGENTS_CHAT_ID)
    r = await h.send(PERSON, "pesan saat 429")
    copies = [c for c in r.to(AGENTS_CHAT_ID, thread).of("copyMessage")]
    assert [c.text for c in copies] == ["pesan saat 429"]
    assert len(sleeper.waits) == 1 and 2.0 <= sleeper.waits[0] < 2.5  # what Telegram asked
    assert r.to(PERSON).text == "✓ Terkirim ke petugas."  # delivered after the wait


async def test_long_429_goes_to_the_outbox_and_the_job_delivers_it(h, clock, sleeper):
    _, thread = await open_ticket(h)
    h.api.fail_next("copyMessage", times=1, retry_after=120, chat_id=AGENTS_CHAT_ID)
    r = await h.send(PERSON, "pesan tertunda")
    assert not r.to(AGENTS_CHAT_ID).of("copyMessage") and sleeper.waits == []
    assert "belum terkirim" in r.to(PERSON).text  # the person is told
    # the agent's reply is not held back by the person's pending message
    pending = [m for m in rows(h, "HD-2503-0001") if m.status == "pending"]
    assert len(pending) == 1
    assert "Retry in 120" in pending[0].last_error  # Telegram's own words, no text of ours
    assert (await tick(h.app))["sent"] == 0  # not due yet: retry_after is honoured
    clock.advance(seconds=121)
    since = h.api.seq
    counts = await tick(h.app)
    assert counts["sent"] == 1
    copies = [s for s in h.api.sent_to(AGENTS_CHAT_ID, since=since, thread_id=thread)
              if s.method == "copyMessage"]
    assert [c.text for c in copies] == ["pesan tertunda"]
    assert (await tick(h.app))["sent"] == 0  # nothing sent twice
    assert all(m.status == "sent" for m in rows(h, "HD-2503-0001") if m.direction == "in")


async def test_order_is_kept_behind_a_pending_message(h, clock):
    _, thread = await open_ticket(h)
    h.api.fail_next("copyMessage", times=1, retry_after=120, chat_id=AGENTS_CHAT_ID)
    await h.send(PERSON, "pertama")
    r = await h.send(PERSON, "kedua")  # the person writes again: the first goes first
    texts = [c.text for c in r.to(AGENTS_CHAT_ID, thread).of("copyMessage")]
    assert texts == ["pertama", "kedua"]


async def test_reply_that_fails_for_good_is_reported_to_the_agents(h):
    _, thread = await open_ticket(h)
    h.api.block(PERSON)
    r = await agent(h, thread, "halo Bu")
    assert "tidak dapat dikirim" in r.to(AGENTS_CHAT_ID).text
    assert [m.status for m in rows(h, "HD-2503-0001") if m.direction == "out"] == ["failed"]


# --- the reminder job ------------------------------------------------------------------------
async def test_reminder_when_waiting_too_long(h, clock):
    _, thread = await open_ticket(h)
    clock.advance(minutes=29)
    assert (await tick(h.app))["reminded"] == 0
    clock.advance(minutes=2)
    since = h.api.seq
    assert (await tick(h.app))["reminded"] == 1
    posted = h.api.sent_to(AGENTS_CHAT_ID, since=since, thread_id=thread)
    assert "menunggu 31 menit" in posted[0].text and "/ambil" in posted[0].text
    assert (await tick(h.app))["reminded"] == 0  # not again right away
    await agent(h, thread, "sedang kami cek")
    clock.advance(minutes=60)
    assert (await tick(h.app))["reminded"] == 0  # answered: nobody is waiting


async def test_the_job_is_scheduled(h):
    assert "helpdesk" in [j.name for j in h.app.job_queue.jobs()]


# --- triggers --------------------------------------------------------------------------------
async def test_menu_button_and_preselected_reason(h):
    await h.send(PERSON, "/start")
    r = await h.press("Hubungi petugas")
    assert "Pilih salah satu" in r.text
    r = await h.callback(PERSON, "helpdesk:start:pelunasan", r[0].message_id)
    assert "✓ Pelunasan" in r.buttons
    r = await h.send(PERSON, "langsung saya tulis")  # typed without pressing: the preselection
    assert ticket_of(h).reason == "pelunasan"


async def test_request_for_a_human_in_free_text_opens_the_choice(h):
    r = await h.send(PERSON, "saya mau bicara dengan petugas")
    assert "Pilih salah satu" in r.text and h.outcome()["handoff"] is True
    assert h.outcome()["topic"] is None


async def test_out_of_scope_is_told_its_scope_and_never_ticketed(h):
    r = await h.send(PERSON, "resep rendang padang yang enak")
    assert "Hubungi petugas" not in r.buttons and "Pilih salah satu" not in r.text
    assert "/petugas" in r.text  # a person on request, never a ticket unasked
    assert h.outcome()["topic"] is None and h.outcome()["handoff"] is False
    assert ticket_of(h) is None
    r = await h.send(PERSON, "/petugas")
    assert "Pilih salah satu" in r.text


async def test_unhelpful_answer_offers_a_human(h):
    await h.send(PERSON, "brp kali porsi bs dilimpahkan?")
    r = await h.press("Tidak")
    assert "Hubungi petugas" in r.buttons
    r = await h.press("Hubungi petugas")
    assert "✓ Pelimpahan" in r.buttons  # the FAQ entry's subject is preselected


async def test_cancel_before_the_ticket(h):
    await h.send(PERSON, "/petugas")
    r = await h.press("Batal")
    assert "dibatalkan" in r.text
    r = await h.send(PERSON, "apa itu siskohat")
    assert not r.to(AGENTS_CHAT_ID) and ticket_of(h) is None


async def test_without_a_helpdesk_group_petugas_points_to_kankemenag(make_harness):
    async with make_harness() as hh:
        r = await hh.send(PERSON, "/petugas")
        assert "Kankemenag" in r.text and "kabupaten/kota" in r.text
        assert hh.outcome()["handoff"] is True
        assert r[-1].buttons == ["Menu"]  # never a dead end
        r = await hh.press("Menu")
        assert "Hubungi petugas" in r.buttons and "Cek status porsi" in r.buttons
        # out of scope: the bot's scope and the way to a person, no offer unasked
        r = await hh.send(PERSON, "resep rendang padang yang enak")
        assert "/petugas" in r.text and "belum bisa dihubungi" not in r.text
        assert hh.outcome()["handoff"] is False


async def test_without_a_helpdesk_group_every_way_to_a_human_gives_a_way_on(make_harness):
    async with make_harness(settings_overrides={"throttle_burst": 100}) as hh:
        await hh.send(PERSON, "/start")
        r = await hh.press("Hubungi petugas")
        assert "Kankemenag" in r.text and r[-1].buttons == ["Menu"]
        await hh.send(PERSON, "brp kali porsi bs dilimpahkan?")
        r = await hh.press("Tidak")  # "was this helpful?" -> no
        assert "Kankemenag" in r.text and r[-1].buttons == ["Menu"]
        assert hh.outcome()["handoff"] is True
        r = await hh.send(PERSON, "saya mau bicara dengan petugas")
        assert "belum bisa dihubungi" in r.text and r[-1].buttons == ["Menu"]
        r = await hh.send(PERSON + 1, "/petugas", language_code="en")
        assert "cannot be reached" in r.text and r[-1].buttons == ["Menu"]
        r = await hh.send(PERSON + 2, "talk to a human please")  # English, Indonesian client
        assert "cannot be reached" in r.text and r[-1].buttons == ["Menu"]


async def test_without_a_helpdesk_group_the_porsi_office_is_named(make_harness, fake_gateway):
    fake_gateway.add(PilgrimRecord(
        porsi="1300477219",
        identity=Identity(name="Siti Aminah", status=PilgrimStatus.AKTIF),
        waiting=WaitingList(regency="Kota Bandung", province="Jawa Barat", departure_year=2031)))
    async with make_harness() as hh:
        await hh.send(PERSON, "1300477219")  # the status check: the chat knows the porsi
        lookups = len(fake_gateway.lookups)
        r = await hh.send(PERSON, "/petugas")
        assert "Kankemenag) Kota Bandung, Jawa Barat" in r.text and "1300477219" in r.text
        assert r[-1].buttons == ["Menu"]
        assert len(fake_gateway.lookups) == lookups + 1  # the office is remembered
        assert "Siti" not in r.text
        r = await hh.send(PERSON, "/petugas")  # again: named from memory, no new lookup
        assert "Kota Bandung" in r.text and len(fake_gateway.lookups) == lookups + 1


async def test_topic_not_created_yet_is_retried_by_the_job(h, clock):
    h.api.fail_next("createForumTopic", times=1, retry_after=60)
    await h.send(PERSON, "/petugas")
    await h.press("Lainnya", chat_id=PERSON)
    r = await h.send(PERSON, "tolong bantu")
    assert "HD-2503-0001" in r.to(PERSON).text and "belum terkirim" in r.to(PERSON).text
    assert not r.to(AGENTS_CHAT_ID)
    clock.advance(seconds=61)
    since = h.api.seq
    assert (await tick(h.app))["sent"] == 1
    t = ticket_of(h)
    posted = h.api.sent_to(AGENTS_CHAT_ID, since=since, thread_id=t.thread_id)
    assert "HD-2503-0001" in posted[0].text and posted[-1].text == "tolong bantu"


async def test_album_gets_one_receipt(h):
    _, thread = await open_ticket(h)
    receipts = 0
    for _ in range(3):
        update = h.api.make_message(PERSON, None, None, photo=True)
        update["message"]["media_group_id"] = "album-1"
        r = await h.feed(update)
        assert len(r.to(AGENTS_CHAT_ID, thread).of("copyMessage")) == 1
        receipts += len(r.to(PERSON))
    assert receipts == 1


async def test_album_of_ten_in_a_ticket_is_not_throttled(make_harness, sleeper):
    async with make_harness(settings_overrides=HD, rate_limiter=limiter(sleeper),
                            throttle=True) as hh:  # the real burst limit: 5 per 10 s
        _, thread = await open_ticket(hh)
        copies = receipts = 0
        for _ in range(10):
            update = hh.api.make_message(PERSON, None, None, photo=True)
            update["message"]["media_group_id"] = "album-10"
            r = await hh.feed(update)
            copies += len(r.to(AGENTS_CHAT_ID, thread).of("copyMessage"))
            receipts += len(r.to(PERSON))
            assert "tunggu" not in r.text.lower()
        assert copies == 10 and receipts == 1
        # nor is a burst of separate messages in the ticket (see the next test)
        texts = [(await hh.send(PERSON, f"pesan {i}")).text.lower() for i in range(6)]
        assert not any("tunggu" in t for t in texts)


async def test_quick_messages_in_a_ticket_all_reach_the_agents_in_order(make_harness, sleeper):
    """Issue 18, finding 6: 8 quick messages in an open ticket were 5 relayed, 3 dropped with
    one "please wait". Words for an agent are never dropped; outside a ticket the throttle
    stays as it was."""
    async with make_harness(settings_overrides=HD, rate_limiter=limiter(sleeper),
                            throttle=True) as hh:  # the real burst limit: 5 per 10 s
        _, thread = await open_ticket(hh)
        since = hh.api.seq
        texts = [f"pesan cepat {i}" for i in range(8)]
        replies = [await hh.send(PERSON, t) for t in texts]
        assert not any("tunggu" in r.text.lower() for r in replies)
        copies = [c.text for c in hh.api.sent_to(AGENTS_CHAT_ID, since=since, thread_id=thread)
                  if c.method == "copyMessage"]
        assert copies == texts
        assert all("Terkirim" in r.to(PERSON).text for r in replies)
        # the bot's other commands are still throttled in a ticket; /selesai is not
        assert "tunggu" in (await hh.send(PERSON, "/start")).text.lower()
        r = await hh.send(PERSON, "/selesai")
        assert "tunggu" not in r.text.lower() and ticket_of(hh) is None
        # outside a ticket: throttled as before
        other = [(await hh.send(PERSON + 1, f"halo {i}")).text.lower() for i in range(6)]
        assert sum("tunggu" in t for t in other) == 1


async def test_a_flood_in_a_ticket_is_queued_in_order_not_dropped(make_harness, sleeper, clock):
    from handlers.helpdesk.person import TICKET_BURST_FACTOR

    async with make_harness(settings_overrides=HD, rate_limiter=limiter(sleeper),
                            throttle=True) as hh:
        _, thread = await open_ticket(hh)
        since = hh.api.seq
        now_limit = 5 * TICKET_BURST_FACTOR  # relayed at once within one 10 s window
        texts = [f"banjir {i}" for i in range(now_limit + 6)]
        replies = [await hh.send(PERSON, t) for t in texts]
        assert not any("tunggu" in r.text.lower() for r in replies)
        assert sum("banyak pesan" in r.text for r in replies) == 1  # told once, not per message

        def copies():
            return [c.text for c in hh.api.sent_to(AGENTS_CHAT_ID, since=since, thread_id=thread)
                    if c.method == "copyMessage"]

        assert copies() == texts[:now_limit]  # the rest waits in the outbox
        assert (await tick(hh.app))["sent"] == 0  # not due within the window
        clock.advance(seconds=11)
        assert (await tick(hh.app))["sent"] == 6
        assert copies() == texts


class Killed(BaseException):
    """A SIGKILL: nothing of the process runs after it (it is no Exception: no handler of
    the bot catches it)."""


@pytest.mark.parametrize("kill", ["before_send", "in_request", "after_request"])
async def test_a_worker_killed_while_copying_is_taken_over_within_30_s(h, clock, monkeypatch,
                                                                       kill):
    """Issue 18, finding 5: a SIGKILL while copying a person's message left its claim for 5
    minutes and the message then reached the topic twice, silently. Now the claim is taken
    over after CLAIM_TIMEOUT (30 s) without a heartbeat; a copy that may already exist (the
    request had gone out) is followed by a visible "may be repeated" notice."""
    from handlers.helpdesk import relay as helpdesk_relay

    assert repo.CLAIM_TIMEOUT.total_seconds() <= 30
    _, thread = await open_ticket(h)
    since = h.api.seq
    real_copy = helpdesk_relay._copy
    with monkeypatch.context() as m:
        m.setattr(repo, "release", lambda s, **kw: 0)  # a killed process gives nothing back

        def die_first(*a, **kw):
            raise Killed

        async def copy_and_die(app, ticket, row):
            if kill == "after_request":
                await real_copy(app, ticket, row)  # Telegram took it; the answer is never read
            raise Killed

        if kill == "before_send":
            m.setattr(repo, "begin_send", die_first)
        else:
            m.setattr(helpdesk_relay, "_copy", copy_and_die)
        with pytest.raises(Killed):
            await h.send(PERSON, "pesan saat crash")
    await h.restart()  # the process comes back (or another one runs the job)
    clock.advance(seconds=repo.CLAIM_TIMEOUT.total_seconds() - 1)
    assert (await tick(h.app))["sent"] == 0  # the claim is not stale yet
    clock.advance(seconds=2)
    assert (await tick(h.app))["sent"] == 1  # taken over 31 s after the worker died
    assert (await tick(h.app))["sent"] == 0
    posted = h.api.sent_to(AGENTS_CHAT_ID, since=since, thread_id=thread)
    copies = [c for c in posted if c.method == "copyMessage"]
    notices = [c for c in posted if "mungkin muncul dua kali" in c.text]
    assert [c.text for c in copies] == ["pesan saat crash"] * (2 if kill == "after_request"
                                                               else 1)
    if kill == "before_send":  # nothing went out: exactly once, nothing to flag
        assert notices == []
    else:  # the send's outcome is unknowable: sent, and flagged where the agents see it
        assert len(notices) == 1
        assert notices[0].params["reply_parameters"]["message_id"] == copies[-1].message_id
    with h.db.session() as s:
        (row,) = [r for r in repo.messages(s, ticket_of(h).id) if r.text == "pesan saat crash"]
    assert row.status == "sent" and row.topic_message_id == copies[-1].message_id
    assert row.send_attempt is None


async def test_two_failed_clarifications_offer_a_human(h):
    await h.send(PERSON, "syarat pelimpahan")
    r = await h.send(PERSON, "kloter")
    assert "Hubungi petugas" in r.buttons and h.outcome()["handoff"] is True


async def test_generic_fallback_without_the_helpdesk_module_gives_a_way_on(make_harness):
    # registries are the Application's own: one built without the helpdesk has no handoff hook
    async with make_harness(features=["start", "router"]) as hh:
        r = await hh.send(PERSON, "/petugas")
        assert "Kankemenag" in r.text and r[-1].buttons == ["Menu"]
        assert hh.outcome()["handoff"] is True
        r = await hh.press("Menu")
        assert "Hubungi petugas" in r.buttons


async def test_transcript_kept_only_when_agents_can_read_it(h, make_harness):
    """The rolling transcript feeds the agents' context card; with no helpdesk group there is
    no reader, so no message text is kept (the porsi is, to name the office)."""
    await h.send(PERSON, "syarat pelimpahan apa saja")
    assert h.chat_data(PERSON).get("hd_recent")
    other = PERSON + 1  # the two harnesses share one database
    async with make_harness(settings_overrides={"helpdesk_chat_id": None}) as bare:
        await bare.send(other, "syarat pelimpahan apa saja")
        await bare.send(other, "/porsi 1234567890")
        state = bare.chat_data(other)
        assert "hd_recent" not in state
        assert state.get("hd_porsi") == "1234567890"


# --- several processes on one database -------------------------------------------------------
async def test_row_held_by_another_process_is_not_overtaken_nor_sent_twice(h, clock,
                                                                           monkeypatch):
    from handlers.helpdesk import relay as helpdesk_relay

    monkeypatch.setattr(helpdesk_relay, "CLAIM_WAIT_S", 0.2)  # real seconds of polling
    _, thread = await open_ticket(h)
    h.api.fail_next("copyMessage", times=1, retry_after=120, chat_id=AGENTS_CHAT_ID)
    await h.send(PERSON, "pertama")  # stays pending ...
    ticket = ticket_of(h)
    with h.db.session() as s:  # ... and another process claims it, then hangs
        held = repo.claim(s, ticket_id=ticket.id, owner="other-process", now=clock())
    assert [m.text for m in held.rows] == ["pertama"]
    r = await h.send(PERSON, "kedua")
    assert not r.to(AGENTS_CHAT_ID).of("copyMessage")  # "kedua" waits behind "pertama"
    assert "belum terkirim" in r.to(PERSON).text
    clock.advance(seconds=121)
    with h.db.session() as s:  # the other process is alive: its heartbeat keeps the claim
        assert repo.heartbeat(s, owner="other-process", now=clock()) == 1
    assert (await tick(h.app))["sent"] == 0  # the other process's claim is still live
    clock.advance(seconds=repo.CLAIM_TIMEOUT.total_seconds() + 1)  # it died: take over
    since = h.api.seq
    assert (await tick(h.app))["sent"] == 2
    copies = [c.text for c in h.api.sent_to(AGENTS_CHAT_ID, since=since, thread_id=thread)
              if c.method == "copyMessage"]
    assert copies == ["pertama", "kedua"]
    assert (await tick(h.app))["sent"] == 0
    with h.db.session() as s:  # the dead process wakes up: its claim is gone
        assert not repo.renew(s, held.rows[0].id, owner="other-process", now=clock())


async def test_helpdesk_on_postgres(make_harness, pg_url, clock, sleeper):
    async with make_harness(db_url=pg_url, settings_overrides=HD,
                            rate_limiter=limiter(sleeper)) as hh:
        hh.add_agent(AGENT, first_name="Andi")
        _, thread = await open_ticket(hh)
        assert ticket_of(hh).code == "HD-2503-0001"
        r = await agent(hh, thread, "Baik, kami cek")
        assert r.to(PERSON).text == "Baik, kami cek"
        hh.api.fail_next("copyMessage", times=1, retry_after=120, chat_id=AGENTS_CHAT_ID)
        await hh.send(PERSON, "pesan tertunda")
        clock.advance(seconds=121)
        assert (await tick(hh.app))["sent"] == 1
        assert (await tick(hh.app))["sent"] == 0
        await open_ticket(hh, 222)
        assert ticket_of(hh, 222).code == "HD-2503-0002"


async def test_the_words_for_the_agents_are_never_taken_for_a_menu_label(h):
    await h.send(PERSON, "/petugas")
    await h.press("Pelunasan", chat_id=PERSON)
    r = await h.send(PERSON, "Pelunasan")  # the person's message, though a menu label too
    assert r.to(AGENTS_CHAT_ID) and "Kirim nomor porsi yang ingin dicek" not in r.text
    assert ticket_of(h) is not None


async def test_batal_during_a_ticket_points_to_selesai_and_reaches_no_agent(h):
    _, _thread = await open_ticket(h)
    r = await h.send(PERSON, "/batal")
    assert "/selesai" in r.text and not r.to(AGENTS_CHAT_ID)
    assert ticket_of(h) is not None  # still open


async def test_batal_before_the_message_cancels_the_request(h):
    await h.send(PERSON, "/petugas")
    await h.press("Pelunasan", chat_id=PERSON)
    r = await h.send(PERSON, "/batal")
    assert "dibatalkan" in r.text and not r.to(AGENTS_CHAT_ID)
    assert ticket_of(h) is None and h.chat_data(PERSON).get("flow") is None
