"""The composition root: `build_application(settings)` assembles the one PTB Application.

Every channel (Telegram polling, webhook, console chat, `hajibot ask`, e2e tests, bench) builds
its Application here, so they all run the same handlers in the same order.
"""

from __future__ import annotations

import importlib
import logging
import sys
import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, CallbackContext, Defaults, TypeHandler
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot import metrics
from bot.inbox import InboxQueue
from bot.logs import format_exception
from bot.runtime import PREFILTER_GROUP, HajiApplication, prefilter
from bot.settings import Settings
from handlers import base
from handlers.base import Services, lang_of, render
from integration.client import SiskohatClient
from integration.gateway import Gateway

log = logging.getLogger(__name__)

try:  # httpcore (under PTB's HTTPXRequest) tries `import sniffio` on every request; when it is
    import sniffio  # noqa: F401 - not installed each failed import searches sys.path again
except ImportError:  # (~0.3 ms a request, measured with bench/bench_load.py): remember
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]  # its absence once

# Feature modules, each with `register(app)`, in the order their handlers must be tried.
HANDLER_MODULES = [
    "handlers.helpdesk",  # first: messages inside an open ticket / the agents' group go to humans
    "handlers.start",  # /start, /help, /bahasa, the menu
    "handlers.status",  # /porsi and bare porsi numbers
    "handlers.pelunasan",  # payoff (pelunasan) questions and wizard
    "handlers.akun",  # /akun (verified porsi numbers), /hapusdata
    "handlers.pelimpahan",  # transfer of a porsi (pelimpahan) wizard
    "handlers.faq",  # knowledge-base answers (also a hook of the router)
    "handlers.router",  # last: the catch-all for free text, stickers, photos, unknown commands
]

# Commands registered with Telegram (descriptions in runtime_commands.j2, per language).
COMMANDS_TEMPLATE = "runtime_commands.j2"
IN_PROCESS_TOKEN = "123456789:in-process-transport-not-telegram"  # never sent anywhere

_EXIT_STACK = "_exit_stack"


class MeteredRequest(BaseRequest):
    """Counts successful sends (`hajibot_replies`) around any request implementation."""

    _COUNTED = frozenset({
        "sendMessage", "sendPhoto", "sendDocument", "sendVoice", "sendAudio", "sendVideo",
        "sendSticker", "sendAnimation", "sendContact", "sendLocation", "copyMessage",
        "forwardMessage", "editMessageText",
    })

    def __init__(self, inner: BaseRequest):
        self.inner = inner

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=None, write_timeout=None, connect_timeout=None,
                         pool_timeout=None) -> tuple[int, bytes]:
        code, payload = await self.inner.do_request(
            url, method, request_data, read_timeout=read_timeout, write_timeout=write_timeout,
            connect_timeout=connect_timeout, pool_timeout=pool_timeout)
        api_method = url.rsplit("/", 1)[-1]
        if 200 <= code < 300 and api_method in self._COUNTED:
            metrics.REPLIES.labels(api_method).inc()
        return code, payload


def default_clock(settings: Settings) -> Callable[[], datetime]:
    tz = ZoneInfo(settings.timezone)
    return lambda: datetime.now(tz)


async def open_services(settings: Settings, stack: AsyncExitStack, *,
                        clock: Callable[[], datetime] | None = None, db=None) -> Services:
    """Open the shared clients (DB unless given, Siskohat client, gateway); `stack` closes
    what it opened."""
    from db.engine import Database

    if db is None:
        db = Database(settings.database_url)
        stack.callback(db.dispose)
    client = await stack.enter_async_context(SiskohatClient(
        settings.siskohat_url, settings.siskohat_key.get_secret_value(),
        timeout_s=settings.siskohat_timeout_s,
        total_timeout_s=settings.siskohat_total_timeout_s))
    gateway = Gateway(db, client, max_age_s=settings.siskohat_max_age_s)
    # LIFO: the gateway gives its kept read connection back before the engine is disposed
    stack.callback(gateway.close)
    return Services(settings=settings, db=db, gateway=gateway,
                    clock=clock or default_clock(settings), extras={"siskohat": client})


def _commands(lang: str) -> list[BotCommand]:
    out = []
    for line in render(lang, COMMANDS_TEMPLATE).splitlines():
        name, sep, description = line.partition(" - ")
        if sep and name.strip():
            out.append(BotCommand(name.strip(), description.strip()))
    return out


async def register_commands(app: Application) -> None:
    """Tell Telegram the command list: Indonesian by default, English for English clients."""
    try:
        await app.bot.set_my_commands(_commands("id"))
        await app.bot.set_my_commands(_commands("en"), language_code="en")
    except TelegramError as exc:  # not fatal: the bot works without the menu of commands
        log.warning("set_my_commands failed: %s", exc)


async def _post_init(app: Application) -> None:
    if app.bot_data.get("services") is None:
        stack = AsyncExitStack()
        app.bot_data[_EXIT_STACK] = stack
        app.bot_data["services"] = await open_services(
            app.bot_data["settings"], stack, clock=app.bot_data.get("clock"))
    await register_commands(app)
    from bot import privacy

    privacy.schedule(app)  # the daily retention purge, only when there is a JobQueue


async def _post_shutdown(app: Application) -> None:
    stack: AsyncExitStack | None = app.bot_data.pop(_EXIT_STACK, None)
    if stack is not None:  # we opened them; services passed in are the caller's to close
        await stack.aclose()
        app.bot_data["services"] = None


async def on_error(update: object, context: CallbackContext) -> None:
    """Log an error id with the traceback (no update contents); tell the person the id."""
    error_id = uuid.uuid4().hex[:8].upper()
    exc = context.error
    metrics.ERRORS.inc()
    update_id = update.update_id if isinstance(update, Update) else None
    # formatted here, not by the handler's formatter: whatever logging set-up runs the bot,
    # the exception's message (it can quote user text or a record) stays out
    log.error("error %s (update %s):\n%s", error_id, update_id, format_exception(exc))
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        await context.bot.send_message(
            update.effective_chat.id,
            render(lang_of(update, context), "runtime_error.j2", error_id=error_id),
            message_thread_id=(update.effective_message.message_thread_id
                               if update.effective_message and
                               update.effective_message.is_topic_message else None))
    except TelegramError:
        log.warning("error %s: could not tell the user", error_id)


def register_handlers(app: Application, modules: list[str] | None = None) -> list[str]:
    """Pre-filters, then every feature module in order; returns the modules registered."""
    # Flows and hooks are process-wide registries; start from empty so an Application built
    # with fewer modules (tests, benches) never calls a feature it did not register.
    base.FLOWS.clear()
    base.HOOKS.clear()
    app.add_handler(TypeHandler(Update, prefilter), group=PREFILTER_GROUP)
    done = []
    for name in HANDLER_MODULES if modules is None else modules:
        importlib.import_module(name).register(app)
        done.append(name)
    app.add_error_handler(on_error)
    return done


def build_application(settings: Settings, *, services: Services | None = None,
                      request: BaseRequest | None = None,
                      clock: Callable[[], datetime] | None = None,
                      rate_limiter: bool | None = None,
                      handler_modules: list[str] | None = None,
                      keep_outcomes: bool = False, throttle: bool = True) -> HajiApplication:
    """Assemble the Application.

    - `request`: a request implementation (e.g. `bot.transport.InProcessRequest`) instead of
      HTTPS to Telegram; then no token is needed.
    - `services`: ready shared clients (tests); otherwise post_init opens them from settings
      and post_shutdown closes them.
    - `rate_limiter`: AIORateLimiter on/off; default on for real Telegram, off in-process
      (it only adds latency when nothing is rate limited).
    - `handler_modules`: override HANDLER_MODULES (tests registering a tiny handler).
    - `throttle`: per-user burst throttling (off for the local console/ask channels, where a
      script sends lines as fast as it can and nobody floods anyone).
    """
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else None
    if request is None and not token:
        raise ValueError("HAJIBOT_TELEGRAM_TOKEN is not set")
    builder = (
        Application.builder()
        .application_class(HajiApplication)
        .token(token or IN_PROCESS_TOKEN)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=ZoneInfo(settings.timezone)))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        # updates put here (PTB's polling) are stored in the inbox first (bot/inbox.py)
        .update_queue(InboxQueue())
    )
    if request is not None:
        builder = builder.request(MeteredRequest(request)).get_updates_request(request)
    else:
        builder = builder.request(MeteredRequest(HTTPXRequest(connection_pool_size=256)))
        builder = builder.get_updates_request(HTTPXRequest())
    if settings.telegram_base_url:
        base = settings.telegram_base_url
        builder = builder.base_url(base)
        if base.rstrip("/").endswith("/bot"):
            builder = builder.base_file_url(base.rstrip("/")[: -len("bot")] + "file/bot")
    if rate_limiter if rate_limiter is not None else (request is None
                                                      and settings.telegram_rate_limit):
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    app: HajiApplication = builder.build()  # type: ignore[assignment]
    app.keep_outcomes = keep_outcomes
    app.bot_data["settings"] = settings
    app.bot_data["services"] = services
    app.bot_data["clock"] = clock
    app.bot_data["throttle"] = throttle
    app.bot_data.setdefault("outcomes", {})
    register_handlers(app, handler_modules)
    return app


async def start_app(app: Application, *, updates: bool = True) -> None:
    """initialize + post_init (+ start: update queue fetcher and job queue) without polling.

    What `run_polling` does minus the polling; used by the web server, console and tests.
    """
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    if updates:
        await app.start()


async def stop_app(app: Application) -> None:
    if app.running:
        await app.stop()
        if app.post_stop:
            await app.post_stop(app)
    await app.shutdown()
    if app.post_shutdown:
        await app.post_shutdown(app)


def services_of(app: Application) -> Services:
    return app.bot_data["services"]


__all__ = ["HANDLER_MODULES", "build_application", "start_app", "stop_app", "open_services",
           "services_of", "MeteredRequest", "on_error"]
