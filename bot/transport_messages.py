"""Message methods of the in-process Bot API: send, copy, forward, edit, delete, pin.

A mix-in of `bot.transport.LocalBotAPI`: it relies on the core's state and helpers (`_chat`,
`_thread`, `_writable`, `_plain`, `_check_markup`, `_store_out`, `_record`, `_media_json`).
"""

from __future__ import annotations

import time
from typing import Any

from bot.transport_types import _MEDIA_KEYS, BOT_ID, ApiError, Chat


class MessagesMixin:
    """Bot API methods that send or change messages."""

    def _m_sendMessage(self, params, call):
        chat = self._chat(params)
        thread_id = self._thread(params)
        self._writable(chat, thread_id)
        raw = params.get("text")
        if raw is None or not str(raw).strip():
            raise ApiError(400, "Bad Request: message text is empty")
        plain = self._plain(str(raw), params)
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(plain) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        markup = self._check_markup(params.get("reply_markup"))
        msg = self._store_out(chat, thread_id, {"text": plain}, markup)
        self._record(call, chat, msg, "text", str(raw), markup, thread_id)
        return msg

    def _send_media(self, params, call, kind: str):
        chat = self._chat(params)
        thread_id = self._thread(params)
        self._writable(chat, thread_id)
        markup = self._check_markup(params.get("reply_markup"))
        raw_caption = params.get("caption")
        caption = self._plain(raw_caption, params) if raw_caption else None
        if caption and len(caption) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        upload = call.files.get(kind)
        value = params.get(kind)
        if upload is not None:
            name, data, mime = upload
            media = self._media_json(kind, name=name, data=data, mime=mime)
            file = (name, data)
        elif isinstance(value, str) and value.startswith("attach://"):
            name, data, mime = call.files[value[len("attach://"):]]
            media = self._media_json(kind, name=name, data=data, mime=mime)
            file = (name, data)
        elif isinstance(value, str) and value in self.files:
            name, data, mime = self.files[value]
            media = self._media_json(kind, name=name, data=data, mime=mime)
            file = (name, data)
        elif isinstance(value, str):  # a URL or an unknown file_id: Telegram would fetch it
            media = self._media_json(kind, name=value.rsplit("/", 1)[-1] or None)
            file = None
        else:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        content: dict[str, Any] = {kind: media}
        if caption:
            content["caption"] = caption
        msg = self._store_out(chat, thread_id, content, markup)
        self._record(call, chat, msg, kind, raw_caption or "", markup, thread_id, file)
        return msg

    def _m_sendPhoto(self, params, call):
        return self._send_media(params, call, "photo")

    def _m_sendDocument(self, params, call):
        return self._send_media(params, call, "document")

    def _m_sendVoice(self, params, call):
        return self._send_media(params, call, "voice")

    def _m_sendAudio(self, params, call):
        return self._send_media(params, call, "audio")

    def _m_sendVideo(self, params, call):
        return self._send_media(params, call, "video")

    def _m_sendSticker(self, params, call):
        return self._send_media(params, call, "sticker")

    def _m_sendAnimation(self, params, call):
        return self._send_media(params, call, "animation")

    def _m_sendContact(self, params, call):
        chat = self._chat(params)
        thread_id = self._thread(params)
        self._writable(chat, thread_id)
        contact = {"phone_number": params["phone_number"], "first_name": params["first_name"]}
        msg = self._store_out(chat, thread_id, {"contact": contact}, None)
        self._record(call, chat, msg, "contact", "", None, thread_id)
        return msg

    def _m_sendLocation(self, params, call):
        chat = self._chat(params)
        thread_id = self._thread(params)
        self._writable(chat, thread_id)
        loc = {"latitude": params["latitude"], "longitude": params["longitude"]}
        msg = self._store_out(chat, thread_id, {"location": loc}, None)
        self._record(call, chat, msg, "location", "", None, thread_id)
        return msg

    def _source(self, params) -> dict:
        src_chat = self._chat(params, "from_chat_id")
        msg = self.messages.get((src_chat.id, int(params["message_id"])))
        if msg is None:
            raise ApiError(400, "Bad Request: message to copy not found")
        return msg

    def _m_copyMessage(self, params, call):
        src = self._source(params)
        chat = self._chat(params)
        thread_id = self._thread(params)
        self._writable(chat, thread_id)
        content = {k: src[k] for k in ("text", "entities", *_MEDIA_KEYS, "caption") if k in src}
        raw_caption = params.get("caption")
        if raw_caption is not None:
            content["caption"] = self._plain(raw_caption, params)
        markup = self._check_markup(params.get("reply_markup"))
        msg = self._store_out(chat, thread_id, content, markup)
        kind = next((k for k in _MEDIA_KEYS if k in content), "text")
        file = None
        media = content.get(kind)
        if isinstance(media, list):
            media = media[-1]
        if isinstance(media, dict) and media.get("file_id") in self.files:
            name, data, _ = self.files[media["file_id"]]
            file = (name, data)
        self._record(call, chat, msg, kind, raw_caption or content.get("text", ""), markup,
                     thread_id, file)
        return {"message_id": msg["message_id"]}

    def _m_forwardMessage(self, params, call):
        src = self._source(params)
        chat = self._chat(params)
        thread_id = self._thread(params)
        self._writable(chat, thread_id)
        content = {k: src[k] for k in ("text", "entities", *_MEDIA_KEYS, "caption") if k in src}
        origin_user = src.get("from") or self.bot_user
        content["forward_origin"] = {"type": "user", "date": src["date"], "sender_user": origin_user}
        msg = self._store_out(chat, thread_id, content, None)
        kind = next((k for k in _MEDIA_KEYS if k in content), "text")
        self._record(call, chat, msg, kind, content.get("text", ""), None, thread_id)
        return msg

    def _edit_target(self, params) -> tuple[Chat, dict]:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: inline messages are not supported by the fake")
        chat = self._chat(params)
        msg = self.messages.get((chat.id, int(params.get("message_id") or 0)))
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if msg.get("from", {}).get("id") != BOT_ID:
            raise ApiError(400, "Bad Request: message can't be edited")
        return chat, msg

    def _m_editMessageText(self, params, call):
        chat, msg = self._edit_target(params)
        raw = str(params.get("text") or "")
        plain = self._plain(raw, params)
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        markup = self._check_markup(params.get("reply_markup"))
        if plain == msg.get("text") and markup == msg.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified: specified new message "
                                "content and reply markup are exactly the same as a current "
                                "content and reply markup of the message")
        msg["text"] = plain
        msg["edit_date"] = int(time.time())
        if markup:
            msg["reply_markup"] = markup
        else:
            msg.pop("reply_markup", None)
        self._record(call, chat, msg, "edit", raw, markup, msg.get("message_thread_id"))
        return msg

    def _m_editMessageCaption(self, params, call):
        chat, msg = self._edit_target(params)
        raw = str(params.get("caption") or "")
        msg["caption"] = self._plain(raw, params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup:
            msg["reply_markup"] = markup
        self._record(call, chat, msg, "edit", raw, markup, msg.get("message_thread_id"))
        return msg

    def _m_editMessageReplyMarkup(self, params, call):
        chat, msg = self._edit_target(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup == msg.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified: specified new message "
                                "content and reply markup are exactly the same as a current "
                                "content and reply markup of the message")
        if markup:
            msg["reply_markup"] = markup
        else:
            msg.pop("reply_markup", None)
        self._record(call, chat, msg, "edit", "", markup, msg.get("message_thread_id"))
        return msg

    def _m_deleteMessage(self, params, call):
        chat = self._chat(params)
        if self.messages.pop((chat.id, int(params["message_id"])), None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _m_answerCallbackQuery(self, params, call):
        qid = str(params["callback_query_id"])
        if qid in self.answered_callbacks:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or "
                                "query ID is invalid")
        self.answered_callbacks[qid] = dict(params)
        return True

    def _m_sendChatAction(self, params, call):
        chat = self._chat(params)
        self._writable(chat, self._thread(params))
        return True

    def _m_pinChatMessage(self, params, call):
        chat = self._chat(params)
        chat.pinned.append(int(params["message_id"]))
        return True

    def _m_unpinChatMessage(self, params, call):
        chat = self._chat(params)
        if chat.pinned:
            chat.pinned.pop()
        return True
