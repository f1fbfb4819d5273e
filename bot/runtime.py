"""The runtime around every update: DB-backed chat/user state, update-id dedupe, pre-filters.

`HajiApplication.process_update` wraps PTB's dispatch:
1. claim the update id in `processed_updates` and load the chat's and user's state, in one
   short transaction (a duplicate id -> ignored silently: a retried webhook or a second process
   never answers twice);
2. put that state into `context.chat_data` / `context.user_data` (replacing what this process
   had in memory, so another process's writes are seen);
3. run the handlers (pre-filters in group -10 first: throttling, edited messages (EDIT_HOOK),
   input cap);
4. save chat/user state that changed (one upsert each).

Why an Application subclass and not a `BasePersistence`: PTB's persistence loads *all* chats at
start-up and flushes on a timer (or at shutdown), so a crash loses the last interval and two
processes overwrite each other; `refresh_*_data` would fix reads but writes would still be
batched. Wrapping `process_update` gives load-before/save-after per update, in two short
transactions, with dedupe in the first one - which is what "a restart loses nothing" needs.
Updates are processed one at a time (PTB's default, `concurrent_updates=False`); handlers must
stay blocking (the default) so their state changes happen before the save.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, CallbackContext

from bot import metrics
from db.repos_runtime import counter_key
from handlers.base import EDIT_HOOK, LOOKUPS_KEY, THROTTLE_HOOK, lang_of, render, services

log = logging.getLogger(__name__)

KEEP_UPDATE_IDS = timedelta(days=2)
DB_THREADS = 8  # threads (each with its kept connection) for per-update units on PostgreSQL
PRUNE_EVERY_S = 600.0
PREFILTER_GROUP = -10


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
        # SQLite has one writer at a time: one thread serialises the units without lock waits;
        # PostgreSQL takes DB_THREADS at once.
        self.threads = 1 if self.sqlite else DB_THREADS
        self._pool: ThreadPoolExecutor | None = None
        self._dbapi_error = self.engine.dialect.loaded_dbapi.Error
        self.mark = mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        self.sql = {k: getattr(self, k).format(m=mark)
                    for k in ("_CLAIM", "_LOAD", "_SAVE_CHAT", "_SAVE_USER", "_PRUNE",
                              "_SEEN_LOAD", "_RECORD", "_DONE", "_NEXT")}

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
        goes on serving other chats meanwhile)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="hajibot-db")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def run(self, work):
        """`work(cursor)` in one transaction, committed before returning.

        A DBAPI connection is checked out of the engine's pool once and kept between units
        (a pool checkout per transaction cost more than the statements and, on PostgreSQL, a
        pre-ping round trip); each unit takes one kept connection for itself, so units in
        several threads never share one. After an error it is thrown away; a broken connection
        (database restarted) is retried once on a fresh one."""
        for attempt in (1, 2):
            with self._lock:
                raw = self._idle.pop() if self._idle else None
            held = raw is not None
            if raw is None:
                raw = self.engine.raw_connection()
            try:
                cur = raw.cursor()
                try:
                    out = work(cur)
                finally:
                    cur.close()
                raw.commit()
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
            self._pool.shutdown(wait=True)
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

    def finish(self, update_id: int, chat: tuple[int, str] | None,
               user: tuple[int, str, str] | None, chat_id: int | None = None,
               user_id: int | None = None) -> bool:
        """The inbox path's last step, one transaction: record the id as processed, save the
        changed state, delete the inbox row. True when `chat_id` or `user_id` has another row
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

    def prune(self, keep: timedelta = KEEP_UPDATE_IDS) -> int:
        def work(cur):
            cur.execute(self.sql["_PRUNE"], (self._stamp(_utcnow() - keep),))
            return cur.rowcount

        return max(self._run(work) or 0, 0)


def _discard(raw, invalidate: bool) -> None:
    try:
        if invalidate:
            raw.invalidate()
            return
        raw.rollback()
    except Exception:  # the connection is going anyway
        raw.invalidate()
        return
    raw.close()


def _dumps(data: Any, what: str) -> str | None:
    try:
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        # Keys and types only: values may be personal data.
        kinds = {str(k): type(v).__name__ for k, v in dict(data).items()}
        log.error("%s is not JSON-able, not saved (keys/types: %s)", what, kinds)
        return None


def update_kind(update: Update) -> str:
    for kind in ("message", "edited_message", "callback_query", "channel_post",
                 "my_chat_member", "chat_member"):
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


class HajiApplication(Application):
    """PTB Application whose per-chat/per-user state lives in the database (see module doc)."""

    # Read by `hajibot ask --json` and the test harness; elsewhere outcomes are dropped after
    # each update so bot_data does not grow for ever.
    keep_outcomes: bool = False

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.user_meta: dict[int, dict] = {}
        self._store: StateStore | None = None
        self._store_db = None
        self._last_prune = 0.0
        self._forgotten: set[tuple[str, int | None]] = set()  # see forget()
        self.inbox = None  # the InboxWorker while started (bot/inbox.py)
        # False after a per-update database step failed, until one succeeds again (the webhook
        # then answers 503 so Telegram keeps the update, and checks the database first).
        self.db_healthy = True

    # --- state store -------------------------------------------------------------------------
    @property
    def store(self) -> StateStore | None:
        svc = self.bot_data.get("services")
        db = getattr(svc, "db", None)
        if db is None:
            return None
        if self._store is None or self._store_db is not db:
            if self._store is not None:
                self._store.close()
            self._store, self._store_db = StateStore(db), db
            self._store.counter_salt = getattr(svc, "counter_salt", "hajibot-local")
        return self._store

    def _apply(self, chat_id, user_id, chat_raw, user_raw, meta_raw, counter=None) -> None:
        if chat_id is not None:
            data = self._chat_data[chat_id]
            data.clear()
            data.update(json.loads(chat_raw) if chat_raw else {})
        if user_id is not None:
            data = self._user_data[user_id]
            data.clear()
            data.update(json.loads(user_raw) if user_raw else {})
            if user_raw is None and counter:
                # no state row (erased with /hapusdata, or new): the kept lookups still count
                stamps = json.loads(counter)
                data[LOOKUPS_KEY] = stamps if isinstance(stamps, list) else []
            self.user_meta[user_id] = json.loads(meta_raw) if meta_raw else {}

    def load_state(self, *, chat_id: int | None = None, user_id: int | None = None) -> None:
        """Refresh chat_data/user_data from the DB - for job callbacks, which run outside an
        update (call `save_state` with the same ids afterwards)."""
        if self.store is not None:
            self._apply(chat_id, user_id, *self.store.load(chat_id, user_id))

    def save_state(self, *, chat_id: int | None = None, user_id: int | None = None) -> None:
        """Write chat_data/user_data of these ids to the DB now."""
        if self.store is None:
            return
        chat = user = None
        if chat_id is not None:
            raw = _dumps(self._chat_data.get(chat_id, {}), "chat_data")
            chat = (chat_id, raw) if raw is not None else None
        if user_id is not None:
            raw = _dumps(self._user_data.get(user_id, {}), "user_data")
            meta = _dumps(self.user_meta.get(user_id, {}), "user meta")
            user = (user_id, raw, meta or "{}") if raw is not None else None
        self.store.save(chat, user)

    async def shutdown(self) -> None:
        if self._store is not None:  # before post_shutdown disposes of the engine
            self._store.close()
        await super().shutdown()

    # --- the inbox (bot/inbox.py) --------------------------------------------------------------
    async def start(self) -> None:
        """PTB's start, then the inbox worker: updates put into the update queue (polling) or
        given to `store_update` (webhook) are stored first and processed from the inbox."""
        await super().start()
        store = self.store
        if store is None or self.inbox is not None:
            return
        from bot.inbox import InboxQueue, InboxWorker

        settings = self.bot_data.get("settings")
        self.inbox = InboxWorker(
            self, store, concurrency=getattr(settings, "concurrent_updates", 64),
            claim_timeout=timedelta(seconds=getattr(settings, "inbox_claim_timeout_s", 30.0)))
        if isinstance(self.update_queue, InboxQueue):
            self.update_queue.sink = self.inbox.add
        self.inbox.start()

    async def stop(self) -> None:
        """Stop claiming, finish what is held within HAJIBOT_SHUTDOWN_DEADLINE_S, leave the
        rest in the inbox; then PTB's stop."""
        worker, self.inbox = self.inbox, None
        if worker is not None:
            from bot.inbox import InboxQueue

            if isinstance(self.update_queue, InboxQueue):
                self.update_queue.sink = None
            settings = self.bot_data.get("settings")
            await worker.stop(getattr(settings, "shutdown_deadline_s", 20.0))
        await super().stop()

    async def store_update(self, update: Update, raw: str | None = None) -> None:
        """Store a webhook's update in the inbox (raises when the database fails: the caller
        must not acknowledge it). Without a running inbox: the in-memory queue, as before."""
        if self.inbox is None:
            await self.update_queue.put(update)
            return
        try:
            await self.inbox.add(update, raw)
        except Exception as exc:
            self.db_healthy = False
            metrics.STATE_ERRORS.labels("inbox").inc()
            log.error("update %s not stored: %s", update.update_id, type(exc).__name__)
            raise
        self.db_healthy = True

    # --- the wrapper -------------------------------------------------------------------------
    async def process_update(self, update: object) -> None:
        """One update now, on the event loop (tests, the console, `hajibot ask`, benches):
        claim the id + load, handlers, save - as before the inbox."""
        store = self.store
        if not isinstance(update, Update) or store is None:
            await super().process_update(update)
            return
        await self._unit(update, store, None)

    async def process_inbox_update(self, update: Update, worker, state=None) -> bool:
        """One update claimed from the inbox: the database steps run in the store's threads,
        the row is deleted with the state save. `state`: what `StateStore.seen_load` would
        return, already read in the transaction that stored and claimed it. Raises
        `StateUnavailable` when the state could not be loaded (the row goes back to the inbox,
        nobody is told anything yet). True when the chat or user has a next row waiting."""
        return await self._unit(update, self.store, worker, state)

    async def _unit(self, update: Update, store: StateStore, worker, state=None) -> bool:
        # Nothing below may escape (but StateUnavailable on the inbox path): an exception here
        # would end PTB's update task, and the bot would go silent for everyone.
        started = time.perf_counter()
        chat_id = update.effective_chat.id if update.effective_chat else None
        user_id = update.effective_user.id if update.effective_user else None
        uid = update.update_id
        try:
            if worker is None:
                fresh, chat_raw, user_raw, meta_raw, counter = store.begin(uid, chat_id,
                                                                           user_id)
            else:
                seen, chat_raw, user_raw, meta_raw, counter = state or await store.call(
                    store.seen_load, uid, chat_id, user_id)
                fresh = not seen
            if fresh:
                self._apply(chat_id, user_id, chat_raw, user_raw, meta_raw, counter)
        except Exception as exc:
            self._state_failed("load", exc, update)
            if worker is not None:
                from bot.inbox import StateUnavailable

                raise StateUnavailable from None
            await self._apologise(update)
            return False
        self.db_healthy = True
        if not fresh:
            metrics.DUPLICATES.inc()
            if worker is not None:
                return await self._finish_quietly(store, uid, chat_id, user_id)
            return False
        metrics.UPDATES.labels(update_kind(update)).inc()
        try:
            await super().process_update(update)
        except Exception as exc:  # PTB hands handler errors to on_error; this is the rest
            log.error("update %s not processed: %s", uid, type(exc).__name__)
            metrics.ERRORS.inc()
        more = False
        try:
            chat, user = self._changes(chat_id, user_id, chat_raw, user_raw, meta_raw)
            if worker is None:
                if chat is not None or user is not None:
                    store.save(chat, user)
                self._maybe_prune(store)
            else:
                more = await store.call(store.finish, uid, chat, user, chat_id, user_id)
                # the state is read again for the chat's next update: no need to keep it
                self._chat_data.pop(chat_id, None)
                self._user_data.pop(user_id, None)
                self.user_meta.pop(user_id, None)
                if time.monotonic() - self._last_prune >= PRUNE_EVERY_S:
                    self._last_prune = time.monotonic()
                    if removed := await store.call(store.prune):
                        log.info("pruned %d processed update ids", removed)
        except Exception as exc:
            self._state_failed("save", exc, update)
            if worker is not None:
                # the update was answered: never run it again, even without its state
                more = await self._finish_quietly(store, uid, chat_id, user_id)
        finally:
            if not self.keep_outcomes:
                self.bot_data.get("outcomes", {}).pop(uid, None)
            metrics.LATENCY.observe(time.perf_counter() - started)
        return more

    async def _finish_quietly(self, store: StateStore, uid: int, chat_id: int | None = None,
                              user_id: int | None = None) -> bool:
        try:
            return await store.call(store.finish, uid, None, None, chat_id, user_id)
        except Exception as exc:  # left claimed: rerun after the take-over (at least once)
            log.error("update %s not marked done: %s", uid, type(exc).__name__)
            return False

    def _state_failed(self, step: str, exc: BaseException, update: Update) -> None:
        """Log the class and the update id only (the message may quote bound values)."""
        self.db_healthy = False
        metrics.STATE_ERRORS.labels(step).inc()
        log.error("state %s failed for update %s: %s", step, update.update_id,
                  type(exc).__name__)

    async def _apologise(self, update: Update) -> None:
        """Best effort: the person hears that the message was not handled (never silence)."""
        await self._tell(update, "runtime_unavailable.j2")

    async def apologise_error(self, update: Update, error_id: str) -> None:
        """A parked update: the error apology with its id (as on_error says it)."""
        await self._tell(update, "runtime_error.j2", error_id=error_id)

    async def _tell(self, update: Update, template: str, **values: Any) -> None:
        chat = update.effective_chat
        if chat is None or chat.type != "private":
            return
        user = update.effective_user
        code = (user.language_code or "") if user is not None else ""
        lang = "en" if code.lower().startswith("en") else "id"
        try:
            await self.bot.send_message(chat.id, render(lang, template, **values))
        except Exception as exc:
            log.warning("update %s: apology not sent: %s", update.update_id,
                        type(exc).__name__)

    def forget(self, chat_id: int | None, user_id: int | None) -> None:
        """This update erased the person's state (/hapusdata): do not write it back."""
        self._forgotten |= {("chat", chat_id), ("user", user_id)}

    def _changes(self, chat_id, user_id, chat_raw, user_raw, meta_raw):
        """(chat row, user row) to write: what changed since the load, minus what was
        forgotten. Only this update's own ids are looked at - other chats' updates may be
        running at the same time, and one chat's (one user's) run one at a time."""
        if self._forgotten:
            if ("chat", chat_id) in self._forgotten:
                self._forgotten.discard(("chat", chat_id))
                self._chat_data.pop(chat_id, None)
                chat_id = None
            if ("user", user_id) in self._forgotten:
                self._forgotten.discard(("user", user_id))
                self._user_data.pop(user_id, None)
                self.user_meta.pop(user_id, None)
                user_id = None
        chat = user = None
        if chat_id is not None:
            new = _dumps(self._chat_data.get(chat_id, {}), "chat_data")
            if new is not None and new != (chat_raw or "{}"):
                chat = (chat_id, new)
        if user_id is not None:
            new = _dumps(self._user_data.get(user_id, {}), "user_data")
            meta = _dumps(self.user_meta.get(user_id, {}), "user meta") or "{}"
            if new is not None and (new != (user_raw or "{}") or meta != (meta_raw or "{}")):
                user = (user_id, new, meta)
        return chat, user

    def _save_changes(self, chat_id, user_id, chat_raw, user_raw, meta_raw) -> None:
        chat, user = self._changes(chat_id, user_id, chat_raw, user_raw, meta_raw)
        if chat is not None or user is not None:
            self.store.save(chat, user)

    def _maybe_prune(self, store: StateStore) -> None:
        now = time.monotonic()
        if now - self._last_prune >= PRUNE_EVERY_S:
            self._last_prune = now
            removed = store.prune()
            if removed:
                log.info("pruned %d processed update ids", removed)


# --- pre-filters (group -10) -------------------------------------------------------------------

async def _kept_anyway(update: Update, context: CallbackContext) -> bool:
    """A feature's THROTTLE_HOOK says this message over the burst must not be dropped."""
    hook = context.application.bot_data.get(THROTTLE_HOOK)
    return hook is not None and bool(await hook(update, context))


async def prefilter(update: Update, context: CallbackContext) -> None:
    """Throttle bursts, answer edited messages, refuse over-long input - before any feature."""
    msg = update.message or update.edited_message
    chat, user = update.effective_chat, update.effective_user
    # Only people talking to the bot privately; the agents' group is the helpdesk's business.
    if msg is None or chat is None or user is None or chat.type != "private":
        return
    svc = services(context)
    settings = svc.settings
    app = context.application
    meta = app.user_meta.setdefault(user.id, {}) if hasattr(app, "user_meta") else {}
    now = svc.clock().timestamp()
    start = meta.get("tw", 0.0)
    if now - start >= settings.throttle_window_s or now < start:
        meta.update(tw=now, tc=0, tn=False)
    # An album arrives as one message per item (up to 10) within a second: it counts once,
    # so photos sent into a helpdesk ticket are not throttled after the fifth.
    album = update.message.media_group_id if update.message is not None else None
    if album is None or meta.get("tg") != album:
        meta["tc"] = meta.get("tc", 0) + 1
    if album is not None:
        meta["tg"] = album
    if app.bot_data.get("throttle", True) and meta["tc"] > settings.throttle_burst \
            and not await _kept_anyway(update, context):
        metrics.THROTTLED.inc()
        if not meta.get("tn"):
            meta["tn"] = True
            wait_s = max(1, round(start + settings.throttle_window_s - now))
            await msg.reply_text(render(lang_of(update, context), "runtime_throttled.j2",
                                        seconds=wait_s))
        raise ApplicationHandlerStop
    if update.edited_message is not None:
        # Throttled like new messages (above); never re-run as a new message (features'
        # MessageHandlers would), unless a feature takes it (EDIT_HOOK).
        hook = app.bot_data.get(EDIT_HOOK)
        if hook is not None and await hook(update, context):
            raise ApplicationHandlerStop
        if msg.location is None:  # a live location moving arrives as edits: nothing to say
            await msg.reply_text(render(lang_of(update, context), "runtime_edited.j2"))
        raise ApplicationHandlerStop
    text = msg.text or msg.caption or ""
    if len(text) > settings.max_input_chars:
        await msg.reply_text(render(lang_of(update, context), "runtime_too_long.j2",
                                    limit=settings.max_input_chars, length=len(text)))
        raise ApplicationHandlerStop
