"""Chat words: the short messages that mean menu, cancel, back, yes, no, a greeting or thanks.

Pure: the words live in `lexicon/chat_words.yaml` (data, not code), read once at import.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

_FILE = Path(__file__).with_name("lexicon") / "chat_words.yaml"


def _read() -> dict[str, frozenset[str]]:
    with _FILE.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return {str(kind): frozenset(str(word) for word in words) for kind, words in data.items()}


_WORDS = _read()
MENU_WORDS = _WORDS["menu"]
CANCEL_WORDS = _WORDS["cancel"]
BACK_WORDS = _WORDS["back"]
YES_WORDS = _WORDS["yes"]
NO_WORDS = _WORDS["no"]
GREETINGS = _WORDS["greetings"]
THANKS = _WORDS["thanks"]

# "are you a bot?", "ini bot ya?", "kamu manusia atau robot?": small talk about the bot itself,
# answered like a greeting (which says it is a bot and how to reach a person), never a ticket
_BOT_QUESTION = re.compile(
    r"^(?:(?:hi|hello|hey|halo|hai|pak|bu|min|kak|mas|mbak),? )*"
    r"(?:are you|r u|is this|is it|apakah (?:ini|kamu|anda)|apa (?:ini|kamu|anda)|ini|kamu|anda"
    r"|yang jawab|yg jawab)"
    r"(?: (?:a|an|cuma|hanya|itu))? (?:bot|robot|chatbot|machine|mesin|ai|human|manusia|orang)"
    r"(?: (?:ya|kah|ini|atau (?:manusia|orang|bot|robot)|or (?:a )?(?:human|person|bot|robot)))?"
    r"[\s?!.]*$")


def asks_if_bot(text: str) -> bool:
    """Whether a short message only asks whether the bot is a bot (or a person)."""
    return bool(_BOT_QUESTION.match(" ".join(text.casefold().split())))
