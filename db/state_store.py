"""The runtime's state store: raw SQL for `processed_updates` and the chat/user state tables.

Moved out of bot/runtime.py (which re-exports `StateStore`); see that module's doc for how
`HajiApplication.process_update` uses it per update.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import UTC, datetime, timedelta

from db.repos_runtime import counter_key
from db.threads import DbThreads, groupable, is_groupable

log = logging.getLogger(__name__)

KEEP_UPDATE_IDS = timedelta(days=2)
DB_THREADS = 8  # threads (each with its kept connection) for per-update units on PostgreSQL


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class StateStore:
    """SQL for the runtime tables. Runs on every update, so it talks to the DBAPI connection
    directly (the pool's checkout, no Core compile/result layers): plain SQL valid on
    SQLite >= 3.35 and PostgreSQL alike (ON CONFLICT, RETURNING), built once per dialect.

    Per update: `begin` = one transaction (claim the id + read both states; on PostgreSQL
    in one statement, one round trip), `save` = one transaction (one upsert per changed
    state), committed before the next update is taken."""

    counter_salt = "hajibot-local"  # set from Services.counter_salt by HajiApplication

    _CLAIM = ("INSERT INTO processed_updates (update_id, processed_at) VALUES ({m}, {m}) "
              "ON CONFLICT (update_id) DO NOTHING RETURNING update_id")
    # Both states in one row; a NULL id matches nothing.
    # The last column: the user's kept abuse counter (db/repos_runtime.counter_key), read
    # in the same statement so a state without lookups (new, or erased) costs no round trip.
    _LOAD = ("SELECT (SELECT data FROM runtime_chat_state WHERE chat_id = {m}), "
             "u.data, u.meta, (SELECT stamps FROM abuse_counters WHERE key = {m}) "
             "FROM (SELECT 1 AS one) AS o "
             "LEFT JOIN runtime_user_state AS u ON u.user_id = {m}")
    # PostgreSQL: claim and load in one round trip (a data-modifying CTE runs exactly once).
    _CLAIM_LOAD_PG = ("WITH c AS (INSERT INTO processed_updates (update_id, processed_at) "
                      "VALUES (%s, %s) ON CONFLICT (update_id) DO NOTHING RETURNING update_id) "
                      "SELECT (SELECT count(*) FROM c), "
                      "(SELECT data FROM runtime_chat_state WHERE chat_id = %s), "
                      "u.data, u.meta, (SELECT stamps FROM abuse_counters WHERE key = %s) "
                      "FROM (SELECT 1 AS one) AS o "
                      "LEFT JOIN runtime_user_state AS u ON u.user_id = %s")
    _SAVE_CHAT = ("INSERT INTO runtime_chat_state (chat_id, data, updated_at) "
                  "VALUES ({m}, {m}, {m}) ON CONFLICT (chat_id) DO UPDATE "
                  "SET data = excluded.data, updated_at = excluded.updated_at")
    _SAVE_USER = ("INSERT INTO runtime_user_state (user_id, data, meta, updated_at) "
                  "VALUES ({m}, {m}, {m}, {m}) ON CONFLICT (user_id) DO UPDATE "
                  "SET data = excluded.data, meta = excluded.meta, "
                  "updated_at = excluded.updated_at")
    _PRUNE = "DELETE FROM processed_updates WHERE processed_at < {m}"
    # The inbox path (bot/inbox.py): read whether the id was processed and both states in one
    # statement; the id is recorded, the state saved and the inbox row deleted at the end, in
    # one transaction (`finish`), so an update whose worker died is run again.
    _SEEN_LOAD = ("SELECT (SELECT 1 FROM processed_updates WHERE update_id = {m}), "
                  "(SELECT data FROM runtime_chat_state WHERE chat_id = {m}), "
                  "u.data, u.meta, (SELECT stamps FROM abuse_counters WHERE key = {m}) "
                  "FROM (SELECT 1 AS one) AS o "
                  "LEFT JOIN runtime_user_state AS u ON u.user_id = {m}")
    _RECORD = ("INSERT INTO processed_updates (update_id, processed_at) VALUES ({m}, {m}) "
               "ON CONFLICT (update_id) DO NOTHING")
    _DONE = "DELETE FROM update_inbox WHERE update_id = {m}"
    _SENT = "DELETE FROM update_sends WHERE update_id = {m}"  # its journal (bot/sends.py)
    # After _DONE: does this chat or user have a next row waiting (worth a claim now)?
    _NEXT = ("SELECT EXISTS (SELECT 1 FROM update_inbox WHERE chat_id = {m} "
             "AND state <> 'parked') OR EXISTS (SELECT 1 FROM update_inbox WHERE user_id = {m} "
             "AND state <> 'parked')")

    def __init__(self, db):
        self.db = db
        self.engine = db.engine
        dialect = self.engine.dialect.name
        self.pg = dialect == "postgresql"
        self.sqlite = dialect == "sqlite"
        # Kept DBAPI connections (see `run`), last used first: one on the update-at-a-time
        # path, up to `threads` when units run in the pool.
        self._idle: list = []
        self._lock = threading.Lock()
        # SQLite has one writer at a time: one thread serialises the units without lock waits
        # and commits queued ones together (db/threads.py); PostgreSQL takes DB_THREADS at
        # once, a transaction each (grouped units there could deadlock on each other's locks).
        self.threads = 1 if self.sqlite else DB_THREADS
        self._pool: DbThreads | None = None
        self._tls = threading.local()  # .cur: the open group-commit transaction's cursor
        self._outbox: list | None = None  # groupable units submitted in this loop step
        self._dbapi_error = self.engine.dialect.loaded_dbapi.Error
        self.mark = mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        self.sql = {k: getattr(self, k).format(m=mark)
                    for k in ("_CLAIM", "_LOAD", "_SAVE_CHAT", "_SAVE_USER", "_PRUNE",
                              "_SEEN_LOAD", "_RECORD", "_DONE", "_SENT", "_NEXT")}

    @property
    def _raw(self):
        """The kept connection the next unit on the event loop's path uses (tests set
        pragmas on it)."""
        return self._idle[-1] if self._idle else None

    def stamp(self, dt: datetime):
        # SQLite gets SQLAlchemy's own DateTime text ("YYYY-MM-DD HH:MM:SS.ffffff") so ORM reads
        # and the prune comparison still work; PostgreSQL's driver takes the datetime itself
        return dt.isoformat(" ", "microseconds") if self.sqlite else dt

    _stamp = stamp

    async def call(self, fn, /, *args, **kwargs):
        """Run a synchronous unit of database work in this store's threads (the event loop
        goes on serving other chats meanwhile); its result comes back once it is committed."""
        return await self.submit(fn, *args, **kwargs)

    def submit(self, fn, /, *args, **kwargs) -> asyncio.Future:
        """`call` without waiting: the unit is queued now; the future has its result once
        committed. SQLite: the groupable units submitted during this step of the event loop
        are handed to the thread together at its end (one wake-up, and one transaction however
        the thread's timing falls), in the order they were submitted; a unit that is not
        groupable is queued at once, after them."""
        if self._pool is None:
            self._pool = DbThreads(self.threads,
                                   batch=self._run_batch if self.sqlite else None)
        loop = asyncio.get_running_loop()
        if not self.sqlite:
            return self._pool.submit(loop, fn, args, kwargs)
        fut = loop.create_future()
        unit = (loop, fut, fn, args, kwargs)
        if not is_groupable(fn):
            self._hand_over()
            self._pool.put([unit])
            return fut
        if self._outbox is None:
            self._outbox = []
            loop.call_soon(self._hand_over)
        self._outbox.append(unit)
        return fut

    def _hand_over(self) -> None:
        units, self._outbox = self._outbox, None
        if units:
            self._pool.put(units)

    def defer(self, fn, /, *args) -> asyncio.Future | None:
        """A groupable write nobody waits for (a sent request's response, bot/sends.py):
        queued like any unit, its error logged. SQLite: None (it goes with this loop step's
        units, in their order: nobody needs to wait for it before a later unit); PostgreSQL
        (threads run units side by side): its future."""
        fut = self.submit(fn, *args)
        if not self.sqlite:
            return fut
        fut.add_done_callback(_consume)
        return None

    def call_blocking(self, fn, /, *args, urgent: bool = False, **kwargs):
        """`call` from a thread that is not the event loop (the request layer's send threads,
        bot/sends.py): queued to the store's threads like any unit, so the send threads hold
        no database connections of their own (on PostgreSQL the engine's pool is shared by
        the store's, the gateway's and the handlers' connections)."""
        if self._pool is None:
            self._pool = DbThreads(self.threads,
                                   batch=self._run_batch if self.sqlite else None)
        return self._pool.run_blocking(fn, args, kwargs, urgent=urgent)

    def _run_batch(self, units: list) -> list:
        """Several groupable units in one SQLite transaction; [(ok, result or exception)] once
        committed. Optimistic: the units run without a SAVEPOINT each (two statements fewer
        per unit); when one raises, the whole transaction is rolled back and the batch runs
        again with a SAVEPOINT per unit, so only the failing unit is rolled back. Running a
        unit again after the rollback is safe: a groupable unit is database work only (its
        effects were rolled back with the transaction)."""
        with self._lock:
            raw = self._idle.pop() if self._idle else None
        if raw is None:
            raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            try:
                outs = self._units_in(cur, units, savepoints=False)
                if outs is None:
                    if raw.dbapi_connection.in_transaction:  # (some errors end it themselves)
                        cur.execute("ROLLBACK")
                    outs = self._units_in(cur, units, savepoints=True)
            finally:
                self._tls.cur = None
                cur.close()
            raw.commit()
        except BaseException as exc:
            _discard(raw, isinstance(exc, self._dbapi_error) and self.engine.dialect.is_disconnect(
                exc, raw.dbapi_connection, None))
            raise
        with self._lock:
            self._idle.append(raw)
        return outs

    def _units_in(self, cur, units: list, *, savepoints: bool) -> list | None:
        """Run `units` in a new transaction on `cur`; without `savepoints`, None as soon as
        one raises (the caller rolls back and runs them again with savepoints)."""
        cur.execute("BEGIN IMMEDIATE")
        self._tls.cur = cur
        outs: list = []
        for fn, args, kwargs in units:
            if savepoints:
                cur.execute("SAVEPOINT unit")
            try:
                outs.append((True, fn(*args, **kwargs)))
            except Exception as exc:  # noqa: BLE001 - this unit's error, handed to its caller
                if not savepoints:
                    return None
                cur.execute("ROLLBACK TO unit")
                outs.append((False, exc))
            if savepoints:
                cur.execute("RELEASE unit")
        return outs

    def run(self, work):
        """`work(cursor)` in one transaction, committed before returning (inside a group
        commit, db/threads.py: in the group's transaction, committed before the unit's
        result is handed back).

        A DBAPI connection is checked out of the engine's pool once and kept between units
        (a pool checkout per transaction cost more than the statements and, on PostgreSQL, a
        pre-ping round trip); each unit takes one kept connection for itself, so units in
        several threads never share one. After an error it is thrown away; a broken connection
        (database restarted) is retried once on a fresh one."""
        cur = getattr(self._tls, "cur", None)
        if cur is not None:
            return work(cur)
        for attempt in (1, 2):
            with self._lock:
                raw = self._idle.pop() if self._idle else None
            held = raw is not None
            if raw is None:
                raw = self.engine.raw_connection()
            try:
                dbapi = raw.dbapi_connection  # past the pool's proxy: this runs twice an update
                cur = dbapi.cursor()
                try:
                    out = work(cur)
                finally:
                    cur.close()
                dbapi.commit()
            except self._dbapi_error as exc:
                disconnected = self.engine.dialect.is_disconnect(exc, raw.dbapi_connection, None)
                _discard(raw, disconnected)
                if held and disconnected and attempt == 1:
                    continue
                raise
            except BaseException:
                _discard(raw, False)
                raise
            with self._lock:
                self._idle.append(raw)
            return out
        raise AssertionError("unreachable")  # pragma: no cover

    _run = run

    def close(self) -> None:
        """Give the kept connections back to the pool, end the threads (application
        shutdown)."""
        if self._pool is not None:
            self._hand_over()  # units of this loop step: run before the threads end
            self._pool.shutdown()
            self._pool = None
        with self._lock:
            idle, self._idle = self._idle, []
        for raw in idle:
            raw.close()

    def _key(self, user_id: int | None) -> str | None:
        return counter_key(self.counter_salt, user_id) if user_id is not None else None

    def begin(self, update_id: int | None, chat_id: int | None, user_id: int | None
              ) -> tuple[bool, str | None, str | None, str | None, str | None]:
        """Claim `update_id` and read state: (claimed, chat json, user json, user meta json,
        the user's kept abuse counter json)."""
        sql = self.sql
        key = self._key(user_id)

        def work(cur):
            if update_id is not None and self.pg:
                cur.execute(self._CLAIM_LOAD_PG,
                            (update_id, self._stamp(_utcnow()), chat_id, key, user_id))
                claimed, chat_raw, user_raw, meta_raw, counter = cur.fetchone()
                return bool(claimed), chat_raw, user_raw, meta_raw, counter
            if update_id is not None:
                # RETURNING, not rowcount: psycopg reports no reliable rowcount here.
                cur.execute(sql["_CLAIM"], (update_id, self._stamp(_utcnow())))
                if cur.fetchone() is None:
                    return False, None, None, None, None
            cur.execute(sql["_LOAD"], (chat_id, key, user_id))
            chat_raw, user_raw, meta_raw, counter = cur.fetchone()
            return True, chat_raw, user_raw, meta_raw, counter

        claimed, chat_raw, user_raw, meta_raw, counter = self._run(work)
        if not claimed:
            return False, None, None, None, None
        return True, chat_raw, user_raw, meta_raw, counter

    @groupable
    def seen_load(self, update_id: int, chat_id: int | None, user_id: int | None
                  ) -> tuple[bool, str | None, str | None, str | None, str | None]:
        """The inbox path's first step: (already processed, chat json, user json, meta json,
        kept abuse counter json)."""
        return self.run(lambda cur: self.seen_load_in(cur, update_id, chat_id, user_id))

    def seen_load_in(self, cur, update_id: int, chat_id: int | None, user_id: int | None
                     ) -> tuple[bool, str | None, str | None, str | None, str | None]:
        """`seen_load` inside a transaction already open on `cur` (the inbox's store-and-claim,
        bot/inbox.py `Inbox.add`)."""
        cur.execute(self.sql["_SEEN_LOAD"], (update_id, chat_id, self._key(user_id), user_id))
        seen, chat_raw, user_raw, meta_raw, counter = cur.fetchone()
        return seen is not None, chat_raw, user_raw, meta_raw, counter

    @groupable
    def finish(self, update_id: int, chat: tuple[int, str] | None,
               user: tuple[int, str, str] | None, chat_id: int | None = None,
               user_id: int | None = None, journaled: bool = True) -> bool:
        """The inbox path's last step, one transaction: record the id as processed, save the
        changed state, delete the inbox row and (`journaled`) its sent requests' journal. True when `chat_id` or `user_id` has another row
        in the inbox (its next update may be claimable now)."""
        now = self.stamp(_utcnow())
        sql = self.sql

        def work(cur):
            cur.execute(sql["_RECORD"], (update_id, now))
            if chat is not None:
                cur.execute(sql["_SAVE_CHAT"], (chat[0], chat[1], now))
            if user is not None:
                cur.execute(sql["_SAVE_USER"], (user[0], user[1], user[2], now))
            cur.execute(sql["_DONE"], (update_id,))
            if journaled:
                cur.execute(sql["_SENT"], (update_id,))
            if chat_id is None and user_id is None:
                return False
            cur.execute(sql["_NEXT"], (chat_id, user_id))
            return bool(cur.fetchone()[0])

        return self.run(work)

    def load(self, chat_id: int | None, user_id: int | None):
        _, chat_raw, user_raw, meta_raw, counter = self.begin(None, chat_id, user_id)
        return chat_raw, user_raw, meta_raw, counter

    def save(self, chat: tuple[int, str] | None, user: tuple[int, str, str] | None) -> None:
        now = self._stamp(_utcnow())
        sql = self.sql

        def work(cur):
            if chat is not None:
                cur.execute(sql["_SAVE_CHAT"], (chat[0], chat[1], now))
            if user is not None:
                cur.execute(sql["_SAVE_USER"], (user[0], user[1], user[2], now))

        self._run(work)

    @groupable
    def prune(self, keep: timedelta = KEEP_UPDATE_IDS) -> int:
        def work(cur):
            cur.execute(self.sql["_PRUNE"], (self._stamp(_utcnow() - keep),))
            return cur.rowcount

        return max(self._run(work) or 0, 0)


def _consume(fut: asyncio.Future) -> None:
    if not fut.cancelled() and (exc := fut.exception()) is not None:
        log.warning("a deferred write failed: %s", type(exc).__name__)


def _discard(raw, invalidate: bool) -> None:
    try:
        if invalidate:
            raw.invalidate()
            return
        raw.rollback()
    except Exception:  # noqa: BLE001 - the connection is going anyway
        raw.invalidate()
        return
    raw.close()
