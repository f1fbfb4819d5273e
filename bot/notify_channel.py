"""How a notification leaves the bot: the `NotifyChannel` interface and the Telegram channel.

A channel (Telegram here; WhatsApp can plug in the same way) gets one `Outgoing` and either
returns (sent) or raises one of the exceptions below; the sender (bot/notify_sender.py) owns
pacing, retries, quiet hours and the outbox. A channel must not retry by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from handlers.base import retry_after_s


@dataclass(frozen=True, slots=True)
class Outgoing:
    chat_id: int  # the outbox row's address on this channel
    kind: str  # estimate | allocation | status | health | payment | reminder | announce
    lang: str  # id | en
    html: str  # Telegram HTML (the tags Telegram accepts, data escaped)
    plain: str  # the same text without markup, for channels without HTML
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, callback data)
    porsi: str | None = None  # the full porsi (for a channel's own button payloads; never
    #                           put it in a text: texts carry the masked one)


class ChannelRetryAfter(Exception):
    """The channel's flood control: no send on it for `seconds`."""

    def __init__(self, seconds: float):
        super().__init__(f"retry after {seconds}s")
        self.seconds = float(seconds)


class ChannelBlocked(Exception):
    """The person blocked the bot or the chat is gone: their subscriptions are removed."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ChannelFailed(Exception):
    """Any other failure; `transient` ones (network, 5xx) are tried again later."""

    def __init__(self, reason: str, *, transient: bool):
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


class NotifyChannel(Protocol):
    async def send(self, note: Outgoing) -> None: ...


class TelegramChannel:
    """Through the Application's Bot (so tests' fake Bot API sees every message). When that
    Bot has a rate limiter (`bot.limiter.TelegramLimiter` paces replies and retries short
    429s itself), a Bot of the same token and Bot API server without one is used instead:
    the sender paces notifications and is their one retry layer, and its sends do not queue
    behind the replies' pacing."""

    def __init__(self, bot, settings=None):
        self._own = None
        if getattr(bot, "rate_limiter", None) is not None and settings is not None:
            self._own = bot = plain_bot(settings)
        self.bot = bot

    async def __aenter__(self) -> TelegramChannel:
        if self._own is not None:
            await self._own.initialize()
        return self

    async def __aexit__(self, *exc) -> None:
        if self._own is not None:
            await self._own.shutdown()

    async def send(self, note: Outgoing) -> None:
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=data)] for label, data in note.buttons]
        ) if note.buttons else None
        try:
            await self.bot.send_message(
                chat_id=note.chat_id, text=note.html, parse_mode=ParseMode.HTML,
                reply_markup=markup, link_preview_options=LinkPreviewOptions(is_disabled=True))
        except RetryAfter as exc:
            raise ChannelRetryAfter(retry_after_s(exc)) from None
        except Forbidden as exc:
            raise ChannelBlocked("forbidden") from exc
        except BadRequest as exc:
            gone = "chat not found" in str(exc).lower() or "user is deactivated" in str(exc)
            if gone:
                raise ChannelBlocked("chat not found") from exc
            raise ChannelFailed("bad request", transient=False) from exc
        except NetworkError as exc:  # timeouts and 5xx included
            raise ChannelFailed(type(exc).__name__, transient=True) from exc
        except TelegramError as exc:
            raise ChannelFailed(type(exc).__name__, transient=False) from exc


def plain_bot(settings):
    """A Bot for the sender: the settings' token and Bot API server, no rate limiter."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    kw = {}
    if settings.telegram_base_url:
        kw["base_url"] = settings.telegram_base_url
    return Bot(settings.telegram_token.get_secret_value(),
               request=HTTPXRequest(connection_pool_size=32), **kw)
