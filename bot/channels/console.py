"""`hajibot chat`: talk to the bot in a terminal (the same Application as on Telegram).

Replies print as plain text; buttons as numbered choices (`[1] Ya  [2] Tidak`) - type the
number to press one; a "share phone number" button shares the `--phone` given at start;
documents are saved under var/out/.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.channels.local import LocalBot, Turn
from bot.settings import Settings

QUIT = {"/quit", "/exit", "/keluar"}


def render_turn(turn: Turn, phone: str | None) -> tuple[str, list[str]]:
    """Text to print and the labels the numbers stand for."""
    lines: list[str] = []
    for sent in turn.said:
        prefix = "✏️ " if sent.kind == "edit" else ""
        lines.append(prefix + sent.text)
    lines += [f"📎 saved to {p}" for p in turn.files]
    choices: list[str] = []
    last = turn.last_markup
    if last is not None:
        shown = []
        for button in last.inline_buttons + last.keyboard_buttons:
            choices.append(button["text"])
            label = button["text"]
            if button.get("request_contact"):
                label = f"📱 {label} ({phone or 'no --phone given'})"
            shown.append(f"[{len(choices)}] {label}")
        lines.append("  ".join(shown))
    if turn.error:
        lines.append(f"! {turn.error}")
    return "\n".join(lines), choices


async def chat(settings: Settings, *, user_id: int, lang: str, phone: str | None,
               stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    async with LocalBot(settings, user_id=user_id, lang=lang, phone=phone) as bot:
        out.write("HajiBot console — type a message, a number to press a button, /quit to "
                  "leave.\n")
        if bot.hint:
            out.write(bot.hint + "\n")
        text, choices = render_turn(await bot.send("/start"), phone)
        out.write(text + "\n")
        while True:
            out.write("> ")
            out.flush()
            line = await asyncio.to_thread(stdin.readline)
            if not line or line.strip().lower() in QUIT:
                out.write("\n")
                return 0
            line = line.strip()
            if not line:
                continue
            if line.isdigit() and choices and 1 <= int(line) <= len(choices):
                turn = await bot.press(choices[int(line) - 1])
            else:
                turn = await bot.send(line)
            text, new_choices = render_turn(turn, phone)
            if turn.replies:
                choices = new_choices
            if text:
                out.write(text + "\n")
