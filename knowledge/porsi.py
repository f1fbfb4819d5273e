"""Reading a nomor porsi out of what a person types: 10 digits, spaces, dots or dashes inside.

Pure: no I/O. The number is opaque (DOMAIN.md): only its length is checked, never its prefix.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

PORSI_DIGITS = 10
# Below this many digits a bare number is more likely a menu choice or an amount than a porsi.
MIN_ATTEMPT_DIGITS = 6
MAX_ATTEMPT_DIGITS = 20

# An optional lead-in people type before the number: "porsi 13...", "no. porsi: 13...",
# "nomor porsi saya 13...", "cek porsi 13...".
_PREFIX = re.compile(
    r"^(?:(?:cek|check|nomor|nomer|no\.?|number)\s*)*(?:porsi|portion)?\s*(?:saya|ku|my)?\s*[:#=]?\s*",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"[\s.\-_/]+")
_NUMBERISH = re.compile(r"^[0-9][0-9\s.\-_/]*$")


class PorsiProblem(StrEnum):
    EMPTY = "empty"  # nothing given
    LETTERS = "letters"  # letters or other signs where digits belong
    LENGTH = "length"  # digits only, but not 10 of them


@dataclass(frozen=True, slots=True)
class PorsiParse:
    porsi: str | None  # the 10 digits when valid
    problem: PorsiProblem | None = None
    digits: int = 0  # how many digits were typed (for the wrong-length message)

    @property
    def ok(self) -> bool:
        return self.porsi is not None


def _ascii_digits(text: str) -> str:
    """NFKC (full-width digits) and any Unicode decimal digit (e.g. Arabic-Indic) to ASCII."""
    text = unicodedata.normalize("NFKC", text)
    out = []
    for ch in text:
        if not ch.isascii() and ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
        else:
            out.append(ch)
    return "".join(out)


def _core(text: str | None) -> str:
    if not text:
        return ""
    core = _ascii_digits(text).strip()
    core = core.strip("\"'`“”‘’()[]<>")  # a number pasted in quotes or brackets
    core = _PREFIX.sub("", core, count=1) if not core[:1].isdigit() else core
    return core.strip().rstrip(".,;!?").strip()


def parse_porsi(text: str | None) -> PorsiParse:
    """Check the argument of `/porsi` (or a bare number): valid, empty, letters, or wrong length."""
    core = _core(text)
    if not core:
        return PorsiParse(None, PorsiProblem.EMPTY)
    if not _NUMBERISH.match(core):
        return PorsiParse(None, PorsiProblem.LETTERS, sum(c.isdigit() for c in core))
    digits = _SEPARATORS.sub("", core)
    if len(digits) != PORSI_DIGITS:
        return PorsiParse(None, PorsiProblem.LENGTH, len(digits))
    return PorsiParse(digits)


def parse_porsi_text(text: str | None) -> str | None:
    """The nomor porsi when `text` is one (bare 10 digits, separators inside allowed), else None."""
    return parse_porsi(text).porsi


def looks_like_porsi_attempt(text: str | None) -> bool:
    """A bare number that is not a valid porsi but probably meant to be one (e.g. 9 or 11 digits).

    Also true for a number with a stray letter in it (`13004772l9`), a common typing slip.
    """
    result = parse_porsi(text)
    if result.ok or result.problem is PorsiProblem.EMPTY:
        return False
    if result.problem is PorsiProblem.LENGTH:
        return MIN_ATTEMPT_DIGITS <= result.digits <= MAX_ATTEMPT_DIGITS
    core = _core(text)
    # a single token made mostly of digits: "13004772l9", "1300-477-21O"
    if len(core.split()) != 1:
        return False
    letters = sum(c.isalpha() for c in core)
    return result.digits >= MIN_ATTEMPT_DIGITS and letters <= 2
