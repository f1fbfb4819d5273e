"""An in-process Telegram Bot API: `LocalBotAPI` (state + real Bot API JSON) and `InProcessRequest`.

The console chat, `hajibot ask`, the e2e tests and the bench run the real python-telegram-bot
`Application` against this instead of api.telegram.org: PTB serialises every call exactly as for
Telegram, `InProcessRequest.do_request` hands it to `LocalBotAPI`, which answers with the JSON the
Bot API would send (errors included: 400 descriptions, 403, 429 with `retry_after`). Every call is
recorded so tests can assert on what the bot sent; `make_message`/`make_callback` build incoming
updates.
Tests extend it (tests/fakes/botapi.py): failure injection, blocked chats, and the same API served
over HTTP for a bot pointed at it with HAJIBOT_TELEGRAM_BASE_URL.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from typing import Any

from telegram.request import BaseRequest, RequestData

from bot.transport_forum import ForumMembersMixin
from bot.transport_messages import MessagesMixin
from bot.transport_types import BOT_ID, FORUM_ICON_COLOR, ApiError, Call, Chat, Sent
from handlers.base import HtmlError, html_to_plain

__all__ = [
    "BOT_ID",
    "FORUM_ICON_COLOR",
    "ApiError",
    "Call",
    "Chat",
    "InProcessRequest",
    "LocalBotAPI",
    "Sent",
    "html_to_plain",
]


class LocalBotAPI(MessagesMixin, ForumMembersMixin):
    """State of a fake Telegram: chats, messages, topics, members, recorded calls, updates."""

    def __init__(self, *, bot_username: str = "hajibot_test_bot", bot_name: str = "HajiBot",
                 update_id_start: int = 1, validate_html: bool = True):
        self.bot_user = {"id": BOT_ID, "is_bot": True, "first_name": bot_name,
                         "username": bot_username, "can_join_groups": True,
                         "can_read_all_group_messages": False, "supports_inline_queries": False}
        self.validate_html = validate_html
        self.chats: dict[int, Chat] = {}
        self.users: dict[int, dict] = {}
        self.phones: dict[int, str] = {}
        self.messages: dict[tuple[int, int], dict] = {}
        self.files: dict[str, tuple[str, bytes, str]] = {}
        self.log: list[Call] = []
        self.sent: list[Sent] = []
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.webhook: dict[str, Any] | None = None
        self.answered_callbacks: dict[str, dict] = {}
        self._next_mid: dict[int, int] = defaultdict(lambda: 1)
        self._update_ids = itertools.count(update_id_start)
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._pending: list[dict] = []
        self._pending_event: asyncio.Event | None = None

    # ------------------------------------------------------------------ configuration
    def add_user(self, user_id: int, *, first_name: str = "Jamaah", last_name: str | None = None,
                 username: str | None = None, language_code: str | None = "id",
                 phone: str | None = None) -> dict:
        """Register (or update) a Telegram user; their private chat with the bot exists from now."""
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        if phone:
            self.phones[user_id] = phone
        if user_id > 0:
            self.chats.setdefault(user_id, Chat(id=user_id, type="private"))
        return user

    def add_group(self, chat_id: int, *, title: str = "Petugas Helpdesk", forum: bool = True,
                  members: dict[int, str] | list[int] | None = None) -> Chat:
        """A (super)group the bot is in. `members`: user ids (status "member") or id -> status
        ("creator", "administrator", "member", "restricted", "left", "kicked")."""
        chat = Chat(id=chat_id, type="supergroup" if forum or chat_id < -10**12 else "group",
                    title=title, is_forum=forum)
        chat.members[BOT_ID] = "administrator"
        for uid, status in (dict.fromkeys(members, "member") if isinstance(members, list)
                            else (members or {})).items():
            chat.members[uid] = status
        self.chats[chat_id] = chat
        # Id 1 is the group's creation message, and thread id 1 the General topic.
        self._next_mid[chat_id] = max(self._next_mid[chat_id], 2)
        return chat

    def set_member(self, chat_id: int, user_id: int, status: str = "member") -> None:
        """Make `user_id` a member (or "administrator", "left", "kicked") of a group."""
        self.chats[chat_id].members[user_id] = status

    # ------------------------------------------------------------------ assertions
    def calls(self, method: str | None = None, *, chat_id: int | None = None,
              since: int = 0, ok: bool | None = None) -> list[Call]:
        """Recorded calls, oldest first; filter by method, target chat, sequence, success."""
        return [c for c in self.log
                if (method is None or c.method == method)
                and (chat_id is None or c.chat_id == chat_id)
                and c.seq > since and (ok is None or c.ok == ok)]

    def sent_to(self, chat_id: int | None = None, *, since: int = 0,
                thread_id: int | None = None) -> list[Sent]:
        return [s for s in self.sent
                if (chat_id is None or s.chat_id == chat_id) and s.seq > since
                and (thread_id is None or s.thread_id == thread_id)]

    @property
    def seq(self) -> int:
        """The sequence number of the last recorded call (use as `since=`)."""
        return self.log[-1].seq if self.log else 0

    def message(self, chat_id: int, message_id: int) -> dict | None:
        return self.messages.get((chat_id, message_id))

    def topic(self, chat_id: int, thread_id: int) -> dict | None:
        return self.chats[chat_id].topics.get(thread_id)

    def find_button(self, chat_id: int, label: str) -> tuple[dict, dict]:
        """The newest bot message in `chat_id` having a button labelled `label` (exact, else
        case-insensitive, else substring): (message JSON, button JSON). LookupError if none."""
        wanted = label.strip().casefold()
        markups = {s.message_id: s.reply_markup for s in self.sent
                   if s.chat_id == chat_id and s.reply_markup}
        newest = sorted((m for (cid, _), m in self.messages.items()
                         if cid == chat_id and m.get("from", {}).get("id") == BOT_ID),
                        key=lambda m: m["message_id"], reverse=True)
        seen: list[str] = []
        for msg in newest:
            markup = msg.get("reply_markup") or markups.get(msg["message_id"]) or {}
            buttons = [b for row in markup.get("inline_keyboard", []) for b in row] + [
                b if isinstance(b, dict) else {"text": b}
                for row in markup.get("keyboard", []) for b in row]
            for match in (lambda t: t == label.strip(), lambda t: t.casefold() == wanted,
                          lambda t: bool(wanted) and wanted in t.casefold()):
                for button in buttons:
                    if match(button["text"]):
                        return msg, button
            seen += [b["text"] for b in buttons]
        raise LookupError(f"no button {label!r} in chat {chat_id}; buttons seen: {seen}")

    # ------------------------------------------------------------------ incoming updates
    def _user(self, user_id: int, language_code: str | None) -> dict:
        user = self.users.get(user_id)
        if user is None:
            user = self.add_user(user_id, first_name=f"User{user_id}", language_code=language_code)
        elif language_code and user.get("language_code") != language_code:
            user["language_code"] = language_code
        return dict(user)

    def _new_file(self, name: str, data: bytes = b"", mime: str = "application/octet-stream"
                  ) -> tuple[str, str]:
        n = next(self._file_ids)
        file_id, unique = f"FILE{n:06d}", f"U{n:06d}"
        self.files[file_id] = (name, data, mime)
        return file_id, unique

    def _media_json(self, kind: str, *, name: str | None = None, data: bytes = b"",
                    mime: str | None = None, emoji: str = "🙂") -> Any:
        defaults = {"photo": ("photo.jpg", "image/jpeg"), "document": ("file.pdf", "application/pdf"),
                    "voice": ("voice.ogg", "audio/ogg"), "audio": ("audio.mp3", "audio/mpeg"),
                    "video": ("video.mp4", "video/mp4"), "sticker": ("sticker.webp", "image/webp"),
                    "animation": ("anim.mp4", "video/mp4"), "video_note": ("note.mp4", "video/mp4")}
        dname, dmime = defaults.get(kind, ("file.bin", "application/octet-stream"))
        name, mime = name or dname, mime or dmime
        file_id, unique = self._new_file(name, data, mime)
        size = len(data) or 1024
        if kind == "photo":
            return [{"file_id": file_id + "s", "file_unique_id": unique + "s", "width": 90,
                     "height": 90, "file_size": 512},
                    {"file_id": file_id, "file_unique_id": unique, "width": 800, "height": 600,
                     "file_size": size}]
        if kind == "sticker":
            return {"file_id": file_id, "file_unique_id": unique, "type": "regular",
                    "width": 512, "height": 512, "is_animated": False, "is_video": False,
                    "emoji": emoji}
        if kind in ("voice", "audio"):
            return {"file_id": file_id, "file_unique_id": unique, "duration": 3,
                    "mime_type": mime, "file_size": size}
        if kind in ("video", "animation"):
            return {"file_id": file_id, "file_unique_id": unique, "width": 640, "height": 480,
                    "duration": 3, "mime_type": mime, "file_size": size, "file_name": name}
        if kind == "video_note":
            return {"file_id": file_id, "file_unique_id": unique, "length": 240, "duration": 3}
        return {"file_id": file_id, "file_unique_id": unique, "file_name": name,
                "mime_type": mime, "file_size": size}

    def _chat_for_incoming(self, chat_id: int, chat_type: str | None, is_forum: bool) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            ctype = chat_type or ("private" if chat_id > 0 else "supergroup")
            chat = Chat(id=chat_id, type=ctype, title=None if ctype == "private" else f"Chat {chat_id}",
                        is_forum=is_forum)
            if ctype != "private":
                chat.members[BOT_ID] = "administrator"
                self._next_mid[chat_id] = max(self._next_mid[chat_id], 2)
            self.chats[chat_id] = chat
        elif is_forum:
            chat.is_forum = True
        return chat

    def make_message(self, chat_id: int, user_id: int | None = None, text: str | None = None, *,
                     chat_type: str | None = None, language_code: str | None = "id",
                     caption: str | None = None, photo: bool = False,
                     document: bool | dict = False, sticker: bool = False, voice: bool = False,
                     audio: bool = False, video: bool = False,
                     contact: bool | str | dict | None = None,
                     location: tuple[float, float] | None = None,
                     message_thread_id: int | None = None, is_forum: bool = False,
                     reply_to_message_id: int | None = None, edited: bool = False,
                     message_id: int | None = None, first_name: str | None = None,
                     date: int | None = None) -> dict:
        """Build (and store) an incoming message update as Telegram would deliver it.

        `user_id` defaults to `chat_id` (private chat). `document` may be a dict with
        `file_name`, `mime_type`, `data`. `contact=True` shares the user's own phone (see
        `add_user(phone=)`); a str is a phone number; a dict is the Contact itself.
        `edited=True` makes an `edited_message` (of `message_id`, or the user's last message).
        """
        user_id = chat_id if user_id is None else user_id
        user = self._user(user_id, language_code)
        if first_name:
            user["first_name"] = first_name
            self.users[user_id]["first_name"] = first_name
        # Group membership is NOT implied by writing: tests decide who is a member
        # (set_member/add_group), so "a message from a non-member" can be tested.
        chat = self._chat_for_incoming(chat_id, chat_type, is_forum)
        if edited and message_id is None:
            own = [mid for (cid, mid), m in self.messages.items()
                   if cid == chat_id and m.get("from", {}).get("id") == user_id]
            message_id = max(own) if own else None
        if message_id is None:
            message_id = self._next_mid[chat_id]
            self._next_mid[chat_id] += 1
        msg: dict[str, Any] = {"message_id": message_id, "from": user,
                               "chat": chat.json(self.users),
                               "date": date or int(time.time())}
        if message_thread_id is not None:
            msg["message_thread_id"] = message_thread_id
            if chat.is_forum:
                msg["is_topic_message"] = True
        if reply_to_message_id is not None:
            replied = self.messages.get((chat_id, reply_to_message_id))
            if replied is not None:
                msg["reply_to_message"] = replied
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                cmd = text.split()[0] if text.split() else text
                msg["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(cmd.encode("utf-16-le")) // 2}]
        if caption is not None:
            msg["caption"] = caption
        if photo:
            msg["photo"] = self._media_json("photo")
        if document:
            d = document if isinstance(document, dict) else {}
            msg["document"] = self._media_json("document", name=d.get("file_name"),
                                               data=d.get("data", b""), mime=d.get("mime_type"))
        if sticker:
            msg["sticker"] = self._media_json("sticker")
        if voice:
            msg["voice"] = self._media_json("voice")
        if audio:
            msg["audio"] = self._media_json("audio")
        if video:
            msg["video"] = self._media_json("video")
        if contact is not None and contact is not False:
            if isinstance(contact, dict):
                msg["contact"] = contact
            else:
                phone = contact if isinstance(contact, str) else self.phones.get(user_id, "")
                msg["contact"] = {"phone_number": phone, "first_name": user["first_name"],
                                  "user_id": user_id}
        if location is not None:
            msg["location"] = {"latitude": location[0], "longitude": location[1]}
        if edited:
            msg["edit_date"] = int(time.time())
        self.messages[(chat_id, message_id)] = msg
        key = "edited_message" if edited else "message"
        return {"update_id": next(self._update_ids), key: msg}

    def make_callback(self, chat_id: int, user_id: int | None, data: str,
                      message_id: int, *, language_code: str | None = "id") -> dict:
        """Build a callback_query update: `user_id` pressed the button with `data` under the
        bot's message `message_id` in `chat_id`."""
        user_id = chat_id if user_id is None else user_id
        user = self._user(user_id, language_code)
        msg = self.messages.get((chat_id, message_id)) or {
            "message_id": message_id, "from": self.bot_user,
            "chat": self._chat_for_incoming(chat_id, None, False).json(self.users),
            "date": int(time.time()), "text": ""}
        query = {"id": str(next(self._callback_ids)), "from": user, "message": msg,
                 "chat_instance": str(chat_id), "data": data}
        return {"update_id": next(self._update_ids), "callback_query": query}

    def push_update(self, update: dict) -> None:
        """Queue an update for getUpdates (polling)."""
        self._pending.append(update)
        if self._pending_event is not None:
            self._pending_event.set()

    # ------------------------------------------------------------------ dispatch
    async def call(self, method: str, params: dict, files: dict | None = None
                   ) -> tuple[int, dict]:
        """Answer one Bot API call: (HTTP status, JSON body)."""
        if method == "getUpdates":
            return 200, {"ok": True, "result": await self._get_updates(params)}
        return self.call_sync(method, params, files)

    def _before_call(self, method: str, params: dict) -> None:
        """A hook for test fakes (failure injection); nothing here."""

    def call_sync(self, method: str, params: dict, files: dict | None = None
                  ) -> tuple[int, dict]:
        call = Call(method=method, params=params, files=files or {}, seq=next(self._seq))
        self.log.append(call)
        try:
            self._before_call(method, params)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise ApiError(400, f"Bad Request: method \"{method}\" is not implemented by the "
                                    "fake Bot API (real Telegram answers 404 Not Found)")
            result = handler(params, call)
        except ApiError as exc:
            call.ok, call.error = False, exc.description
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            return exc.code, body
        call.result = result
        return 200, {"ok": True, "result": result}

    async def _get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        self._pending = [u for u in self._pending if u["update_id"] >= offset]
        if not self._pending and timeout > 0:
            self._pending_event = asyncio.Event()
            try:
                await asyncio.wait_for(self._pending_event.wait(), timeout)
            except TimeoutError:
                pass
            finally:
                self._pending_event = None
        return self._pending[:limit]

    # ------------------------------------------------------------------ helpers
    def _chat(self, params: dict, key: str = "chat_id") -> Chat:
        raw = params.get(key)
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _writable(self, chat: Chat, thread_id: int | None) -> None:
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.type != "private" and chat.members.get(BOT_ID) in (None, "left", "kicked"):
            raise ApiError(403, "Forbidden: bot is not a member of the supergroup chat")
        if thread_id is not None and thread_id != 1:
            if not chat.is_forum:
                raise ApiError(400, "Bad Request: message thread not found")
            topic = chat.topics.get(thread_id)
            if topic is None or topic["deleted"]:
                raise ApiError(400, "Bad Request: message thread not found")
            if topic["closed"] and not chat.bot_can_post_in_closed_topics:
                raise ApiError(400, "Bad Request: TOPIC_CLOSED")

    def _plain(self, text: str | None, params: dict) -> str:
        if text is None:
            return ""
        mode = (params.get("parse_mode") or "").upper()
        if mode == "HTML":
            try:
                return html_to_plain(text, validate=self.validate_html)
            except HtmlError as exc:
                raise ApiError(400, str(exc)) from None
        return text

    def _check_markup(self, markup: Any) -> dict | None:
        if markup is None:
            return None
        if isinstance(markup, str):
            markup = json.loads(markup)
        for row in markup.get("inline_keyboard") or []:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed in the inline "
                                        "keyboard")
        return markup

    def _store_out(self, chat: Chat, thread_id: int | None, content: dict,
                   markup: dict | None) -> dict:
        mid = self._next_mid[chat.id]
        self._next_mid[chat.id] += 1
        msg = {"message_id": mid, "from": self.bot_user, "chat": chat.json(self.users),
               "date": int(time.time()), **content}
        if thread_id is not None and chat.is_forum:
            msg["message_thread_id"] = thread_id
            msg["is_topic_message"] = True
        if markup and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        self.messages[(chat.id, mid)] = msg
        return msg

    def _record(self, call: Call, chat: Chat, msg: dict, kind: str, html_text: str,
                markup: dict | None, thread_id: int | None, file: tuple | None = None) -> None:
        self.sent.append(Sent(
            method=call.method, chat_id=chat.id, message_id=msg["message_id"],
            text=msg.get("text", msg.get("caption", "")), html=html_text, kind=kind,
            thread_id=thread_id, reply_markup=markup, file_name=file[0] if file else None,
            file_bytes=file[1] if file else None, params=call.params, seq=call.seq))

    @staticmethod
    def _thread(params: dict) -> int | None:
        value = params.get("message_thread_id")
        return int(value) if value not in (None, "") else None

    # ------------------------------------------------------------------ methods
    def _m_getMe(self, params, call):
        return self.bot_user

    def _m_logOut(self, params, call):
        return True

    def _m_close(self, params, call):
        return True

    def _m_setMyCommands(self, params, call):
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands[(scope, params.get("language_code") or "")] = list(params["commands"])
        return True

    def _m_getMyCommands(self, params, call):
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        return self.commands.get((scope, params.get("language_code") or ""), [])

    def _m_deleteMyCommands(self, params, call):
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands.pop((scope, params.get("language_code") or ""), None)
        return True

    def _m_setWebhook(self, params, call):
        self.webhook = dict(params)
        return True

    def _m_deleteWebhook(self, params, call):
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def _m_getWebhookInfo(self, params, call):
        hook = self.webhook or {}
        return {"url": hook.get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._pending),
                "allowed_updates": hook.get("allowed_updates") or []}
    # sendMessage/sendPhoto/.../copyMessage/edit*/deleteMessage/pin*: MessagesMixin
    # (bot/transport_messages.py); forum topics, members, getChat: ForumMembersMixin
    # (bot/transport_forum.py).


class InProcessRequest(BaseRequest):
    """PTB request class that answers from a `LocalBotAPI` in the same event loop (no network)."""

    def __init__(self, api: LocalBotAPI):
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=None, write_timeout=None, connect_timeout=None,
                         pool_timeout=None) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes, str]] = {}
        if request_data is not None:
            params = request_data.parameters
            if request_data.contains_files:
                for name, value in request_data.multipart_data.items():
                    filename, content, mime = (*tuple(value), None)[:3]
                    if hasattr(content, "read"):
                        content = content.read()
                    files[name] = (filename or name, bytes(content), mime or "")
        status, body = await self.api.call(api_method, params, files)
        return status, json.dumps(body).encode()
