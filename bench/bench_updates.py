"""Updates per second through the full Application vs a bare PTB echo bot (issue 3).

    python bench/bench_updates.py [--updates 5000] [--mirror var/bench/mirror.sqlite3]
                                  [--rows 200000] [--workdir var/bench-updates] [--cold]

Both bots run in this one process on the same in-process Bot API (bot/transport.py), fed the
same way (`Application.process_update` with ready `Update` objects, as the webhook's update
queue does), one update at a time:
- full: bot.app.build_application with every handler module, the DB-backed runtime (dedupe
  insert, state load/save on SQLite) and the real mirror-backed Gateway (no Siskohat client:
  answers from the mirror);
  - "status": a bare 10-digit porsi from many different users (random porsi of the mirror);
  - "/start": the greeting and menu;
- echo: Application.builder() + one MessageHandler replying the text.
Mirror: the 5.5M-row bench mirror when `--mirror` exists (issue 2's bench builds it), else a
smaller one generated here (`--rows`), which is said in the output.
The mirror file is read once first so the OS page cache holds it (a serving machine keeps its
mirror hot); `--cold` skips that, and then each random porsi also costs disk reads.
Wall time and CPU time (time.process_time) per update are both reported.
Targets: >= 1,000 status updates/s; full cost per update <= 8x the echo bot's.

`--channel whatsapp` (issue 17) measures instead, side by side in one process and one
Application (Telegram on the in-process Bot API, WhatsApp through pywa's client on the
in-process fake Cloud API), a status message from the webhook body to the answer, in
alternating rounds: Telegram = what POST /telegram does (parse the body, store in the inbox)
then the worker; WhatsApp = what POST /whatsapp does (HMAC of the body, pywa's parsing, the
chat and update ids, store in the inbox) then the worker and the rendering to the Cloud API.
Target: a WhatsApp status message costs <= 1.5x a Telegram one.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import shlex
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._machine import machine  # noqa: E402 - after ROOT is on the path

os.chdir(ROOT)

# issue 13's targets for a status update through one process on SQLite
TARGET_STATUS_PER_S = 1900
TARGET_RATIO = 6.0
USERS = 5000


def _porsi_sample(path: Path, n: int, seed: int) -> list[str]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        max_rowid = con.execute("SELECT max(rowid) FROM mirror").fetchone()[0] or 0
        rnd = random.Random(seed)
        out: list[str] = []
        while len(out) < n and max_rowid:
            ids = [rnd.randint(1, max_rowid) for _ in range(min(900, n - len(out)))]
            marks = ",".join("?" * len(ids))
            rows = con.execute(f"SELECT porsi FROM mirror WHERE rowid IN ({marks})",  # noqa: S608 - placeholders only
                               ids).fetchall()
            out += [r[0] for r in rows]
        return out[:n]
    finally:
        con.close()


def _mirror_rows(path: Path) -> int:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute("SELECT max(rowid) FROM mirror").fetchone()[0] or 0
    finally:
        con.close()


def build_mirror(workdir: Path, rows: int, seed: int) -> Path:
    from db import migrate
    from db.engine import Database
    from integration import dataset, mirror

    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / f"mirror_{rows}_{seed}.sqlite3"
    if db_path.exists():
        return db_path
    # reuse the export bench_mirror.py generated, when there is one of the same size and seed
    csv_path = ROOT / f"var/bench/siskohat_{rows}_{seed}_v{dataset.DATASET_VERSION}.csv"
    if not csv_path.exists():
        csv_path = workdir / f"siskohat_{rows}_{seed}.csv"
    if not csv_path.exists():
        dataset.write_dataset(csv_path, rows, seed)
    url = f"sqlite:///{db_path}"
    migrate.upgrade(url)
    db = Database(url)
    try:
        mirror.import_csv(db, csv_path)
    finally:
        db.dispose()
    return db_path


async def run_loop(app, updates) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for processing `updates` one at a time."""
    gc.collect()
    cpu = time.process_time()
    started = time.perf_counter()
    for update in updates:
        await app.process_update(update)
    return time.perf_counter() - started, time.process_time() - cpu


async def bench_full(mirror_path: Path, n: int, seed: int, state_dir: Path) -> dict:
    from telegram import Update

    from bot.app import build_application, start_app, stop_app
    from bot.settings import Settings
    from bot.transport import InProcessRequest
    from db import migrate
    from db.engine import Database
    from handlers.base import Services
    from integration.gateway import Gateway
    from tests.fakes.botapi import FakeBotAPI

    state_url = f"sqlite:///{state_dir / 'state.sqlite3'}"
    migrate.upgrade(state_url)
    settings = Settings(_env_file=None, database_url=state_url, status_lookups_per_hour=10**6,
                        throttle_burst=10**6)
    db = Database(state_url)
    mirror_db = Database(f"sqlite:///{mirror_path}")
    tz = ZoneInfo(settings.timezone)
    gateway = Gateway(mirror_db, None, max_age_s=10**9)
    services = Services(settings=settings, db=db, gateway=gateway,
                        clock=lambda: datetime.now(tz), extras={})
    api = FakeBotAPI()
    app = build_application(settings, services=services, request=InProcessRequest(api))
    await start_app(app, updates=False)
    porsi = _porsi_sample(mirror_path, n, seed)
    rnd = random.Random(seed)

    def make(texts):
        out = []
        for text in texts:
            uid = 10_000 + rnd.randrange(USERS)
            out.append(Update.de_json(api.make_message(uid, uid, text), app.bot))
        return out

    # Warm-up: template compilation, first queries, every user's state row exists.
    await run_loop(app, make(["/start"] * 200 + porsi[:200]))
    status_updates = make(porsi)
    start_updates = make(["/start"] * n)
    # The production path (issue 13): each update stored in the inbox first (as POST /telegram
    # does before its 200), claimed by the worker, processed with the database steps in the
    # store's thread, the row deleted with the state save. Wall time until all are answered.
    inbox_updates = make(porsi)
    # the webhook stores the body it received; here the JSON it would have been
    raw_json = {u.update_id: json.dumps(u.to_dict()) for u in inbox_updates}
    await app.start()  # starts the inbox worker
    gc.collect()
    mark = api.seq
    cpu = time.process_time()
    started = time.perf_counter()
    for update in inbox_updates:
        await app.store_update(update, raw_json[update.update_id])
    while app.inbox.inflight or app.inbox.local:
        await asyncio.sleep(0.001)
    while (await app.inbox.stats()).backlog:
        await asyncio.sleep(0.001)
    t_inbox, c_inbox = time.perf_counter() - started, time.process_time() - cpu
    inbox_ok = sum(1 for s in api.sent_to(since=mark) if s.text.startswith("Status nomor porsi"))
    await app.stop()
    mark = api.seq
    t_status, c_status = await run_loop(app, status_updates)
    status_sent = api.sent_to(since=mark)
    t_start, c_start = await run_loop(app, start_updates)
    sample = [s.text for s in api.sent[-3:]]
    status_ok = sum(1 for s in status_sent if s.text.startswith("Status nomor porsi"))
    await stop_app(app)
    db.dispose()
    mirror_db.dispose()
    return {"status_s": t_status, "start_s": t_start, "status_cpu": c_status,
            "start_cpu": c_start, "n": len(status_updates),
            "status_replies": status_ok, "sample": sample, "inbox_s": t_inbox,
            "inbox_cpu": c_inbox, "inbox_replies": inbox_ok}


async def bench_echo(n: int) -> dict:
    from telegram import Update
    from telegram.ext import Application, MessageHandler, filters

    from bot.transport import InProcessRequest
    from tests.fakes.botapi import FakeBotAPI

    api = FakeBotAPI()
    request = InProcessRequest(api)
    app = (Application.builder().token("123:echo").request(request)
           .get_updates_request(request).build())

    async def echo(update, context):
        await update.message.reply_text(update.message.text)

    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    rnd = random.Random(1)
    updates = [Update.de_json(api.make_message(u, u, "1234567890"), app.bot)
               for u in (10_000 + rnd.randrange(USERS) for _ in range(n + 200))]
    await run_loop(app, updates[:200])
    t, c = await run_loop(app, updates[200:])
    await app.shutdown()
    return {"echo_s": t, "echo_cpu": c, "n": n}


async def bench_whatsapp(mirror_path: Path, n: int, seed: int, state_dir: Path,
                         rounds: int, telegram_inprocess: bool = False) -> dict:
    """Telegram and WhatsApp status messages through the webhook steps and the inbox, in
    alternating rounds; wall and CPU seconds per channel, replies counted."""
    from telegram.request import HTTPXRequest

    from bot.app import build_application, start_app, stop_app
    from bot.channels.whatsapp import WhatsAppChannel
    from bot.channels.whatsapp_fake import PHONE_ID, FakeCloudAPI, inbound, sign
    from bot.settings import Settings
    from bot.transport import InProcessRequest
    from bot.web import parse_update
    from bot.web_whatsapp import accept
    from db import migrate
    from db.engine import Database
    from handlers.base import Services
    from integration.gateway import Gateway
    from tests.fakes.botapi import FakeBotAPI
    from tests.fakes.botapi_http import httpx_transport

    state_url = f"sqlite:///{state_dir / 'state.sqlite3'}"
    migrate.upgrade(state_url)
    secret = "bench-app-secret"
    settings = Settings(_env_file=None, database_url=state_url, status_lookups_per_hour=10**6,
                        throttle_burst=10**6, whatsapp_token="bench-token",
                        whatsapp_phone_id=PHONE_ID, whatsapp_app_secret=secret,
                        whatsapp_base_url="http://fake-cloud-api.invalid")
    db = Database(state_url)
    mirror_db = Database(f"sqlite:///{mirror_path}")
    tz = ZoneInfo(settings.timezone)
    services = Services(settings=settings, db=db, gateway=Gateway(mirror_db, None,
                                                                  max_age_s=10**9),
                        clock=lambda: datetime.now(tz), extras={})
    api, cloud = FakeBotAPI(), FakeCloudAPI(phone_id=PHONE_ID, token="bench-token")
    channel = WhatsAppChannel(settings, transport=cloud.transport())
    # Both channels answer through their production HTTP clients (PTB's HTTPXRequest, pywa's
    # httpx client) into in-process fakes, so neither is spared its client's cost;
    # `--telegram-inprocess` gives Telegram the cheaper in-process request instead.
    request = InProcessRequest(api) if telegram_inprocess else HTTPXRequest(
        httpx_kwargs={"transport": httpx_transport(api)})
    app = build_application(settings, services=services, request=request, whatsapp=channel)
    await start_app(app)  # with the inbox worker
    porsi = _porsi_sample(mirror_path, n, seed)
    rnd = random.Random(seed)

    def telegram_bodies(texts):
        out = []
        for text in texts:
            uid = 10_000 + rnd.randrange(USERS)
            out.append(json.dumps(api.make_message(uid, uid, text)).encode())
        return out

    def whatsapp_bodies(texts):
        out = []
        for text in texts:
            phone = f"62812{10_000 + rnd.randrange(USERS):08d}"
            raw = json.dumps(inbound(phone, text=text)).encode()
            out.append((raw, sign(raw, secret)))
        return out

    async def settle():
        while app.inbox.inflight or app.inbox.local or (await app.inbox.stats()).backlog:
            await asyncio.sleep(0.001)

    async def telegram(bodies):
        for body in bodies:
            await app.store_update(parse_update(body, app.bot), body.decode())

    async def whatsapp(bodies):
        for body, signature in bodies:
            status, _ = await accept(app, db, settings, body, signature)
            assert status == 200, status

    profiles = {}  # BENCH_PROFILE=1: a cProfile of each channel's measured rounds

    async def timed(fn, bodies, name=None):
        gc.collect()
        prof = None
        if name and os.environ.get("BENCH_PROFILE"):
            import cProfile

            prof = profiles.setdefault(name, cProfile.Profile())
            prof.enable()
        cpu, started = time.process_time(), time.perf_counter()
        await fn(bodies)
        await settle()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        if prof is not None:
            prof.disable()
        return wall, cpu

    # warm-up: templates, first queries, every person's state row and WhatsApp chat exist
    await timed(telegram, telegram_bodies(["/start"] * USERS))
    await timed(whatsapp, whatsapp_bodies(["/start"] * USERS))
    per_round = max(1, n // rounds)
    totals = {"telegram": [0.0, 0.0, 0], "whatsapp": [0.0, 0.0, 0]}
    tg_mark, wa_mark = api.seq, cloud.seq
    for i in range(rounds):
        chunk = porsi[i * per_round:(i + 1) * per_round]
        order = [("telegram", telegram, telegram_bodies(chunk)),
                 ("whatsapp", whatsapp, whatsapp_bodies(chunk))]
        if i % 2:
            order.reverse()  # alternate who goes first
        for name, fn, bodies in order:
            wall, cpu = await timed(fn, bodies, name)
            totals[name][0] += wall
            totals[name][1] += cpu
            totals[name][2] += len(bodies)
    tg_ok = sum(1 for s in api.sent_to(since=tg_mark) if s.text.startswith("Status nomor porsi"))
    wa_ok = sum(1 for p in cloud.posted if p.seq > wa_mark
                and p.text.startswith("*Status nomor porsi"))
    await stop_app(app)
    await channel.close()
    db.dispose()
    mirror_db.dispose()
    for name, prof in profiles.items():
        import pstats

        print(f"--- profile: {name}")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(60)
        if os.environ.get("BENCH_PROFILE_DIR"):  # for a side-by-side diff of the two
            prof.dump_stats(Path(os.environ["BENCH_PROFILE_DIR"]) / f"{name}.prof")
    return {"totals": totals, "telegram_replies": tg_ok, "whatsapp_replies": wa_ok,
            "rounds": rounds, "telegram_request": "the in-process request" if
            telegram_inprocess else "PTB's HTTPXRequest"}


def report_whatsapp(result: dict) -> None:
    tg, wa = result["totals"]["telegram"], result["totals"]["whatsapp"]
    print(f"{'channel (status message)':<28}{'updates':>9}{'µs/update':>12}{'CPU µs/upd':>12}")
    for label, (wall, cpu, count) in (("telegram: webhook -> reply", tg),
                                      ("whatsapp: webhook -> reply", wa)):
        print(f"{label:<28}{count:>9}{1e6 * wall / count:>12,.0f}{1e6 * cpu / count:>12,.0f}")
    ratio = (wa[0] / wa[2]) / (tg[0] / tg[2])
    cpu_ratio = (wa[1] / wa[2]) / (tg[1] / tg[2])
    print(f"whatsapp / telegram: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU "
          f"({result['rounds']} alternating rounds; telegram replies through "
          f"{result['telegram_request']})")
    print(f"answered with a status card: telegram {result['telegram_replies']} of {tg[2]}, "
          f"whatsapp {result['whatsapp_replies']} of {wa[2]}")
    print(f"target whatsapp <= 1.5x telegram: {'PASS' if ratio <= 1.5 else 'MISS'}")


def warm_file(path: Path) -> float:
    """Read the mirror file once so the OS page cache holds it, as on a serving machine where
    the mirror is hot; seconds taken. (Without it a 1.2 GB mirror on a VM whose page cache is
    reclaimed in between measures the disk: each random porsi costs ~2 page reads.)"""
    started = time.perf_counter()
    with open(path, "rb", buffering=0) as fh:
        while fh.read(1 << 24):
            pass
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--mirror", type=Path, default=None,
                        help="an existing mirror (default: build one of --rows rows once, in "
                             "--workdir, and reuse it)")
    parser.add_argument("--rows", type=int, default=5_500_000,
                        help="rows of the generated mirror when --mirror is not given")
    parser.add_argument("--seed", type=int, default=1448)
    parser.add_argument("--workdir", type=Path, default=ROOT / "var/bench-updates")
    parser.add_argument("--cold", action="store_true",
                        help="do not read the mirror file into the OS page cache first")
    parser.add_argument("--channel", choices=["telegram", "whatsapp"], default="telegram",
                        help="whatsapp: a WhatsApp status message against a Telegram one, "
                             "side by side (see the module doc)")
    parser.add_argument("--rounds", type=int, default=6,
                        help="alternating rounds of the --channel whatsapp comparison")
    parser.add_argument("--repeat", type=int, default=1,
                        help="telegram: run the full bot and the echo bot this many times, "
                             "alternating which goes first; ratios per pair and their median")
    parser.add_argument("--telegram-inprocess", action="store_true",
                        help="--channel whatsapp: Telegram's replies through the in-process "
                             "request instead of PTB's HTTPXRequest")
    args = parser.parse_args()

    import logging

    logging.basicConfig(level=logging.WARNING)
    if args.mirror is not None:
        if not (args.mirror.is_file() and _mirror_rows(args.mirror) > 0):
            print(f"error: {args.mirror} is not a mirror database", file=sys.stderr)
            return 2
        mirror_path, note = args.mirror, "given mirror"
    else:
        mirror_path = build_mirror(args.workdir, args.rows, args.seed)
        note = f"bench mirror of {args.rows:,} rows (seed {args.seed})"
    rows = _mirror_rows(mirror_path)
    cache_note = "not pre-read (--cold)" if args.cold else (
        f"file pre-read into the OS page cache in {warm_file(mirror_path):.1f} s")
    if args.channel == "whatsapp":
        with tempfile.TemporaryDirectory(prefix="bench-updates-") as tmp:
            result = asyncio.run(bench_whatsapp(mirror_path, args.updates, args.seed,
                                                Path(tmp), args.rounds,
                                                args.telegram_inprocess))
        print(f"command : {shlex.join([sys.executable, *sys.argv])}")
        print(f"machine : {machine()}")
        print(f"mirror  : {mirror_path} ({rows:,} rows; {note}); cache: {cache_note}")
        report_whatsapp(result)
        return 0
    pairs = []
    for i in range(max(1, args.repeat)):
        # the echo bot and the full one alternate who goes first: a load that comes or goes
        # during the run falls on both sides alike
        if i % 2:
            echo = asyncio.run(bench_echo(args.updates))
        with tempfile.TemporaryDirectory(prefix="bench-updates-") as tmp:
            full = asyncio.run(bench_full(mirror_path, args.updates, args.seed, Path(tmp)))
        if not i % 2:
            echo = asyncio.run(bench_echo(args.updates))
        pairs.append((full, echo))
    if len(pairs) > 1:
        print("pair  status x echo (CPU)   inbox x echo (CPU)   echo µs/update")
        ratios = []
        for i, (f, e) in enumerate(pairs, 1):
            per_echo, per_echo_cpu = e["echo_s"] / e["n"], e["echo_cpu"] / e["n"]
            r = ((f["status_s"] / f["n"]) / per_echo, (f["status_cpu"] / f["n"]) / per_echo_cpu,
                 (f["inbox_s"] / f["n"]) / per_echo, (f["inbox_cpu"] / f["n"]) / per_echo_cpu)
            ratios.append(r)
            print(f"{i:>4}  {r[0]:>6.2f}x ({r[1]:.2f}x)      {r[2]:>6.2f}x ({r[3]:.2f}x)"
                  f"      {1e6 * per_echo:>6,.0f}")
        med = [statistics.median(col) for col in zip(*ratios, strict=True)]
        print(f"median  status {med[0]:.2f}x ({med[1]:.2f}x CPU), inbox {med[2]:.2f}x "
              f"({med[3]:.2f}x CPU); the table below is the median pair by the inbox ratio")
        full, echo = pairs[sorted(range(len(pairs)), key=lambda k: ratios[k][2])[len(pairs) // 2]]

    n = full["n"]
    status_rate = n / full["status_s"]
    status_ratio = (full["status_s"] / n) / (echo["echo_s"] / echo["n"])
    start_ratio = (full["start_s"] / n) / (echo["echo_s"] / echo["n"])
    print(f"command : {shlex.join([sys.executable, *sys.argv])}")
    print(f"machine : {machine()}")
    print(f"mirror  : {mirror_path} ({rows:,} rows; {note})")
    print(f"cache   : mirror {cache_note}")
    print(f"updates : {n} per scenario, {USERS} distinct users, one at a time, one process")
    print(f"{'scenario':<24}{'updates/s':>12}{'µs/update':>12}{'x echo':>9}"
          f"{'CPU µs/upd':>12}{'CPU x echo':>12}")
    echo_cpu = echo["echo_cpu"] / echo["n"]
    for label, count, wall, cpu_s, ratio in (
        ("full: status (porsi)", n, full["status_s"], full["status_cpu"], status_ratio),
        ("full: /start", n, full["start_s"], full["start_cpu"], start_ratio),
        ("full: status, inbox", n, full["inbox_s"], full["inbox_cpu"],
         (full["inbox_s"] / n) / (echo["echo_s"] / echo["n"])),
        ("bare PTB echo bot", echo["n"], echo["echo_s"], echo["echo_cpu"], 1.0),
    ):
        per = cpu_s / count
        print(f"{label:<24}{count / wall:>12,.0f}{1e6 * wall / count:>12,.0f}{ratio:>9.2f}"
              f"{1e6 * per:>12,.0f}{per / echo_cpu:>12.2f}")
    print(f"inbox path (stored, claimed, processed with its database steps in a thread, "
          f"deleted with the save) adds {1e6 * (full['inbox_s'] - full['status_s']) / n:,.0f} "
          f"µs wall, {1e6 * (full['inbox_cpu'] - full['status_cpu']) / n:,.0f} µs CPU per "
          f"status update; answered {full['inbox_replies']} of {n}")
    print(f"status updates answered with a status card: {full['status_replies']} of {n}"
          + ("" if full["status_replies"] == n else "  <-- NOT all: figures not comparable"))
    inbox_rate = n / full["inbox_s"]
    inbox_ratio = (full["inbox_s"] / n) / (echo["echo_s"] / echo["n"])
    for label, rate, ratio in (("status", status_rate, status_ratio),
                               ("status, inbox", inbox_rate, inbox_ratio)):
        print(f"target ({label}) >= {TARGET_STATUS_PER_S} updates/s: "
              f"{'PASS' if rate >= TARGET_STATUS_PER_S else 'MISS'}; "
              f"<= {TARGET_RATIO:g}x echo: {'PASS' if ratio <= TARGET_RATIO else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
