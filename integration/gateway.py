"""The one call handlers use: `Gateway.lookup(porsi)` -> record + freshness + source.

Answers from the mirror; refreshes on demand from Siskohat when the copy is missing or older
than `max_age_s` (storing what it fetched); falls back to the mirror (source STALE, `as_of` =
when that copy was last confirmed, "data per <date>") when Siskohat is down. Siskohat being
down never raises out of `lookup`.

Where the mirror calls run (issue 13: the event loop never waits on the database):
- the upsert of a live answer, and every read on PostgreSQL (a network round trip), run in
  the gateway's own threads (`MIRROR_THREADS`): a write may wait for SQLite's write lock, a
  round trip for the server, and on the loop either would hold up every other chat;
- a read on SQLite stays on the loop: a primary-key read of a WAL database never waits for a
  writer and costs less (~60 us) than the hand-off to a thread and back (measured in
  bench/bench_updates.py).
The read runs on every status message, so it is one prepared-once SQL string on a DBAPI
connection kept per thread (no Session, no Core compile/result layers), parsed exactly as
`mirror.get` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from integration import mirror
from integration.wire import WireError, parse_porsi, record_from_wire
from knowledge.records import PilgrimRecord

log = logging.getLogger(__name__)

# concurrent mirror reads/writes of one process; each keeps a connection of the engine's pool
MIRROR_THREADS = 2
# SQLite: the kept read connections map the database file (up to SQLite's own cap) instead of
# copying each page they visit out of the OS page cache: a porsi read walks a few pages of a
# file of gigabytes, and copying them was most of the read. Reads only (SQLite writes through
# write() all the same); its own truncations of the file are handled by SQLite itself.
MIRROR_MMAP_BYTES = 1 << 31


class Source(str, Enum):  # noqa: UP042 - str() of a member stays as it was
    MIRROR = "mirror"  # fresh enough copy in the local mirror
    LIVE = "live"  # fetched from Siskohat just now (and stored in the mirror)
    STALE = "stale"  # mirror copy older than max age; Siskohat could not be reached


@dataclass(frozen=True, slots=True)
class Lookup:
    porsi: str
    record: PilgrimRecord | None  # None: unknown porsi (or unknown and Siskohat down)
    source: Source
    as_of: datetime | None  # when this copy was last confirmed with Siskohat (UTC)
    siskohat_down: bool = False


class InvalidPorsi(ValueError):
    """Not a nomor porsi (10 digits); handlers validate before calling `lookup`."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Gateway:
    """Mirror first, Siskohat on demand, mirror again when Siskohat is down."""

    def __init__(
        self,
        db,
        client=None,
        *,
        max_age_s: int,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.db = db
        self.client = client  # a SiskohatClient, or None: mirror only
        self.max_age_s = max_age_s
        self.clock = clock
        self._read_sql: str | None = None  # built on first use, for the engine's dialect
        self._local = threading.local()  # .raw: the thread's kept DBAPI connection (`_read`)
        self._kept: list = []  # every thread's kept connection, for `close`
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    async def _off_loop(self, fn, *args):
        if self._pool is None:
            self._pool = ThreadPoolExecutor(MIRROR_THREADS, thread_name_prefix="hajibot-mirror")
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, functools.partial(fn, *args))

    def _keep(self, raw) -> None:
        self._local.raw = raw
        with self._lock:
            if raw is not None:
                self._kept.append(raw)

    def _drop(self, raw) -> None:
        self._local.raw = None
        with self._lock:
            if raw in self._kept:
                self._kept.remove(raw)

    def _read(self, porsi: str) -> mirror.MirrorEntry | None:
        """The mirror copy of `porsi` (what `mirror.get` returns), by primary key."""
        engine = self.db.engine
        if self._read_sql is None:
            mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
            self._read_sql = (
                f"SELECT data, updated_at, fetched_at, source FROM mirror WHERE porsi = {mark}"  # noqa: S608 - a placeholder
            )
        # The DBAPI connection is kept between lookups, one per mirror thread; thrown away after
        # any error, retried once when the error says the database connection broke
        # (restarted server).
        for attempt in (1, 2):
            raw = getattr(self._local, "raw", None)
            held = raw is not None
            try:
                if raw is None:
                    raw = engine.raw_connection()
                    if engine.dialect.name == "sqlite":
                        raw.dbapi_connection.execute(f"PRAGMA mmap_size={MIRROR_MMAP_BYTES}")
                dbapi = raw.dbapi_connection  # past the pool's proxy: this runs per lookup
                cur = dbapi.cursor()
                cur.execute(self._read_sql, (porsi,))
                row = cur.fetchone()
                cur.close()
                dbapi.rollback()  # end the read transaction (PostgreSQL; a no-op on SQLite)
            except Exception as exc:
                if raw is None:  # no connection to be had
                    raise
                self._drop(raw)
                broken = isinstance(exc, engine.dialect.loaded_dbapi.Error) and (
                    engine.dialect.is_disconnect(exc, raw.dbapi_connection, None))
                with contextlib.suppress(Exception):  # it is being thrown away anyway
                    raw.invalidate()
                if held and broken and attempt == 1:
                    continue
                raise
            if not held:
                self._keep(raw)
            break
        if row is None:
            return None
        data, updated_at, fetched_at, source = row
        wire = dict(zip(mirror.PACKED_COLUMNS, mirror.unpack(data), strict=True))
        wire["kd_porsi"] = porsi
        wire["updated_at"] = updated_at
        return mirror.MirrorEntry(
            record=record_from_wire(wire),
            fetched_at=datetime.fromisoformat(fetched_at),
            updated_at=datetime.fromisoformat(updated_at),
            source=source,
        )

    def close(self) -> None:
        """End the mirror threads; give the kept read connections back to the pool."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        with self._lock:
            kept, self._kept = self._kept, []
        for raw in kept:
            raw.close()
        self._local = threading.local()

    def _store(self, record: PilgrimRecord, now: datetime) -> None:
        with self.db.session() as session:
            mirror.upsert_records(session, [record], source="live", fetched_at=now)

    async def lookup(self, porsi: str) -> Lookup:
        """The record of `porsi` with its freshness and source.

        Raises InvalidPorsi for text that is not a nomor porsi (nothing else escapes)."""
        try:
            porsi = parse_porsi(porsi)
        except WireError:
            raise InvalidPorsi("a nomor porsi has 10 digits") from None
        if self.db.engine.dialect.name == "sqlite":
            entry = self._read(porsi)
        else:
            entry = await self._off_loop(self._read, porsi)
        now = self.clock()
        fresh = entry is not None and (now - entry.fetched_at).total_seconds() <= self.max_age_s
        if fresh:
            return Lookup(porsi, entry.record, Source.MIRROR, entry.fetched_at)
        if self.client is None:
            # no Siskohat configured: the mirror is all there is; an old copy says how old
            if entry is None:
                return Lookup(porsi, None, Source.MIRROR, None)
            return Lookup(porsi, entry.record, Source.STALE, entry.fetched_at)
        try:
            record = await self.client.fetch_record(porsi)
        except Exception as exc:  # noqa: BLE001 - any failure of Siskohat: answer from the mirror
            log.warning("siskohat unavailable for lookup: %s", type(exc).__name__)
            if entry is None:
                return Lookup(porsi, None, Source.STALE, None, siskohat_down=True)
            return Lookup(porsi, entry.record, Source.STALE, entry.fetched_at, siskohat_down=True)
        if record is None:
            # Siskohat, the system of record, does not know this porsi (any more)
            return Lookup(porsi, None, Source.LIVE, now)
        try:
            await self._off_loop(self._store, record, now)
        except Exception:  # storing is best effort: the user still gets the live answer
            log.exception("could not store a live record in the mirror")
        return Lookup(porsi, record, Source.LIVE, now)
