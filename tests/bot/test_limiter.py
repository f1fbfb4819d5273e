"""bot/limiter.py: the one retry layer for Telegram's 429s."""

from __future__ import annotations

import pytest
from telegram.error import RetryAfter

from bot.limiter import TelegramLimiter


class Calls:
    def __init__(self, fail_with: list[int]):
        self.fail_with = list(fail_with)  # retry_after of each failing call, in order
        self.count = 0

    async def __call__(self, *args, **kwargs):
        self.count += 1
        if self.fail_with:
            raise RetryAfter(self.fail_with.pop(0))
        return {"ok": True}


def limiter(waits: list[float], **kw) -> TelegramLimiter:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return TelegramLimiter(sleep=sleep, overall_max_rate=0, group_max_rate=0, **kw)


async def run(lim: TelegramLimiter, calls: Calls):
    await lim.initialize()
    try:
        return await lim.process_request(calls, (), {}, "sendMessage", {"chat_id": 1}, None)
    finally:
        await lim.shutdown()


async def test_a_short_wait_is_slept_and_the_request_retried():
    waits: list[float] = []
    calls = Calls([2, 1])
    assert await run(limiter(waits), calls) == {"ok": True}
    assert calls.count == 3 and [round(w, 1) for w in waits] == [2.1, 1.1]


async def test_a_long_wait_is_raised_at_once_for_a_durable_caller():
    waits: list[float] = []
    calls = Calls([120])
    with pytest.raises(RetryAfter):
        await run(limiter(waits), calls)
    assert calls.count == 1 and waits == []  # nothing held back for two minutes


async def test_retries_are_bounded():
    waits: list[float] = []
    calls = Calls([1, 1, 1, 1, 1])
    with pytest.raises(RetryAfter):
        await run(limiter(waits, retries=2), calls)
    assert calls.count == 3 and len(waits) == 2
