"""Edits during a helpdesk ticket reach the copy on the other side (real Application)."""

from __future__ import annotations

import pytest

from tests.e2e.harness import AGENTS_CHAT_ID
from tests.e2e.test_helpdesk import (
    AGENT,
    HD,
    PERSON,
    Sleeper,
    agent,
    limiter,
    open_ticket,
    rows,
    ticket_of,
)


@pytest.fixture
async def h(make_harness, clock):
    async with make_harness(settings_overrides=HD, rate_limiter=limiter(Sleeper(clock))) as hh:
        hh.add_agent(AGENT, first_name="Andi")
        yield hh


def _copy_in_topic(r, thread):
    return r.to(AGENTS_CHAT_ID, thread).of("copyMessage")[0]


async def test_person_edit_changes_the_agents_copy(h):
    _, thread = await open_ticket(h)
    r = await h.send(PERSON, "porsi saya 130047721")
    copy = _copy_in_topic(r, thread)
    r = await h.edit(PERSON, "porsi saya 1300477219")
    edits = r.to(AGENTS_CHAT_ID).of("editMessageText")
    assert len(edits) == 1 and edits[0].message_id == copy.message_id
    assert h.api.messages[(AGENTS_CHAT_ID, copy.message_id)]["text"] == "porsi saya 1300477219"
    receipt = r.to(PERSON)  # a silent receipt, not the runtime's "send it anew"
    assert receipt.text == "✓ Perubahan terkirim ke petugas."
    assert receipt[0].params.get("disable_notification") is True
    t = ticket_of(h)
    kept = [(m.direction, m.kind, m.text, m.status) for m in rows(h, t.code)]
    assert ("in", "text", "porsi saya 130047721", "sent") in kept  # the original stays
    assert kept[-1] == ("in", "edit", "porsi saya 1300477219", "sent")


async def test_person_edit_of_a_caption(h):
    _, thread = await open_ticket(h)
    r = await h.send(PERSON, photo=True, caption="bukti setor")
    copy = _copy_in_topic(r, thread)
    r = await h.feed(h.api.make_message(PERSON, None, None, photo=True, edited=True,
                                        caption="bukti setor lunas",
                                        message_id=_last_person_message(h)))
    edits = r.to(AGENTS_CHAT_ID).of("editMessageCaption")
    assert len(edits) == 1 and edits[0].message_id == copy.message_id
    assert h.api.messages[(AGENTS_CHAT_ID, copy.message_id)]["caption"] == "bukti setor lunas"


def _last_person_message(h) -> int:
    return max(mid for (cid, mid), m in h.api.messages.items()
               if cid == PERSON and m.get("from", {}).get("id") == PERSON)


async def test_agent_edit_changes_the_persons_copy(h):
    _, thread = await open_ticket(h)
    r = await agent(h, thread, "Jadwal pelunasan tahap I mulai 3 Januari")
    copy = r.to(PERSON).of("copyMessage")[0]
    mid = _last_agent_message(h)
    r = await h.feed(h.api.make_message(AGENTS_CHAT_ID, AGENT, "Jadwal pelunasan tahap I "
                                        "mulai 6 Januari", edited=True, message_id=mid,
                                        message_thread_id=thread))
    edits = r.to(PERSON).of("editMessageText")
    assert len(edits) == 1 and edits[0].message_id == copy.message_id
    assert h.api.messages[(PERSON, copy.message_id)]["text"].endswith("6 Januari")
    assert rows(h, ticket_of(h).code)[-1].kind == "edit"


def _last_agent_message(h) -> int:
    return max(mid for (cid, mid), m in h.api.messages.items()
               if cid == AGENTS_CHAT_ID and m.get("from", {}).get("id") == AGENT)


async def test_copy_that_cannot_be_edited_gets_a_correction_message(h):
    _, thread = await open_ticket(h)
    await agent(h, thread, "Biaya pelunasan Rp 1.000")
    h.api.fail_next("editMessageText", description="Bad Request: message to edit not found")
    r = await h.feed(h.api.make_message(AGENTS_CHAT_ID, AGENT, "Biaya pelunasan Rp 2.000",
                                        edited=True, message_id=_last_agent_message(h),
                                        message_thread_id=thread))
    sent = r.to(PERSON).of("sendMessage")
    assert len(sent) == 1 and "memperbaiki" in sent[0].text and "Rp 2.000" in sent[0].text


async def test_person_told_when_the_edit_cannot_reach_the_agents(h):
    _, _thread = await open_ticket(h)
    await h.send(PERSON, "nama saya Siti")
    h.api.fail_next("editMessageText", description="Bad Request: message can't be edited")
    h.api.fail_next("sendMessage", description="Bad Request: not enough rights",
                    chat_id=AGENTS_CHAT_ID)
    r = await h.edit(PERSON, "nama saya Siti Aminah")
    assert "belum sampai ke petugas" in r.to(PERSON).text
    assert rows(h, ticket_of(h).code)[-1].status == "failed"


async def test_agents_edit_that_fails_is_reported_in_the_topic(h):
    _, thread = await open_ticket(h)
    await agent(h, thread, "balasan pertama")
    h.api.fail_next("editMessageText", description="Bad Request: message can't be edited")
    h.api.fail_next("sendMessage", code=403, description="Forbidden: bot was blocked by the user",
                    chat_id=PERSON)
    r = await h.feed(h.api.make_message(AGENTS_CHAT_ID, AGENT, "balasan diperbaiki",
                                        edited=True, message_id=_last_agent_message(h),
                                        message_thread_id=thread))
    assert "tidak sampai ke jemaah" in r.to(AGENTS_CHAT_ID, thread).text


async def test_edit_of_a_note_stays_internal(h):
    _, thread = await open_ticket(h)
    await agent(h, thread, "/catatan cek ke kankemenag")
    r = await h.feed(h.api.make_message(AGENTS_CHAT_ID, AGENT, "/catatan cek ke kanwil",
                                        edited=True, message_id=_last_agent_message(h),
                                        message_thread_id=thread))
    assert r.to(PERSON) == []
    last = rows(h, ticket_of(h).code)[-1]
    assert (last.direction, last.kind, last.text) == ("note", "edit", "cek ke kanwil")


async def test_edit_of_a_message_before_the_ticket_gets_the_usual_answer(h):
    await h.send(PERSON, "halo")
    _, _thread = await open_ticket(h)
    first = min(mid for (cid, mid), m in h.api.messages.items()
                if cid == PERSON and m.get("from", {}).get("id") == PERSON)
    r = await h.edit(PERSON, "halo lagi", message_id=first)
    assert "pesan baru" in r.to(PERSON).text.lower()
    assert r.to(AGENTS_CHAT_ID) == []


async def test_edit_after_close_gets_the_usual_answer(h):
    _, _thread = await open_ticket(h)
    await h.send(PERSON, "/selesai")
    r = await h.edit(PERSON, "Mau tanya pelunasan saya, ralat", message_id=_first_in(h))
    assert "pesan baru" in r.to(PERSON).text.lower()
    assert r.to(AGENTS_CHAT_ID).of("editMessageText") == []


def _first_in(h) -> int:
    return rows(h, _closed_code(h))[0].person_message_id


def _closed_code(h) -> str:
    from db import repos_helpdesk as repo

    with h.db.session() as s:
        return repo.tickets_of(s, PERSON)[-1].code


async def test_non_member_edit_in_the_group_is_ignored(h):
    _, thread = await open_ticket(h)
    await agent(h, thread, "balasan")
    mid = _last_agent_message(h)
    r = await h.feed(h.api.make_message(AGENTS_CHAT_ID, 4242, "diubah orang lain", edited=True,
                                        message_id=mid, message_thread_id=thread))
    assert r.to(PERSON) == []


async def test_live_location_updates_are_not_answered(h):
    await h.send(PERSON, location=(21.42, 39.82))
    r = await h.feed(h.api.make_message(PERSON, None, None, location=(21.43, 39.83),
                                        edited=True))
    assert list(r) == []


async def test_erasure_removes_a_correction_notice_too(h):
    _, thread = await open_ticket(h)
    await h.send(PERSON, "nama saya Siti")
    h.api.fail_next("editMessageText", description="Bad Request: message can't be edited")
    r = await h.edit(PERSON, "nama saya Siti Aminah")
    notice = r.to(AGENTS_CHAT_ID, thread).of("sendMessage")[0]
    assert "Siti Aminah" in notice.text
    await h.send(PERSON, "/hapusdata")
    await h.press("Ya, hapus", chat_id=PERSON)
    assert (AGENTS_CHAT_ID, notice.message_id) not in h.api.messages


async def test_edit_of_a_message_still_in_the_outbox_rides_along(h, clock):
    _, thread = await open_ticket(h)
    h.api.fail_next("copyMessage", retry_after=120, chat_id=AGENTS_CHAT_ID)
    await h.send(PERSON, "alamat saya Jl. Mawar")
    assert rows(h, ticket_of(h).code)[-1].status == "pending"
    r = await h.edit(PERSON, "alamat saya Jl. Melati")
    assert r.to(PERSON).text == "✓ Perubahan dicatat; akan terkirim bersama pesannya."
    assert r.to(AGENTS_CHAT_ID) == []
    clock.advance(seconds=200)
    from handlers.helpdesk.person import tick

    await tick(h.app)
    copies = h.api.sent_to(AGENTS_CHAT_ID, thread_id=thread)
    assert copies[-1].text == "alamat saya Jl. Melati"  # the copy is of the current version


async def test_a_burst_of_edits_in_a_ticket_is_carried_then_bounded(make_harness, clock):
    """Corrections are words for the agent too: past the throttle's burst they are still
    carried in an open ticket (issue 18, finding 6), up to the helpdesk's higher bound."""
    async with make_harness(settings_overrides=HD, throttle=True,
                            rate_limiter=limiter(Sleeper(clock))) as h:
        h.add_agent(AGENT, first_name="Andi")
        await _burst_of_edits(h, clock)


async def _burst_of_edits(h, clock):
    await open_ticket(h)
    clock.advance(seconds=60)  # a fresh throttle window
    await h.send(PERSON, "versi 0")
    carried = 0
    for n in range(1, 8):
        r = await h.edit(PERSON, f"versi {n}")
        carried += len(r.to(AGENTS_CHAT_ID).of("editMessageText"))
    assert carried == 7  # beyond the default burst (5 updates per window) as well
    assert not any("tunggu" in s.text.lower() for s in h.api.sent_to(PERSON))
    # a flood of edits meets the helpdesk's bound (TICKET_BURST_FACTOR bursts): "please wait"
    for n in range(8, 30):
        r = await h.edit(PERSON, f"versi {n}")
        carried += len(r.to(AGENTS_CHAT_ID).of("editMessageText"))
    assert carried < 29
    assert any("tunggu" in s.text.lower() for s in h.api.sent_to(PERSON)[-10:])
