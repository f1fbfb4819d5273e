"""`hajibot db upgrade|downgrade|current`: Alembic migrations of the configured database;
`hajibot db purge [--dry-run] [--json]`: retention (bot/privacy.py), prints counts only."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from alembic import command

from bot.settings import get_settings
from db import migrate


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
    pur = dbsub.add_parser("purge", help="delete/anonymise data past its retention period")
    pur.add_argument("--dry-run", action="store_true", help="count only, change nothing")
    pur.add_argument("--json", action="store_true", help="one JSON object")
    pur.set_defaults(func=_purge)


def _upgrade(args) -> int:
    migrate.upgrade(get_settings().database_url, args.revision)
    return 0


def _downgrade(args) -> int:
    migrate.downgrade(get_settings().database_url, args.revision)
    return 0


def _current(args) -> int:
    command.current(migrate.alembic_config(get_settings().database_url))
    return 0


def _purge(args) -> int:
    from sqlalchemy.exc import DBAPIError

    from bot import privacy
    from db.engine import Database

    settings = get_settings()
    db = Database(settings.database_url)
    try:
        counts = privacy.purge(db, settings, datetime.now(UTC), dry_run=args.dry_run)
    except DBAPIError:
        print("the database is not migrated: run `hajibot db upgrade` first", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    if args.json:
        print(json.dumps({"dry_run": args.dry_run, **counts}))
        return 0
    print("dry run: nothing changed, would purge:" if args.dry_run else "purged:")
    for key, value in counts.items():
        print(f"  {key}: {value}")
    return 0
