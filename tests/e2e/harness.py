"""e2e harness: the real Application (bot.app.build_application) against the fake Bot API.

    async with BotHarness(clock=FakeClock(), gateway=FakeGateway([record])) as h:
        replies = await h.send(111, "/start")
        assert "bot" in replies.text.lower()
        replies = await h.press("Cek status porsi")   # an inline button of the last reply
        await h.restart()                               # new Application, same database

See /work/team/RUNTIME_READY.md for the full guide.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update

from bot.app import build_application, start_app, stop_app
from bot.settings import Settings
from bot.transport import InProcessRequest, Sent
from db import migrate
from db.engine import Database
from handlers.base import Services
from integration.gateway import Lookup, Source
from tests.fakes.botapi import FakeBotAPI

AGENTS_CHAT_ID = -1001234567890
WIB = ZoneInfo("Asia/Jakarta")


class FakeClock:
    """A pinned, timezone-aware clock (default: Monday 3 March 2025, 10:00 WIB)."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2025, 3, 3, 10, 0, tzinfo=WIB)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 0, **kw: float) -> datetime:
        self.now += timedelta(seconds=seconds, **kw)
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when if when.tzinfo else when.replace(tzinfo=WIB)


class FakeGateway:
    """A Gateway answering from given PilgrimRecords (unknown porsi -> record None).

    `down=True` simulates Siskohat unreachable: known records come back STALE, unknown ones
    with `siskohat_down`. `lookups` records every porsi asked.
    """

    def __init__(self, records: Iterable[Any] | dict[str, Any] = (), *,
                 source: Source = Source.MIRROR, as_of: datetime | None = None,
                 down: bool = False):
        self.records = dict(records) if isinstance(records, dict) else {
            r.porsi: r for r in records}
        self.source = source
        self.as_of = as_of
        self.down = down
        self.lookups: list[str] = []

    def add(self, record: Any) -> None:
        self.records[record.porsi] = record

    async def lookup(self, porsi: str) -> Lookup:
        self.lookups.append(porsi)
        record = self.records.get(porsi)
        as_of = self.as_of or datetime(2025, 3, 3, 2, 0)
        if self.down:
            return Lookup(porsi=porsi, record=record, source=Source.STALE,
                          as_of=as_of if record else None, siskohat_down=True)
        return Lookup(porsi=porsi, record=record, source=self.source,
                      as_of=as_of if record else None)


def mirror_gateway(db: Database, client: Any = None, *, max_age_s: int = 10**9):
    """The real mirror-backed Gateway (integration.gateway.Gateway) on the harness DB.

    `client=None` means no Siskohat: answers come from the mirror only (fill it with
    integration.mirror.import_csv or the mirror repository first).
    """
    from integration.gateway import Gateway  # type: ignore[attr-defined]

    return Gateway(db, client, max_age_s=max_age_s)


class Replies(list):
    """What the bot sent while handling one update (all chats), as `Sent` records."""

    @property
    def text(self) -> str:
        """All reply texts (plain, tags stripped), joined by blank lines."""
        return "\n\n".join(s.text for s in self if s.text)

    @property
    def buttons(self) -> list[str]:
        return [label for s in self for label in s.buttons]

    def to(self, chat_id: int, thread_id: int | None = None) -> Replies:
        return Replies(s for s in self if s.chat_id == chat_id
                       and (thread_id is None or s.thread_id == thread_id))

    def of(self, method: str) -> Replies:
        return Replies(s for s in self if s.method == method)


_MIGRATED: set[str] = set()


class BotHarness:
    """Runs the real Application in-process. Use as `async with BotHarness(...) as h:`.

    Args:
        db_url: database URL (migrated to head once); default a fresh SQLite file in a temp dir.
        settings_overrides: Settings fields (e.g. {"throttle_burst": 3, "helpdesk_chat_id": ...}).
        gateway: a Gateway-like object (`FakeGateway`), or a callable `f(db) -> gateway`
            (e.g. `mirror_gateway`); default an empty FakeGateway.
        clock: timezone-aware now() callable; default `FakeClock()` (pinned, advance by hand).
        extras: Services.extras (feature singletons).
        features: only these of bot.app.FEATURES (by name), or own `register(app)` callables.
        api: a FakeBotAPI to reuse (kept across `restart()` anyway).
        rate_limiter: True for the product's TelegramLimiter (pacing, the one retry layer for
            429s), or an instance of it (a fake sleep).
        throttle: per-user burst throttling; off by default because with a pinned clock a
            test sending more than HAJIBOT_THROTTLE_BURST messages would be throttled.
        notify_sender: run the background notification sender (bot/notify_sender.py).
    If settings have `helpdesk_chat_id`, that forum supergroup exists in the fake API
    (`h.agents_chat_id`); add agents with `h.add_agent(user_id)`.
    """

    channel_name = "telegram"  # tests/e2e/whatsapp_harness.py: "whatsapp"

    def __init__(self, *, db_url: str | None = None, settings_overrides: dict | None = None,
                 gateway: Any = None, clock: Callable[[], datetime] | None = None,
                 extras: dict | None = None, features: list | None = None,
                 api: FakeBotAPI | None = None, rate_limiter=False,
                 throttle: bool = False, notify_sender: bool = False):
        self._tmp = None
        if db_url is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="hajibot-e2e-")
            db_url = f"sqlite:///{Path(self._tmp.name) / 'bot.sqlite3'}"
        self.db_url = db_url
        self.settings = Settings(_env_file=None, database_url=db_url,
                                 **(settings_overrides or {}))
        self.clock = clock if clock is not None else FakeClock()
        self._gateway_arg = gateway
        self.extras = extras if extras is not None else {}
        self.features = features
        self.api = api or FakeBotAPI()
        self.rate_limiter = rate_limiter
        self.throttle = throttle
        self.notify_sender = notify_sender
        self.db: Database | None = None
        self.app = None
        self.services: Services | None = None
        self.gateway: Any = None
        self.last_update_id: int | None = None
        self.last_chat_id: int | None = None
        self.last_user_id: int | None = None

    # --- lifecycle -----------------------------------------------------------------------
    def _features(self):
        from bot.app import FEATURES

        if self.features is None:
            return None
        return [FEATURES[f] if isinstance(f, str) else f for f in self.features]

    async def __aenter__(self) -> BotHarness:
        if self.db_url not in _MIGRATED:
            migrate.upgrade(self.db_url)
            _MIGRATED.add(self.db_url)
        self.db = Database(self.db_url)
        if self._gateway_arg is None:
            self.gateway = FakeGateway()
        elif callable(self._gateway_arg) and not hasattr(self._gateway_arg, "lookup"):
            self.gateway = self._gateway_arg(self.db)
        else:
            self.gateway = self._gateway_arg
        if self.settings.helpdesk_chat_id and self.settings.helpdesk_chat_id not in self.api.chats:
            self.api.add_group(self.settings.helpdesk_chat_id, title="Helpdesk Haji", forum=True)
        await self._start()
        return self

    async def _start(self) -> None:
        self.services = Services(settings=self.settings, db=self.db, gateway=self.gateway,
                                 clock=self.clock, extras=self.extras)
        self.app = build_application(
            self.settings, services=self.services, request=InProcessRequest(self.api),
            clock=self.clock, features=self._features(), keep_outcomes=True,
            rate_limiter=self.rate_limiter, throttle=self.throttle,
            notify_sender=self.notify_sender)
        await start_app(self.app)

    async def restart(self) -> None:
        """Stop this Application and start a fresh one on the same database and fake API
        (as after a deploy: nothing in process memory survives)."""
        await stop_app(self.app)
        await self._start()

    async def __aexit__(self, *exc: object) -> None:
        if self.app is not None:
            await stop_app(self.app)
        if self.db is not None:
            self.db.dispose()
        if self._tmp is not None:
            self._tmp.cleanup()

    # --- driving -------------------------------------------------------------------------
    @property
    def agents_chat_id(self) -> int | None:
        return self.settings.helpdesk_chat_id

    def add_agent(self, user_id: int, *, first_name: str = "Petugas", status: str = "member"
                  ) -> None:
        """Make `user_id` a member ("member"/"administrator"/"creator") of the agents' group."""
        self.api.add_user(user_id, first_name=first_name, language_code="id")
        self.api.set_member(self.agents_chat_id, user_id, status)

    async def feed(self, update: dict) -> Replies:
        """Process one raw update (Bot API JSON) and return what the bot sent meanwhile."""
        since = self.api.seq
        await self.app.process_update(Update.de_json(update, self.app.bot))
        await self._drain()
        self.last_update_id = update["update_id"]
        return Replies(self.api.sent_to(since=since))

    async def _drain(self) -> None:
        # Handlers registered with block=False run as tasks; wait for them too.
        tasks = getattr(self.app, "_Application__create_task_tasks", set())
        pending = [t for t in list(tasks) if not t.done()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def send(self, chat_id: int, text: str | None = None, *, user_id: int | None = None,
                   **kw: Any) -> Replies:
        """A message from `user_id` (default: the private chat's user) in `chat_id`.

        Keyword args go to `FakeBotAPI.make_message`: language_code, photo, document, sticker,
        voice, contact, caption, message_thread_id, reply_to_message_id, edited, ...
        """
        self.last_chat_id, self.last_user_id = chat_id, user_id if user_id else chat_id
        return await self.feed(self.api.make_message(chat_id, user_id, text, **kw))

    async def edit(self, chat_id: int, text: str, *, user_id: int | None = None,
                   message_id: int | None = None, **kw: Any) -> Replies:
        """The person edits their last message (or `message_id`)."""
        return await self.feed(self.api.make_message(chat_id, user_id, text, edited=True,
                                                     message_id=message_id, **kw))

    async def callback(self, chat_id: int, data: str, message_id: int, *,
                       user_id: int | None = None, **kw: Any) -> Replies:
        """Press an inline button by its callback data."""
        self.last_chat_id = chat_id
        return await self.feed(self.api.make_callback(chat_id, user_id, data, message_id, **kw))

    def find_button(self, label: str, *, chat_id: int | None = None) -> tuple[dict, dict]:
        """The newest bot message in the chat with a button whose label matches (exactly, else
        case-insensitively, else as a substring): (message, button)."""
        return self.api.find_button(chat_id if chat_id is not None else self.last_chat_id, label)

    async def press(self, label: str, *, chat_id: int | None = None,
                    user_id: int | None = None) -> Replies:
        """Press a button of the bot's newest message that has it: an inline button sends its
        callback query; a reply-keyboard button sends its text, or the person's contact when
        it is a request_contact button (phone from `api.add_user(..., phone=)`)."""
        chat_id = chat_id if chat_id is not None else self.last_chat_id
        msg, button = self.find_button(label, chat_id=chat_id)
        if "callback_data" in button:
            return await self.callback(chat_id, button["callback_data"], msg["message_id"],
                                       user_id=user_id)
        if button.get("request_contact"):
            return await self.send(chat_id, user_id=user_id, contact=True)
        return await self.send(chat_id, button["text"], user_id=user_id)

    # --- reading -------------------------------------------------------------------------
    def chat_of(self, chat_id: int) -> int:
        """The chat id the bot stores for this person's chat (WhatsApp: an internal one)."""
        return chat_id

    def outcome(self, update_id: int | None = None) -> dict:
        """handlers.base.mark() values for the last (or given) update."""
        uid = self.last_update_id if update_id is None else update_id
        return self.app.bot_data.outcomes.get(
            uid, {"topic": None, "score": None, "handoff": False})

    def chat_data(self, chat_id: int) -> dict:
        return dict(self.app.chat_data.get(chat_id, {}))

    def user_data(self, user_id: int) -> dict:
        return dict(self.app.user_data.get(user_id, {}))

    def sent(self, chat_id: int | None = None, **kw: Any) -> list[Sent]:
        return self.api.sent_to(chat_id, **kw)


__all__ = [
    "AGENTS_CHAT_ID",
    "BotHarness",
    "FakeBotAPI",
    "FakeClock",
    "FakeGateway",
    "Replies",
    "Sent",
    "mirror_gateway",
]


async def wait_for(predicate, timeout: float = 5.0) -> bool:
    """Poll `predicate` until it holds (True) or `timeout` seconds pass (False)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True
