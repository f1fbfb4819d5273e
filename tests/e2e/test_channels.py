"""`hajibot chat` and bare `hajibot` (no token) as a person uses them: a real process, stdin piped.

Each run is a fresh clone's first start in a temp dir: SQLite file, embedded Siskohat simulator
on a free loopback port (the port of HAJIBOT_SISKOHAT_URL), demo data imported into the mirror.
"""

from __future__ import annotations

import asyncio
import csv
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from integration.demo import DEMO_PORSI

HAJIBOT = Path(sys.executable).with_name("hajibot")
PORSI = DEMO_PORSI["tahap1"]
UNKNOWN_PORSI = "1234567890"  # not in the demo data: the gateway asks the simulator (404)
MASKED = re.compile(r"Nama: [A-Z]\*+(?: [A-Z]\*+)+")
LOG_LINE = re.compile(r"^\S+ \S+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: ", re.M)


def _free_port() -> int:
    # The child binds it (the simulator's port comes from the URL); free at the time we ask.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _run(tmp_path: Path, args: list[str], stdin: str, *, siskohat_url: str | None = None,
               **env_extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAJIBOT_")}
    env.update(HAJIBOT_DATABASE_URL=f"sqlite:///{tmp_path}/chat.sqlite3",
               HAJIBOT_SISKOHAT_URL=siskohat_url or f"http://127.0.0.1:{_free_port()}",
               **env_extra)
    # asyncio's subprocess: the event loop keeps serving a simulator the test started.
    proc = await asyncio.create_subprocess_exec(
        str(HAJIBOT), *args, cwd=tmp_path, env=env, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), 15)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return subprocess.CompletedProcess(args, proc.returncode, out.decode(), err.decode())


@pytest.fixture
async def simulator_url(tmp_path):
    """`hajibot simulator` already serving the demo data (as when another hajibot runs)."""
    from integration import simulator
    from integration.demo import demo_csv

    # The child's own demo_csv() finds this file (same place under its cwd, same version).
    runner = await simulator.serve(demo_csv(tmp_path / "var/demo/siskohat_demo.csv"),
                                   "127.0.0.1", 0)
    yield simulator.base_url(runner)
    await runner.cleanup()


def _full_name(tmp_path: Path, porsi: str) -> str:
    with (tmp_path / "var/demo/siskohat_demo.csv").open(newline="") as f:
        return next(row["nama"] for row in csv.DictReader(f) if row["kd_porsi"] == porsi)


def _operator_lines(proc: subprocess.CompletedProcess) -> list[str]:
    """Log lines below WARNING in what the person sees (stdout and the terminal's stderr)."""
    return [m.group(0) for m in LOG_LINE.finditer(proc.stdout + proc.stderr)
            if m.group(1) in ("DEBUG", "INFO")]


def _assert_person_sees_a_conversation(tmp_path: Path, proc: subprocess.CompletedProcess):
    out, err = proc.stdout, proc.stderr
    assert proc.returncode == 0, err
    assert "Traceback" not in out + err
    # Greeting: says it is a bot, menu as numbered choices typed by the person.
    assert "Assalamu" in out and "bot" in out.lower()
    assert re.search(r"\[1\] Cek status porsi\s+\[2\] Pelunasan", out)
    # "1" pressed the first button: the status flow asks for the number.
    assert "10 angka" in out
    # The showcase porsi: status reply with the masked name, never the name itself.
    assert f"Status nomor porsi {PORSI}" in out
    assert MASKED.search(out), out
    name = _full_name(tmp_path, PORSI)
    assert name not in out + err and name.split()[0] not in out + err


async def test_console_chat_conversation(tmp_path):
    proc = await _run(tmp_path, ["chat"], f"/start\n1\n{PORSI}\n{UNKNOWN_PORSI}\n/quit\n")
    _assert_person_sees_a_conversation(tmp_path, proc)
    assert proc.stdout.count("Assalamu") == 2  # the automatic /start and the typed one
    assert proc.stdout.count(UNKNOWN_PORSI) >= 1  # answered, not silence
    assert not _operator_lines(proc)


async def test_bare_hajibot_without_token_is_the_console_chat(tmp_path):
    proc = await _run(tmp_path, [], f"1\n{PORSI}\n")  # EOF instead of /quit
    _assert_person_sees_a_conversation(tmp_path, proc)
    assert not _operator_lines(proc)


async def test_console_chat_beside_a_running_simulator_stays_quiet(tmp_path, simulator_url):
    proc = await _run(tmp_path, ["chat"], f"1\n{PORSI}\n/quit\n", siskohat_url=simulator_url)
    _assert_person_sees_a_conversation(tmp_path, proc)
    # A person is chatting, not operating: "simulator already running" is not for them.
    assert "already running" not in proc.stdout + proc.stderr
    assert not _operator_lines(proc)


async def test_console_log_level_debug_shows_our_info_lines(tmp_path, simulator_url):
    # The counter-check of the quiet terminal: that same start does log at INFO, and
    # HAJIBOT_LOG_LEVEL=DEBUG lets an operator see it.
    proc = await _run(tmp_path, ["chat"], "/quit\n", siskohat_url=simulator_url,
                      HAJIBOT_LOG_LEVEL="DEBUG")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert re.search(r" INFO bot\.channels\.local: Siskohat simulator already running",
                     proc.stderr), proc.stderr
