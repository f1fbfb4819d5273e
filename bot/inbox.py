"""The update inbox: nothing acknowledged is lost; chats run concurrently, each one in order.

Every Telegram update is stored in `update_inbox` (one row per `update_id`, INSERT ... ON
CONFLICT DO NOTHING, so a redelivery is dropped as before) *before* it is acknowledged:
- webhook: `POST /telegram` answers 200 only after the insert committed; a database error
  is a 503 and Telegram sends the update again;
- polling: PTB's Updater (telegram/ext/_updater.py, `polling_action_cb`) awaits
  `update_queue.put(update)` for every fetched update and only then sets
  `_last_update_id = last + 1`, which the *next* getUpdates sends as `offset` - that is the
  confirmation. `InboxQueue.put` stores the update before it returns (retrying while the
  database is down, so the fetch loop waits and nothing newer is confirmed), hence an update
  is in the database before Telegram is told it was received. (Raising instead would end
  PTB's polling task: its retry loop only catches TelegramError.)

Workers (`InboxWorker`, a task of every started HajiApplication) take rows from the inbox and
run them through `HajiApplication.process_inbox_update`:
- the fast path: the transaction that stores an update also claims it and reads the chat's and
  user's state when this worker has a free slot and the chat and user have no other row in the
  inbox (the usual case: one message, answered before the next) - one thread hop and one
  transaction instead of three of each; the update then runs at once. On PostgreSQL every
  store first takes a transaction-scoped advisory lock per chat and user id, so two processes
  storing one chat's updates never both find it empty; SQLite has one writer at a time.
- otherwise the claim loop takes it: a claim marks rows `claimed` with the worker and the
  time, oldest update first, at most as many as the worker has free slots
  (HAJIBOT_CONCURRENT_UPDATES). Only a chat's (and a user's) *head* is claimable: a row is
  skipped while an older row of the same chat or user is still in the inbox (pending or
  claimed; parked rows do not block) or a newer one is claimed - so one
  chat's updates run strictly one after another, in update_id order, across all workers, while
  different chats run concurrently. On PostgreSQL candidate rows are locked with
  `FOR UPDATE SKIP LOCKED` (two workers never claim one row, and never wait for each other);
  SQLite has one writer at a time, so the UPDATE is atomic by itself.
- a live worker refreshes its claims every HEARTBEAT_S; a claim silent for CLAIM_TIMEOUT (six
  heartbeats: the worker died or froze) is taken over - the helpdesk outbox's pattern.
- a row is deleted in the transaction that saves the chat's and user's state and records the
  update id in `processed_updates` (StateStore.finish), so a finished update is never run again
  and an unfinished one is; that transaction also says whether the chat or user has a next row
  (then the claim loop runs at once, else only when this process stored rows still pending or
  every IDLE_POLL_S for other processes' rows). A worker killed before that commit leaves the
  row to be run again; what the first try had sent is replayed from its journal, not sent
  again (bot/sends.py, which also says what window stays open).
- a row claimed for the (MAX_ATTEMPTS + 1)th time has failed MAX_ATTEMPTS times (its worker
  died each time, it hung past UNIT_TIMEOUT_S, or its processing raised past PTB's error
  handler - a handler's exception is PTB's: on_error answers it once): it is *parked* (state
  'parked', its id in the log, never its text), the person gets the error apology, and the
  chat's next update is free to run. Parked rows are deleted after PARKED_RETENTION.
- graceful stop (SIGTERM): the worker stops claiming, waits for what it holds up to a
  deadline, and gives back every claim it still has (rows go back to `pending`), so another
  worker or the next start takes them at once instead of after CLAIM_TIMEOUT.

Every database step runs in the StateStore's threads (`StateStore.call`, db/threads.py):
the event loop never waits on the inbox or the state tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from prometheus_client import Counter, Gauge
from telegram import Update

from bot.sends import CURRENT, SendJournal, SendLog
from db.inbox import (
    CLAIM_TIMEOUT,
    Inbox,
    Row,
    Stats,
    Store,
    _int_or_none,
)

if TYPE_CHECKING:
    from telegram import Bot

log = logging.getLogger(__name__)


# The runtime (bot/runtime.py) drives the inbox; these say what the inbox needs of it, so the
# arrow runs one way (its `StateStore` and `HajiApplication` satisfy them).
class InboxApp(Protocol):
    """The Application that runs what a worker claims."""

    @property
    def bot(self) -> Bot: ...

    async def process_inbox_update(self, update: Update, worker: InboxWorker,
                                   state: Any = None) -> bool: ...

    async def apologise_error(self, update: Update, error_id: str) -> None: ...

MAX_ATTEMPTS = 3
HEARTBEAT_S = 5.0
IDLE_POLL_S = 0.5  # how often an idle worker looks for rows other processes stored
# An update still running after this long is cancelled and counts as a failed attempt (a hung
# handler would otherwise hold its chat for ever: its worker's heartbeat keeps the claim).
UNIT_TIMEOUT_S = 300.0

BACKLOG = Gauge("hajibot_inbox_backlog", "Updates stored and not yet processed (not parked)")
OLDEST_AGE = Gauge("hajibot_inbox_oldest_age_seconds",
                   "Age of the oldest unprocessed update in the inbox (0 when empty)")
PARKED = Gauge("hajibot_inbox_parked", "Updates parked after failing MAX_ATTEMPTS times")
INFLIGHT = Gauge("hajibot_inbox_inflight", "Updates this process is processing now")
TAKEN_OVER = Counter("hajibot_inbox_taken_over",
                     "Rows claimed again after another worker's claim went silent")
PARKED_TOTAL = Counter("hajibot_inbox_parked_updates", "Updates parked by this process")


def worker_id() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def ids_of(update: Update) -> tuple[int | None, int | None]:
    return (update.effective_chat.id if update.effective_chat else None,
            update.effective_user.id if update.effective_user else None)


def payload_of(update: Update, raw: str | None = None) -> str:
    return raw if raw is not None else json.dumps(update.to_dict(), ensure_ascii=False,
                                                  separators=(",", ":"))


class InboxQueue(asyncio.Queue):
    """The Application's update_queue: an Update put into it (PTB's polling Updater does that)
    is stored in the inbox before `put` returns, retrying while the database is down - so
    the Updater confirms no offset for an update that is not stored (see the module doc).
    Anything else (PTB's stop signal), or any Update before the inbox is ready, goes into the
    in-memory queue as usual."""

    sink: Any = None  # async callable(update) set by HajiApplication.start

    async def put(self, item: Any) -> None:
        if self.sink is None or not isinstance(item, Update):
            await super().put(item)
            return
        delay = 0.5
        while True:
            try:
                await self.sink(item)
                return
            except Exception as exc:  # noqa: BLE001 - the database: wait, keep the fetch loop waiting
                log.error("update %s not stored (%s); retrying in %.1f s", item.update_id,
                          type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)


class InboxWorker:
    """Takes rows from the inbox and processes them, `concurrency` at a time (see module)."""

    def __init__(self, app: InboxApp, store: Store, *, concurrency: int,
                 owner: str | None = None, claim_timeout: timedelta = CLAIM_TIMEOUT):
        self.app = app
        self.store = store
        self.inbox = Inbox(store)
        self.journal = SendJournal(store)
        self.concurrency = max(1, concurrency)
        self.owner = owner or worker_id()
        self.local: dict[int, Update] = {}  # updates stored pending by this process
        self._reserved = 0  # slots held by stores that may claim their row (see add)
        self.inflight: dict[int, asyncio.Task] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task | None = None
        self._beat: asyncio.Task | None = None
        self._last_purge = 0.0
        self.db_ok = True
        self.unit_timeout_s = UNIT_TIMEOUT_S
        self.claim_timeout = claim_timeout
        self.heartbeat_s = min(HEARTBEAT_S, claim_timeout.total_seconds() / 6)

    # --- storing ---------------------------------------------------------------------------
    async def add(self, update: Update, raw: str | None = None) -> None:
        """Store one update (raises on a database error). When a slot is free and its chat and
        user have nothing else in the inbox, the same transaction claims it and reads the
        state, and it starts at once (one thread hop, one transaction); else it waits pending
        and the claim loop is woken."""
        chat_id, user_id = (_int_or_none(i) for i in ids_of(update))
        payload = payload_of(update, raw)
        claim = self._reserve()
        try:
            state = await self.store.call(self.inbox.add, [(update.update_id, chat_id, user_id,
                                                            payload)],
                                          self.owner if claim else None)
        finally:
            if claim:
                self._reserved -= 1
        await self._stored(Row(update.update_id, chat_id, user_id, payload, 1), update, state)

    async def add_built(self, build: Callable[[Any], tuple[dict | None, int | None,
                                                           int | None, Any]]) -> Any:
        """`add` for an update whose id the database gives (a WhatsApp message, see
        bot/web_whatsapp.py): `build(cur)` runs first in the storing transaction, with its own
        statements on `cur`, and returns (the update's JSON or None: nothing to store, its chat
        id, its user id, anything); that anything is returned once the update and what
        `build` wrote are committed together - one thread hop and one transaction for both."""

        def row_of(cur):
            data, chat_id, user_id, extra = build(cur)
            if data is None:
                return None, (None, extra)
            payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            return (data["update_id"], chat_id, user_id, payload), (data, extra)

        claim = self._reserve()
        try:
            row, state, (data, extra) = await self.store.call(
                self.inbox.add_built, row_of, self.owner if claim else None)
        finally:
            if claim:
                self._reserved -= 1
        if row is not None:
            await self._stored(Row(*row, 1), Update.de_json(data, self.app.bot), state)
        return extra

    def _reserve(self) -> bool:
        """A slot for a store that may claim its row at once (see add)."""
        claim = (self._task is not None and not self._stopping
                 and len(self.inflight) + self._reserved < self.concurrency)
        if claim:
            self._reserved += 1
        return claim

    async def _stored(self, row: Row, update: Update, state: Any) -> None:
        if state is not None:  # claimed in the storing transaction: run it now
            if self._stopping:  # stop began meanwhile: give it back untried
                await self._release(row, count_attempt=False)
                return
            self._start(row, update, state)
            return
        if not self._stopping:
            self.local[update.update_id] = update
            if len(self.local) > 10 * self.concurrency + 1000:  # others took them: forget
                for key in list(self.local)[: len(self.local) // 2]:
                    self.local.pop(key, None)
        self._wake.set()

    # --- the loop ----------------------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="hajibot:inbox-worker")
        self._beat = asyncio.create_task(self._heartbeat(), name="hajibot:inbox-heartbeat")

    async def _run(self) -> None:
        backoff = IDLE_POLL_S
        while not self._stopping:
            free = self.concurrency - len(self.inflight) - self._reserved
            rows: list[tuple[Row, bool]] = []
            if free > 0:
                self._wake.clear()
                try:
                    rows = await self.store.call(self.inbox.claim, self.owner, free,
                                                 self.claim_timeout)
                    self.db_ok, backoff = True, IDLE_POLL_S
                except Exception as exc:  # noqa: BLE001 - the database: the claim loop backs off and tries again
                    self.db_ok = False
                    log.error("inbox claim failed: %s", type(exc).__name__)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
            for row, taken_over in rows:
                if taken_over:
                    TAKEN_OVER.inc()
                self._start(row)
            if rows and free - len(rows) > 0:
                continue  # there may be more heads right away
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_POLL_S)
            self._maybe_purge()

    def _start(self, row: Row, update: Update | None = None, state: Any = None) -> None:
        task = asyncio.create_task(self._process(row, update, state))
        self.inflight[row.update_id] = task
        task.add_done_callback(functools.partial(self._done, row.update_id))
        INFLIGHT.set(len(self.inflight))

    def _done(self, update_id: int, task: asyncio.Task) -> None:
        if self.inflight.get(update_id) is task:
            del self.inflight[update_id]
        INFLIGHT.set(len(self.inflight))
        # A slot is free: worth a claim when this process stored rows still pending (the
        # finish wakes the loop itself when the chat or user has a next row, see _process).
        if self.local:
            self._wake.set()

    async def _process(self, row: Row, update: Update | None = None, state: Any = None
                       ) -> None:
        if update is None:
            update = self.local.pop(row.update_id, None)
        try:
            if update is None:
                update = Update.de_json(json.loads(row.payload), self.app.bot)
            if row.attempts > MAX_ATTEMPTS:
                await self._park(row, update)
                return
            # this task's requests are journaled; a re-run replays what the last try sent
            replay = None
            if row.attempts > 1:
                try:
                    replay = await self.store.call(self.journal.load, row.update_id)
                except Exception as exc:
                    raise StateUnavailable from exc
            CURRENT.set(SendLog(self.journal, row.update_id, row.chat_id, replay))
            async with asyncio.timeout(self.unit_timeout_s):
                more = await self.app.process_inbox_update(update, self, state)
            if more:
                self._wake.set()  # its chat or user has a next row: it may be a head now
        except StateUnavailable:
            await self._release(row, count_attempt=False)
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            log.error("update %s still running after %.0f s (attempt %d): cancelled",
                      row.update_id, self.unit_timeout_s, row.attempts)
            await self._release(row, count_attempt=True)
        except Exception as exc:  # noqa: BLE001 - past PTB's error handler: counts towards parking
            log.error("update %s failed (attempt %d): %s", row.update_id, row.attempts,
                      type(exc).__name__)
            await self._release(row, count_attempt=True)

    async def _release(self, row: Row, *, count_attempt: bool) -> None:
        try:
            await self.store.call(self.inbox.release, row.update_id, self.owner,
                                  count_attempt=count_attempt)
        except Exception as exc:  # noqa: BLE001 - its claim goes silent and is taken over
            log.warning("update %s not released: %s", row.update_id, type(exc).__name__)
        self._wake.set()  # pending again: claim it (or the chat's next) when a slot frees

    async def _park(self, row: Row, update: Update | None) -> None:
        await self.store.call(self.inbox.park, row.update_id)
        self._wake.set()  # the chat's next update is free to run
        PARKED_TOTAL.inc()
        error_id = uuid.uuid4().hex[:8].upper()
        log.error("update %s parked after %d failed attempts (error %s)", row.update_id,
                  row.attempts - 1, error_id)
        if update is not None:
            await self.app.apologise_error(update, error_id)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            if not self.inflight:
                continue
            try:
                await self.store.call(self.inbox.heartbeat, self.owner)
            except Exception as exc:  # noqa: BLE001 - a missed heartbeat is retried; a silent one hands the claims over
                log.warning("inbox heartbeat failed: %s", type(exc).__name__)

    def _maybe_purge(self) -> None:
        now = time.monotonic()
        if now - self._last_purge < 3600:
            return
        self._last_purge = now

        async def purge():
            try:
                n = await self.store.call(self.inbox.purge_parked)
                if n:
                    log.info("purged %d parked updates", n)
            except Exception as exc:  # noqa: BLE001 - the next purge tries again
                log.warning("parked purge failed: %s", type(exc).__name__)

        asyncio.get_running_loop().create_task(purge())

    # --- stopping ----------------------------------------------------------------------------
    async def stop(self, deadline_s: float) -> None:
        """Stop claiming; let held updates finish within `deadline_s`; give back the rest."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        held = list(self.inflight.values())
        if held:
            _, pending = await asyncio.wait(held, timeout=deadline_s)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=2.0)
                log.warning("stopped with %d updates unfinished; left in the inbox",
                            len(pending))
        if self._beat is not None:
            self._beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beat
        try:
            await self.store.call(self.inbox.release_all, self.owner)
        except Exception as exc:  # noqa: BLE001 - the claims go silent and are taken over
            log.warning("claims not released at stop: %s", type(exc).__name__)
        self.local.clear()
        INFLIGHT.set(0)

    async def stats(self) -> Stats:
        stats = await self.store.call(self.inbox.stats)
        BACKLOG.set(stats.backlog)
        OLDEST_AGE.set(stats.oldest_age_s or 0.0)
        PARKED.set(stats.parked)
        return stats


class StateUnavailable(Exception):
    """The state could not be loaded (database): the row goes back, the try does not count."""
