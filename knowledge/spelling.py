"""Typo correction against the knowledge base's own words.

`Vocabulary` holds the knowledge base's words and corrects an out-of-vocabulary token towards
them (suffixes, colloquial verb forms, regional -nya forms, repeated letters, then edit
distance); `correct_words` corrects a normalised message and counts how many of its content
words the knowledge base knows. The words themselves come from `knowledge.normalize`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Indel, Levenshtein

from knowledge.normalize import (
    FUNCTION_WORDS,
    LEXICON_DIR,
    affix_variants,
    colloquial_variants,
    is_real_word,
    root_words,
)

_SUFFIXES = ("nya", "lah", "kah", "pun", "ny")
_REGIONAL_SUFFIXES = ("nyo", "nye", "ne", "na", "e")


class Vocabulary:
    """The knowledge base's own words; corrects out-of-vocabulary tokens (typos) towards them."""

    def __init__(self, words: Iterable[str]):
        counts: dict[str, int] = {}
        for w in words:
            counts[w] = counts.get(w, 0) + 1
        self.counts = counts
        self.words = frozenset(counts)
        by_initial: dict[str, list[str]] = {}
        for w in sorted(counts):
            if len(w) >= 4 and not w.isdigit():
                by_initial.setdefault(w[0], []).append(w)
        self._by_initial = {k: tuple(v) for k, v in by_initial.items()}
        self.correct = lru_cache(maxsize=4096)(self._correct)

    def __contains__(self, word: str) -> bool:
        return word in self.words

    def _correct(self, word: str) -> str | None:
        """The vocabulary word `word` most likely means, or None when nothing is close enough."""
        if word in self.words:
            return word
        if len(word) < 5 or word.isdigit():
            return None
        for suffix in _SUFFIXES:  # porsinya -> porsi, bisakah -> bisa
            if word.endswith(suffix) and word[: -len(suffix)] in self.words:
                return word[: -len(suffix)]
        if any(v in self.words for v in affix_variants(word)[1:] if len(v) >= 4):
            return word  # an affixed form of a KB word (limpahkan -> limpah): not a typo
        if word in FUNCTION_WORDS or word in root_words():
            return None  # a real word the KB does not use (malam, bukan), not a typo of one
        forms = colloquial_variants(word)  # batalin -> batalkan, ngajuin -> ajukan
        for form in forms:
            if form in self.words:
                return form
        for form in forms:
            if any(v in self.words for v in affix_variants(form)[1:] if len(v) >= 4):
                return form
        if is_real_word(word):
            return None  # an affixed real word (kesempatan), not a typo of a KB word
        # regional forms of -nya: Javanese -e/-ne (lunase, pelunasane), Sundanese -na (carana),
        # Betawi -nye (caranye), Minang -nyo with its final o for a (caronyo -> caro -> cara)
        for suf in _REGIONAL_SUFFIXES:
            if word.endswith(suf) and len(word) - len(suf) >= 4:
                base = word[: -len(suf)]
                for form in (base, base[:-1] + "a" if base.endswith("o") else ""):
                    if form in self.words:
                        return form
        single = re.sub(r"([^\W\d_])\1+", r"\1", word)  # bisaa -> bisa (jemaah stays in vocab)
        if single in self.words:
            return single
        max_dist = 1 if len(word) <= 7 else 2
        pool = self._by_initial.get(word[0], ())
        if not pool:
            return None
        best = process.extract(
            word, pool, scorer=Levenshtein.distance, score_cutoff=max_dist, limit=5
        )
        if not best:
            return None
        # closest first, then the most similar spelling (syrat -> syarat, not surat), then the
        # more frequent KB word
        best.sort(key=lambda r: (r[1], -Indel.normalized_similarity(word, r[0]),
                                 -self.counts.get(r[0], 0)))
        return best[0][0]




@cache
def place_names() -> frozenset[str]:
    """Indonesian province / kabupaten / kota names (lexicon/places.txt)."""
    text = (LEXICON_DIR / "places.txt").read_text("utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


def join_split_words(words: list[str], vocab: Vocabulary) -> list[str]:
    """Words typed apart that make one knowledge-base word: "di input" -> "diinput",
    "siskohat kes" -> "siskohatkes", "pe lunasan" -> "pelunasan".

    Voice-to-text and elderly typing put spaces inside words. Two or three neighbours are
    joined only when the result is a KB word of at least 5 letters and one of the pieces is a
    fragment (at most 3 letters, or not a KB word): "tahap dua" or "lunas tunda" stay apart.
    """
    out: list[str] = []
    i, n = 0, len(words)
    while i < n:
        for size in (3, 2):
            parts = words[i:i + size]
            if len(parts) < size or any(p.isdigit() for p in parts):
                continue
            joined = "".join(parts)
            if (len(joined) >= 5 and joined in vocab
                    and any(len(p) <= 3 or p not in vocab for p in parts)):
                out.append(joined)
                i += size
                break
        else:
            out.append(words[i])
            i += 1
    return out


# The administrative word in front of a place name ("kab. sleman", "kota padang") is part of
# the name: it says where the pilgrim is, like the name itself, and as a knowledge-base word
# ("kuota kabupaten", "Kankemenag kabupaten/kota") it pulled where-questions towards entries
# about quota areas or offices.
_AREA_WORDS = frozenset("kabupaten kota provinsi kecamatan".split())


def correct_words(words: list[str], vocab: Vocabulary) -> tuple[list[str], int, int]:
    """Typo-correct `words` against `vocab`.

    Returns (corrected words, content words seen, content words the vocabulary covers).
    """
    out: list[str] = []
    content = covered = 0
    places = place_names()
    joined = join_split_words(words, vocab)
    for i, w in enumerate(joined):
        nxt = joined[i + 1] if i + 1 < len(joined) else ""
        if w in _AREA_WORDS and nxt in places and nxt not in vocab:
            continue
        if w in places and w not in vocab:
            out.append(w)  # a place, not a typo of a KB word; says nothing about the topic
            continue
        fixed = vocab.correct(w)
        out.append(fixed or w)
        # a bare number (an age, an amount) says nothing about whether the topic is covered
        if w in FUNCTION_WORDS or (fixed or w) in FUNCTION_WORDS or w.isdigit():
            continue
        content += 1
        if fixed is not None:
            covered += 1
    return out, content, covered
