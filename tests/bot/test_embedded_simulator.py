"""The embedded Siskohat simulator never reports on a stranger's port (issue 18, finding 4).

The configured loopback port taken by something else: ours starts on a free port and the
client is pointed there; taken by a hajibot simulator with this key and the same data (another
hajibot, `hajibot simulator`): that one is used, as before.
"""

from __future__ import annotations

import socket
from contextlib import AsyncExitStack

from bot.channels.local import embedded_setup, start_simulator
from bot.settings import Settings
from integration import simulator
from integration.client import SiskohatClient
from tests.integration._simdata import write_csv

KEY = "demo-key"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _answers(url: str, key: str = KEY) -> bool:
    async with SiskohatClient(url, key, timeout_s=1, total_timeout_s=2, retries=0) as c:
        return await c.check() == "ok"


async def test_free_port_is_used_as_configured(tmp_path):
    csv_path = write_csv(tmp_path / "export.csv")
    url = f"http://127.0.0.1:{_free_port()}"
    async with AsyncExitStack() as stack:
        served = await start_simulator(csv_path, url, KEY, stack)
        assert served == url
        assert await _answers(url)


async def test_port_held_by_a_plain_socket_moves_to_a_free_port(tmp_path):
    csv_path = write_csv(tmp_path / "export.csv")
    with socket.socket() as stranger:
        stranger.bind(("127.0.0.1", 0))
        stranger.listen()  # accepts connections, never answers
        url = f"http://127.0.0.1:{stranger.getsockname()[1]}"
        async with AsyncExitStack() as stack:
            served = await start_simulator(csv_path, url, KEY, stack)
            assert served != url and served.startswith("http://127.0.0.1:")
            found = await simulator.identify(served, KEY)
            assert found["data"] == simulator.data_fingerprint(csv_path)
            assert await _answers(served)


async def test_a_twin_simulator_with_the_same_data_is_used(tmp_path):
    csv_path = write_csv(tmp_path / "export.csv")
    twin = await simulator.serve(csv_path, "127.0.0.1", 0, KEY)
    try:
        url = simulator.base_url(twin)
        async with AsyncExitStack() as stack:
            assert await start_simulator(csv_path, url, KEY, stack) == url
        assert twin.app[simulator.STATS]["total"] == 0
    finally:
        await twin.cleanup()


async def test_a_simulator_with_other_data_or_key_is_not_used(tmp_path):
    csv_path = write_csv(tmp_path / "export.csv")
    other = tmp_path / "other.csv"
    other.write_bytes(csv_path.read_bytes().replace(b"AHMAD", b"AHMAT"))
    for data, key in ((other, KEY), (csv_path, "another-key")):
        runner = await simulator.serve(data, "127.0.0.1", 0, key)
        try:
            url = simulator.base_url(runner)
            async with AsyncExitStack() as stack:
                served = await start_simulator(csv_path, url, KEY, stack)
                assert served != url
                assert await _answers(served)
        finally:
            await runner.cleanup()


async def test_embedded_setup_points_the_settings_at_the_moved_simulator(tmp_path):
    csv_path = write_csv(tmp_path / "export.csv")
    with socket.socket() as stranger:
        stranger.bind(("127.0.0.1", 0))
        stranger.listen()
        url = f"http://127.0.0.1:{stranger.getsockname()[1]}"
        settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path}/bot.sqlite3",
                            siskohat_url=url, simulator_data=csv_path)
        async with AsyncExitStack() as stack:
            used, hint = await embedded_setup(settings, stack)
            assert used.siskohat_url != url and hint
            assert settings.siskohat_url == url  # the caller's settings are left alone
            assert await _answers(used.siskohat_url)
