"""The matcher's scoring as it was before it was vectorised (issue 15, item 6), kept as a
reference only: `test_matcher_vectorised.py` checks that the product scores every labelled
question the same, and `bench/bench_matcher.py --compare` times both in one run. Not product
code; the body of each method below is the old one, unchanged (`_match_text` only accepts the
argument the product now passes it, and makes the product's later "likely" decision), but for
speed of the tests: `_char_cosine` adds up the same postings with numpy and `_token_set` scores
every text in one `process.cdist` row (the old ones are kept as `_char_cosine_loop` and
`_token_set_loop`, and compared), and `scores` keeps each text's result.
"""

from __future__ import annotations

import math

import numpy as np
from rapidfuzz import fuzz, process

from knowledge import entry_model
from knowledge.kb_schema import KnowledgeBase
from knowledge.matcher import (
    _KEEP_WEIGHT,
    _LIGHT,
    _PAIRED,
    _PAIRED_PENALTY,
    _POLAR,
    _POLAR_DOC_PENALTY,
    _POLAR_PENALTY,
    Candidate,
    Match,
    Matcher,
    Thresholds,
    _ngrams,
)
from knowledge.normalize import FUNCTION_WORDS, YEAR_TOKEN, normalize_words
from knowledge.question_type import apply_asked, asked_words
from knowledge.spelling import correct_words


class ReferenceMatcher(Matcher):
    """`Matcher` with the pre-vectorisation signals, combination and ranking."""

    def __init__(self, kb: KnowledgeBase, thresholds: Thresholds | None = None):
        super().__init__(kb, thresholds)
        self._memo: dict[tuple, tuple] = {}
        # the old inverted index: gram -> [(doc, weight)], from the same words as before
        doc_words = [normalize_words(text) for entry in kb.entries
                     for text in entry.texts_for_matching()]
        self._postings: dict[str, list[tuple[int, float]]] = {}
        for di, grams in enumerate(_ngrams(w) for w in doc_words):
            vec = {g: (1.0 + math.log(c)) * self._gram_idf[g] for g, c in grams.items()}
            norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
            for g, v in vec.items():
                self._postings.setdefault(g, []).append((di, v / norm))
        # the same postings as arrays: every text's dot product with the question in one
        # bincount (the old loop over postings was most of the suite's time)
        self._posting_arrays = {g: (np.array([di for di, _ in plist], dtype=np.intp),
                                    np.array([w for _, w in plist]))
                                for g, plist in self._postings.items()}
        self._n_texts = len(doc_words)
        self._doc_entry_arr = np.asarray(self._doc_entry, dtype=np.intp)

    # -- signals ------------------------------------------------------------------------------
    def _char_cosine(self, words: list[str], against: frozenset[int] = frozenset()) -> list[float]:
        grams = _ngrams(words)
        vec = {g: (1.0 + math.log(c)) * self._gram_idf[g] for g, c in grams.items() if g in self._gram_idf}
        # unknown grams still count in the query norm: text the KB never saw lowers similarity
        unknown = sum(((1.0 + math.log(c)) * 3.0) ** 2 for g, c in grams.items() if g not in self._gram_idf)
        norm = math.sqrt(sum(v * v for v in vec.values()) + unknown) or 1.0
        per_doc = np.zeros(self._n_texts)
        if vec:
            arrays = [(*self._posting_arrays[g], v) for g, v in vec.items()]
            per_doc = np.bincount(np.concatenate([d for d, _, _ in arrays]),
                                  np.concatenate([w * v for _, w, v in arrays]),
                                  minlength=self._n_texts) / norm
        for di in against:
            per_doc[di] *= _POLAR_DOC_PENALTY
        best = np.zeros(len(self.ids))
        np.maximum.at(best, self._doc_entry_arr, per_doc)
        # to 12 decimals, as `Matcher._char_cosine` rounds them
        return np.round(best, 12).tolist()

    def _char_cosine_loop(self, words: list[str], against: frozenset[int] = frozenset()
                          ) -> list[float]:
        """The old loop over postings, unchanged: `_char_cosine` above must equal it
        (test_matcher_vectorised checks it on a sample of questions)."""
        grams = _ngrams(words)
        vec = {g: (1.0 + math.log(c)) * self._gram_idf[g] for g, c in grams.items() if g in self._gram_idf}
        unknown = sum(((1.0 + math.log(c)) * 3.0) ** 2 for g, c in grams.items() if g not in self._gram_idf)
        norm = math.sqrt(sum(v * v for v in vec.values()) + unknown) or 1.0
        per_doc: dict[int, float] = {}
        for g, v in vec.items():
            for di, w in self._postings[g]:
                per_doc[di] = per_doc.get(di, 0.0) + v * w
        best = [0.0] * len(self.ids)
        for di, s in per_doc.items():
            ei = self._doc_entry[di]
            s = s / norm * (_POLAR_DOC_PENALTY if di in against else 1.0)
            if s > best[ei]:
                best[ei] = s
        return np.round(np.array(best), 12).tolist()

    def _contradicting_docs(self, words: list[str]) -> frozenset[int]:
        """Texts that hold the opposite of a polar word of the question (and not the word)."""
        out: set[int] = set()
        for word, opposite in _POLAR.items():
            if word in words and opposite not in words:
                out |= self._docs_with[opposite] - self._docs_with[word]
        return frozenset(out)

    def _token_set(self, text: str, against: frozenset[int] = frozenset()) -> list[float]:
        """`_token_set_loop`'s scores from one `process.cdist` row: the same scorer on every
        text, without building and sorting a list of every hit (most of the time at three
        times the knowledge base)."""
        per_doc = process.cdist([text], self._doc_text, scorer=fuzz.token_set_ratio,
                                processor=None, dtype=np.float64)[0] / 100.0
        for di in against:
            per_doc[di] *= _POLAR_DOC_PENALTY
        best = np.zeros(len(self.ids))
        np.maximum.at(best, self._doc_entry_arr, per_doc)
        return best.tolist()

    def _token_set_loop(self, text: str, against: frozenset[int] = frozenset()) -> list[float]:
        best = [0.0] * len(self.ids)
        # process.extract loops in C++; a Python loop over ~400 texts costs ~1.5 ms
        hits = process.extract(text, self._doc_text, scorer=fuzz.token_set_ratio, limit=None,
                               processor=None, score_cutoff=1)
        for _doc, score, di in hits:
            ei = self._doc_entry[di]
            s = score / 100.0 * (_POLAR_DOC_PENALTY if di in against else 1.0)
            if s > best[ei]:
                best[ei] = s
        return best

    def _stem_share(self, words: list[str]) -> list[float]:
        weights: dict[str, float] = {}
        for w in words:
            s = self.stem(w)
            # a bare number no entry holds (a position, an amount, an age) is the person's own
            # detail: like a function word it says little about which entry is meant, and at
            # the full weight of an unknown word it hid the topic ("posisi porsi 41.250 itu
            # maksudnya apa" explained too little to be in scope)
            light = (w in FUNCTION_WORDS and w not in _KEEP_WEIGHT) or (
                w.isdigit() and s not in self._stem_idf)
            weights[s] = self._stem_idf.get(s, self._unknown_idf) * (_LIGHT if light else 1.0)
        total = sum(weights.values()) or 1.0
        return [sum(w for s, w in weights.items() if s in es) / total for es in self._entry_stems]

    # -- the decision ------------------------------------------------------------------------
    def scores(self, text: str, raw: list[str] | None = None
               ) -> tuple[list[str], list[float], float, dict]:
        """`_old_scores`, once per text: the tests ask for a question's scores and then its
        match, which scores it again, and the old n-gram loop is most of the suite's time.
        Copies are returned, so no caller changes what is kept."""
        key = (text, None if raw is None else tuple(raw))
        if key not in self._memo:
            self._memo[key] = self._old_scores(text, raw)
        words, combined, coverage, sig = self._memo[key]
        return list(words), list(combined), coverage, {k: list(v) for k, v in sig.items()}

    def _old_scores(self, text: str, raw: list[str] | None = None
                    ) -> tuple[list[str], list[float], float, dict]:
        if raw is None:
            raw = normalize_words(text)
        words, content, covered = correct_words(raw, self.vocab)
        coverage = covered / content if content else 0.0
        joined = " ".join(words)
        against = self._contradicting_docs(words)
        s1 = self._token_set(joined, against)
        s2 = self._char_cosine(words, against)
        s3 = self._stem_share(words)
        combined = [0.3 * a + 0.35 * b + 0.35 * c for a, b, c in zip(s1, s2, s3, strict=True)]
        for word, opposite in _POLAR.items():
            if word in words and opposite not in words:
                for i, stems in enumerate(self._entry_stems):
                    if opposite in stems and word not in stems:
                        combined[i] *= _POLAR_PENALTY
        for a, b in _PAIRED:
            asked = (a in words) + (b in words)
            if asked:
                for i, stems in enumerate(self._entry_stems):
                    held = (a in stems) + (b in stems)
                    if held and held != asked:
                        combined[i] *= _PAIRED_PENALTY
        # "kapan" / "siapa" asked (knowledge/question_type.py), entry by entry
        as_array = np.array(combined)
        apply_asked(asked_words(text, words), words, as_array, self._asked_has)
        combined = as_array.tolist()
        return words, combined, coverage, {"s1": s1, "s2": s2, "s3": s3}

    def _match_text(self, text: str, raw: list[str] | None = None, context=None,
                    told=()) -> Match:
        # (`raw` is the product's shortcut for words already normalised; the old code did not
        # have it and normalised again)
        words, combined, coverage, sig = self.scores(text)
        if context is not None:  # a long message's part, its story blended in (a decision rule)
            w = self.t.story_weight
            combined = [(1.0 - w) * c + w * float(x) for c, x in zip(combined, context,
                                                                     strict=True)]
        order = sorted(range(len(combined)), key=lambda i: combined[i], reverse=True)
        top = order[0]
        best = combined[top]
        second = combined[order[1]] if len(order) > 1 else 0.0
        cands = tuple(Candidate(self.ids[i], round(combined[i], 4)) for i in order[: self.t.candidates])
        normalized = " ".join(words)
        signals = {k: round(v[top], 4) for k, v in sig.items()}
        common = dict(coverage=round(coverage, 3), normalized=normalized, signals=signals)
        if coverage < self.t.coverage or best < self.t.floor or (
                coverage <= self.t.coverage and best < self.t.weak) or (
                sig["s3"][top] < self.t.explained):
            return Match("handoff", None, round(best, 4), cands, "out_of_scope", **common)
        if len(text.split()) <= 1:
            content = [w for w in words if w not in FUNCTION_WORDS]
            if (text.rstrip().endswith("?") and len(content) == 1
                    and self._defines.get(self.stem(content[0])) == top):
                return Match("answer", self.ids[top], round(best, 4), cands, "defined_term",
                             **common)
            return Match("clarify", self.ids[top], round(best, 4), cands, "one_word", **common)
        sure = (best >= self.t.confident and best - second >= self.t.margin) or (
            best >= self.t.clear and coverage >= self.t.clear_coverage
            and best - second >= self._margin_needed(best)) or (
            best >= self.t.distinct_floor and coverage >= self.t.distinct_coverage
            and best - second >= self.t.distinct_margin
            and self._only_distinctive(words, top, order, combined))
        # the "likely" band (issue 15, item 2) is a decision rule, not scoring: mirrored here
        # so that the two still compare scores through the same decisions
        likely = not sure and (best >= self.t.clear and coverage >= self.t.likely_coverage
                               and best - second >= self.t.likely_margin)
        if not sure and not likely and self._one_group(order[:3]) and (
                best >= max(self.t.clear, self.t.group_floor)
                and coverage >= self.t.likely_coverage) and (
                best - second >= self.t.group_margin or self._overview[top]) and (
                YEAR_TOKEN not in [*words, *told] or YEAR_TOKEN in self._entry_stems[top]):
            likely = True
        if not sure and not likely:
            chosen = entry_model.second_opinion(
                self.entry_model, [self.stem(w) for w in words], top, combined, self.t.agree,
                self.t.pick, self.t.pick_gap)
            if chosen is not None:
                likely = True
                if chosen != top:
                    top, best = chosen, combined[chosen]
                    order = [chosen, *(i for i in order if i != chosen)]
                    cands = tuple(Candidate(self.ids[i], round(combined[i], 4))
                                  for i in order[: self.t.candidates])
                    common["signals"] = {k: round(float(v[top]), 4) for k, v in sig.items()}
        if not sure and not likely:
            return Match("clarify", self.ids[top], round(best, 4), cands, "ambiguous", **common)
        named = self._matter_missed(words, top, order, combined)
        if named is not None:
            order = [top, named, *(i for i in order if i not in (top, named))]
            cands = tuple(Candidate(self.ids[i], round(combined[i], 4))
                          for i in order[: self.t.candidates])
            return Match("clarify", self.ids[top], round(best, 4), cands, "case_not_named",
                         **common)
        if self._case_not_named(words, top, order, combined) or self._group_not_named(
                [*words, *told], top):
            return Match("clarify", self.ids[top], round(best, 4), cands, "case_not_named",
                         **common)
        return Match("answer", self.ids[top], round(best, 4), cands,
                     "confident" if sure else "likely", **common)

