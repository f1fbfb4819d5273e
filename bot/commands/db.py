"""`hajibot db upgrade|downgrade|current`: Alembic migrations of the configured database."""

from __future__ import annotations

import argparse

from alembic import command

from bot.db import migrate
from bot.settings import get_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="database migrations")
    dbsub = p.add_subparsers(dest="db_command", required=True)
    up = dbsub.add_parser("upgrade", help="apply migrations (default: to head)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=_upgrade)
    down = dbsub.add_parser("downgrade", help="revert migrations to a revision")
    down.add_argument("revision")
    down.set_defaults(func=_downgrade)
    cur = dbsub.add_parser("current", help="show the applied revision")
    cur.set_defaults(func=_current)


def _upgrade(args) -> int:
    migrate.upgrade(get_settings().database_url, args.revision)
    return 0


def _downgrade(args) -> int:
    migrate.downgrade(get_settings().database_url, args.revision)
    return 0


def _current(args) -> int:
    command.current(migrate.alembic_config(get_settings().database_url))
    return 0
