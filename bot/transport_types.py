"""Plain data of the in-process Bot API (bot/transport.py): ids, errors, recorded calls, chats."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BOT_ID = 7000000001
FORUM_ICON_COLOR = 7322096

_MEDIA_KEYS = ("photo", "document", "voice", "audio", "video", "sticker", "animation",
               "video_note", "contact", "location")


class ApiError(Exception):
    """A Bot API error answer (raised inside LocalBotAPI, turned into the JSON error reply)."""

    def __init__(self, code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


@dataclass
class Call:
    """One Bot API call the bot made (successful or not)."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)
    ok: bool = True
    result: Any = None
    error: str | None = None
    seq: int = 0

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None


@dataclass
class Sent:
    """A message the bot sent, copied, forwarded or edited, as a person would see it."""

    method: str
    chat_id: int
    message_id: int
    text: str  # plain text (tags stripped, entities unescaped); caption for media
    html: str  # the raw text/caption as the bot sent it
    kind: str  # "text", "photo", "document", ... ; "edit" for editMessageText/ReplyMarkup
    thread_id: int | None = None
    reply_markup: dict | None = None
    file_name: str | None = None
    file_bytes: bytes | None = None
    params: dict[str, Any] = field(default_factory=dict)
    seq: int = 0

    @property
    def inline_buttons(self) -> list[dict]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [b for row in rows for b in row]

    @property
    def keyboard_buttons(self) -> list[dict]:
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]

    @property
    def buttons(self) -> list[str]:
        """Labels of every button (inline first, then reply keyboard)."""
        return [b["text"] for b in self.inline_buttons + self.keyboard_buttons]


@dataclass
class Chat:
    id: int
    type: str  # private, group, supergroup, channel
    title: str | None = None
    is_forum: bool = False
    members: dict[int, str] = field(default_factory=dict)  # user id -> status
    topics: dict[int, dict] = field(default_factory=dict)  # thread id -> {name, closed, deleted}
    bot_can_post_in_closed_topics: bool = True
    blocked: bool = False  # private chat: the person blocked the bot
    pinned: list[int] = field(default_factory=list)

    def json(self, users: dict[int, dict]) -> dict:
        if self.type == "private":
            u = users.get(self.id, {})
            out = {"id": self.id, "type": "private", "first_name": u.get("first_name", "User")}
            if u.get("last_name"):
                out["last_name"] = u["last_name"]
            if u.get("username"):
                out["username"] = u["username"]
            return out
        out = {"id": self.id, "type": self.type, "title": self.title or f"Chat {self.id}"}
        if self.is_forum:
            out["is_forum"] = True
        return out
