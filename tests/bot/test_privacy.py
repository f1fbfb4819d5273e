"""Retention purge and erasure (bot/privacy.py, db/erasure.py and the repositories' erase/purge
functions) with a pinned clock, on SQLite and PostgreSQL; and `hajibot db purge`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot import privacy
from bot.cli import main
from bot.settings import Settings
from db import erasure, migrate, repos_notify
from db import repos_helpdesk as hd
from db import repos_pelimpahan as pel
from db import repos_verification as ver
from db import repos_whatsapp as wa
from db.engine import Database
from db.models.inbox import InboxUpdate, UpdateSend
from db.models.mirror import PushEvent
from db.models.runtime import ChatState, ProcessedUpdate, UserState
from db.models.verification import (
    PersonalDataView,
    VerificationFactorChange,
    VerificationFailure,
    VerifiedLink,
)
from db.models.whatsapp import WhatsAppChat, WhatsAppMessage
from integration.mirror import iso_utc

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
KEEP_FAILURES = timedelta(hours=2)
PURGED = {"chat_state": 1, "user_state": 1, "processed_updates": 1, "verified_links": 1,
          "verification_failures": 1, "pelimpahan_cases": 1, "pelimpahan_checklist": 2,
          "tickets_anonymised": 1, "messages_anonymised": 2, "personal_data_views": 0,
          "verification_factor_changes": 0, "push_events": 1, "abuse_counters": 0,
          "notifications_done": 0, "whatsapp_message_ids": 1, "whatsapp_chats": 1}


@pytest.fixture
def pdb(any_db_url):
    migrate.upgrade(any_db_url)
    database = Database(any_db_url)
    yield database
    database.dispose()


def naive(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(tzinfo=None)


def ticket(s, chat_id: int, opened: datetime, closed: datetime | None, text: str) -> int:
    t = hd.open_ticket(s, chat_id=chat_id, user_id=chat_id, lang="id", reason="pelunasan",
                       local_now=opened, porsi="0100123456",
                       context={"tg_name": "B***", "status": {"name": "Budi"}})
    hd.add_message(s, ticket_id=t.id, direction="in", kind="text", text=text, now=opened,
                   status="sent", person_message_id=1, topic_message_id=2)
    hd.add_message(s, ticket_id=t.id, direction="in", kind="photo", text=None, now=opened,
                   status="sent")
    hd.add_message(s, ticket_id=t.id, direction="out", kind="text", text="Baik, kami cek",
                   now=opened, status="sent", agent_id=900)
    if closed is not None:
        hd.close(s, t.id, by="agent", now=closed)
        hd.update_ticket(s, t.id, rating=4, comment=f"komentar {text}")
        hd.add_message(s, ticket_id=t.id, direction="bot", kind="comment",
                       text=f"komentar {text}", now=closed, status="none")
    return t.id


def seed(db: Database, now: datetime) -> dict:
    """One row past each retention limit and one just inside it."""
    ids = {}
    with db.session() as s:
        s.add_all([
            ChatState(chat_id=1, data='{"flow":"x"}', updated_at=naive(now - 181 * DAY)),
            ChatState(chat_id=2, data='{"flow":"y"}', updated_at=naive(now - 179 * DAY)),
            UserState(user_id=1, data="{}", meta="{}", updated_at=naive(now - 181 * DAY)),
            UserState(user_id=2, data="{}", meta="{}", updated_at=naive(now - 10 * DAY)),
            ProcessedUpdate(update_id=1, processed_at=naive(now - 3 * DAY)),
            ProcessedUpdate(update_id=2, processed_at=naive(now - DAY)),
        ])
        ver.add_link(s, chat_id=1, user_id=1, porsi="0100000001", now=now - 31 * DAY,
                     ttl=30 * DAY)
        ver.add_link(s, chat_id=2, user_id=2, porsi="0100000002", now=now - DAY, ttl=30 * DAY)
        ver.record_failure(s, chat_id=1, porsi="0100000009", now=now - timedelta(hours=3))
        ver.record_failure(s, chat_id=2, porsi="0100000009", now=now - timedelta(minutes=30))
        ver.audit_view(s, chat_id=1, user_id=1, porsi="0100000001", kind="pelunasan",
                       now=now - 400 * DAY)
        ver.factors_changed(s, porsi="0100000007", factors=["no_hp"], source="push",
                            event_id="ev-old", now=now - 400 * DAY)
        # push event ids: kept 30 days by default (a retry inside them is a duplicate)
        s.add_all([PushEvent(id="ev-old", received_at=iso_utc(now - 31 * DAY), outcome="applied"),
                   PushEvent(id="ev-new", received_at=iso_utc(now - 29 * DAY), outcome="stale")])
        # chat 1: everything old -> goes; chat 2: an old case but a fresh tick -> stays whole
        pel.save_case(s, 1, cause="wafat", policy_version="v", eligible=True, reasons=[],
                      now=now - 200 * DAY)
        pel.set_ready(s, 1, "akta_kematian", True, now - 200 * DAY)
        pel.set_ready(s, 1, "ktp", True, now - 190 * DAY)
        pel.save_case(s, 2, cause="wafat", policy_version="v", eligible=True, reasons=[],
                      now=now - 200 * DAY)
        pel.set_ready(s, 2, "akta_kematian", True, now - 5 * DAY)
        # WhatsApp: a person silent past the state retention goes with their number; message
        # ids are kept a week (Meta's redeliveries)
        silent = wa.touch_chat(s, "ID.silent", "6281100000001", now - 181 * DAY)
        wa.touch_chat(s, "ID.recent", "6281100000002", now - 179 * DAY)
        wa.update_id_for(s, "wamid.old", silent.chat_id, now - 8 * DAY)
        wa.update_id_for(s, "wamid.new", silent.chat_id, now - 6 * DAY)
        ids["old"] = ticket(s, 1, now - 400 * DAY, now - 366 * DAY, "rahasia lama")
        ids["recent"] = ticket(s, 2, now - 100 * DAY, now - 100 * DAY, "rahasia baru")
        ids["open"] = ticket(s, 3, now - 500 * DAY, None, "masih terbuka")
    return ids


def snapshot(db: Database) -> dict:
    with db.session() as s:
        counts = {m.__name__: s.scalar(select(func.count()).select_from(m))
                  for m in (ChatState, UserState, ProcessedUpdate, VerifiedLink,
                            VerificationFailure, PersonalDataView, VerificationFactorChange,
                            PushEvent, WhatsAppChat, WhatsAppMessage)}
        texts = {}
        for t in hd.tickets_of(s, 1) + hd.tickets_of(s, 2) + hd.tickets_of(s, 3):
            texts[t.id] = ([m.text for m in hd.messages(s, t.id)], t.comment, t.porsi,
                           t.context)
        return {"counts": counts, "checklists": (pel.checklist(s, 1), pel.checklist(s, 2)),
                "texts": texts}


def test_purge_dry_run_counts_and_changes_nothing_then_purges(pdb):
    ids = seed(pdb, NOW)
    before = snapshot(pdb)
    dry = privacy.purge(pdb, Settings(), NOW, dry_run=True, keep_failures=KEEP_FAILURES)
    assert dry == PURGED
    assert snapshot(pdb) == before

    done = privacy.purge(pdb, Settings(), NOW, keep_failures=KEEP_FAILURES)
    assert done == PURGED
    with pdb.session() as s:
        assert [r.chat_id for r in s.scalars(select(ChatState))] == [2]
        assert [r.user_id for r in s.scalars(select(UserState))] == [2]
        assert [r.update_id for r in s.scalars(select(ProcessedUpdate))] == [2]
        assert [lk.porsi for lk in ver.active_links(s, 2, NOW)] == ["0100000002"]
        assert s.scalar(select(func.count()).select_from(VerifiedLink)) == 1
        assert ver.failure_count(s, chat_id=1) == 0 and ver.failure_count(s, chat_id=2) == 1
        assert len(ver.audit_views(s, chat_id=1)) == 1  # the audit log is kept by default
        assert len(ver.factor_changes(s)) == 1  # and so is the log of factor changes
        assert list(s.scalars(select(PushEvent.id))) == ["ev-new"]
        assert pel.checklist(s, 1) == {} and pel.get_case(s, 1) is None
        assert pel.checklist(s, 2) == {"akta_kematian": True} and pel.get_case(s, 2)
        old = hd.get(s, ids["old"])
        old_texts = [m.text for m in hd.messages(s, old.id)]
        assert old_texts == [hd.ERASED_TEXT, None, "Baik, kami cek", hd.ERASED_TEXT]
        assert old.comment == hd.ERASED_TEXT and old.porsi is None and old.context == {}
        assert old.rating == 4 and old.reason == "pelunasan" and old.closed_at is not None
        for keep in ("recent", "open"):
            texts = [m.text for m in hd.messages(s, ids[keep])]
            assert hd.ERASED_TEXT not in texts and hd.get(s, ids[keep]).porsi == "0100123456"
        # statistics still see every ticket
        assert len(hd.facts(s)) == 3
    # idempotent: nothing left to do
    again = privacy.purge(pdb, Settings(), NOW, keep_failures=KEEP_FAILURES)
    assert set(again.values()) == {0}


def test_purge_follows_the_settings(pdb):
    seed(pdb, NOW)
    settings = Settings(state_retention_days=5, ticket_retention_days=30)
    counts = privacy.purge(pdb, settings, NOW, dry_run=True, keep_failures=KEEP_FAILURES)
    assert counts["chat_state"] == 2 and counts["user_state"] == 2
    assert counts["tickets_anonymised"] == 2  # the open ticket never
    assert counts["personal_data_views"] == 0  # no audit period set: kept
    assert counts["push_events"] == 1
    counts = privacy.purge(pdb, Settings(push_event_retention_days=28), NOW, dry_run=True,
                           keep_failures=KEEP_FAILURES)
    assert counts["push_events"] == 2


def test_audit_log_purged_only_past_a_set_period(pdb):
    seed(pdb, NOW)
    with pdb.session() as s:
        ver.audit_view(s, chat_id=2, user_id=2, porsi="0100000002", kind="pelunasan",
                       now=NOW - 10 * DAY)
    counts = privacy.purge(pdb, Settings(audit_retention_days=365), NOW,
                           keep_failures=KEEP_FAILURES)
    assert counts["personal_data_views"] == 1  # the 400-day-old view
    assert counts["verification_factor_changes"] == 1  # the 400-day-old factor change
    with pdb.session() as s:
        assert ver.audit_views(s, chat_id=1) == []
        assert ver.factor_changes(s) == []
        assert len(ver.audit_views(s, chat_id=2)) == 1


def test_failures_are_kept_while_they_can_matter():
    from knowledge.verification import LockoutRules

    rules = LockoutRules()
    assert privacy.lockout_keep() >= rules.window


def test_settings_defaults_are_appended():
    s = Settings()
    assert (s.state_retention_days, s.ticket_retention_days, s.audit_retention_days) == (
        180, 365, 0)
    assert list(Settings.model_fields)[-3:] == ["state_retention_days", "ticket_retention_days",
                                                "audit_retention_days"]


def test_erase_person_only_touches_that_person(pdb):
    ids = seed(pdb, NOW)
    with pdb.session() as s:
        ver.add_link(s, chat_id=1, user_id=1, porsi="0100000003", now=NOW, ttl=30 * DAY)
        ver.add_link(s, chat_id=5, user_id=1, porsi="0100000004", now=NOW, ttl=30 * DAY)  # group
        t = hd.open_ticket(s, chat_id=1, user_id=1, lang="id", reason="lainnya", local_now=NOW)
        hd.add_message(s, ticket_id=t.id, direction="in", kind="text", text="tolong", now=NOW,
                       status="pending", person_message_id=9)
        for uid, chat, state in ((901, 1, "parked"), (902, 1, "pending"), (903, 2, "parked")):
            s.add(InboxUpdate(update_id=uid, chat_id=chat, user_id=chat, state=state,
                              payload='{"text": "rahasia di antrean"}', received_at=NOW))
        for chat in (1, 2):
            repos_notify.subscribe(s, chat, "0100000003", "id", NOW, limit=10)
        for uid, chat in ((902, 1), (904, 2)):  # a reply journaled while its update runs
            s.add(UpdateSend(update_id=uid, seq=0, chat_id=chat, method="sendMessage",
                             response='{"text": "Status nomor porsi"}', created_at=NOW))
    counts = erasure.erase_person(pdb, 1, 1, NOW)
    assert counts == {"chat_state": 1, "user_state": 1, "verified_links": 3,
                      "pelimpahan_cases": 1, "pelimpahan_checklist": 2, "tickets_closed": 1,
                      # the new ticket's row had no card inputs or porsi to drop
                      "tickets_anonymised": 1, "messages_anonymised": 3,
                      "outbox_cancelled": 1, "parked_updates": 1, "update_sends": 1,
                      "kept_audit_views": 1,
                      "kept_verification_failures": 1, "notify_subscriptions": 1,
                      "notifications": 0}
    with pdb.session() as s:
        assert s.get(ChatState, 1) is None and s.get(UserState, 1) is None
        # the parked update (the person's words) goes; a newer pending one is still to answer
        assert s.get(InboxUpdate, 901) is None and s.get(InboxUpdate, 902) is not None
        assert s.get(InboxUpdate, 903) is not None  # someone else's
        assert s.get(UpdateSend, (902, 0)) is None and s.get(UpdateSend, (904, 0)) is not None
        assert s.get(ChatState, 2) is not None
        assert ver.active_links(s, 1, NOW) == [] and ver.active_links(s, 5, NOW) == []
        assert ver.active_links(s, 2, NOW)
        assert pel.get_case(s, 2) is not None
        assert repos_notify.subscriptions(s, 1) == [] and repos_notify.subscriptions(s, 2)
        new = hd.get(s, t.id)
        assert new.state == "closed" and new.closed_by == "person"
        row = hd.messages(s, t.id)[0]
        assert row.text == hd.ERASED_TEXT and row.status == "failed"  # never delivered now
        assert hd.pending(s) == []
        assert "rahasia baru" in [m.text for m in hd.messages(s, ids["recent"])]
    # a second request finds nothing more, but still reports what is kept
    again = erasure.erase_person(pdb, 1, 1, NOW)
    assert again["kept_audit_views"] == 1
    assert sum(v for k, v in again.items() if not k.startswith("kept_")) == 0


@pytest.fixture
def cli_db(sqlite_url, hajibot_env):
    migrate.upgrade(sqlite_url)
    hajibot_env(database_url=sqlite_url)
    database = Database(sqlite_url)
    yield database
    database.dispose()


def test_cli_purge_dry_run_then_purge(cli_db, capsys):
    seed(cli_db, datetime.now(UTC))
    before = snapshot(cli_db)
    assert main(["db", "purge", "--dry-run", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dry_run"] is True and out["chat_state"] == 1 and out["tickets_anonymised"] == 1
    assert snapshot(cli_db) == before
    assert main(["db", "purge"]) == 0
    text = capsys.readouterr().out
    assert "purged:" in text and "chat_state: 1" in text and "messages_anonymised: 2" in text
    assert "rahasia" not in text  # counts only
    with cli_db.session() as s:
        assert s.get(ChatState, 1) is None and s.get(ChatState, 2) is not None


def test_cli_purge_on_an_unmigrated_database(tmp_path, hajibot_env, capsys):
    hajibot_env(database_url=f"sqlite:///{tmp_path}/empty.sqlite3")
    assert main(["db", "purge"]) == 1
    assert "hajibot db upgrade" in capsys.readouterr().err
