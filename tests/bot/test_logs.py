"""Tracebacks in our logs carry frames and classes, never an exception's message."""

from __future__ import annotations

import io
import logging

from telegram.error import BadRequest

from bot.logs import WITHHELD, PrivateFormatter, format_exception


def _raise(exc):
    raise exc


def test_exception_messages_are_withheld_but_frames_and_classes_kept():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(PrivateFormatter("%(message)s"))
    log = logging.getLogger("test.private")
    log.addHandler(handler)
    phone, name = "62812" + "34500101", "Siti " + "Aminah"  # not in any source line shown
    try:
        try:
            try:
                _raise(KeyError(f"phone {phone}"))
            except KeyError as inner:
                raise ValueError(f"name {name}") from inner
        except ValueError:
            log.exception("lookup failed")
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert "lookup failed" in text
    assert phone not in text and name not in text
    assert "builtins.KeyError: " + WITHHELD in text and "builtins.ValueError" in text
    assert "_raise" in text  # the frames are there to find the bug


def test_telegram_descriptions_are_kept():
    try:
        _raise(BadRequest("Message thread not found"))
    except BadRequest as exc:
        assert "Message thread not found" in format_exception(exc)
