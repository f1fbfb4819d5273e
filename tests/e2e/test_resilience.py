"""One bad update or one failed database step never silences the bot (issue 18, finding 1-2)."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.runtime import StateStore
from bot.web import SECRET_HEADER, make_web_app
from integration.safe_json import BadBody, load_object
from tests.e2e import sample_handlers

SAMPLE = [sample_handlers.register]
SECRET = "s3cret-token"


async def test_a_failed_state_load_apologises_and_the_next_update_is_answered(
        make_harness, monkeypatch, caplog):
    async with make_harness(features=SAMPLE) as h:
        real = StateStore.begin
        calls = {"n": 0}

        def flaky(self, *args):
            calls["n"] += 1
            if calls["n"] == 1:
                raise h.db.engine.dialect.loaded_dbapi.OperationalError("database is locked")
            return real(self, *args)

        monkeypatch.setattr(StateStore, "begin", flaky)
        r = await h.send(111, "rahasia-pribadi-77")
        assert len(r) == 1 and "kirim ulang" in r.text
        assert h.app.db_healthy is False
        assert "OperationalError" in caplog.text and "rahasia-pribadi-77" not in caplog.text
        r = await h.send(111, "lagi")
        assert r.text == "n=1"
        assert h.app.db_healthy is True


async def test_a_failed_state_save_is_logged_and_the_bot_keeps_answering(make_harness, caplog):
    async with make_harness(features=SAMPLE) as h:
        # A lone surrogate reaches the user state; SQLite cannot encode it on save.
        r = await h.send(111, "x\ud800y")
        assert r.text == "n=1"
        assert "state save failed" in caplog.text and "UnicodeEncodeError" in caplog.text
        r = await h.send(111, "halo")
        assert r.text.startswith("n=")


@pytest.mark.parametrize("user_id", [2**63, -(2**63) - 1])
async def test_an_id_beyond_64_bits_does_not_end_the_update_task(make_harness, user_id):
    async with make_harness(features=SAMPLE) as h:
        update = h.api.make_message(111, None, "halo")
        update["message"]["from"]["id"] = user_id
        await h.feed(update)  # must not raise
        r = await h.send(222, "halo")
        assert r.text == "n=1"


# --- the webhook door ---------------------------------------------------------------------

@pytest.fixture
async def web_bot(make_harness, aiohttp_client):
    async with make_harness(features=SAMPLE,
                            settings_overrides={"webhook_secret": SECRET}) as h:
        app = make_web_app(h.settings, ptb_app=h.app, db=h.db, set_webhook=False)
        yield h, await aiohttp_client(app)


def _deep(n: int) -> bytes:
    return b'{"update_id": 5, "x": ' + b"[" * n + b"]" * n + b"}"


HOSTILE = [b"[]", b'"x"', b"null", b"42", b"{}", b'{"update_id": "7"}',
           b'{"update_id": 7, "message": "a string"}',
           b'{"update_id": 7, "message": {"message_id": "x", "chat": 3}}',
           b'{"update_id": 7, "message": [1, 2]}', _deep(100_000), _deep(40), b"\xff\xfe",
           b'{"update_id": NaN}']


@pytest.mark.parametrize("body", HOSTILE, ids=range(len(HOSTILE)))
async def test_hostile_webhook_bodies_get_400_and_the_bot_still_answers(web_bot, body):
    h, client = web_bot
    resp = await client.post("/telegram", data=body, headers={SECRET_HEADER: SECRET})
    assert resp.status == 400
    good = h.api.make_message(111, None, "/start")
    resp = await client.post("/telegram", json=good, headers={SECRET_HEADER: SECRET})
    assert resp.status == 200
    for _ in range(150):
        if h.api.sent_to(111):
            break
        await asyncio.sleep(0.02)
    assert h.api.sent_to(111)[0].text == "Halo dari bot"


@pytest.mark.parametrize("where,value", [
    ("from", 2**63), ("chat", 2**70), ("chat", -(2**63) - 1)])
async def test_ids_beyond_64_bits_are_400_at_the_door(web_bot, where, value):
    h, client = web_bot
    update = h.api.make_message(111, None, "halo")
    update["message"][where]["id"] = value
    resp = await client.post("/telegram", data=json.dumps(update),
                             headers={SECRET_HEADER: SECRET})
    assert resp.status == 400


async def test_lone_surrogate_text_is_400_at_the_door(web_bot):
    h, client = web_bot
    update = h.api.make_message(111, None, "PLACEHOLDER")
    body = json.dumps(update).replace("PLACEHOLDER", "\\ud800")
    resp = await client.post("/telegram", data=body, headers={SECRET_HEADER: SECRET})
    assert resp.status == 400


async def test_database_down_after_a_failure_makes_the_webhook_answer_503(web_bot, monkeypatch):
    h, client = web_bot
    from bot import web as web_module

    async def down(db):
        return False

    h.app.db_healthy = False  # as after a failed state step
    monkeypatch.setattr(web_module, "_ping_db", down)
    good = h.api.make_message(111, None, "/start")
    resp = await client.post("/telegram", json=good, headers={SECRET_HEADER: SECRET})
    assert resp.status == 503  # Telegram sends it again
    monkeypatch.undo()
    resp = await client.post("/telegram", json=good, headers={SECRET_HEADER: SECRET})
    assert resp.status == 200 and h.app.db_healthy is True


def test_load_object_limits():
    assert load_object(b'{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
    for body in (b"[1]", _deep(5000), b'{"a": 18446744073709551616}', b'{"a": Infinity}'):
        with pytest.raises(BadBody):
            load_object(body)


async def test_a_real_sqlite_lock_past_the_busy_timeout_apologises_then_recovers(make_harness):
    import sqlite3

    async with make_harness(features=SAMPLE) as h:
        assert (await h.send(111, "satu")).text == "n=1"
        h.app.store._raw.cursor().execute("PRAGMA busy_timeout = 200")  # 30 s in production
        path = h.db.engine.url.database
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            r = await h.send(111, "dua")
            assert len(r) == 1 and "kirim ulang" in r.text
            assert h.app.db_healthy is False
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert (await h.send(111, "tiga")).text == "n=2"  # "dua" was never processed
        assert h.app.db_healthy is True
