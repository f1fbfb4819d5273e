"""What a typed answer to a pelimpahan guide's button question says: the cause ("bapak saya
meninggal bulan lalu" -> died), before or after departure, living cost received or not.

People answer the guide's questions in their own words instead of pressing the buttons, often
with the whole story ("my father died, can I take his porsi?" at "what happened to the
pilgrim?"). Pure: words in, a button's code (or None: ask again) out.
"""

from __future__ import annotations

import re

from knowledge.chat_words import NO_WORDS, YES_WORDS

_DIED = (
    "meninggal", "meninggal dunia", "wafat", "almarhum", "almarhumah", "alm", "almh",
    "tutup usia", "berpulang", "mati", "seda", "sedo", "tiada", "ninggal", "died", "dead",
    "death", "deceased", "passed away", "passed on", "has passed", "pass away",
)  # fmt: skip
_NOT_DIED = (
    "belum meninggal", "tidak meninggal", "masih hidup", "not dead", "still alive",
    "has not died", "hasn't died", "did not die", "didn't die",
)  # fmt: skip
_ILL = (
    "sakit permanen", "permanen", "permanent", "permanently", "lumpuh", "stroke", "struk",
    "koma", "coma", "paralysed", "paralyzed", "demensia", "dementia", "alzheimer", "pikun",
    "cacat tetap", "cacat permanen",
)  # fmt: skip

_BEFORE = ("sebelum berangkat", "belum berangkat", "sebelum", "belum", "before departure",
           "before", "not yet departed", "had not departed", "hadn't departed")
_AFTER = ("sudah berangkat", "setelah berangkat", "sesudah berangkat", "sesudah", "setelah",
          "after departure", "after", "already departed", "had departed")
_UNKNOWN = ("tidak tahu", "tidak tau", "gak tahu", "gak tau", "ga tau", "nggak tahu",
            "ngga tau", "tdk tahu", "kurang tahu", "belum tahu", "entah", "don't know",
            "dont know", "do not know", "not sure", "unknown", "no idea")
_YES = YES_WORDS - {"sudah", "membantu", "ya membantu"}
_NO = NO_WORDS - {"belum", "kurang", "tidak membantu"}


def _plain(text: str) -> str:
    return " " + " ".join(re.sub(r"[^\w']+", " ", text.casefold()).split()) + " "


def _has(plain: str, phrases: tuple[str, ...] | frozenset[str]) -> bool:
    return any(f" {p} " in plain for p in phrases)


def cause_in(text: str) -> str | None:
    """"wafat" when the message says the pilgrim died, "sakit_permanen" when it names a
    permanent illness, else None. A death wins over an illness ("stroke lalu meninggal")."""
    plain = _plain(text)
    if _has(plain, _DIED) and not _has(plain, _NOT_DIED):
        return "wafat"
    if _has(plain, _ILL):
        return "sakit_permanen"
    return None


def departure_in(text: str) -> bool | None:
    """The answer to "did it happen before departure?": True before, False after, None
    unclear. Only a short answer counts ("belum", "ya, sebelum berangkat", "no, after")."""
    plain = _plain(text)
    if len(plain.split()) > 6 or _has(plain, _UNKNOWN):
        return None
    before, after = _has(plain, _BEFORE), _has(plain, _AFTER)
    if before != after:
        return before
    yes, no = _has(plain, _YES), _has(plain, _NO)
    return yes if yes != no else None


def living_cost_in(text: str) -> str | None:
    """The answer to "had the pilgrim received the living cost?": "y", "n", "u" (unknown) or
    None unclear."""
    plain = _plain(text)
    if len(plain.split()) > 6:
        return None
    if _has(plain, _UNKNOWN):
        return "u"
    yes = _has(plain, _YES) or _has(plain, ("sudah", "sudah menerima", "received", "got it"))
    no = _has(plain, _NO) or _has(plain, ("belum", "belum menerima", "not received"))
    return ("y" if yes else "n") if yes != no else None
