"""Every way data arrives queues notifications through one diff (integration/notify_queue.py),
in the mirror write's transaction; a re-sync of the same data queues nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from db import repos_notify
from db.models.notify import AreaQuota, Notification
from db.models.verification import VerifiedLink
from integration import mirror
from tests.integration._mirrorrows import row, write

NOW = datetime.now(UTC)
P1, P2, P3 = "1700000001", "1700000002", "1700000003"


def _seed(db, tmp_path, **extra):
    mirror.import_csv(db, write(tmp_path / "a.csv", [row(P1), row(P2), row(P3)]))
    with db.session() as s:
        repos_notify.subscribe(s, 11, P1, "id", NOW, limit=10)
        repos_notify.subscribe(s, 12, P1, "en", NOW, limit=10)
        repos_notify.subscribe(s, 12, P2, "en", NOW, limit=10)


def _rows(db):
    with db.session() as s:
        return [(n.chat_id, n.porsi, n.kind, json.loads(n.payload), n.lang, n.zone)
                for n in s.scalars(select(Notification).order_by(Notification.id))]


def test_batch_sync_queues_per_subscriber_and_resync_queues_nothing(any_db, tmp_path):
    _seed(any_db, tmp_path)
    later = "2024-04-01T10:00:00+07:00"
    changed = [row(P1, later, kuotapropinsi="800", berangkathijriah="1460",
                   berangkatmasehi="2038"),
               row(P2, later, status_jemaah="WAFAT", kuotapropinsi="800"),
               row(P3, later, kuotapropinsi="800", berangkathijriah="1460")]  # nobody watches
    path = write(tmp_path / "b.csv", changed)
    report = mirror.import_csv(any_db, path)
    assert report.updated == 3
    rows = _rows(any_db)
    assert sorted((c, p, k) for c, p, k, *_ in rows) == [
        (11, P1, "estimate"), (12, P1, "estimate"), (12, P2, "status")]
    assert report.notifications == 3
    est = next(r for r in rows if r[0] == 11)
    assert est[3]["new_hijri"] == 1460 and est[3]["old_hijri"] == 1452
    assert est[3]["reason"] == "quota" and est[3]["quota_new"] == 800
    assert est[5] == "WIB"  # Bengkulu
    status = next(r for r in rows if r[2] == "status")
    assert status[3] == {"old": "AKTIF", "new": "WAFAT"} and status[4] == "en"
    # the same file again, and the same data with a newer stamp: nothing new
    mirror.import_csv(any_db, path)
    newer = [dict(r, updated_at="2024-05-01T10:00:00+07:00") for r in changed]
    mirror.import_csv(any_db, write(tmp_path / "c.csv", newer))
    assert len(_rows(any_db)) == 3
    with any_db.session() as s:
        assert s.get(AreaQuota, ("1771", 1448)).quota == 800


def test_feed_live_and_push_paths_queue_too(any_db, tmp_path):
    _seed(any_db, tmp_path)
    with any_db.session() as s:  # the change feed / on-demand refresh path
        report = mirror.upsert_records(
            s, [row(P1, "2024-04-01T10:00:00+07:00", posisiporsi="900",
                    berangkathijriah="1450", berangkatmasehi="2028")], source="feed")
    assert report.notifications == 2
    with any_db.session() as s:  # a push event: allocation to the season, Tahap I
        outcome, _ = mirror.apply_changes(
            s, P2, {"tahun_pelunasan": "1448", "tahap_pelunasan": "TAHAP I"},
            datetime(2024, 5, 1, tzinfo=UTC))
    assert outcome == "applied"
    kinds = sorted((c, k) for c, _p, k, *_ in _rows(any_db))
    assert kinds == [(11, "estimate"), (12, "allocation"), (12, "estimate")]
    alloc = next(r for r in _rows(any_db) if r[2] == "allocation")
    assert alloc[3]["season"] == 1448 and alloc[3]["tahap"] == "I"
    assert alloc[3]["placeholder"] is True
    reason = next(r for r in _rows(any_db) if r[2] == "estimate")[3]
    assert reason["reason"] == "position" and reason["position_new"] == 900


def test_sensitive_changes_only_to_verified_chats_and_without_values(any_db, tmp_path):
    _seed(any_db, tmp_path)
    with any_db.session() as s:
        s.add(VerifiedLink(chat_id=12, user_id=12, porsi=P1, verified_at=NOW.replace(
            tzinfo=None), expires_at=(NOW + timedelta(days=1)).replace(tzinfo=None)))
    with any_db.session() as s:
        mirror.apply_changes(s, P1, {"status_istithaah": "TIDAK ISTITHAAH",
                                     "status_pelunasan": "LUNAS", "status_bayar": "LUNAS"},
                             datetime(2024, 5, 1, tzinfo=UTC))
    rows = _rows(any_db)
    assert sorted((c, k) for c, _p, k, *_ in rows) == [(12, "health"), (12, "payment")]
    assert all(r[3] == {} for r in rows)  # no value in the outbox
    with any_db.session() as s:
        keys = list(s.scalars(select(Notification.key)))
    assert not any("TIDAK" in k for k in keys if k.startswith(P1 + ":payment"))


def test_erasure_removes_subscriptions_and_notifications(any_db, tmp_path):
    from db.erasure import erase_person

    _seed(any_db, tmp_path)
    with any_db.session() as s:
        mirror.upsert_records(s, [row(P1, "2024-04-01T10:00:00+07:00", berangkathijriah="1470")],
                              source="feed")
    counts = erase_person(any_db, 12, 12, NOW)
    assert counts["notify_subscriptions"] == 2 and counts["notifications"] == 1
    with any_db.session() as s:
        assert repos_notify.subscriptions(s, 12) == []
        assert [w.porsi for w in repos_notify.subscriptions(s, 11)] == [P1]
    assert [r[0] for r in _rows(any_db)] == [11]


def test_subscription_limit_and_unsubscribe(db):
    with db.session() as s:
        for i in range(3):
            assert repos_notify.subscribe(s, 5, f"170000010{i}", "id", NOW, limit=3) == "added"
        assert repos_notify.subscribe(s, 5, "1700000109", "id", NOW, limit=3) == "limit"
        assert repos_notify.subscribe(s, 5, "1700000100", "en", NOW, limit=3) == "already"
        assert repos_notify.unsubscribe(s, 5, "1700000100")
        assert not repos_notify.unsubscribe(s, 5, "1700000100")
        assert len(repos_notify.subscriptions(s, 5)) == 2


def test_retention_purges_done_notifications(db, tmp_path):
    from bot import privacy
    from bot.settings import Settings

    _seed(db, tmp_path)
    with db.session() as s:
        mirror.upsert_records(s, [row(P1, LATER_ROW, status_jemaah="BATAL")], source="feed")
        for n in s.scalars(select(Notification)):
            n.state = "sent"
    counts = privacy.purge(db, Settings(_env_file=None), NOW)
    assert counts["notifications_done"] == 0
    counts = privacy.purge(db, Settings(_env_file=None), NOW + timedelta(days=91))
    assert counts["notifications_done"] == 2


LATER_ROW = "2024-04-01T10:00:00+07:00"
