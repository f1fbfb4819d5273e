"""Alembic stairway: every revision upgrades, downgrades and upgrades again, on both databases."""

from __future__ import annotations

import itertools

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

import db.models  # noqa: F401 - registers every table with the metadata
from db import migrate
from db.base import Base


def _revisions():
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    return list(reversed(list(script.walk_revisions())))


def test_revisions_form_one_line():
    revs = _revisions()
    assert revs[0].down_revision is None
    for prev, rev in itertools.pairwise(revs):
        assert rev.down_revision == prev.revision


def test_stairway(any_db_url):
    for rev in _revisions():
        migrate.upgrade(any_db_url, rev.revision)
        migrate.downgrade(any_db_url, rev.down_revision or "base")
        migrate.upgrade(any_db_url, rev.revision)


def test_head_matches_models(any_db_url):
    """Every table the models declare exists after `upgrade head` (no model without migration)."""
    migrate.upgrade(any_db_url)
    engine = create_engine(any_db_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables


def test_runtime_tables_are_one_btree_each_on_sqlite_and_keep_their_rows(tmp_path):
    """Migration 0015: the per-update tables are WITHOUT ROWID on SQLite (one B-tree: one page
    fewer written per claimed update id), with every row kept, and back on downgrade."""
    import sqlite3

    path = tmp_path / "rowid.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(url, "0014")
    rows = {"processed_updates": (41, "2026-12-07 08:00:00.000000"),
            "runtime_chat_state": (7, '{"hd_porsi":"1234567890"}', "2026-12-07 08:00:00.000000"),
            "runtime_user_state": (8, "{}", '{"tc":1}', "2026-12-07 08:00:00.000000")}
    with sqlite3.connect(path) as con:
        for table, row in rows.items():
            con.execute(f"INSERT INTO {table} VALUES ({','.join('?' * len(row))})", row)  # noqa: S608

    def shape():
        with sqlite3.connect(path) as con:
            sql = dict(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
            kept = {t: con.execute(f"SELECT * FROM {t}").fetchall() for t in rows}  # noqa: S608
            index = con.execute("SELECT count(*) FROM sqlite_master WHERE name = "
                                "'ix_processed_updates_processed_at'").fetchone()[0]
        return {t: "WITHOUT ROWID" in sql[t] for t in rows}, kept, index

    migrate.upgrade(url)
    clustered, kept, index = shape()
    assert clustered == dict.fromkeys(rows, True)
    assert kept == {t: [row] for t, row in rows.items()} and index == 1
    migrate.downgrade(url, "0014")
    clustered, kept, index = shape()
    assert clustered == dict.fromkeys(rows, False)
    assert kept == {t: [row] for t, row in rows.items()} and index == 1
