"""`hajibot` command line: one sub-command module per job, registered here in one place."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

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
    _setup_logging(verbose_migrations=args.command == "db")
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


# httpx logs every request URL at INFO, and a Bot API URL carries the bot token; PTB's own DEBUG
# lines carry whole request bodies (reply texts). Neither belongs in our logs: WARNING and up only.
NOISY_LOGGERS = ("httpx", "httpcore", "telegram", "apscheduler")
TERMINAL_HANDLER = "hajibot-terminal"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def set_terminal_level(level: int) -> None:
    """Raise or lower what the terminal shows without touching logger levels (other handlers,
    e.g. pytest's capture, still see everything)."""
    for handler in logging.getLogger().handlers:
        if handler.get_name() == TERMINAL_HANDLER:
            handler.setLevel(level)


def quiet_terminal(settings) -> None:
    """Console, ask and kb eval: a person is chatting (or a script reads stdout), not an
    operator watching a service, so only warnings and errors reach the terminal - unless
    HAJIBOT_LOG_LEVEL=DEBUG asks for everything of ours. Logger levels stay as they are."""
    if settings.log_level.upper() != "DEBUG":
        set_terminal_level(logging.WARNING)
    # PTB's lifecycle lines, the simulator's access log: noise here even when debugging.
    for name in ("aiohttp.access", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _setup_logging(*, verbose_migrations: bool) -> None:
    from bot.logs import PrivateFormatter
    from bot.settings import get_settings

    root = logging.getLogger()
    had = list(root.handlers)
    logging.basicConfig(
        level=getattr(logging, get_settings().log_level.upper(), logging.INFO),
        format=LOG_FORMAT,
        stream=sys.stderr,
    )
    for handler in root.handlers:
        if handler not in had:
            handler.set_name(TERMINAL_HANDLER)
            handler.setFormatter(PrivateFormatter(LOG_FORMAT))
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # stamina warns on every scheduled retry; the client logs each call's outcome and the
    # breaker's state itself, and /metrics counts them
    logging.getLogger("stamina").setLevel(logging.ERROR)
    if not verbose_migrations:  # every command migrates on start; say so only for `hajibot db`
        logging.getLogger("alembic").setLevel(logging.WARNING)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
