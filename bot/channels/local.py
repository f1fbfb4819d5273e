"""`LocalBot`: one person talking to the real Application in-process (console chat, ask).

Also the embedded set-up a fresh clone needs: migrate the database, start the Siskohat
simulator on its loopback URL with the demo data, and fill the mirror from it when empty.
"""

from __future__ import annotations

import logging
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select
from telegram import Update

from bot.app import build_application, start_app, stop_app
from bot.settings import Settings
from bot.transport import InProcessRequest, LocalBotAPI, Sent
from db import migrate

log = logging.getLogger(__name__)

OUT_DIR = Path("var/out")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Turn:
    """What the bot did for one input: its replies in the person's chat and the mark()s."""

    replies: list[Sent]
    outcome: dict
    files: list[Path] = field(default_factory=list)
    error: str | None = None

    @property
    def said(self) -> list[Sent]:
        """Replies that say something: an edit of only the buttons repeats no text."""
        return [s for s in self.replies if s.text and s.method != "editMessageReplyMarkup"]

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.said)

    @property
    def buttons(self) -> list[str]:
        return [label for s in self.replies for label in s.buttons]

    @property
    def last_markup(self) -> Sent | None:
        with_buttons = [s for s in self.replies if s.buttons]
        return with_buttons[-1] if with_buttons else None


def _mirror_empty(db) -> bool:
    from db.base import Base

    tables = [t for name, t in Base.metadata.tables.items() if name.startswith("mirror")]
    if not tables:
        return False
    with db.engine.connect() as conn:
        return all(conn.execute(select(1).select_from(t).limit(1)).first() is None
                   for t in tables)


async def start_simulator(csv_path: Path, siskohat_url: str, key: str,
                          stack: AsyncExitStack) -> str:
    """Serve `csv_path` at `siskohat_url` (loopback) and return the URL the client must use.

    Port taken: when a hajibot simulator with this key and the same data answers there (another
    hajibot, `hajibot simulator`), it is used; anything else (a stranger, a simulator with other
    data or another key) leaves it alone and ours starts on a free port. Ours answers with the
    random instance id it was started with, so a client is never pointed at somebody else."""
    from integration import simulator

    url = urlsplit(siskohat_url)
    base = f"{url.scheme}://{url.netloc}"
    try:
        runner = await simulator.serve(csv_path, url.hostname, url.port or 80, key)
    except OSError:  # port taken
        found = await simulator.identify(base, key)
        if found is not None and found.get("data") == simulator.data_fingerprint(csv_path):
            log.info("Siskohat simulator already running on %s", base)
            return siskohat_url
    else:
        stack.push_async_callback(runner.cleanup)
        found = await simulator.identify(base, key)
        if found is not None and found.get("instance") == runner.app[simulator.INSTANCE]:
            return siskohat_url
        # bound, yet something else answers (e.g. the name resolves to another listener)
    runner = await simulator.serve(csv_path, "127.0.0.1", 0, key)
    stack.push_async_callback(runner.cleanup)
    moved = simulator.base_url(runner)
    log.info("%s is taken by another server: Siskohat simulator on %s instead", base, moved)
    return moved


async def embedded_setup(settings: Settings,
                         stack: AsyncExitStack) -> tuple[Settings, str | None]:
    """Migrate; start the simulator and fill an empty mirror with its demo data when the
    Siskohat URL is on loopback. Returns the settings to use (the simulator's URL when it had
    to move to a free port) and a one-line hint with demo porsi numbers."""
    from db.engine import Database

    Database(settings.database_url).dispose()  # creates var/ for a SQLite file
    migrate.upgrade(settings.database_url)
    url = urlsplit(settings.siskohat_url)
    if not settings.embedded_simulator or url.hostname not in LOOPBACK:
        return settings, None
    from integration import demo, mirror

    csv_path = settings.simulator_data or demo.demo_csv()
    served = await start_simulator(csv_path, settings.siskohat_url,
                                   settings.siskohat_key.get_secret_value(), stack)
    if served != settings.siskohat_url:
        settings = settings.model_copy(update={"siskohat_url": served})
    db = Database(settings.database_url)
    try:
        if _mirror_empty(db):
            mirror.import_csv(db, csv_path)
    finally:
        db.dispose()
    sample = list(demo.DEMO_PORSI.items())[:4]
    return settings, "Demo porsi: " + ", ".join(f"{porsi} ({label})" for label, porsi in sample)


def save_files(replies: list[Sent], out_dir: Path) -> list[Path]:
    """The documents the bot sent (the pelimpahan letters), written to `out_dir` for the person
    at the console to open."""
    files = []
    for sent in replies:
        if sent.file_bytes is not None and sent.file_name:
            out_dir.mkdir(parents=True, exist_ok=True)
            path = out_dir / Path(sent.file_name).name
            path.write_bytes(sent.file_bytes)
            files.append(path)
    return files


class LocalBot:
    """The Application on the in-process transport, driven as one Telegram user."""

    def __init__(self, settings: Settings, *, user_id: int = 1, lang: str = "id",
                 phone: str | None = None, first_name: str = "Jamaah", embedded: bool = True,
                 out_dir: Path = OUT_DIR):
        self.settings = settings
        self.user_id = user_id
        self.lang = lang
        self.embedded = embedded
        self.out_dir = out_dir
        # Update ids from the clock (microseconds): ids of earlier runs on the same database
        # are in processed_updates, and a new run must not look like a duplicate of them.
        self.api = LocalBotAPI(update_id_start=time.time_ns() // 1000)
        self.api.add_user(user_id, first_name=first_name, language_code=lang, phone=phone)
        if settings.helpdesk_chat_id:
            self.api.add_group(settings.helpdesk_chat_id, title="Helpdesk Haji", forum=True)
        self.hint: str | None = None
        self.app = None
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> LocalBot:
        if self.embedded:
            self.settings, self.hint = await embedded_setup(self.settings, self._stack)
        self.app = build_application(self.settings, request=InProcessRequest(self.api),
                                     keep_outcomes=True, throttle=False)
        await start_app(self.app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self.app is not None:
                await stop_app(self.app)
        finally:
            await self._stack.aclose()

    async def _feed(self, update: dict) -> Turn:
        since = self.api.seq
        await self.app.process_update(Update.de_json(update, self.app.bot))
        replies = self.api.sent_to(self.user_id, since=since)
        outcome = self.app.bot_data.outcomes.pop(
            update["update_id"], {"topic": None, "score": None, "handoff": False})
        return Turn(replies=replies, outcome=outcome, files=save_files(replies, self.out_dir))

    async def send(self, text: str | None = None, **kw) -> Turn:
        return await self._feed(self.api.make_message(self.user_id, self.user_id, text,
                                                      language_code=self.lang, **kw))

    async def press(self, label: str) -> Turn:
        """Press the button labelled `label` of the newest bot message that has it."""
        try:
            msg, button = self.api.find_button(self.user_id, label)
        except LookupError as exc:
            return Turn(replies=[], outcome={"topic": None, "score": None, "handoff": False},
                        error=str(exc))
        if "callback_data" in button:
            return await self._feed(self.api.make_callback(
                self.user_id, self.user_id, button["callback_data"], msg["message_id"],
                language_code=self.lang))
        if button.get("request_contact"):
            return await self.send(contact=True)
        return await self.send(button["text"])
