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
