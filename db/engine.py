"""Engine and unit of work.

Repositories take a Session and never commit; `Database.session()` is the unit of work that
commits once at the end (or rolls back on error).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db import checkpoint


def sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL (None: another database, or in memory)."""
    if not url.startswith("sqlite") or "///" not in url:
        return None
    path = url.split("///", 1)[1].split("?", 1)[0]
    return path if path and path != ":memory:" and not path.startswith("file:") else None


def ensure_sqlite_dir(url: str) -> None:
    """SQLite creates the file but not its folder (./var/ on a fresh clone)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str) -> Engine:
    # hide_parameters: a database error's message would otherwise carry the bound values
    # (names, phones, birth dates of a mirror row) into whatever logs the exception.
    ensure_sqlite_dir(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            # WAL lets the web process read while a sync writes; NORMAL is durable enough in WAL.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            # Checkpoints run in db/checkpoint.py's thread, not inside a commit; this only
            # bounds the log if that thread falls behind.
            cur.execute(f"PRAGMA wal_autocheckpoint={checkpoint.BACKSTOP_PAGES}")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10,
                         hide_parameters=True)


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._checkpointed = sqlite_file(url)
        if self._checkpointed is not None:
            checkpoint.watch(self._checkpointed)

    def session(self) -> AbstractContextManager[Session]:
        """The unit of work: commits when the block ends, rolls back on any exception, closes."""
        return self._sessions.begin()

    def dispose(self) -> None:
        self.engine.dispose()
        if self._checkpointed is not None:
            checkpoint.unwatch(self._checkpointed)
            self._checkpointed = None
