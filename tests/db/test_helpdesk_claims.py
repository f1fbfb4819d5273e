"""Helpdesk outbox claims and ticket numbers with several workers on one database.

Runs on SQLite and, with scripts/with-postgres, on PostgreSQL: every worker has its own
`Database` (its own connections) on the same URL, as separate processes would.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from db import migrate
from db import repos_helpdesk as repo
from db.engine import Database
from db.models.helpdesk import HelpdeskCounter

T0 = datetime(2025, 3, 3, 3, 0, tzinfo=UTC)  # Monday 10:00 WIB


@pytest.fixture
def url(any_db_url) -> str:
    migrate.upgrade(any_db_url)
    return any_db_url


@pytest.fixture
def dbs(url):
    """Two independent workers on the same database."""
    made = [Database(url), Database(url)]
    yield made
    for d in made:
        d.dispose()


def _ticket(db: Database, chat_id: int = 111) -> repo.Ticket:
    with db.session() as s:
        return repo.open_ticket(s, chat_id=chat_id, user_id=chat_id, lang="id", reason="status",
                                local_now=T0)


def _rows(db: Database, ticket_id: int, directions: str) -> list[int]:
    """One pending row per letter: "i" from the person, "o" from an agent."""
    ids = []
    with db.session() as s:
        for i, d in enumerate(directions):
            ids.append(repo.add_message(s, ticket_id=ticket_id, direction="in" if d == "i" else
                                        "out", kind="text", text=f"m{i}", now=T0).id)
    return ids


def _claim(db: Database, ticket_id: int, owner: str, now: datetime = T0, **kw) -> repo.Claim:
    with db.session() as s:
        return repo.claim(s, ticket_id=ticket_id, owner=owner, now=now, **kw)


def test_second_worker_gets_nothing_the_first_holds(dbs):
    a, b = dbs
    t = _ticket(a)
    ids = _rows(a, t.id, "iio")
    first = _claim(a, t.id, "A")
    assert [m.id for m in first.rows] == ids and not first.busy
    second = _claim(b, t.id, "B")
    assert second.rows == [] and second.busy
    # a row added later waits behind the held ones of its direction: order per ticket
    newer_in, newer_out = _rows(b, t.id, "io")
    assert _claim(b, t.id, "B").rows == []
    # once A has sent the "in" rows, B may take the newer "in" one, still not the "out" one
    with a.session() as s:
        for rid in ids[:2]:
            assert repo.renew(s, rid, owner="A", now=T0)
            repo.mark_sent(s, rid, target_message_id=rid + 1000, now=T0)
    third = _claim(b, t.id, "B")
    assert [m.id for m in third.rows] == [newer_in] and third.busy
    # A gives back the "out" row unsent: B gets it and the newer one, in order
    with a.session() as s:
        assert repo.release(s, ticket_id=t.id, owner="A") == 1
    assert [m.id for m in _claim(b, t.id, "B").rows] == [ids[2], newer_in, newer_out]


def test_stale_claim_is_taken_over_and_the_old_owner_may_not_send(dbs):
    a, b = dbs
    t = _ticket(a)
    ids = _rows(a, t.id, "ii")
    assert [m.id for m in _claim(a, t.id, "A").rows] == ids
    # within the timeout the claim holds ...
    assert _claim(b, t.id, "B", now=T0 + repo.CLAIM_TIMEOUT - timedelta(seconds=1)).rows == []
    # ... after it, the worker is taken for dead
    late = T0 + repo.CLAIM_TIMEOUT + timedelta(seconds=1)
    assert [m.id for m in _claim(b, t.id, "B", now=late).rows] == ids
    with a.session() as s:
        assert not repo.renew(s, ids[0], owner="A", now=late)  # A woke up: it must not send
    with b.session() as s:
        assert repo.renew(s, ids[0], owner="B", now=late)


def test_renewed_claim_is_not_stale(dbs):
    a, b = dbs
    t = _ticket(a)
    (rid,) = _rows(a, t.id, "i")
    _claim(a, t.id, "A")
    later = T0 + repo.CLAIM_TIMEOUT - timedelta(seconds=10)
    with a.session() as s:
        assert repo.renew(s, rid, owner="A", now=later)
    assert _claim(b, t.id, "B", now=T0 + repo.CLAIM_TIMEOUT + timedelta(seconds=1)).rows == []


def test_heartbeat_keeps_a_live_claim_and_a_dead_one_is_taken_over_within_30_s(dbs):
    """Issue 18, finding 5: a dead worker's claim used to hold for 5 minutes."""
    a, b = dbs
    assert timedelta(seconds=30) >= repo.CLAIM_TIMEOUT
    assert repo.CLAIM_TIMEOUT >= 3 * repo.HEARTBEAT  # a late beat or two is not death
    t = _ticket(a)
    (rid,) = _rows(a, t.id, "i")
    _claim(a, t.id, "A")
    beat = T0
    for _ in range(30):  # A lives for 2.5 minutes, beating: B never gets the row
        beat += repo.HEARTBEAT
        with a.session() as s:
            assert repo.heartbeat(s, owner="A", now=beat) == 1
        assert _claim(b, t.id, "B", now=beat + repo.HEARTBEAT).rows == []
    # A is killed right after its last beat
    assert _claim(b, t.id, "B", now=beat + repo.CLAIM_TIMEOUT - timedelta(seconds=1)).rows == []
    late = beat + repo.CLAIM_TIMEOUT + timedelta(seconds=1)
    assert [m.id for m in _claim(b, t.id, "B", now=late).rows] == [rid]
    with a.session() as s:
        assert repo.heartbeat(s, owner="A", now=late) == 0  # nothing of A's left to refresh


def test_a_send_cut_short_is_known_to_be_in_doubt_and_a_recorded_one_is_never_resent(dbs):
    a, b = dbs
    t = _ticket(a)
    first, second, third = _rows(a, t.id, "iii")
    _claim(a, t.id, "A")
    with a.session() as s:
        start = repo.begin_send(s, first, owner="A", now=T0)
        assert start is not None and not start.maybe_sent
        repo.mark_sent(s, first, target_message_id=501, now=T0)  # id and status in one commit
        assert not repo.begin_send(s, second, owner="A", now=T0).maybe_sent
    # A is killed while copying `second` (its outcome unknown); `third` never started
    late = T0 + repo.CLAIM_TIMEOUT + timedelta(seconds=1)
    assert [m.id for m in _claim(b, t.id, "B", now=late).rows] == [second, third]
    with a.session() as s:  # should A still be around, it may not send any more
        assert repo.begin_send(s, second, owner="A", now=late) is None
    with b.session() as s:
        assert repo.begin_send(s, second, owner="B", now=late).maybe_sent
        assert not repo.begin_send(s, third, owner="B", now=late).maybe_sent
        # B's attempt fails for sure (429): the doubt about A's copy stays for the next one
        repo.mark_retry(s, second, error="Flood control exceeded", next_at=late, in_doubt=True)
        repo.mark_retry(s, third, error="Flood control exceeded", next_at=late)
    _claim(a, t.id, "C", now=late)
    with a.session() as s:
        assert repo.begin_send(s, second, owner="C", now=late).maybe_sent
        assert not repo.begin_send(s, third, owner="C", now=late).maybe_sent
        done = repo.mark_sent(s, second, target_message_id=502, now=late)
        assert done.status == "sent" and done.topic_message_id == 502
        assert done.send_attempt is None
        assert repo.get_message(s, first).topic_message_id == 501


def test_job_claims_only_due_rows_and_nothing_behind_a_later_one(dbs):
    a, _ = dbs
    t = _ticket(a)
    first, second, out = _rows(a, t.id, "iio")
    with a.session() as s:
        repo.mark_retry(s, first, error="Flood control exceeded", next_at=T0 + timedelta(
            seconds=120))
    got = _claim(a, t.id, "job", due_before=T0)
    assert [m.id for m in got.rows] == [out] and not got.busy  # "second" waits for "first"
    assert [m.id for m in _claim(a, t.id, "job2", due_before=T0 + timedelta(seconds=121))
            .rows] == [first, second]


def test_failed_attempt_frees_the_row(dbs):
    a, b = dbs
    t = _ticket(a)
    (rid,) = _rows(a, t.id, "o")
    _claim(a, t.id, "A")
    with a.session() as s:
        repo.mark_retry(s, rid, error="Bad Gateway", next_at=T0)
    assert [m.id for m in _claim(b, t.id, "B").rows] == [rid]


def test_concurrent_workers_never_send_a_row_twice_and_keep_the_order(url):
    setup = Database(url)
    tickets = [_ticket(setup, chat_id=100 + n) for n in range(4)]
    for t in tickets:
        _rows(setup, t.id, "ioiioiio")
    setup.dispose()
    sent: list[tuple[str, int, int, str]] = []  # owner, ticket, row, direction; in send order
    guard = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def worker(name: str) -> None:
        db = Database(url)
        try:
            start.wait()
            idle = 0
            while idle < 3:
                progressed = False
                for t in tickets:
                    with db.session() as s:
                        got = repo.claim(s, ticket_id=t.id, owner=name, now=T0)
                    for row in got.rows:
                        with db.session() as s:
                            if not repo.renew(s, row.id, owner=name, now=T0):
                                break
                        with guard:  # "the send"
                            sent.append((name, t.id, row.id, row.direction))
                        with db.session() as s:
                            repo.mark_sent(s, row.id, target_message_id=row.id, now=T0)
                        progressed = True
                    with db.session() as s:
                        repo.release(s, ticket_id=t.id, owner=name)
                idle = 0 if progressed else idle + 1
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not errors, errors
    counts = Counter(rid for _, _, rid, _ in sent)
    assert len(counts) == 4 * 8 and set(counts.values()) == {1}  # all sent, none twice
    for t in tickets:
        for d in ("in", "out"):
            order = [rid for _, tid, rid, dd in sent if tid == t.id and dd == d]
            assert order == sorted(order)
    check = Database(url)
    try:
        with check.session() as s:
            assert repo.pending(s) == []
    finally:
        check.dispose()


def test_concurrent_openings_in_one_month_get_distinct_numbers(url):
    per_thread, workers = 8, 4
    codes: list[str] = []
    guard = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(workers)

    def opener(n: int) -> None:
        db = Database(url)
        try:
            start.wait()
            for i in range(per_thread):
                t = _ticket(db, chat_id=1000 * n + i)
                with guard:
                    codes.append(t.code)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=opener, args=(n,)) for n in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not errors, errors
    total = per_thread * workers
    assert sorted(codes) == [f"HD-2503-{n:04d}" for n in range(1, total + 1)]


def test_numbers_restart_each_month_and_follow_existing_tickets(dbs):
    a, _ = dbs
    assert _ticket(a).code == "HD-2503-0001"
    assert _ticket(a).code == "HD-2503-0002"
    with a.session() as s:
        t = repo.open_ticket(s, chat_id=5, user_id=5, lang="id", reason="status",
                             local_now=T0 + timedelta(days=31))
        assert t.code == "HD-2504-0001"
        s.execute(delete(HelpdeskCounter))  # a lost counter is re-seeded from the tickets
    assert _ticket(a).code == "HD-2503-0003"


def test_simultaneous_claims_are_disjoint(url):
    """Two workers claiming the same ticket at the same instant, round after round: no row is
    ever claimed by both (what the claim alone guarantees, before any renew)."""
    setup = Database(url)
    rounds = 15
    tickets = [_ticket(setup, chat_id=200 + n) for n in range(rounds)]
    ids = [_rows(setup, t.id, "iioo") for t in tickets]
    setup.dispose()
    got: dict[str, list[set[int]]] = {"A": [], "B": []}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker(name: str) -> None:
        db = Database(url)
        try:
            for t in tickets:
                start.wait()
                got[name].append({m.id for m in _claim(db, t.id, name).rows})
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)
            start.abort()
        finally:
            db.dispose()

    threads = [threading.Thread(target=worker, args=(n,)) for n in got]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not errors, errors
    for rows, a_rows, b_rows in zip(ids, got["A"], got["B"], strict=True):
        assert not a_rows & b_rows
        both = a_rows | b_rows
        assert both  # whoever reached the oldest row first took it
        for direction in (rows[:2], rows[2:]):  # per direction only a prefix, never a gap
            taken = [r in both for r in direction]
            assert taken == sorted(taken, reverse=True)
