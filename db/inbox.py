"""The SQL of the update inbox (`update_inbox`): store, claim a chat's head, heartbeat, release,
park and count. The worker that drives it, its metrics and the Telegram side live in
bot/inbox.py; each method here is synchronous and one transaction on the state store's threads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from db.threads import groupable

CLAIM_TIMEOUT = timedelta(seconds=30)
PARKED_RETENTION = timedelta(days=7)


class Store(Protocol):
    """The runtime's state store: its dialect, its threads and its transactions."""

    pg: bool
    mark: str  # the DBAPI parameter mark ("?" or "%s")

    def stamp(self, dt: datetime) -> Any: ...

    async def call(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any: ...

    def run(self, work: Callable[[Any], Any]) -> Any: ...

    def seen_load_in(self, cur: Any, update_id: int, chat_id: int | None,
                     user_id: int | None) -> Any: ...


def _utcnow() -> datetime:
    """Now as the raw SQL stores it (naive UTC: the state store's statements bypass the ORM)."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Row:
    update_id: int
    chat_id: int | None
    user_id: int | None
    payload: str
    attempts: int  # claims so far, this one included


@dataclass(frozen=True, slots=True)
class Stats:
    backlog: int
    oldest_age_s: float | None
    parked: int


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Inbox:
    """The SQL of `update_inbox`; every method is synchronous (call it through
    `StateStore.call`) and one transaction on the StateStore's pooled connections."""

    _ADD = ("INSERT INTO update_inbox (update_id, chat_id, user_id, payload, received_at, state, "
            "attempts) VALUES ({m}, {m}, {m}, {m}, {m}, 'pending', 0) "
            "ON CONFLICT (update_id) DO NOTHING")
    # The store's fast path, one statement: the row is inserted already claimed when its chat
    # and user have nothing else in the inbox (pending, claimed, stale: anything but parked),
    # else pending; nothing when the id is stored already (a redelivery).
    _ADD_HEAD = ("INSERT INTO update_inbox (update_id, chat_id, user_id, payload, received_at, "
                 "state, claimed_by, claimed_at, attempts) "
                 "SELECT CAST({m} AS BIGINT), CAST({m} AS BIGINT), CAST({m} AS BIGINT), {m}, {m}, "
                 "CASE WHEN h.free THEN 'claimed' ELSE 'pending' END, "
                 "CASE WHEN h.free THEN {m} END, CASE WHEN h.free THEN {m} END, "
                 "CASE WHEN h.free THEN 1 ELSE 0 END FROM (SELECT "
                 "NOT EXISTS (SELECT 1 FROM update_inbox AS e WHERE e.chat_id = {m} "
                 "AND e.state <> 'parked') AND "
                 "NOT EXISTS (SELECT 1 FROM update_inbox AS e WHERE e.user_id = {m} "
                 "AND e.state <> 'parked') AS free) AS h "
                 "WHERE true ON CONFLICT (update_id) DO NOTHING RETURNING state")
    _LOCK = "SELECT pg_advisory_xact_lock({m})"
    # A row of the same chat/user that blocks row i: an older one still here (not parked),
    # or a newer one that is being processed (arrived late but out of order).
    _BLOCKER = ("NOT EXISTS (SELECT 1 FROM update_inbox AS e WHERE e.{col} = i.{col} "
                "AND e.update_id <> i.update_id AND e.state <> 'parked' "
                "AND (e.update_id < i.update_id OR (e.state = 'claimed' AND e.claimed_at >= {m})))")
    # placeholders and column names only: no value is ever formatted into these statements
    _CLAIM = ("UPDATE update_inbox SET state = 'claimed', claimed_by = {m}, claimed_at = {m}, "  # noqa: S608 - see above
              "attempts = attempts + 1 WHERE update_id IN ("
              "SELECT i.update_id FROM update_inbox AS i "
              "WHERE (i.state = 'pending' OR (i.state = 'claimed' AND i.claimed_at < {m})) "
              "AND " + _BLOCKER.replace("{col}", "chat_id") + " "
              "AND " + _BLOCKER.replace("{col}", "user_id") + " "
              "ORDER BY i.update_id LIMIT {m}{lock}) "
              "RETURNING update_id, chat_id, user_id, payload, attempts, claimed_by")
    _HEARTBEAT = ("UPDATE update_inbox SET claimed_at = {m} "
                  "WHERE claimed_by = {m} AND state = 'claimed'")
    _RELEASE_ONE = ("UPDATE update_inbox SET state = 'pending', claimed_by = NULL, "
                    "claimed_at = NULL, attempts = attempts - {m} "
                    "WHERE update_id = {m} AND claimed_by = {m} AND state = 'claimed'")
    _RELEASE_ALL = ("UPDATE update_inbox SET state = 'pending', claimed_by = NULL, "
                    "claimed_at = NULL, attempts = attempts - 1 "
                    "WHERE claimed_by = {m} AND state = 'claimed'")
    _PARK = ("UPDATE update_inbox SET state = 'parked', claimed_by = NULL, claimed_at = {m} "
             "WHERE update_id = {m}")
    _UNSENT = "DELETE FROM update_sends WHERE update_id = {m}"  # bot/sends.py
    _STATS = ("SELECT (SELECT count(*) FROM update_inbox WHERE state <> 'parked'), "
              "(SELECT min(received_at) FROM update_inbox WHERE state <> 'parked'), "
              "(SELECT count(*) FROM update_inbox WHERE state = 'parked')")
    _PURGE_PARKED = "DELETE FROM update_inbox WHERE state = 'parked' AND claimed_at < {m}"

    def __init__(self, store: Store):
        self.store = store
        mark = store.mark
        self.sql = {k: getattr(self, k).format(m=mark, lock="")
                    for k in ("_ADD", "_ADD_HEAD", "_LOCK", "_HEARTBEAT", "_RELEASE_ONE",
                              "_RELEASE_ALL", "_PARK", "_UNSENT",
                              "_STATS", "_PURGE_PARKED")}
        self.sql["_CLAIM"] = self._CLAIM.format(
            m=mark, lock=" FOR UPDATE SKIP LOCKED" if store.pg else "")

    @groupable
    def add(self, rows: list[tuple[int, int | None, int | None, str]], owner: str | None = None
            ) -> Any:
        """Store updates (update_id, chat_id, user_id, payload JSON); an id already stored is
        left as it is. Committed when this returns.

        With `owner` (one row): in the same transaction the row is claimed for `owner` when its
        chat and user have nothing else in the inbox, and their state is read
        (`Store.seen_load_in`); that state is returned, else None (stored pending, or a
        duplicate). On PostgreSQL every add takes a transaction-scoped advisory lock per chat
        and user id first, so two stores of one chat never both see it empty (the claim loop
        only sees committed rows, so it never races a store's claim)."""
        now = self.store.stamp(_utcnow())
        return self.store.run(lambda cur: self.add_in(cur, rows, owner, now))

    def add_in(self, cur, rows: list[tuple[int, int | None, int | None, str]],
               owner: str | None, now: Any) -> Any:
        """`add` inside a transaction already open on `cur`."""
        sql = self.sql
        if self.store.pg:
            for key in sorted({i for r in rows for i in (r[1], r[2]) if i is not None}):
                cur.execute(sql["_LOCK"], (key,))
        if owner is None:
            cur.executemany(sql["_ADD"], [(*r, now) for r in rows])
            return None
        (uid, chat_id, user_id, payload), = rows
        cur.execute(sql["_ADD_HEAD"], (uid, chat_id, user_id, payload, now, owner, now,
                                       chat_id, user_id))
        stored = cur.fetchone()
        if stored is None:  # already in the inbox: a redelivery
            return None
        if stored[0] != "claimed":  # its chat or user has older work: wait in line
            return None
        return self.store.seen_load_in(cur, uid, chat_id, user_id)

    @groupable
    def add_built(self, build: Callable[[Any], tuple[tuple[int, int | None, int | None, str]
                                                      | None, Any]],
                  owner: str | None = None) -> tuple[tuple | None, Any, Any]:
        """`add` of one update whose row the same transaction makes first: `build(cur)` runs
        its own statements on `cur` and returns ((update_id, chat_id, user_id, payload) or
        None: nothing to store, anything). Returns (that row, the state as `add` returns it,
        build's anything) once committed: the row and whatever build wrote are stored
        together or not at all."""
        now = self.store.stamp(_utcnow())

        def work(cur):
            row, extra = build(cur)
            if row is None:
                return None, None, extra
            return row, self.add_in(cur, [row], owner, now), extra

        return self.store.run(work)

    @groupable
    def claim(self, owner: str, limit: int, timeout: timedelta = CLAIM_TIMEOUT
              ) -> list[tuple[Row, bool]]:
        """Claim up to `limit` head rows, oldest first: (row, taken over from a silent
        worker)."""
        now = _utcnow()
        stamp, stale = self.store.stamp(now), self.store.stamp(now - timeout)

        def work(cur):
            cur.execute(self.sql["_CLAIM"], (owner, stamp, stale, stale, stale, limit))
            return cur.fetchall()

        out = []
        for uid, chat_id, user_id, payload, attempts, _ in sorted(self.store.run(work)):
            out.append((Row(uid, chat_id, user_id, payload, attempts), attempts > 1))
        return out

    @groupable
    def heartbeat(self, owner: str) -> None:
        now = self.store.stamp(_utcnow())
        self.store.run(lambda cur: cur.execute(self.sql["_HEARTBEAT"], (now, owner)))

    @groupable
    def release(self, update_id: int, owner: str, *, count_attempt: bool) -> None:
        """Give one claimed row back (`count_attempt=False`: this try does not count towards
        MAX_ATTEMPTS - the database, not the update, failed)."""
        back = 0 if count_attempt else 1
        self.store.run(lambda cur: cur.execute(self.sql["_RELEASE_ONE"],
                                               (back, update_id, owner)))

    @groupable
    def release_all(self, owner: str) -> None:
        self.store.run(lambda cur: cur.execute(self.sql["_RELEASE_ALL"], (owner,)))

    @groupable
    def park(self, update_id: int) -> None:
        now = self.store.stamp(_utcnow())

        def work(cur):
            cur.execute(self.sql["_PARK"], (now, update_id))
            cur.execute(self.sql["_UNSENT"], (update_id,))

        self.store.run(work)

    @groupable
    def stats(self) -> Stats:
        def work(cur):
            cur.execute(self.sql["_STATS"])
            return cur.fetchone()

        backlog, oldest, parked = self.store.run(work)
        age = None
        if oldest is not None:
            if isinstance(oldest, str):
                oldest = datetime.fromisoformat(oldest)
            age = max(0.0, (_utcnow() - oldest).total_seconds())
        return Stats(int(backlog or 0), age, int(parked or 0))

    @groupable
    def purge_parked(self, keep: timedelta = PARKED_RETENTION) -> int:
        cut = self.store.stamp(_utcnow() - keep)

        def work(cur):
            cur.execute(self.sql["_PURGE_PARKED"], (cut,))
            return cur.rowcount

        return max(self.store.run(work) or 0, 0)
