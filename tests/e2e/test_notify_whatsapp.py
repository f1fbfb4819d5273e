"""Notifications over WhatsApp end to end: /pantau and its buttons on WhatsApp, a mirror write
queues, the sender delivers through the WhatsApp notify channel to the fake Cloud API (inside
the 24-hour window the text, outside it the approved template), rate limits, an unreachable
recipient, sensitive kinds to verified chats only, both channels in one drain, /hapusdata."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta

from aiohttp import web
from sqlalchemy import func, select

from bot.channels.whatsapp_fake import PHONE_ID, cloud_app
from bot.channels.whatsapp_notify import WhatsAppNotifyChannel
from bot.notify_channel import TelegramChannel
from bot.notify_sender import Sender
from db import repos_notify
from db.models.notify import Notification
from db.models.verification import VerifiedLink
from integration import mirror
from tests.e2e.harness import BotHarness, mirror_gateway
from tests.e2e.test_notify import LATER, P1, P2, MovingClock, _change, _seed
from tests.e2e.whatsapp_harness import WhatsAppHarness
from tests.integration._mirrorrows import row, write

PERSON, OTHER = 111, 112
TEMPLATE = "hajibot_pemberitahuan"


def _harness(url: str | None = None, **settings) -> WhatsAppHarness:
    overrides = {"notify_quiet_hours": "", "throttle_burst": 1000} | settings
    return WhatsAppHarness(db_url=url, gateway=mirror_gateway, settings_overrides=overrides,
                           clock=MovingClock())


def _sender(h: WhatsAppHarness, *, telegram: bool = False, whatsapp: bool = True,
            **kw) -> Sender:
    channels = {}
    if telegram:
        channels["telegram"] = TelegramChannel(h.app.bot)
    if whatsapp:
        channels["whatsapp"] = WhatsAppNotifyChannel(h.channel, rate_limit_wait_s=1.0)
    return Sender(h.db, channels, rate=200, quiet_hours=h.settings.notify_quiet_hours,
                  clock=h.clock, lease_ttl_s=30, **kw)


def _verify(h: WhatsAppHarness, person: int, porsi: str = P1) -> None:
    chat = h.chat_of(person)
    now = datetime.now(UTC).replace(tzinfo=None)
    with h.db.session() as s:
        s.add(VerifiedLink(chat_id=chat, user_id=chat, porsi=porsi, verified_at=now,
                           expires_at=now + timedelta(days=30)))


def _states(h: WhatsAppHarness) -> dict:
    with h.db.session() as s:
        return dict(s.execute(select(Notification.state, func.count())
                              .group_by(Notification.state)).all())


async def test_pantau_by_command_and_button_on_whatsapp(tmp_path):
    async with _harness(notify_max_per_chat=2) as h:
        _seed(h, tmp_path, P1, P2, "1700000003")
        r = await h.send(PERSON, f"/pantau {P1}")
        assert "sekarang dipantau" in r.text and P1 in r.text
        r = await h.send(PERSON, f"/porsi {P2}")
        assert "🔔 Pantau porsi ini" in r.buttons
        r = await h.press("🔔 Pantau porsi ini")
        assert "sekarang dipantau" in r.text and P2 in r.text
        chat = h.chat_of(PERSON)
        with h.db.session() as s:
            assert [w.porsi for w in repos_notify.subscriptions(s, chat, "whatsapp")] == [P1, P2]
            assert repos_notify.subscriptions(s, chat) == []  # nothing under Telegram
        # the same limit and bad-input replies as on Telegram
        assert "paling banyak 2 porsi" in (await h.send(PERSON, "/pantau 1700000003")).text
        bad = await h.send(OTHER, "/pantau 12345")
        assert bad.text == (await h.send(OTHER, "/porsi 12345")).text
        r = await h.send(PERSON, "/pantau")
        assert P1 in r.text and P2 in r.text
        r = await h.press(f"🔕 Berhenti {P1}")
        assert "tidak dipantau lagi" in r.text
        with h.db.session() as s:
            assert [w.porsi for w in repos_notify.subscriptions(s, chat, "whatsapp")] == [P2]


async def test_inside_the_window_the_text_outside_it_the_template(tmp_path):
    async with _harness() as h:
        _seed(h, tmp_path)
        await h.send(PERSON, f"/pantau {P1}")
        await h.send(PERSON, f"/pantau {P2}")
        since = h.cloud.seq
        _change(h, tmp_path, kuotapropinsi="800", berangkathijriah="1460",
                berangkatmasehi="2038")
        report = await _sender(h).drain(max_wait_s=0)
        assert report.sent == 1 and report.failed == 0
        [post] = h.cloud.to(h.recipient(PERSON), since)
        assert post.type == "text" and post.template is None
        assert "*Perkiraan berangkat berubah*" in post.text and "1460 H" in post.text
        assert "17000…01" in post.text and P1 not in post.text
        # a day later, no message from the person: the approved template, once
        h.clock.advance(hours=25)
        since = h.cloud.seq
        mirror.import_csv(h.db, write(tmp_path / "c.csv", [row(P2, LATER, status_jemaah="BATAL")]))
        report = await _sender(h).drain(max_wait_s=0)
        assert report.sent == 1
        [post] = h.cloud.to(h.recipient(PERSON), since)
        assert post.template == TEMPLATE
        [component] = post.body["template"]["components"]
        assert component["type"] == "body"
        assert component["parameters"] == [{"type": "text",
                                            "text": "status porsi 17000…02 berubah"}]
        assert (await _sender(h).drain(max_wait_s=0)).sent == 0  # never twice


async def test_rate_limit_is_honoured_and_the_note_delivered_once(tmp_path):
    async with _harness() as h:
        _seed(h, tmp_path)
        await h.send(PERSON, f"/pantau {P1}")
        since = h.cloud.seq
        h.cloud.rate_limit()
        _change(h, tmp_path, status_jemaah="WAFAT")
        started = time.monotonic()
        report = await _sender(h).drain(max_wait_s=5)
        assert time.monotonic() - started >= 1.0  # paused before sending again
        assert report.retried_429 == 1 and report.sent == 1
        posts = h.cloud.to(h.recipient(PERSON), since)
        assert len(posts) == 1 and "Innalillahi" in posts[0].text
        assert _states(h) == {"sent": 1}


async def test_an_unreachable_recipient_unsubscribes(tmp_path):
    async with _harness() as h:
        _seed(h, tmp_path)
        await h.send(PERSON, f"/pantau {P1}")
        await h.send(OTHER, f"/pantau {P1}")
        h.cloud.fail(131026, status=400, message="Message undeliverable")
        _change(h, tmp_path, status_jemaah="WAFAT")
        report = await _sender(h).drain(max_wait_s=2)
        assert report.dropped_blocked == 1 and report.unsubscribed_blocked == 1
        assert report.sent == 1
        with h.db.session() as s:
            left = [repos_notify.subscriptions(s, h.chat_of(p), "whatsapp")
                    for p in (PERSON, OTHER)]
        assert sorted(len(x) for x in left) == [0, 1]


async def test_a_server_error_is_tried_again_later_without_retries_inside(tmp_path):
    async with _harness() as h:
        _seed(h, tmp_path)
        await h.send(PERSON, f"/pantau {P1}")
        before = len(h.cloud.requests)
        h.cloud.fail(131000, status=500)
        _change(h, tmp_path, status_jemaah="WAFAT")
        report = await _sender(h).drain(max_wait_s=0)
        assert report.sent == 0 and report.deferred == 1
        assert len(h.cloud.requests) == before + 1  # one call: the sender is the retry layer
        h.clock.advance(seconds=10)
        assert (await _sender(h).drain(max_wait_s=0)).sent == 1


async def test_sensitive_news_to_verified_whatsapp_chats_only(tmp_path):
    async with _harness() as h:
        _seed(h, tmp_path)
        await h.send(PERSON, f"/pantau {P1}")
        await h.send(OTHER, f"/pantau {P1}")
        _verify(h, PERSON)
        since = h.cloud.seq
        _change(h, tmp_path, status_istithaah="TIDAK ISTITHAAH SEMENTARA")
        report = await _sender(h).drain(max_wait_s=0)
        assert report.sent == 1
        assert h.cloud.to(h.recipient(OTHER), since) == []
        posts = h.cloud.to(h.recipient(PERSON), since)
        text = " ".join(p.text for p in posts)
        assert "Ada pembaruan data kesehatan untuk porsi 17000…01" in text
        assert "TIDAK" not in text.upper() and P1 not in text
        assert any("Lihat rincian" in b for p in posts for b in p.buttons)
        r = await h.press("Lihat rincian (verifikasi)", chat_id=PERSON)
        assert "tidak istithaah sementara" in r.text.lower()  # verified: the detail
        # the button checks again: once the verification is gone, no detail
        with h.db.session() as s:
            s.query(VerifiedLink).delete()
        r = await h.press("Lihat rincian (verifikasi)", chat_id=PERSON)
        assert "tidak istithaah sementara" not in r.text.lower()


async def test_sensitive_template_outside_the_window_carries_no_detail(tmp_path):
    async with _harness() as h:
        _seed(h, tmp_path)
        await h.send(PERSON, f"/pantau {P1}")
        _verify(h, PERSON)
        h.clock.advance(hours=30)
        since = h.cloud.seq
        _change(h, tmp_path, status_istithaah="TIDAK ISTITHAAH SEMENTARA")
        assert (await _sender(h).drain(max_wait_s=0)).sent == 1
        [post] = h.cloud.to(h.recipient(PERSON), since)
        assert post.template == TEMPLATE
        sent = json.dumps(post.body, ensure_ascii=False)
        assert "ada pembaruan data kesehatan untuk porsi 17000…01" in sent
        assert "TIDAK" not in sent.upper() and "ISTITHAAH" not in sent.upper()
        assert P1 not in sent


async def test_one_drain_with_both_channels_sends_each_row_once(tmp_path):
    async with _harness() as h:
        _seed(h, tmp_path)
        await BotHarness.send(h, 21, f"/pantau {P1}")  # a Telegram person
        await h.send(PERSON, f"/pantau {P1}")
        tg_since, wa_since = h.api.seq, h.cloud.seq
        _change(h, tmp_path, status_jemaah="WAFAT")
        report = await _sender(h, telegram=True).drain(max_wait_s=0)
        assert report.sent == 2
        assert len([s for s in h.api.sent_to(21, since=tg_since) if "Innalillahi" in s.text]) == 1
        assert len(h.cloud.to(h.recipient(PERSON), wa_since)) == 1
        assert (await _sender(h, telegram=True).drain(max_wait_s=0)).sent == 0


async def test_without_whatsapp_its_rows_wait_pending(tmp_path):
    async with _harness() as h:
        _seed(h, tmp_path)
        await h.send(PERSON, f"/pantau {P1}")
        since = h.cloud.seq
        _change(h, tmp_path, status_jemaah="WAFAT")
        started = time.monotonic()
        report = await _sender(h, telegram=True, whatsapp=False).drain(max_wait_s=5)
        assert time.monotonic() - started < 3  # not waiting on a row it cannot send
        assert report.sent == 0 and _states(h) == {"pending": 1}
        with h.db.session() as s:
            figures = repos_notify.stats(s, h.clock())
        assert figures["queued"] == 1 and figures["queued_by_channel"] == {"whatsapp": 1}
        assert h.cloud.to(h.recipient(PERSON), since) == []
        assert (await _sender(h).drain(max_wait_s=0)).sent == 1


async def test_the_applications_background_sender_has_whatsapp(tmp_path):
    async with WhatsAppHarness(gateway=mirror_gateway, notify_sender=True, clock=MovingClock(),
                               settings_overrides={"notify_quiet_hours": ""}) as h:
        _seed(h, tmp_path)
        await h.send(PERSON, f"/pantau {P1}")
        since = h.cloud.seq
        _change(h, tmp_path, status_jemaah="BATAL")
        for _ in range(60):
            if h.cloud.to(h.recipient(PERSON), since):
                break
            await asyncio.sleep(0.1)
        assert "batal" in h.cloud.to(h.recipient(PERSON), since)[0].text


async def test_hapusdata_removes_whatsapp_subscriptions_and_pending_rows(tmp_path):
    async with _harness() as h:
        _seed(h, tmp_path)
        await h.send(PERSON, f"/pantau {P1}")
        await h.send(OTHER, f"/pantau {P1}")
        chat = h.chat_of(PERSON)
        _change(h, tmp_path, status_jemaah="WAFAT")  # queued, not sent
        await h.send(PERSON, "/hapusdata")
        r = await h.press("Ya, hapus")
        assert "dihapus" in r.text.lower()
        with h.db.session() as s:
            assert repos_notify.subscriptions(s, chat, "whatsapp") == []
            assert s.scalar(select(func.count()).select_from(Notification)
                            .where(Notification.chat_id == chat)) == 0
            assert len(repos_notify.subscriptions(s, h.chat_of(OTHER), "whatsapp")) == 1
        since = h.cloud.seq
        assert (await _sender(h).drain(max_wait_s=0)).sent == 1  # the other person only
        assert h.cloud.to(h.recipient(PERSON), since) == []


async def test_notify_drain_command_sends_over_whatsapp(tmp_path, sqlite_url):
    """`hajibot notify drain` with the WhatsApp settings and no Telegram token, over HTTP to
    the fake Cloud API."""
    async with _harness(sqlite_url) as h:
        _seed(h, tmp_path)
        await h.send(PERSON, f"/pantau {P1}")
        since = h.cloud.seq
        _change(h, tmp_path, status_jemaah="WAFAT")
        runner = web.AppRunner(cloud_app(h.cloud))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("HAJIBOT_")}
        env |= {"HAJIBOT_DATABASE_URL": sqlite_url, "HAJIBOT_NOTIFY_QUIET_HOURS": "",
                "HAJIBOT_WHATSAPP_TOKEN": "test-token", "HAJIBOT_WHATSAPP_PHONE_ID": PHONE_ID,
                "HAJIBOT_WHATSAPP_BASE_URL": f"http://127.0.0.1:{port}"}
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "notify", "drain", "--json", "--max-wait", "0",
                env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            out, err = await proc.communicate()
        finally:
            await runner.cleanup()
        assert proc.returncode == 0, err.decode()
        assert json.loads(out)["sent"] == 1
        [post] = h.cloud.to(h.recipient(PERSON), since)
        assert "Innalillahi" in post.text
        assert _states(h) == {"sent": 1}


async def test_metas_closed_window_falls_back_to_the_template_and_bad_requests_fail(tmp_path):
    async with _harness() as h:
        _seed(h, tmp_path)
        await h.send(PERSON, f"/pantau {P1}")
        await h.send(PERSON, f"/pantau {P2}")
        since = h.cloud.seq
        h.cloud.fail(131047, status=400, message="Re-engagement message")
        _change(h, tmp_path, status_jemaah="WAFAT")
        assert (await _sender(h).drain(max_wait_s=0)).sent == 1
        assert [p.template for p in h.cloud.to(h.recipient(PERSON), since)] == [TEMPLATE]
        h.cloud.fail(100, status=400, message="Invalid parameter")
        mirror.import_csv(h.db, write(tmp_path / "c.csv", [row(P2, LATER, status_jemaah="BATAL")]))
        report = await _sender(h).drain(max_wait_s=0)
        assert report.failed == 1 and report.sent == 0
        assert _states(h) == {"sent": 1, "failed": 1}


async def test_a_whatsapp_rate_limit_does_not_hold_telegram_back(tmp_path):
    async with _harness() as h:
        _seed(h, tmp_path)
        await BotHarness.send(h, 21, f"/pantau {P1}")
        await h.send(PERSON, f"/pantau {P1}")
        tg_since = h.api.seq
        h.cloud.rate_limit()
        _change(h, tmp_path, status_jemaah="WAFAT")
        sender = _sender(h, telegram=True)
        sender.channels["whatsapp"].rate_limit_wait_s = 30.0
        started = time.monotonic()
        report = await sender.drain(max_wait_s=2)
        assert time.monotonic() - started < 10
        assert report.sent == 1 and report.retried_429 == 1
        assert len(h.api.sent_to(21, since=tg_since)) == 1
        assert _states(h) == {"sent": 1, "pending": 1}  # WhatsApp's row waits its turn
