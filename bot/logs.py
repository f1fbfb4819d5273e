"""Log formatting that keeps personal data out: tracebacks without exception messages.

An exception's message can quote what a person typed or a record's values (a name, a phone,
a birth date); its class and the stack frames are enough to find the bug. Telegram's own error
descriptions are kept: they are Telegram's words, and they say what went wrong.
"""

from __future__ import annotations

import logging
import traceback

from telegram.error import TelegramError

WITHHELD = "<message withheld>"


def _chain(exc: BaseException | None) -> list[BaseException]:
    out: list[BaseException] = []
    while exc is not None and exc not in out:
        out.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return list(reversed(out))


def format_exception(exc: BaseException | None) -> str:
    """Every exception of the chain: its frames and class, its message only when safe."""
    parts = []
    for item in _chain(exc):
        frames = "".join(traceback.format_tb(item.__traceback__))
        message = str(item) if isinstance(item, TelegramError) else WITHHELD
        parts.append(f"Traceback (most recent call last):\n{frames}"
                     f"{type(item).__module__}.{type(item).__qualname__}: {message}")
    return "\n\nDuring handling, or as the cause:\n".join(parts)


class PrivateFormatter(logging.Formatter):
    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        return format_exception(ei[1])
