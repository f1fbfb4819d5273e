"""e2e harness for the WhatsApp channel: the real Application, WhatsApp people on the fake
Cloud API (bot/channels/whatsapp_fake.py), Telegram (the agents' forum) on the fake Bot API.

Same driving interface as `BotHarness` (`send`, `press`, `Replies`), so a Telegram scenario
runs on WhatsApp by swapping the harness: a test's chat id names a WhatsApp person whose
number is `h.phone(chat_id)` (set one with `h.add_user(chat_id, phone=...)`, or
`hidden=True` for a person who hides their number). Every inbound message goes through the
webhook's own steps (pywa's parsing, the chat/update id mapping, the Update JSON) and then the
Application; what the bot sends is read back from the fake Cloud API as `Sent` records.
"""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.app import build_application, start_app, stop_app
from bot.channels.local_whatsapp import as_sent
from bot.channels.whatsapp import WhatsAppChannel
from bot.channels.whatsapp_edge import parse
from bot.channels.whatsapp_fake import PHONE_ID, FakeCloudAPI, bsuid_for, inbound
from bot.transport import InProcessRequest, Sent
from bot.web_whatsapp import prepare
from handlers.base import Services
from tests.e2e.harness import BotHarness, Replies

APP_SECRET = "test-app-secret"
WA_SETTINGS = {"whatsapp_token": "test-token", "whatsapp_phone_id": PHONE_ID,
               "whatsapp_app_secret": APP_SECRET, "whatsapp_verify_token": "verify-me",
               "whatsapp_base_url": "https://graph.invalid", "whatsapp_retry_wait_s": 0.0}


class WhatsAppHarness(BotHarness):
    channel_name = "whatsapp"

    def __init__(self, *, settings_overrides: dict | None = None, **kw: Any):
        super().__init__(settings_overrides={**WA_SETTINGS, **(settings_overrides or {})},
                         **kw)
        self.cloud = FakeCloudAPI()
        self.phones: dict[int, str | None] = {}
        self.internal: dict[int, int] = {}  # test chat id -> internal chat id
        self.langs: dict[int, str] = {}
        self.channel: WhatsAppChannel | None = None

    async def _start(self) -> None:
        if self.channel is not None:
            await self.channel.close()
        self.channel = WhatsAppChannel(self.settings, transport=self.cloud.transport(),
                                       clock=self.clock)
        self.services = Services(settings=self.settings, db=self.db, gateway=self.gateway,
                                 clock=self.clock, extras=self.extras)
        self.app = build_application(
            self.settings, services=self.services, request=InProcessRequest(self.api),
            clock=self.clock, features=self._features(), keep_outcomes=True,
            rate_limiter=self.rate_limiter, throttle=self.throttle, whatsapp=self.channel,
            notify_sender=self.notify_sender)
        await start_app(self.app)

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self.app is not None:
                await stop_app(self.app)
                self.app = None
            if self.channel is not None:
                await self.channel.close()
        finally:
            await super().__aexit__(*exc)

    # --- people --------------------------------------------------------------------------
    def add_user(self, chat_id: int, *, phone: str | None = None, hidden: bool = False
                 ) -> None:
        self.phones[chat_id] = None if hidden else phone

    def phone(self, chat_id: int) -> str | None:
        if chat_id in self.phones:
            return self.phones[chat_id]
        if chat_id in self.api.phones:  # a scenario's `h.api.add_user(chat, phone=...)`
            return "".join(c for c in self.api.phones[chat_id] if c.isdigit())
        return f"62899{chat_id:08d}"

    def recipient(self, chat_id: int) -> str:
        return self.phone(chat_id) or bsuid_for(f"hidden-{chat_id}")

    def user_key(self, chat_id: int) -> str:
        return bsuid_for(self.phone(chat_id) or f"hidden-{chat_id}")

    def chat_of(self, chat_id: int) -> int:
        """The internal chat id the bot uses for this person (after their first message)."""
        return self.internal[chat_id]

    # --- driving -------------------------------------------------------------------------
    def body(self, chat_id: int, **kw: Any) -> dict:
        if isinstance(kw.get("text"), str):  # the e2e log scan looks for what people typed
            from tests.e2e.conftest import _SENT_TEXTS

            _SENT_TEXTS.add(kw["text"])
        return inbound(self.phone(chat_id), user_key=self.user_key(chat_id), **kw)

    async def feed(self, update: dict) -> Replies:
        since = self.cloud.seq
        replies = await super().feed(update)
        wa = [s for chat in self.internal for s in self.posted(chat, since)]
        return Replies(list(replies) + wa)

    async def feed_body(self, chat_id: int, body: dict) -> Replies:
        """One webhook body through the webhook's steps and the Application."""
        since, tg_since = self.cloud.seq, self.api.seq
        messages, _ = parse(self.channel.wa, body)
        for item in prepare(self.channel, self.db, messages):
            self.channel.remember(item.chat)
            self.internal[chat_id] = item.chat.chat_id
            self.last_update_id = item.update["update_id"]
            await self.app.process_update(Update.de_json(item.update, self.app.bot))
        await self._drain()
        self.last_chat_id = chat_id
        return Replies(self.posted(chat_id, since) + self.api.sent_to(since=tg_since))

    async def send(self, chat_id: int, text: str | None = None, *, user_id: int | None = None,
                   sticker: bool = False, voice: bool = False, photo: bool = False,
                   location: tuple[float, float] | None = None, reaction: bool = False,
                   contact: Any = None, language_code: str | None = None, **kw: Any
                   ) -> Replies:
        """A WhatsApp message from the person `chat_id` (Telegram's keyword names for the
        kinds: sticker, voice, photo, location; plus reaction). A group's chat id (negative:
        the agents' forum) is a Telegram message, as in `BotHarness`."""
        if chat_id < 0:
            return await BotHarness.send(self, chat_id, text, user_id=user_id, sticker=sticker,
                                         voice=voice, photo=photo, location=location,
                                         contact=contact, **kw)
        if user_id is not None and user_id != chat_id:
            raise ValueError("a WhatsApp person writes only in their own chat")
        if language_code and language_code != self.langs.get(chat_id, "id"):
            # WhatsApp tells no client language: the person picks it with /bahasa
            self.langs[chat_id] = language_code
            await self.feed_body(chat_id, self.body(chat_id, text=f"/bahasa {language_code}"))
        if sticker:
            body = self.body(chat_id, kind="sticker", extra={"id": "st1",
                                                              "mime_type": "image/webp",
                                                              "sha256": "x", "animated": False})
        elif voice:
            body = self.body(chat_id, kind="audio", extra={"id": "au1", "mime_type": "audio/ogg",
                                                            "sha256": "x", "voice": True})
        elif photo:
            body = self.body(chat_id, kind="image", extra={"id": "im1", "mime_type": "image/jpeg",
                                                            "sha256": "x"})
        elif location is not None:
            body = self.body(chat_id, kind="location",
                             extra={"latitude": location[0], "longitude": location[1]})
        elif reaction:
            body = self.body(chat_id, kind="reaction",
                             extra={"message_id": "wamid.OUT1", "emoji": "👍"})
        else:
            body = self.body(chat_id, text=text)
        return await self.feed_body(chat_id, body)

    def find_button(self, label: str, *, chat_id: int | None = None) -> tuple[dict, dict]:
        chat_id = chat_id if chat_id is not None else self.last_chat_id
        mine = [p for p in self.cloud.to(self.recipient(chat_id)) if p.button_ids]
        for match in (lambda a, b: a == b, lambda a, b: a.casefold() == b.casefold(),
                      lambda a, b: b.casefold() in a.casefold()):
            for post in reversed(mine):
                for title, bid, desc in zip(post.buttons, post.button_ids, post.descriptions,
                                            strict=True):
                    if match(desc or title, label) or match(title, label):
                        return ({"wamid": post.wamid, "list": post.body["interactive"]["type"]
                                 == "list"}, {"id": bid, "title": title})
        raise LookupError(f"no WhatsApp button {label!r}")

    async def callback(self, chat_id: int, data: str, message_id: int, *,
                       user_id: int | None = None, **kw: Any) -> Replies:
        """A button press with this id (a stale or forged one: no message of ours named)."""
        return await self.feed_body(chat_id, self.body(chat_id, button=(data, data[:20])))

    async def press(self, label: str, *, chat_id: int | None = None,
                    user_id: int | None = None) -> Replies:
        chat_id = chat_id if chat_id is not None else self.last_chat_id
        post, button = self.find_button(label, chat_id=chat_id)
        key = "row" if post["list"] else "button"
        return await self.feed_body(chat_id, self.body(
            chat_id, reply_to=post["wamid"], **{key: (button["id"], button["title"])}))

    # --- reading -------------------------------------------------------------------------
    def posted(self, chat_id: int, since: int = 0) -> list[Sent]:
        return [as_sent(p, chat_id) for p in self.cloud.to(self.recipient(chat_id), since)]

    def chat_data(self, chat_id: int) -> dict:
        return dict(self.app.chat_data.get(self.internal.get(chat_id, chat_id), {}))

    def user_data(self, user_id: int) -> dict:
        return dict(self.app.user_data.get(self.internal.get(user_id, user_id), {}))
