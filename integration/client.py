"""`SiskohatClient`: the aiohttp client of the Siskohat contract (read calls, feed, export).

Resilience, in layers (outermost first):
- a hard cap on the wall time of one logical call (`total_timeout_s`, `asyncio.timeout`);
- retries with exponential backoff + jitter (stamina), only for these idempotent GETs and only
  on connection errors, timeouts, HTTP 5xx, HTTP 429 (waiting `Retry-After` seconds, capped)
  and bodies that are not a JSON envelope;
- a circuit breaker (purgatory) around every single attempt: after `breaker_threshold`
  consecutive failed attempts it opens and every call fails at once with `SiskohatUnavailable`
  without a request leaving the process (checked before any retry machinery: ~10 us); after `breaker_ttl_s` the next attempt is let through
  (half-open): success closes it, failure re-opens it;
- a small `aiohttp.ClientTimeout` per attempt (connect + total). TLS verification is left on.

Decisions:
- HTTP 401 raises `SiskohatAuthError` at once (no retry) and does not count as an outage for
  the breaker: Siskohat answered, the key is wrong - an operator must fix configuration.
- Other answers from a live Siskohat (404, 4xx, an envelope code other than 00/01) raise
  `SiskohatError`, are not retried and do not trip the breaker.
- A record whose data cannot be parsed (e.g. an impossible date) raises `SiskohatError`
  (with the `WireError` as cause), so callers fall back to the mirror.
- `ping()` is one attempt (no retries) of `estimasi` for the dummy porsi `0000000000`; "00"
  or "01" means up. With the breaker open it answers False without a request. `check()` is the
  same attempt naming the outcome: "ok", "auth_error" (HTTP 401: the key, not an outage),
  "unavailable" or "error".
- `health()` reports from memory only (never a request): breaker state, the time of the last
  attempt Siskohat answered with an envelope (`last_success_at`), and whether the last answer
  was a 401 - what `GET /healthz` shows.

Logging: method, path template (never a porsi), status and duration only; never bodies.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import aiohttp
import stamina
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState

from integration.metrics import SISKOHAT_BREAKER, SISKOHAT_CALLS, SISKOHAT_LATENCY
from integration.wire import (
    Envelope,
    WireError,
    merge_read_calls,
    parse_envelope,
    parse_porsi,
    record_from_wire,
)
from knowledge.dates import to_utc
from knowledge.records import PilgrimRecord

log = logging.getLogger(__name__)

_CIRCUIT = "siskohat"
PING_PORSI = "0000000000"


class SiskohatError(Exception):
    """Siskohat answered something the client cannot use (base of all client errors)."""


class SiskohatUnavailable(SiskohatError):
    """Siskohat is down: connection error, timeout, 5xx/429 after retries, bad JSON, breaker open."""


class SiskohatAuthError(SiskohatError):
    """HTTP 401: the configured key is wrong or missing."""


class _Transient(Exception):
    """One failed attempt worth retrying (never escapes the client)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def _retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (to_utc(when) - datetime.now(UTC)).total_seconds())


class _Outcome:
    value = "error"


@contextmanager
def _outcome(call: str, template: str) -> Iterator[_Outcome]:
    """Map what escapes a call to the client's own errors, and count it in the metrics.

    Only SiskohatError and its subclasses leave the client; the body sets `.value` to "ok" or
    "not_found" on success.
    """
    out = _Outcome()
    started = time.perf_counter()
    try:
        yield out
    except SiskohatAuthError:
        out.value = "auth"
        raise
    except SiskohatError:
        raise
    except OpenedState:
        out.value = "breaker_open"
        raise SiskohatUnavailable("Siskohat circuit breaker is open") from None
    except (_Transient, aiohttp.ClientError, TimeoutError) as exc:
        out.value = "unavailable"
        raise SiskohatUnavailable(f"Siskohat unavailable: {type(exc).__name__}") from exc
    finally:
        elapsed = time.perf_counter() - started
        SISKOHAT_CALLS.labels(call, out.value).inc()
        SISKOHAT_LATENCY.labels(call).observe(elapsed)
        if out.value not in ("ok", "not_found"):
            # the path template only: a porsi in a log line would be personal data
            log.info("siskohat GET %s: %s after %.1f ms", template, out.value, elapsed * 1000)


class SiskohatClient:
    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        timeout_s: float = 2.0,
        total_timeout_s: float = 5.0,
        retries: int = 3,
        breaker_threshold: int = 5,
        breaker_ttl_s: float = 30.0,
        session: aiohttp.ClientSession | None = None,
        connect_timeout_s: float | None = None,
        wait_initial_s: float = 0.1,
        wait_max_s: float = 1.0,
        wait_jitter_s: float = 0.1,
        retry_after_cap_s: float = 5.0,
        export_read_timeout_s: float = 30.0,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._headers = {"x-key": key}
        # The connect budget is the attempt's, not a shorter one: aiohttp's `connect` counts
        # the wait for a pooled connection and the event loop's own delays, and a process busy
        # with thousands of chats took more than 1 s to connect to a healthy Siskohat, opening
        # the breaker for everyone (bench/bench_load.py, 2,000 people at once).
        self._timeout = aiohttp.ClientTimeout(
            total=timeout_s,
            connect=connect_timeout_s if connect_timeout_s is not None else timeout_s,
        )
        self._export_timeout = aiohttp.ClientTimeout(
            total=None,
            connect=connect_timeout_s if connect_timeout_s is not None else min(1.0, timeout_s),
            sock_read=export_read_timeout_s,
        )
        self._total_timeout_s = total_timeout_s
        self._attempts = max(1, retries + 1)
        self._wait = {
            "wait_initial": wait_initial_s,
            "wait_max": wait_max_s,
            "wait_jitter": wait_jitter_s,
        }
        self._retry_after_cap_s = retry_after_cap_s
        self._session = session
        self._own_session = session is None
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=breaker_threshold,
            default_ttl=breaker_ttl_s,
            exclude=[SiskohatError],  # Siskohat answered: not an outage
        )
        self._breakers.add_listener(self._on_breaker_event)
        self._breaker = None  # purgatory AsyncCircuitBreaker, created on first use
        # time.time() of the last attempt Siskohat answered usably / with a 401
        self.last_success_at: float | None = None
        self.last_auth_error_at: float | None = None

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> SiskohatClient:
        self._ensure_session()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None and not self._session.closed:
            await self._session.close()
        if self._own_session:
            self._session = None

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
            self._own_session = True
        return self._session

    # ------------------------------------------------------------------ breaker

    @property
    def breaker_state(self) -> str:
        """'closed', 'open' or 'half-open' (an open breaker past its TTL reports half-open)."""
        if self._breaker is None:
            return "closed"
        ctx = self._breaker.context
        if ctx.state == "opened":
            if ctx.opened_at is not None and time.time() > ctx.opened_at + ctx.ttl:
                return "half-open"
            return "open"
        return "half-open" if ctx.state == "half-opened" else "closed"

    def _on_breaker_event(self, name: str, event_name: str, event: Any) -> None:
        if event_name == "state_changed":
            state = {"opened": "open", "half-opened": "half-open"}.get(event.state, "closed")
            SISKOHAT_BREAKER.state(state)
            log.warning("siskohat circuit breaker %s", state)

    async def _get_breaker(self):
        if self._breaker is None:
            self._breaker = await self._breakers.get_breaker(_CIRCUIT)
        return self._breaker

    # ------------------------------------------------------------------ transport

    def _retry_hook(self, exc: Exception) -> bool | float:
        if isinstance(exc, _Transient):
            if exc.retry_after is not None:
                if exc.retry_after > self._total_timeout_s:
                    return False  # the wait cannot fit in the call's budget: give up now
                return min(exc.retry_after, self._retry_after_cap_s)
            return True
        return isinstance(exc, aiohttp.ClientError | TimeoutError)

    async def _attempt(self, template: str, url: str, params: dict | None) -> Envelope:
        breaker = await self._get_breaker()
        session = self._ensure_session()
        started = time.perf_counter()
        async with breaker:
            async with session.get(
                url, headers=self._headers, params=params, timeout=self._timeout
            ) as resp:
                status = resp.status
                log.debug(
                    "siskohat GET %s -> %s in %.1f ms",
                    template,
                    status,
                    (time.perf_counter() - started) * 1000,
                )
                if status == 401:
                    self.last_auth_error_at = time.time()
                    raise SiskohatAuthError("Siskohat rejected the API key (HTTP 401)")
                if status == 429:
                    raise _Transient(
                        "HTTP 429", _retry_after_seconds(resp.headers.get("Retry-After"))
                    )
                if status >= 500:
                    raise _Transient(f"HTTP {status}")
                if status != 200:
                    raise SiskohatError(f"Siskohat answered HTTP {status} to GET {template}")
                body = await resp.read()
            try:
                env = parse_envelope(json.loads(body))
            except (ValueError, WireError):  # JSONDecodeError and UnicodeDecodeError too
                raise _Transient("body is not a JSON envelope") from None
            self.last_success_at = time.time()
            return env

    async def _call(
        self,
        call: str,
        template: str,
        path: str,
        params: dict | None = None,
        *,
        attempts: int | None = None,
    ) -> Envelope:
        """One logical GET with retries, breaker and total cap; only SiskohatError escapes."""
        if self.breaker_state == "open":  # fast path: no retry machinery, no task, no request
            SISKOHAT_CALLS.labels(call, "breaker_open").inc()
            raise SiskohatUnavailable("Siskohat circuit breaker is open")
        url = self._base + path
        with _outcome(call, template) as out:
            async with asyncio.timeout(self._total_timeout_s):
                async for attempt in stamina.retry_context(
                    on=self._retry_hook,
                    attempts=attempts or self._attempts,
                    timeout=self._total_timeout_s,
                    **self._wait,
                ):
                    with attempt:
                        env = await self._attempt(template, url, params)
            if env.code == "00":
                out.value = "ok"
            elif env.code == "01":
                out.value = "not_found"
            else:
                raise SiskohatError(f"Siskohat answered code {env.code!r} to GET {template}")
            return env

    # ------------------------------------------------------------------ read calls

    async def _read(self, call: str, porsi: str) -> dict | None:
        env = await self._call(call, f"/siskohat/{call}/{{porsi}}", f"/siskohat/{call}/{porsi}")
        return env.data[0] if env.found and env.data else None

    async def fetch_raw(self, porsi: str) -> dict[str, Any] | None:
        """The merged `Data[0]` of the four read calls; None when estimasi says not found."""
        porsi = parse_porsi(porsi)
        if self.breaker_state == "open":
            for call in ("estimasi", "pelunasan", "pembatalan", "jemaah"):
                SISKOHAT_CALLS.labels(call, "breaker_open").inc()
            raise SiskohatUnavailable("Siskohat circuit breaker is open")
        results = await asyncio.gather(
            self._read("estimasi", porsi),
            self._read("pelunasan", porsi),
            self._read("pembatalan", porsi),
            self._read("jemaah", porsi),
            return_exceptions=True,
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            for kind in (SiskohatAuthError, SiskohatUnavailable, SiskohatError):
                for err in errors:
                    if isinstance(err, kind):
                        raise err
            raise errors[0]
        estimasi, pelunasan, pembatalan, jemaah = results
        if estimasi is None:
            return None
        return merge_read_calls(estimasi, pelunasan, pembatalan, jemaah)

    async def fetch_record(self, porsi: str) -> PilgrimRecord | None:
        """One pilgrim from the four read calls; None for an unknown porsi.

        Raises `WireError` (a ValueError) for a porsi that is not 10 digits, before any request.
        """
        row = await self.fetch_raw(porsi)
        if row is None:
            return None
        try:
            return record_from_wire(row)
        except WireError as exc:
            raise SiskohatError(f"Siskohat sent an unreadable record ({exc})") from exc

    async def ping(self) -> bool:
        """True when Siskohat answers a read call (one attempt, no retries)."""
        return await self.check() == "ok"

    async def check(self) -> str:
        """One attempt of a read call: "ok", "auth_error" (HTTP 401: the key is wrong, Siskohat
        is up), "unavailable" (down, or the breaker open) or "error" (any other answer)."""
        try:
            await self._call(
                "ping",
                "/siskohat/estimasi/{porsi}",
                f"/siskohat/estimasi/{PING_PORSI}",
                attempts=1,
            )
        except SiskohatAuthError:
            return "auth_error"
        except SiskohatUnavailable:
            return "unavailable"
        except SiskohatError:
            return "error"
        return "ok"

    def health(self) -> dict[str, Any]:
        """What the client knows without asking Siskohat: breaker, last success, key state."""
        breaker = self.breaker_state
        ok_at, auth_at = self.last_success_at, self.last_auth_error_at
        if auth_at is not None and (ok_at is None or auth_at >= ok_at):
            state = "auth_error"  # the newest answer was a 401: configuration, not an outage
        elif breaker == "open":
            state = "unavailable"
        elif ok_at is None:
            state = "unknown"  # no call yet since the start
        else:
            state = "ok"
        return {
            "state": state,
            "breaker": breaker,
            "last_success": (datetime.fromtimestamp(ok_at, UTC).isoformat(timespec="seconds")
                             if ok_at is not None else None),
            "last_success_age_s": (round(max(0.0, time.time() - ok_at), 1)
                                   if ok_at is not None else None),
        }

    # ------------------------------------------------------------------ batch

    async def iter_changes(
        self, since: datetime, page_size: int = 1000
    ) -> AsyncIterator[list[dict]]:
        """Pages of raw change-feed rows (oldest first) since `since`, following the pages."""
        since = to_utc(since)
        page: int | None = 1
        while page is not None:
            params = {"sejak": since.isoformat(), "halaman": str(page), "ukuran": str(page_size)}
            env = await self._call(
                "perubahan", "/siskohat/perubahan", "/siskohat/perubahan", params
            )
            if env.data:
                yield env.data
            nxt = env.next_page
            if nxt is not None and nxt <= page:
                raise SiskohatError("Siskohat change feed pages do not advance")
            page = nxt if env.data else None

    async def download_export(self, day: date, dest: Path) -> Path:
        """Stream the daily export of `day` to `dest` (atomically); returns `dest`."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        path = f"/siskohat/ekspor/{day.isoformat()}.csv"
        template = "/siskohat/ekspor/{day}.csv"
        url = self._base + path
        tmp = dest.with_name(dest.name + ".part")
        try:
            with _outcome("ekspor", template) as out:
                async for attempt in stamina.retry_context(
                    on=self._retry_hook, attempts=self._attempts, timeout=None, **self._wait
                ):
                    with attempt:
                        await self._download_once(template, url, day, tmp)
                os.replace(tmp, dest)
                out.value = "ok"
                return dest
        finally:
            if tmp.exists():
                tmp.unlink()

    async def _download_once(self, template: str, url: str, day: date, tmp: Path) -> None:
        breaker = await self._get_breaker()
        session = self._ensure_session()
        async with breaker, session.get(url, headers=self._headers,
                                         timeout=self._export_timeout) as r:
            log.info("siskohat GET %s -> %s", template, r.status)
            if r.status == 401:
                self.last_auth_error_at = time.time()
                raise SiskohatAuthError("Siskohat rejected the API key (HTTP 401)")
            if r.status == 404:
                raise SiskohatError(f"Siskohat has no export for {day.isoformat()} (HTTP 404)")
            if r.status == 429:
                raise _Transient("HTTP 429", _retry_after_seconds(r.headers.get("Retry-After")))
            if r.status >= 500:
                raise _Transient(f"HTTP {r.status}")
            if r.status != 200:
                raise SiskohatError(f"Siskohat answered HTTP {r.status} to GET {template}")
            ctype = r.headers.get("Content-Type", "")
            if "json" in ctype or "html" in ctype:
                raise _Transient(f"export answered with {ctype}, not CSV")
            with open(tmp, "wb") as out:
                async for chunk in r.content.iter_chunked(1 << 16):
                    out.write(chunk)
            self.last_success_at = time.time()
