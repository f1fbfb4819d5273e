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
MAX_GLUED_DIGITS = 100  # ten porsi pasted together, at most

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


# The machine form (the SISKOHAT wire, callback data): ASCII digits with only spaces, tabs, dots
# or dashes inside; no lead-in words, quotes or other scripts.
_STRICT_SEPARATORS = str.maketrans("", "", " .-\t")


def _strict(value: object) -> PorsiParse:
    text = "" if value is None else str(value).translate(_STRICT_SEPARATORS)
    if not text:
        return PorsiParse(None, PorsiProblem.EMPTY)
    if not text.isdigit() or not text.isascii():
        return PorsiParse(None, PorsiProblem.LETTERS, sum(c.isdigit() for c in text))
    if len(text) != PORSI_DIGITS:
        return PorsiParse(None, PorsiProblem.LENGTH, len(text))
    return PorsiParse(text)


def parse_porsi(text: object, *, strict: bool = False) -> PorsiParse:
    """Check a nomor porsi: valid, empty, letters, or wrong length.

    By default what a person types (the argument of `/porsi`, or a bare number): full-width or
    other-script digits, a lead-in ("no. porsi:"), quotes and trailing punctuation are allowed.
    `strict`: the machine form only (see `_STRICT_SEPARATORS`); any value is read as `str()`.
    """
    if strict:
        return _strict(value=text)
    core = _core(text if isinstance(text, str) else None)
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
        # several porsi pasted without a space ("35094122763309381154...") are attempts too
        return MIN_ATTEMPT_DIGITS <= result.digits <= MAX_ATTEMPT_DIGITS or (
            result.digits % 10 == 0 and result.digits <= MAX_GLUED_DIGITS)
    core = _core(text)
    # a single token made mostly of digits: "13004772l9", "1300-477-21O"
    if len(core.split()) != 1:
        return False
    letters = sum(c.isalpha() for c in core)
    return result.digits >= MIN_ATTEMPT_DIGITS and letters <= 2


# --- numbers inside a sentence --------------------------------------------------------------
# "porsi saya 3509 412 276 pak", "punya bapak 3509412276 dan ibu 3309381154": every porsi in a
# message, and what the other numbers are (a date, a phone number, a NIK, an amount), so a birth
# date or a phone number is never read as a porsi and two porsi never as one 20-digit number.


class NumberKind(StrEnum):
    PORSI = "porsi"
    DATE = "date"  # 02-08-1953, 14/3/78, 14 maret 1978, 02081953
    PHONE = "phone"  # 0812..., +62 812..., 62812...
    NIK = "nik"  # 16 digits: NIK (KTP) or the Kartu Keluarga number
    ACCOUNT = "account"  # a number after "rekening", "transfer", "VA" ...
    AMOUNT = "amount"  # 25.000.000, Rp 2500000000
    OTHER = "other"  # a year, an age, a wrong-length number ...


@dataclass(frozen=True, slots=True)
class FoundNumber:
    kind: NumberKind
    text: str  # as typed (digits normalised to ASCII)
    digits: str  # its digits only
    after_porsi_word: bool = False  # the nearest keyword before it is "porsi"


@dataclass(frozen=True, slots=True)
class NumberScan:
    numbers: tuple[FoundNumber, ...]
    words: int  # words in the message outside the numbers ("porsi saya ... pak": 3)

    @property
    def porsi(self) -> list[str]:
        """Every porsi, in the order typed, each once."""
        return list(dict.fromkeys(n.digits for n in self.numbers if n.kind is NumberKind.PORSI))

    def of(self, *kinds: NumberKind) -> list[FoundNumber]:
        return [n for n in self.numbers if n.kind in kinds]

    @property
    def porsi_attempt(self) -> FoundNumber | None:
        """A number of the wrong length typed right after the word porsi ("porsi saya
        350941227"): meant as a porsi, worth the format message."""
        for n in self.numbers:
            if (n.kind is NumberKind.OTHER and n.after_porsi_word
                    and MIN_ATTEMPT_DIGITS <= len(n.digits) <= MAX_ATTEMPT_DIGITS):
                return n
        return None


NIK_DIGITS = 16
# Digit groups joined by one space, or a dot/dash (spaces around allowed): "3509 412 276",
# "3509-412-276", "13-00-47-72-19"; a leading "+" belongs to a phone number. A comma or a line
# break separates numbers ("3509412276, 3309381154").
_RUN = re.compile(r"(?<![\w+])\+?\d+(?:(?:[ \t\u00a0]?[.\-][ \t\u00a0]?|[ \t\u00a0])\d+)*(?!\w)")
_GROUP = re.compile(r"\d+")
_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")  # 25.000.000: an amount in rupiah
_WORD = re.compile(r"[^\W\d_]+")
# The nearest of these words before a number says what it is ("no hp 0812345678").
_KEYWORDS: dict[str, NumberKind] = {}
for _kind, _words in {
    NumberKind.PORSI: "porsi portion porsinya",
    NumberKind.PHONE: "hp handphone hape ponsel telp telpon telepon tlp wa whatsapp phone mobile "
                      "sms kontak contact call",
    NumberKind.ACCOUNT: "rekening rek norek va transfer tabungan account",
    NumberKind.AMOUNT: "rp idr rupiah",
    NumberKind.NIK: "nik ktp kk",
}.items():
    for _w in _words.split():
        _KEYWORDS[_w] = _kind
KEYWORD_WINDOW = 40  # characters before a number searched for its keyword


def _keyword_before(text: str, start: int) -> NumberKind | None:
    for word in reversed(_WORD.findall(text[max(0, start - KEYWORD_WINDOW):start].casefold())):
        if word in _KEYWORDS:
            return _KEYWORDS[word]
    return None


def _is_phone(digits: str, plus: bool, keyword: NumberKind | None) -> bool:
    if plus:
        return 8 <= len(digits) <= 15
    if digits.startswith("08"):
        # a 10-digit number starting 08 may be a porsi too (its prefix means nothing to us):
        # a phone only when the words say so
        return 11 <= len(digits) <= 13 or (len(digits) == 10 and keyword is NumberKind.PHONE)
    if digits.startswith("628"):
        return 11 <= len(digits) <= 14
    return keyword is NumberKind.PHONE and digits.startswith("0") and 9 <= len(digits) <= 13


def _single(text: str, digits: str, plus: bool, keyword: NumberKind | None,
            groups: list[str]) -> NumberKind:
    """What one number (a run read as a whole) is."""
    if _is_phone(digits, plus, keyword):
        return NumberKind.PHONE
    if keyword is NumberKind.ACCOUNT:
        return NumberKind.ACCOUNT
    if len(digits) == PORSI_DIGITS:
        if keyword is NumberKind.AMOUNT or (_THOUSANDS.match(text) and keyword is not NumberKind.PORSI):
            return NumberKind.AMOUNT
        return NumberKind.PORSI
    # 16 digits in one piece or in short groups; not a porsi followed by six more digits
    if len(digits) == NIK_DIGITS and (len(groups) == 1 or max(map(len, groups)) < PORSI_DIGITS):
        return NumberKind.NIK
    if _THOUSANDS.match(text) or keyword is NumberKind.AMOUNT:
        return NumberKind.AMOUNT
    return NumberKind.OTHER


def _porsi_segments(groups: list[str]) -> list[tuple[int, int]] | None:
    """Split a run of digit groups into whole porsi (consecutive groups of 10 digits in all,
    the first and last of two digits or more) and single groups, with as many porsi as
    possible: "3509412276 3309381154" and "3509 412 276 3309 381 154" are two porsi,
    "2012 3509412276" a year and a porsi. None when no porsi is in it."""
    n = len(groups)
    best: list[tuple[int, list[tuple[int, int]]]] = [(0, [])] + [(-1, [])] * n
    for i in range(n):
        if best[i][0] < 0:
            continue
        count, segs = best[i]
        options = [(i + 1, 0)]  # group i on its own
        total = 0
        for j in range(i, n):
            total += len(groups[j])
            if total > PORSI_DIGITS:
                break
            if total == PORSI_DIGITS and (i == j or (len(groups[i]) >= 2 and len(groups[j]) >= 2)):
                options.append((j + 1, 1))
        for end, gain in options:
            if count + gain > best[end][0]:
                best[end] = (count + gain, [*segs, (i, end)] if gain else [*segs, (i, -end)])
    count, segs = best[n]
    if count == 0:
        return None
    return segs


def scan_numbers(text: str | None) -> NumberScan:
    """Every number in `text` and what it is; see `NumberKind`. Pure."""
    from knowledge.dates import find_date_spans  # dates imports nothing from here

    source = _ascii_digits(text or "")
    found: list[tuple[int, FoundNumber]] = []
    masked = list(source)
    for start, end in find_date_spans(source):
        typed = source[start:end]
        found.append((start, FoundNumber(NumberKind.DATE, typed, "".join(_GROUP.findall(typed)))))
        masked[start:end] = " " * (end - start)
    work = "".join(masked)
    for m in _RUN.finditer(work):
        run = m.group()
        plus = run.startswith("+")
        body = run.lstrip("+")
        groups = _GROUP.findall(body)
        digits = "".join(groups)
        keyword = _keyword_before(work, m.start())
        after_porsi = keyword is NumberKind.PORSI
        whole = _single(body, digits, plus, keyword, groups)
        if whole is not NumberKind.OTHER or len(groups) == 1:
            found.append((m.start(), FoundNumber(whole, run, digits, after_porsi)))
            continue
        segments = _porsi_segments(groups)
        if segments is None:
            found.append((m.start(), FoundNumber(whole, run, digits, after_porsi)))
            continue
        offset = m.start()
        for i, end in segments:
            part = groups[i:abs(end)]
            part_digits = "".join(part)
            kind = (NumberKind.PORSI if end > 0
                    else _single(part[0], part_digits, False, keyword, part))
            found.append((offset + i, FoundNumber(kind, " ".join(part), part_digits, after_porsi)))
    for start, end in [(m.start(), m.end()) for m in _RUN.finditer(work)]:
        masked[start:end] = " " * (end - start)
    words = len(_WORD.findall("".join(masked)))
    return NumberScan(tuple(n for _, n in sorted(found, key=lambda item: item[0])), words)


def find_porsi(text: str | None) -> list[str]:
    """Every nomor porsi written anywhere in `text` (see `scan_numbers`)."""
    return scan_numbers(text).porsi
