"""The fake Bot API through a real PTB Bot: JSON shapes, errors, files, topics, members."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.transport import InProcessRequest, html_to_plain
from tests.fakes.botapi import FakeBotAPI

GROUP = -1001234567890
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning",
                                        "ignore::telegram.warnings.PTBUserWarning")


@pytest.fixture
async def api_bot():
    api = FakeBotAPI()
    api.add_user(111, first_name="Siti", phone="6281234")
    api.add_group(GROUP, forum=True, members={900: "member", 901: "administrator"})
    request = InProcessRequest(api)
    bot = Bot("123:abc", request=request, get_updates_request=request)
    async with bot:
        yield api, bot


def test_html_to_plain_strips_and_validates():
    assert html_to_plain("<b>Halo</b> &amp; <i>x</i> &lt;3") == "Halo & x <3"
    for bad in ("a <br> b", "<b>open", "1 < 2", "<b><i>x</b></i>"):
        with pytest.raises(Exception, match=r"(?i)can't parse entities"):
            html_to_plain(bad)


async def test_send_message_records_plain_text_and_buttons(api_bot):
    api, bot = api_bot
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Ya", callback_data="y"),
                                    InlineKeyboardButton("Tidak", callback_data="n")]])
    msg = await bot.send_message(111, "<b>Halo</b> Siti", parse_mode=ParseMode.HTML,
                                 reply_markup=markup)
    assert msg.text == "Halo Siti" and msg.chat.id == 111 and msg.from_user.is_bot
    sent = api.sent_to(111)[-1]
    assert sent.html == "<b>Halo</b> Siti" and sent.buttons == ["Ya", "Tidak"]
    assert api.calls("sendMessage", chat_id=111)[-1].params["reply_markup"]["inline_keyboard"]
    edited = await bot.edit_message_text("Baru", chat_id=111, message_id=msg.message_id)
    assert edited.text == "Baru"
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("Baru", chat_id=111, message_id=msg.message_id)


async def test_telegram_like_errors(api_bot):
    api, bot = api_bot
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999, "x")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(111, "a<br>b", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(111, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(111, "x", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("a", callback_data="x" * 65)]]))
    with pytest.raises(BadRequest, match=r"(?i)not implemented by the fake"):
        await bot.do_api_request("sendDice", api_kwargs={"chat_id": 111})
    api.block(111)
    with pytest.raises(Forbidden, match=r"(?i)blocked"):
        await bot.send_message(111, "x")


async def test_injected_failures(api_bot):
    api, bot = api_bot
    api.fail_next("sendMessage", times=2, retry_after=3)
    for _ in range(2):
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(111, "x")
        assert info.value.retry_after.total_seconds() == 3 if hasattr(
            info.value.retry_after, "total_seconds") else info.value.retry_after == 3
    await bot.send_message(111, "now ok")
    api.fail_next("sendMessage", description="Bad Request: boom", chat_id=GROUP)
    await bot.send_message(111, "other chat unaffected")
    with pytest.raises(BadRequest, match=r"(?i)boom"):
        await bot.send_message(GROUP, "x")
    assert len(api.calls("sendMessage", ok=False)) == 3


async def test_documents_keep_name_and_bytes(api_bot):
    api, bot = api_bot
    msg = await bot.send_document(111, b"PK\x03\x04docx-bytes", filename="surat.docx",
                                  caption="<b>Surat</b>", parse_mode=ParseMode.HTML)
    assert msg.document.file_name == "surat.docx" and msg.caption == "Surat"
    sent = api.sent_to(111)[-1]
    assert sent.kind == "document" and sent.file_bytes == b"PK\x03\x04docx-bytes"


async def test_forum_topics_copy_and_deleted_thread(api_bot):
    api, bot = api_bot
    topic = await bot.create_forum_topic(GROUP, "HD-2411-0001 status")
    thread = topic.message_thread_id
    incoming = api.make_message(111, None, caption="foto KTP", photo=True)["message"]
    copied = await bot.copy_message(GROUP, 111, incoming["message_id"], message_thread_id=thread)
    sent = api.sent_to(GROUP, thread_id=thread)[-1]
    assert sent.kind == "photo" and sent.text == "foto KTP"
    assert api.message(GROUP, copied.message_id)["is_topic_message"]
    await bot.edit_forum_topic(GROUP, thread, name="HD-2411-0001 diambil")
    await bot.close_forum_topic(GROUP, thread)
    with pytest.raises(BadRequest, match=r"(?i)TOPIC_NOT_MODIFIED"):
        await bot.close_forum_topic(GROUP, thread)
    await bot.reopen_forum_topic(GROUP, thread)
    api.delete_topic(GROUP, thread)
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(GROUP, "x", message_thread_id=thread)
    with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
        await bot.copy_message(GROUP, 111, 9999)


async def test_members_chat_and_keyboards(api_bot):
    api, bot = api_bot
    assert (await bot.get_chat_member(GROUP, 900)).status == "member"
    assert (await bot.get_chat_member(GROUP, 555)).status == "left"
    admins = await bot.get_chat_administrators(GROUP)
    assert {a.user.id for a in admins} >= {901}
    chat = await bot.get_chat(GROUP)
    assert chat.is_forum and chat.type == "supergroup"
    await bot.send_message(111, "Bagikan nomor", reply_markup=ReplyKeyboardMarkup(
        [[KeyboardButton("Kirim nomor HP", request_contact=True)]]))
    msg, button = api.find_button(111, "kirim nomor")
    assert button["request_contact"] is True
    update = api.make_message(111, contact=True)
    assert update["message"]["contact"]["phone_number"] == "6281234"
    assert await bot.pin_chat_message(111, msg["message_id"])


async def test_updates_are_valid_and_ordered(api_bot):
    api, bot = api_bot
    from telegram import Update

    u1 = api.make_message(111, None, "/porsi 123")
    u2 = api.make_message(GROUP, 900, "balasan", message_thread_id=5, is_forum=True)
    u3 = api.make_callback(111, None, "menu:show", u1["message"]["message_id"])
    u4 = api.make_message(111, None, "ubah", edited=True)
    assert u1["update_id"] < u2["update_id"] < u3["update_id"] < u4["update_id"]
    parsed = [Update.de_json(u, bot) for u in (u1, u2, u3, u4)]
    assert parsed[0].message.entities[0].type == "bot_command"
    assert parsed[1].message.is_topic_message and parsed[1].message.message_thread_id == 5
    assert parsed[2].callback_query.data == "menu:show"
    assert parsed[3].edited_message.message_id == u1["message"]["message_id"]
    api.push_update(u1)
    got = await bot.get_updates(offset=u1["update_id"], timeout=0)
    assert [u.update_id for u in got] == [u1["update_id"]]
