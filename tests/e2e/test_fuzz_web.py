"""Fuzz: hostile and random bodies through the real web app in-process (issue 18).

Hypothesis generates Telegram updates (valid ones with fields replaced by random JSON, and
random JSON of every shape) and Siskohat push events (signed, so they reach the parser); every
answer must be < 500, and after every batch a normal /start from a fresh chat must be answered
(the bot never stalls). `make test` runs a short round; the full round is
`HAJIBOT_FUZZ_EXAMPLES=10000 .venv/bin/pytest -q tests/e2e/test_fuzz_web.py` (figures in the
README's reliability section).
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.web import SECRET_HEADER, make_web_app
from integration.push import PATH as PUSH_PATH
from integration.push import SIGNATURE_HEADER, sign
from tests.e2e.harness import BotHarness

EXAMPLES = int(os.environ.get("HAJIBOT_FUZZ_EXAMPLES", "300"))
BATCH = 50
SECRET = "fuzz-secret"
PUSH_SECRET = "fuzz-push-secret"

scalars = st.one_of(
    st.none(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=40),
)
json_values = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                     st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20)
FIELDS = ["update_id", "message", "edited_message", "callback_query", "message.text",
          "message.chat", "message.chat.id", "message.from", "message.from.id",
          "message.message_id", "message.date", "message.contact", "message.entities"]


class Rig:
    """One harness + web app on a private event loop, shared by every example."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.tmp = tempfile.TemporaryDirectory(prefix="hajibot-fuzz-")
        url = f"sqlite:///{Path(self.tmp.name) / 'bot.sqlite3'}"
        self.h = BotHarness(db_url=url, settings_overrides={
            "webhook_secret": SECRET, "siskohat_push_secret": PUSH_SECRET,
            "throttle_burst": 10**6})
        self.loop.run_until_complete(self._start())
        self.sent = 0
        self.fresh_chat = 900_000_000
        self.statuses: dict[int, int] = {}

    async def _start(self):
        await self.h.__aenter__()
        app = make_web_app(self.h.settings, ptb_app=self.h.app, db=self.h.db,
                           set_webhook=False)
        self.client = TestClient(TestServer(app))
        await self.client.start_server()

    def close(self):
        async def stop():
            await self.client.close()
            await self.h.__aexit__(None, None, None)
        self.loop.run_until_complete(stop())
        self.loop.close()
        self.tmp.cleanup()

    def post(self, path: str, body: bytes, headers: dict) -> int:
        async def go():
            resp = await self.client.post(path, data=body, headers=headers)
            await resp.read()
            return resp.status
        status = self.loop.run_until_complete(go())
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.sent += 1
        if self.sent % BATCH == 0:
            self.assert_answers()
        return status

    def assert_answers(self) -> None:
        """A normal /start from a fresh chat is answered within 10 s: nothing stalled."""
        self.fresh_chat += 1
        chat = self.fresh_chat
        update = self.h.api.make_message(chat, None, "/start")

        async def go():
            resp = await self.client.post("/telegram", json=update,
                                          headers={SECRET_HEADER: SECRET})
            assert resp.status == 200
            for _ in range(500):
                if self.h.api.sent_to(chat):
                    return True
                await asyncio.sleep(0.02)
            return False
        assert self.loop.run_until_complete(go()), "the bot stopped answering"


_RIG: Rig | None = None


def rig() -> Rig:
    global _RIG
    if _RIG is None:
        _RIG = Rig()
    return _RIG


def teardown_module(module):
    global _RIG
    if _RIG is not None:
        _RIG.assert_answers()
        print(f"\nfuzz: {_RIG.sent} bodies posted, statuses {sorted(_RIG.statuses.items())}, "
              f"{_RIG.fresh_chat - 900_000_000} liveness checks answered")
        _RIG.close()
        _RIG = None


def _set(update: dict, path: str, value) -> dict:
    node = update
    keys = path.split(".")
    for key in keys[:-1]:
        nxt = node.get(key)
        if not isinstance(nxt, dict):
            nxt = node[key] = {}
        node = nxt
    node[keys[-1]] = value
    return update


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")),
                suppress_health_check=list(HealthCheck))


@FUZZ
@given(field=st.sampled_from(FIELDS), value=json_values, n=st.integers(1, 10**6))
def test_mutated_updates_never_5xx(field, value, n):
    r = rig()
    update = _set(r.h.api.make_message(700_000 + n, None, "halo"), field, value)
    body = json.dumps(update).encode()
    assert r.post("/telegram", body, {SECRET_HEADER: SECRET}) < 500


@FUZZ
@given(body=st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=200)))
def test_random_bodies_never_5xx(body):
    assert rig().post("/telegram", body, {SECRET_HEADER: SECRET}) < 500


@FUZZ
@given(event=st.fixed_dictionaries({}, optional={
    "id": json_values, "jenis": st.one_of(st.sampled_from(["status.diperbarui",
                                                           "istithaah.diperbarui"]), json_values),
    "kd_porsi": st.one_of(st.just("3509412276"), json_values), "data": json_values,
    "waktu": st.one_of(st.just("2026-11-20T10:00:00+07:00"), json_values)}))
def test_signed_push_events_never_5xx(event):
    body = json.dumps(event).encode()
    status = rig().post(PUSH_PATH, body, {SIGNATURE_HEADER: sign(body, PUSH_SECRET),
                                          "Content-Type": "application/json"})
    assert status < 500
