"""What an inbox update already sent is not sent again when the update is re-run (issue 13).

The inbox (bot/inbox.py) runs an update again when its worker died before the transaction
that saves its state and deletes its row: at least once. Its replies have already gone to
Telegram, and the Bot API cannot take a message back, has no idempotency key and gives a bot
no way to read what it sent. So every Bot API request made while processing an inbox update
is journaled in `update_sends` under (update_id, seq):
1. before the request leaves: a row (method, no response), committed - awaited;
2. when the response comes back (2xx): the response body, committed as soon as the database
   thread gets to it (not awaited: the handler goes on). Real HTTP: written by the send
   thread itself, ahead of anything queued. The in-process request on SQLite
   (StateStore.defer): it joins the units the event loop submits in the same step (usually
   this update's finish: one transaction for both), handed to the thread at that step's end;
3. the rows are deleted in the transaction that finishes the update (StateStore.finish) or
   parks it.
A re-run (a take-over, or a try given back) reads its update's journal first and replays it:
each request gets the response recorded for the last try's next request of the same method
without being sent, so handlers see the same Message (ids included) and nobody gets the answer
twice.

The window that stays open, exactly: a request whose row was written but whose response was
not recorded when the worker died - it may or may not have reached Telegram. The re-run
sends it again (a possible duplicate, never a loss), counts it in
`hajibot_inbox_uncertain_sends_total` and logs the update id and method. That window is one
request's round trip plus one commit (plus, for a deferred response, the rest of the event
loop's step), instead of everything from the first reply to the end
of the update. A recorded request the re-run does not make again is skipped over; a request
with no recorded counterpart (the re-run took another path, e.g. Siskohat answered
differently) is sent live.

Only inbox updates are journaled (webhook, polling); the in-process channels are not. Rows
hold reply texts only while their update is being processed; erasure deletes a chat's rows.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from prometheus_client import Counter
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest, RequestData

from db.inbox import _utcnow
from db.threads import groupable

log = logging.getLogger(__name__)

# Bot API methods that read or configure and may safely be repeated: never journaled.
NOT_JOURNALED = frozenset({
    "getMe", "getUpdates", "getChat", "getChatMember", "getChatAdministrators", "getFile",
    "getWebhookInfo", "setWebhook", "deleteWebhook", "setMyCommands", "getMyCommands",
    "deleteMyCommands", "logOut", "close", "getUserProfilePhotos", "sendChatAction",
})

REPLAYED = Counter("hajibot_inbox_replayed_sends",
                   "Bot API requests of a re-run update answered from the journal, not resent")
UNCERTAIN = Counter("hajibot_inbox_uncertain_sends",
                    "Requests a dead worker had started with no response recorded; sent "
                    "again by the re-run (the person may see them twice)")

CURRENT: contextvars.ContextVar[SendLog | None] = contextvars.ContextVar(
    "hajibot_send_log", default=None)




class SendJournal:
    """The SQL of `update_sends`; synchronous, one transaction each (through the store)."""

    _INTENT = ("INSERT INTO update_sends (update_id, seq, chat_id, method, response, "
               "created_at) VALUES ({m}, {m}, {m}, {m}, NULL, {m}) "
               "ON CONFLICT (update_id, seq) DO UPDATE SET method = excluded.method, "
               "response = NULL")
    _DONE = "UPDATE update_sends SET response = {m} WHERE update_id = {m} AND seq = {m}"
    _DROP = "DELETE FROM update_sends WHERE update_id = {m} AND seq = {m}"
    _LOAD = "SELECT seq, method, response FROM update_sends WHERE update_id = {m}"
    CLEAR = "DELETE FROM update_sends WHERE update_id = {m}"

    def __init__(self, store: Any):
        self.store = store
        self.sql = {k: getattr(self, k).format(m=store.mark)
                    for k in ("_INTENT", "_DONE", "_DROP", "_LOAD", "CLEAR")}

    @groupable
    def intent(self, update_id: int, seq: int, chat_id: int | None, method: str) -> None:
        now = self.store.stamp(_utcnow())
        self.store.run(lambda cur: cur.execute(self.sql["_INTENT"],
                                               (update_id, seq, chat_id, method, now)))

    @groupable
    def done(self, update_id: int, seq: int, response: str) -> None:
        self.store.run(lambda cur: cur.execute(self.sql["_DONE"], (response, update_id, seq)))

    @groupable
    def drop(self, update_id: int, seq: int) -> None:
        """Telegram answered and refused (4xx/5xx): no uncertainty to remember."""
        self.store.run(lambda cur: cur.execute(self.sql["_DROP"], (update_id, seq)))

    @groupable
    def load(self, update_id: int) -> dict[int, tuple[str, str | None]]:
        def work(cur):
            cur.execute(self.sql["_LOAD"], (update_id,))
            return {seq: (method, response) for seq, method, response in cur.fetchall()}

        return self.store.run(work)


class SendLog:
    """The journal of one inbox update while it runs (set in CURRENT by its task)."""

    def __init__(self, journal: SendJournal, update_id: int, chat_id: int | None,
                 replay: dict[int, tuple[str, str | None]] | None = None):
        self.journal = journal
        self.update_id = update_id
        self.chat_id = chat_id
        # the last try's requests in order; new ones are numbered after them
        self.replay = sorted((replay or {}).items())
        self.cursor = 0
        self.seq = (self.replay[-1][0] + 1) if self.replay else 0
        self._pending: list[asyncio.Future] = []

    def _match(self, method: str) -> tuple[int, str | None] | None:
        """The last try's next request of `method` (seq, recorded response), from the cursor
        on: a request the re-run no longer makes (e.g. a helpdesk copy its outbox already
        recorded) is skipped over, not a reason to stop replaying."""
        for i in range(self.cursor, len(self.replay)):
            seq, (recorded_method, response) = self.replay[i]
            if recorded_method == method:
                self.cursor = i + 1
                return seq, response
        return None

    async def request(self, method: str, send: Callable[[], Awaitable[tuple[int, bytes]]],
                      send_sync: Callable[[], tuple[int, bytes]] | None = None
                      ) -> tuple[int, bytes]:
        """One request of this update: replayed from the journal, or journaled and sent.
        `send_sync` (real HTTP): sent from a send thread that records the response itself
        the moment it arrives, however busy the event loop is."""
        matched = self._match(method) if self.replay else None
        if matched is not None and matched[1] is not None:
            REPLAYED.inc()
            return 200, matched[1].encode()
        if matched is not None:  # started by the last try, fate unknown: sent again
            seq = matched[0]
            UNCERTAIN.inc()
            log.warning("update %s: request %d (%s) may have reached Telegram before the "
                        "worker died; sent again", self.update_id, seq, method)
        else:
            seq, self.seq = self.seq, self.seq + 1
        store = self.journal.store
        if send_sync is not None:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(_senders(), self._send_in_thread, seq, method,
                                              send_sync)
        await store.call(self.journal.intent, self.update_id, seq, self.chat_id, method)
        code, body = await send()
        if 200 <= code < 300:
            fut = store.defer(self.journal.done, self.update_id, seq,
                              body.decode("utf-8", "replace"))
        else:
            fut = store.defer(self.journal.drop, self.update_id, seq)
        if fut is not None:  # PostgreSQL: awaited (`flush`) before the finish deletes the rows
            fut.add_done_callback(_consume)
            self._pending.append(fut)
        return code, body

    def _send_in_thread(self, seq: int, method: str, send_sync: Callable[[], tuple[int, bytes]]
                        ) -> tuple[int, bytes]:
        journal, store = self.journal, self.journal.store
        store.call_blocking(journal.intent, self.update_id, seq, self.chat_id, method)
        code, body = send_sync()
        try:
            if 200 <= code < 300:  # first in the store's queue: the window closes at its commit
                store.call_blocking(journal.done, self.update_id, seq,
                                    body.decode("utf-8", "replace"), urgent=True)
            else:
                store.call_blocking(journal.drop, self.update_id, seq, urgent=True)
        except Exception as exc:  # noqa: BLE001 - the reply went out; only a re-run would repeat it
            log.warning("a sent request was not journaled: %s", type(exc).__name__)
        return code, body

    async def flush(self) -> None:
        """Wait for the responses still being recorded (before the finish deletes them)."""
        pending, self._pending = self._pending, []
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


def _consume(fut: asyncio.Future) -> None:
    if not fut.cancelled() and (exc := fut.exception()) is not None:
        log.warning("a sent request was not journaled: %s", type(exc).__name__)


async def journaled(method: str, send: Callable[[], Awaitable[tuple[int, bytes]]],
                    send_sync: Callable[[], tuple[int, bytes]] | None = None
                    ) -> tuple[int, bytes]:
    """Send through the current update's journal when there is one (the request layer)."""
    current = CURRENT.get()
    if current is None or method in NOT_JOURNALED:
        return await send()
    return await current.request(method, send, send_sync)


# requests in flight to Telegram at once: a slow Bot API (1-2 s a request) must still pass
# Telegram's 30 messages/s; the threads hold no database connection (db/threads.py)
SEND_THREADS = 32
_pool: ThreadPoolExecutor | None = None


def _senders() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(SEND_THREADS, thread_name_prefix="hajibot-send")
    return _pool


class ThreadedHTTPRequest(HTTPXRequest):
    """PTB's HTTPXRequest, plus `sync_sender`: the same request made with a blocking httpx
    client, for a send thread (see SendLog.request). Timeouts and errors as PTB's."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._sync: httpx.Client | None = None

    def sync_sender(self, url: str, method: str, request_data: RequestData | None,
                    read_timeout: Any, write_timeout: Any, connect_timeout: Any,
                    pool_timeout: Any) -> Callable[[], tuple[int, bytes]]:
        base = self._client.timeout
        files = request_data.multipart_data if request_data else None
        data = request_data.json_parameters if request_data else None

        def pick(value: Any, default: Any) -> Any:
            return default if isinstance(value, DefaultValue) else value

        timeout = httpx.Timeout(
            connect=pick(connect_timeout, base.connect), read=pick(read_timeout, base.read),
            write=pick(write_timeout, base.write if not files else self._media_write_timeout),
            pool=pick(pool_timeout, base.pool))
        if self._sync is None:
            self._sync = httpx.Client(timeout=base, limits=httpx.Limits(
                max_connections=SEND_THREADS, max_keepalive_connections=SEND_THREADS))
        client = self._sync

        def send() -> tuple[int, bytes]:
            try:
                res = client.request(method=method, url=url, timeout=timeout, files=files,
                                     data=data, headers={"User-Agent": self.USER_AGENT})
            except httpx.TimeoutException as err:
                raise TimedOut from err
            except httpx.HTTPError as err:
                raise NetworkError(f"httpx.{err.__class__.__name__}: {err}") from err
            return res.status_code, res.content

        return send

    async def shutdown(self) -> None:
        if self._sync is not None:
            self._sync.close()
            self._sync = None
        await super().shutdown()
