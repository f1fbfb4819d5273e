"""The update inbox (issue 13): durable before acknowledged, concurrent across chats, ordered
within one, taken over after a silent worker, poison updates parked."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import text
from telegram.ext import MessageHandler, filters

from bot.inbox import InboxWorker
from bot.runtime import StateStore
from bot.web import SECRET_HEADER, make_web_app
from db.inbox import CLAIM_TIMEOUT, Inbox, _utcnow
from tests.e2e import sample_handlers
from tests.e2e.harness import BotHarness, wait_for

SAMPLE = [sample_handlers.register]
SECRET = "s3cret-token"



def _rows(db):
    with db.engine.connect() as c:
        return [tuple(r) for r in c.execute(text(
            "SELECT update_id, state, claimed_by, attempts FROM update_inbox "
            "ORDER BY update_id"))]


@pytest.fixture
async def web_bot(make_harness, aiohttp_client):
    async with make_harness(features=SAMPLE,
                            settings_overrides={"webhook_secret": SECRET}) as h:
        app = make_web_app(h.settings, ptb_app=h.app, db=h.db, set_webhook=False)
        yield h, await aiohttp_client(app)


async def _post(client, update):
    return await client.post("/telegram", data=json.dumps(update),
                             headers={SECRET_HEADER: SECRET})


async def test_the_update_is_stored_before_the_200(web_bot, monkeypatch):
    h, client = web_bot
    stored = []
    real = Inbox.add

    def spy(self, rows, *args):
        out = real(self, rows, *args)
        stored.extend(r[0] for r in rows)
        assert [r[0] for r in _rows(h.db)]  # committed, visible to another connection
        return out

    monkeypatch.setattr(Inbox, "add", spy)
    update = h.api.make_message(111, None, "/start")
    resp = await _post(client, update)
    assert resp.status == 200 and stored == [update["update_id"]]
    assert await wait_for(lambda: h.api.sent_to(111))
    assert await wait_for(lambda: _rows(h.db) == [])  # deleted with the state save


async def test_a_database_error_at_the_door_is_503_and_nothing_is_queued(web_bot, monkeypatch):
    h, client = web_bot

    def broken(self, rows, *args):
        raise h.db.engine.dialect.loaded_dbapi.OperationalError("disk I/O error")

    monkeypatch.setattr(Inbox, "add", broken)
    update = h.api.make_message(111, None, "/start")
    resp = await _post(client, update)
    assert resp.status == 503
    await asyncio.sleep(0.2)
    assert h.api.sent_to(111) == []
    monkeypatch.undo()
    resp = await _post(client, update)  # Telegram's retry
    assert resp.status == 200
    assert await wait_for(lambda: h.api.sent_to(111))
    assert len(h.api.sent_to(111)) == 1


async def test_a_slow_chat_does_not_hold_up_others_and_each_chat_keeps_its_order(web_bot):
    h, client = web_bot
    done: list[tuple[int, str]] = []

    async def slow(update, context):
        text_ = update.message.text
        if text_.startswith("slow"):
            await asyncio.sleep(0.4)
        done.append((update.effective_chat.id, text_))
        await update.message.reply_text(f"ok {text_}")

    h.app.add_handler(MessageHandler(filters.TEXT, slow), group=-1)
    posts = [h.api.make_message(111, None, f"slow {i}") for i in range(3)]
    posts += [h.api.make_message(200 + i, None, f"fast {i}") for i in range(20)]
    started = asyncio.get_running_loop().time()
    for update in posts:
        assert (await _post(client, update)).status == 200
    assert await wait_for(lambda: len([d for d in done if d[0] != 111]) == 20, 3.0)
    fast_s = asyncio.get_running_loop().time() - started
    assert fast_s < 1.0  # not behind the three slow updates of chat 111 (1.2 s in a row)
    assert await wait_for(lambda: len(done) == 23, 5.0)
    assert [t for c, t in done if c == 111] == ["slow 0", "slow 1", "slow 2"]


async def test_a_silent_claim_is_taken_over_and_answered_once(make_harness):
    async with make_harness(features=SAMPLE) as h:
        await h.app.inbox.stop(1.0)  # no worker of ours for now
        update = h.api.make_message(111, None, "halo")
        store = h.app.store
        inbox = Inbox(store)
        inbox.add([(update["update_id"], 111, 111, json.dumps(update))])
        old = store.stamp(_utcnow() - CLAIM_TIMEOUT - timedelta(seconds=1))
        with h.db.engine.begin() as c:  # a worker that died 31 s ago holding it
            c.execute(text("UPDATE update_inbox SET state='claimed', claimed_by='dead:1', "
                           "claimed_at=:t, attempts=1"), {"t": old})
        claimed = inbox.claim("live:2", 10)
        assert [(r.update_id, over) for r, over in claimed] == [(update["update_id"], True)]
        assert inbox.claim("live:3", 10) == []  # a live claim is not taken
        inbox.release(update["update_id"], "live:2", count_attempt=False)
        await h.restart()  # a fresh process with a worker takes it
        assert await wait_for(lambda: h.api.sent_to(111))
        assert [s.text for s in h.api.sent_to(111)] == ["n=1"]
        assert await wait_for(lambda: _rows(h.db) == [])


async def test_a_poison_update_is_parked_with_an_apology_and_the_chat_moves_on(
        make_harness, caplog):
    caplog.set_level(logging.INFO)
    async with make_harness(features=SAMPLE) as h:
        worker = h.app.inbox
        worker.unit_timeout_s = 0.2
        calls = {"n": 0}

        async def hang(update, context):
            if update.message.text == "racun rahasia":
                calls["n"] += 1
                await asyncio.Event().wait()  # never returns, like a wedged handler
        h.app.add_handler(MessageHandler(filters.TEXT, hang), group=-2)
        poison = h.api.make_message(111, None, "racun rahasia")
        await worker.add(_update(h, poison))
        after = h.api.make_message(111, None, "halo")
        await worker.add(_update(h, after))
        assert await wait_for(lambda: len(h.api.sent_to(111)) == 2, 5.0)
        texts = [s.text for s in h.api.sent_to(111)]
        assert "kesalahan" in texts[0] and texts[1] == "n=1"
        assert calls["n"] == 3
        assert [(r[0], r[1]) for r in _rows(h.db)] == [(poison["update_id"], "parked")]
        assert f"update {poison['update_id']} parked after 3 failed attempts" in caplog.text
        assert "racun rahasia" not in caplog.text


def _update(h: BotHarness, raw: dict):
    from telegram import Update

    return Update.de_json(raw, h.app.bot)


async def test_a_failed_state_load_leaves_the_update_in_the_inbox(make_harness, monkeypatch):
    async with make_harness(features=SAMPLE) as h:
        real = StateStore.seen_load
        calls = {"n": 0}

        def flaky(self, *args):
            calls["n"] += 1
            if calls["n"] == 1:
                raise h.db.engine.dialect.loaded_dbapi.OperationalError("database is locked")
            return real(self, *args)

        monkeypatch.setattr(StateStore, "seen_load", flaky)
        raw = h.api.make_message(111, None, "halo")
        Inbox(h.app.store).add([(raw["update_id"], 111, 111, json.dumps(raw))])  # pending
        h.app.inbox._wake.set()  # the claim loop takes it and loads the state itself
        assert await wait_for(lambda: h.api.sent_to(111), 5.0)
        assert [s.text for s in h.api.sent_to(111)] == ["n=1"]  # retried, no apology
        assert calls["n"] == 2
        assert await wait_for(lambda: _rows(h.db) == [])


async def test_stop_finishes_held_work_and_leaves_the_rest(make_harness):
    async with make_harness(features=SAMPLE,
                            settings_overrides={"concurrent_updates": 2,
                                                "shutdown_deadline_s": 5.0}) as h:
        async def slow(update, context):
            await asyncio.sleep(0.3)
        h.app.add_handler(MessageHandler(filters.TEXT, slow), group=-1)
        worker = h.app.inbox
        for chat in (111, 112, 113, 114):
            await worker.add(_update(h, h.api.make_message(chat, None, "halo")))
        assert await wait_for(lambda: len(worker.inflight) == 2)
        await h.app.stop()
        answered = {s.chat_id for s in h.api.sent}
        assert len(answered) == 2  # the two held ones finished
        left = _rows(h.db)
        assert len(left) == 2 and all(r[1] == "pending" and r[2] is None for r in left)
        assert all(r[3] == 0 for r in left)  # never claimed
        await h.app.start()  # as the next process would
        assert await wait_for(lambda: len({s.chat_id for s in h.api.sent}) == 4)


async def test_healthz_and_metrics_report_the_inbox(web_bot):
    h, client = web_bot
    await h.app.inbox.stop(1.0)
    h.app.inbox = None
    store = h.app.store
    Inbox(store).add([(1, 5, 5, "{}"), (2, 6, 6, "{}")])
    body = await (await client.get("/healthz")).json()
    assert body["inbox_backlog"] is None  # no inbox in this process: unknown
    h.app.inbox = InboxWorker(h.app, store, concurrency=1)  # not started: nothing claimed
    body = await (await client.get("/healthz")).json()
    assert body["inbox_backlog"] == 2 and body["inbox_parked"] == 0
    assert 0 <= body["inbox_oldest_age_s"] < 5
    metrics = await (await client.get("/metrics")).text()
    assert "hajibot_inbox_backlog" in metrics and "hajibot_inbox_oldest_age_seconds" in metrics


async def test_two_claimers_never_share_a_chat_and_keep_its_order(any_db_url, clock,
                                                                   fake_gateway):
    """Two workers' claims on one database: one head per chat at a time, oldest first."""
    async with BotHarness(db_url=any_db_url, clock=clock, gateway=fake_gateway,
                          features=SAMPLE) as h:
        await h.app.inbox.stop(1.0)
        inbox = Inbox(h.app.store)
        rows = [(10 + i, 100 + i % 3, 100 + i % 3, "{}") for i in range(9)]
        inbox.add(rows)
        a = inbox.claim("a", 2)
        b = inbox.claim("b", 10)
        got = [r.update_id for r, _ in a] + [r.update_id for r, _ in b]
        assert sorted(got) == [10, 11, 12]  # the three chats' heads, each once
        assert inbox.claim("c", 10) == []
        with h.db.engine.begin() as c:  # chat 100's head done
            c.execute(text("DELETE FROM update_inbox WHERE update_id = 10"))
        assert [r.update_id for r, _ in inbox.claim("c", 10)] == [13]
        inbox.park(11)  # a parked row no longer holds its chat back
        assert [r.update_id for r, _ in inbox.claim("c", 10)] == [14]
