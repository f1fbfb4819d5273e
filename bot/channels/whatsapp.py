"""The WhatsApp channel: what the handlers send through the Bot API, sent with pywa's client to
the WhatsApp Business Cloud API; and the request that routes each Bot API call to its channel.

`WhatsAppChannel.call(method, params, files)` answers a Bot API call for a WhatsApp chat as
Telegram would (a Message JSON, or an error), after sending it:
- sendMessage / editMessageText: text with WhatsApp formatting; inline keyboards as reply
  buttons or list messages (bot/channels/whatsapp_render.py); an edit is a new message;
- sendDocument: the file uploaded to the media endpoint, then sent (DOCX letters);
- editMessageReplyMarkup with buttons: the message's text again with the new buttons;
  answerCallbackQuery, deleteMessage, sendChatAction: nothing to send;
- outside the 24-hour customer-service window a free-form send is refused (403), never sent.
`send(chat_id, text=..., template=...)` is the interface for the rest of the bot (helpdesk
invitations): it says whether the window is open and sends an approved template when asked.
Every Cloud API call here has one retry layer (stamina): rate limits, Meta's transient errors,
5xx and network errors; what still fails is logged by internal chat id and error code (never
the text or the phone) and counted in /metrics. Notifications do not come through here: the
notification sender is their retry layer, and bot/channels/whatsapp_notify.py calls the Cloud
API bare with this channel's client and chats.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import stamina
from pywa_async import WhatsApp
from pywa_async.errors import ThrottlingError, WhatsAppError
from pywa_async.types import SectionList
from pywa_async.types.templates import TemplateLanguage
from telegram.request import BaseRequest, RequestData

from bot import metrics
from bot.channels.whatsapp_edge import CALLBACK_PREFIX
from bot.channels.whatsapp_render import BODY_MAX, choices, chunks, keyboards, to_whatsapp
from db import repos_whatsapp as repo
from handlers.base import render
from knowledge.dates import aware_utc

log = logging.getLogger(__name__)
# pywa logs request bodies and responses at DEBUG (texts, phone numbers): never below WARNING
for _name in ("pywa", "pywa_async", "httpx"):
    logging.getLogger(_name).setLevel(logging.WARNING)

BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "HajiBot", "username": "hajibot"}
# Meta's codes worth another try besides rate limits: unknown/transient API errors, "something
# went wrong", service unavailable (developers.facebook.com/docs/whatsapp/cloud-api/support/
# error-codes)
RETRY_CODES = frozenset({1, 2, 131000, 131016, 133004})
WINDOW_CLOSED_CODE = 131047  # Meta's re-engagement error: the 24-hour window is closed
REMEMBERED = 4096  # outgoing message ids and texts kept per process (button presses name them)
# people whose address and window this process keeps (about 200 bytes each): enough that the
# people writing in any hour are answered without a database read
CHATS_REMEMBERED = 50_000
FRESH = timedelta(seconds=60)  # a chat's last inbound time is rewritten at most this often


class WindowClosed(Exception):
    """A free-form message outside the 24-hour customer-service window."""


class SendFailed(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class SendResult:
    """What `WhatsAppChannel.send` did: `sent` (a message left), `window_open` (free-form
    messages allowed now), `template` (an approved template was sent), the message's id."""

    sent: bool
    window_open: bool
    template: bool = False
    message_id: int | None = None
    error: str | None = None


def retryable(exc: Exception) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    if isinstance(exc, WhatsAppError):
        response = getattr(exc, "raw_response", None)
        status = response.status_code if response is not None else 0
        return (isinstance(exc, ThrottlingError) or exc.code in RETRY_CODES
                or bool(getattr(exc, "is_transient", False)) or status >= 500)
    return False


def error_code(exc: Exception) -> str:
    if isinstance(exc, WhatsAppError):
        return str(exc.code)
    return type(exc).__name__


class WhatsAppChannel:
    """pywa's async client pointed at HAJIBOT_WHATSAPP_BASE_URL, plus the bookkeeping the
    Bot API's shape needs (message ids, the 24-hour window)."""

    def __init__(self, settings, *, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], datetime] | None = None):
        self.settings = settings
        self.session = httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(15.0))
        self.wa = WhatsApp(
            phone_id=settings.whatsapp_phone_id,
            token=settings.whatsapp_token.get_secret_value() if settings.whatsapp_token else "-",
            session=self.session, server=None, validate_updates=False, filter_updates=False,
            api_version=settings.whatsapp_api_version)
        # pywa fixes Meta's host in the session; the setting (tests: the fake) replaces it
        self.session.base_url = (f"{settings.whatsapp_base_url.rstrip('/')}"
                                 f"/v{settings.whatsapp_api_version}")
        self.db = None
        self.clock = clock or (lambda: datetime.now(UTC))
        self._chats: OrderedDict[int, repo.WaChat] = OrderedDict()
        self._by_key: dict[str, int] = {}
        self._out: OrderedDict[str, int] = OrderedDict()  # our wamid -> message id
        self._texts: OrderedDict[tuple[int, int], str] = OrderedDict()
        self._mids = itertools.count(int(time.time() * 1000) % 10**12)
        self.sleep = asyncio.sleep

    def bind(self, services) -> None:
        """The database and clock of the Application's services (set by bot/app.py)."""
        self.db = services.db
        self.clock = services.clock
        services.extras["whatsapp"] = self

    async def close(self) -> None:
        await self.session.aclose()

    # --- chats ---------------------------------------------------------------------------
    def remember(self, chat: repo.WaChat) -> None:
        """A chat just written from (by the webhook of this process): no database read for
        its replies."""
        self._chats[chat.chat_id] = chat
        self._chats.move_to_end(chat.chat_id)
        self._by_key[chat.user_key] = chat.chat_id
        while len(self._chats) > CHATS_REMEMBERED:
            _, old = self._chats.popitem(last=False)
            self._by_key.pop(old.user_key, None)

    def fresh(self, user_key: str, wa_id: str | None, now: datetime) -> repo.WaChat | None:
        """The remembered chat of `user_key` when its last inbound time is under FRESH old
        and its number unchanged (no write needed), else None."""
        chat_id = self._by_key.get(user_key)
        chat = self._chats.get(chat_id) if chat_id is not None else None
        if chat is None or (wa_id and chat.wa_id != wa_id):
            return None
        age = aware_utc(now) - chat.last_inbound_at
        return chat if timedelta(0) <= age < FRESH else None

    def forget(self, chat_id: int) -> None:
        """Drop what this process holds of the chat (its address, texts): after erasure."""
        gone = self._chats.pop(chat_id, None)
        if gone is not None:
            self._by_key.pop(gone.user_key, None)
        for key in [k for k in self._texts if k[0] == chat_id]:
            del self._texts[key]

    def chat(self, chat_id: int, *, fresh: bool = False) -> repo.WaChat | None:
        known = None if fresh else self._chats.get(chat_id)
        if known is not None or self.db is None:
            return known
        with self.db.session() as s:
            found = repo.get_chat(s, chat_id)
        if found is not None:
            self.remember(found)
        else:
            self.forget(chat_id)
        return found

    def window_open(self, chat_id: int) -> bool:
        chat = self.chat(chat_id)
        if chat is not None and not chat.window_open(self.clock()):
            chat = self.chat(chat_id, fresh=True)  # another process may have seen a message
        return chat is not None and chat.window_open(self.clock())

    def message_ref(self, wamid: str | None) -> int | None:
        """The Bot API message id we gave our WhatsApp message `wamid` (None if not ours or
        forgotten)."""
        return self._out.get(wamid) if wamid else None

    # --- sending -------------------------------------------------------------------------
    async def _api(self, kind: str, chat_id: int, factory: Callable[[], Any]) -> Any:
        """One Cloud API call with its retries; SendFailed (logged, counted) when it fails.

        The first try runs bare (setting up stamina's retry context costs about a quarter of a
        millisecond a call, measured with bench_updates); a retryable failure hands the call
        to stamina for the remaining attempts, after the first back-off."""
        s = self.settings
        try:
            try:
                result = await factory()
            except Exception as exc:
                if s.whatsapp_send_attempts <= 1 or not self._retry_hook(exc):
                    raise
                await self.sleep(s.whatsapp_retry_wait_s)
                async for attempt in stamina.retry_context(
                        on=self._retry_hook, attempts=s.whatsapp_send_attempts - 1,
                        wait_initial=s.whatsapp_retry_wait_s * 2, wait_max=30.0,
                        wait_jitter=s.whatsapp_retry_wait_s / 2, timeout=60.0):
                    with attempt:
                        result = await factory()
        except Exception as exc:  # noqa: BLE001 - any failure is counted and reported, none lost
            if isinstance(exc, WhatsAppError) and exc.code == WINDOW_CLOSED_CODE:
                metrics.WA_WINDOW_CLOSED.inc()
                raise WindowClosed() from None
            code = error_code(exc)
            metrics.WA_SEND_ERRORS.labels(code).inc()
            log.error("whatsapp %s to chat %s failed: %s", kind, chat_id, code)
            raise SendFailed(code) from None
        metrics.WA_SENT.labels(kind).inc()
        return result

    @staticmethod
    def _retry_hook(exc: Exception) -> bool:
        if retryable(exc):
            metrics.WA_RETRIES.labels(error_code(exc)).inc()
            return True
        return False

    def record(self, chat_id: int, wamid: str | None, text: str) -> int:
        mid = next(self._mids)
        if wamid:
            self._out[wamid] = mid
            while len(self._out) > REMEMBERED:
                self._out.popitem(last=False)
        self._texts[(chat_id, mid)] = text
        while len(self._texts) > REMEMBERED:
            self._texts.popitem(last=False)
        return mid

    async def _text(self, chat: repo.WaChat, text: str, markup: Any = None) -> int:
        """Send `text` with the markup's buttons; the Bot API id of the last message."""
        items, links = choices(markup)
        if links:
            text = text + "\n\n" + "\n".join(links)
        boards = keyboards(items)
        pieces = chunks(text) if text else []
        to, cid = chat.recipient, chat.chat_id
        mid = None
        # the text alone when it is too long for an interactive body, or has no buttons
        if boards and pieces and len(pieces[-1]) <= BODY_MAX:
            body = pieces.pop()
        else:
            body = render("id", "whatsapp_choose.j2").strip() if boards else None
        for piece in pieces:
            sent = await self._api("text", cid, lambda p=piece: self.wa.send_message(
                to=to, text=p, preview_url=False))
            mid = self.record(cid, sent.id, piece)
        for i, board in enumerate(boards):
            if i:
                body = render("id", "whatsapp_more.j2").strip()
            kind = "list" if isinstance(board, SectionList) else "buttons"
            sent = await self._api(kind, cid, lambda b=board, t=body: self.wa.send_message(
                to=to, text=t, buttons=b))
            mid = self.record(cid, sent.id, body or "")
        return mid if mid is not None else self.record(cid, None, "")

    async def _document(self, chat: repo.WaChat, file: tuple[str, bytes, str],
                        caption: str) -> int:
        name, data, mime = file
        sent = await self._api("document", chat.chat_id, lambda: self.wa.send_document(
            to=chat.recipient, document=data, filename=name, mime_type=mime or None,
            caption=chunks(caption, BODY_MAX)[0] if caption else None))
        return self.record(chat.chat_id, sent.id, caption)

    async def send_template(self, chat: repo.WaChat, name: str, lang: str) -> int:
        try:
            language = TemplateLanguage(lang)
        except ValueError:
            language = TemplateLanguage.INDONESIAN
        sent = await self._api("template", chat.chat_id, lambda: self.wa.send_template(
            to=chat.recipient, name=name, language=language))
        return self.record(chat.chat_id, sent.id, "")

    async def send(self, chat_id: int, *, text: str | None = None, parse_mode: str = "HTML",
                   template: str | None = None, lang: str | None = None,
                   markup: Any = None) -> SendResult:
        """Send to a WhatsApp chat: `text` (Telegram HTML; inline keyboard `markup` allowed)
        only inside the 24-hour window; otherwise, or with no text, the approved `template`
        (a name, sent in `lang`, default HAJIBOT_WHATSAPP_TEMPLATE_LANGUAGE) when given.
        Never raises for a refused or failed send: the result says what happened."""
        chat = self.chat(chat_id)
        if chat is None:
            return SendResult(sent=False, window_open=False, error="unknown_chat")
        is_open = self.window_open(chat_id)
        try:
            if text is not None and is_open:
                mid = await self._text(chat, to_whatsapp(text, parse_mode), markup)
                return SendResult(sent=True, window_open=True, message_id=mid)
            if template:
                mid = await self.send_template(
                    chat, template, lang or self.settings.whatsapp_template_language)
                if self.db is not None:
                    with self.db.session() as s:
                        repo.mark_invited(s, chat_id, self.clock())
                return SendResult(sent=True, window_open=is_open, template=True, message_id=mid)
        except WindowClosed:
            return SendResult(sent=False, window_open=False, error="window_closed")
        except SendFailed as exc:
            return SendResult(sent=False, window_open=is_open, error=exc.code)
        if not is_open:
            metrics.WA_WINDOW_CLOSED.inc()
        return SendResult(sent=False, window_open=is_open, error="window_closed")

    # --- the Bot API, answered for WhatsApp chats ---------------------------------------
    def _message(self, chat_id: int, mid: int, text: str) -> dict:
        return {"message_id": mid, "date": int(time.time()), "from": BOT_USER,
                "chat": {"id": chat_id, "type": "private"}, "text": text}

    async def call(self, method: str, params: dict, files: dict | None = None
                   ) -> tuple[int, dict]:
        """Answer one Bot API call addressed to a WhatsApp chat: (HTTP status, JSON body)."""
        if method in ("answerCallbackQuery", "sendChatAction", "deleteMessage"):
            return 200, {"ok": True, "result": True}  # nothing a WhatsApp person would see
        try:
            chat_id = int(params.get("chat_id"))
        except (TypeError, ValueError):
            return _error(400, "Bad Request: chat not found")
        if method == "getChat":
            return 200, {"ok": True, "result": {"id": chat_id, "type": "private"}}
        chat = self.chat(chat_id)
        if chat is None:
            return _error(400, "Bad Request: chat not found")
        if method not in ("sendMessage", "editMessageText", "sendDocument",
                          "editMessageReplyMarkup", "editMessageCaption"):
            return _error(400, f"Bad Request: {method} is not available on WhatsApp")
        markup = params.get("reply_markup")
        if method == "editMessageReplyMarkup":
            items, _ = choices(markup)
            if not items:
                return 200, {"ok": True, "result": True}  # buttons removed: nothing to say
            text = self._texts.get((chat_id, int(params.get("message_id") or 0)),
                                   render("id", "whatsapp_choose.j2").strip())
            html_text, mode = text, None
        else:
            html_text = params.get("text") if "text" in params else params.get("caption")
            mode = params.get("parse_mode")
        if not self.window_open(chat_id):
            metrics.WA_WINDOW_CLOSED.inc()
            return _error(403, "Forbidden: the WhatsApp 24-hour window is closed")
        text = to_whatsapp(html_text, mode)
        try:
            if method == "sendDocument":
                file = (files or {}).get("document")
                if file is None:
                    return _error(400, "Bad Request: there is no document in the request")
                mid = await self._document(chat, file, text)
                if choices(markup)[0]:
                    mid = await self._text(chat, "", markup)
            else:
                mid = await self._text(chat, text, markup)
        except WindowClosed:
            return _error(403, "Forbidden: the WhatsApp 24-hour window is closed")
        except SendFailed as exc:
            # PTB raises NetworkError on a 502: the handler's error path tells the person
            return _error(502, f"Bad Gateway: WhatsApp send failed ({exc.code})")
        return 200, {"ok": True, "result": self._message(chat_id, mid, text)}


def _error(code: int, description: str) -> tuple[int, dict]:
    return code, {"ok": False, "error_code": code, "description": description}


def _target(method: str, params: dict) -> int | None:
    if method == "answerCallbackQuery":
        qid = str(params.get("callback_query_id") or "")
        return repo.WA_ID_BASE if qid.startswith(CALLBACK_PREFIX) else None
    raw = params.get("chat_id")
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


class ChannelRequest(BaseRequest):
    """PTB's request: Bot API calls for WhatsApp chats go to the WhatsApp channel, all others
    to Telegram's request (or, with no Telegram token, answered here: getMe, command lists,
    webhooks; anything for a Telegram chat is a 400)."""

    def __init__(self, telegram: BaseRequest | None, channel: WhatsAppChannel):
        self.telegram = telegram
        self.channel = channel

    @property
    def read_timeout(self) -> float | None:
        return self.telegram.read_timeout if self.telegram is not None else None

    async def initialize(self) -> None:
        if self.telegram is not None:
            await self.telegram.initialize()

    async def shutdown(self) -> None:
        if self.telegram is not None:
            await self.telegram.shutdown()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=None, write_timeout=None, connect_timeout=None,
                         pool_timeout=None) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data is not None else {}
        if repo.is_whatsapp(_target(api_method, params)):
            files: dict[str, tuple[str, bytes, str]] = {}
            if request_data is not None and request_data.contains_files:
                for name, value in request_data.multipart_data.items():
                    filename, content, mime = ((*tuple(value), None))[:3]
                    if hasattr(content, "read"):
                        content = content.read()
                    files[name] = (filename or name, bytes(content), mime or "")
            status, body = await self.channel.call(api_method, params, files)
            return status, json.dumps(body).encode()
        if self.telegram is not None:
            return await self.telegram.do_request(
                url, method, request_data, read_timeout=read_timeout,
                write_timeout=write_timeout, connect_timeout=connect_timeout,
                pool_timeout=pool_timeout)
        status, body = _without_telegram(api_method)
        return status, json.dumps(body).encode()


def _without_telegram(method: str) -> tuple[int, dict]:
    if method == "getMe":
        return 200, {"ok": True, "result": {**BOT_USER, "can_join_groups": False,
                                            "can_read_all_group_messages": False,
                                            "supports_inline_queries": False}}
    if method in ("setMyCommands", "deleteMyCommands", "setWebhook", "deleteWebhook",
                  "close", "logOut"):
        return 200, {"ok": True, "result": True}
    return _error(400, "Bad Request: chat not found (no Telegram token: WhatsApp only)")
