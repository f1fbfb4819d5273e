"""The kill test (issue 13), short: two real `hajibot run --webhook` workers on one PostgreSQL,
200 updates from 50 people over HTTP, worker 0 SIGKILLed mid-burst and restarted: nothing
lost, nothing answered twice, every person's answers in order (bench/bench_load.py)."""

from __future__ import annotations

import importlib.util
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
                       "--kill-after", "70", "--db-url", pg_url, "--claim-timeout", "6"])
    out = capsys.readouterr().out
    assert "lost 0, duplicated 0, people out of order 0" in out, out
    assert code == 0, out
