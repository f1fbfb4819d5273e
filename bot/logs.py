"""Log formatting that keeps personal data out: tracebacks without exception messages.

An exception's message can quote what a person typed or a record's values (a name, a phone,
a birth date); its class and the stack frames are enough to find the bug. Telegram's own error
descriptions are kept: they are Telegram's words, and they say what went wrong.
"""

from __future__ import annotations

import logging
import re
import traceback

from telegram import TelegramObject
from telegram.error import NetworkError, TelegramError

WITHHELD = "<message withheld>"
# Telegram's own descriptions are short fixed phrases ("Message thread not found"); anything a
# description might quote (an entity's text, a number) is masked all the same, and a plain
# NetworkError - whose text comes from whatever answered the HTTP call, not from Telegram's
# list of errors - is withheld whole.
_QUOTED = re.compile(r"""(?<!\w)(["'`]).{0,2000}?(?:\1(?!\w)|$)|\d{5,}""", re.DOTALL)


def safe_message(exc: BaseException) -> str:
    """What of an exception's message may be logged: Telegram's words, masked; else nothing."""
    if type(exc) is NetworkError or not isinstance(exc, TelegramError):
        return WITHHELD
    return _QUOTED.sub("<...>", str(exc))[:300]


def describe(exc: BaseException) -> str:
    """`Class: safe message` for log lines that name an error."""
    return f"{type(exc).__name__}: {safe_message(exc)}"


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
        message = safe_message(item)
        parts.append(f"Traceback (most recent call last):\n{frames}"
                     f"{type(item).__module__}.{type(item).__qualname__}: {message}")
    return "\n\nDuring handling, or as the cause:\n".join(parts)


class PrivateFormatter(logging.Formatter):
    """Tracebacks without messages, and an exception passed as a log argument (`"...: %s",
    exc`) reduced to `describe(exc)`: both can quote what a person wrote or a record holds."""

    def formatException(self, ei) -> str:
        return format_exception(ei[1])

    def format(self, record: logging.LogRecord) -> str:
        args = record.args
        if isinstance(args, tuple) and any(isinstance(a, BaseException | TelegramObject)
                                           for a in args):
            record.args = tuple(_safe_arg(a) for a in args)
        return super().format(record)


def _safe_arg(arg):
    """An exception -> `describe`; a Telegram object (PTB logs whole updates, e.g. "Error while
    building CallbackContext for update %s") -> its class and update id only."""
    if isinstance(arg, BaseException):
        return describe(arg)
    if isinstance(arg, TelegramObject):
        uid = getattr(arg, "update_id", None)
        return f"<{type(arg).__name__}{f' {uid}' if uid is not None else ''}>"
    return arg
