"""SQLite WAL checkpoints in a thread of their own, never inside a commit.

SQLite's automatic checkpoint runs inside the commit that takes the write-ahead log past its
limit (1,000 pages by default): that commit copies the log into the database file and waits for
two fsyncs. On the update-at-a-time path the commit is the state save on the event loop, so every
few hundred updates one of them waited milliseconds for the disk while every chat waited behind
it. Here the application's connections raise that limit to a backstop (`BACKSTOP_PAGES`, still
bounding the log if this thread falls behind or dies) and one thread per process checkpoints
every watched database whose log has been written since its last look (`PASSIVE`: it waits for
no reader or writer, and none waits for it).

Durability is unchanged: a commit is durable when its frames are in the log (WAL with
`synchronous=NORMAL`, db/engine.py); the checkpoint only moves them into the database file.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from urllib.request import pathname2url

log = logging.getLogger(__name__)

INTERVAL_S = 0.2  # a look at the watched logs this often
BACKSTOP_PAGES = 10_000  # a connection's own automatic checkpoint, if the log gets this long

_lock = threading.Lock()
# held by the thread while it checkpoints: `unwatch` waits on it, so that once it returns no
# connection of this thread is open on the database (a directory removed right after, as the
# evaluation's throw-away database is, would otherwise get its -wal/-shm files back mid-removal)
_busy = threading.Lock()
_watched: dict[str, int] = {}  # database path -> Database objects watching it
_wake = threading.Event()
_thread: threading.Thread | None = None


def watch(path: str) -> None:
    """Checkpoint the database at `path` (a file) until as many `unwatch` calls."""
    global _thread
    path = os.path.abspath(path)
    with _lock:
        _watched[path] = _watched.get(path, 0) + 1
        if _thread is None:
            _thread = threading.Thread(target=_serve, name="hajibot-wal-checkpoint",
                                       daemon=True)
            _thread.start()
    _wake.set()


def unwatch(path: str) -> None:
    path = os.path.abspath(path)
    with _lock:
        left = _watched.get(path, 0) - 1
        if left > 0:
            _watched[path] = left
            return
        _watched.pop(path, None)
    with _busy:  # a checkpoint of it under way ends first; none starts after
        pass


def checkpoint(path: str) -> tuple[int, int, int] | None:
    """One PASSIVE checkpoint of `path` on a connection of its own: SQLite's (busy, frames in
    the log, frames checkpointed), or None when there is no log to look at."""
    try:
        if os.stat(path + "-wal").st_size == 0:
            return None
    except FileNotFoundError:
        return None
    # A fresh connection each time: a file replaced at the same path (tests) is never
    # checkpointed through a stale handle, and an idle database holds no extra connection.
    # mode=rw: a database removed meanwhile is never created again, empty, by this look
    con = sqlite3.connect(f"file:{pathname2url(path)}?mode=rw", uri=True, timeout=1,
                          check_same_thread=False)
    try:
        return tuple(con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())
    finally:
        con.close()


def _serve() -> None:
    seen: dict[str, int] = {}  # path -> the log's mtime when last checkpointed
    while True:
        _wake.wait(INTERVAL_S)
        _wake.clear()
        with _lock:
            paths = list(_watched)
        for path in list(seen):
            if path not in paths:
                del seen[path]
        for path in paths:
            try:
                mtime = os.stat(path + "-wal").st_mtime_ns
            except OSError:  # no log (yet, or any more)
                continue
            if seen.get(path) == mtime:
                continue  # nothing written since the last checkpoint
            with _busy:
                with _lock:
                    if path not in _watched:  # unwatched since the list was taken
                        continue
                try:
                    checkpoint(path)
                except Exception as exc:  # noqa: BLE001 - the connections' backstop bounds the log
                    if os.path.exists(path):  # (a database removed meanwhile needs none)
                        log.warning("WAL checkpoint failed: %s", type(exc).__name__)
                    continue
            seen[path] = mtime
