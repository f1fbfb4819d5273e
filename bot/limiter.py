"""The one retry layer for Telegram's 429 ("Too Many Requests", `retry_after`).

PTB's AIORateLimiter paces every request (30 a second overall, 20 a minute per group) and would
also retry a 429 after sleeping `retry_after`, however long, while holding back every other
request of the bot. Here it only paces; this subclass retries a 429 when Telegram asks for a
short wait, and raises a long one at once to the caller: the helpdesk outbox keeps the message
and sends it when Telegram allows (`retry_at`), the notification sender defers its row, and an
ordinary reply fails like any other send. No other code sleeps on a 429.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

from db.repos_whatsapp import is_whatsapp
from handlers.base import retry_after_s

log = logging.getLogger(__name__)

MAX_WAIT_S = 5.0  # a longer retry_after is the caller's to keep (an outbox), not a sleep here
RETRIES = 3


class _QuietMaxRetries(logging.Filter):
    """PTB logs every 429 it raises as "after maximum of 0 retries" with a traceback; with the
    retries done here that line is noise (ours below says what happened)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Rate limit hit after maximum")


logging.getLogger("telegram.ext.AIORateLimiter").addFilter(_QuietMaxRetries())


class TelegramLimiter(AIORateLimiter):
    def __init__(self, *, retries: int = RETRIES, max_wait_s: float = MAX_WAIT_S,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep, **pacing: Any):
        super().__init__(max_retries=0, **pacing)
        self.retries, self.max_wait_s, self._sleep = retries, max_wait_s, sleep

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        if _for_whatsapp(data):  # not Telegram's limits: the Cloud API's are retried by the
            return await callback(*args, **kwargs)  # WhatsApp channel (bot/channels/whatsapp.py)
        attempt = 0
        while True:
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data,
                                                     None)
            except RetryAfter as exc:
                wait = retry_after_s(exc)
                if attempt >= self.retries or wait > self.max_wait_s:
                    log.warning("429 on %s: retry_after %.1f s, left to the caller", endpoint,
                                wait)
                    raise
            attempt += 1
            await self._sleep(wait + 0.1)


def _for_whatsapp(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    if str(data.get("callback_query_id") or "").startswith("wa:"):
        return True
    try:
        return is_whatsapp(int(data.get("chat_id")))
    except (TypeError, ValueError):
        return False
