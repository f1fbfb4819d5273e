"""Chat words: the short messages that mean menu, cancel, back, yes, no, a greeting or thanks.

Pure: the words live in `lexicon/chat_words.yaml` (data, not code), read once at import.
"""

from __future__ import annotations

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
