"""The kill test (issue 13), short: two real `hajibot run --webhook` workers on one PostgreSQL,
200 updates from 50 people over HTTP, worker 0 SIGKILLed mid-burst and restarted: nothing
lost, every person's answers in order (bench/bench_load.py). The worker that takes the killed
one's updates over replays what they had sent (bot/sends.py); the only duplicates possible are
requests that were in flight at the kill, and each of those is counted as uncertain."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_load.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_load", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_load", module)
    spec.loader.exec_module(module)
    return module


def test_two_workers_one_killed_mid_burst_lose_and_repeat_nothing(pg_url, capsys):
    bench = _bench()
    # a short claim timeout keeps the take-over (and the test) within seconds
    code = bench.main(["--workers", "2", "--people", "50", "--per-person", "4",
                       "--kill-after", "70", "--db-url", pg_url, "--claim-timeout", "6",
                       "--concurrent", "16", "--json"])
    out = capsys.readouterr().out
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["lost"] == 0 and figures["out_of_order"] == 0, out
    # a duplicate can only be a request in flight at the kill, and those are counted
    assert figures["duplicated"] <= figures["uncertain"] <= 16, out
    assert figures["killed_at_ack"] == 70 and figures["answered"] == 200, out
    assert code == 0, out
