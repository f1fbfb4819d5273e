"""`hajibot` command line: one sub-command module per job, registered here in one place."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from bot.terminal import setup_logging

# Each module exposes `register(subparsers)`, adding a parser whose `func(args) -> int` runs it.
COMMAND_MODULES = [
    "bot.commands.db",  # hajibot db upgrade|downgrade|current
    "bot.commands.siskohat",  # hajibot simulator | dataset | sync | lookup
    "bot.commands.run",  # hajibot run --polling|--webhook | chat | ask  (and bare `hajibot`)
    "bot.commands.kb",  # hajibot kb eval | gaps
    "bot.commands.assess",  # hajibot assess pelunasan | pelimpahan
    "bot.commands.helpdesk",  # hajibot helpdesk stats | transcript
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hajibot", description="Helpdesk bot for Indonesian hajj pilgrims."
    )
    sub = parser.add_subparsers(dest="command")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(verbose_migrations=args.command == "db")
    try:
        if args.command is None:
            # Bare `hajibot`: the main job on embedded defaults.
            from bot.commands.run import main_job

            return int(main_job(args) or 0)
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
