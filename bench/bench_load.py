"""Load and fault harness (issue 13): real `hajibot run --webhook` processes over HTTP.

    python bench/bench_load.py [--workers 2] [--people 300] [--per-person 4]
                               [--live 0] [--latency-ms 400] [--kill-after 400]
                               [--db-url postgresql+psycopg://...] [--concurrent 64]

What runs, all on loopback:
- a fake Telegram Bot API over HTTP (bot/transport.py's FakeBotAPI behind `serve_http`): the
  workers send their replies to it (HAJIBOT_TELEGRAM_BASE_URL), every reply is timed;
- the Siskohat simulator (`hajibot simulator`, its own process) with `--latency-ms` added to
  every request;
- `--workers` processes of `hajibot run --webhook` on one database (SQLite file by default,
  `--db-url` for PostgreSQL), each on its own port, as behind a load balancer.
People: `--people` people whose porsi are in the local mirror and `--live` people whose porsi
only Siskohat has (an on-demand fetch each). Each sends `--per-person` porsi numbers one after
another (each POST awaited, like Telegram, which delivers one chat's updates in order), all
people at once; POSTs go round-robin to the workers, a failed POST (connection refused,
5xx) is sent again to the next worker, as Telegram retries.
`--kill-after N`: after N acknowledged updates worker 0 gets SIGKILL and is started again
(its claimed updates are taken over after HAJIBOT_INBOX_CLAIM_TIMEOUT_S, `--claim-timeout`).
Printed: updates/s (acknowledged posts, and answered), p50/p95/p99 answer latency (POST sent
-> reply received) for mirror and live people, lost (no answer), duplicated (a porsi answered
twice to its person), people out of order (answers not in the order they were sent), the
re-runs' replayed and uncertain requests (bot/sends.py: a duplicate can only come from an
uncertain one), peak RSS of the workers. Exit status 1 when anything was lost or out of order
(duplicates are printed: a request in flight when its worker was killed is sent again).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._machine import machine  # noqa: E402 - after ROOT is on the path

TOKEN = "4242424242:AAE-bench-token-for-the-local-bot-api"
SECRET = "bench-webhook-secret"
PORSI_RE = re.compile(r"Status nomor porsi (\d{10})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{1000 * v:,.0f} ms"


def make_data(workdir: Path, n_mirror: int, n_live: int, seed: int) -> tuple[Path, Path,
                                                                             list[str], list[str]]:
    """(full export for the simulator, mirror part, mirror porsi, live-only porsi)."""
    from integration import dataset

    full = workdir / "siskohat.csv"
    dataset.write_dataset(full, n_mirror + n_live, seed)
    with full.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    mirror_rows, live_rows = body[:n_mirror], body[n_mirror:n_mirror + n_live]
    part = workdir / "mirror.csv"
    with part.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(mirror_rows)
    key = header.index("kd_porsi")
    return full, part, [r[key] for r in mirror_rows], [r[key] for r in live_rows]


class Worker:
    def __init__(self, index: int, env: dict, port: int, log_dir: Path):
        self.index, self.env, self.port = index, env, port
        self.log_path = log_dir / f"worker{index}.log"
        self.proc: subprocess.Popen | None = None
        self.peak_rss_kb = 0

    def start(self) -> None:
        env = {**self.env, "HAJIBOT_PORT": str(self.port)}
        log = self.log_path.open("ab")
        code = "import sys; from bot.cli import main; sys.exit(main())"
        cmd = [sys.executable, "-c", code, "run", "--webhook"]
        if os.environ.get("BENCH_PROFILE"):  # a cProfile dump per worker start, for digging
            script = self.log_path.with_suffix(".py")
            script.write_text(code + "\n")
            cmd = [sys.executable, "-m", "cProfile", "-o",
                   f"{self.log_path.with_suffix('')}-{time.time():.0f}.prof", str(script),
                   "run", "--webhook"]
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log,
                                     stderr=subprocess.STDOUT)

    def sample_rss(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    self.peak_rss_kb = max(self.peak_rss_kb, int(line.split()[1]))
        except OSError:
            pass

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.sample_rss()
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def terminate(self, timeout: float = 30.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.sample_rss()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def wait_healthy(session, worker: Worker, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.proc is not None and worker.proc.poll() is not None:
            raise RuntimeError(f"worker {worker.index} exited; see {worker.log_path}")
        try:
            async with session.get(worker.url + "/healthz") as resp:
                if resp.status == 200:
                    return
        except Exception:  # noqa: BLE001, S110 - not listening yet
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"worker {worker.index} not healthy after {timeout} s")


async def run(args) -> dict:
    import aiohttp

    from db import migrate
    from db.engine import Database
    from integration import mirror
    from tests.fakes.botapi import FakeBotAPI, serve_http

    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    full, part, mirror_porsi, live_porsi = make_data(
        workdir, args.people * args.per_person, args.live * args.per_person, args.seed)
    db_url = args.db_url or f"sqlite:///{workdir / 'bot.sqlite3'}"
    migrate.upgrade(db_url)
    db = Database(db_url)
    try:
        mirror.import_csv(db, part)
    finally:
        db.dispose()

    # The simulator runs in a process of its own (`hajibot simulator`), as Siskohat is not in
    # Telegram's process: in the bench process, swamped by thousands of clients, its accepts
    # could wait past the client's 1 s connect timeout and open the breaker.
    sim_port = free_port()
    sim_log = (workdir / "simulator.log").open("ab")
    sim_proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())",
         "simulator", "--data", str(full), "--port", str(sim_port), "--key", "bench-key",
         "--latency-ms", str(args.latency_ms)],
        cwd=ROOT, stdout=sim_log, stderr=subprocess.STDOUT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("HAJIBOT_")},
             "PYTHONPATH": str(ROOT), "HAJIBOT_LOG_LEVEL": "WARNING"})
    for _ in range(600):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", sim_port)) == 0:
                break
        if sim_proc.poll() is not None:
            raise RuntimeError(f"simulator exited; see {workdir / 'simulator.log'}")
        await asyncio.sleep(0.1)
    api = FakeBotAPI()
    replies: list[tuple[float, int, str]] = []  # (time, chat, text) of every sendMessage
    real_call = api.call

    async def timed_call(method, params, files=None):
        status, body = await real_call(method, params, files)
        if method == "sendMessage" and status == 200:
            replies.append((time.perf_counter(), int(params.get("chat_id")),
                            str(params.get("text", ""))))
        return status, body

    api.call = timed_call
    api_runner, api_base = await serve_http(api, token=TOKEN)

    env = {k: v for k, v in os.environ.items() if not k.startswith("HAJIBOT_")}
    env.update({
        "HAJIBOT_DATABASE_URL": db_url,
        "HAJIBOT_TELEGRAM_TOKEN": TOKEN,
        "HAJIBOT_TELEGRAM_BASE_URL": api_base,
        "HAJIBOT_TELEGRAM_RATE_LIMIT": "false",
        "HAJIBOT_WEBHOOK_URL": "https://bench.invalid/telegram",
        "HAJIBOT_WEBHOOK_SECRET": SECRET,
        "HAJIBOT_SISKOHAT_URL": f"http://127.0.0.1:{sim_port}",
        "HAJIBOT_SISKOHAT_KEY": "bench-key",
        "HAJIBOT_SISKOHAT_MAX_AGE_S": str(10**9),
        "HAJIBOT_SISKOHAT_TOTAL_TIMEOUT_S": "30",
        "HAJIBOT_SISKOHAT_TIMEOUT_S": "20",
        "HAJIBOT_EMBEDDED_SIMULATOR": "false",
        "HAJIBOT_THROTTLE_BURST": "100000",
        "HAJIBOT_STATUS_LOOKUPS_PER_HOUR": "100000",
        "HAJIBOT_CONCURRENT_UPDATES": str(args.concurrent),
        "HAJIBOT_INBOX_CLAIM_TIMEOUT_S": str(args.claim_timeout),
        "HAJIBOT_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    })
    workers = [Worker(i, env, free_port(), workdir) for i in range(args.workers)]
    # mirror and live people alternate, so their updates arrive mixed ("at the same moment")
    mirror_people = [(10_000 + i, mirror_porsi[i * args.per_person:(i + 1) * args.per_person],
                      "mirror") for i in range(args.people)]
    live_people = [(50_000 + i, live_porsi[i * args.per_person:(i + 1) * args.per_person],
                    "live") for i in range(args.live)]
    people: list[tuple[int, list[str], str]] = []
    for i in range(max(len(mirror_people), len(live_people))):
        people += [group[i] for group in (live_people, mirror_people) if i < len(group)]
    for uid, _, _ in people:
        api.add_user(uid, first_name=f"Jemaah {uid}", language_code="id")

    sent_at: dict[tuple[int, str], float] = {}
    acked = {"n": 0, "retries": 0}
    killed = {"at": None}
    rr = {"i": 0}
    result: dict = {}
    timeout = aiohttp.ClientTimeout(total=30)
    try:
        for w in workers:
            w.start()
        async with aiohttp.ClientSession(timeout=timeout,
                                         connector=aiohttp.TCPConnector(limit=40)) as session:
            await asyncio.gather(*(wait_healthy(session, w) for w in workers))

            async def post(update: dict) -> None:
                body = json.dumps(update)
                while True:
                    w = workers[rr["i"] % len(workers)]
                    rr["i"] += 1
                    try:
                        async with session.post(
                                w.url + "/telegram", data=body,
                                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET,
                                         "Content-Type": "application/json"}) as resp:
                            if resp.status == 200:
                                break
                    except (TimeoutError, aiohttp.ClientError):
                        pass
                    acked["retries"] += 1
                    await asyncio.sleep(0.05)
                acked["n"] += 1
                if args.kill_after and killed["at"] is None and acked["n"] >= args.kill_after:
                    killed["at"] = time.perf_counter()
                    workers[0].kill()
                    asyncio.get_running_loop().call_later(1.0, workers[0].start)

            async def person(uid: int, porsis: list[str]) -> None:
                for p in porsis:
                    update = api.make_message(uid, uid, p)
                    sent_at[(uid, p)] = time.perf_counter()
                    await post(update)

            async def sample() -> None:
                while True:
                    for w in workers:
                        w.sample_rss()
                    await asyncio.sleep(0.2)

            sampler = asyncio.create_task(sample())
            started = time.perf_counter()
            await asyncio.gather(*(person(uid, ps) for uid, ps, _ in people))
            last_post = time.perf_counter()
            total = sum(len(ps) for _, ps, _ in people)
            wait_s = args.claim_timeout + 30 if args.kill_after else 60
            deadline = last_post + wait_s
            while time.perf_counter() < deadline:
                got = {(c, m.group(1)) for _, c, t in replies if (m := PORSI_RE.search(t))}
                if len(got) >= total:
                    break
                await asyncio.sleep(0.05)
            # a little longer for duplicates to show up
            await asyncio.sleep(1.0 if not args.kill_after else 2.0)
            finished = time.perf_counter()
            sampler.cancel()
            health = None
            if workers[-1].proc.poll() is None:
                async with session.get(workers[-1].url + "/healthz") as resp:
                    health = await resp.json()
            # the re-runs' journal figures (bot/sends.py), summed over the live workers
            journal = {"replayed": 0.0, "uncertain": 0.0}
            for w in workers:
                if w.proc is None or w.proc.poll() is not None:
                    continue
                async with session.get(w.url + "/metrics") as resp:
                    for line in (await resp.text()).splitlines():
                        for key in journal:
                            if line.startswith(f"hajibot_inbox_{key}_sends_total "):
                                journal[key] += float(line.split()[1])
        # --- analysis ----------------------------------------------------------------------
        answers: dict[tuple[int, str], list[float]] = {}
        order: dict[int, list[str]] = {}
        others = 0
        for t, chat, text in replies:
            m = PORSI_RE.search(text)
            if not m:
                others += 1
                continue
            answers.setdefault((chat, m.group(1)), []).append(t)
            order.setdefault(chat, []).append(m.group(1))
        lost = [k for k in sent_at if k not in answers]
        dup = sum(len(v) - 1 for v in answers.values() if len(v) > 1)
        out_of_order = 0
        for uid, porsis, _ in people:
            seen = []
            for p in order.get(uid, []):
                if p not in seen:
                    seen.append(p)
            if seen != [p for p in porsis if p in seen]:
                out_of_order += 1
        lat = {"mirror": [], "live": []}
        last_answer = 0.0
        for uid, porsis, kind in people:
            for p in porsis:
                if (uid, p) in answers:
                    first = answers[(uid, p)][0]
                    lat[kind].append(first - sent_at[(uid, p)])
                    last_answer = max(last_answer, first)
        answered = total - len(lost)
        result = {
            "total": total, "acked_s": last_post - started,
            "posts_per_s": total / (last_post - started),
            "answered": answered, "lost": len(lost), "duplicated": dup,
            "out_of_order": out_of_order, "other_replies": others,
            "answered_per_s": answered / max(1e-9, (last_answer or finished) - started),
            "last_answer_after_last_post_s": (last_answer - last_post) if last_answer else None,
            "lat": lat, "retries": acked["retries"],
            "killed_at_ack": args.kill_after if killed["at"] else None,
            "peak_rss_mb": [round(w.peak_rss_kb / 1024) for w in workers],
            "health": health, "workdir": str(workdir), "db": db_url.split(":", 1)[0],
            "replayed": int(journal["replayed"]), "uncertain": int(journal["uncertain"]),
        }
    finally:
        for w in workers:
            w.terminate()
        await api_runner.cleanup()
        sim_proc.terminate()
        sim_proc.wait(10)
    return result


def report(args, r: dict) -> None:
    print(f"command : {shlex.join([sys.executable, *sys.argv])}")
    print(f"machine : {machine()}")
    print(f"setup   : {args.workers} x `hajibot run --webhook` on {r['db']}, "
          f"HAJIBOT_CONCURRENT_UPDATES={args.concurrent}, Siskohat latency {args.latency_ms:g} "
          f"ms, {args.people} mirror + {args.live} live people x {args.per_person} porsi"
          + (f", SIGKILL of worker 0 after {r['killed_at_ack']} acks (restarted after 1 s)"
             if r["killed_at_ack"] else ""))
    print(f"posted  : {r['total']} updates in {r['acked_s']:.2f} s "
          f"({r['posts_per_s']:,.0f}/s acknowledged; {r['retries']} re-sent after a refusal)")
    print(f"answered: {r['answered']} ({r['answered_per_s']:,.0f} updates/s answered); last "
          f"answer {r['last_answer_after_last_post_s'] or 0:.2f} s after the last post")
    for kind in ("mirror", "live"):
        v = r["lat"][kind]
        if v:
            print(f"latency {kind:<6}: p50 {_ms(_pct(v, 50))}, p95 {_ms(_pct(v, 95))}, "
                  f"p99 {_ms(_pct(v, 99))}, max {_ms(max(v))} ({len(v)} answers)")
    print(f"lost {r['lost']}, duplicated {r['duplicated']}, people out of order "
          f"{r['out_of_order']}; other replies {r['other_replies']}")
    print(f"re-runs: {r['replayed']} requests replayed from the journal, {r['uncertain']} "
          f"uncertain (started by a dead worker, no response recorded: sent again)")
    print(f"peak RSS per worker: {', '.join(f'{m} MB' for m in r['peak_rss_mb'])}")
    if r["health"]:
        h = r["health"]
        print(f"/healthz after: inbox_backlog {h.get('inbox_backlog')}, oldest "
              f"{h.get('inbox_oldest_age_s')} s, parked {h.get('inbox_parked')}")


SCENARIOS = {
    "mixed": ({"workers": 1, "people": 40, "live": 40, "per_person": 1, "latency_ms": 400.0},
              "40 live fetches at 400 ms + 40 mirror lookups at once, 1 worker"),
    "crowd": ({"workers": 1, "people": 1000, "live": 1000, "per_person": 1,
               "latency_ms": 400.0},
              "2,000 people at once (half need a 400 ms fetch), 1 worker"),
    "kill": ({"workers": 2, "people": 300, "per_person": 4, "kill_after": 400},
             "2 workers, 300 people x 4, worker 0 SIGKILLed after 400 acks (use --db-url)"),
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--people", type=int, default=300, help="people asking porsi in the mirror")
    p.add_argument("--live", type=int, default=0, help="people asking porsi only Siskohat has")
    p.add_argument("--per-person", type=int, default=4)
    p.add_argument("--latency-ms", type=float, default=0.0, help="Siskohat simulator latency")
    p.add_argument("--kill-after", type=int, default=0,
                   help="SIGKILL worker 0 after this many acknowledged updates (0: never)")
    p.add_argument("--db-url", default=None, help="default: a fresh SQLite file")
    p.add_argument("--concurrent", type=int, default=64, help="HAJIBOT_CONCURRENT_UPDATES")
    p.add_argument("--claim-timeout", type=float, default=30.0,
                   help="HAJIBOT_INBOX_CLAIM_TIMEOUT_S")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--json", action="store_true", help="print the figures as JSON too")
    p.add_argument("--scenario", choices=sorted(SCENARIOS),
                   help="issue 13's scenarios (their options; explicit options still win): "
                        + "; ".join(f"{k}: {v[1]}" for k, v in sorted(SCENARIOS.items())))
    args = p.parse_args(argv)
    if args.scenario:
        p.set_defaults(**SCENARIOS[args.scenario][0])
        args = p.parse_args(argv)
    r = asyncio.run(run(args))
    report(args, r)
    if args.json:
        print(json.dumps({k: v for k, v in r.items() if k != "lat"}))
    return 1 if (r["lost"] or r["out_of_order"]) else 0


if __name__ == "__main__":
    sys.exit(main())
