"""`handlers.menu.send` makes exactly the request `Bot.send_message` makes (it skips only the
parsing of Telegram's answer), and fails the same way."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import Defaults, ExtBot

from bot.transport import InProcessRequest
from handlers.menu import send
from tests.fakes.botapi import FakeBotAPI

CHAT = 111


@pytest.fixture
async def api_bot():
    api = FakeBotAPI()
    api.add_user(CHAT, first_name="Siti")
    request = InProcessRequest(api)
    bot = ExtBot("123:abc", request=request, get_updates_request=request,
                 defaults=Defaults(parse_mode=ParseMode.HTML))
    async with bot:
        yield api, bot


def _ctx(bot, chat_id=CHAT):
    update = SimpleNamespace(effective_chat=SimpleNamespace(id=chat_id) if chat_id else None)
    return update, SimpleNamespace(bot=bot)


MARKUP = InlineKeyboardMarkup([[InlineKeyboardButton("Ya", callback_data="y"),
                                InlineKeyboardButton("Tidak", callback_data="n")]])


@pytest.mark.parametrize("markup", [None, MARKUP])
async def test_send_is_send_message_without_the_parse(api_bot, markup):
    api, bot = api_bot
    text = "<b>Status</b> &amp; <i>porsi</i>"
    await bot.send_message(CHAT, text, reply_markup=markup)
    await send(*_ctx(bot), text, markup)
    expected, got = api.calls("sendMessage", chat_id=CHAT)[-2:]
    assert got.ok and expected.ok
    assert got.params == expected.params
    assert list(got.params) == list(expected.params)
    assert got.params["parse_mode"] == "HTML"  # the bot's default, as send_message inserts it
    first, second = api.sent_to(CHAT)[-2:]
    assert (second.html, second.text, second.buttons) == (first.html, first.text, first.buttons)
    assert second.text == "Status & porsi"


async def test_send_fails_as_send_message_does(api_bot):
    api, bot = api_bot
    for attempt in (bot.send_message(CHAT, "<b>x"), send(*_ctx(bot), "<b>x")):
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await attempt
    api.block(CHAT)
    with pytest.raises(Forbidden):
        await send(*_ctx(bot), "halo")


async def test_send_without_a_chat_sends_nothing(api_bot):
    api, bot = api_bot
    await send(*_ctx(bot, None), "halo")
    assert not api.calls("sendMessage")


def test_markup_json_is_ptbs_to_dict():
    from telegram import CopyTextButton, ReplyKeyboardMarkup

    from handlers.menu import markup_json, menu_markup

    plain = InlineKeyboardButton("Salin", copy_text=CopyTextButton("1111111111"))
    copy = InlineKeyboardButton("Salin", copy_text=CopyTextButton("2222222222"))
    assert plain == copy  # equal for PTB (copy_text is not compared): cached by identity
    keyboards = [menu_markup("id"), menu_markup("en"), MARKUP,
                 InlineKeyboardMarkup([[plain], [copy]]),
                 InlineKeyboardMarkup([[InlineKeyboardButton("Situs", url="https://x.id")]])]
    for _ in range(2):  # computed, then from the cache
        for markup in keyboards:
            assert markup_json(markup) == markup.to_dict()
    reply = ReplyKeyboardMarkup([["Ya"]])
    assert markup_json(reply) is reply and markup_json(None) is None


def test_a_fresh_plain_button_is_written_as_ptb_writes_it():
    from telegram import LoginUrl

    from handlers.menu import markup_json

    fresh = [InlineKeyboardButton(f"🔔 Pantau {n}", callback_data=f"pantau:add:{n}")
             for n in ("3509412276", "3309381154")]
    others = [InlineKeyboardButton("Masuk", login_url=LoginUrl("https://x.id")),
              InlineKeyboardButton("Cari", switch_inline_query_current_chat="porsi"),
              InlineKeyboardButton("Ikon", callback_data="a:b", icon_custom_emoji_id="5368")]
    for markup in (InlineKeyboardMarkup([fresh]), InlineKeyboardMarkup([others])):
        assert markup_json(markup) == markup.to_dict()
