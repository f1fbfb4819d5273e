"""e2e fixtures: a pinned clock, a fake gateway and `harness` (the real Application, fake API).

`harness` uses the full product (bot.app.HANDLER_MODULES) on a fresh SQLite database; build
your own with `make_harness(**kwargs)` (same arguments as `BotHarness`).
"""

from __future__ import annotations

import contextlib

import pytest

from handlers.base import TEMPLATES
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


@pytest.fixture(params=["telegram", "whatsapp"])
def channel(request) -> str:
    """Run a scenario on each channel: the same Application, Telegram or WhatsApp people."""
    return request.param


@pytest.fixture
async def make_channel_harness(sqlite_url, clock, fake_gateway, channel):
    """`make_harness` for the `channel` fixture's channel (BotHarness or WhatsAppHarness)."""
    from tests.e2e.whatsapp_harness import WhatsAppHarness

    cls = WhatsAppHarness if channel == "whatsapp" else BotHarness

    def factory(**kwargs) -> BotHarness:
        kwargs.setdefault("db_url", sqlite_url)
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("gateway", fake_gateway)
        return cls(**kwargs)

    yield factory


@pytest.fixture
async def channel_harness(make_channel_harness):
    """`harness` on each channel (Telegram, WhatsApp): a module uses it as its `harness`."""
    async with make_channel_harness(
            settings_overrides={"helpdesk_chat_id": AGENTS_CHAT_ID}) as h:
        yield h


@pytest.fixture
async def harness(sqlite_url, clock, fake_gateway):
    """The whole bot on SQLite, with the agents' forum group at AGENTS_CHAT_ID."""
    async with BotHarness(db_url=sqlite_url, clock=clock, gateway=fake_gateway,
                          settings_overrides={"helpdesk_chat_id": AGENTS_CHAT_ID}) as h:
        yield h


# --- the whole e2e suite's logs, scanned for personal data --------------------------------------

_SENT_TEXTS: set[str] = set()


def _personal_needles() -> set[str]:
    """Names, phones and birth dates of the demo records, and what the tests typed."""
    from integration.demo import showcase_rows

    needles = set()
    for row in showcase_rows():
        needles.add(row["nama"])
        needles |= {p for p in row["nama"].split() if len(p) >= 6}
        if row["no_hp"]:
            needles |= {row["no_hp"], "0" + row["no_hp"][2:]}
        needles.add(row["tgl_lahir"])
    # typed texts: sentences long enough to be someone's words (not "/start", "ya", a porsi,
    # nor the product's own words a test typed, such as a button's label "Cek status porsi")
    own = "\n".join(p.read_text(encoding="utf-8") for p in TEMPLATES.rglob("*.j2")).casefold()
    needles |= {t for t in _SENT_TEXTS
                if len(t) >= 16 and " " in t and not t.startswith("/")
                and t.casefold() not in own}
    return needles


@pytest.fixture(scope="session", autouse=True)
def logs_hold_no_personal_data():
    """Every log line of every e2e test goes through the production formatter at the
    production levels (our own packages at DEBUG); at the end none may hold a demo pilgrim's
    name, phone or birth date, or a sentence a test typed as a person."""
    import io
    import logging

    from bot.logs import PrivateFormatter
    from tests.fakes.botapi import FakeBotAPI

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(PrivateFormatter("%(levelname)s %(name)s %(message)s"))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    levels = {name: logging.getLogger(name).level
              for name in ("handlers", "bot", "knowledge", "integration")}
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    original = FakeBotAPI.make_message

    def recording(self, chat_id, user_id=None, text=None, *args, **kwargs):
        if isinstance(text, str):
            _SENT_TEXTS.add(text)
        return original(self, chat_id, user_id, text, *args, **kwargs)

    FakeBotAPI.make_message = recording
    try:
        yield
    finally:
        FakeBotAPI.make_message = original
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    text = stream.getvalue()
    found = sorted(n for n in _personal_needles() if n and n in text)
    assert not found, f"personal data in the e2e logs: {found[:10]}"
