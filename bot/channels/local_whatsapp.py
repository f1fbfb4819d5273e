"""`LocalWhatsApp`: one WhatsApp person talking to the real Application in-process
(`hajibot ask --channel whatsapp`, the bench), with no console and no network.

Each line becomes a Cloud API webhook body, read by the webhook's own steps (pywa's parsing,
the chat and update ids, the Update JSON); what the bot sends goes through the WhatsApp channel
(pywa's client) to the fake Cloud API in this process and is read back as `Sent` records.
"""

from __future__ import annotations

import time
from contextlib import AsyncExitStack
from pathlib import Path

from pydantic import SecretStr
from telegram import Update

from bot.app import build_application, start_app, stop_app
from bot.channels.local import OUT_DIR, Turn, embedded_setup, save_files
from bot.channels.whatsapp import WhatsAppChannel
from bot.channels.whatsapp_edge import parse
from bot.channels.whatsapp_fake import PHONE_ID, FakeCloudAPI, Posted, inbound
from bot.channels.whatsapp_render import plain
from bot.settings import Settings
from bot.transport import InProcessRequest, LocalBotAPI, Sent
from bot.web_whatsapp import prepare

LOCAL_TOKEN = "local-fake-cloud-api"  # noqa: S105 - sent only to the in-process fake


def as_sent(p: Posted, chat_id: int) -> Sent:
    """A Cloud API post as the `Sent` record the local channels and tests read (buttons as an
    inline keyboard of their full labels, text without WhatsApp's markers)."""
    markup = None
    if p.buttons:
        markup = {"inline_keyboard": [[{"text": desc or title, "callback_data": bid}]
                                      for title, bid, desc in zip(p.buttons, p.button_ids,
                                                                  p.descriptions, strict=True)]}
    return Sent(method="sendDocument" if p.type == "document" else "sendMessage",
                chat_id=chat_id, message_id=p.seq, text=plain(p.text), html=p.text,
                kind="text" if p.type == "interactive" else p.type, reply_markup=markup,
                file_name=p.file_name, file_bytes=p.file_bytes, params=p.body, seq=p.seq)


def local_settings(settings: Settings) -> Settings:
    """The settings with the WhatsApp channel pointed at the in-process fake."""
    return settings.model_copy(update={
        "whatsapp_token": SecretStr(LOCAL_TOKEN), "whatsapp_phone_id": PHONE_ID,
        "whatsapp_base_url": "http://fake-cloud-api.invalid", "whatsapp_retry_wait_s": 0.0})


class LocalWhatsApp:
    """The Application with a WhatsApp person on the fake Cloud API (see module doc)."""

    def __init__(self, settings: Settings, *, phone: str | None = "6281234500000",
                 name: str = "Jamaah", embedded: bool = True, out_dir: Path = OUT_DIR):
        self.settings = local_settings(settings)
        self.phone = phone
        self.name = name
        self.embedded = embedded
        self.out_dir = out_dir
        self.cloud = FakeCloudAPI(phone_id=PHONE_ID, token=LOCAL_TOKEN)
        self.api = LocalBotAPI(update_id_start=time.time_ns() // 1000)  # Telegram: agents only
        self.user_key = f"ID.local{phone or 'hidden'}"
        self.chat_id: int | None = None
        self.hint: str | None = None
        self.app = None
        self.channel: WhatsAppChannel | None = None
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> LocalWhatsApp:
        if self.embedded:
            self.settings, self.hint = await embedded_setup(self.settings, self._stack)
        self.channel = WhatsAppChannel(self.settings, transport=self.cloud.transport())
        self.app = build_application(self.settings, request=InProcessRequest(self.api),
                                     keep_outcomes=True, throttle=False, whatsapp=self.channel)
        await start_app(self.app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self.app is not None:
                await stop_app(self.app)
            if self.channel is not None:
                await self.channel.close()
        finally:
            await self._stack.aclose()

    @property
    def recipient(self) -> str:
        return self.phone or self.user_key

    async def feed(self, body: dict) -> Turn:
        since = self.cloud.seq
        services = self.app.bot_data.services
        messages, _ = parse(self.channel.wa, body)
        outcome = {"topic": None, "score": None, "handoff": False}
        for item in prepare(self.channel, services.db, messages):
            self.channel.remember(item.chat)
            self.chat_id = item.chat.chat_id
            uid = item.update["update_id"]
            await self.app.process_update(Update.de_json(item.update, self.app.bot))
            outcome = self.app.bot_data.outcomes.pop(uid, outcome)
        replies = [as_sent(p, self.chat_id or 0) for p in self.cloud.to(self.recipient, since)]
        return Turn(replies=replies, outcome=outcome, files=save_files(replies, self.out_dir))

    async def send(self, text: str | None = None, **kw) -> Turn:
        return await self.feed(inbound(self.phone, text=text, name=self.name,
                                       user_key=self.user_key))

    async def press(self, label: str) -> Turn:
        """Choose `label` among the reply buttons / list rows of the bot's newest message
        that has it (exactly, else case-insensitively, else as a part, as `LocalBot`)."""
        posts = [p for p in reversed(self.cloud.to(self.recipient)) if p.button_ids]
        for match in (lambda a, b: a == b, lambda a, b: a.casefold() == b.casefold(),
                      lambda a, b: b.casefold() in a.casefold()):
            for post in posts:
                for title, bid, desc in zip(post.buttons, post.button_ids, post.descriptions,
                                            strict=True):
                    if match(desc or title, label) or match(title, label):
                        key = "row" if post.body["interactive"]["type"] == "list" else "button"
                        return await self.feed(inbound(
                            self.phone, name=self.name, user_key=self.user_key,
                            reply_to=post.wamid, **{key: (bid, title)}))
        return Turn(replies=[], outcome={"topic": None, "score": None, "handoff": False},
                    error=f"no button {label!r}")
