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
