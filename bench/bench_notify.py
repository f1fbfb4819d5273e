"""Bench of notifications (issue 16). Not part of the test run.

    python bench/bench_notify.py [--rows 200000] [--subs 100000] [--changed 40000]
                                 [--drain 1500] [--kill-after 500] [--workdir var/bench-notify]

1. queue: a synthetic export of `--rows` (integration.dataset) imported into a fresh SQLite
   mirror; `--subs` subscriptions (one chat per porsi); then a batch sync (`import_csv`, the
   real path) in which `--changed` watched records (and as many unwatched ones) move their
   quota and estimate. Run twice from copies of the same database, with the notification hook
   and without it (`notify=False`): the difference is diff + queue's cost, also timed inside
   the hook. Each run in its own process (peak RSS is its own).
2. drain: `--drain` notifications (some chats with two) sent by `hajibot notify drain` (a
   subprocess, HAJIBOT_NOTIFY_RATE default 25) to the fake Bot API over HTTP, which answers 429
   (retry_after 1) above 30 sendMessage in any second and, besides, to every 200th message;
   the drain is SIGKILLed once `--kill-after` messages arrived, then run again. Counts what the
   fake received: the most in any one-second window, duplicates, lost, the smallest gap between
   two messages to one chat.
Prints the figures with the machine and the command.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter, deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._machine import machine  # noqa: E402 - after ROOT is on the path

TARGET_RATE = 20_000  # notifications/s of diff + queue
TOKEN = "123:bench-notify"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- phase: queue


def prepare(args) -> None:
    """Base export, mirror, subscriptions, and the changed export."""
    import csv

    from db import migrate
    from db.engine import Database
    from integration.dataset import write_dataset
    from integration.mirror import import_csv

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    base = work / f"base_{args.rows}.csv"
    if not base.exists():
        write_dataset(base, args.rows, 1448)
    db_path = work / "base.sqlite3"
    for f in work.glob("base.sqlite3*"):
        f.unlink()
    url = f"sqlite:///{db_path}"
    migrate.upgrade(url)
    db = Database(url)
    import_csv(db, base)
    with open(base, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, rows = rows[0], rows[1:]
    rng = random.Random(16)
    rng.shuffle(rows)
    watched = rows[:args.subs]
    raw = db.engine.raw_connection()
    cur = raw.cursor()
    cur.executemany("INSERT INTO notify_subscriptions (channel, chat_id, porsi, lang, created_at)"
                    " VALUES ('telegram', ?, ?, 'id', '2026-12-07 00:00:00.000000')",
                    [(10_000 + i, r[0]) for i, r in enumerate(watched)])
    raw.commit()
    raw.close()
    db.dispose()
    i = {c: n for n, c in enumerate(header)}
    changed = watched[:args.changed] + rows[args.subs:args.subs + args.changed]
    out = []
    for r in changed:
        r = list(r)
        quota = int(r[i["kuotapropinsi"]] or 1000)
        r[i["kuotapropinsi"]] = str(quota // 2)  # the 2022 shape: quota halved
        if r[i["berangkathijriah"]]:
            r[i["berangkathijriah"]] = str(int(r[i["berangkathijriah"]]) + 3)
        if r[i["berangkatmasehi"]]:
            r[i["berangkatmasehi"]] = str(int(r[i["berangkatmasehi"]]) + 3)
        r[i["updated_at"]] = "2026-12-07T08:00:00+07:00"
        out.append(r)
    rng.shuffle(out)
    with open(work / "changed.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(out)


def phase_sync(args) -> dict:
    """One batch sync of changed.csv into a copy of the base mirror (own process)."""
    from db.engine import Database
    from integration import mirror_import, notify_queue
    from integration.mirror import import_csv

    work = Path(args.workdir)
    target = work / f"run_{args.notify}.sqlite3"
    for f in work.glob(target.name + "*"):
        f.unlink()
    shutil.copy(work / "base.sqlite3", target)
    inside = {"seconds": 0.0}
    hook_cls = notify_queue.ImportHook

    class TimedHook(hook_cls):
        def __init__(self, *a, **kw):
            t = time.perf_counter()
            super().__init__(*a, **kw)
            inside["seconds"] += time.perf_counter() - t

        def before(self, rows):
            t = time.perf_counter()
            try:
                return super().before(rows)
            finally:
                inside["seconds"] += time.perf_counter() - t

        def after(self, pairs):
            t = time.perf_counter()
            try:
                return super().after(pairs)
            finally:
                inside["seconds"] += time.perf_counter() - t

    notify_queue.ImportHook = TimedHook
    mirror_import.notify_hook = lambda cur, dialect: TimedHook(cur, dialect,
                                                               mirror_import.unpack)
    db = Database(f"sqlite:///{target}")
    started = time.perf_counter()
    report = import_csv(db, work / "changed.csv", notify=args.notify == "on")
    seconds = time.perf_counter() - started
    raw = db.engine.raw_connection()
    queued = raw.cursor().execute("SELECT count(*) FROM notify_outbox").fetchone()[0]
    raw.close()
    db.dispose()
    return {"seconds": seconds, "hook_seconds": inside["seconds"], "updated": report.updated,
            "notifications": report.notifications, "outbox_rows": queued, "rss_mb": _rss_mb()}


# --------------------------------------------------------------------------- phase: drain


class CappedAPI:
    """The fake Bot API held to 30 sendMessage a second (429 retry_after 1 above it), with an
    injected 429 every 200th message besides."""

    def __init__(self, api):
        self.api = api
        self.window: deque[float] = deque()
        self.times: list[tuple[float, int]] = []  # (time, chat) of each accepted message
        self.n = 0
        self.kill_at: tuple[int, int] | None = None  # (messages, pid)
        self.rejected = 0
        original = api.call_sync

        def call_sync(method, params, files=None):
            if method == "sendMessage":
                now = time.monotonic()
                while self.window and now - self.window[0] >= 1.0:
                    self.window.popleft()
                self.n += 1
                if len(self.window) >= 30 or self.n % 200 == 0:
                    self.rejected += 1
                    return 429, {"ok": False, "error_code": 429,
                                 "description": "Too Many Requests: retry after 1",
                                 "parameters": {"retry_after": 1}}
                self.window.append(now)
                out = original(method, params, files)
                self.times.append((now, int(params["chat_id"])))
                if self.kill_at and len(self.times) >= self.kill_at[0]:
                    os.kill(self.kill_at[1], signal.SIGKILL)
                    self.kill_at = None
                return out
            return original(method, params, files)

        api.call_sync = call_sync


async def phase_drain(args) -> dict:
    from db import migrate, repos_notify
    from db.engine import Database
    from integration.mirror import import_csv
    from tests.fakes.botapi import FakeBotAPI, serve_http
    from tests.integration._mirrorrows import row, write

    work = Path(args.workdir)
    db_path = work / "drain.sqlite3"
    for f in work.glob("drain.sqlite3*"):
        f.unlink()
    url = f"sqlite:///{db_path}"
    migrate.upgrade(url)
    db = Database(url)
    n = args.drain
    porsi = [f"17{i:08d}" for i in range(n)]
    import_csv(db, write(work / "drain_a.csv", [row(p) for p in porsi]))
    api = FakeBotAPI()
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    doubles = n // 10  # these chats watch two porsi: two messages, one second apart at least
    with db.session() as s:
        for i, p in enumerate(porsi):
            chat = 50_000 + (i if i >= doubles * 2 else i // 2)
            repos_notify.subscribe(s, chat, p, "id", now, limit=10)
    for chat in {50_000 + (i if i >= doubles * 2 else i // 2) for i in range(n)}:
        api.add_user(chat)
    import_csv(db, write(work / "drain_b.csv", [row(p, "2024-04-01T10:00:00+07:00",
                                                     status_jemaah="WAFAT") for p in porsi]))
    capped = CappedAPI(api)
    runner, base_url = await serve_http(api, token=TOKEN)
    env = dict(os.environ, HAJIBOT_DATABASE_URL=url, HAJIBOT_TELEGRAM_TOKEN=TOKEN,
               HAJIBOT_TELEGRAM_BASE_URL=base_url, HAJIBOT_NOTIFY_QUIET_HOURS="",
               HAJIBOT_INBOX_CLAIM_TIMEOUT_S="3", PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "bot.cli", "notify", "drain", "--json"]
    started = time.monotonic()
    first = await asyncio.create_subprocess_exec(*cmd, env=env, stdout=subprocess.PIPE,
                                                 stderr=subprocess.PIPE)
    capped.kill_at = (args.kill_after, first.pid)
    await first.communicate()
    killed_at = time.monotonic()
    await asyncio.sleep(3.5)  # the dead sender's lease lapses
    second = await asyncio.create_subprocess_exec(*cmd, env=env, stdout=subprocess.PIPE,
                                                  stderr=subprocess.PIPE)
    out, err = await second.communicate()
    await runner.cleanup()
    report = json.loads(out) if second.returncode == 0 else {"error": err.decode()[-500:]}
    times = sorted(capped.times)
    peak, j = 0, 0
    for k, (t, _) in enumerate(times):
        while t - times[j][0] >= 1.0:
            j += 1
        peak = max(peak, k - j + 1)
    per_chat: dict[int, list[float]] = {}
    for t, c in times:
        per_chat.setdefault(c, []).append(t)
    gaps = [b - a for ts in per_chat.values() for a, b in itertools.pairwise(ts)]
    with db.session() as s:
        states = repos_notify.stats(s, datetime.now(UTC))["states"]
    db.dispose()
    expected = Counter({50_000 + (i if i >= doubles * 2 else i // 2): 0 for i in range(n)})
    for i in range(n):
        expected[50_000 + (i if i >= doubles * 2 else i // 2)] += 1
    got = Counter(c for _, c in times)
    dup = sum(max(0, got[c] - expected[c]) for c in expected)
    lost = sum(max(0, expected[c] - got[c]) for c in expected)
    sending = killed_at - started
    return {"notifications": n, "received": len(times), "duplicates": dup, "lost": lost,
            "peak_per_1s_window": peak, "rejected_429": capped.rejected,
            "min_gap_same_chat_s": round(min(gaps), 3) if gaps else None,
            "first_run_s": round(sending, 1), "total_s": round(time.monotonic() - started, 1),
            "killed_after": args.kill_after, "second_run": report, "states": states}


# --------------------------------------------------------------------------------- main


def run_phase(name: str, args, extra: list[str]) -> dict:
    cmd = [sys.executable, __file__, "--phase", name, "--workdir", args.workdir, *extra]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=dict(
        os.environ, PYTHONPATH=str(ROOT)))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--subs", type=int, default=100_000)
    p.add_argument("--changed", type=int, default=40_000)
    p.add_argument("--drain", type=int, default=1500)
    p.add_argument("--kill-after", type=int, default=500)
    p.add_argument("--workdir", default=str(ROOT / "var" / "bench-notify"))
    p.add_argument("--phase")
    p.add_argument("--notify", default="on")
    p.add_argument("--skip-queue", action="store_true")
    p.add_argument("--skip-drain", action="store_true")
    args = p.parse_args()
    if args.phase == "sync":
        print(json.dumps(phase_sync(args)))
        return 0
    if args.phase == "drain":
        print(json.dumps(asyncio.run(phase_drain(args))))
        return 0
    command = "python bench/bench_notify.py " + shlex.join(sys.argv[1:])
    print(f"command : {command}")
    print(f"machine : {machine()}")
    if not args.skip_queue:
        t = time.perf_counter()
        prepare(args)
        print(f"prepared {args.rows:,} rows, {args.subs:,} subscriptions, "
              f"{2 * args.changed:,} changed rows ({args.changed:,} watched) in "
              f"{time.perf_counter() - t:.1f} s")
        runs = {}
        for notify in ("off", "on", "off", "on"):  # alternated: the machine is noisy
            r = run_phase("sync", args, ["--notify", notify])
            runs.setdefault(notify, []).append(r)
            print(f"  sync notify={notify}: {r['seconds']:.2f} s, hook {r['hook_seconds']:.2f} s,"
                  f" {r['notifications']:,} queued, peak RSS {r['rss_mb']:.0f} MB")
        off = min(r["seconds"] for r in runs["off"])
        on = min(r["seconds"] for r in runs["on"])
        hook = min(r["hook_seconds"] for r in runs["on"])
        queued = runs["on"][0]["notifications"]
        added = max(on - off, 1e-9)
        print(f"queue   : import alone {off:.2f} s ({2 * args.changed / off:,.0f} rows/s); with "
              f"notifications {on:.2f} s; {queued:,} queued")
        print(f"          diff + queue {added:.2f} s by difference = {queued / added:,.0f}/s; "
              f"timed inside the hook {hook:.2f} s = {queued / hook:,.0f}/s "
              f"(target >= {TARGET_RATE:,}/s)")
        print(f"          peak RSS off {max(r['rss_mb'] for r in runs['off']):.0f} MB, on "
              f"{max(r['rss_mb'] for r in runs['on']):.0f} MB")
    if not args.skip_drain:
        d = run_phase("drain", args, ["--drain", str(args.drain), "--kill-after",
                                      str(args.kill_after)])
        print(f"drain   : {d['notifications']:,} notifications, SIGKILL after {d['killed_after']}"
              f" received, restart: received {d['received']:,}, duplicates {d['duplicates']}, "
              f"lost {d['lost']}")
        print(f"          most in any 1 s window {d['peak_per_1s_window']} (cap 30), 429 answered "
              f"{d['rejected_429']}, smallest gap to one chat {d['min_gap_same_chat_s']} s, "
              f"total {d['total_s']} s")
        print(f"          second run: {json.dumps(d['second_run'])}")
        print(f"          outbox states: {d['states']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
