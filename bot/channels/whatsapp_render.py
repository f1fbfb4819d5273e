"""Telegram-shaped output → WhatsApp: HTML to WhatsApp formatting, keyboards to reply buttons
or list messages (never a lost button), long texts cut where WhatsApp's limits say.

Pure functions over pywa's button types; the sending is bot/channels/whatsapp.py's.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

from pywa_async.types import Button, Section, SectionList, SectionRow

from bot.channels.whatsapp_edge import KEYBOARD_PREFIX
from handlers.base import render

TEXT_MAX = 4096  # a text message's body
BODY_MAX = 1024  # an interactive message's body
BUTTONS_MAX = 3  # reply buttons per message
BUTTON_TITLE_MAX = 20
ROWS_MAX = 10  # rows of a list message
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
LIST_LABEL_MAX = 20

_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_HREF_RE = re.compile(r"""href\s*=\s*(["'])(.*?)\1""", re.I | re.S)
_MARKS = {"b": "*", "strong": "*", "i": "_", "em": "_", "s": "~", "strike": "~", "del": "~",
          "code": "`", "pre": "```"}


def to_whatsapp(text: str | None, parse_mode: str | None = "HTML") -> str:
    """Telegram HTML as WhatsApp formatting: *bold*, _italic_, ~strike~, `code`, links as
    "label (url)"; other tags dropped, entities unescaped."""
    if not text:
        return ""
    if (parse_mode or "").upper() != "HTML":
        return text
    out: list[str] = []
    links: list[str | None] = []
    pos = 0
    for m in _TAG_RE.finditer(text):
        out.append(html.unescape(text[pos:m.start()]))
        closing, tag = m.group(1), m.group(2).lower()
        mark = _MARKS.get(tag)
        if mark:
            out.append(mark)
        elif tag == "a":
            if closing:
                href = links.pop() if links else None
                if href and not href.startswith("tg://"):
                    out.append(f" ({href})")
            else:
                found = _HREF_RE.search(m.group(3) or "")
                links.append(html.unescape(found.group(2)) if found else None)
        pos = m.end()
    out.append(html.unescape(text[pos:]))
    return "".join(out)


def chunks(text: str, limit: int = TEXT_MAX) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at paragraph or line ends."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n\n", 0, limit)
        if cut <= 0:
            cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text or not parts:
        parts.append(text)
    return parts


@dataclass(frozen=True, slots=True)
class Choice:
    title: str
    data: str


def choices(markup: Any) -> tuple[list[Choice], list[str]]:
    """The buttons of a Telegram reply_markup (inline or reply keyboard): callback choices
    and link lines ("label: url", for the text) - every button is one or the other."""
    if markup is None:
        return [], []
    if isinstance(markup, str):
        markup = json.loads(markup)
    out: list[Choice] = []
    links: list[str] = []
    for row in markup.get("inline_keyboard") or []:
        for b in row:
            if b.get("callback_data") is not None:
                out.append(Choice(b["text"], b["callback_data"]))
            elif b.get("url"):
                links.append(f"{b['text']}: {b['url']}")
            else:  # switch-inline, games ...: pressed, it says its label
                out.append(Choice(b["text"], KEYBOARD_PREFIX + b["text"]))
    for row in markup.get("keyboard") or []:
        for b in row:
            label = b if isinstance(b, str) else b.get("text", "")
            if label:
                out.append(Choice(label, KEYBOARD_PREFIX + label))
    return out, links


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def keyboards(items: list[Choice]) -> list[list[Button] | SectionList]:
    """pywa keyboards for the choices: reply buttons when there are at most three with short
    titles, else list messages of at most ten rows (a label too long for a row's title goes
    whole into its description)."""
    if not items:
        return []
    if len(items) <= BUTTONS_MAX and all(len(c.title) <= BUTTON_TITLE_MAX for c in items):
        return [[Button(title=c.title, callback_data=c.data) for c in items]]
    label = _fit(render("id", "whatsapp_list_button.j2").strip(), LIST_LABEL_MAX)
    out: list[list[Button] | SectionList] = []
    for start in range(0, len(items), ROWS_MAX):
        rows = [SectionRow(title=_fit(c.title, ROW_TITLE_MAX), callback_data=c.data,
                           description=(_fit(c.title, ROW_DESCRIPTION_MAX)
                                        if len(c.title) > ROW_TITLE_MAX else None))
                for c in items[start:start + ROWS_MAX]]
        out.append(SectionList(button_title=label,
                               sections=[Section(title=_fit(label, ROW_TITLE_MAX), rows=rows)]))
    return out


_WA_MARK_RE = re.compile(r"(?<![\w*_~`])(\*|_|~|```|`)(?=\S)(.+?)(?<=\S)\1(?![\w*_~`])", re.S)


def plain(text: str) -> str:
    """What a WhatsApp-formatted text reads as, markers removed (tests, `hajibot ask`)."""
    prev = None
    while prev != text:
        prev, text = text, _WA_MARK_RE.sub(r"\2", text)
    return text
