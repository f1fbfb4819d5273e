"""HAJIBOT_TELEGRAM_BASE_URL: the real Application, over real HTTP, against another Bot API server.

The server is bot.transport's FakeBotAPI behind `http_app` on 127.0.0.1 (port 0). The bot is
built from settings alone (token + base URL, HTTPXRequest, rate limiter, services opened in
post_init) and polls getUpdates like `hajibot run --polling`.
"""

from __future__ import annotations

import json
import logging

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import InvalidToken

from bot.app import build_application, start_app, stop_app
from bot.settings import Settings
from bot.terminal import NOISY_LOGGERS
from bot.web import ALLOWED_UPDATES
from tests.e2e.harness import wait_for
from tests.fakes.botapi import FakeBotAPI, http_app, serve_http

TOKEN = "4242424242:AAE-dummy-token-for-the-local-bot-api"
USER = 111
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning",
                                        "ignore::telegram.warnings.PTBUserWarning")



def _reaches_production_log(record: logging.LogRecord) -> bool:
    """What bot.cli's logging set-up lets through (third-party chatter below WARNING is cut)."""
    noisy = any(record.name == n or record.name.startswith(n + ".") for n in NOISY_LOGGERS)
    return not (noisy and record.levelno < logging.WARNING)


async def test_polling_through_base_url_reaches_the_other_server(db, sqlite_url, caplog):
    caplog.set_level(logging.DEBUG)
    api = FakeBotAPI()
    api.add_user(USER, first_name="Siti", language_code="id")
    paths: list[str] = []
    polls: list[dict] = []

    @web.middleware
    async def record_path(request, handler):
        paths.append(request.path)
        if request.path.endswith("/getUpdates"):
            polls.append(dict(await request.post()))  # aiohttp caches the body for the handler
        return await handler(request)

    server = http_app(api, token=TOKEN)  # any other token -> 401, as Telegram answers
    server.middlewares.append(record_path)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    settings = Settings(_env_file=None, database_url=sqlite_url, telegram_token=TOKEN,
                        telegram_base_url=f"http://127.0.0.1:{port}/bot",
                        siskohat_url="http://127.0.0.1:9", embedded_simulator=False)
    app = build_application(settings)  # no request given: HTTPX to the base URL, as in prod
    try:
        await start_app(app)
        await app.updater.start_polling(poll_interval=0, timeout=1,
                                        allowed_updates=ALLOWED_UPDATES)

        api.push_update(api.make_message(USER, USER, "/start", language_code="id"))
        assert await wait_for(lambda: api.sent_to(USER)), "timed out waiting for the bot"
        greeting = api.sent_to(USER)[0]
        assert greeting.method == "sendMessage"
        assert "bot" in greeting.text.lower() and "Assalamu" in greeting.text
        assert "Cek status porsi" in greeting.buttons  # reply_markup survived the form encoding
        assert "<" not in greeting.text and greeting.html  # HTML parse mode, validated

        # Press an inline button: callback query in via getUpdates, answer + reply out via HTTP.
        msg, button = api.find_button(USER, "Cek status porsi")
        seen = api.seq
        api.push_update(api.make_callback(USER, USER, button["callback_data"],
                                          msg["message_id"], language_code="id"))
        assert await wait_for(lambda: api.sent_to(USER, since=seen)), "timed out waiting for the bot"
        assert "10 angka" in api.sent_to(USER, since=seen)[0].text
        assert await wait_for(lambda: api.answered_callbacks), "timed out waiting for the bot"
    finally:
        if app.updater.running:
            await app.updater.stop()
        await stop_app(app)
        await runner.cleanup()

    methods = {c.method for c in api.log}
    assert {"getMe", "deleteWebhook", "setMyCommands", "sendMessage",
            "answerCallbackQuery"} <= methods
    # The token is appended to the base URL, as python-telegram-bot does for api.telegram.org.
    assert f"/bot{TOKEN}/sendMessage" in paths and f"/bot{TOKEN}/getUpdates" in paths
    assert all(p.startswith(f"/bot{TOKEN}/") for p in paths)
    assert json.loads(polls[0]["allowed_updates"]) == ALLOWED_UPDATES
    leaked = [r.name for r in caplog.records
              if _reaches_production_log(r) and TOKEN in r.getMessage()]
    assert not leaked, f"bot token in log lines of {leaked}"


async def test_http_adapter_rejects_other_tokens_and_takes_multipart():
    api = FakeBotAPI()
    api.add_user(USER)
    runner, base_url = await serve_http(api, token=TOKEN)
    try:
        async with Bot("1:wrong", base_url=base_url) as bot:
            pass
        raise AssertionError("a wrong token must fail like on Telegram")
    except InvalidToken:
        pass
    try:
        async with Bot(TOKEN, base_url=base_url) as bot:
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("Ya", callback_data="y")]])
            doc = await bot.send_document(USER, InputFile(b"PK-data", filename="surat.docx"),
                                          caption="<b>Surat</b>", parse_mode="HTML",
                                          reply_markup=markup, disable_notification=True)
            assert doc.document.file_name == "surat.docx" and doc.caption == "Surat"
            with pytest.raises(Exception, match=r"(?i)can't parse entities"):
                await bot.send_message(USER, "a <br> b", parse_mode="HTML")
    finally:
        await runner.cleanup()
    sent = api.sent_to(USER)[-1]
    assert sent.file_bytes == b"PK-data" and sent.buttons == ["Ya"]
    assert api.calls("sendDocument")[-1].params["disable_notification"] is True
