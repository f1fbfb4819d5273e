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


def test_exceptions_as_log_arguments_are_reduced_to_safe_descriptions():
    from telegram.error import NetworkError

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(PrivateFormatter("%(message)s"))
    log = logging.getLogger("test.private.args")
    log.addHandler(handler)
    reply = "Porsi 3509412276 atas nama Siti Aminah"
    try:
        log.warning("notice not posted: %s", NetworkError(f"Bad Gateway: {reply}"))
        log.warning("edit failed: %s", BadRequest(f"Can't parse entities in '{reply}'"))
        log.warning("odd: %s", ValueError(reply))
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert "3509412276" not in text and "Siti Aminah" not in text
    assert "NetworkError: " + WITHHELD in text
    assert "BadRequest: Can't parse entities in <...>" in text
    assert "ValueError: " + WITHHELD in text


def test_whole_updates_passed_to_a_log_line_show_only_their_id():
    from telegram import Update

    from tests.fakes.botapi import FakeBotAPI

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(PrivateFormatter("%(message)s"))
    log = logging.getLogger("test.private.update")
    log.addHandler(handler)
    update = Update.de_json(FakeBotAPI().make_message(5, None, "ibu saya Siti Aminah"), None)
    try:
        log.critical("Error while building CallbackContext for update %s.", update)
        log.critical("Fetching updates was aborted due to %r.", ValueError("Siti Aminah"))
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert "Siti Aminah" not in text and f"<Update {update.update_id}>" in text
