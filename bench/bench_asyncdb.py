"""SQLAlchemy's asyncio API against the runtime's units of work off the loop (issue 13, item 3).

    pip install aiosqlite greenlet      # not in the locks: only this comparison needs them
    python bench/bench_asyncdb.py [--updates 3000] [--concurrent 1,64] [--db-url URL]

The same two transactions an inbox update costs (bot/inbox.py, db/state_store.py), run
per update by each contender in one sitting, alternated round by round:
- `threads`: what the runtime uses - `StateStore.call` into its database thread(s), raw SQL on
  a kept DBAPI connection (SQLite: one thread, queued units committed together);
- `asyncio`: SQLAlchemy's AsyncEngine (aiosqlite on SQLite, psycopg's async connection on
  PostgreSQL), `async with engine.begin()` and `text()` statements - the same SQL;
- `asyncio-raw`: the AsyncEngine's raw DBAPI-level connection (`exec_driver_sql`), to tell
  SQLAlchemy's Core layers from the driver's own hand-offs.
Transaction 1 stores an update in `update_inbox`, claims it and reads the chat's and user's
state; transaction 2 records the id, saves both states and deletes the row. `--concurrent C`:
C updates in flight at once (1 = one after another). Printed per contender: wall µs and CPU µs
(process, all threads) per update.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._machine import machine  # noqa: E402 - after ROOT is on the path

PAYLOAD = '{"update_id":1,"message":{"message_id":1,"text":"1234567890"}}'
ADD = ("INSERT INTO update_inbox (update_id, chat_id, user_id, payload, received_at, state, "
       "attempts) VALUES (:u, :c, :c, :p, :t, 'pending', 0) ON CONFLICT (update_id) DO NOTHING")
HEAD = ("UPDATE update_inbox SET state = 'claimed', claimed_by = 'w', claimed_at = :t, "
        "attempts = 1 WHERE update_id = :u AND NOT EXISTS (SELECT 1 FROM update_inbox AS e "
        "WHERE e.chat_id = :c AND e.update_id <> :u AND e.state <> 'parked') "
        "RETURNING update_id")
LOAD = ("SELECT (SELECT 1 FROM processed_updates WHERE update_id = :u), "
        "(SELECT data FROM runtime_chat_state WHERE chat_id = :c), u.data, u.meta "
        "FROM (SELECT 1 AS one) AS o LEFT JOIN runtime_user_state AS u ON u.user_id = :c")
RECORD = ("INSERT INTO processed_updates (update_id, processed_at) VALUES (:u, :t) "
          "ON CONFLICT (update_id) DO NOTHING")
SAVE_CHAT = ("INSERT INTO runtime_chat_state (chat_id, data, updated_at) VALUES (:c, :d, :t) "
             "ON CONFLICT (chat_id) DO UPDATE SET data = excluded.data, "
             "updated_at = excluded.updated_at")
SAVE_USER = ("INSERT INTO runtime_user_state (user_id, data, meta, updated_at) "
             "VALUES (:c, :d, '{}', :t) ON CONFLICT (user_id) DO UPDATE "
             "SET data = excluded.data, meta = excluded.meta, updated_at = excluded.updated_at")
DONE = "DELETE FROM update_inbox WHERE update_id = :u"


def _now(sqlite: bool):
    from db.state_store import _utcnow

    now = _utcnow()
    return now.isoformat(" ", "microseconds") if sqlite else now


class Threads:
    name = "threads"

    def __init__(self, url: str):
        from db.engine import Database
        from db.state_store import StateStore

        self.db = Database(url)
        self.store = StateStore(self.db)
        m = self.store.mark
        self.sql = {k: _qmark(v, m) for k, v in globals().items()
                    if k in ("ADD", "HEAD", "LOAD", "RECORD", "SAVE_CHAT", "SAVE_USER", "DONE")}

    async def update(self, uid: int, chat: int) -> None:
        from db.threads import groupable

        sql, store = self.sql, self.store
        sqlite = store.sqlite
        t = _now(sqlite)

        @groupable
        def first():
            def work(cur):
                cur.execute(sql["ADD"][0], sql["ADD"][1](u=uid, c=chat, p=PAYLOAD, t=t))
                cur.execute(sql["HEAD"][0], sql["HEAD"][1](u=uid, c=chat, t=t))
                cur.fetchall()
                cur.execute(sql["LOAD"][0], sql["LOAD"][1](u=uid, c=chat))
                return cur.fetchone()
            return store.run(work)

        @groupable
        def second():
            def work(cur):
                cur.execute(sql["RECORD"][0], sql["RECORD"][1](u=uid, t=t))
                cur.execute(sql["SAVE_CHAT"][0], sql["SAVE_CHAT"][1](c=chat, d='{"n":1}', t=t))
                cur.execute(sql["SAVE_USER"][0], sql["SAVE_USER"][1](c=chat, d='{"n":1}', t=t))
                cur.execute(sql["DONE"][0], sql["DONE"][1](u=uid))
            return store.run(work)

        await store.call(first)
        await store.call(second)

    async def close(self) -> None:
        self.store.close()
        self.db.dispose()


def _qmark(sql: str, mark: str):
    """`:name` SQL -> (DBAPI SQL, a function building its positional parameters)."""
    import re

    names = re.findall(r":(\w+)", sql)
    text = re.sub(r":\w+", mark, sql)
    return text, (lambda **kw: tuple(kw[n] for n in names))


class AsyncEngine:
    name = "asyncio"

    def __init__(self, url: str, raw: bool = False):
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        self.sqlite = url.startswith("sqlite")
        async_url = (url.replace("sqlite://", "sqlite+aiosqlite://", 1) if self.sqlite
                     else url)  # postgresql+psycopg:// is async-capable as it is
        self.engine = create_async_engine(async_url, pool_size=8) if not self.sqlite else \
            create_async_engine(async_url)
        self.raw = raw
        if raw:
            self.name = "asyncio-raw"
        self.t = {k: text(v) for k, v in globals().items()
                  if k in ("ADD", "HEAD", "LOAD", "RECORD", "SAVE_CHAT", "SAVE_USER", "DONE")}
        mark = "?" if self.sqlite else "%s"
        self.q = {k: _qmark(v, mark) for k, v in globals().items()
                  if k in ("ADD", "HEAD", "LOAD", "RECORD", "SAVE_CHAT", "SAVE_USER", "DONE")}

    async def prepare(self) -> None:
        if self.sqlite:
            from sqlalchemy import event

            @event.listens_for(self.engine.sync_engine, "connect")
            def _pragmas(dbapi_conn, _record):
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.close()

    async def update(self, uid: int, chat: int) -> None:
        t = _now(self.sqlite)
        if self.raw:
            q = self.q
            async with self.engine.begin() as conn:
                await conn.exec_driver_sql(q["ADD"][0], q["ADD"][1](u=uid, c=chat, p=PAYLOAD, t=t))
                (await conn.exec_driver_sql(q["HEAD"][0], q["HEAD"][1](u=uid, c=chat, t=t))
                 ).fetchall()
                (await conn.exec_driver_sql(q["LOAD"][0], q["LOAD"][1](u=uid, c=chat))).fetchone()
            async with self.engine.begin() as conn:
                await conn.exec_driver_sql(q["RECORD"][0], q["RECORD"][1](u=uid, t=t))
                await conn.exec_driver_sql(q["SAVE_CHAT"][0],
                                           q["SAVE_CHAT"][1](c=chat, d='{"n":1}', t=t))
                await conn.exec_driver_sql(q["SAVE_USER"][0],
                                           q["SAVE_USER"][1](c=chat, d='{"n":1}', t=t))
                await conn.exec_driver_sql(q["DONE"][0], q["DONE"][1](u=uid))
            return
        s = self.t
        async with self.engine.begin() as conn:
            await conn.execute(s["ADD"], {"u": uid, "c": chat, "p": PAYLOAD, "t": t})
            (await conn.execute(s["HEAD"], {"u": uid, "c": chat, "t": t})).fetchall()
            (await conn.execute(s["LOAD"], {"u": uid, "c": chat})).fetchone()
        async with self.engine.begin() as conn:
            await conn.execute(s["RECORD"], {"u": uid, "t": t})
            await conn.execute(s["SAVE_CHAT"], {"c": chat, "d": '{"n":1}', "t": t})
            await conn.execute(s["SAVE_USER"], {"c": chat, "d": '{"n":1}', "t": t})
            await conn.execute(s["DONE"], {"u": uid})

    async def close(self) -> None:
        await self.engine.dispose()


async def measure(contender, start: int, n: int, concurrent: int) -> tuple[float, float]:
    sem = asyncio.Semaphore(concurrent)

    async def one(i: int) -> None:
        async with sem:
            await contender.update(start + i, 10_000 + i % 5000)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return (time.perf_counter() - wall) / n, (time.process_time() - cpu) / n


async def main_async(args) -> list[tuple[str, int, float, float]]:
    from db import migrate

    url = args.db_url
    tmp = None
    if url is None:
        tmp = tempfile.mkdtemp(prefix="bench-asyncdb-")
        url = f"sqlite:///{tmp}/bench.sqlite3"
    migrate.upgrade(url)
    contenders = [Threads(url), AsyncEngine(url), AsyncEngine(url, raw=True)]
    for c in contenders:
        if hasattr(c, "prepare"):
            await c.prepare()
    results: dict[tuple[str, int], list[tuple[float, float]]] = {}
    uid = 1
    for c in contenders:  # warm-up: connections, statement caches
        await measure(c, uid, 200, 8)
        uid += 200
    for _ in range(args.rounds):
        for conc in args.concurrent:
            for c in contenders:
                results.setdefault((c.name, conc), []).append(
                    await measure(c, uid, args.updates, conc))
                uid += args.updates
    for c in contenders:
        await c.close()
    out = []
    for (name, conc), runs in results.items():
        walls = sorted(w for w, _ in runs)
        cpus = sorted(c for _, c in runs)
        out.append((name, conc, walls[len(walls) // 2], cpus[len(cpus) // 2]))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--updates", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--concurrent", type=lambda s: [int(x) for x in s.split(",")],
                   default=[1, 64])
    p.add_argument("--db-url", default=None, help="default: a fresh SQLite file")
    args = p.parse_args(argv)
    try:
        import aiosqlite  # noqa: F401
        import greenlet  # noqa: F401
    except ImportError:
        print("needs aiosqlite and greenlet: pip install aiosqlite greenlet", file=sys.stderr)
        return 2
    rows = asyncio.run(main_async(args))
    print(f"command : {shlex.join([sys.executable, *sys.argv])}")
    print(f"machine : {machine()}")
    print(f"database: {(args.db_url or 'sqlite (fresh file)').split('@')[-1]}; "
          f"{args.updates} updates x {args.rounds} rounds, median round")
    print(f"{'contender':<14}{'in flight':>10}{'wall µs/update':>16}{'CPU µs/update':>15}")
    for name, conc, wall, cpu in sorted(rows, key=lambda r: (r[1], r[0])):
        print(f"{name:<14}{conc:>10}{1e6 * wall:>16,.0f}{1e6 * cpu:>15,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
