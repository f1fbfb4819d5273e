"""The send journal (bot/sends.py, issue 13): an inbox update that is run again after its
worker died (or its try was given back) does not send again what the first try sent."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from sqlalchemy import text
from telegram.ext import MessageHandler, filters

from bot import sends
from db.inbox import CLAIM_TIMEOUT, Inbox, _utcnow
from tests.e2e import sample_handlers
from tests.e2e.harness import wait_for

SAMPLE = [sample_handlers.register]



def _journal(db):
    with db.engine.connect() as c:
        return [tuple(r) for r in c.execute(text(
            "SELECT update_id, seq, method, response IS NOT NULL FROM update_sends "
            "ORDER BY update_id, seq"))]


async def test_a_rerun_replays_what_was_sent_and_sends_the_rest_once(make_harness):
    async with make_harness(features=SAMPLE) as h:
        worker = h.app.inbox
        worker.unit_timeout_s = 0.3
        tries = {"n": 0}
        ids: list[int] = []

        async def three(update, context):
            tries["n"] += 1
            for word in ("satu", "dua"):
                sent = await update.message.reply_text(word)
                ids.append(sent.message_id)
            if tries["n"] == 1:  # the first try hangs here, as a dying worker would stop
                assert await wait_for(lambda: _journal(h.db) == [
                    (update.update_id, 0, "sendMessage", True),
                    (update.update_id, 1, "sendMessage", True)])
                await asyncio.Event().wait()
            await update.message.reply_text("tiga")

        h.app.add_handler(MessageHandler(filters.Regex("^tiga pesan$"), three), group=-1)
        replayed = sends.REPLAYED._value.get()
        from telegram import Update

        raw = h.api.make_message(111, None, "tiga pesan")
        await worker.add(Update.de_json(raw, h.app.bot))
        assert await wait_for(lambda: tries["n"] == 2 and len(h.api.sent_to(111)) >= 3)
        await asyncio.sleep(0.2)
        texts = [s.text for s in h.api.sent_to(111) if s.text in ("satu", "dua", "tiga")]
        assert texts == ["satu", "dua", "tiga"]  # not satu, dua, satu, dua, tiga
        assert sends.REPLAYED._value.get() - replayed == 2
        assert ids[:2] == ids[2:4]  # the re-run saw the same messages (ids) as the first try
        assert await wait_for(lambda: _journal(h.db) == [])  # deleted with the finish


async def test_a_request_without_a_recorded_response_is_sent_again_and_counted(make_harness):
    async with make_harness(features=SAMPLE) as h:
        await h.app.inbox.stop(1.0)  # no worker of ours for now
        raw = h.api.make_message(111, None, "halo")
        uid = raw["update_id"]
        store = h.app.store
        Inbox(store).add([(uid, 111, 111, json.dumps(raw))])
        old = store.stamp(_utcnow() - CLAIM_TIMEOUT - timedelta(seconds=1))
        journal = sends.SendJournal(store)
        journal.intent(uid, 0, 111, "sendMessage")  # it died with this request in flight
        with h.db.engine.begin() as c:
            c.execute(text("UPDATE update_inbox SET state='claimed', claimed_by='dead:1', "
                           "claimed_at=:t, attempts=1"), {"t": old})
        uncertain = sends.UNCERTAIN._value.get()
        await h.restart()  # a live worker takes the silent claim over
        assert await wait_for(lambda: h.api.sent_to(111))
        assert [s.text for s in h.api.sent_to(111)] == ["n=1"]  # sent: better twice than never
        assert sends.UNCERTAIN._value.get() - uncertain == 1
        assert await wait_for(lambda: _journal(h.db) == [])


async def test_only_inbox_updates_are_journaled(make_harness, monkeypatch):
    calls = []
    real = sends.SendJournal.intent

    def spy(self, *args):
        calls.append(args[1:])
        return real(self, *args)

    monkeypatch.setattr(sends.SendJournal, "intent", spy)
    async with make_harness(features=SAMPLE) as h:
        await h.send(111, "halo")  # the console's and tests' path, not the inbox
        assert [s.text for s in h.api.sent_to(111)] == ["n=1"] and calls == []
        from telegram import Update

        await h.app.inbox.add(Update.de_json(h.api.make_message(112, None, "halo"), h.app.bot))
        assert await wait_for(lambda: h.api.sent_to(112))
        assert calls == [(0, 112, "sendMessage")]
