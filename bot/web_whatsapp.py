"""WhatsApp webhook routes (added to bot/web.py's server when the channel is configured).

- `GET /whatsapp`: Meta's verification handshake (`hub.mode=subscribe`, `hub.verify_token`
  compared in constant time, answered with `hub.challenge`);
- `POST /whatsapp`: the `X-Hub-Signature-256` HMAC of the raw body is checked first (pywa's
  validator: HMAC-SHA256 with the app secret, `hmac.compare_digest`) - 401 and nothing stored
  when it is missing or wrong; a body that is not Meta's shape is a 400; each message gets its
  internal chat id and update id (db/repos_whatsapp.py) in the very transaction that stores it
  in the same update inbox as Telegram's updates, before the 200 (a database error is a 503
  and nothing of it is kept: Meta sends it again). A redelivered message id is known, and
  nothing is stored for it. Status callbacks (sent, delivered, read, failed) are counted in
  /metrics and never answered.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from dataclasses import dataclass

from aiohttp import web
from pywa_async import utils as wa_utils
from telegram import Update

from bot import metrics
from bot.channels.whatsapp_edge import Inbound, parse, update_json
from db import repos_whatsapp as repo
from integration.safe_json import BadBody, load_object

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"


@dataclass(frozen=True, slots=True)
class Prepared:
    update: dict  # Telegram update JSON
    chat: repo.WaChat
    new: bool  # False: this WhatsApp message id was seen before


def prepare(channel, db, messages: list[Inbound]) -> list[Prepared]:
    """Chat ids and update ids for inbound messages, in one transaction (synchronous: off the
    event loop), where no inbox runs (`hajibot ask`, tests driving `process_update`). A chat
    whose last inbound time this process wrote less than `FRESH` ago is not written again
    (its window is at most that much shorter)."""
    now = channel.clock()
    rows = []
    with db.engine.begin() as conn:
        for item in messages:
            chat = channel.fresh(item.user_key, item.wa_id, now)
            if chat is None:
                chat = repo.touch_chat(conn, item.user_key, item.wa_id, now)
            uid, new = repo.update_id_for(conn, item.wamid, chat.chat_id, now)
            rows.append((item, chat, uid, new))
    return [Prepared(update_json(item, update_id=uid, chat_id=chat.chat_id,
                                 message_id=uid - repo.WA_ID_BASE,
                                 reply_message_id=channel.message_ref(item.reply_to)),
                     chat, new)
            for item, chat, uid, new in rows]


def signed(secret: str, body: bytes, header: str | None) -> bool:
    return bool(header) and wa_utils.webhook_updates_validator(
        app_secret=secret, request_body=body, x_hub_signature=header)


async def accept(ptb, db, settings, body: bytes, signature: str | None, *,
                 ready=None) -> tuple[int, str]:
    """What POST /whatsapp does with a body: (HTTP status, text). `ready`: an async check
    that the database answers (the web server's), or None."""
    if not signed(settings.whatsapp_app_secret.get_secret_value(), body, signature):
        metrics.WA_INBOUND.labels("refused").inc()
        return 401, "bad signature"
    channel = ptb.bot_data.caches["whatsapp"]
    try:
        messages, statuses = parse(channel.wa, load_object(body))
    except BadBody as exc:
        log.warning("whatsapp webhook body refused: %s", exc)
        return 400, "bad body"
    for st in statuses:
        metrics.WA_STATUSES.labels(st.status).inc()
        if st.status == "failed":  # Meta could not deliver one of ours: its code only
            log.warning("whatsapp delivery failed: code %s", st.error_code)
    if not messages:
        return 200, "ok"
    if ready is not None and not await ready():
        return 503, "database unavailable"
    if getattr(ptb, "inbox", None) is None:  # no running inbox: chat ids, then the queue
        return await _queue(ptb, db, channel, messages)
    for item in messages:
        try:
            # durable before acknowledged, as for Telegram; a repeated message id is dropped
            chat, new = await ptb.store_built(_builder(ptb.store, channel, item),
                                              "whatsapp message")
        except Exception:  # noqa: BLE001 - logged by store_built (class only): a 503
            return 503, "database unavailable"
        channel.remember(chat)
        metrics.WA_INBOUND.labels("stored" if new else "duplicate").inc()
    return 200, "ok"


def _builder(store, channel, item: Inbound):
    """What the inbox's storing transaction runs first for `item` (`InboxWorker.add_built`):
    its chat (created, its window opened - not written again when this process wrote it
    less than `FRESH` ago) and its update id (none for a repeated message id: nothing is
    stored). The remembered chat and the reply reference are read here, on the event loop."""
    sql = repo.inbound_sql(store.engine)
    now = channel.clock()
    known = channel.fresh(item.user_key, item.wa_id, now)
    reply_ref = channel.message_ref(item.reply_to)

    def build(cur):
        chat = known or sql.touch(cur, item.user_key, item.wa_id, now)
        uid, new = sql.message(cur, item.wamid, chat.chat_id, now)
        data = update_json(item, update_id=uid, chat_id=chat.chat_id,
                           message_id=uid - repo.WA_ID_BASE,
                           reply_message_id=reply_ref) if new else None
        return data, chat.chat_id, chat.chat_id, (chat, new)

    return build


async def _queue(ptb, db, channel, messages: list[Inbound]) -> tuple[int, str]:
    """A plain PTB Application, or one whose inbox is not running: the chat and update ids
    stored, the updates put in the in-memory queue."""
    try:
        prepared = await asyncio.to_thread(prepare, channel, db, messages)
    except Exception as exc:  # noqa: BLE001 - any database failure: 503, Meta sends it again
        log.error("whatsapp messages not stored: %s", type(exc).__name__)
        return 503, "database unavailable"
    for item in prepared:
        channel.remember(item.chat)
        metrics.WA_INBOUND.labels("stored" if item.new else "duplicate").inc()
        if item.new:
            await ptb.update_queue.put(Update.de_json(item.update, ptb.bot))
    return 200, "ok"


def add_whatsapp_routes(app: web.Application, *, ptb_key, settings_key, db_key,
                        database_ready) -> None:
    async def verify(request: web.Request) -> web.Response:
        settings = request.app[settings_key]
        q = request.query
        expected = settings.whatsapp_verify_token
        given = q.get("hub.verify_token", "")
        if (q.get("hub.mode") == "subscribe" and expected is not None
                and hmac.compare_digest(given.encode(),
                                        expected.get_secret_value().encode())):
            return web.Response(text=q.get("hub.challenge", ""))
        return web.Response(status=403, text="forbidden")

    async def receive(request: web.Request) -> web.Response:
        async def ready() -> bool:
            return await database_ready(request.app)

        status, text = await accept(request.app[ptb_key], request.app[db_key],
                                    request.app[settings_key], await request.read(),
                                    request.headers.get(SIGNATURE_HEADER), ready=ready)
        return web.Response(status=status, text=text)

    app.router.add_get("/whatsapp", verify)
    app.router.add_post("/whatsapp", receive)
