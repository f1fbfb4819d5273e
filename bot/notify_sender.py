"""Sending the notification outbox: one sender at a time (a lease in the database), a global rate
(`HAJIBOT_NOTIFY_RATE`, aiolimiter with no burst), at most one message a second per chat, a
429 pauses every send for its `retry_after`, a 403 removes the chat's subscriptions, quiet hours
in the pilgrim's own zone defer (never drop). Runs inside `hajibot run` (`start_background`, a
task started by the Application's post_init and stopped by post_stop) and as `hajibot notify
drain` (`Sender.drain`: what is due, then exit).

This module is the one retry layer for notifications: a failed send goes back to the outbox
with a due time; the Bot it sends with has no rate limiter of its own (bot/notify_channel.py).

Channels: the outbox has a `channel` column; a `NotifyChannel` (bot/notify_channel.py) per
channel name sends one `Outgoing` and reports the fate by raising its exceptions: "telegram"
always, "whatsapp" (bot/channels/whatsapp_notify.py) when WhatsApp is configured. A sender
claims only rows of the channels it has: WhatsApp rows wait (pending, in `notify stats`) for
a sender with WhatsApp configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aiolimiter import AsyncLimiter

from bot import metrics
from bot.notify_channel import (
    ChannelBlocked,
    ChannelFailed,
    ChannelRetryAfter,
    NotifyChannel,
    Outgoing,
)
from db import repos_notify_outbox as outbox
from handlers.base import html_to_plain
from handlers.pantau import compose
from integration.notify_plan import queue_reminders
from knowledge.notify import parse_quiet_hours, quiet_until, reminders_off_reason

log = logging.getLogger(__name__)

PER_CHAT_S = 1.0  # at most one message a second to one chat
MAX_ATTEMPTS = 6  # transient failures (network, 5xx) before a row is given up
CONCURRENCY = 16  # sends in flight at once (the limiter sets the pace)
BATCH = 64
REMINDERS_EVERY_S = 3600.0  # reminders are per day: looked for at most hourly


@dataclass
class DrainReport:
    sent: int = 0
    deferred: int = 0  # quiet hours, or due later than the drain waits
    failed: int = 0
    dropped_blocked: int = 0  # rows not sent because the person blocked the bot
    unsubscribed_blocked: int = 0  # subscriptions removed for that reason
    retried_429: int = 0
    unknown: int = 0  # a dead sender began these; never sent again
    reminders_queued: int = 0
    seconds: float = 0.0
    busy: str | None = None  # another sender holds the lease
    kinds: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"sent": self.sent, "deferred": self.deferred, "failed": self.failed,
                "dropped_blocked": self.dropped_blocked,
                "unsubscribed_blocked": self.unsubscribed_blocked,
                "retried_429": self.retried_429, "unknown": self.unknown,
                "reminders_queued": self.reminders_queued, "seconds": round(self.seconds, 2),
                "rate_per_s": round(self.sent / self.seconds, 2) if self.seconds else 0.0,
                "busy": self.busy, "sent_by_kind": self.kinds}


class Sender:
    """Sends due outbox rows through `channels` (name -> NotifyChannel)."""

    def __init__(self, db, channels: dict[str, NotifyChannel], *, rate: float,
                 quiet_hours: str | None, clock: Callable[[], datetime] | None = None,
                 lease_ttl_s: float = 30.0, policy: dict | None = None,
                 owner: str | None = None):
        self.db = db
        self.channels = channels
        self.rate = rate
        self.quiet = parse_quiet_hours(quiet_hours)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.lease_ttl = timedelta(seconds=lease_ttl_s)
        self.policy = policy
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        # capacity 1: no burst above the rate, in any one-second window
        self.limiter = AsyncLimiter(1, 1.0 / rate)
        self._last_sent: dict[int, float] = {}  # chat -> monotonic time of its last send
        # channel -> monotonic time: a 429 (or WhatsApp's rate limit) stops every send on
        # that channel until then; the other channels go on
        self._paused_until: dict[str, float] = {}
        self._lease_renewed = 0.0
        self._announcements: dict[int, str | None] = {}
        self._reminders_at: float | None = None  # monotonic time reminders were last queued

    # --------------------------------------------------------------------------- database
    async def _db(self, fn, *args, **kw):
        def run():
            with self.db.session() as s:
                return fn(s, *args, **kw)

        return await asyncio.to_thread(run)

    async def acquire(self) -> bool:
        """Take the lease (and mark what a dead holder left mid-send as unknown)."""
        now = self.clock()
        got = await self._db(outbox.take_lease, self.owner, now, self.lease_ttl)
        if got:
            self._lease_renewed = time.monotonic()
        return got

    async def _renew(self) -> None:
        due = time.monotonic() - self._lease_renewed >= self.lease_ttl.total_seconds() / 6
        if due and not await self.acquire():
            raise LeaseLost(self.owner)

    async def release(self) -> None:
        await self._db(outbox.release_lease, self.owner)

    # ------------------------------------------------------------------------------ drain
    async def drain(self, *, max_wait_s: float = 60.0, progress=None,
                    stop: asyncio.Event | None = None) -> DrainReport:
        """Send every row due now (and those falling due within `max_wait_s`: a 429 pause,
        the per-chat spacing), then return. `progress(report, remaining)` after each send."""
        report = DrainReport()
        started = time.monotonic()
        if not await self.acquire():
            report.busy = await self._db(outbox.lease_holder, self.clock())
            return report
        try:
            report.unknown = await self._db(outbox.recover, self.owner)
            if (self._reminders_at is None
                    or time.monotonic() - self._reminders_at >= REMINDERS_EVERY_S):
                report.reminders_queued = await asyncio.to_thread(
                    queue_reminders, self.db, self.clock(), self.policy)
                self._reminders_at = time.monotonic()
            await self._loop(report, max_wait_s, progress, stop)
        finally:
            report.seconds = time.monotonic() - started
            await self.release()
        return report

    async def _loop(self, report: DrainReport, max_wait_s: float, progress, stop) -> None:
        inflight: set[asyncio.Task] = set()
        slots = asyncio.Semaphore(CONCURRENCY)
        while stop is None or not stop.is_set():
            await self._renew()
            now_m = time.monotonic()
            recent = {c for c, t in self._last_sent.items() if now_m - t < PER_CHAT_S}
            self._last_sent = {c: t for c, t in self._last_sent.items() if now_m - t < 60}
            paused = {c: t - now_m for c, t in self._paused_until.items() if t > now_m}
            open_channels = set(self.channels) - set(paused)
            rows = await self._db(outbox.claim_due, self.clock(), BATCH,
                                  skip_chats=recent | self._busy_chats(inflight),
                                  channels=open_channels) if open_channels else []
            if not rows:
                if inflight:
                    await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
                    continue
                nxt = await self._db(outbox.next_due, open_channels) if open_channels else None
                wait = None if nxt is None else (nxt - self.clock()).total_seconds()
                if recent:
                    wait = min(wait if wait is not None else PER_CHAT_S, PER_CHAT_S)
                held = await self._db(outbox.next_due, set(paused)) if paused else None
                if held is not None:  # a paused channel's row: due when both have passed
                    until = max(min(paused.values()), (held - self.clock()).total_seconds())
                    wait = min(wait if wait is not None else math.inf, until)
                if wait is None or wait > max_wait_s:
                    break
                await asyncio.sleep(max(0.05, min(wait, 1.0)))
                continue
            for row in rows:
                until = quiet_until(self.clock(), row.zone, self.quiet)
                if until is not None:
                    await self._db(outbox.defer_many, [row.id], until)
                    metrics.NOTIFY_DEFERRED.inc()
                    continue
                await slots.acquire()
                await self._pause(row.channel)
                await self.limiter.acquire()
                self._last_sent[row.chat_id] = time.monotonic()
                task = asyncio.create_task(self._send(row, report, slots, progress))
                task.chat_id = row.chat_id  # type: ignore[attr-defined]
                inflight.add(task)
                task.add_done_callback(inflight.discard)
                if stop is not None and stop.is_set():
                    break
        if inflight:
            await asyncio.gather(*inflight, return_exceptions=True)
        # still pending but not due: quiet hours, a transient failure's back-off
        report.deferred = await self._db(_count_later, self.clock(), set(self.channels))

    @staticmethod
    def _busy_chats(inflight: set[asyncio.Task]) -> set[int]:
        return {t.chat_id for t in inflight}  # type: ignore[attr-defined]

    async def _pause(self, channel: str) -> None:
        wait = self._paused_until.get(channel, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _text(self, row: outbox.Due) -> Outgoing:
        announcement = None
        if row.kind == "announce":
            aid = int(row.payload.get("announcement") or 0)
            if aid not in self._announcements:
                self._announcements[aid] = await self._db(outbox.announcement_text, aid)
            announcement = self._announcements[aid]
        html, buttons = compose(row.kind, row.payload, row.lang, row.porsi, announcement)
        return Outgoing(chat_id=row.chat_id, kind=row.kind, lang=row.lang, html=html,
                        plain=html_to_plain(html, validate=False), buttons=buttons,
                        porsi=row.porsi)

    async def _send(self, row: outbox.Due, report: DrainReport, slots: asyncio.Semaphore,
                    progress) -> None:
        try:
            channel = self.channels[row.channel]
            if not await self._db(outbox.begin_send, row.id, self.owner, self.clock()):
                return  # erased or unsubscribed since it was claimed
            try:
                note = await self._text(row)
                await channel.send(note)
            except ChannelRetryAfter as exc:
                self._paused_until[row.channel] = max(self._paused_until.get(row.channel, 0.0),
                                                      time.monotonic() + exc.seconds)
                report.retried_429 += 1
                metrics.NOTIFY_RETRIED.inc()
                await self._db(outbox.defer, row.id, self.clock(), error="429")
                return
            except ChannelBlocked as exc:
                removed = await self._db(outbox.blocked, row.id, row.channel, row.chat_id)
                report.dropped_blocked += 1
                report.unsubscribed_blocked += removed
                metrics.NOTIFY_BLOCKED.inc()
                log.info("notify: chat blocked the bot (%s); %d subscriptions removed",
                         exc.reason, removed)
                return
            except ChannelFailed as exc:
                await self._failed(row, report, exc.reason, exc.transient)
                return
            except Exception as exc:  # noqa: BLE001 - one row's bug must not stop the drain
                await self._failed(row, report, type(exc).__name__, False)
                log.error("notify: send of row %s failed: %s", row.id, type(exc).__name__)
                return
            await self._db(outbox.mark_sent, row.id, self.clock())
            report.sent += 1
            report.kinds[row.kind] = report.kinds.get(row.kind, 0) + 1
            metrics.NOTIFY_SENT.labels(row.kind).inc()
        finally:
            slots.release()
            if progress is not None:
                progress(report)

    async def _failed(self, row: outbox.Due, report: DrainReport, reason: str,
                      transient: bool) -> None:
        if transient and row.attempts + 1 < MAX_ATTEMPTS:
            backoff = timedelta(seconds=min(3600, 5 * 2 ** row.attempts))
            await self._db(outbox.defer, row.id, self.clock() + backoff, error=reason,
                           count_attempt=True)
            return
        await self._db(outbox.fail, row.id, reason)
        report.failed += 1
        metrics.NOTIFY_FAILED.inc()


class LeaseLost(RuntimeError):
    """Another sender took the lease over (this one stalled longer than its lifetime)."""


def _count_later(session, now: datetime, channels: set[str]) -> int:
    return outbox.count_later(session, now, channels)


# ------------------------------------------------------------------- inside `hajibot run`


async def run_forever(sender: Sender, stop: asyncio.Event, *, poll_s: float = 2.0) -> None:
    """The background sender of `hajibot run`: drains what is due every `poll_s` while it
    holds the lease (another process may hold it: then it waits its turn)."""
    why = reminders_off_reason(sender.policy or _policy())
    if why:
        log.warning("notify: %s", why)
    async with contextlib.AsyncExitStack() as stack:
        for channel in sender.channels.values():
            if hasattr(channel, "__aenter__"):
                await stack.enter_async_context(channel)
        await _rounds(sender, stop, poll_s)


async def _rounds(sender: Sender, stop: asyncio.Event, poll_s: float) -> None:
    while not stop.is_set():
        try:
            report = await sender.drain(max_wait_s=poll_s, stop=stop)
            if report.sent or report.failed or report.dropped_blocked:
                log.info("notify: %s", report.as_dict())
        except LeaseLost:
            log.warning("notify: another sender took the lease over")
        except Exception:  # log.exception reports it; the next round tries again
            log.exception("notify: sender round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll_s)


def _policy() -> dict:
    from integration.notify_queue import season_policy

    return season_policy()


NOTIFY_TASK = "notify_task"
NOTIFY_STOP = "notify_stop"


def start_background(app, services, whatsapp=None) -> None:
    """Start the background sender on `app` (keys NOTIFY_TASK / NOTIFY_STOP of its caches);
    `whatsapp`: the Application's WhatsAppChannel when WhatsApp is configured."""
    from bot.notify_channel import TelegramChannel

    settings = services.settings
    channels: dict[str, NotifyChannel] = {"telegram": TelegramChannel(app.bot, settings)}
    if whatsapp is not None:
        from bot.channels.whatsapp_notify import WhatsAppNotifyChannel

        channels["whatsapp"] = WhatsAppNotifyChannel(whatsapp)
    sender = Sender(services.db, channels,
                    rate=settings.notify_rate, quiet_hours=settings.notify_quiet_hours,
                    clock=services.clock, lease_ttl_s=settings.inbox_claim_timeout_s)
    stop = asyncio.Event()
    app.bot_data.caches[NOTIFY_STOP] = stop
    app.bot_data.caches[NOTIFY_TASK] = asyncio.create_task(run_forever(sender, stop),
                                                           name="notify-sender")


async def stop_background(app) -> None:
    stop = app.bot_data.caches.pop(NOTIFY_STOP, None)
    task = app.bot_data.caches.pop(NOTIFY_TASK, None)
    if stop is not None:
        stop.set()
    if task is not None:
        try:
            await asyncio.wait_for(task, timeout=10)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()
