"""Masking a pilgrim's name for the public status view and for log lines.

`mask_name("Siti Aminah") -> "S*** A*****"`: each word keeps its first letter, every further
letter or digit becomes `*`; punctuation stays. Honorifics (H., Hj., Dr., ...) are kept as they
are: they identify nobody and help the person recognise their own record.
"""

from __future__ import annotations

import re
import unicodedata

# Compared without dots and case: "H." "Hj." "KH." "Dr." ...
TITLES = frozenset({"h", "hj", "hajah", "hajjah", "haji", "kh", "dr", "drs", "dra", "ir", "prof"})

_BREAKS = ("Cc", "Zl", "Zp")
_RUN = re.compile(r"\w+", re.UNICODE)


def _mask_word(word: str) -> str:
    if word.replace(".", "").casefold() in TITLES:
        return word
    if word.isascii() and word.isalnum():  # the usual word: one run of \w, the whole word
        return word[0] + "*" * (len(word) - 1)
    first = True

    def repl(m: re.Match) -> str:
        nonlocal first
        run = m.group(0)
        if first:
            first = False
            return run[0] + "*" * (len(run) - 1)
        return "*" * len(run)

    return _RUN.sub(repl, word)


def mask_name(name: str | None) -> str:
    """First letter of each word, the rest as `*`; "" for no name. Never raises."""
    if name is None:
        return ""
    text = str(name)
    if not text.isascii():  # (ASCII is its own NFC)
        text = unicodedata.normalize("NFC", text)
    # drop control and format characters (zero-width spaces, RTL marks) that could hide letters
    # (printable ASCII has none of them)
    if not (text.isascii() and text.isprintable()):
        text = "".join(
            "" if unicodedata.category(c) == "Cf" else " " if unicodedata.category(c) in _BREAKS
            else c
            for c in text
        )
    return " ".join(_mask_word(w) for w in text.split())


def mask_porsi(porsi: str) -> str:
    """"3509412276" -> "35094…76": enough for a family to tell their porsi apart, not enough to
    look it up from a lock screen."""
    p = str(porsi)
    return f"{p[:5]}…{p[-2:]}" if len(p) >= 8 else "…"
