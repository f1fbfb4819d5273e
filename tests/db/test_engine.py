"""The engine never lets bound values (personal data) into error messages."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from db.engine import Database


def test_database_errors_do_not_carry_bound_values(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/x.sqlite3")
    try:
        with db.session() as s:
            s.execute(text("CREATE TABLE person (phone TEXT PRIMARY KEY)"))
            s.execute(text("INSERT INTO person VALUES (:p)"), {"p": "6281234500101"})
        with pytest.raises(IntegrityError) as caught, db.session() as s:
            s.execute(text("INSERT INTO person VALUES (:p)"), {"p": "6281234500101"})
        assert "6281234500101" not in str(caught.value)
    finally:
        db.dispose()


def test_a_migrated_sqlite_file_is_already_in_wal_mode(tmp_path):
    import sqlite3

    from db import migrate

    path = tmp_path / "fresh.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    # Set once here, so that several workers' first connections never race to switch it.
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_commits_leave_the_checkpoint_to_the_thread_which_does_it(tmp_path, monkeypatch):
    """A commit never runs SQLite's checkpoint (it would wait for the disk on the event loop);
    db/checkpoint.py's thread moves the log into the database file instead."""
    import os
    import sqlite3
    import time

    from db import checkpoint

    path = tmp_path / "wal.sqlite3"
    db = Database(f"sqlite:///{path}")
    try:
        with db.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == \
                checkpoint.BACKSTOP_PAGES
        with db.session() as s:
            s.execute(text("CREATE TABLE blob (id INTEGER PRIMARY KEY, body TEXT)"))
        # stop the thread's looks while writing: the commits alone must leave it all in the log
        monkeypatch.setattr(checkpoint, "_watched", {})
        before = os.path.getsize(path)
        for i in range(1500):  # > 1,000 pages: SQLite's own default would have checkpointed
            with db.session() as s:
                s.execute(text("INSERT INTO blob (body) VALUES (:b)"), {"b": f"{i:04d}" * 1024})
        assert os.path.getsize(path) == before  # every new page still only in the log
        monkeypatch.undo()  # the thread looks again
        checkpoint._wake.set()
        deadline = time.monotonic() + 10
        while os.path.getsize(path) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert os.path.getsize(path) > before + 1500 * 4096  # moved into the database file
        with sqlite3.connect(path) as other:  # and readable from it, log or not
            assert other.execute("SELECT count(*) FROM blob").fetchone()[0] == 1500
    finally:
        db.dispose()
    assert str(path) not in checkpoint._watched


def test_once_unwatched_no_checkpoint_touches_the_database(tmp_path, monkeypatch):
    """`unwatch` returns only when a checkpoint under way has ended, and none starts after it:
    the evaluation removes its throw-away database's directory right after disposing of it, and
    a checkpoint's connection opened meanwhile puts the -wal/-shm files back mid-removal."""
    import threading
    import time

    from db import checkpoint

    path = str(tmp_path / "gone.sqlite3")
    started, ended = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow_checkpoint(p):
        calls.append(p)
        started.set()
        time.sleep(0.3)  # a checkpoint waiting for the disk
        ended.set()

    monkeypatch.setattr(checkpoint, "checkpoint", slow_checkpoint)
    db = Database(f"sqlite:///{path}")
    with db.session() as s:
        s.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    checkpoint._wake.set()
    assert started.wait(5)  # the thread is inside a checkpoint of this database
    db.dispose()  # unwatches
    assert ended.is_set()  # ... and waited for it
    n = len(calls)
    with db_write(path):  # written again after the unwatch: the thread must not look
        checkpoint._wake.set()
        time.sleep(0.5)
    assert len(calls) == n


class db_write:
    """A write to the database file's log by a plain connection (not a watched Database)."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        import sqlite3
        self.con = sqlite3.connect(self.path)
        self.con.execute("PRAGMA journal_mode=wal")
        self.con.execute("INSERT INTO t DEFAULT VALUES")
        self.con.commit()
        return self.con

    def __exit__(self, *exc):
        self.con.close()
