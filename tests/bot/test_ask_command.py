"""`hajibot ask` through bot.cli.main: one line, stdin lines, #button, JSON shape."""

from __future__ import annotations

import io
import json
import sys

import pytest

from bot import cli


@pytest.fixture
def env(hajibot_env, monkeypatch, tmp_path):
    monkeypatch.delenv("HAJIBOT_TELEGRAM_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    hajibot_env(database_url=f"sqlite:///{tmp_path}/ask.sqlite3",
                embedded_simulator="false",  # no fixed-port server in tests
                siskohat_url="http://127.0.0.1:9")  # nothing listens there


def _lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_ask_json_one_message(env, capsys):
    assert cli.main(["ask", "--json", "/start"]) == 0
    [row] = _lines(capsys.readouterr().out)
    assert set(row) >= {"q", "text", "topic", "score", "handoff", "buttons"}
    assert row["q"] == "/start" and row["text"] and "<" not in row["text"]
    assert row["buttons"] and all(isinstance(b, str) for b in row["buttons"])


def test_ask_json_stdin_lines_buttons_and_errors(env, capsys, monkeypatch):
    assert cli.main(["ask", "--json", "/start"]) == 0
    first = _lines(capsys.readouterr().out)[0]
    label = first["buttons"][0]
    monkeypatch.setattr(sys, "stdin", io.StringIO(
        f"/start\n\n#button {label.upper()}\n#button tidak-ada-tombol-ini\n/help\n"))
    assert cli.main(["ask", "--json", "--user", "42"]) == 0
    rows = _lines(capsys.readouterr().out)
    assert [r["q"] for r in rows] == ["/start", f"#button {label.upper()}",
                                      "#button tidak-ada-tombol-ini", "/help"]
    assert rows[1]["text"] and "error" not in rows[1]  # the press reached a handler
    assert "error" in rows[2] and "tidak-ada-tombol-ini" in rows[2]["error"]
    assert rows[3]["text"]


def test_ask_plain_text_output(env, capsys):
    assert cli.main(["ask", "--lang", "en", "/start"]) == 0
    out = capsys.readouterr().out
    assert out.strip() and "<b>" not in out and "[" in out  # buttons shown as [label]


def test_run_without_token_explains(env, capsys):
    assert cli.main(["run", "--polling"]) == 2
    assert "HAJIBOT_TELEGRAM_TOKEN" in capsys.readouterr().err


def test_removing_buttons_repeats_no_text():
    """Pressing a button often removes it (editMessageReplyMarkup): the turn's text is only
    what the bot said in answer, not the old message again."""
    from bot.channels.local import Turn
    from bot.transport import Sent

    old = Sent(method="editMessageReplyMarkup", chat_id=1, message_id=5, text="Hapus data?",
               html="Hapus data?", kind="edit")
    new = Sent(method="sendMessage", chat_id=1, message_id=6, text="Data dihapus.",
               html="Data dihapus.", kind="text")
    turn = Turn(replies=[old, new], outcome={})
    assert turn.text == "Data dihapus."
    assert [s.message_id for s in turn.said] == [6]


def test_ask_on_whatsapp_goes_through_the_cloud_api_renderer(env, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("/start\n#button Cek status porsi\n"))
    assert cli.main(["ask", "--json", "--channel", "whatsapp"]) == 0
    start, pressed = _lines(capsys.readouterr().out)
    assert "*" not in start["text"] and "<" not in start["text"] and "bot" in start["text"]
    assert "Cek status porsi" in start["buttons"] and "error" not in pressed
    assert "nomor porsi" in pressed["text"]
