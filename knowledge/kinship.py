"""Kinship words: what a person types for "who is the recipient to the pilgrim" -> a relation.

Pure, no I/O. `parse_kinship(text, policy)` reads every word from `policy["relations"]` (the
versioned pelimpahan policy): `allowed` (key -> words), `not_allowed_words`, `qualifiers`,
`spelling` and `ambiguous` (word lists with a question and its options). This module holds only
how Indonesian, regional and English phrases are *written*: possessives (-ku, -nya, saya, my),
words around the relation (almarhum, calon jemaah), ordinals (ke-2, 2nd) and one-letter typos.

Reading order: the key itself; an allowed phrase as typed; an excluded word anywhere (refused
with the rule); the phrase with qualifiers (sah, laki-laki, sulung, kedua...) dropped; an ambiguous word
(a question, unless a qualifier settles it: "saudara kandung", "orang tua perempuan"); the head
word without "kandung"; two relation words in a row ("anak kakak", "istri adik": a relation of a
relation, refused); else unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FULL = "kandung"  # every `qualifiers.full` phrase is read as this word
_NON_WORD = re.compile(r"[^a-z0-9]+")
_ORDINAL = re.compile(r"^(?:ke\d+|\d+(?:st|nd|rd|th)?|no\d+)$")
_REDUP = re.compile(r"^([a-z]{2,})2$")  # "anak2", "laki2"
_NUMBER_WORDS = frozenset("satu dua tiga empat lima enam tujuh delapan sembilan sepuluh".split())
_ORDINAL_LEAD = frozenset({"ke", "no", "nomor", "nomer", "nr", "urutan"})
# Words around the relation that never change it ("anak saya", "almarhum suami", "my wife").
_FILLER = frozenset(
    "saya sy sya aku ak gue gua gw ane ana abdi kula kulo ambo awak hamba kami kita beliau dia "
    "ia nya ku mu pun e si sang nu dari yang adalah ialah itu ini sebagai selaku dengan dan "
    "punya almarhum almarhumah alm almh almarhummah mendiang jemaah jamaah jemaat penerima "
    "pelimpahan porsi haji hubungan status my the his her our their of is a an i am as s "
    "late deceased".split()
)
_FILLER_PHRASES = (("calon", "jemaah"), ("calon", "jamaah"), ("calon", "haji"),
                   ("calon", "penerima"))
_SUFFIXES = ("nya", "ku", "mu")


@dataclass(frozen=True, slots=True)
class Kinship:
    status: str  # "allowed" | "not_allowed" | "ambiguous" | "unknown"
    key: str | None = None  # the policy's relation key when allowed
    question: str | None = None  # `relations.ambiguous` code when ambiguous
    options: tuple[str, ...] = ()  # the question's option phrases (read with the same policy)
    matched: str = ""  # the normalised word or phrase that decided it
    qualifiers: tuple[str, ...] = ()  # qualifier kinds seen: full, male, female, order, status


class _Lexicon:
    """The policy's word lists, normalised once per call."""

    def __init__(self, relations: dict):
        self.relations = relations
        quals = relations.get("qualifiers") or {}
        self.spelling = {str(k).lower(): str(v).lower()
                         for k, v in (relations.get("spelling") or {}).items()}
        self.full = sorted((_plain(w) for w in quals.get("full", ())), key=len, reverse=True)
        self.drop = sorted(((" ".join(_dedupe(_plain(w).split())), kind)
                            for kind, ws in quals.items() if kind != "full" for w in ws),
                           key=lambda p: len(p[0]), reverse=True)
        self.allowed: dict[str, str] = {}
        for key, spec in relations["allowed"].items():
            for w in (*spec.get("words", ()), key.replace("_", " "), spec.get("id", "")):
                if w:
                    self.allowed.setdefault(self.phrase(_plain(w).split()), key)
        self.excluded = sorted({self.phrase(_plain(w).split())
                                for w in relations.get("not_allowed_words", ())} - {""},
                               key=len, reverse=True)
        self.ambiguous: dict[str, str] = {}
        for code, spec in (relations.get("ambiguous") or {}).items():
            for w in spec.get("words", ()):
                self.ambiguous.setdefault(self.phrase(_plain(w).split()), code)
        heads = set(self.allowed) | set(self.ambiguous)
        self.heads = {h for h in heads if FULL not in h.split()}
        # phrases a qualifier must not be cut out of ("orang tua", "anak pertama")
        self.multi = sorted((h for h in heads if " " in h), key=len, reverse=True)
        self.tokens = {t for p in (*self.allowed, *self.excluded, *self.ambiguous,
                                   *self.spelling.values(), *self.full,
                                   *(d for d, _ in self.drop)) for t in p.split()}
        self.tokens |= {FULL}

    def phrase(self, words: list[str]) -> str:
        """Spelling fixed, `full` phrases read as "kandung" (both for the lists and the input)."""
        text = " ".join(self.spelling.get(w, w) for w in words)
        padded = f" {text} "
        for full in self.full:
            padded = padded.replace(f" {full} ", f" {FULL} ")
        return " ".join(_dedupe(padded.split()))


def _plain(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", str(text).casefold()).split())  # "wife's" -> wife s


def _dedupe(words: list[str]) -> list[str]:
    return [w for i, w in enumerate(words) if i == 0 or w != words[i - 1]]


def _one_edit(a: str, b: str) -> bool:
    """True when `a` and `b` differ by one insertion, deletion, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (a[i + 2:] == b[i + 2:] and a[i:i + 2] == b[i:i + 2][::-1])
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[i + 1:] == shorter[i:]


def _tokens(text: str, lex: _Lexicon) -> tuple[list[str], set[str]]:
    raw = _plain(text).split()[:20]
    kinds: set[str] = set()
    words: list[str] = []
    i = 0
    while i < len(raw):
        w = raw[i]
        if tuple(raw[i:i + 2]) in _FILLER_PHRASES:
            i += 2
            continue
        if w in _ORDINAL_LEAD and i + 1 < len(raw) and (raw[i + 1].isdigit()
                                                        or raw[i + 1] in _NUMBER_WORDS):
            kinds.add("order")
            i += 2
            continue
        i += 1
        if m := _REDUP.match(w):
            w = m.group(1)
        if _ORDINAL.match(w):
            kinds.add("order")
            continue
        if w in _FILLER:
            continue
        words.append(_known(w, lex))
    return [w for w in words if w not in _FILLER], kinds


def _known(w: str, lex: _Lexicon) -> str:
    """The word as the lists spell it: as is, spelling, without a possessive, or one typo off."""
    if w in lex.tokens or w in lex.spelling:
        return w
    for suffix in _SUFFIXES:
        stem = w[: -len(suffix)]
        if w.endswith(suffix) and len(stem) >= 2 and (stem in lex.tokens or stem in lex.spelling):
            return stem
    if len(w) >= 5:
        near = {t for t in lex.tokens if len(t) >= 4 and _one_edit(w, t)}
        if len(near) == 1:
            return near.pop()
    return w


def _strip(phrase: str, lex: _Lexicon) -> tuple[str, set[str]]:
    """Drop qualifier phrases (longest first); return what is left and the kinds dropped."""
    padded, kinds = f" {phrase} ", set()
    for head in lex.multi:
        padded = padded.replace(f" {head} ", f" {head.replace(' ', '_')} ")
    for word, kind in lex.drop:
        while f" {word} " in padded:
            padded = padded.replace(f" {word} ", " ", 1)
            kinds.add(kind)
    return " ".join(padded.replace("_", " ").split()), kinds


def _segments(words: list[str], heads: set[str]) -> int:
    """How many relation words `words` is made of (0: it is not made of relation words only)."""
    best = [0] + [-1] * len(words)
    for end in range(1, len(words) + 1):
        for start in range(end):
            if best[start] >= 0 and " ".join(words[start:end]) in heads:
                best[end] = max(best[end], best[start] + 1)
    return max(best[-1], 0)


def parse_kinship(text: str | None, policy: dict, *, settle: bool = True) -> Kinship:
    """Read a relation word or phrase against `policy["relations"]` (see the module doc).
    `settle=False`: an ambiguous word stays a question even with a settling qualifier."""
    relations = policy["relations"]
    raw = (text or "").strip()
    if raw in relations["allowed"]:
        return Kinship("allowed", raw, matched=raw)
    lex = _Lexicon(relations)
    words, kinds = _tokens(raw, lex)
    phrase = lex.phrase(words)
    if not phrase:
        return Kinship("unknown")
    if phrase in lex.allowed:
        return Kinship("allowed", lex.allowed[phrase], matched=phrase, qualifiers=_q(kinds))
    core, dropped = _strip(phrase, lex)
    kinds |= dropped
    if FULL in core.split():
        kinds.add("full")
    quals = _q(kinds)
    padded = f" {phrase} "
    for word in lex.excluded:  # before qualifiers go: "inang tua" is an aunt, not a mother
        if f" {word} " in padded:
            return Kinship("not_allowed", matched=word, qualifiers=quals)
    if core in lex.allowed:
        return Kinship("allowed", lex.allowed[core], matched=core, qualifiers=quals)
    base = " ".join(w for w in core.split() if w != FULL)
    for candidate in (phrase, core, base):
        code = lex.ambiguous.get(candidate)
        if code is None:
            continue
        spec = relations["ambiguous"][code]
        for kind, settled in (spec.get("resolve") or {}).items() if settle else ():
            if kind in kinds:
                found = parse_kinship(settled, policy, settle=False)
                if found.status in ("allowed", "not_allowed"):
                    return Kinship(found.status, found.key, matched=candidate, qualifiers=quals)
        return Kinship("ambiguous", question=code, matched=candidate, qualifiers=quals,
                       options=tuple(str(o["relation"]) for o in spec.get("options", ())))
    if base in lex.allowed:
        return Kinship("allowed", lex.allowed[base], matched=base, qualifiers=quals)
    if _segments(base.split(), lex.heads) >= 2:  # "anak kakak": a nephew, not a child
        return Kinship("not_allowed", matched=base, qualifiers=quals)
    return Kinship("unknown", matched=phrase, qualifiers=quals)


def _q(kinds: set[str]) -> tuple[str, ...]:
    return tuple(sorted(kinds))


def question_view(code: str, policy: dict, lang: str = "id") -> dict:
    """The question for an ambiguous word, JSON-able: field, code, text and the options, each
    with the relation it names under this policy (its key, or None when the policy excludes it)."""
    spec = policy["relations"]["ambiguous"][code]
    options = []
    for opt in spec.get("options", ()):
        found = parse_kinship(str(opt["relation"]), policy)
        options.append({"relation": str(opt["relation"]),
                        "label": opt.get(lang) or opt.get("id") or str(opt["relation"]),
                        "status": found.status, "key": found.key})
    return {"field": "relation", "code": code,
            "text": spec.get(f"question_{lang}") or spec.get("question_id") or code,
            "options": options}
