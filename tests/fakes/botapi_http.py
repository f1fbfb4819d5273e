"""`http_app`/`serve_http`: the in-process Bot API (bot/transport.py) served over HTTP."""

from __future__ import annotations

import json
from typing import Any

# Parameters the Bot API takes as JSON-serialised strings in form/multipart requests.
_JSON_PARAMS = frozenset({
    "reply_markup", "entities", "caption_entities", "commands", "scope", "allowed_updates",
    "media", "link_preview_options", "reply_parameters", "permissions", "results",
})


def _form_value(key: str, value: str) -> Any:
    if key in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value in ("true", "false") and key not in ("text", "caption", "name", "data"):
        return value == "true"
    return value


def http_app(api: Any,  # a bot.transport.LocalBotAPI (not imported: it imports this module)
              *, token: str | None = None):
    """An aiohttp app answering `POST|GET /bot<token>/<method>` from `api`, as Telegram does.

    Parameters come as a query string, a urlencoded or multipart form (python-telegram-bot's
    way: JSON-serialised values for markup and lists) or a JSON body. With `token`, any other
    token gets 401 Unauthorized, so a misbuilt URL fails as it would against Telegram.
    """
    from aiohttp import web

    async def handle(request: web.Request) -> web.Response:
        if token is not None and request.match_info["token"] != token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        params: dict[str, Any] = {k: _form_value(k, v) for k, v in request.query.items()}
        files: dict[str, tuple[str, bytes, str]] = {}
        if request.content_type == "application/json":
            body = await request.json()
            params.update(body if isinstance(body, dict) else {})
        elif request.can_read_body:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[key] = (value.filename or key, value.file.read(),
                                  value.content_type or "")
                else:
                    params[key] = _form_value(key, value)
        status, body = await api.call(request.match_info["method"], params, files)
        return web.json_response(body, status=status)

    app = web.Application(client_max_size=50 * 1024 * 1024)  # Bot API upload limit
    app.router.add_route("*", "/bot{token}/{method}", handle)
    return app


async def serve_http(api: Any, host: str = "127.0.0.1", port: int = 0, *,
                     token: str | None = None):
    """Start `http_app(api)`; returns (runner, base URL for HAJIBOT_TELEGRAM_BASE_URL).

    No access log: every request path carries the bot token. `await runner.cleanup()` stops it.
    """
    from aiohttp import web

    runner = web.AppRunner(http_app(api, token=token), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]  # the real port when port=0
    return runner, f"http://{host}:{bound}/bot"


def httpx_transport(api: Any):
    """`api` as an httpx transport: PTB's own HTTPXRequest (the production request class)
    talks to the in-process Bot API with no socket (`HTTPXRequest(httpx_kwargs={"transport":
    httpx_transport(api)})`); the bench compares channels with both on their real clients.
    JSON and urlencoded bodies (no file uploads)."""
    from urllib.parse import parse_qsl

    import httpx

    class _Transport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            body = await request.aread()
            params: dict[str, Any] = {k: _form_value(k, v)
                                      for k, v in request.url.params.items()}
            ctype = request.headers.get("content-type", "")
            if ctype.startswith("application/json"):
                params.update(json.loads(body or b"{}"))
            elif body:
                if not ctype.startswith("application/x-www-form-urlencoded"):
                    data = {"ok": False, "error_code": 400,
                            "description": "Bad Request: uploads are not served here"}
                    return httpx.Response(400, json=data, request=request)
                for key, value in parse_qsl(body.decode(), keep_blank_values=True):
                    params[key] = _form_value(key, value)
            status, data = await api.call(request.url.path.rsplit("/", 1)[-1], params, {})
            return httpx.Response(status, json=data, request=request)

    return _Transport()
