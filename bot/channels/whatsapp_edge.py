"""WhatsApp → the one engine: a Cloud API webhook body read with pywa's types, each message
turned into Telegram Bot API update JSON for the same PTB Application.

pywa reads one message per update object (`entry[0].changes[0].value.messages[0]`); Meta may
batch several, so each is cut out into its own single-message update before pywa reads it.
A message becomes a private-chat `message` from the person's internal chat id (never the phone,
see db/repos_whatsapp.py); a reply-button or list choice becomes a `callback_query` carrying the
button's id as `data`, so inline-keyboard handlers run unchanged. Kinds the bot cannot read
(sticker, location, voice, reaction, ...) become the Telegram message kinds the router already
answers ("I cannot read stickers yet ...").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pywa_async import WhatsApp
from pywa_async import types as wa_types

from integration.safe_json import BadBody

log = logging.getLogger(__name__)

# Kinds that say nothing to answer: an edit or deletion of the person's own message (the
# helpdesk relays corrections only from Telegram), system notices, the first-open welcome.
IGNORED_KINDS = frozenset({"edit", "revoke", "system", "request_welcome"})
KEYBOARD_PREFIX = "kb:"  # a reply-keyboard button (sends its label as text)
CALLBACK_PREFIX = "wa:"  # callback_query ids of WhatsApp button presses


@dataclass(slots=True)
class Inbound:
    """One person's message, read by pywa, before it has an internal chat id."""

    wamid: str
    user_key: str  # business-scoped user id
    wa_id: str | None  # the phone; None when the person hides it
    name: str | None
    date: int
    content: dict[str, Any] = field(default_factory=dict)  # Telegram message fields
    callback: str | None = None  # button/list id pressed
    reply_to: str | None = None  # our message it answers (button presses)


@dataclass(slots=True)
class Status:
    wamid: str
    status: str  # sent | delivered | read | failed | ...
    error_code: int | None = None


def _single(entry: dict, change: dict, value: dict, key: str, item: dict) -> dict:
    """A webhook body holding only `item` (as pywa expects: index 0 everywhere)."""
    one = dict(value)
    one[key] = [item]
    contacts = value.get("contacts") or []
    sender = item.get("from") or item.get("recipient_id")
    match = [c for c in contacts if sender in (c.get("wa_id"), c.get("user_id"))]
    if match or contacts:
        contact = dict((match or contacts)[0])
        # payloads from before business-scoped ids carry only wa_id
        contact.setdefault("user_id", contact.get("wa_id"))
        one["contacts"] = [contact]
    elif key == "statuses":  # older status payloads name the recipient without a contact
        one["contacts"] = [{"wa_id": item.get("recipient_id"),
                            "user_id": item.get("recipient_user_id") or item.get("recipient_id")}]
    return {"object": "whatsapp_business_account",
            "entry": [{"id": entry.get("id", ""), "changes": [{**change, "value": one}]}]}


def parse(wa: WhatsApp, data: dict) -> tuple[list[Inbound], list[Status]]:
    """Messages and status callbacks of a webhook body; BadBody when it is not Meta's shape."""
    if data.get("object") != "whatsapp_business_account" or not isinstance(data.get("entry"),
                                                                             list):
        raise BadBody("not a WhatsApp Business webhook")
    messages: list[Inbound] = []
    statuses: list[Status] = []
    try:
        for entry in data["entry"]:
            for change in entry.get("changes") or []:
                if change.get("field") != "messages":
                    continue  # account updates, templates ...: nothing for the conversation
                value = change["value"]
                for item in value.get("messages") or []:
                    if item.get("type") in IGNORED_KINDS:
                        continue
                    messages.append(_message(wa, _single(entry, change, value, "messages",
                                                         item), item))
                for item in value.get("statuses") or []:
                    statuses.append(_status(wa, _single(entry, change, value, "statuses", item)))
    except BadBody:
        raise
    except Exception as exc:  # noqa: BLE001 - pywa's readers assume Meta's shapes: a 400
        raise BadBody(f"not a WhatsApp message ({type(exc).__name__})") from None
    return messages, statuses


def _status(wa: WhatsApp, update: dict) -> Status:
    st = wa_types.MessageStatus.from_update(wa, update)
    code = st.error.code if st.error is not None else None
    return Status(wamid=st.id, status=str(st.status.value).lower(), error_code=code)


def _message(wa: WhatsApp, update: dict, item: dict) -> Inbound:
    kind = item.get("type")
    interactive = (item.get("interactive") or {}).get("type")
    if (kind == "interactive" and interactive == "button_reply") or kind == "button":
        btn = wa_types.CallbackButton.from_update(wa, update)
        return _inbound(btn, callback=str(btn.data),
                        reply_to=btn.reply_to_message.id if btn.reply_to_message else None)
    if kind == "interactive" and interactive == "list_reply":
        sel = wa_types.CallbackSelection.from_update(wa, update)
        return _inbound(sel, callback=str(sel.data),
                        reply_to=sel.reply_to_message.id if sel.reply_to_message else None)
    msg = wa_types.Message.from_update(wa, update)
    return _inbound(msg, content=_content(msg))


def _inbound(obj: Any, **kw: Any) -> Inbound:
    user = obj.from_user
    if not user.bsuid:
        raise BadBody("no sender")
    return Inbound(wamid=obj.id, user_key=user.bsuid, wa_id=user.wa_id or None,
                   name=user.name, date=int(obj.timestamp.timestamp()), **kw)


def _media(kind: str, media: Any) -> dict:
    return {"file_id": f"wa-{kind}-{getattr(media, 'id', '')}",
            "file_unique_id": str(getattr(media, "id", ""))[:64]}


def _content(msg: wa_types.Message) -> dict[str, Any]:
    """The Telegram message fields for a WhatsApp message (kinds the router knows)."""
    mt = msg.type.value if hasattr(msg.type, "value") else str(msg.type)
    caption = getattr(msg, "caption", None)
    out: dict[str, Any] = {}
    if mt == "text" and msg.text is not None:
        out["text"] = msg.text
        if msg.text.startswith("/"):
            cmd = msg.text.split()[0] if msg.text.split() else msg.text
            out["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": len(cmd.encode("utf-16-le")) // 2}]
    elif mt == "image" and msg.image is not None:
        out["photo"] = [{**_media("photo", msg.image), "width": 1, "height": 1}]
    elif mt == "document" and msg.document is not None:
        out["document"] = {**_media("document", msg.document),
                           "file_name": getattr(msg.document, "filename", None) or "dokumen",
                           "mime_type": getattr(msg.document, "mime_type", None)}
    elif mt == "video" and msg.video is not None:
        out["video"] = {**_media("video", msg.video), "width": 1, "height": 1, "duration": 0}
    elif mt == "audio" and msg.audio is not None:
        if getattr(msg.audio, "voice", False):
            out["voice"] = {**_media("voice", msg.audio), "duration": 0}
        else:
            out["audio"] = {**_media("audio", msg.audio), "duration": 0}
    elif mt in ("sticker", "reaction"):
        # a reaction is an emoji laid on a message: answered as a sticker is on Telegram
        out["sticker"] = {**_media("sticker", msg.sticker or msg.id), "type": "regular",
                          "width": 1, "height": 1, "is_animated": False, "is_video": False}
    elif mt == "location" and msg.location is not None:
        out["location"] = {"latitude": msg.location.latitude,
                           "longitude": msg.location.longitude}
    elif mt == "contacts" and msg.contacts:
        first = next(iter(msg.contacts))
        phones = list(getattr(first, "phones", None) or [])
        phone = getattr(phones[0], "phone", None) if phones else None
        out["contact"] = {"phone_number": phone or "", "first_name": "Kontak"}
    if caption and "text" not in out:
        out["caption"] = caption
    return out  # empty: a kind nobody can read (unsupported, order ...) -> "empty message"


def update_json(item: Inbound, *, update_id: int, chat_id: int, message_id: int,
                reply_message_id: int | None = None) -> dict:
    """The Telegram update the Application processes for `item` (ids already internal)."""
    user = {"id": chat_id, "is_bot": False, "first_name": item.name or "WhatsApp"}
    chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
    if item.callback is not None:
        if item.callback.startswith(KEYBOARD_PREFIX):  # a reply-keyboard button: its text
            text = item.callback[len(KEYBOARD_PREFIX):]
            msg = {"message_id": message_id, "from": user, "chat": chat, "date": item.date,
                   "text": text}
            return {"update_id": update_id, "message": msg}
        bot_msg = {"message_id": reply_message_id or 1, "date": item.date, "chat": chat,
                   "text": "", "from": {"id": 1, "is_bot": True, "first_name": "HajiBot"}}
        return {"update_id": update_id, "callback_query": {
            "id": f"{CALLBACK_PREFIX}{update_id}", "from": user, "message": bot_msg,
            "chat_instance": str(chat_id), "data": item.callback}}
    msg = {"message_id": message_id, "from": user, "chat": chat, "date": item.date,
           **item.content}
    return {"update_id": update_id, "message": msg}
