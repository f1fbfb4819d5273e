"""The composition root: `build_application(settings)` assembles the one PTB Application.

Every channel (Telegram polling, webhook, console chat, `hajibot ask`, e2e tests, bench) builds
its Application here, so they all run the same handlers in the same order.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AsyncExitStack
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    BaseRateLimiter,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot import metrics
from bot.inbox import InboxQueue
from bot.limiter import TelegramLimiter
from bot.logs import format_exception
from bot.runtime import PREFILTER_GROUP, HajiApplication, prefilter
from bot.sends import CURRENT, ThreadedHTTPRequest, journaled
from bot.settings import Settings
from handlers import akun, faq, pantau, router, start, status
from handlers.base import LANGS, BotData, Services, lang_of, register_flow, register_typed, render
from handlers.helpdesk import agents as helpdesk_agents
from handlers.helpdesk import edits as helpdesk_edits
from handlers.helpdesk import jobs as helpdesk_jobs
from handlers.helpdesk import person as helpdesk
from handlers.pelimpahan import wizard as pelimpahan
from handlers.pelunasan import verify as pelunasan_verify
from handlers.pelunasan import wizard as pelunasan
from integration.client import SiskohatClient
from integration.gateway import Gateway

log = logging.getLogger(__name__)

try:  # httpcore (under PTB's HTTPXRequest) tries `import sniffio` on every request; when it is
    import sniffio  # noqa: F401 - not installed each failed import searches sys.path again
except ImportError:  # (~0.3 ms a request, measured with bench/bench_load.py): remember
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]  # its absence once

# Commands registered with Telegram (descriptions in runtime_commands.j2, per language).
COMMANDS_TEMPLATE = "runtime_commands.j2"
IN_PROCESS_TOKEN = "123456789:in-process-transport-not-telegram"  # noqa: S105 - not a secret  # never sent anywhere

_EXIT_STACK = "_exit_stack"
NOTIFY_SENDER = "notify_sender"  # caches: run the background notification sender
WHATSAPP = "whatsapp"  # bot_data.caches: the WhatsAppChannel, when the channel is configured
_WHATSAPP_OWNED = "_whatsapp_owned"  # ... and whether this Application made it (closes it)


def whatsapp_configured(settings: Settings) -> bool:
    return bool(settings.whatsapp_token and settings.whatsapp_phone_id)


class MeteredRequest(BaseRequest):
    """Counts successful sends (`hajibot_replies`) around any request implementation, and
    journals an inbox update's requests (bot/sends.py)."""

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
        api_method = url.rsplit("/", 1)[-1]

        def send() -> Awaitable[tuple[int, bytes]]:
            return self.inner.do_request(
                url, method, request_data, read_timeout=read_timeout,
                write_timeout=write_timeout, connect_timeout=connect_timeout,
                pool_timeout=pool_timeout)

        # while an inbox update runs: journaled, and replayed when it is re-run (bot/sends.py)
        sync = None
        if isinstance(self.inner, ThreadedHTTPRequest) and CURRENT.get() is not None:
            sync = self.inner.sync_sender(url, method, request_data, read_timeout,
                                          write_timeout, connect_timeout, pool_timeout)
        code, payload = await journaled(api_method, send, sync)
        if 200 <= code < 300 and api_method in self._COUNTED:
            metrics.replies(api_method).inc()
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


def _labels(*keys: tuple[str, str]) -> list[tuple[str, str]]:
    """(language, text) of buttons ((label template, key) pairs) in every language."""
    return [(lang, render(lang, template, key=key)) for template, key in keys for lang in LANGS]


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
    data: BotData = app.bot_data
    if data.services is None:
        stack = AsyncExitStack()
        data.caches[_EXIT_STACK] = stack
        data.services = await open_services(data.settings, stack, clock=data.clock)
    channel = data.caches.get(WHATSAPP)
    if channel is not None:
        channel.bind(data.services)
    await register_commands(app)
    from bot import privacy

    privacy.schedule(app)  # the daily retention purge, only when there is a JobQueue
    if data.caches.get(NOTIFY_SENDER):
        from bot import notify_sender

        notify_sender.start_background(app, data.services, data.caches.get(WHATSAPP))


async def _post_stop(app: Application) -> None:
    from bot import notify_sender

    await notify_sender.stop_background(app)  # before the Bot it sends with shuts down


async def _post_shutdown(app: Application) -> None:
    await _post_stop(app)  # an Application stopped without post_stop (never started)
    channel = app.bot_data.caches.get(WHATSAPP)
    if channel is not None and app.bot_data.caches.get(_WHATSAPP_OWNED):
        await channel.close()
    stack: AsyncExitStack | None = app.bot_data.caches.pop(_EXIT_STACK, None)
    if stack is not None:  # we opened them; services passed in are the caller's to close
        await stack.aclose()
        app.bot_data.services = None


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


# --- the registration table ----------------------------------------------------------------
# PTB tries the handler groups in ascending order and, within a group, stops at the first
# handler whose filter matches. Every feature's handlers are listed here, in that order, so the
# wiring of the whole bot reads in one place. Group -11 (agents' edits) runs before the
# runtime's pre-filters (-10: throttle, edited messages); -5 (the helpdesk's open tickets)
# before every feature; 0 holds the features, most specific first and the router's catch-alls
# last; 90 (the helpdesk's record of the exchange) after everything.

# new messages in private chats only: edits are answered by the runtime's pre-filter, and group
# chats (the agents' helpdesk group) are not for the features
PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE


def register_helpdesk(app: Application) -> None:
    """First: messages inside an open ticket, and the agents' group, go to humans."""
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.ChatType.GROUPS,
                                   helpdesk_edits.on_agent_edit), group=helpdesk_edits.GROUP)
    app.add_handler(MessageHandler(PRIVATE, helpdesk.on_private), group=helpdesk.GROUP)
    app.add_handler(MessageHandler(filters.ChatType.GROUPS, helpdesk_agents.on_group_message),
                    group=helpdesk.GROUP)
    app.add_handler(CommandHandler("petugas", helpdesk.petugas_command, filters=PRIVATE))
    app.add_handler(CommandHandler("selesai", helpdesk.selesai_command, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(helpdesk.on_callback, pattern=r"^helpdesk:"))
    app.add_handler(MessageHandler(PRIVATE, helpdesk.remember), group=helpdesk.RECORD_GROUP)
    register_flow(app, helpdesk.FLOW, helpdesk.flow_text, helpdesk.reask, carries_words=True)
    hooks = app.bot_data.hooks
    hooks.edit = helpdesk_edits.on_person_edit  # a person's correction of a relayed message
    hooks.throttle = helpdesk.keep_for_agents  # words for an agent are never dropped
    hooks.handoff = helpdesk.handoff  # every feature's "Hubungi petugas" opens a ticket
    if app.job_queue is not None:  # reminders to agents, outbox retries
        app.job_queue.run_repeating(helpdesk_jobs.job, interval=helpdesk.JOB_INTERVAL_S,
                                    first=helpdesk.JOB_INTERVAL_S, name="helpdesk")
    else:  # pragma: no cover - python-telegram-bot installed without [job-queue]
        log.warning("no JobQueue: helpdesk reminders and outbox retries are off")


def register_start(app: Application) -> None:
    """/start, /help, /bahasa, the menu."""
    app.add_handler(CommandHandler("start", start.start, filters=PRIVATE))
    app.add_handler(CommandHandler(["help", "bantuan"], start.help_command, filters=PRIVATE))
    app.add_handler(CommandHandler("menu", start.menu_command, filters=PRIVATE))
    app.add_handler(CommandHandler(["bahasa", "language"], start.bahasa, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(start.menu_button, pattern=r"^menu:show$"))
    app.add_handler(CallbackQueryHandler(start.bahasa_button, pattern=r"^bahasa:set:(id|en)$"))


def register_status(app: Application) -> None:
    """/porsi; bare porsi numbers reach the status check through the router."""
    app.add_handler(CommandHandler("porsi", status.porsi_command, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(status.start_button, pattern=r"^status:start$"))
    register_flow(app, status.FLOW, status.flow_text, status.reask)
    register_typed(app, _labels(("common_label.j2", "status"), ("faq_label.j2", "start_status")),
                   status.porsi_command)


def register_pantau(app: Application) -> None:
    """/pantau: watch a porsi (the list, its stop buttons, the status card's watch button)."""
    app.add_handler(CommandHandler("pantau", pantau.pantau_command, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(pantau.on_callback, pattern=r"^pantau:"))
    register_flow(app, pantau.FLOW, pantau.flow_text)


def register_pelunasan(app: Application) -> None:
    """Payoff questions and the verification wizard. /batal and shared contacts are its own
    only while its flow is active, so they come before the router's catch-alls."""
    in_flow = pelunasan.InFlow(app)
    app.add_handler(CommandHandler("pelunasan", pelunasan.pelunasan_command, filters=PRIVATE))
    app.add_handler(CommandHandler("batal", pelunasan.cancel_command,
                                   filters=PRIVATE & in_flow))
    app.add_handler(MessageHandler(PRIVATE & filters.CONTACT & in_flow,
                                   pelunasan_verify.on_contact))
    app.add_handler(CallbackQueryHandler(pelunasan.on_callback, pattern=r"^pelunasan:"))
    register_flow(app, pelunasan.FLOW, pelunasan.flow_text, pelunasan.reask)
    register_typed(app, _labels(("common_label.j2", "pelunasan"),
                                ("faq_label.j2", "start_pelunasan")), pelunasan.pelunasan_command)


def register_akun(app: Application) -> None:
    """/akun (verified porsi numbers) and /hapusdata."""
    app.add_handler(CommandHandler("akun", akun.akun_command, filters=PRIVATE))
    app.add_handler(CommandHandler("hapusdata", akun.hapusdata_command, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(akun.on_callback, pattern=r"^akun:"))
    app.add_handler(CallbackQueryHandler(akun.on_privacy_callback, pattern=r"^privacy:"))
    app.bot_data.hooks.erase = akun.ask_erase  # "hapus data saya" typed asks the same


def register_pelimpahan(app: Application) -> None:
    """The transfer (pelimpahan) wizard; its buttons work in edited messages too."""
    app.add_handler(CommandHandler("pelimpahan", pelimpahan.start_command,
                                   filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(pelimpahan.on_button, pattern=rf"^{pelimpahan.FLOW}:"))
    register_flow(app, pelimpahan.FLOW, pelimpahan.on_text, pelimpahan.reask)
    register_typed(app, _labels(("common_label.j2", "pelimpahan"),
                                ("faq_label.j2", "start_pelimpahan")), pelimpahan.start_command)


def register_faq(app: Application) -> None:
    """Knowledge-base answers: the router's free-text hook, and the answers' buttons."""
    faq.matcher()  # build the indexes at start-up, not on the first question
    app.bot_data.hooks.free_text = faq.answer
    app.add_handler(CallbackQueryHandler(faq.on_callback, pattern=r"^faq:"))
    register_typed(app, _labels(("common_label.j2", "faq")), faq.ask_prompt)


def register_router(app: Application) -> None:
    """Last: the catch-all for free text (flows, porsi numbers, the FAQ), unknown commands,
    stickers and photos, and buttons nobody else took."""
    app.add_handler(MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, router.on_text))
    app.add_handler(MessageHandler(PRIVATE & filters.COMMAND, router.on_command))
    app.add_handler(MessageHandler(PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL,
                                   router.on_other))
    app.add_handler(CallbackQueryHandler(router.on_callback))
    app.bot_data.hooks.route_text = router.route_text  # flows hand a question back here


Feature = Callable[[Application], None]
# name -> how it registers, in the order their handlers must be tried
FEATURES: dict[str, Feature] = {
    "helpdesk": register_helpdesk,
    "start": register_start,
    "status": register_status,
    "pantau": register_pantau,
    "pelunasan": register_pelunasan,
    "akun": register_akun,
    "pelimpahan": register_pelimpahan,
    "faq": register_faq,
    "router": register_router,
}


def register_handlers(app: Application, features: Iterable[Feature] | None = None) -> None:
    """The runtime's pre-filters, then every feature (or only `features`: tests) in order."""
    app.add_handler(TypeHandler(Update, prefilter), group=PREFILTER_GROUP)
    for register in FEATURES.values() if features is None else features:
        register(app)
    app.add_error_handler(on_error)


def build_application(settings: Settings, *, services: Services | None = None,
                      request: BaseRequest | None = None,
                      clock: Callable[[], datetime] | None = None,
                      rate_limiter: bool | BaseRateLimiter | None = None,
                      features: Iterable[Feature] | None = None,
                      keep_outcomes: bool = False, throttle: bool = True,
                      notify_sender: bool | None = None,
                      whatsapp=None) -> HajiApplication:
    """Assemble the Application.

    - `request`: a request implementation (e.g. `bot.transport.InProcessRequest`) instead of
      HTTPS to Telegram; then no token is needed.
    - `services`: ready shared clients (tests); otherwise post_init opens them from settings
      and post_shutdown closes them.
    - `rate_limiter`: the pacing and one retry layer for 429s (`bot.limiter.TelegramLimiter`)
      on/off, or an instance (tests: with a fake sleep); default on for real Telegram, off
      in-process (it only adds latency when nothing is rate limited).
    - `features`: register only these (tests: a part of FEATURES, or a tiny handler).
    - `throttle`: per-user burst throttling (off for the local console/ask channels, where a
      script sends lines as fast as it can and nobody floods anyone).
    - `notify_sender`: send the notification outbox in the background (bot/notify_sender.py);
      default: with real Telegram when `settings.notify_sender`, never in-process.
    - `whatsapp`: a `bot.channels.whatsapp.WhatsAppChannel` (tests: on the fake Cloud API);
      by default one is made when HAJIBOT_WHATSAPP_TOKEN and _PHONE_ID are set. Calls for
      WhatsApp chats then go to it, the rest to Telegram; with no Telegram token, WhatsApp
      alone.
    """
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else None
    owned = False
    if whatsapp is None and whatsapp_configured(settings):
        from bot.channels.whatsapp import WhatsAppChannel

        whatsapp, owned = WhatsAppChannel(settings, clock=clock), True
    if request is None and not token and whatsapp is None:
        raise ValueError("HAJIBOT_TELEGRAM_TOKEN is not set")
    builder = (
        Application.builder()
        .application_class(HajiApplication)
        .token(token or IN_PROCESS_TOKEN)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=ZoneInfo(settings.timezone)))
        # bot_data is the typed BotData: settings, services, the features' flows and hooks
        .context_types(ContextTypes(bot_data=BotData))
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        # updates put here (PTB's polling) are stored in the inbox first (bot/inbox.py)
        .update_queue(InboxQueue())
    )
    if whatsapp is not None:
        from bot.channels.whatsapp import ChannelRequest

        telegram = request if request is not None else (
            HTTPXRequest(connection_pool_size=256) if token else None)
        builder = builder.request(MeteredRequest(ChannelRequest(telegram, whatsapp)))
        builder = builder.get_updates_request(
            request or (HTTPXRequest() if token else ChannelRequest(None, whatsapp)))
    elif request is not None:
        builder = builder.request(MeteredRequest(request)).get_updates_request(request)
    else:
        builder = builder.request(
            MeteredRequest(ThreadedHTTPRequest(connection_pool_size=256)))
        builder = builder.get_updates_request(HTTPXRequest())
    if settings.telegram_base_url:
        base = settings.telegram_base_url
        builder = builder.base_url(base)
        if base.rstrip("/").endswith("/bot"):
            builder = builder.base_file_url(base.rstrip("/")[: -len("bot")] + "file/bot")
    if isinstance(rate_limiter, BaseRateLimiter):
        builder = builder.rate_limiter(rate_limiter)
    elif rate_limiter if rate_limiter is not None else (request is None and token
                                                        and settings.telegram_rate_limit):
        builder = builder.rate_limiter(TelegramLimiter())
    app: HajiApplication = builder.build()  # type: ignore[assignment]
    app.keep_outcomes = keep_outcomes
    data: BotData = app.bot_data
    data.settings, data.services, data.clock, data.throttle = settings, services, clock, throttle
    data.caches[NOTIFY_SENDER] = (notify_sender if notify_sender is not None
                                  else request is None and settings.notify_sender)
    data.caches[WHATSAPP] = whatsapp
    data.caches[_WHATSAPP_OWNED] = owned
    if whatsapp is not None and services is not None:
        whatsapp.bind(services)
    register_handlers(app, features)
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
    return app.bot_data.services


__all__ = [
    "FEATURES",
    "MeteredRequest",
    "build_application",
    "on_error",
    "open_services",
    "services_of",
    "start_app",
    "stop_app",
]
