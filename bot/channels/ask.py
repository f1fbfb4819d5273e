"""`hajibot ask`: scripted conversation, one message per line, optionally as JSON lines.

`--json` prints per input `{"q", "text", "topic", "score", "handoff", "buttons"}` (plus
`"files"` when the bot sent documents, `"error"` when a `#button` label does not exist).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from bot.channels.local import LocalBot, Turn
from bot.settings import Settings

BUTTON_PREFIX = "#button"


def turn_json(q: str, turn: Turn) -> dict:
    out = {"q": q, "text": turn.text, "topic": turn.outcome.get("topic"),
           "score": turn.outcome.get("score"), "handoff": bool(turn.outcome.get("handoff")),
           "buttons": turn.buttons}
    if turn.files:
        out["files"] = [str(p) for p in turn.files]
    if turn.error:
        out["error"] = turn.error
    return out


def turn_plain(turn: Turn) -> str:
    parts = [turn.text] if turn.text else []
    parts += [f"📎 saved to {p}" for p in turn.files]
    if turn.buttons:
        parts.append("  ".join(f"[{b}]" for b in turn.buttons))
    if turn.error:
        parts.append(f"! {turn.error}")
    return "\n".join(parts)


async def one(bot, line: str) -> Turn:
    if line[: len(BUTTON_PREFIX)].lower() == BUTTON_PREFIX and (
            len(line) == len(BUTTON_PREFIX) or line[len(BUTTON_PREFIX)].isspace()):
        return await bot.press(line[len(BUTTON_PREFIX):].strip())
    return await bot.send(line)


def _local(settings: Settings, channel: str, *, user_id: int, lang: str, embedded: bool,
           phone: str | None):
    if channel == "whatsapp":  # a WhatsApp person on the in-process fake Cloud API
        from bot.channels.local_whatsapp import LocalWhatsApp

        return LocalWhatsApp(settings, embedded=embedded,
                             **({"phone": phone} if phone else {}))
    return LocalBot(settings, user_id=user_id, lang=lang, embedded=embedded, phone=phone)


async def ask(settings: Settings, lines: Iterable[str], *, as_json: bool, user_id: int,
              lang: str, out: TextIO, embedded: bool = True, phone: str | None = None,
              channel: str = "telegram") -> int:
    async with _local(settings, channel, user_id=user_id, lang=lang, embedded=embedded,
                      phone=phone) as bot:
        for raw in lines:
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue  # Telegram cannot send an empty message
            turn = await one(bot, line)
            if as_json:
                out.write(json.dumps(turn_json(line, turn), ensure_ascii=False) + "\n")
            else:
                out.write(turn_plain(turn) + "\n\n")
            out.flush()
    return 0
