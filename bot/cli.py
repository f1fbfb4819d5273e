"""`hajibot` command line: one sub-command module per job, registered here in one place."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from bot.commands import assess, helpdesk, kb, notify, run, siskohat
from bot.commands import db as db_commands
from bot.terminal import setup_logging

# Each module exposes `register(subparsers)`, adding a parser whose `func(args) -> int` runs it;
# the heavy imports (the Application, the database) happen inside those functions.
COMMANDS = [
    db_commands,  # hajibot db upgrade|downgrade|current|purge
    siskohat,  # hajibot simulator | dataset | sync | lookup
    run,  # hajibot run --polling|--webhook | chat | ask  (and bare `hajibot`)
    kb,  # hajibot kb eval | gaps | check
    assess,  # hajibot assess pelunasan | pelimpahan
    helpdesk,  # hajibot helpdesk stats | transcript
    notify,  # hajibot notify drain | announce | stats
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hajibot", description="Helpdesk bot for Indonesian hajj pilgrims."
    )
    sub = parser.add_subparsers(dest="command")
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(verbose_migrations=args.command == "db")
    try:
        if args.command is None:
            # Bare `hajibot`: the main job on embedded defaults.
            return int(run.main_job(args) or 0)
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # `hajibot lookup ... | head`: the reader left. Point stdout at /dev/null so the
        # interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the operator gets one clear line; the stack only in DEBUG logs
        logging.getLogger("hajibot").debug("unexpected error", exc_info=True)
        print(f"error: {type(exc).__name__}: the command failed unexpectedly "
              "(HAJIBOT_LOG_LEVEL=DEBUG shows where)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
