"""Scoring index of the FAQ matcher: word stems, character n-grams and the vectorised signals.

Moved out of `knowledge.matcher` (which re-exports these names): the dictionary stemmer, the
n-gram counter, the column-kept sparse matrix `_Postings` and the token-set-ratio bounds
`_TokenSet` that `Matcher` scores a question with.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import chain
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Indel

from knowledge.normalize import affix_variants

# --- stems and n-grams -------------------------------------------------------------------------
# Question words and negations keep full weight: "sudah" vs "belum" changes the answer, and
# "lagi" (again) is what makes "dilimpahkan lagi" a question about transferring a second time.
_KEEP_WEIGHT = frozenset("berapa bagaimana kapan tidak belum sudah siapa mana kenapa mengapa lagi".split())
_LIGHT = 0.25  # weight of other function words in the stem share
_POLAR = {"sudah": "belum", "belum": "sudah", "tahapsatu": "tahapdua", "tahapdua": "tahapsatu"}
_POLAR_PENALTY = 0.85  # the entry speaks of the opposite case ("belum pernah haji" vs "sudah")
# A text (paraphrase) that says the opposite of the question is weak evidence for its entry,
# however many other words it shares: "sudah pernah haji, tahap berapa" must not ride on
# "belum pernah haji masuk tahap berapa".
_POLAR_DOC_PENALTY = 0.8
# Pairs an entry may compare ("beda tahap I dan tahap II"): a question about one side only is
# not asking for the comparison, a question naming both is not asking about one side.
_PAIRED = (("tahapsatu", "tahapdua"),)
_PAIRED_PENALTY = 0.9


def make_stemmer(roots: frozenset[str]):
    """Dictionary stemmer: the shortest affix-stripped form that the KB itself uses as a word.

    "pelimpahan", "dilimpahkan", "melimpahkan" -> "limpah" when the KB has "limpah"; a word
    with no known root stays as it is ("pernah" is not cut to "rnah").
    """
    cache: dict[str, str] = {}

    def stem(word: str) -> str:
        hit = cache.get(word)
        if hit is not None:
            return hit
        result = word
        if len(word) > 4 and not word.isdigit():
            known = [v for v in affix_variants(word)[1:] if v in roots and len(v) >= 4]
            if known:
                result = min(known, key=len)
        # only the knowledge base's own words are kept: a word someone typed (a name, a
        # detail) is not held in memory, and the cache does not grow with every new one
        if word in roots:
            cache[word] = result
        return result

    return stem


_SENTENCE_END = re.compile(r"(?<=[.!?\n])\s*|\s+(?=(?:yang|yg) (?:mau|ingin|mo) (?:saya|sy|aku) "
                           r"(?:tanya|tanyakan)\b)", re.IGNORECASE)


def _sentences(text: str) -> list[str]:
    return [p.strip() for p in _SENTENCE_END.split(text) if p and p.strip()]


def _tails(text: str) -> list[str]:
    """The endings of `text` by whole sentences: the last one, the last two, ..."""
    parts = _sentences(text)
    return [" ".join(parts[i:]) for i in range(len(parts) - 1, 0, -1)]


def asking_sentences(text: str) -> list[str]:
    """The sentences of `text` that ask something."""
    return [p for p in _sentences(text) if _asks(p)]


# A sentence that asks: typed with "?", or holding a question word that only asks ("apakah",
# "gimana", "how"), or opening with one that asks when it comes first ("bisa ...", "can ...").
_ASKING = frozenset("""apakah apa bagaimana gimana gmn bgmn gmana kapan kpn berapa brp brapa siapa
    kenapa mengapa knp kemana dimana mana dmn dmana kmn kmana bisakah bolehkah how what when who
    whom which where why whether""".split())
_ASKING_FIRST = frozenset("""bisa bs boleh blh apa apakah perlu harus haruskah can could is are do
    does did should may will would""".split())
_WORD = re.compile(r"[^\W_]+")
_SHORT_QUESTION = 5  # words
# a question pointing back at the telling ("is that true and how does it work?", "apa
# benar begitu?", "kalau porsi ayah dilimpahkan kepadanya, boleh?" - to the one the sentence
# before named) leans on the sentence before it as a short one does ("itu" and "ini" mostly
# mark a topic: "kanwil itu apa?"; "beliau", "dia" cost a right answer leave-one-set-out)
_POINTING_BACK = frozenset("that this it tersebut begitu gitu kepadanya padanya".split())


def points_back(sentence: str) -> bool:
    """Whether a sentence of at most ten words points back at the one before it."""
    words = [w.casefold() for w in _WORD.findall(sentence)]
    return len(words) <= 2 * _SHORT_QUESTION and bool(_POINTING_BACK & set(words))


def leans_on_before(sentence: str) -> bool:
    """Whether an asking sentence needs the sentence before it to say what it asks about."""
    return len(_WORD.findall(sentence)) <= _SHORT_QUESTION or points_back(sentence)


# English question words inside a sentence are mostly relative ("my grandmother, who
# registered in 2010, ...", "the year when he died"): they ask only first, or after a word that
# introduces an indirect question ("I want to know when ...", "please tell me which ...")
# a yes/no question typed without "?" ends in a negation ("bisa pindah bank ga")
_ASKING_LAST = frozenset("ga gak nggak ngga enggak engga gk kah ndak nda tah".split())
_ENGLISH_RELATIVE = frozenset("who whom whose which where when what".split())
_INDIRECT = frozenset("know ask asking asked tell wonder wondering sure idea explain understand "
                      "me out confirm check clarify inform advise and or but so about regarding"
                      .split())


def _asks(sentence: str) -> bool:
    if sentence.rstrip().endswith("?"):
        return True
    words = [w.casefold() for w in _WORD.findall(sentence)]
    if not words:
        return False
    if words[0] in _ASKING_FIRST or words[0] in _ASKING or words[-1] in _ASKING_LAST:
        return True
    return any(w in _ASKING and (w not in _ENGLISH_RELATIVE or words[i - 1] in _INDIRECT)
               for i, w in enumerate(words[1:], 1))


def question_part(text: str) -> str | None:
    """The sentences of a long message that ask something, in their order, or None when that
    is the whole message or none asks: a family's story tells who, when and what happened,
    and the question is one or two sentences in it - often not the last ones ("... surat
    kematiannya dari mana ya? mohon dibantu, terima kasih banyak, semoga sehat selalu")."""
    parts = _sentences(text)
    keep = [_asks(p) for p in parts]
    if not any(keep) or all(keep):
        return None
    # a short question leans on the sentence before it ("... hasilnya tidak istithaah karena
    # gagal ginjal. apakah masih bisa melunasi?"): that sentence goes with it
    for i, p in enumerate(parts):
        if keep[i] and i > 0 and leans_on_before(p):
            keep[i - 1] = True
    if all(keep):
        return None
    return " ".join(p for p, k in zip(parts, keep, strict=True) if k)


# The knowledge base's own words' 3- and 4-grams, kept: a question's words are mostly those
# words (spelling correction maps to them), and cutting them again was a Python loop per gram.
# Only the knowledge base's words are kept, never a word someone typed: a cache of people's
# words would keep names and details in memory and grow with every new one. Bounded all the
# same (about 1 kB a word; the knowledge base holds about 5,600 words at ten times its size).
_WORD_GRAMS: dict[str, tuple[str, ...]] = {}
_WORD_GRAMS_KEPT = 20_000


def _word_grams(word: str) -> tuple[str, ...]:
    grams = _WORD_GRAMS.get(word)
    if grams is None:
        padded = f" {word} "
        grams = tuple(padded[i:i + n] for n in (3, 4) if len(padded) >= n
                      for i in range(len(padded) - n + 1))
    return grams


def keep_word_grams(words) -> None:
    """Keep the n-grams of the knowledge base's `words` (while there is room)."""
    for word in words:
        if len(_WORD_GRAMS) >= _WORD_GRAMS_KEPT:
            return
        if word not in _WORD_GRAMS:
            _WORD_GRAMS[word] = _word_grams(word)


def _ngrams(words: list[str]) -> Counter:
    """The words' character 3- and 4-grams (each word padded with a space) and their counts,
    in the order first met."""
    return Counter(chain.from_iterable(map(_word_grams, words)))


# Why plain numpy (issue 15, item 6): each signal is a sparse matrix-vector product in which the
# question touches only a few columns (its grams, stems or words). Stored column by column
# (CSC: one flat array of rows and one of weights, with each column's start), the product is a
# gather of those columns' rows plus one `np.bincount` - tens of microseconds, growing with the
# rows the question's columns hold, not with a Python loop over entries. scipy.sparse would do
# the same product through a heavier dependency (and more per-call overhead for a one-column
# vector); rapidfuzz's `process.cdist` has no TF-IDF cosine scorer. rapidfuzz stays for what it
# does well: the Indel distance of whole strings, in C++, for every text at once.
class _Postings:
    """A sparse matrix kept by column: key -> the rows it occurs in, with a weight each."""

    def __init__(self, columns: dict[str, list[tuple[int, float]]]):
        self.col = {key: i for i, key in enumerate(columns)}
        lens = np.array([len(p) for p in columns.values()], dtype=np.intp)
        self.len = lens
        self.start = (np.cumsum(lens) - lens).astype(np.intp)
        self.row = np.array([r for p in columns.values() for r, _ in p], dtype=np.intp)
        self.weight = np.array([w for p in columns.values() for _, w in p], dtype=np.float64)
        # each column's slice of both (views): joining the question's columns is one copy
        ends = (self.start + lens).tolist()
        self.rows_of = [self.row[a:b] for a, b in zip(self.start.tolist(), ends, strict=True)]
        self.weights_of = [self.weight[a:b] for a, b in zip(self.start.tolist(), ends,
                                                            strict=True)]

    def gather(self, cols: list[int], values: list[float] | None = None):
        """The rows of `cols`, column after column (in the order given), and their weights
        times the column's value (or the stored weights when `values` is None)."""
        if not cols:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float64)
        rows = np.concatenate([self.rows_of[c] for c in cols])
        weights = np.concatenate([self.weights_of[c] for c in cols])
        if values is None:
            return rows, weights
        # one multiplication for all columns (each value repeated over its column's rows): the
        # same products as column by column, without a numpy call per column
        return rows, weights * np.repeat(np.asarray(values, dtype=np.float64), self.len[cols])

    def dot(self, cols: list[int], values: list[float] | None, n_rows: int) -> np.ndarray:
        """Every row's sum of weight x value over `cols`, added in the order of `cols` (so the
        floats are those of a plain Python loop over the question's keys)."""
        rows, weight = self.gather(cols, values)
        return np.bincount(rows, weights=weight, minlength=n_rows)


class _WordColumns:
    """The character n-gram product of whole words, precomputed for the knowledge base's
    commonest words.

    A question's n-gram vector is the sum of its words' grams, so its product with the texts is
    the sum of each word's product - exactly so for a gram the question holds once, whose value
    is its IDF (1 + log 1 = 1). A common word's grams are common too ("saya": " sa", "ay", "ya "
    in hundreds of words): their columns overlap, and the word's own product, kept as one
    column of the texts it touches, is half as long as its grams' columns together. A question
    word with a kept column adds that column; `coefficient` then says what each gram still
    needs: (1 + log c) for count c, minus once per kept word holding it - 0 for most grams.
    Words are kept by how many texts hold them (the words questions share with the knowledge
    base), up to as many postings as the gram columns hold: memory at most doubles."""

    def __init__(self, grams: _Postings, gram_at: dict[str, tuple[int, float]],
                 idf_weights: list[np.ndarray], doc_words: list[list[str]], n_docs: int,
                 budget: int | None = None):
        df: Counter = Counter()
        for words in doc_words:
            df.update(set(words))
        budget = int(grams.row.size) if budget is None else budget
        columns: dict[str, list[tuple[int, float]]] = {}
        self.grams_of: dict[str, tuple[str, ...]] = {}
        for word, count in df.most_common():
            if count < 2 or budget <= 0:
                break
            own = tuple(g for g in _ngrams([word]) if g in gram_at)
            cols = [gram_at[g][0] for g in own]
            if len(cols) < 2:
                continue
            per_doc = np.bincount(np.concatenate([grams.rows_of[c] for c in cols]),
                                  weights=np.concatenate([idf_weights[c] for c in cols]),
                                  minlength=n_docs)
            rows = np.flatnonzero(per_doc)
            columns[word] = list(zip(rows.tolist(), per_doc[rows].tolist(), strict=True))
            self.grams_of[word] = own
            budget -= rows.size
        self.columns = _Postings(columns)


_ONE_PASS = 400  # open texts below which `_TokenSet.settle` makes one pass, not two


class _TokenSet:
    """S1 for one question: each text's `fuzz.token_set_ratio` (x its factor), as rapidfuzz
    scores the pair, known exactly only where it can matter.

    token_set_ratio is the best of three ratios over the question's words A and a text's words
    B: sect+ab vs sect, sect+ba vs sect (both follow from lengths alone) and the Indel ratio of
    the sorted words A-B vs B-A over the length of both sides (`result`). With the texts' words
    as a sparse matrix, the shared words' count and length give the first two for every text at
    once, and bounds on `result`: every text starts with a lower and an upper bound (`low`,
    `high`), exact when they meet. `tighten(entries)`: one `process.cdist` Indel distance of the
    sorted word lists settles those entries' texts that share no word (then `result` IS that
    ratio) and tightens the bound of the others (A-B and B-A are subsequences of the sorted
    lists, so their longest common subsequence is at most that of the whole lists).
    `settle(entries)` then makes the entries' best text exact, computing `result`
    (`unshared_ratio`) only for texts whose upper bound could still beat the best value
    known for their entry.
    """

    # m: the knowledge.matcher.Matcher scoring (not imported: matcher imports this module)
    def __init__(self, m: Any, text: str, factor: np.ndarray):
        self.m = m
        self.factor = factor
        n = m._n_docs
        tokens = set(text.split())
        self.settled = np.zeros(len(m.ids), dtype=bool)
        self.tightened = np.zeros(len(m.ids), dtype=bool)
        self.distanced = np.zeros(n, dtype=bool)
        if not tokens:  # token_set_ratio is 0 for an empty side
            self.low = np.zeros(n)
            self.high = np.zeros(n)
            self.known = np.ones(n, dtype=bool)
            self._entry_bounds()
            return
        self.q_words = sorted(tokens)
        self.q_sorted = " ".join(self.q_words)
        na = float(len(tokens))
        la = float(sum(map(len, tokens)))
        self.q_cols = [m._tokens.col.get(w, -1) for w in self.q_words]
        self.rows, lens = m._tokens.gather([c for c in self.q_cols if c >= 0])
        ni_all = np.bincount(self.rows, minlength=n)
        self.shared = ni_all > 0
        self.lq = lq = float(len(self.q_sorted))
        # a text sharing no word: the Indel ratio of the sorted lists, at most the length ratio,
        # worked out once per length the texts have (a few hundred) and looked up
        lengths = m._doc_len_values
        high = ((100.0 - 100.0 * np.abs(lq - lengths) / (lq + lengths)) / 100.0)[m._doc_len_at]
        low = np.zeros(n)
        known = np.zeros(n, dtype=bool)
        # texts sharing words (the arithmetic on those only)
        sh = np.flatnonzero(ni_all)
        ni = ni_all[sh].astype(np.float64)
        li = np.bincount(self.rows, weights=lens, minlength=n)[sh]
        nb, lb = m._doc_ntok[sh], m._doc_toklen[sh]
        sect = li + ni - 1
        ab = np.where(na > ni, (la - li) + (na - ni - 1), 0.0)
        ba = np.where(nb > ni, (lb - li) + (nb - ni - 1), 0.0)
        sect_ab = sect + 1 + ab
        sect_ba = sect + 1 + ba
        lensum = sect_ab + sect_ba
        r_ab = 100.0 - 100.0 * (1 + ab) / (sect + sect_ab)
        r_ba = 100.0 - 100.0 * (1 + ba) / (sect + sect_ba)
        lower = np.maximum(np.where(r_ab >= 1, r_ab, 0.0), np.where(r_ba >= 1, r_ba, 0.0))
        # before any distance: at most everything of the shorter side in common
        upper = 100.0 - 100.0 * (ab + ba - 2 * np.minimum(ab, ba)) / lensum
        full = (ni == na) | (ni == nb)
        known_sh = full | (upper <= lower)
        low_sh = np.where(full, 100.0, lower) / 100.0
        low[sh] = low_sh
        high[sh] = np.where(known_sh, low_sh, np.where(full, 100.0, np.maximum(upper, lower))
                            / 100.0)
        known[sh] = known_sh
        # read only for texts sharing words (`tighten` settles the others by their distance),
        # and only for a few of them: kept in `sh`'s order, found by `_at` (no array over every
        # text to scatter them into)
        self.sh = sh
        self.ab, self.ba, self.lensum, self.lower = ab, ba, lensum, lower
        empty = m._doc_empty
        if empty.size:  # token_set_ratio is 0 for an empty side
            low[empty] = high[empty] = 0.0
            known[empty] = True
        self.known = known
        if factor is not m._no_penalty:  # x 1 changes nothing
            low *= factor
            high *= factor
        self.low, self.high = low, high
        self._entry_bounds()

    def _at(self, docs: np.ndarray) -> np.ndarray:
        """Where texts sharing words with the question (`docs`) stand in `sh`."""
        return np.searchsorted(self.sh, docs)

    # Each entry's best `low` and `high`, kept: a pass changes the texts of a few entries, and
    # one `maximum.reduceat` over every text costs about as much as the pass's own arithmetic.
    def _entry_bounds(self) -> None:
        self.entry_low = np.maximum.reduceat(self.low, self.m._entry_start)
        self.entry_high = np.maximum.reduceat(self.high, self.m._entry_start)

    def _texts_of(self, entries: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The texts of `entries` (indices), entry after entry; where each entry's texts start
        among them; and each text's place in `entries`."""
        size = self.m._entry_size[entries]
        ends = np.cumsum(size)
        seg = ends - size
        docs = np.repeat(self.m._entry_start[entries] - seg, size) + np.arange(ends[-1])
        return docs, seg, np.repeat(np.arange(entries.size), size)

    def _refresh(self, entries: np.ndarray, docs: np.ndarray, seg: np.ndarray) -> None:
        self.entry_low[entries] = np.maximum.reduceat(self.low[docs], seg)
        self.entry_high[entries] = np.maximum.reduceat(self.high[docs], seg)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Per entry: a lower and an upper bound of S1 (equal once the entry is settled)."""
        return self.entry_low.copy(), np.where(self.settled, self.entry_low, self.entry_high)

    def tighten(self, entries: np.ndarray) -> None:
        """Exact S1 for the texts of `entries` sharing no word with the question, a tighter
        bound for the others: the cheap half of `settle`."""
        m = self.m
        self.tightened |= entries
        chosen = np.flatnonzero(entries)
        if not chosen.size:
            return
        texts, seg, _ = self._texts_of(chosen)
        docs = texts[~self.known[texts] & ~self.distanced[texts]]
        if not docs.size:
            return
        self.distanced[docs] = True
        factor = self.factor
        dist = process.cdist([self.q_sorted], m._doc_sorted[docs], scorer=Indel.distance,
                             dtype=np.int64, workers=1)[0]
        ld = m._doc_sorted_len[docs]
        shared = self.shared[docs]
        # no shared word: token_set_ratio is the Indel ratio of the sorted lists
        alone = docs[~shared]
        value = 100.0 - 100.0 * dist[~shared] / (self.lq + ld[~shared])
        self.low[alone] = np.where(value >= 1, value, 0.0) / 100.0 * factor[alone]
        self.high[alone] = self.low[alone]
        self.known[alone] = True
        # shared words: a tighter bound on `result`
        some = docs[shared]
        at = self._at(some)
        ab, ba = self.ab[at], self.ba[at]
        common = np.minimum((self.lq + ld[shared] - dist[shared]) / 2, np.minimum(ab, ba))
        upper = 100.0 - 100.0 * (ab + ba - 2 * common) / self.lensum[at]
        lower = self.lower[at]
        done = upper <= lower
        self.high[some] = np.where(done, self.low[some],
                                   np.maximum(upper, lower) / 100.0 * factor[some])
        self.known[some[done]] = True
        self._refresh(chosen, texts, seg)

    def settle(self, entries: np.ndarray) -> None:
        """Make S1 exact for `entries` (a mask over entries)."""
        m = self.m
        fresh = entries & ~self.tightened
        if fresh.any():
            self.tighten(fresh)
        self.settled |= entries
        chosen = np.flatnonzero(entries)
        if not chosen.size:
            return
        docs, seg, place = self._texts_of(chosen)
        open_ = ~self.known[docs]
        if not open_.any():
            return
        factor = self.factor
        # two passes: first each entry's most promising open text, then those of the rest that
        # could still beat what the first pass found (a text left open is then at most its
        # entry's best: the entry's value is the best `low`). A pass has a fixed cost of about
        # as many texts as `_ONE_PASS`: below that, one pass does all.
        for second in (False, True):
            high = self.high[docs]
            entry_low = np.maximum.reduceat(self.low[docs], seg)
            open_ &= high >= entry_low[place] - 1e-9
            last = second or np.count_nonzero(open_) <= _ONE_PASS
            if last:
                pick = open_.copy()
            else:
                entry_high = np.maximum.reduceat(np.where(open_, high, -1.0), seg)
                pick = open_ & (high >= entry_high[place])
            todo = docs[pick]
            if todo.size:
                at = self._at(todo)
                result = unshared_ratio(m, todo, self.q_words, self.q_cols, self.rows,
                                        self.lensum[at])
                self.low[todo] = np.maximum(result, self.lower[at]) / 100.0 * factor[todo]
                self.high[todo] = self.low[todo]
                self.known[todo] = True
                open_[pick] = False
            if last:
                break
        self._refresh(chosen, docs, seg)


# m: the knowledge.matcher.Matcher scoring (not imported: matcher imports this module)
def unshared_ratio(m: Any, todo: np.ndarray, q_words: list[str], q_cols: list[int],
                   rows: np.ndarray, lensum: np.ndarray) -> np.ndarray:
    """token_set_ratio's `result` for the texts `todo`, which share some words with the
    question: the Indel ratio of (the question's words the text lacks) vs (the text's words
    the question lacks), sorted and joined, over `lensum` (each text's, in `todo`'s order).
    Both strings are cut out of code-point arrays by masks, and rapidfuzz's `cpdist` takes
    the Indel distance of each pair in C++ - a fraction of the cost of `token_set_ratio`
    itself, which splits, sorts and joins both texts again for every pair. Each word keeps a
    trailing space on both sides; a common last character changes no Indel distance."""
    nq = len(q_words)
    # the text's words the question lacks
    clen = m._doc_clen[todo]
    ends = np.cumsum(clen)
    at = np.repeat(m._doc_cstart[todo] - ends + clen, clen) + np.arange(ends[-1])
    char_word = m._char_word[at]
    # the question's words the text lacks: texts holding the same question words share one
    # string. Which ones a text holds is a bit key: the OR, over the text's characters, of the
    # bit of the question word each belongs to (exact in an int64 up to 62 words; a longer
    # question is keyed from the postings, `_held_by_rows`)
    if nq <= 62:
        bit = np.zeros(len(m._tokens.col) + 1, dtype=np.int64)
        for i, c in enumerate(q_cols):
            if c >= 0:
                bit[c] = 1 << i
        bits = bit[char_word]
        keep = bits == 0
        keys, inverse = np.unique(np.bitwise_or.reduceat(bits, ends - clen), return_inverse=True)
        held = ((keys[:, None] >> np.arange(nq)) & 1).astype(bool)
    else:
        in_q = np.zeros(len(m._tokens.col) + 1, dtype=bool)
        in_q[[c for c in q_cols if c >= 0]] = True
        keep = ~in_q[char_word]
        held, inverse = _held_by_rows(m, todo, q_cols, rows)
    ys = m._chars[at[keep]].tobytes().decode("utf-32-le").split("\0")[:-1]
    q_chars = np.frombuffer("".join(w + " " for w in q_words).encode("utf-32-le"),
                            dtype=np.uint32)
    q_char_word = np.repeat(np.arange(nq), [len(w) + 1 for w in q_words])
    keep_q = ~held[:, q_char_word]
    x_text = np.broadcast_to(q_chars, keep_q.shape)[keep_q].tobytes().decode("utf-32-le")
    x_end = np.cumsum(keep_q.sum(axis=1)).tolist()
    x_unique = np.array([x_text[a:b] for a, b in zip([0, *x_end[:-1]], x_end, strict=True)],
                        dtype=object)
    xs = x_unique[inverse.reshape(-1)]
    dist = process.cpdist(xs, ys, scorer=Indel.distance, dtype=np.int64, workers=1)
    result = 100.0 - 100.0 * dist / lensum
    return np.where(result >= 1, result, 0.0)


def _held_by_rows(m: Any, todo: np.ndarray, q_cols: list[int], rows: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """For a question of more than 62 words: which of its words each text of `todo` holds, one
    row per distinct set (bool, sets x words), and each text's set; from the postings `rows` of
    the question's words (column after column), keyed 40 words at a time in a float."""
    k, nq = todo.size, len(q_cols)
    where = np.full(m._n_docs, -1, dtype=np.intp)
    where[todo] = np.arange(k)
    word_of = np.repeat(np.arange(nq), [m._tokens.len[c] if c >= 0 else 0 for c in q_cols])
    hit = where[rows] >= 0
    doc_i, word_i = where[rows[hit]], word_of[hit]
    key = np.zeros(k, dtype=np.int64)
    for lo in range(0, nq, 40):
        block = (word_i >= lo) & (word_i < lo + 40)
        part = np.bincount(doc_i[block], weights=np.exp2(word_i[block] - lo),
                           minlength=k).astype(np.int64)
        # the keys so far, ranked (< k), shifted past this block's bits
        key = np.unique(key, return_inverse=True)[1].reshape(-1) * (1 << 40) + part
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    rep = np.full(k, -1, dtype=np.intp)
    rep[first] = np.arange(first.size)
    held = np.zeros((first.size, nq), dtype=bool)
    mine = rep[doc_i] >= 0
    held[rep[doc_i[mine]], word_i[mine]] = True
    return held, inverse
