"""The runtime through the real Application and the fake Bot API: state, dedupe, pre-filters."""

from __future__ import annotations

import importlib.util
import logging

import pytest

from tests.e2e import sample_handlers
from tests.e2e.harness import BotHarness

SAMPLE = [sample_handlers.register]


async def test_start_reply_and_button_press(make_harness):
    async with make_harness(features=SAMPLE) as h:
        r = await h.send(111, "/start")
        assert r.text == "Halo dari bot"
        assert r.buttons == ["Ya", "Tidak"]
        r = await h.press("tidak")
        assert r[0].kind == "edit" and r.text == "pilih yn:n"
        assert h.api.answered_callbacks  # the spinner was stopped


async def test_commands_registered_in_both_languages(make_harness):
    async with make_harness(features=SAMPLE) as h:
        id_cmds = h.api.commands[('{"type": "default"}', "")]
        en_cmds = h.api.commands[('{"type": "default"}', "en")]
        assert {c["command"] for c in id_cmds} >= {"start", "help", "porsi"}
        assert id_cmds[0]["description"] != en_cmds[0]["description"]


async def test_duplicate_update_id_answered_once(make_harness):
    async with make_harness(features=SAMPLE) as h:
        update = h.api.make_message(111, None, "halo")
        first = await h.feed(update)
        second = await h.feed(update)
        assert [s.text for s in first] == ["n=1"]
        assert second == []
        assert h.chat_data(111)["n"] == 1


async def test_the_update_id_is_committed_before_the_answer_leaves(make_harness, monkeypatch):
    """Dedupe is claimed in its own transaction, committed before any handler runs: when the
    answer reaches Telegram, another process (a fresh connection) already sees the id taken,
    so a redelivery racing this one is dropped there (not only after the state save)."""
    import sqlite3

    seen = []
    async with make_harness(features=SAMPLE) as h:
        path = h.db_url.split("///", 1)[1]
        update = h.api.make_message(111, None, "halo")

        def before(method, params):
            if method == "sendMessage":
                with sqlite3.connect(path) as other:
                    seen.append(other.execute("SELECT count(*) FROM processed_updates WHERE "
                                              "update_id = ?", (update["update_id"],)).fetchone()[0])

        monkeypatch.setattr(h.api, "_before_call", before)
        assert [s.text for s in await h.feed(update)] == ["n=1"]
    assert seen == [1]


async def test_an_answered_update_whose_state_save_failed_is_not_answered_again(
        make_harness, monkeypatch):
    """A process that dies between answering and saving the state (here: the save fails)
    leaves the update id claimed: Telegram's redelivery is dropped, never answered twice (the
    claim is not deferred into the save's transaction)."""
    from db.state_store import StateStore

    async with make_harness(features=SAMPLE) as h:
        update = h.api.make_message(111, None, "halo")

        def died(self, chat, user):
            raise RuntimeError("the process died here")

        monkeypatch.setattr(StateStore, "save", died)
        first = await h.feed(update)
        monkeypatch.undo()
        second = await h.feed(update)
        assert [s.text for s in first] == ["n=1"]
        assert second == []


async def test_burst_gets_exactly_one_please_wait(make_harness, clock):
    async with make_harness(features=SAMPLE, throttle=True,
                            settings_overrides={"throttle_burst": 3,
                                                "throttle_window_s": 10}) as h:
        texts = []
        for i in range(8):
            texts.append([s.text for s in await h.send(111, f"pesan {i}")])
        assert texts[:3] == [["n=1"], ["n=2"], ["n=3"]]
        assert len(texts[3]) == 1 and "tunggu" in texts[3][0].lower()
        assert texts[4:] == [[], [], [], []]
        assert h.chat_data(111)["n"] == 3  # throttled messages never reached the handlers
        # another person is not affected
        assert [s.text for s in await h.send(222, "halo")] == ["n=1"]
        clock.advance(seconds=11)
        assert [s.text for s in await h.send(111, "lagi")] == ["n=4"]


async def test_album_counts_once_towards_the_burst(make_harness, clock):
    async with make_harness(features=SAMPLE, throttle=True,
                            settings_overrides={"throttle_burst": 3,
                                                "throttle_window_s": 10}) as h:
        # the prefilter only looks at media_group_id; text keeps the sample counter simple
        for i in range(10):
            update = h.api.make_message(111, None, f"foto {i}")
            update["message"]["media_group_id"] = "album-1"
            assert [s.text for s in await h.feed(update)] == [f"n={i + 1}"]
        # the album was one of three: two more pass, then a plain burst is throttled
        assert [s.text for s in await h.send(111, "a")] == ["n=11"]
        assert [s.text for s in await h.send(111, "b")] == ["n=12"]
        assert "tunggu" in (await h.send(111, "c")).text.lower()
        # a second album inside the same window is a new burst item: throttled as well
        update = h.api.make_message(111, None, "foto lain")
        update["message"]["media_group_id"] = "album-2"
        assert [s.text for s in await h.feed(update)] == []
        assert h.chat_data(111)["n"] == 12


async def test_throttle_off_by_default_in_harness(make_harness):
    async with make_harness(features=SAMPLE, settings_overrides={"throttle_burst": 2}) as h:
        for i in range(5):
            await h.send(111, str(i))
        assert h.chat_data(111)["n"] == 5


async def test_throttle_state_survives_restart(make_harness, clock):
    async with make_harness(features=SAMPLE, throttle=True,
                            settings_overrides={"throttle_burst": 2}) as h:
        await h.send(111, "a")
        await h.send(111, "b")
        await h.restart()
        r = await h.send(111, "c")
        assert "tunggu" in r.text.lower()


async def test_input_length_cap(make_harness):
    async with make_harness(features=SAMPLE,
                            settings_overrides={"max_input_chars": 50}) as h:
        r = await h.send(111, "x" * 51)
        assert len(r) == 1 and "50" in r.text and "51" in r.text
        assert "n" not in h.chat_data(111)
        r = await h.send(111, "x" * 10_000, language_code="en")
        assert "too long" in r.text and "50" in r.text
        assert [s.text for s in await h.send(111, "x" * 50)] == ["n=1"]


async def test_edited_message_gets_polite_answer_not_reprocessed(make_harness):
    async with make_harness(features=SAMPLE) as h:
        await h.send(111, "halo")
        r = await h.edit(111, "halo diedit")
        assert len(r) == 1 and "diedit" in r.text.lower() and "pesan baru" in r.text.lower()
        assert h.chat_data(111)["n"] == 1
        assert h.user_data(111)["seen"] == ["halo"]


async def test_restart_keeps_chat_and_user_data(make_harness):
    async with make_harness(features=SAMPLE) as h:
        await h.send(111, "satu")
        await h.send(111, "dua")
        await h.restart()
        assert h.chat_data(111) == {}  # nothing in the new process's memory ...
        r = await h.send(111, "tiga")
        assert r.text == "n=3"  # ... but the DB had it
        assert h.user_data(111)["seen"] == ["satu", "dua", "tiga"]


async def test_two_applications_share_state_and_dedupe(any_db_url, clock, fake_gateway):
    from tests.fakes.botapi import FakeBotAPI

    api = FakeBotAPI()  # one Telegram, two bot processes on one database
    a = BotHarness(db_url=any_db_url, api=api, clock=clock, gateway=fake_gateway,
                   features=SAMPLE)
    b = BotHarness(db_url=any_db_url, api=api, clock=clock, gateway=fake_gateway,
                   features=SAMPLE)
    async with a, b:
        assert (await a.send(111, "satu")).text == "n=1"
        assert (await b.send(111, "dua")).text == "n=2"
        assert (await a.send(111, "tiga")).text == "n=3"
        update = api.make_message(111, None, "empat")
        replies = (await a.feed(update)) + (await b.feed(update))
        assert [s.text for s in replies] == ["n=4"]
        assert b.user_data(111)["seen"] == ["satu", "dua"]  # b's memory: its own last update
        await b.send(111, "lima")
        assert b.user_data(111)["seen"] == ["satu", "dua", "tiga", "empat", "lima"]


async def test_error_handler_tells_user_and_logs_no_user_text(make_harness, caplog):
    caplog.set_level(logging.INFO)
    async with make_harness(features=SAMPLE) as h:
        r = await h.send(111, "/boom rahasia-pribadi-123")
        assert len(r) == 1 and "kesalahan" in r.text
        error_id = r.text.rsplit(" ", 1)[-1].strip()
        assert len(error_id) == 8
        log = caplog.text
        assert error_id in log and "ValueError" in log
        assert "rahasia-pribadi-123" not in log
        r = await h.send(222, "/boom x", language_code="en")
        assert "something went wrong" in r.text.lower()


async def test_non_json_state_is_not_saved_and_logged_without_values(make_harness, caplog):
    from telegram.ext import MessageHandler, filters

    async with make_harness(features=SAMPLE) as h:
        async def bad(update, context):
            context.chat_data["obj"] = {1, 2}  # a set is not JSON

        h.app.add_handler(MessageHandler(filters.Regex("^bad$"), bad), group=-1)
        await h.send(111, "bad")
        assert "chat_data is not JSON-able" in caplog.text and "{1, 2}" not in caplog.text


@pytest.mark.skipif(importlib.util.find_spec("handlers.start") is None,
                    reason="handlers.start not written yet")
async def test_product_start_replies(harness):
    r = await harness.send(111, "/start")
    assert r.text and r.buttons
