"""A fake WhatsApp Business Cloud API, and webhook bodies as Meta sends them.

`FakeCloudAPI` records what is posted to `/{version}/{phone_id}/messages` and
`/{version}/{phone_id}/media` and answers as the Cloud API does; `fail(...)` queues error
answers (Meta's error JSON and HTTP status: rate limits, 5xx, the closed 24-hour window).
It is served over HTTP by `cloud_app(api)` (aiohttp; point HAJIBOT_WHATSAPP_BASE_URL at it)
or in-process by `api.transport()` (an httpx transport: `hajibot ask --channel whatsapp`, e2e
tests and the bench, no sockets). `inbound(...)`/`status(...)` build webhook bodies and
`sign(body, secret)` their X-Hub-Signature-256.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import httpx
from aiohttp import web

PHONE_ID = "100000000000001"
WABA_ID = "200000000000002"


@dataclass
class Posted:
    """One message the bot posted: its JSON, and the readable parts tests assert on."""

    seq: int
    to: str
    type: str
    body: dict
    text: str = ""
    buttons: list[str] = field(default_factory=list)  # reply-button titles / list row titles
    button_ids: list[str] = field(default_factory=list)
    descriptions: list[str | None] = field(default_factory=list)
    file_name: str | None = None
    file_bytes: bytes | None = None
    template: str | None = None
    wamid: str = ""


def _interactive(msg: dict) -> tuple[str, list[str], list[str], list[str | None]]:
    inter = msg.get("interactive") or {}
    body = (inter.get("body") or {}).get("text", "")
    action = inter.get("action") or {}
    titles, ids, descs = [], [], []
    for b in action.get("buttons") or []:
        reply = b.get("reply") or {}
        titles.append(reply.get("title", ""))
        ids.append(reply.get("id", ""))
        descs.append(None)
    for section in action.get("sections") or []:
        for row in section.get("rows") or []:
            titles.append(row.get("title", ""))
            ids.append(row.get("id", ""))
            descs.append(row.get("description"))
    return body, titles, ids, descs


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    msg = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    out = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        out[name] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return out


class FakeCloudAPI:
    """State of a fake Cloud API: posted messages, uploaded media, queued failures."""

    def __init__(self, *, phone_id: str = PHONE_ID,
                 token: str = "test-token"):  # noqa: S107 - the fake's own, nothing real
        self.phone_id = phone_id
        self.token = token
        self.posted: list[Posted] = []
        self.media: dict[str, tuple[str | None, bytes]] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request
        self._failures: list[tuple[int, dict]] = []
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)

    # --- failures ------------------------------------------------------------------------
    def fail(self, code: int = 131000, *, status: int = 500, times: int = 1,
             message: str = "Something went wrong", transient: bool | None = None) -> None:
        """The next `times` calls answer Meta's error JSON with `code` and HTTP `status`
        (130429 + 429: throughput rate limit; 131047 + 400: the 24-hour window is closed)."""
        error = {"message": message, "type": "OAuthException", "code": code,
                 "fbtrace_id": "AbCdEf"}
        if transient is not None:
            error["is_transient"] = transient
        self._failures.extend([(status, {"error": error})] * times)

    def rate_limit(self, times: int = 1) -> None:
        self.fail(130429, status=429, times=times, message="Rate limit hit")

    # --- answering -----------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes
               ) -> tuple[int, dict]:
        self.requests.append((method, path))
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"error": {"message": "Invalid OAuth access token", "code": 190,
                                   "type": "OAuthException"}}
        parts = [p for p in path.split("/") if p]
        if len(parts) != 3 or not parts[0].startswith("v") or parts[1] != self.phone_id:
            return 404, {"error": {"message": "Unknown path", "code": 100}}
        if self._failures:
            return self._failures.pop(0)
        if parts[2] == "media" and method == "POST":
            fields = _multipart(headers.get("content-type", ""), body)
            media_id = f"media-{next(self._ids)}"
            self.media[media_id] = fields.get("file", (None, b""))
            return 200, {"id": media_id}
        if parts[2] == "messages" and method == "POST":
            return 200, self._message(json.loads(body or b"{}"))
        return 404, {"error": {"message": "Unknown path", "code": 100}}

    def _message(self, data: dict) -> dict:
        to = data.get("to") or data.get("recipient") or ""
        kind = data.get("type", "")
        wamid = f"wamid.OUT{next(self._ids)}"
        rec = Posted(seq=next(self._seq), to=to, type=kind, body=data, wamid=wamid)
        if kind == "text":
            rec.text = (data.get("text") or {}).get("body", "")
        elif kind == "interactive":
            rec.text, rec.buttons, rec.button_ids, rec.descriptions = _interactive(data)
        elif kind == "document":
            doc = data.get("document") or {}
            rec.text = doc.get("caption") or ""
            rec.file_name = doc.get("filename")
            rec.file_bytes = self.media.get(doc.get("id"), (None, None))[1]
        elif kind == "template":
            rec.template = (data.get("template") or {}).get("name")
        self.posted.append(rec)
        return {"messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": wamid}]}

    # --- serving -------------------------------------------------------------------------
    def transport(self) -> httpx.AsyncBaseTransport:
        return _Transport(self)

    def to(self, recipient: str, since: int = 0) -> list[Posted]:
        return [p for p in self.posted if p.to == recipient and p.seq > since]

    @property
    def seq(self) -> int:
        return self.posted[-1].seq if self.posted else 0


class _Transport(httpx.AsyncBaseTransport):
    def __init__(self, api: FakeCloudAPI):
        self.api = api

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, data = self.api.handle(request.method, request.url.path, headers, body)
        return httpx.Response(status, json=data, request=request)


def cloud_app(api: FakeCloudAPI) -> web.Application:
    """The fake over HTTP (aiohttp), at the Graph API's paths."""

    async def any_call(request: web.Request) -> web.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, data = api.handle(request.method, request.path, headers, await request.read())
        return web.json_response(data, status=status)

    app = web.Application(client_max_size=100 << 20)
    app.router.add_route("*", "/{tail:.*}", any_call)
    return app


# --- webhook bodies ---------------------------------------------------------------------------
_wamids = itertools.count(1)


def bsuid_for(wa_id: str) -> str:
    """A stable business-scoped user id for a test person."""
    return "ID." + hashlib.sha256(wa_id.encode()).hexdigest()[:16]


def inbound(wa_id: str | None, *, text: str | None = None, kind: str | None = None,
            button: tuple[str, str] | None = None, row: tuple[str, str] | None = None,
            reply_to: str | None = None, name: str = "Jamaah", user_key: str | None = None,
            wamid: str | None = None, extra: dict | None = None,
            phone_id: str = PHONE_ID) -> dict:
    """A webhook body with one message from `wa_id` (None: the number is hidden, only the
    business-scoped id `user_key` is given). `button`/`row`: (id, title) of a reply button or
    list row pressed under our message `reply_to`. `kind` + `extra`: other message types
    (sticker, location, audio with {"voice": true}, reaction, image, contacts ...)."""
    key = user_key or bsuid_for(wa_id or "hidden")
    msg: dict[str, Any] = {"from": wa_id or key, "id": wamid or f"wamid.IN{next(_wamids)}",
                           "timestamp": str(int(time.time()))}
    if button is not None:
        msg["type"] = "interactive"
        msg["interactive"] = {"type": "button_reply",
                              "button_reply": {"id": button[0], "title": button[1]}}
    elif row is not None:
        msg["type"] = "interactive"
        msg["interactive"] = {"type": "list_reply",
                              "list_reply": {"id": row[0], "title": row[1]}}
    elif text is not None:
        msg["type"] = "text"
        msg["text"] = {"body": text}
    else:
        msg["type"] = kind or "unsupported"
        msg[msg["type"]] = dict(extra or {})
    if reply_to:
        msg["context"] = {"from": phone_id, "id": reply_to}
    contact = {"profile": {"name": name}, "user_id": key}
    if wa_id:
        contact["wa_id"] = wa_id
    else:
        contact["profile"]["username"] = "@jamaah"
    return {"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "6281100000000", "phone_number_id": phone_id},
            "contacts": [contact], "messages": [msg]}}]}]}


def status(wamid: str, state: str, *, wa_id: str = "6281200000000",
           error_code: int | None = None, phone_id: str = PHONE_ID) -> dict:
    item: dict[str, Any] = {"id": wamid, "status": state, "timestamp": str(int(time.time())),
                            "recipient_id": wa_id, "recipient_user_id": bsuid_for(wa_id)}
    if error_code is not None:
        item["errors"] = [{"code": error_code, "title": "Failed", "message": "Failed"}]
    return {"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "6281100000000", "phone_number_id": phone_id},
            "contacts": [{"wa_id": wa_id, "user_id": bsuid_for(wa_id)}],
            "statuses": [item]}}]}]}


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
