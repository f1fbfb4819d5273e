"""Alembic driven from code, so `hajibot db upgrade` needs no alembic.ini on disk."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from db.engine import ensure_sqlite_dir, make_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)
    if url.startswith("sqlite"):
        # WAL is a property of the file. Alembic's own connection leaves a new file in rollback
        # mode, and the first connections of several workers would then race to switch it
        # (one got "database is locked" at once, without waiting); switch it here, once.
        engine = make_engine(url)
        with engine.connect():
            pass
        engine.dispose()


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)
