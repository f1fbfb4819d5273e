"""The in-process Bot API of the product (bot/transport.py), extended for tests and benches:
failure injection (`fail_next`: 429 with retry_after, 400s, ...) and blocked chats (403)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bot.transport import LocalBotAPI
from bot.transport_types import ApiError
from tests.fakes.botapi_http import http_app, httpx_transport, serve_http

__all__ = ["FakeBotAPI", "http_app", "httpx_transport", "serve_http"]


@dataclass
class _Failure:
    times: int
    code: int
    description: str
    retry_after: int | None
    chat_id: int | None


class FakeBotAPI(LocalBotAPI):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._failures: dict[str, list[_Failure]] = defaultdict(list)

    def block(self, chat_id: int, blocked: bool = True) -> None:
        """The person blocks the bot: sends to that private chat fail with 403."""
        self.chats[chat_id].blocked = blocked

    def fail_next(self, method: str, times: int = 1, *, retry_after: int | None = None,
                  description: str | None = None, code: int | None = None,
                  chat_id: int | None = None) -> None:
        """Make the next `times` calls of `method` (optionally only those to `chat_id`) fail:
        with 429 + `retry_after` seconds, or with `code` (default 400) and `description`."""
        if retry_after is not None:
            code = 429
            description = description or f"Too Many Requests: retry after {retry_after}"
        self._failures[method].append(_Failure(
            times=times, code=code or 400, description=description or "Bad Request: injected",
            retry_after=retry_after, chat_id=chat_id))

    def _maybe_fail(self, method: str, params: dict) -> None:
        queue = self._failures.get(method)
        if not queue:
            return
        for failure in queue:
            if failure.chat_id is not None and str(failure.chat_id) != str(params.get("chat_id")):
                continue
            failure.times -= 1
            if failure.times <= 0:
                queue.remove(failure)
            params_out = {"retry_after": failure.retry_after} if failure.retry_after else None
            raise ApiError(failure.code, failure.description, params_out)

    def _before_call(self, method: str, params: dict) -> None:
        self._maybe_fail(method, params)
