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

import json
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, CallbackContext

from bot import metrics
from handlers.base import lang_of, render, services

log = logging.getLogger(__name__)

KEEP_UPDATE_IDS = timedelta(days=2)
PRUNE_EVERY_S = 600.0
PREFILTER_GROUP = -10
# bot_data key of a feature's say on an edited private message (the helpdesk carries edits of
# relayed messages): an async callable (update, context) -> True when it dealt with the edit.
EDIT_HOOK = "edit_hook"
# bot_data key of a feature's say on a private message over the throttle's burst: an async
# callable (update, context) -> True when the feature must get the message all the same (the
# helpdesk, while the chat has an open ticket: words for an agent are never dropped - it paces
# a flood itself). Asked only over the burst, so it costs nothing on ordinary messages.
THROTTLE_HOOK = "throttle_hook"


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class StateStore:
    """SQL for the runtime tables. Runs on every update, so it talks to the DBAPI connection
    directly (the pool's checkout, no Core compile/result layers): plain SQL valid on
    SQLite >= 3.35 and PostgreSQL alike (ON CONFLICT, RETURNING), built once per dialect.

    Per update: `begin` = one transaction (claim the id + read both states; on PostgreSQL
    in one statement, one round trip), `save` = one transaction (one upsert per changed
    state), committed before the next update is taken."""

    _CLAIM = ("INSERT INTO processed_updates (update_id, processed_at) VALUES ({m}, {m}) "
              "ON CONFLICT (update_id) DO NOTHING RETURNING update_id")
    # Both states in one row; a NULL id matches nothing.
    _LOAD = ("SELECT (SELECT data FROM runtime_chat_state WHERE chat_id = {m}), "
             "u.data, u.meta FROM (SELECT 1 AS one) AS o "
             "LEFT JOIN runtime_user_state AS u ON u.user_id = {m}")
    # PostgreSQL: claim and load in one round trip (a data-modifying CTE runs exactly once).
    _CLAIM_LOAD_PG = ("WITH c AS (INSERT INTO processed_updates (update_id, processed_at) "
                      "VALUES (%s, %s) ON CONFLICT (update_id) DO NOTHING RETURNING update_id) "
                      "SELECT (SELECT count(*) FROM c), "
                      "(SELECT data FROM runtime_chat_state WHERE chat_id = %s), "
                      "u.data, u.meta FROM (SELECT 1 AS one) AS o "
                      "LEFT JOIN runtime_user_state AS u ON u.user_id = %s")
    _SAVE_CHAT = ("INSERT INTO runtime_chat_state (chat_id, data, updated_at) "
                  "VALUES ({m}, {m}, {m}) ON CONFLICT (chat_id) DO UPDATE "
                  "SET data = excluded.data, updated_at = excluded.updated_at")
    _SAVE_USER = ("INSERT INTO runtime_user_state (user_id, data, meta, updated_at) "
                  "VALUES ({m}, {m}, {m}, {m}) ON CONFLICT (user_id) DO UPDATE "
                  "SET data = excluded.data, meta = excluded.meta, "
                  "updated_at = excluded.updated_at")
    _PRUNE = "DELETE FROM processed_updates WHERE processed_at < {m}"

    def __init__(self, db):
        self.db = db
        self.engine = db.engine
        dialect = self.engine.dialect.name
        self.pg = dialect == "postgresql"
        self.sqlite = dialect == "sqlite"
        self._raw = None  # the kept DBAPI connection (see `_run`)
        self._dbapi_error = self.engine.dialect.loaded_dbapi.Error
        mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        self.sql = {k: getattr(self, k).format(m=mark)
                    for k in ("_CLAIM", "_LOAD", "_SAVE_CHAT", "_SAVE_USER", "_PRUNE")}

    def _stamp(self, dt: datetime):
        # SQLite gets SQLAlchemy's own DateTime text ("YYYY-MM-DD HH:MM:SS.ffffff") so ORM reads
        # and the prune comparison still work; PostgreSQL's driver takes the datetime itself
        return dt.isoformat(" ", "microseconds") if self.sqlite else dt

    def _run(self, work):
        """`work(cursor)` in one transaction, committed before returning.

        The DBAPI connection is checked out of the engine's pool once and kept between
        updates (updates run one at a time on the event loop and `work` never awaits, so
        nothing else uses it meanwhile): a pool checkout per transaction cost more than the
        statements (and, on PostgreSQL, a pre-ping round trip). After an error it is thrown
        away; a broken connection (database restarted) is retried once on a fresh one."""
        for attempt in (1, 2):
            raw = self._raw
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
                self._raw = None
                disconnected = self.engine.dialect.is_disconnect(exc, raw.dbapi_connection, None)
                _discard(raw, disconnected)
                if held and disconnected and attempt == 1:
                    continue
                raise
            except BaseException:
                self._raw = None
                _discard(raw, False)
                raise
            self._raw = raw
            return out
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Give the kept connection back to the pool (application shutdown)."""
        raw, self._raw = self._raw, None
        if raw is not None:
            raw.close()

    def begin(self, update_id: int | None, chat_id: int | None, user_id: int | None
              ) -> tuple[bool, str | None, str | None, str | None]:
        """Claim `update_id` and read state: (claimed, chat json, user json, user meta json)."""
        sql = self.sql

        def work(cur):
            if update_id is not None and self.pg:
                cur.execute(self._CLAIM_LOAD_PG,
                            (update_id, self._stamp(_utcnow()), chat_id, user_id))
                claimed, chat_raw, user_raw, meta_raw = cur.fetchone()
                return bool(claimed), chat_raw, user_raw, meta_raw
            if update_id is not None:
                # RETURNING, not rowcount: psycopg reports no reliable rowcount here.
                cur.execute(sql["_CLAIM"], (update_id, self._stamp(_utcnow())))
                if cur.fetchone() is None:
                    return False, None, None, None
            cur.execute(sql["_LOAD"], (chat_id, user_id))
            chat_raw, user_raw, meta_raw = cur.fetchone()
            return True, chat_raw, user_raw, meta_raw

        claimed, chat_raw, user_raw, meta_raw = self._run(work)
        if not claimed:
            return False, None, None, None
        return True, chat_raw, user_raw, meta_raw

    def load(self, chat_id: int | None, user_id: int | None):
        _, chat_raw, user_raw, meta_raw = self.begin(None, chat_id, user_id)
        return chat_raw, user_raw, meta_raw

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
        return self._store

    def _apply(self, chat_id, user_id, chat_raw, user_raw, meta_raw) -> None:
        if chat_id is not None:
            data = self._chat_data[chat_id]
            data.clear()
            data.update(json.loads(chat_raw) if chat_raw else {})
        if user_id is not None:
            data = self._user_data[user_id]
            data.clear()
            data.update(json.loads(user_raw) if user_raw else {})
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

    # --- the wrapper -------------------------------------------------------------------------
    async def process_update(self, update: object) -> None:
        store = self.store
        if not isinstance(update, Update) or store is None:
            await super().process_update(update)
            return
        # Nothing below may escape: an exception here would end PTB's update task, and the
        # bot would go silent for everyone while the webhook still answered 200.
        started = time.perf_counter()
        chat_id = update.effective_chat.id if update.effective_chat else None
        user_id = update.effective_user.id if update.effective_user else None
        try:
            claimed, chat_raw, user_raw, meta_raw = store.begin(update.update_id, chat_id,
                                                                 user_id)
            if claimed:
                self._apply(chat_id, user_id, chat_raw, user_raw, meta_raw)
        except Exception as exc:
            self._state_failed("load", exc, update)
            await self._apologise(update)
            return
        self.db_healthy = True
        if not claimed:
            metrics.DUPLICATES.inc()
            return
        metrics.UPDATES.labels(update_kind(update)).inc()
        try:
            await super().process_update(update)
        except Exception as exc:  # PTB hands handler errors to on_error; this is the rest
            log.error("update %s not processed: %s", update.update_id, type(exc).__name__)
            metrics.ERRORS.inc()
        try:
            self._save_changes(chat_id, user_id, chat_raw, user_raw, meta_raw)
            self._maybe_prune(store)
        except Exception as exc:
            self._state_failed("save", exc, update)
        finally:
            if not self.keep_outcomes:
                self.bot_data.get("outcomes", {}).pop(update.update_id, None)
            metrics.LATENCY.observe(time.perf_counter() - started)

    def _state_failed(self, step: str, exc: BaseException, update: Update) -> None:
        """Log the class and the update id only (the message may quote bound values)."""
        self.db_healthy = False
        metrics.STATE_ERRORS.labels(step).inc()
        log.error("state %s failed for update %s: %s", step, update.update_id,
                  type(exc).__name__)

    async def _apologise(self, update: Update) -> None:
        """Best effort: the person hears that the message was not handled (never silence)."""
        chat = update.effective_chat
        if chat is None or chat.type != "private":
            return
        user = update.effective_user
        code = (user.language_code or "") if user is not None else ""
        lang = "en" if code.lower().startswith("en") else "id"
        try:
            await self.bot.send_message(chat.id, render(lang, "runtime_unavailable.j2"))
        except Exception as exc:
            log.warning("update %s: apology not sent: %s", update.update_id,
                        type(exc).__name__)

    def forget(self, chat_id: int | None, user_id: int | None) -> None:
        """This update erased the person's state (/hapusdata): do not write it back."""
        self._forgotten |= {("chat", chat_id), ("user", user_id)}

    def _save_changes(self, chat_id, user_id, chat_raw, user_raw, meta_raw) -> None:
        if self._forgotten:
            forgotten, self._forgotten = self._forgotten, set()
            if ("chat", chat_id) in forgotten:
                self._chat_data.pop(chat_id, None)
                chat_id = None
            if ("user", user_id) in forgotten:
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
