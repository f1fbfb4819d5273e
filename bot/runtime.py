"""The runtime around every update: DB-backed chat/user state, update-id dedupe, pre-filters.

`HajiApplication.process_update` wraps PTB's dispatch:
1. claim the update id in `processed_updates` and load the chat's and user's state, in one
   short transaction (a duplicate id -> ignored silently: a retried webhook or a second process
   never answers twice);
2. put that state into `context.chat_data` / `context.user_data` (replacing what this process
   had in memory, so another process's writes are seen);
3. run the handlers (pre-filters in group -10 first: throttling, edited messages (`hooks.edit`),
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

import json
import logging
import time
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, CallbackContext

from bot import metrics
from bot.sends import CURRENT
from db.state_store import StateStore  # re-exported: `bot.runtime.StateStore` stays valid
from handlers.base import LOOKUPS_KEY, lang_of, render, services

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 600.0
PREFILTER_GROUP = -10

# One encoder for every state written (json.dumps with options builds a new one per call,
# three times an update).
_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def _dumps(data: Any, what: str) -> str | None:
    try:
        return _ENCODE(data)
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
        svc = self.bot_data.services
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

        settings = self.bot_data.settings
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
            settings = self.bot_data.settings
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

    async def store_built(self, build, label: str = "update") -> Any:
        """`store_update` for an update whose id the database gives (`InboxWorker.add_built`):
        raises when the database fails, or when the inbox is not running (stopping)."""
        inbox = self.inbox
        if inbox is None:
            log.warning("%s not stored: the update inbox is not running", label)
            raise RuntimeError("the update inbox is not running")
        try:
            extra = await inbox.add_built(build)
        except Exception as exc:
            self.db_healthy = False
            metrics.STATE_ERRORS.labels("inbox").inc()
            log.error("%s not stored: %s", label, type(exc).__name__)
            raise
        self.db_healthy = True
        return extra

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
        except Exception as exc:  # noqa: BLE001 - no state, no answer: the person is told, the update not lost
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
        metrics.updates(update_kind(update)).inc()
        try:
            await super().process_update(update)
        except Exception as exc:  # noqa: BLE001 - PTB hands handler errors to on_error; this is the rest
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
                await _flush_sends(store)
                more = await store.call(store.finish, uid, chat, user, chat_id, user_id)
                # the state is read again for the chat's next update: no need to keep it
                self._chat_data.pop(chat_id, None)
                self._user_data.pop(user_id, None)
                self.user_meta.pop(user_id, None)
                if time.monotonic() - self._last_prune >= PRUNE_EVERY_S:
                    self._last_prune = time.monotonic()
                    if removed := await store.call(store.prune):
                        log.info("pruned %d processed update ids", removed)
        except Exception as exc:  # noqa: BLE001 - the reply went out; the update is rerun or the person told
            self._state_failed("save", exc, update)
            if worker is not None:
                # the update was answered: never run it again, even without its state
                more = await self._finish_quietly(store, uid, chat_id, user_id)
        finally:
            if not self.keep_outcomes:
                self.bot_data.outcomes.pop(uid, None)
            metrics.LATENCY.observe(time.perf_counter() - started)
        return more

    async def _finish_quietly(self, store: StateStore, uid: int, chat_id: int | None = None,
                              user_id: int | None = None) -> bool:
        try:
            await _flush_sends(store)
            return await store.call(store.finish, uid, None, None, chat_id, user_id)
        except Exception as exc:  # noqa: BLE001 - left claimed: rerun after the take-over (at least once)
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
        except Exception as exc:  # noqa: BLE001 - the apology is a courtesy; nothing more can be done
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


async def _flush_sends(store: StateStore) -> None:
    """The update's journaled requests are recorded before its finish deletes them. SQLite's
    one database thread runs units in the order they were queued (often in one commit): no
    need to wait there."""
    send_log = CURRENT.get()
    if send_log is not None and not store.sqlite:
        await send_log.flush()


# --- pre-filters (group -10) -------------------------------------------------------------------

async def _kept_anyway(update: Update, context: CallbackContext) -> bool:
    """A feature's `hooks.throttle` says this message over the burst must not be dropped."""
    hook = context.application.bot_data.hooks.throttle
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
    if app.bot_data.throttle and meta["tc"] > settings.throttle_burst \
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
        # MessageHandlers would), unless a feature takes it (`hooks.edit`).
        hook = app.bot_data.hooks.edit
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
