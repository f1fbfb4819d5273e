"""e2e fixtures: a pinned clock, a fake gateway and `harness` (the real Application, fake API).

`harness` uses the full product (bot.app.HANDLER_MODULES) on a fresh SQLite database; build
your own with `make_harness(**kwargs)` (same arguments as `BotHarness`).
"""

from __future__ import annotations

import contextlib

import pytest

from tests.e2e.harness import AGENTS_CHAT_ID, BotHarness, FakeClock, FakeGateway


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
async def make_harness(sqlite_url, clock, fake_gateway):
    """Factory: `async with make_harness(settings_overrides={...}) as h:`; defaults to the
    test's SQLite DB, the `clock` and `fake_gateway` fixtures."""
    stack = contextlib.AsyncExitStack()

    def factory(**kwargs) -> BotHarness:
        kwargs.setdefault("db_url", sqlite_url)
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("gateway", fake_gateway)
        return BotHarness(**kwargs)

    async with stack:
        yield factory


@pytest.fixture
async def harness(sqlite_url, clock, fake_gateway):
    """The whole bot on SQLite, with the agents' forum group at AGENTS_CHAT_ID."""
    async with BotHarness(db_url=sqlite_url, clock=clock, gateway=fake_gateway,
                          settings_overrides={"helpdesk_chat_id": AGENTS_CHAT_ID}) as h:
        yield h
