"""`hajibot helpdesk stats | transcript` and the helpdesk repository (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from db import migrate
from db import repos_helpdesk as repo
from db.engine import Database

WIB = ZoneInfo("Asia/Jakarta")
T0 = datetime(2024, 11, 4, 9, 0, tzinfo=WIB)
M = timedelta(minutes=1)


@pytest.fixture
def hd_db(any_db_url, hajibot_env):
    migrate.upgrade(any_db_url)
    hajibot_env(database_url=any_db_url)
    database = Database(any_db_url)
    yield database
    database.dispose()


def _ticket(s, chat_id, reason, opened, *, answer_after=None, close_after=None, rating=None,
            comment=None):
    t = repo.open_ticket(s, chat_id=chat_id, user_id=chat_id, lang="id", reason=reason,
                         local_now=opened, porsi="1300477219")
    repo.add_message(s, ticket_id=t.id, direction="in", kind="text", text="Kapan saya lunas?",
                     person_message_id=10, now=opened, status="sent")
    repo.add_message(s, ticket_id=t.id, direction="in", kind="photo", text=None,
                     person_message_id=11, now=opened)
    if answer_after is not None:
        repo.add_message(s, ticket_id=t.id, direction="out", kind="text", text="Sudah kami cek",
                         topic_message_id=20, now=opened + answer_after, status="sent")
        repo.add_message(s, ticket_id=t.id, direction="note", kind="text", text="cek Kankemenag",
                         now=opened + answer_after, status="none")
        repo.agent_replied(s, t.id, opened + answer_after)
    if close_after is not None:
        repo.close(s, t.id, by="agent", now=opened + close_after)
        if rating:
            repo.update_ticket(s, t.id, rating=rating, comment=comment)
    return t


def test_ids_are_numbered_per_month_and_one_ticket_is_open_per_person(hd_db):
    with hd_db.session() as s:
        a = _ticket(s, 1, "pelunasan", T0)
        b = _ticket(s, 2, "status", T0 + M)
        c = _ticket(s, 3, "status", datetime(2024, 12, 1, 8, 0, tzinfo=WIB))
        assert (a.code, b.code, c.code) == ("HD-2411-0001", "HD-2411-0002", "HD-2412-0001")
        assert repo.open_of(s, 1).id == a.id
        assert [t.code for t in repo.open_tickets(s)] == [a.code, b.code, c.code]
        repo.close(s, a.id, by="person", now=T0 + 5 * M)
        assert repo.open_of(s, 1) is None
        row = repo.pending(s, ticket_id=b.id)[0]
        assert row.kind == "photo" and repo.topic_message_for(s, b.id, 11) is None
        repo.mark_sent(s, row.id, target_message_id=77, now=T0)
        assert repo.topic_message_for(s, b.id, 11) == 77
        assert repo.person_message_for(s, b.id, 77) == 11
        assert repo.pending(s, ticket_id=b.id) == []


def test_stats_json_and_table(hd_db, capsys):
    with hd_db.session() as s:
        _ticket(s, 1, "pelunasan", T0, answer_after=10 * M, close_after=60 * M, rating=5)
        _ticket(s, 2, "pelunasan", T0, answer_after=30 * M, close_after=120 * M, rating=3)
        _ticket(s, 3, "status", T0, answer_after=20 * M)
        _ticket(s, 4, "data_salah", T0)
    assert main(["helpdesk", "stats", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    a = out["all"]
    assert (a["opened"], a["closed"], a["open"]) == (4, 2, 2)
    assert a["first_response_s"]["median"] == 1200.0
    assert a["first_response_s"]["p90"] == pytest.approx(1680.0)
    assert a["resolution_s"]["median"] == 5400.0 and a["rating_avg"] == 4.0
    assert set(out["per_reason"]) == {"pelunasan", "status", "data_salah"}
    assert out["per_reason"]["pelunasan"]["closed"] == 2
    assert main(["helpdesk", "stats"]) == 0
    table = capsys.readouterr().out
    assert "ALL" in table and "pelunasan" in table and "20m" in table and "4.00" in table


def test_transcript_of_a_closed_ticket(hd_db, capsys):
    with hd_db.session() as s:
        t = _ticket(s, 1, "pelunasan", T0, answer_after=10 * M, close_after=60 * M, rating=4,
                    comment="cepat")
    assert main(["helpdesk", "transcript", t.code.lower()]) == 0
    out = capsys.readouterr().out
    assert "Tiket HD-2411-0001 · pelunasan · closed" in out
    assert "jemaah: Kapan saya lunas?" in out and "jemaah (pending): [photo]" in out
    assert "petugas: Sudah kami cek" in out and "catatan: cek Kankemenag" in out
    assert "Nilai: 4/5 · komentar: cepat" in out
    assert "2024-11-04 09:10" in out  # local time (WIB)
    assert main(["helpdesk", "transcript", t.code, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [m["from"] for m in data["messages"]] == ["jemaah", "jemaah", "petugas", "catatan"]


def test_transcript_unknown_id_exits_1(hd_db, capsys):
    assert main(["helpdesk", "transcript", "HD-2411-0099"]) == 1
    assert "unknown ticket: HD-2411-0099" in capsys.readouterr().err
    assert main(["helpdesk", "transcript", "bukan-tiket"]) == 1
    assert "not a ticket id" in capsys.readouterr().err


def test_edits_are_found_by_source_id_and_shown_in_the_transcript(hd_db, capsys):
    with hd_db.session() as s:
        t = _ticket(s, 1, "pelunasan", T0, answer_after=10 * M)
        by_person = repo.relayed_row(s, t.id, person_message_id=10)
        assert (by_person.direction, by_person.text) == ("in", "Kapan saya lunas?")
        by_agent = repo.relayed_row(s, t.id, topic_message_id=20)
        assert (by_agent.direction, by_agent.text) == ("out", "Sudah kami cek")
        assert repo.relayed_row(s, t.id, person_message_id=20) is None  # ids are per side
        assert repo.relayed_row(s, t.id, topic_message_id=10) is None
        repo.add_message(s, ticket_id=t.id, direction="in", kind="edit",
                         text="Kapan saya bisa lunas?", now=T0 + 12 * M, status="sent")
        assert repo.relayed_row(s, t.id, person_message_id=10).kind == "text"  # not the edit
    assert main(["helpdesk", "transcript", t.code]) == 0
    out = capsys.readouterr().out
    assert "jemaah: Kapan saya lunas?" in out  # the original stays
    assert "jemaah: (mengubah pesannya) Kapan saya bisa lunas?" in out
