"""`hajibot notify announce | stats`, and the reminders queued from the policy."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from bot.cli import main
from db import repos_notify
from db.models.notify import Announcement, Notification
from integration import mirror
from integration.notify_plan import queue_reminders
from tests.integration._mirrorrows import row, write

NOW = datetime.now(UTC)


def _seed(db, tmp_path):
    rows = [row("1700000001"),  # Bengkulu
            row("3500000002", kd_prop="35", propinsi="JAWA TIMUR", kd_kab="3509",
                kabupaten="KAB. JEMBER", tahun_pelunasan="1448", tahap_pelunasan="TAHAP I")]
    mirror.import_csv(db, write(tmp_path / "a.csv", rows))
    with db.session() as s:
        repos_notify.subscribe(s, 1, "1700000001", "id", NOW, limit=10)
        repos_notify.subscribe(s, 2, "3500000002", "id", NOW, limit=10)
        repos_notify.subscribe(s, 2, "1700000001", "id", NOW, limit=10)  # one chat, two porsi


def _announced(db):
    with db.session() as s:
        return sorted(n.chat_id for n in s.scalars(
            select(Notification).where(Notification.kind == "announce")))


def test_announce_filters_dry_run_and_once_per_chat(db, sqlite_url, tmp_path, hajibot_env,
                                                    capsys):
    hajibot_env(database_url=sqlite_url)
    _seed(db, tmp_path)
    text = tmp_path / "t.txt"
    text.write_text("Manasik <b>bukan</b> tag & {{ jinja }}\n", encoding="utf-8")
    assert main(["notify", "announce", "--text-file", str(text), "--dry-run"]) == 0
    assert "dry run: 2 chats" in capsys.readouterr().out
    assert _announced(db) == []
    assert main(["notify", "announce", "--text-file", str(text), "--province",
                 "Jawa Timur"]) == 0
    assert _announced(db) == [2]
    assert main(["notify", "announce", "--text-file", str(text), "--kabkota", "1771"]) == 0
    out = capsys.readouterr().out
    assert "queued to 1 chats" in out and "1 already had this text" in out
    assert _announced(db) == [1, 2]  # chat 2 not twice
    with db.session() as s:
        stored = s.scalars(select(Announcement.text)).first()
    assert stored == "Manasik <b>bukan</b> tag & {{ jinja }}"
    from handlers.pantau import compose

    html, _ = compose("announce", {}, "id", None, stored)
    assert html == "Manasik &lt;b&gt;bukan&lt;/b&gt; tag &amp; {{ jinja }}"  # never markup
    assert main(["notify", "announce", "--text-file", str(text), "--season", "1448",
                 "--dry-run"]) == 0
    assert "dry run: 1 chats" in capsys.readouterr().out


def test_announce_refuses_bad_files_before_queueing(db, sqlite_url, tmp_path, hajibot_env,
                                                    capsys):
    hajibot_env(database_url=sqlite_url)
    _seed(db, tmp_path)
    cases = {"empty.txt": b"  \n", "latin1.txt": "Pengumuman caf\xe9".encode("latin-1"),
             "long.txt": ("x" * 4097).encode()}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        assert main(["notify", "announce", "--text-file", str(tmp_path / name)]) == 2
        assert "refused, nothing queued" in capsys.readouterr().err
    assert main(["notify", "announce", "--text-file", str(tmp_path / "missing.txt")]) == 2
    assert _announced(db) == []
    (tmp_path / "emoji.txt").write_text("🕋" * 2049, encoding="utf-8")  # 4098 UTF-16 units
    assert main(["notify", "announce", "--text-file", str(tmp_path / "emoji.txt")]) == 2


def test_stats_json(db, sqlite_url, tmp_path, hajibot_env, capsys):
    hajibot_env(database_url=sqlite_url)
    _seed(db, tmp_path)
    with db.session() as s:
        mirror.upsert_records(s, [row("1700000001", "2024-04-01T10:00:00+07:00",
                                      status_jemaah="BATAL")], source="feed")
    assert main(["notify", "stats", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["queued_by_kind"] == {"status": 2}
    assert figures["sent_today"] == 0 and figures["subscriptions"] == 3
    assert figures["oldest_pending_age_s"] >= 0
    assert figures["reminders"] == "off" and "placeholder" in figures["reminders_off_reason"]
    assert main(["notify", "stats"]) == 0
    assert "status: 2" in capsys.readouterr().out


def test_drain_without_token_is_refused(hajibot_env, sqlite_url, capsys, monkeypatch):
    monkeypatch.delenv("HAJIBOT_TELEGRAM_TOKEN", raising=False)
    hajibot_env(database_url=sqlite_url)
    assert main(["notify", "drain"]) == 2
    assert "HAJIBOT_TELEGRAM_TOKEN" in capsys.readouterr().err


def test_reminders_once_per_milestone_for_allocated_watched_porsi(db, tmp_path):
    _seed(db, tmp_path)
    policy = {"season": {"hijri": 1448}, "schedule": {"placeholder": False, "tahap": {
        "I": {"opens": "2027-01-04", "closes": "2027-02-05"}}}}
    opening = datetime(2027, 1, 4, 3, 0, tzinfo=UTC)
    assert queue_reminders(db, opening, policy) == 1
    assert queue_reminders(db, opening, policy) == 0  # once
    assert queue_reminders(db, datetime(2027, 1, 29, 3, 0, tzinfo=UTC), policy) == 1
    placeholder = {**policy, "schedule": {**policy["schedule"], "placeholder": True}}
    assert queue_reminders(db, datetime(2027, 2, 4, 3, 0, tzinfo=UTC), placeholder) == 0
    with db.session() as s:
        rows = list(s.scalars(select(Notification).where(Notification.kind == "reminder")))
    assert {r.chat_id for r in rows} == {2}
    assert sorted(json.loads(r.payload)["milestone"] for r in rows) == ["closes_7", "opens"]
