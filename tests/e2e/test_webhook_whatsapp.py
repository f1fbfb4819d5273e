"""POST/GET /whatsapp on the real web server: the handshake, the signature before anything
else, malformed bodies, storing in the update inbox before the 200, duplicate message ids,
status callbacks counted and never answered, WhatsApp alone or beside Telegram."""

from __future__ import annotations

import asyncio
import json

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from bot.channels.whatsapp_fake import inbound, sign, status
from bot.web import SECRET_HEADER, make_web_app
from db.models.inbox import InboxUpdate
from db.models.whatsapp import WhatsAppChat, WhatsAppMessage
from tests.e2e.harness import wait_for
from tests.e2e.whatsapp_harness import APP_SECRET, WhatsAppHarness

PHONE = "6281234500999"
SIG = "X-Hub-Signature-256"



def metric(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def wa_web(any_db_url, clock, fake_gateway, aiohttp_client):
    """The web server on SQLite, and again on PostgreSQL when configured (the webhook's
    statements are plain SQL in the inbox's storing transaction)."""
    async with WhatsAppHarness(db_url=any_db_url, clock=clock, gateway=fake_gateway) as h:
        assert h.settings.telegram_token is None and h.settings.webhook_secret is None
        app = make_web_app(h.settings, ptb_app=h.app, db=h.db, set_webhook=False)
        client = await aiohttp_client(app)
        yield h, client


async def post(client, body: dict | bytes, secret: str | None = APP_SECRET, headers=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    if secret is not None:
        hdrs[SIG] = sign(raw, secret)
    return await client.post("/whatsapp", data=raw, headers=hdrs)


def count(h, model) -> int:
    with h.db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


async def test_handshake(wa_web):
    _, client = wa_web
    ok = await client.get("/whatsapp", params={"hub.mode": "subscribe",
                                               "hub.verify_token": "verify-me",
                                               "hub.challenge": "1158201444"})
    assert ok.status == 200 and await ok.text() == "1158201444"
    bad = await client.get("/whatsapp", params={"hub.mode": "subscribe",
                                                "hub.verify_token": "guess",
                                                "hub.challenge": "1"})
    assert bad.status == 403


async def test_a_signed_message_is_stored_then_answered_once(wa_web):
    h, client = wa_web
    body = inbound(PHONE, text="/start", wamid="wamid.ONE")
    resp = await post(client, body)
    assert resp.status == 200
    assert await wait_for(lambda: h.cloud.to(PHONE))
    assert "bot" in h.cloud.to(PHONE)[0].text
    assert count(h, WhatsAppChat) == 1 and count(h, WhatsAppMessage) == 1
    # Meta delivers the same message id again: acknowledged, answered once
    dup = metric("hajibot_whatsapp_inbound_total", outcome="duplicate")
    resp = await post(client, body)
    assert resp.status == 200
    await asyncio.sleep(0.3)
    assert len(h.cloud.to(PHONE)) == 1
    assert metric("hajibot_whatsapp_inbound_total", outcome="duplicate") == dup + 1
    assert count(h, WhatsAppMessage) == 1


async def test_a_failed_store_keeps_nothing_and_the_redelivery_is_answered(wa_web,
                                                                          monkeypatch):
    """The chat, the message id and the inbox row are one transaction: when the inbox insert
    fails, the message id is not kept either, so Meta's redelivery is stored and answered
    (not taken for a duplicate)."""
    from db.inbox import Inbox

    h, client = wa_web
    body = inbound(PHONE, text="/start", wamid="wamid.RETRY")

    def broken(self, cur, rows, owner, now):
        raise RuntimeError("disk full")

    with monkeypatch.context() as m:
        m.setattr(Inbox, "add_in", broken)
        resp = await post(client, body)
    assert resp.status == 503
    assert count(h, WhatsAppMessage) == 0 and count(h, WhatsAppChat) == 0
    assert count(h, InboxUpdate) == 0 and h.cloud.posted == []
    resp = await post(client, body)
    assert resp.status == 200
    assert await wait_for(lambda: h.cloud.to(PHONE))
    await asyncio.sleep(0.2)
    assert len(h.cloud.to(PHONE)) == 1 and count(h, WhatsAppMessage) == 1


async def test_erasure_through_the_webhook_forgets_the_remembered_chat(wa_web):
    """The webhook skips rewriting a chat it wrote under a minute ago (the process remembers
    it): after /hapusdata that memory is gone too, so the next message makes a new chat,
    under a new internal id, rather than reusing the erased one."""
    h, client = wa_web

    async def say(**kw) -> list:
        since = h.cloud.seq
        assert (await post(client, inbound(PHONE, **kw))).status == 200
        assert await wait_for(lambda: h.cloud.to(PHONE, since))
        await asyncio.sleep(0.1)
        return h.cloud.to(PHONE, since)

    def chats() -> list[int]:
        with h.db.session() as s:
            return list(s.scalars(select(WhatsAppChat.id)))

    await say(text="/start")
    await say(text="/start")  # within the minute: the remembered chat, not rewritten
    (first,) = chats()
    asked = await say(text="/hapusdata")
    post_ = next(p for p in asked if p.button_ids)
    yes = next(bid for title, bid in zip(post_.buttons, post_.button_ids, strict=True)
               if title.startswith("Ya"))
    done = await say(button=(yes, "Ya, hapus"), reply_to=post_.wamid)
    assert any("dihapus" in p.text.lower() for p in done)
    assert chats() == [] and count(h, WhatsAppMessage) == 0
    await say(text="/start")
    (again,) = chats()
    assert again != first


@pytest.mark.parametrize("secret, header", [(None, None), ("wrong-secret", None),
                                            (None, "sha256=" + "0" * 64), (None, "")])
async def test_a_bad_signature_is_401_and_nothing_is_stored(wa_web, secret, header):
    h, client = wa_web
    refused = metric("hajibot_whatsapp_inbound_total", outcome="refused")
    headers = {SIG: header} if header is not None else None
    resp = await post(client, inbound(PHONE, text="/start"), secret=secret, headers=headers)
    assert resp.status == 401
    await asyncio.sleep(0.1)
    assert count(h, WhatsAppChat) == 0 and count(h, InboxUpdate) == 0
    assert h.cloud.posted == []
    assert metric("hajibot_whatsapp_inbound_total", outcome="refused") == refused + 1


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"object": "page", "entry": []}',
    json.dumps({"object": "whatsapp_business_account", "entry": [{"changes": [
        {"field": "messages", "value": {"messages": [{"type": "text"}]}}]}]}).encode(),
    json.dumps({"object": "whatsapp_business_account", "entry": "x"}).encode(),
])
async def test_a_malformed_body_is_400(wa_web, body):
    h, client = wa_web
    resp = await post(client, body)
    assert resp.status == 400
    assert count(h, InboxUpdate) == 0 and count(h, WhatsAppChat) == 0


async def test_status_callbacks_are_counted_never_answered(wa_web):
    h, client = wa_web
    before = {s: metric("hajibot_whatsapp_statuses_total", status=s)
              for s in ("sent", "delivered", "read", "failed")}
    for state in ("sent", "delivered", "read"):
        resp = await post(client, status("wamid.OUT1", state, wa_id=PHONE))
        assert resp.status == 200
    resp = await post(client, status("wamid.OUT2", "failed", wa_id=PHONE, error_code=131026))
    assert resp.status == 200
    await asyncio.sleep(0.2)
    assert h.cloud.posted == [] and count(h, InboxUpdate) == 0 and count(h, WhatsAppChat) == 0
    for s in before:
        assert metric("hajibot_whatsapp_statuses_total", status=s) == before[s] + 1


async def test_an_edit_or_deletion_is_accepted_and_not_answered(wa_web):
    h, client = wa_web
    body = inbound(PHONE, kind="revoke", extra={"original_message_id": "wamid.X"})
    resp = await post(client, body)
    assert resp.status == 200
    await asyncio.sleep(0.2)
    assert h.cloud.posted == []


async def test_metrics_and_no_telegram_route_when_whatsapp_runs_alone(wa_web):
    _h, client = wa_web
    resp = await client.post("/telegram", json={"update_id": 1})
    assert resp.status in (404, 405)
    body = await (await client.get("/metrics")).text()
    assert "hajibot_whatsapp_inbound_total" in body


async def test_beside_telegram_both_webhooks_serve(sqlite_url, clock, fake_gateway,
                                                   aiohttp_client):
    async with WhatsAppHarness(db_url=sqlite_url, clock=clock, gateway=fake_gateway,
                               settings_overrides={"webhook_secret": "tg-secret"}) as h:
        client = await aiohttp_client(make_web_app(h.settings, ptb_app=h.app, db=h.db,
                                                   set_webhook=False))
        update = h.api.make_message(4242, None, "/start")
        resp = await client.post("/telegram", json=update, headers={SECRET_HEADER: "tg-secret"})
        assert resp.status == 200
        resp = await post(client, inbound(PHONE, text="/start"))
        assert resp.status == 200
        assert await wait_for(lambda: h.api.sent_to(4242) and h.cloud.to(PHONE))
        assert "bot" in h.api.sent_to(4242)[0].text and "bot" in h.cloud.to(PHONE)[0].text


def test_the_server_and_the_cli_run_whatsapp_without_a_telegram_token(sqlite_url, capsys,
                                                                        hajibot_env,
                                                                        monkeypatch):
    for name in ("TELEGRAM_TOKEN", "WEBHOOK_SECRET", "WHATSAPP_APP_SECRET"):
        monkeypatch.delenv(f"HAJIBOT_{name}", raising=False)
    from bot.settings import Settings

    settings = Settings(_env_file=None, database_url=sqlite_url, whatsapp_token="t",
                        whatsapp_phone_id="1", whatsapp_app_secret="s")
    app = make_web_app(settings)  # no HAJIBOT_TELEGRAM_TOKEN, no webhook secret
    paths = {r.resource.canonical for r in app.router.routes() if r.resource is not None}
    assert "/whatsapp" in paths and "/telegram" not in paths
    from bot import cli

    hajibot_env(whatsapp_token="t", whatsapp_phone_id="1", database_url=sqlite_url)
    assert cli.main(["run", "--webhook"]) == 2  # no app secret: refused with a reason
    assert "HAJIBOT_WHATSAPP_APP_SECRET" in capsys.readouterr().err
