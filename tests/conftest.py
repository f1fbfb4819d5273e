"""Shared fixtures: a migrated temporary database (SQLite; PostgreSQL when configured)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

from db import migrate
from db.engine import Database

PG_URL = os.environ.get("HAJIBOT_TEST_POSTGRES_URL")

# Property tests explore new random inputs on every developer run; in CI (CI=true) they use a
# fixed seed, as Hypothesis advises, so that landing a change never depends on the dice. A
# failure found locally is replayed from .hypothesis/ on every run until it is fixed.
settings.register_profile("ci", derandomize=True)
settings.register_profile("dev", derandomize=False)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
# ../shared beside the repository (the dev eval set, the contract); CI always has it.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_file(relative: str) -> Path:
    """A file under ../shared; skipped locally when absent, but a failure in CI."""
    path = SHARED / relative
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must have ../shared beside the repository")
        pytest.skip(f"{path} not available")
    return path


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/test.sqlite3"


@pytest.fixture
def db(sqlite_url) -> Database:
    """A fresh SQLite database migrated to head."""
    migrate.upgrade(sqlite_url)
    database = Database(sqlite_url)
    yield database
    database.dispose()


@pytest.fixture
def pg_url() -> str:
    """A fresh, empty PostgreSQL database (skipped when no server is configured)."""
    if not PG_URL:
        pytest.skip("HAJIBOT_TEST_POSTGRES_URL not set")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = PG_URL.rpartition("/")
    yield f"{base}/{name}"
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def any_db_url(request, tmp_path) -> str:
    """Runs a test once on SQLite and once on PostgreSQL (when configured)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/any.sqlite3"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def any_db(any_db_url) -> Database:
    """A migrated `Database` on SQLite, and again on PostgreSQL when configured."""
    migrate.upgrade(any_db_url)
    database = Database(any_db_url)
    yield database
    database.dispose()


@pytest.fixture
def hajibot_env(monkeypatch):
    """`hajibot_env(database_url=..., siskohat_url=...)` sets HAJIBOT_* for code that reads
    `get_settings()` (the CLI), with the cached settings dropped before and after the test."""
    from bot.settings import get_settings

    def set_env(**values) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"HAJIBOT_{name.upper()}", str(value))
        get_settings.cache_clear()

    get_settings.cache_clear()
    yield set_env
    get_settings.cache_clear()
