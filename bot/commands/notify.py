"""`hajibot notify drain | announce | stats`: the notification outbox from the command line.

drain: sends what is due (a progress bar with rate and ETA on a terminal) and exits; prints
sent, deferred, failed and dropped-blocked counts (`--json`: one object). Exit 3 when another
sender (`hajibot run`) holds the lease. announce: queues an operator's text file to the
matching subscribers (refused before anything is queued when empty, not UTF-8 or too long).
stats: queued by kind, sent today, oldest pending age, whether reminders are on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("notify", help="notifications: drain, announce, stats")
    nsub = p.add_subparsers(dest="notify_command", required=True)
    dr = nsub.add_parser("drain", help="send the notifications that are due, then exit")
    dr.add_argument("--json", action="store_true", help="one JSON object with the counts")
    dr.add_argument("--max-wait", type=float, default=60.0,
                    help="wait for rows falling due within this many seconds (default 60)")
    dr.set_defaults(func=_drain)
    an = nsub.add_parser("announce", help="queue an operator's message to subscribers")
    an.add_argument("--text-file", required=True, type=Path, help="UTF-8 text, sent as-is")
    an.add_argument("--province", help="only porsi of this province (name or BPS code)")
    an.add_argument("--kabkota", help="only porsi of this kab/kota (name or BPS code)")
    an.add_argument("--season", type=int, help="only porsi estimated for or allocated to this "
                                               "Hijri season, e.g. 1448")
    an.add_argument("--dry-run", action="store_true", help="say how many chats; queue nothing")
    an.set_defaults(func=_announce)
    st = nsub.add_parser("stats", help="queued by kind, sent today, oldest pending age")
    st.add_argument("--json", action="store_true", help="one JSON object")
    st.set_defaults(func=_stats)


def _db():
    from bot.settings import get_settings
    from db.engine import Database

    settings = get_settings()
    return Database(settings.database_url), settings


_NOT_READY = "the database has no notification tables yet: run `hajibot db upgrade` first"


def _stats(args) -> int:
    from sqlalchemy.exc import DBAPIError

    from db import repos_notify, repos_notify_outbox
    from integration.notify_queue import season_policy
    from knowledge.notify import reminders_off_reason

    db, _ = _db()
    now = datetime.now(UTC)
    try:
        with db.session() as s:
            figures = repos_notify.stats(s, now)
            figures["sender"] = repos_notify_outbox.lease_holder(s, now)
    except DBAPIError:
        print(_NOT_READY, file=sys.stderr)
        return 1
    finally:
        db.dispose()
    why = reminders_off_reason(season_policy())
    figures["reminders"] = "off" if why else "on"
    figures["reminders_off_reason"] = why
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return 0
    age = figures["oldest_pending_age_s"]
    print(f"queued: {figures['queued']} (not yet due: {figures['deferred']})")
    for kind, n in sorted(figures["queued_by_kind"].items()):
        print(f"  {kind}: {n}")
    for channel, n in sorted(figures["queued_by_channel"].items()):
        print(f"  on {channel}: {n}")
    print(f"sent today (UTC): {figures['sent_today']}")
    print(f"oldest pending: {'none' if age is None else f'{age:.0f} s'}")
    print(f"subscriptions: {figures['subscriptions']} in {figures['subscribed_chats']} chats")
    print("states: " + ", ".join(f"{k} {v}" for k, v in sorted(figures["states"].items())))
    print(f"sender: {figures['sender'] or 'none running'}")
    print(f"reminders: {figures['reminders']}" + (f" ({why})" if why else ""))
    return 0


def _announce(args) -> int:
    from integration.notify_plan import AnnouncementError, announce, read_announcement

    try:
        raw = args.text_file.read_bytes()
    except OSError as exc:
        print(f"cannot read {args.text_file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        text = read_announcement(raw)
    except AnnouncementError as exc:
        print(f"refused, nothing queued: {exc}", file=sys.stderr)
        return 2
    db, _ = _db()
    try:
        plan = announce(db, text, province=args.province, kabkota=args.kabkota,
                        season=args.season, dry_run=args.dry_run)
    finally:
        db.dispose()
    if args.dry_run:
        print(f"dry run: {plan.chats} chats match {plan.filters or 'no filter'}; nothing queued")
    else:
        again = plan.chats - plan.queued
        print(f"queued to {plan.queued} chats (announcement {plan.announcement_id})"
              + (f"; {again} already had this text queued or sent" if again else ""))
    return 0


def _drain(args) -> int:
    from bot.settings import get_settings

    settings = get_settings()
    from bot.app import whatsapp_configured

    if settings.telegram_token is None and not whatsapp_configured(settings):
        print("notify drain needs HAJIBOT_TELEGRAM_TOKEN or the WhatsApp settings "
              "(HAJIBOT_WHATSAPP_TOKEN, HAJIBOT_WHATSAPP_PHONE_ID): it sends through them",
              file=sys.stderr)
        return 2
    report = asyncio.run(_run_drain(settings, args))
    if report.busy:
        print(f"another sender is running ({report.busy}); it sends the outbox",
              file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps(report.as_dict()))
    else:
        d = report.as_dict()
        print(f"sent {d['sent']}, deferred {d['deferred']}, failed {d['failed']}, "
              f"dropped-blocked {d['dropped_blocked']} ({d['unsubscribed_blocked']} "
              f"subscriptions removed), 429 retried {d['retried_429']}, unknown {d['unknown']}"
              f" in {d['seconds']} s ({d['rate_per_s']}/s)")
    return 0


async def _run_drain(settings, args):
    """Sends through the channels configured: Telegram with a token, WhatsApp with its
    settings; rows of a channel not configured stay pending for a sender that has it."""
    from contextlib import AsyncExitStack

    from bot.app import build_application, whatsapp_configured
    from bot.notify_channel import TelegramChannel
    from bot.notify_sender import Sender
    from db.engine import Database

    db = Database(settings.database_url)
    async with AsyncExitStack() as stack:
        stack.callback(db.dispose)
        channels = {}
        if settings.telegram_token is not None:
            app = build_application(settings, notify_sender=False)
            await app.initialize()
            stack.push_async_callback(app.shutdown)
            channels["telegram"] = await stack.enter_async_context(
                TelegramChannel(app.bot, settings))
        if whatsapp_configured(settings):
            from bot.channels.whatsapp import WhatsAppChannel
            from bot.channels.whatsapp_notify import WhatsAppNotifyChannel

            whatsapp = WhatsAppChannel(settings)
            whatsapp.db = db
            stack.push_async_callback(whatsapp.close)
            channels["whatsapp"] = WhatsAppNotifyChannel(whatsapp)
        sender = Sender(db, channels, rate=settings.notify_rate,
                        quiet_hours=settings.notify_quiet_hours,
                        lease_ttl_s=settings.inbox_claim_timeout_s)
        with _progress(enabled=sys.stdout.isatty() and not args.json, db=db) as progress:
            return await sender.drain(max_wait_s=args.max_wait, progress=progress)


class _progress:
    """A rich progress bar (rate, ETA) over the rows due at the start, on a terminal."""

    def __init__(self, *, enabled: bool, db):
        self.enabled, self.db, self.bar = enabled, db, None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )
        from sqlalchemy import func, select

        from db.models.notify import Notification

        with self.db.session() as s:
            total = s.scalar(select(func.count()).select_from(Notification).where(
                Notification.state == "pending",
                Notification.due_at <= datetime.now(UTC))) or 0
        self.bar = Progress(TextColumn("notify"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[rate]:.1f} msg/s"),
                            TimeRemainingColumn())
        self.bar.start()
        task = self.bar.add_task("send", total=total, rate=0.0)
        started = datetime.now(UTC)

        def update(report) -> None:
            elapsed = max((datetime.now(UTC) - started).total_seconds(), 1e-6)
            done = report.sent + report.failed + report.dropped_blocked
            self.bar.update(task, completed=done, rate=report.sent / elapsed)

        return update

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
