"""e2e: erasure on request (/hapusdata and /akun's "Hapus data saya") through the real
Application: state, links, the pelimpahan checklist and the person's helpdesk words go; the
audit log, failures and ticket metadata stay; "Batal" deletes nothing."""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text

from db import repos_helpdesk as hd
from db import repos_pelimpahan as pel
from db import repos_verification as ver
from db.models.runtime import ChatState, UserState
from db.models.verification import VerifiedLink
from knowledge.records import History, Identity, PilgrimRecord, WaitingList
from knowledge.values import PilgrimStatus
from tests.e2e.harness import AGENTS_CHAT_ID

PERSON = 111
OTHER = 222
AGENT = 900
PORSI = "0100123456"
DAY = timedelta(days=1)
SECRET = "Nama saya Budi Santoso"  # what the person tells the agents


@pytest.fixture
async def h(make_harness, fake_gateway):
    fake_gateway.add(PilgrimRecord(
        porsi=PORSI, identity=Identity(name="Ahmad Zulkifli", status=PilgrimStatus.WAFAT),
        waiting=WaitingList(province="Bengkulu", regency="Kota Bengkulu"),
        history=History(transferred_in=False, related_porsi=()),
    ))
    async with make_harness(settings_overrides={"helpdesk_chat_id": AGENTS_CHAT_ID}) as hh:
        hh.add_agent(AGENT, first_name="Andi")
        yield hh


async def tick_checklist(h, chat: int) -> None:
    """The pelimpahan guide up to the checklist, one document ticked."""
    await h.send(chat, "/pelimpahan")
    await h.press("Meninggal dunia", chat_id=chat)
    await h.send(chat, "10 Maret 2023")
    await h.press("Ya, sebelum berangkat", chat_id=chat)
    await h.press("Anak kandung", chat_id=chat)
    await h.send(chat, "17/8/1990")
    await h.send(chat, PORSI)
    await h.press("Belum / tidak", chat_id=chat)
    await h.press("Daftar dokumen", chat_id=chat)
    r = await h.press("☐ 1. Akta kematian", chat_id=chat)
    assert "1 dari 5 dokumen siap" in r.text


def seed_links(h, now) -> None:
    with h.db.session() as s:
        for chat in (PERSON, OTHER):
            ver.add_link(s, chat_id=chat, user_id=chat, porsi=PORSI, now=now,
                         ttl=timedelta(days=30))
            ver.audit_view(s, chat_id=chat, user_id=chat, porsi=PORSI, kind="pelunasan",
                           now=now)
        ver.record_failure(s, chat_id=PERSON, porsi="0100999999", now=now)


async def open_ticket(h) -> tuple[str, int]:
    await h.send(PERSON, "/petugas")
    await h.press("Pelunasan", chat_id=PERSON)
    r = await h.send(PERSON, SECRET)
    thread = r.to(AGENTS_CHAT_ID)[0].thread_id
    await h.send(PERSON, photo=True, caption="bukti setor Budi")
    await h.send(AGENTS_CHAT_ID, "Baik Pak, kami cek", user_id=AGENT, message_thread_id=thread)
    with h.db.session() as s:
        return hd.open_of(s, PERSON).code, thread


def state_rows(h, chat: int):
    with h.db.session() as s:
        c = s.get(ChatState, chat)
        u = s.get(UserState, chat)
        return (c.data if c else None), (u.data if u else None)


async def test_cancel_deletes_nothing(h, clock):
    seed_links(h, clock())
    await tick_checklist(h, PERSON)
    code, _ = await open_ticket(h)
    r = await h.send(PERSON, "/hapusdata")
    assert h.outcome()["topic"] == "akun"
    assert "Hapus data Anda dari bot ini?" in r.text
    assert "catatan akses data pribadi" in r.text  # what is kept, said before the choice
    assert {"Ya, hapus", "Batal"} <= set(r.buttons)
    r = await h.press("Batal", chat_id=PERSON)
    assert "tidak ada yang dihapus" in r.text
    with h.db.session() as s:
        assert ver.is_verified(s, PERSON, PORSI, clock())
        assert list(pel.checklist(s, PERSON).values()) == [True]
        assert pel.get_case(s, PERSON) is not None
        t = hd.open_of(s, PERSON)
        assert t is not None and t.code == code
        assert SECRET in [m.text for m in hd.messages(s, t.id)]
    assert h.chat_data(PERSON)  # state untouched


async def test_erase_from_akun_deletes_and_keeps_what_it_says(h, clock, caplog):
    caplog.set_level(logging.INFO)  # the production level
    seed_links(h, clock())
    await tick_checklist(h, PERSON)
    code, thread = await open_ticket(h)
    with h.db.session() as s:
        t = hd.by_code(s, code)
        copies = [m.topic_message_id for m in hd.messages(s, t.id) if m.direction == "in"]
        card = t.context["card_message_id"]
    assert len(copies) == 2 and all((AGENTS_CHAT_ID, m) in h.api.messages for m in copies)
    assert "A**** Z*******" in h.api.messages[(AGENTS_CHAT_ID, card)]["text"]  # masked name
    chat_before, _ = state_rows(h, PERSON)
    assert chat_before and chat_before != "{}"

    r = await h.send(PERSON, "/akun")
    assert PORSI in r.text and "Hapus data saya" in r.buttons
    r = await h.press("Hapus data saya", chat_id=PERSON)
    assert "Ya, hapus" in r.buttons
    caplog.clear()
    r = await h.press("Ya, hapus", chat_id=PERSON)

    # the reply: what went, what stayed and why
    mine = r.to(PERSON).text
    assert "Data Anda sudah dihapus" in mine
    assert "1 tautan nomor porsi" in mine
    assert "1 catatan akses data pribadi" in mine and "bukti bahwa akses itu sah" in mine
    assert "1 catatan percobaan verifikasi yang gagal" in mine
    assert "mencegah penyalahgunaan" in mine
    assert "2 pesan Anda kepada petugas" in mine
    # the agents are told in the ticket's topic; the topic is closed; the copies are gone
    notice = r.to(AGENTS_CHAT_ID, thread).text
    assert code in notice and "meminta datanya dihapus" in notice
    assert h.api.topic(AGENTS_CHAT_ID, thread)["closed"]
    assert not any((AGENTS_CHAT_ID, m) in h.api.messages for m in copies)
    assert (AGENTS_CHAT_ID, card) not in h.api.messages  # the context card too
    assert "Kartu konteks di awal topik ini sudah dihapus" in notice
    assert "Budi" not in r.text  # no rating prompt, nothing of the person repeated

    with h.db.session() as s:
        # deleted
        assert ver.active_links(s, PERSON, clock()) == []
        assert pel.checklist(s, PERSON) == {} and pel.get_case(s, PERSON) is None
        # the helpdesk: closed, words replaced, metadata kept
        t = hd.by_code(s, code)
        assert t.state == "closed" and t.closed_by == "person"
        assert t.reason == "pelunasan" and t.created_at is not None and t.porsi is None
        assert t.context == {}
        msgs = hd.messages(s, t.id)
        ins = [m for m in msgs if m.direction == "in"]
        assert [m.text for m in ins] == [hd.ERASED_TEXT] * 2
        assert [m.kind for m in ins] == ["text", "photo"]
        assert "Baik Pak, kami cek" in [m.text for m in msgs if m.direction == "out"]
        # kept
        assert len(ver.audit_views(s, chat_id=PERSON)) == 1
        assert ver.failure_count(s, chat_id=PERSON) == 1
        # other people untouched
        assert ver.is_verified(s, OTHER, PORSI, clock())
        assert len(ver.audit_views(s, chat_id=OTHER)) == 1
        all_texts = " ".join(m.text or "" for m in msgs)
        assert "Budi" not in all_texts
    # the runtime state: nothing left in memory nor in the database
    assert h.chat_data(PERSON) == {} and h.user_data(PERSON) == {}
    chat_after, user_after = state_rows(h, PERSON)
    assert chat_after is None and user_after is None  # no empty row written back either
    # logs: counts only
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert "erased on request" in logged
    assert "Budi" not in logged and str(PERSON) not in logged.replace(code, "")

    # the person can go on using the bot; the erased ticket stays closed
    r = await h.send(PERSON, "apa itu siskohat")
    assert not r.to(AGENTS_CHAT_ID)


async def test_card_that_cannot_be_deleted_is_overwritten(h):
    code, thread = await open_ticket(h)
    with h.db.session() as s:
        card = hd.by_code(s, code).context["card_message_id"]
    h.api.fail_next("deleteMessage", times=3,
                    description="Bad Request: message can't be deleted for everyone")
    await h.send(PERSON, "/hapusdata")
    r = await h.press("Ya, hapus", chat_id=PERSON)
    left = h.api.messages[(AGENTS_CHAT_ID, card)]["text"]
    assert "dihapus atas permintaan jemaah" in left and "A****" not in left
    notice = r.to(AGENTS_CHAT_ID, thread).of("sendMessage").text
    assert "2 salinan tidak bisa dihapus" in notice and "Kartu konteks di awal topik ini sudah" \
        in notice


async def test_agent_cannot_reopen_an_erased_ticket(h):
    code, thread = await open_ticket(h)
    await h.send(PERSON, "/hapusdata")
    await h.press("Ya, hapus", chat_id=PERSON)

    r = await h.send(AGENTS_CHAT_ID, "/buka", user_id=AGENT, message_thread_id=thread)
    said = r.to(AGENTS_CHAT_ID, thread).text
    assert "tidak dapat dibuka lagi" in said and "dihapus" in said
    assert not r.to(PERSON)  # nothing reaches the person who asked to be forgotten
    with h.db.session() as s:
        t = hd.by_code(s, code)
        assert t.state == "closed" and hd.open_of(s, PERSON) is None
    assert h.api.topic(AGENTS_CHAT_ID, thread)["closed"]
    # a message in the topic is not relayed either, and /buka is not suggested
    r = await h.send(AGENTS_CHAT_ID, "Pak, masih di sana?", user_id=AGENT,
                     message_thread_id=thread)
    assert not r.to(PERSON)
    said = r.to(AGENTS_CHAT_ID, thread).text
    assert "tidak dapat dibuka lagi" in said and "/buka" not in said
    # the person can still ask for a human: a new ticket, not the erased one
    await h.send(PERSON, "/petugas")
    await h.press("Pelunasan", chat_id=PERSON)
    await h.send(PERSON, "pertanyaan baru")
    with h.db.session() as s:
        new = hd.open_of(s, PERSON)
        assert new is not None and new.code != code


async def test_hapusdata_in_english_without_tickets(h, clock):
    await h.callback(OTHER, "bahasa:set:en", 1)  # the /bahasa choice: state to be erased
    assert h.user_data(OTHER).get("lang") == "en"
    r = await h.send(OTHER, "/hapusdata", language_code="en")
    assert "Delete your data from this bot?" in r.text
    r = await h.press("Yes, delete", chat_id=OTHER)
    assert "Your data has been deleted" in r.text
    assert "no messages to the officers were stored" in r.text
    assert "record(s) of access to personal data" in r.text
    assert h.user_data(OTHER) == {}  # the language choice went too; the reply used it
    # the confirmation's buttons are gone: no second erasure by accident
    assert r.of("editMessageReplyMarkup") and not r.of("editMessageReplyMarkup")[0].buttons


async def test_hapusdata_is_in_help_and_the_command_list(h):
    r = await h.send(PERSON, "/help")
    assert "/hapusdata" in r.text
    assert any(c["command"] == "hapusdata" for c in h.api.commands.get("default", [])) or \
        "hapusdata" in str(h.api.commands)


async def test_daily_purge_job_is_registered_once_and_purges(h, clock):
    jobs = h.app.job_queue.get_jobs_by_name("privacy_purge")
    assert len(jobs) == 1
    with h.db.session() as s:  # an expired link: the job's purge removes it
        ver.add_link(s, chat_id=PERSON, user_id=PERSON, porsi=PORSI, now=clock() - 40 * DAY,
                     ttl=30 * DAY)
    await jobs[0].callback(SimpleNamespace(application=h.app))
    with h.db.session() as s:
        assert s.scalar(select(func.count()).select_from(VerifiedLink)) == 0


async def test_erasure_never_resets_the_hourly_lookup_allowance(make_harness, fake_gateway):
    fake_gateway.add(PilgrimRecord(porsi=PORSI, identity=Identity(status=PilgrimStatus.AKTIF),
                                   waiting=WaitingList(regency="Kota Bengkulu")))
    async with make_harness(settings_overrides={"status_lookups_per_hour": 2}) as hh:
        for _ in range(2):
            assert "Status nomor porsi" in (await hh.send(OTHER, f"/porsi {PORSI}")).text
        assert "batas" in (await hh.send(OTHER, f"/porsi {PORSI}")).text.lower()
        await hh.send(OTHER, "/hapusdata")
        r = await hh.press("Ya, hapus", chat_id=OTHER)
        assert "Data Anda sudah dihapus" in r.text
        assert hh.user_data(OTHER) == {}
        r = await hh.send(OTHER, f"/porsi {PORSI}")  # still the same hour: still limited
        assert "Status nomor porsi" not in r.text and "batas" in r.text.lower()
        with hh.db.engine.connect() as c:
            keys = [row[0] for row in c.execute(text("SELECT key FROM abuse_counters"))]
        assert len(keys) == 1 and str(OTHER) not in keys[0]  # a salted hash, not the id


@pytest.mark.parametrize("text, lang, asked", [
    ("hapus data saya", "id", "Hapus data Anda dari bot ini?"),
    ("tolong hapus semua data pribadi saya dari bot ini", "id", "Hapus data Anda dari bot ini?"),
    ("please delete my data", "en", "Delete your data from this bot?"),
])
async def test_erasure_asked_in_words_gets_the_same_confirmation(h, clock, text, lang, asked):
    seed_links(h, clock())
    r = await h.send(PERSON, text, language_code=lang)
    assert asked in r.text and h.outcome()["topic"] == "akun"
    r = await h.press("Ya, hapus" if lang == "id" else "Yes, delete", chat_id=PERSON)
    with h.db.session() as s:
        assert not ver.is_verified(s, PERSON, PORSI, clock())
        assert ver.is_verified(s, OTHER, PORSI, clock())  # nobody else's


async def test_the_hajj_record_named_is_not_an_erasure_request(h):
    r = await h.send(PERSON, "cara hapus data porsi ibu di siskohat")
    assert "Hapus data Anda dari bot ini?" not in r.text and h.outcome()["topic"] != "akun"


async def test_erasure_asked_inside_a_guide_is_not_taken_for_its_answer(h, clock):
    await h.send(PERSON, "/pelimpahan")
    await h.press("Meninggal dunia", chat_id=PERSON)
    r = await h.send(PERSON, "hapus data saya")  # at the date question
    assert "Hapus data Anda dari bot ini?" in r.text and "tidak dapat kami baca" not in r.text
    await h.press("Ya, hapus", chat_id=PERSON)
    with h.db.session() as s:
        assert pel.get_case(s, PERSON) is None
    assert not h.chat_data(PERSON).get("pelimpahan")
