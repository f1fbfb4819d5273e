"""Property: whatever a person sends (random text, commands, button data, media, edits), no
handler raises and every message gets at least one reply, through the whole real Application."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.records import Identity, PilgrimRecord, WaitingList
from knowledge.values import PilgrimStatus
from tests.e2e.harness import AGENTS_CHAT_ID, BotHarness, FakeClock, FakeGateway

KNOWN_PORSI = "1300477219"
COMMANDS = ["start", "help", "porsi", "bahasa", "petugas", "selesai", "akun", "pelunasan",
            "pelimpahan", "menu", "batal"]
CALLBACKS = ["status:start", "menu:show", "pelunasan:start", "pelimpahan:start", "faq:start",
             "helpdesk:start", "bahasa:set:en", "bahasa:set:id", "bahasa:set:xx", "faq:x:1"]
USERS = [501, 502, 503]

porsi_like = st.from_regex(r"\A[0-9][0-9 .\-]{0,16}\Z").map(str.strip)
texts = st.one_of(
    st.text(max_size=200),
    porsi_like,
    st.sampled_from([KNOWN_PORSI, "1300 477 219", "9999999999", "menu", "ya", "tidak", "1", "2",
                     "batal", "syarat pelimpahan", "kapan berangkat", "<b>x</b> & <i>", ""]),
)
commands = st.builds(
    lambda name, arg: f"/{name} {arg}".rstrip(),
    st.one_of(st.sampled_from(COMMANDS), st.from_regex(r"\A[a-zA-Z0-9_]{0,12}\Z")),
    st.one_of(st.just(""), porsi_like, st.text(max_size=30)),
)
callback_data = st.one_of(
    st.sampled_from(CALLBACKS),
    st.builds(lambda a, b: f"{a}:{b}", st.sampled_from(["status", "menu", "faq", "pelunasan",
                                                          "pelimpahan", "helpdesk", "bahasa"]),
              st.text(alphabet="abcdefghijklmnopqrstuvwxyz:0123456789", max_size=20)),
    st.text(max_size=40),
)
media = st.sampled_from([{"sticker": True}, {"photo": True}, {"voice": True},
                         {"document": True}, {"location": (-6.2, 106.8)}, {"contact": True},
                         {"photo": True, "caption": KNOWN_PORSI}])

actions = st.one_of(
    st.tuples(st.just("text"), st.sampled_from(USERS), texts),
    st.tuples(st.just("command"), st.sampled_from(USERS), commands),
    st.tuples(st.just("callback"), st.sampled_from(USERS), callback_data),
    st.tuples(st.just("press"), st.sampled_from(USERS), st.integers(0, 9)),
    st.tuples(st.just("media"), st.sampled_from(USERS), media),
    st.tuples(st.just("edit"), st.sampled_from(USERS), texts),
)


@pytest.fixture
def running(tmp_path):
    """One Application for all examples (a fresh one per example would be far too slow)."""
    loop = asyncio.new_event_loop()
    gateway = FakeGateway([PilgrimRecord(
        KNOWN_PORSI,
        identity=Identity(name="Siti Aminah", registered_on=date(2012, 3, 4),
                          status=PilgrimStatus.AKTIF),
        waiting=WaitingList(province="Jawa Barat", regency="Kab. Bandung", position=5000,
                            quota=1000))])
    h = BotHarness(db_url=f"sqlite:///{tmp_path}/prop.sqlite3", clock=FakeClock(),
                   gateway=gateway,
                   settings_overrides={"throttle_burst": 10**6, "status_lookups_per_hour": 10**6,
                                       "helpdesk_chat_id": AGENTS_CHAT_ID})
    loop.run_until_complete(h.__aenter__())
    errors: list[BaseException] = []

    async def count(update, context):
        errors.append(context.error)

    h.app.add_error_handler(count)
    h.errors = errors
    for uid in USERS:
        h.api.add_user(uid, first_name=f"U{uid}", language_code="id", phone="081234567890")
    yield h, loop
    loop.run_until_complete(h.__aexit__(None, None, None))
    loop.close()


def _buttons(h, chat_id):
    """(message_id, callback_data) of inline buttons the bot showed in this chat lately."""
    found = []
    for s in reversed(h.api.sent_to(chat_id)[-5:]):
        for row in (s.reply_markup or {}).get("inline_keyboard", []):
            found += [(s.message_id, b["callback_data"]) for b in row if "callback_data" in b]
    return found


async def _run(h, kind, uid, arg):
    """Do one action; returns (replies, answered-callback count before, expect_reply)."""
    answered = len(h.api.answered_callbacks)
    if kind in ("text", "command"):
        return await h.send(uid, arg), answered, True
    if kind == "media":
        return await h.send(uid, **arg), answered, True
    if kind == "edit":
        if not h.api.sent_to(uid):
            return await h.send(uid, "/start"), answered, True
        return await h.edit(uid, arg or "x"), answered, True
    buttons = _buttons(h, uid)
    if kind == "press" and buttons:
        mid, data = buttons[arg % len(buttons)]
    else:
        mid = max([s.message_id for s in h.api.sent_to(uid)] or [1])
        data = arg if kind == "callback" else "menu:show"
    return await h.callback(uid, data, mid, user_id=uid), answered, False


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(steps=st.lists(actions, min_size=1, max_size=4))
def test_no_handler_raises_and_every_message_is_answered(running, steps):
    h, loop = running
    h.errors.clear()  # one Application serves all examples; judge each on its own
    for kind, uid, arg in steps:
        replies, answered, expect_reply = loop.run_until_complete(_run(h, kind, uid, arg))
        assert h.errors == [], f"{kind} {arg!r} raised {h.errors[0]!r}"
        assert not any("kode ini kepada petugas" in s.text or "give this code" in s.text
                       for s in replies), f"{kind} {arg!r} hit the error handler"
        if expect_reply:
            assert replies.to(uid), f"no reply to {kind} {arg!r}"
        else:  # a button press: the query is answered (the spinner stops), always
            assert len(h.api.answered_callbacks) > answered, f"unanswered callback {arg!r}"
