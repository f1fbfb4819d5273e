"""Webhook mode: secret check, background processing, /healthz and /metrics (aiohttp server)."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from bot.web import SECRET_HEADER, make_web_app
from tests.e2e import sample_handlers
from tests.e2e.harness import wait_for

SAMPLE = [sample_handlers.register]
SECRET = "s3cret-token"



@pytest.fixture
async def web_bot(make_harness, aiohttp_client):
    async with make_harness(features=SAMPLE,
                            settings_overrides={"webhook_secret": SECRET}) as h:
        app = make_web_app(h.settings, ptb_app=h.app, db=h.db, set_webhook=False)
        client = await aiohttp_client(app)
        yield h, client


async def test_good_secret_is_acknowledged_and_processed(web_bot):
    h, client = web_bot
    update = h.api.make_message(111, None, "/start")
    resp = await client.post("/telegram", json=update, headers={SECRET_HEADER: SECRET})
    assert resp.status == 200
    assert await wait_for(lambda: h.api.sent_to(111))
    assert h.api.sent_to(111)[0].text == "Halo dari bot"
    # Telegram retries the same update: acknowledged again, answered once.
    resp = await client.post("/telegram", json=update, headers={SECRET_HEADER: SECRET})
    assert resp.status == 200
    await asyncio.sleep(0.2)
    assert len(h.api.sent_to(111)) == 1


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}])
async def test_bad_or_missing_secret_is_refused_and_not_processed(web_bot, headers):
    h, client = web_bot
    update = h.api.make_message(111, None, "/start")
    resp = await client.post("/telegram", json=update, headers=headers)
    assert resp.status == 403
    await asyncio.sleep(0.2)
    assert h.api.sent_to(111) == []


async def test_garbage_body_is_400(web_bot):
    _, client = web_bot
    resp = await client.post("/telegram", data=b"not json", headers={SECRET_HEADER: SECRET})
    assert resp.status == 400


async def test_healthz_reports_db(web_bot):
    _h, client = web_bot
    resp = await client.get("/healthz")
    assert resp.status == 200
    body = await resp.json()
    assert body["db"] is True and "siskohat" in body and "breaker" in body


async def test_healthz_503_when_db_down(make_harness, aiohttp_client, tmp_path):
    from db.engine import Database

    async with make_harness(features=SAMPLE,
                            settings_overrides={"webhook_secret": SECRET}) as h:
        broken = Database(f"sqlite:///{tmp_path}/no/such/dir/x.sqlite3")
        broken.engine.dispose()
        broken.engine = Database("postgresql+psycopg://nobody@127.0.0.1:1/none").engine
        app = make_web_app(h.settings, ptb_app=h.app, db=broken, set_webhook=False)
        client = await aiohttp_client(app)
        resp = await client.get("/healthz")
        assert resp.status == 503 and (await resp.json())["db"] is False


async def test_metrics_has_runtime_counters(web_bot):
    h, client = web_bot
    await h.send(111, "/start")
    resp = await client.get("/metrics")
    assert resp.status == 200
    body = await resp.text()
    for name in ("hajibot_updates_total", "hajibot_replies_total", "hajibot_update_seconds_bucket",
                 "hajibot_duplicate_updates_total"):
        assert name in body
    assert 'hajibot_replies_total{method="sendMessage"}' in body


def test_webhook_mode_refuses_to_start_without_secret(make_harness):
    from bot.settings import Settings

    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        make_web_app(Settings(_env_file=None, telegram_token="1:a"), set_webhook=False)


async def test_set_webhook_restricts_updates_and_sends_secret(make_harness, aiohttp_client):
    async with make_harness(features=SAMPLE,
                            settings_overrides={"webhook_secret": SECRET,
                                                "webhook_url": "https://bot.example/telegram"}
                            ) as h:
        app = make_web_app(h.settings, ptb_app=h.app, db=h.db, set_webhook=True)
        await aiohttp_client(app)
        assert h.api.webhook["url"] == "https://bot.example/telegram"
        assert h.api.webhook["secret_token"] == SECRET
        assert set(h.api.webhook["allowed_updates"]) == {"message", "edited_message",
                                                         "callback_query"}


async def test_push_endpoint_only_exists_with_a_secret(make_harness, aiohttp_client):
    """No shared secret configured -> no unsigned door into the mirror; with one, it verifies."""
    from integration.push import PATH, SIGNATURE_HEADER, sign

    body = b'{"id": "e1", "jenis": "status.diperbarui", "kd_porsi": "1234567890", "data": {}, "waktu": "2026-11-20T10:00:00Z"}'
    async with make_harness(features=SAMPLE,
                            settings_overrides={"webhook_secret": SECRET}) as h:
        client = await aiohttp_client(make_web_app(h.settings, ptb_app=h.app, db=h.db,
                                                   set_webhook=False))
        resp = await client.post(PATH, data=body, headers={SIGNATURE_HEADER: sign(body, "")})
        assert resp.status == 404
    async with make_harness(features=SAMPLE,
                            settings_overrides={"webhook_secret": SECRET,
                                                "siskohat_push_secret": "push-key"}) as h:
        client = await aiohttp_client(make_web_app(h.settings, ptb_app=h.app, db=h.db,
                                                   set_webhook=False))
        bad = await client.post(PATH, data=body, headers={SIGNATURE_HEADER: sign(body, "other")})
        assert bad.status == 401
        good = await client.post(PATH, data=body, headers={SIGNATURE_HEADER: sign(body, "push-key")})
        assert good.status == 200


# ------------------------------------------------- health without Siskohat (issue 18, #4)


class CountingSiskohat:
    """A Siskohat client that counts every check it is asked for (slow, like a sick Siskohat)."""

    def __init__(self, result: str = "ok", delay: float = 0.0):
        self.result, self.delay, self.checks = result, delay, 0

    async def check(self) -> str:
        self.checks += 1
        await asyncio.sleep(self.delay)
        return self.result

    async def ping(self) -> bool:
        return await self.check() == "ok"

    def health(self) -> dict:
        return {"state": "ok", "breaker": "closed", "last_success": "2026-12-06T01:00:00+00:00",
                "last_success_age_s": 12.0}


@pytest.fixture
async def health_bot(make_harness, aiohttp_client):
    fake = CountingSiskohat(delay=0.2)
    async with make_harness(features=SAMPLE, extras={"siskohat": fake},
                            settings_overrides={"webhook_secret": SECRET,
                                                "health_token": "health-t0ken"}) as h:
        client = await aiohttp_client(make_web_app(h.settings, ptb_app=h.app, db=h.db,
                                                   set_webhook=False))
        yield fake, client


async def test_healthz_answers_from_memory_without_calling_siskohat(health_bot):
    fake, client = health_bot
    responses = await asyncio.gather(*(client.get("/healthz") for _ in range(12)))
    assert {r.status for r in responses} == {200}
    assert fake.checks == 0
    body = await responses[0].json()
    assert body["db"] is True and body["siskohat"] == "ok" and body["breaker"] == "closed"
    assert body["siskohat_last_success"] == "2026-12-06T01:00:00+00:00"
    assert body["update_backlog"] == 0


async def test_deep_check_needs_loopback_or_the_token(health_bot):
    fake, client = health_bot
    via_proxy = {"X-Forwarded-For": "203.0.113.9"}  # a reverse proxy on this host: not local
    assert (await client.get("/healthz/deep", headers=via_proxy)).status == 403
    bad = {**via_proxy, "Authorization": "Bearer wrong"}
    assert (await client.get("/healthz/deep", headers=bad)).status == 403
    assert fake.checks == 0
    good = {**via_proxy, "Authorization": "Bearer health-t0ken"}
    resp = await client.get("/healthz/deep", headers=good)
    assert resp.status == 200 and (await resp.json())["siskohat_check"] == "ok"
    resp = await client.get("/healthz/deep")  # the test client connects from 127.0.0.1
    assert resp.status == 200 and fake.checks == 2


def test_deep_check_refuses_a_remote_address_without_token():
    from unittest import mock

    from aiohttp.test_utils import make_mocked_request

    from bot.settings import Settings
    from bot.web import SETTINGS, deep_allowed

    app = web.Application()
    app[SETTINGS] = Settings(_env_file=None, health_token="health-t0ken")
    transport = mock.Mock()
    transport.get_extra_info.return_value = ("203.0.113.9", 40000)

    def req(**headers):
        return make_mocked_request("GET", "/healthz/deep", headers=headers, app=app,
                                   transport=transport)

    assert not deep_allowed(req())
    assert not deep_allowed(req(Authorization="Bearer nope"))
    assert deep_allowed(req(Authorization="Bearer health-t0ken"))
    app[SETTINGS] = Settings(_env_file=None)  # no token configured: loopback only
    assert not deep_allowed(req(Authorization="Bearer "))


async def test_concurrent_deep_checks_share_one_ping(health_bot):
    fake, client = health_bot
    responses = await asyncio.gather(*(client.get("/healthz/deep") for _ in range(8)))
    assert {r.status for r in responses} == {200}
    assert fake.checks == 1


async def test_wrong_siskohat_key_is_reported_as_auth_error(make_harness, aiohttp_client,
                                                            tmp_path):
    """The real client against the simulator with a wrong key: "auth_error", breaker closed."""
    from integration.client import SiskohatClient
    from integration.simulator import STATS, base_url, serve
    from tests.integration._simdata import write_csv

    runner = await serve(write_csv(tmp_path / "export.csv"), port=0, key="right")
    try:
        async with SiskohatClient(base_url(runner), "wrong", retries=0,
                                  breaker_threshold=2) as sis, \
                make_harness(features=SAMPLE, extras={"siskohat": sis},
                             settings_overrides={"webhook_secret": SECRET}) as h:
            client = await aiohttp_client(make_web_app(h.settings, ptb_app=h.app,
                                                       db=h.db, set_webhook=False))
            before = await (await client.get("/healthz")).json()
            assert before["siskohat"] == "unknown" and runner.app[STATS]["total"] == 0
            for _ in range(3):
                resp = await client.get("/healthz/deep")
                body = await resp.json()
                assert resp.status == 503 and body["siskohat_check"] == "auth_error"
            body = await (await client.get("/healthz")).json()
            assert body["siskohat"] == "auth_error" and body["breaker"] == "closed"
            assert runner.app[STATS]["total"] == 3  # one request per deep check, none else
    finally:
        await runner.cleanup()
