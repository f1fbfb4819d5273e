"""Notifications over WhatsApp: a `NotifyChannel` (bot/notify_channel.py) on the WhatsApp channel.

Inside the 24-hour customer-service window the notification's own text goes out (WhatsApp
formatting, its buttons as reply buttons: a sensitive kind's "show detail" button re-checks
verification when pressed). Outside it, the approved template HAJIBOT_WHATSAPP_TEMPLATE_NOTIFY
with one body parameter: a one-line summary (`whatsapp_notify_summary.j2`) that names the kind
of news and the masked porsi only - for health and payment news "there is an update", never a
value - because a template is read on the lock screen like any notification.

The sender (bot/notify_sender.py) is the one retry layer for notifications, so the Cloud API is
called here bare, without the stamina retries of replies (WhatsAppChannel._api): a rate limit
is ChannelRetryAfter, a recipient WhatsApp cannot reach (or a chat erased since) ChannelBlocked,
anything else ChannelFailed, transient for network errors, 5xx and Meta's transient codes.
"""

from __future__ import annotations

import logging
import re

from pywa_async.errors import ThrottlingError, WhatsAppError
from pywa_async.types.templates import TemplateLanguage

from bot import metrics
from bot.channels.whatsapp import WINDOW_CLOSED_CODE, WhatsAppChannel, error_code, retryable
from bot.channels.whatsapp_render import (
    BODY_MAX,
    Choice,
    chunks,
    keyboards,
    to_whatsapp,
)
from bot.notify_channel import ChannelBlocked, ChannelFailed, ChannelRetryAfter, Outgoing
from handlers.base import render
from knowledge.masking import mask_porsi

log = logging.getLogger(__name__)

# Meta's codes for a recipient that cannot get messages: not on WhatsApp, an old app, has not
# accepted the terms, or blocked the business (developers.facebook.com/docs/whatsapp/cloud-api/
# support/error-codes)
UNREACHABLE_CODES = frozenset({131026})
RATE_LIMIT_WAIT_S = 60.0  # Meta gives no Retry-After: pause every send this long on a limit
PARAM_MAX = 900  # a template parameter: one line, well under Meta's 1,024 characters
_SPACES = re.compile(r"\s+")


def summary(note: Outgoing, announcement: str | None = None) -> str:
    """The template's one body parameter: the kind of news and the masked porsi (or the
    operator's announcement) on one line - Meta refuses newlines and tabs in a parameter."""
    if note.kind == "announce":
        text = note.plain
    else:
        text = render(note.lang, "whatsapp_notify_summary.j2", kind=note.kind,
                      p=mask_porsi(note.porsi or ""))
    text = _SPACES.sub(" ", text).strip()
    return text if len(text) <= PARAM_MAX else text[: PARAM_MAX - 1].rstrip() + "…"


class WhatsAppNotifyChannel:
    """Sends one notification to a WhatsApp chat; never retries (the sender does)."""

    def __init__(self, channel: WhatsAppChannel, *, template: str | None = None,
                 rate_limit_wait_s: float = RATE_LIMIT_WAIT_S):
        self.channel = channel
        self.template = template or channel.settings.whatsapp_template_notify
        self.rate_limit_wait_s = rate_limit_wait_s

    async def send(self, note: Outgoing) -> None:
        chat = self.channel.chat(note.chat_id)
        if chat is None:  # erased (/hapusdata) since the row was queued: nobody to reach
            raise ChannelBlocked("unknown chat")
        try:
            if self.channel.window_open(note.chat_id):
                try:
                    await self._text(chat, note)
                    return
                except WhatsAppError as exc:
                    if exc.code != WINDOW_CLOSED_CODE:
                        raise
                    # Meta's clock says the window closed: the template is the way to reach them
                    metrics.WA_WINDOW_CLOSED.inc()
            await self._template(chat, note)
        except Exception as exc:  # noqa: BLE001 - every failure becomes the sender's exception
            raise self._classify(note.chat_id, exc) from None

    async def _call(self, kind: str, factory):
        result = await factory()
        metrics.WA_SENT.labels(kind).inc()
        return result

    async def _text(self, chat, note: Outgoing) -> None:
        text = to_whatsapp(note.html, "HTML")
        boards = keyboards([Choice(label, data) for label, data in note.buttons])
        pieces = chunks(text)
        wa, to = self.channel.wa, chat.recipient
        body = pieces.pop() if boards and len(pieces[-1]) <= BODY_MAX else None
        for piece in pieces:
            sent = await self._call("text", lambda p=piece: wa.send_message(
                to=to, text=p, preview_url=False))
            self.channel.record(chat.chat_id, sent.id, piece)
        for board in boards:
            if body is None:
                body = render(note.lang, "whatsapp_choose.j2").strip()
            sent = await self._call("buttons", lambda b=board, t=body: wa.send_message(
                to=to, text=t, buttons=b))
            self.channel.record(chat.chat_id, sent.id, body)
            body = None

    async def _template(self, chat, note: Outgoing) -> None:
        if not self.template:
            raise ChannelFailed("no template", transient=False)
        try:
            language = TemplateLanguage(note.lang)
        except ValueError:
            language = TemplateLanguage(self.channel.settings.whatsapp_template_language)
        params = [{"type": "body", "parameters": [{"type": "text", "text": summary(note)}]}]
        sent = await self._call("template", lambda: self.channel.wa.send_template(
            to=chat.recipient, name=self.template, language=language, params=params))
        self.channel.record(chat.chat_id, sent.id, "")

    def _classify(self, chat_id: int, exc: Exception) -> Exception:
        if isinstance(exc, ChannelFailed | ChannelBlocked | ChannelRetryAfter):
            return exc
        code = error_code(exc)
        metrics.WA_SEND_ERRORS.labels(code).inc()
        log.warning("whatsapp notification to chat %s failed: %s", chat_id, code)
        if isinstance(exc, ThrottlingError):
            return ChannelRetryAfter(self.rate_limit_wait_s)
        if isinstance(exc, WhatsAppError) and exc.code in UNREACHABLE_CODES:
            return ChannelBlocked(f"whatsapp {code}")
        return ChannelFailed(f"whatsapp {code}", transient=retryable(exc))
