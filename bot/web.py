"""Webhook-mode web server (aiohttp): Telegram webhook, health, metrics, Siskohat push.

- `POST /telegram`: checks `X-Telegram-Bot-Api-Secret-Token` (hmac.compare_digest), refuses a
  malformed body (400), stores the update in the inbox (bot/inbox.py) and only then answers
  200; a database error is a 503 (Telegram sends it again). Workers process it from the inbox;
- `GET /healthz`: open to anyone and never calls Siskohat: DB ping (503 when down), and from
  memory the Siskohat client's breaker state, last success and key state; from the database the
  inbox backlog, the age of its oldest update and the parked count;
- `GET /healthz/deep`: the same plus one Siskohat ping, only from loopback (no proxy headers) or
  with `Authorization: Bearer $HAJIBOT_HEALTH_TOKEN` (403 otherwise); concurrent deep checks
  share one ping, so it cannot be used to open the breaker;
- `GET /metrics`: Prometheus text format (bot/metrics.py + integration/metrics.py);
- the Siskohat push endpoint (`integration.push`) when a push secret is configured;
- `GET`/`POST /whatsapp` (bot/web_whatsapp.py) when the WhatsApp channel and its app secret
  are configured. Without a Telegram token the server runs WhatsApp alone (no /telegram).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from telegram import Update
from telegram.ext import Application

from bot.app import build_application, open_services, start_app, stop_app
from bot.inbox import ids_of
from bot.settings import Settings
from db.engine import Database
from integration.push import add_push_routes
from integration.safe_json import BadBody, load_object

log = logging.getLogger(__name__)

# Only what the handlers use; everything else Telegram would send is noise for this bot.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - the header's name
MAX_BODY = 1 << 20

PTB_APP = web.AppKey("ptb_app", Application)
SETTINGS = web.AppKey("settings", Settings)
DB = web.AppKey("db", Database)
SET_WEBHOOK = web.AppKey("set_webhook", bool)
DEEP_PING = web.AppKey("deep_ping", dict)  # {"task": the in-flight Siskohat check, if any}
LOOPBACK_ADDRS = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}
# A request through a reverse proxy on the same host comes from loopback too; these say so.
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


async def telegram_webhook(request: web.Request) -> web.Response:
    """Store a Telegram update in the inbox, then acknowledge it; workers process it."""
    secret = request.app[SETTINGS].webhook_secret
    given = request.headers.get(SECRET_HEADER, "")
    if secret is None or not hmac.compare_digest(given.encode(),
                                                 secret.get_secret_value().encode()):
        return web.Response(status=403, text="forbidden")
    ptb = request.app[PTB_APP]
    body = await request.read()
    try:
        update = parse_update(body, ptb.bot)
    except BadBody as exc:
        log.warning("webhook body refused: %s", exc)
        return web.Response(status=400, text="bad update")
    if not await database_ready(request.app):
        # Telegram sends the update again after a 5xx; a 200 now would lose it.
        return web.Response(status=503, text="database unavailable")
    store = getattr(ptb, "store_update", None)
    if store is None:  # a plain PTB Application (no inbox)
        await ptb.update_queue.put(update)
        return web.Response(text="ok")
    try:
        # Durable before acknowledged: the 200 goes out only once the update is in the inbox.
        await store(update, body.decode())
    except Exception:  # noqa: BLE001 - logged by store_update (class and update id)
        return web.Response(status=503, text="database unavailable")
    return web.Response(text="ok")


def parse_update(body: bytes, bot) -> Update:
    """A Telegram update from an untrusted body, or BadBody (-> 400, never a 500)."""
    data = load_object(body)
    if not isinstance(data.get("update_id"), int) or isinstance(data.get("update_id"), bool):
        raise BadBody("no update_id")
    try:
        update = Update.de_json(data, bot)
    except Exception as exc:  # noqa: BLE001 - PTB's parsers assume Telegram's shapes (a string as `message`...)
        raise BadBody(f"not an update ({type(exc).__name__})") from None
    if update is None:
        raise BadBody("not an update")
    try:  # the inbox keys the update by its chat and user: they must be Telegram ids
        ids = ids_of(update)
    except Exception as exc:  # noqa: BLE001 - hostile bodies: any failure to read the ids is a 400
        raise BadBody(f"not an update ({type(exc).__name__})") from None
    if any(i is not None and (not isinstance(i, int) or isinstance(i, bool)) for i in ids):
        raise BadBody("chat or user id is not an integer")
    return update


async def database_ready(app: web.Application) -> bool:
    """True unless the last per-update database step failed and the database still does not
    answer: only then is a ping paid for, so healthy traffic costs nothing extra."""
    ptb = app[PTB_APP]
    if getattr(ptb, "db_healthy", True):
        return True
    ok = await _ping_db(app[DB])
    if ok and hasattr(ptb, "db_healthy"):
        ptb.db_healthy = True
    return ok


async def _ping_db(db: Database) -> bool:
    def ping() -> bool:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True

    try:
        return await asyncio.wait_for(asyncio.to_thread(ping), 3.0)
    except Exception:  # noqa: BLE001 - any failure means "not ok"; the class is enough in the log
        log.warning("database unreachable", exc_info=False)
        return False


def _siskohat_client(app: web.Application):
    services = app[PTB_APP].bot_data.services
    return services.extras.get("siskohat") if services is not None else None


async def _inbox_stats(app: web.Application) -> dict:
    """The inbox backlog (stored, not yet processed), its oldest age, parked updates; also
    refreshes the inbox gauges of /metrics. Nulls without an inbox or a database."""
    worker = getattr(app[PTB_APP], "inbox", None)
    if worker is None:
        return {"inbox_backlog": None, "inbox_oldest_age_s": None, "inbox_parked": None}
    try:
        stats = await asyncio.wait_for(worker.stats(), 3.0)
    except Exception as exc:  # noqa: BLE001 - health must answer even when the inbox cannot
        log.warning("inbox stats unavailable: %s", type(exc).__name__)
        return {"inbox_backlog": None, "inbox_oldest_age_s": None, "inbox_parked": None}
    age = None if stats.oldest_age_s is None else round(stats.oldest_age_s, 3)
    return {"inbox_backlog": stats.backlog, "inbox_oldest_age_s": age,
            "inbox_parked": stats.parked}


def _shallow(app: web.Application, db_ok: bool) -> dict:
    """What the bot already knows: no request leaves the process."""
    client = _siskohat_client(app)
    known = client.health() if client is not None and hasattr(client, "health") else {}
    queue = getattr(app[PTB_APP], "update_queue", None)
    try:
        backlog = queue.qsize() if queue is not None else None
    except (AttributeError, NotImplementedError):
        backlog = None
    return {
        "db": db_ok,
        "siskohat": known.get("state"),
        "breaker": known.get("breaker"),
        "siskohat_last_success": known.get("last_success"),
        "siskohat_last_success_age_s": known.get("last_success_age_s"),
        "update_backlog": backlog,
    }


async def healthz(request: web.Request) -> web.Response:
    """DB ping plus what is known in memory; never calls Siskohat. 503 when the DB is down.

    `siskohat`: "ok" | "unknown" (no call yet) | "unavailable" (breaker open) | "auth_error"
    (the last answer was a 401: the key, not an outage) | null (no client)."""
    db_ok = await _ping_db(request.app[DB])
    body = _shallow(request.app, db_ok)
    if db_ok:
        body.update(await _inbox_stats(request.app))
    return web.json_response(body, status=200 if db_ok else 503)


def deep_allowed(request: web.Request) -> bool:
    """Loopback without proxy headers, or the health token (when one is configured)."""
    token = request.app[SETTINGS].health_token
    given = request.headers.get("Authorization", "")
    if token is not None and token.get_secret_value() and given.startswith("Bearer ") \
            and hmac.compare_digest(given[len("Bearer "):].strip().encode(),
                                    token.get_secret_value().encode()):
        return True
    if any(h in request.headers for h in PROXY_HEADERS):
        return False
    return request.remote in LOOPBACK_ADDRS


async def _shared_check(app: web.Application, client) -> str:
    """One Siskohat check in flight at a time: concurrent callers await the same one."""
    slot = app[DEEP_PING]
    task = slot.get("task")
    if task is None or task.done():
        task = asyncio.ensure_future(client.check() if hasattr(client, "check")
                                     else _ping_as_check(client))
        slot["task"] = task
    # shield: a caller that goes away does not cancel the check the others wait for
    return await asyncio.shield(task)


async def _ping_as_check(client) -> str:
    return "ok" if await client.ping() else "unavailable"


async def healthz_deep(request: web.Request) -> web.Response:
    """`/healthz` plus one Siskohat check (shared by concurrent callers); loopback or token only.
    503 when the DB is down or Siskohat is not "ok"."""
    if not deep_allowed(request):
        return web.Response(status=403, text="forbidden")
    app = request.app
    db_ok = await _ping_db(app[DB])
    client = _siskohat_client(app)
    check = None
    if client is not None:
        try:
            check = await _shared_check(app, client)
        except Exception as exc:  # noqa: BLE001 - the client's own errors are mapped; anything else: its class
            log.warning("deep health check failed: %s", type(exc).__name__)
            check = "error"
    body = _shallow(app, db_ok)
    body["siskohat_check"] = check
    healthy = db_ok and check in ("ok", None)
    return web.json_response(body, status=200 if healthy else 503)


async def metrics(request: web.Request) -> web.Response:
    await _inbox_stats(request.app)  # the inbox gauges, read now
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def setup_routes(app: web.Application) -> None:
    settings = app[SETTINGS]
    if settings.telegram_token is not None or settings.webhook_secret is not None:
        app.router.add_post("/telegram", telegram_webhook)
    if app[PTB_APP].bot_data.caches.get("whatsapp") is not None:
        if settings.whatsapp_app_secret is None or not \
                settings.whatsapp_app_secret.get_secret_value():
            log.warning("HAJIBOT_WHATSAPP_APP_SECRET is not set: WhatsApp webhook disabled")
        else:
            from bot.web_whatsapp import add_whatsapp_routes

            add_whatsapp_routes(app, ptb_key=PTB_APP, settings_key=SETTINGS, db_key=DB,
                                database_ready=database_ready)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/healthz/deep", healthz_deep)
    app.router.add_get("/metrics", metrics)
    secret = app[SETTINGS].siskohat_push_secret
    if secret is None or not secret.get_secret_value():
        # No shared secret, no push endpoint: an unsigned door into the mirror is worse than
        # none (the daily batch and on-demand lookups still keep the mirror fresh).
        log.warning("HAJIBOT_SISKOHAT_PUSH_SECRET is not set: Siskohat push endpoint disabled")
        return
    add_push_routes(app, app[DB], secret.get_secret_value())


async def telegram_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open shared clients, start the Application, set the webhook; undo on shutdown."""
    ptb = app[PTB_APP]
    settings = app[SETTINGS]
    async with AsyncExitStack() as stack:
        stack.callback(app[DB].dispose)
        owned = not ptb.running  # an Application started by the caller (tests) stays theirs
        if owned:
            if ptb.bot_data.services is None:
                ptb.bot_data.services = await open_services(
                    settings, stack, clock=ptb.bot_data.clock, db=app[DB])
            await start_app(ptb)
        if app[SET_WEBHOOK]:
            await ptb.bot.set_webhook(
                url=settings.webhook_url, secret_token=settings.webhook_secret.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES, max_connections=40)
        yield
        if owned:
            await stop_app(ptb)


def make_web_app(settings: Settings, *, ptb_app: Application | None = None,
                 db: Database | None = None, set_webhook: bool = True) -> web.Application:
    whatsapp_only = settings.telegram_token is None and settings.webhook_secret is None and (
        (ptb_app is not None and ptb_app.bot_data.caches.get("whatsapp") is not None)
        or (ptb_app is None and bool(settings.whatsapp_token and settings.whatsapp_phone_id)))
    if not whatsapp_only and (settings.webhook_secret is None
                              or not settings.webhook_secret.get_secret_value()):
        raise ValueError("HAJIBOT_WEBHOOK_SECRET is required in webhook mode")
    set_webhook = set_webhook and not whatsapp_only
    app = web.Application(client_max_size=MAX_BODY)
    app[SETTINGS] = settings
    app[DB] = db or Database(settings.database_url)
    app[PTB_APP] = ptb_app or build_application(settings)
    app[SET_WEBHOOK] = set_webhook
    app[DEEP_PING] = {}
    app.cleanup_ctx.append(telegram_ctx)
    setup_routes(app)
    return app


def run_webhook(settings: Settings) -> int:
    whatsapp = bool(settings.whatsapp_token and settings.whatsapp_phone_id)
    if settings.telegram_token is None and not whatsapp:
        raise ValueError("HAJIBOT_TELEGRAM_TOKEN (or the WhatsApp settings) is required in "
                         "webhook mode")
    if settings.telegram_token is not None and not settings.webhook_url:
        raise ValueError("HAJIBOT_WEBHOOK_URL is required in webhook mode (the public https URL "
                         "of POST /telegram)")
    web.run_app(make_web_app(settings), host="0.0.0.0", port=settings.port,  # noqa: S104 - a server: every interface
                access_log=None)
    return 0
