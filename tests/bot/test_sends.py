"""SendLog's replay (bot/sends.py): a re-run's requests are matched to the last try's by
method, in order; one the re-run no longer makes is skipped over, one it adds is sent."""

from __future__ import annotations

from bot.sends import SendLog


class _Store:
    def __init__(self):
        self.units: list[tuple] = []

    async def call(self, fn, *args):
        self.units.append((fn.__name__, *args))

    def defer(self, fn, *args):
        self.units.append((fn.__name__, *args[:2]))


class _Journal:
    def __init__(self):
        self.store = _Store()

    def intent(self, *args): ...

    def done(self, *args): ...

    def drop(self, *args): ...


async def test_replay_skips_what_the_rerun_no_longer_sends_and_sends_what_is_new():
    journal = _Journal()
    log = SendLog(journal, 7, 111, {0: ("copyMessage", '{"ok":true,"result":1}'),
                                    1: ("sendMessage", '{"ok":true,"result":2}'),
                                    2: ("sendMessage", None)})
    sent: list[str] = []

    def sender(name):
        async def send():
            sent.append(name)
            return 200, b'{"ok":true,"result":9}'
        return send

    # the helpdesk's copy was recorded by its own outbox: the re-run does not make it again
    assert await log.request("sendMessage", sender("ack")) == (200, b'{"ok":true,"result":2}')
    # started by the last try, no response recorded: sent again under its own number
    assert await log.request("sendMessage", sender("card")) == (200, b'{"ok":true,"result":9}')
    # nothing recorded for it: sent, numbered after the last try's requests
    assert (await log.request("editMessageText", sender("edit")))[0] == 200
    assert sent == ["card", "edit"]
    assert [u[:3] for u in journal.store.units if u[0] == "intent"] == [
        ("intent", 7, 2), ("intent", 7, 3)]
