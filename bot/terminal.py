"""What the terminal shows: the logging set-up of every `hajibot` command, and a quieter terminal
for the commands a person (or a script reading stdout) uses rather than an operator."""

from __future__ import annotations

import logging
import sys

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


def setup_logging(*, verbose_migrations: bool) -> None:
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
