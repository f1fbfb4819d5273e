"""WhatsApp chats: internal ids never shared with Telegram nor reused, message ids, window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from db import repos_whatsapp as repo

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_ids_are_outside_telegrams_range_and_never_reused(any_db):
    with any_db.session() as s:
        a = repo.touch_chat(s, "ID.aaa", "6281100000001", NOW)
        b = repo.touch_chat(s, "ID.bbb", None, NOW)
        again = repo.touch_chat(s, "ID.aaa", "6281100000001", NOW + timedelta(hours=1))
    assert a.chat_id == again.chat_id != b.chat_id
    assert all(repo.is_whatsapp(c.chat_id) and c.chat_id > 2**52 for c in (a, b))
    assert not repo.is_whatsapp(2**52 - 1) and not repo.is_whatsapp(-1001234567890)
    with any_db.session() as s:
        assert repo.erase_person(s, b.chat_id) == {"whatsapp_chat": 1,
                                                    "whatsapp_message_ids": 0}
        c = repo.touch_chat(s, "ID.ccc", None, NOW)
    assert c.chat_id > b.chat_id  # an erased person's id is never given to someone else


def test_a_message_id_keeps_its_update_id(any_db):
    with any_db.session() as s:
        chat = repo.touch_chat(s, "ID.aaa", "6281100000001", NOW)
        first, new = repo.update_id_for(s, "wamid.1", chat.chat_id, NOW)
        second, new2 = repo.update_id_for(s, "wamid.2", chat.chat_id, NOW)
        again, new3 = repo.update_id_for(s, "wamid.1", chat.chat_id, NOW)
    assert new and new2 and not new3 and first == again != second
    assert repo.is_whatsapp(first)


def test_the_window_and_a_number_seen_later(any_db):
    with any_db.session() as s:
        hidden = repo.touch_chat(s, "ID.aaa", None, NOW)
        assert hidden.wa_id is None and hidden.recipient == "ID.aaa"
        later = repo.touch_chat(s, "ID.aaa", "6281100000001", NOW + timedelta(hours=23))
    assert later.wa_id == "6281100000001" and later.recipient == "6281100000001"
    assert later.window_open(NOW + timedelta(hours=46))
    assert not later.window_open(NOW + timedelta(hours=47, seconds=1))
