"""Notifications end to end: /pantau through the real Application, a mirror write queues, the
sender delivers through the Application's Bot to the fake Bot API (429, 403, quiet hours,
sensitive kinds, a restart)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.notify_channel import TelegramChannel
from bot.notify_sender import Sender
from db import repos_notify
from db.models.notify import Notification
from db.models.verification import VerifiedLink
from integration import mirror
from tests.e2e.harness import WIB, BotHarness, FakeClock, mirror_gateway
from tests.fakes.botapi import serve_http
from tests.integration._mirrorrows import row, write

P1, P2 = "1700000001", "1700000002"
LATER = "2024-04-01T10:00:00+07:00"


class MovingClock(FakeClock):
    """Real time plus an offset: rows are queued at the real time of a mirror write."""

    def __init__(self):
        super().__init__()
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(WIB) + self.offset

    def advance(self, seconds: float = 0, **kw: float) -> datetime:
        self.offset += timedelta(seconds=seconds, **kw)
        return self()

    def set(self, when: datetime) -> None:
        self.offset = when - datetime.now(WIB)


def _harness(url: str | None = None, **settings) -> BotHarness:
    overrides = {"notify_quiet_hours": ""} | settings
    return BotHarness(db_url=url, gateway=mirror_gateway, settings_overrides=overrides,
                      clock=MovingClock())


def _sender(h: BotHarness, **kw) -> Sender:
    kw.setdefault("rate", 200)
    kw.setdefault("quiet_hours", h.settings.notify_quiet_hours)
    return Sender(h.db, {"telegram": TelegramChannel(h.app.bot)}, clock=h.clock,
                  lease_ttl_s=30, **kw)


def _seed(h: BotHarness, tmp_path, *porsi: str) -> None:
    mirror.import_csv(h.db, write(tmp_path / "a.csv", [row(p) for p in porsi or (P1, P2)]))


def _change(h: BotHarness, tmp_path, name: str = "b.csv", **values) -> None:
    mirror.import_csv(h.db, write(tmp_path / name, [row(P1, LATER, **values)]))


async def test_pantau_command_button_list_and_stop(tmp_path):
    async with _harness() as h:
        _seed(h, tmp_path)
        r = await h.send(21, f"/pantau {P1}")
        assert "sekarang dipantau" in r.text and P1 in r.text
        r = await h.send(21, f"/porsi {P2}")
        assert "🔔 Pantau porsi ini" in r.buttons
        r = await h.press("🔔 Pantau porsi ini")
        assert "sekarang dipantau" in r.text and P2 in r.text
        r = await h.send(21, f"/pantau {P1}")
        assert "sudah dipantau" in r.text
        r = await h.send(21, "/pantau")
        assert P1 in r.text and P2 in r.text
        assert f"🔕 Berhenti {P1}" in r.buttons
        r = await h.press(f"🔕 Berhenti {P1}")
        assert "tidak dipantau lagi" in r.text
        with h.db.session() as s:
            assert [w.porsi for w in repos_notify.subscriptions(s, 21)] == [P2]


async def test_pantau_bad_input_same_replies_as_status_and_limit(tmp_path):
    async with _harness(notify_max_per_chat=1) as h:
        _seed(h, tmp_path)
        bad_pantau = await h.send(22, "/pantau 12345")
        bad_status = await h.send(22, "/porsi 12345")
        assert bad_pantau.text == bad_status.text
        unknown = await h.send(22, "/pantau 1799999999")
        assert unknown.text == (await h.send(22, "/porsi 1799999999")).text
        assert "tidak ditemukan" in unknown.text.lower() or "tidak ada" in unknown.text.lower()
        await h.send(22, f"/pantau {P1}")
        r = await h.send(22, f"/pantau {P2}")
        assert "paling banyak 1 porsi" in r.text
        english = await h.send(23, f"/pantau {P1}", language_code="en")
        assert "is now watched" in english.text


async def test_pantau_alone_then_the_number_watches_it(tmp_path):
    async with _harness() as h:
        _seed(h, tmp_path)
        r = await h.send(24, "/pantau")
        assert "belum memantau" in r.text and "Kirim nomor porsi" in r.text
        r = await h.send(24, f"porsi ibu saya {P1}")
        assert "sekarang dipantau" in r.text and P1 in r.text
        r = await h.send(24, P2)  # the wait is over: a porsi now is a status check
        assert "sekarang dipantau" not in r.text
        await h.send(24, "/pantau")  # watching one: the list, and no wait for a number
        r = await h.send(24, P2)
        assert "sekarang dipantau" not in r.text
        with h.db.session() as s:
            assert [w.porsi for w in repos_notify.subscriptions(s, 24)] == [P1]
        await h.send(25, "/pantau")
        r = await h.send(25, "batal")
        assert "sudah diakhiri" in r.text
        await h.send(25, "/pantau")
        r = await h.send(25, "apa itu living cost?")  # a question: answered, the wait ends
        assert h.outcome()["topic"] == "living-cost"
        with h.db.session() as s:
            assert repos_notify.subscriptions(s, 25) == []


async def test_sync_change_reaches_the_subscriber_once(tmp_path):
    async with _harness() as h:
        _seed(h, tmp_path)
        await h.send(31, f"/pantau {P1}")
        await h.send(32, f"/pantau {P1}", language_code="en")
        since = h.api.seq
        _change(h, tmp_path, kuotapropinsi="800", berangkathijriah="1460",
                berangkatmasehi="2038")
        report = await _sender(h).drain(max_wait_s=0)
        assert report.sent == 2 and report.failed == 0
        sent = h.api.sent_to(since=since)
        to31 = [s for s in sent if s.chat_id == 31]
        assert len(to31) == 1
        text = to31[0].text
        assert "17000…01" in text and P1 not in text
        assert "1452 H" in text and "1460 H" in text and "kuota wilayah berubah" in text
        assert "1.600" in text and "800" in text
        assert "Estimated departure changed" in next(s for s in sent if s.chat_id == 32).text
        # the same data again: nothing queued, nothing sent
        _change(h, tmp_path, "c.csv", kuotapropinsi="800", berangkathijriah="1460",
                berangkatmasehi="2038")
        since = h.api.seq
        again = await _sender(h).drain(max_wait_s=0)
        assert again.sent == 0 and h.api.sent_to(since=since) == []


async def test_status_card_says_how_the_estimate_moved(tmp_path):
    async with _harness() as h:
        _seed(h, tmp_path)
        await h.send(33, f"/porsi {P1}")
        _change(h, tmp_path, kuotapropinsi="800", berangkathijriah="1460",
                berangkatmasehi="2038")
        r = await h.send(33, f"/porsi {P1}")
        assert "Sejak terakhir Anda cek" in r.text
        assert "1452 H" in r.text and "kuota wilayah berubah dari 1.600 menjadi 800" in r.text
        r = await h.send(33, f"/porsi {P1}")
        assert "Sejak terakhir" not in r.text  # told once


async def test_429_is_honoured_and_403_unsubscribes(tmp_path):
    async with _harness() as h:
        _seed(h, tmp_path)
        for chat in (41, 42, 43):
            await h.send(chat, f"/pantau {P1}")
        h.api.block(43)
        h.api.fail_next("sendMessage", retry_after=1)
        _change(h, tmp_path, status_jemaah="WAFAT")
        started = time.monotonic()
        report = await _sender(h).drain(max_wait_s=5)
        assert time.monotonic() - started >= 1.0  # waited retry_after before sending again
        assert report.retried_429 == 1 and report.sent == 2
        assert report.dropped_blocked == 1 and report.unsubscribed_blocked == 1
        with h.db.session() as s:
            assert repos_notify.subscriptions(s, 43) == []
            states = dict(s.execute(select(Notification.state, func.count())
                                    .group_by(Notification.state)).all())
        assert states == {"sent": 2, "blocked": 1}
        texts = [s.text for s in h.api.sent if s.chat_id in (41, 42) and "Innalillahi" in s.text]
        assert len(texts) == 2  # 0 duplicates after the 429


async def test_sensitive_news_only_to_verified_and_without_details(tmp_path):
    async with _harness() as h:
        _seed(h, tmp_path)
        await h.send(51, f"/pantau {P1}")
        await h.send(52, f"/pantau {P1}")
        now = datetime.now(UTC).replace(tzinfo=None)
        with h.db.session() as s:
            s.add(VerifiedLink(chat_id=51, user_id=51, porsi=P1, verified_at=now,
                               expires_at=now + timedelta(days=30)))
        since = h.api.seq
        _change(h, tmp_path, status_istithaah="TIDAK ISTITHAAH SEMENTARA")
        report = await _sender(h).drain(max_wait_s=0)
        assert report.sent == 1
        sent = h.api.sent_to(since=since)
        assert [s.chat_id for s in sent] == [51]
        text = sent[0].text
        assert "Ada pembaruan data kesehatan untuk porsi 17000…01" in text
        assert "ISTITHAAH" not in text.upper().replace("ISTITHAAH", "", 0) or "TIDAK" not in text
        assert "TIDAK" not in text.upper() and P1 not in text
        r = await h.press("Lihat rincian (verifikasi)", chat_id=51)
        assert "tidak istithaah sementara" in r.text.lower()  # verified: the detail


async def test_quiet_hours_defer_and_never_drop(tmp_path):
    async with _harness(notify_quiet_hours="21:00-06:00") as h:
        _seed(h, tmp_path)
        await h.send(61, f"/pantau {P1}")
        _change(h, tmp_path, status_jemaah="WAFAT")
        real = datetime.now(WIB)
        night = (real + timedelta(days=1)).replace(hour=22, minute=30, second=0, microsecond=0)
        h.clock.set(night)
        report = await _sender(h).drain(max_wait_s=0)
        assert report.sent == 0 and report.deferred == 1
        h.clock.set(night.replace(hour=5, minute=59) + timedelta(days=1))
        assert (await _sender(h).drain(max_wait_s=0)).sent == 0
        h.clock.set(night.replace(hour=6, minute=1) + timedelta(days=1))
        assert (await _sender(h).drain(max_wait_s=0)).sent == 1


TOKEN = "123:notify-test"


async def _drain_cli(url: str, base_url: str, *extra: str):
    env = dict(os.environ, HAJIBOT_DATABASE_URL=url, HAJIBOT_TELEGRAM_TOKEN=TOKEN,
               HAJIBOT_TELEGRAM_BASE_URL=base_url, HAJIBOT_NOTIFY_QUIET_HOURS="",
               HAJIBOT_NOTIFY_RATE="30", HAJIBOT_INBOX_CLAIM_TIMEOUT_S="2")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "notify", "drain", "--json", *extra, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def _killed_and_restarted(url: str, tmp_path) -> None:
    """`hajibot notify drain` SIGKILLed right after Telegram took its 10th message, then run
    again: every subscriber has the message exactly once."""
    async with _harness(url) as h:
        _seed(h, tmp_path)
        chats = list(range(100, 140))
        for chat in chats:
            await h.send(chat, f"/pantau {P1}")
        _change(h, tmp_path, status_jemaah="WAFAT")
        runner, base_url = await serve_http(h.api, token=TOKEN)
        try:
            first = await _drain_cli(url, base_url)
            original = h.api.call_sync

            def kill_at_tenth(method, params, files=None):
                out = original(method, params, files)
                if method == "sendMessage" and len(_received(h)) == 10:
                    os.kill(first.pid, signal.SIGKILL)
                return out

            h.api.call_sync = kill_at_tenth
            out1, err1 = await first.communicate()
            assert first.returncode == -signal.SIGKILL, (out1, err1)
            h.api.call_sync = original
            await asyncio.sleep(2.5)  # the dead sender's lease lapses
            second = await _drain_cli(url, base_url)
            out, err = await second.communicate()
            assert second.returncode == 0, err.decode()
            report = json.loads(out)
        finally:
            await runner.cleanup()
        got = sorted(int(c) for c in _received(h))
        assert got == chats  # 0 lost, 0 duplicates
        assert report["sent"] + report["unknown"] >= len(chats) - 10


def _received(h: BotHarness) -> list:
    return [c.params["chat_id"] for c in h.api.log if c.method == "sendMessage" and c.ok
            and "Innalillahi" in str(c.params.get("text"))]


async def test_killed_drain_restart_sqlite(tmp_path, sqlite_url):
    await _killed_and_restarted(sqlite_url, tmp_path)


async def test_killed_drain_restart_postgres(tmp_path, pg_url):
    await _killed_and_restarted(pg_url, tmp_path)


async def test_background_sender_of_the_application(tmp_path):
    async with BotHarness(gateway=mirror_gateway, notify_sender=True,
                          settings_overrides={"notify_quiet_hours": ""},
                          clock=MovingClock()) as h:
        _seed(h, tmp_path)
        await h.send(71, f"/pantau {P1}")
        since = h.api.seq
        _change(h, tmp_path, status_jemaah="BATAL")
        for _ in range(60):
            if h.api.sent_to(71, since=since):
                break
            await asyncio.sleep(0.1)
        assert "batal" in h.api.sent_to(71, since=since)[0].text


async def test_one_message_a_second_per_chat(tmp_path):
    async with _harness() as h:
        _seed(h, tmp_path)
        await h.send(81, f"/pantau {P1}")
        await h.send(81, f"/pantau {P2}")
        await h.send(82, f"/pantau {P1}")
        stamps: list[tuple[float, int]] = []
        original = h.api.call_sync

        def timed(method, params, files=None):
            if method == "sendMessage":
                stamps.append((time.monotonic(), int(params["chat_id"])))
            return original(method, params, files)

        h.api.call_sync = timed
        mirror.import_csv(h.db, write(tmp_path / "b.csv", [
            row(P1, LATER, status_jemaah="BATAL"), row(P2, LATER, status_jemaah="BATAL")]))
        report = await _sender(h).drain(max_wait_s=5)
        assert report.sent == 3
        to81 = [t for t, c in stamps if c == 81]
        assert len(to81) == 2 and to81[1] - to81[0] >= 1.0


async def test_a_drain_while_another_sender_holds_the_lease_exits_3_and_sends_nothing(
        tmp_path, sqlite_url):
    from db import repos_notify_outbox

    async with _harness(sqlite_url) as h:
        _seed(h, tmp_path)
        await h.send(100, f"/pantau {P1}")
        _change(h, tmp_path, status_jemaah="WAFAT")
        with h.db.session() as s:  # a live sender elsewhere (`hajibot run`)
            assert repos_notify_outbox.take_lease(s, "other-host:1:abc", datetime.now(UTC),
                                                  timedelta(minutes=5))
        runner, base_url = await serve_http(h.api, token=TOKEN)
        try:
            proc = await _drain_cli(sqlite_url, base_url)
            _, err = await proc.communicate()
        finally:
            await runner.cleanup()
        assert proc.returncode == 3, err.decode()
        assert "another sender is running" in err.decode()
        assert _received(h) == []  # the row waits for the sender that holds the lease
