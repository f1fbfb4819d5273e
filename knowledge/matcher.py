"""FAQ matcher: finds the knowledge-base entry a free-text question is about, or says it cannot.

Pure and in-memory: `Matcher(kb)` builds every index once; `match(text)` does no I/O.
Three signals per entry, best over its texts (canonical question id/en + paraphrases):
- S1 rapidfuzz `token_set_ratio` on normalised words;
- S2 character n-gram TF-IDF cosine (robust to typos and affixes);
- S3 IDF-weighted share of the question's word stems the entry (texts + keywords) explains.
All three are vectorised over the knowledge base (numpy; see `_Postings`), so a question costs
about the same whether the knowledge base holds 60 entries or 600.
The decision uses the combined score, the margin to the runner-up and how much of the question
the knowledge base's vocabulary covers at all (out of scope when it covers little).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from knowledge import entry_model, intent_model
from knowledge.human_request import asks_for_human
from knowledge.kb_schema import KnowledgeBase
from knowledge.match_index import (
    _KEEP_WEIGHT,
    _LIGHT,
    _PAIRED,
    _PAIRED_PENALTY,
    _POLAR,
    _POLAR_DOC_PENALTY,
    _POLAR_PENALTY,
    _ngrams,
    _Postings,
    _TokenSet,
    _WordColumns,
    keep_word_grams,
    make_stemmer,
)
from knowledge.match_result import Candidate, Match
from knowledge.match_story import match_story
from knowledge.match_thresholds import Thresholds
from knowledge.normalize import (
    FUNCTION_WORDS,
    YEAR_TOKEN,
    _read_yaml,
    normalize_words,
    root_words,
)
from knowledge.out_of_scope import asks_about_gap, names_out_of_scope
from knowledge.question_type import apply_asked, asked_masks, asked_words
from knowledge.spelling import Vocabulary, correct_words


class Matcher:
    def __init__(self, kb: KnowledgeBase, thresholds: Thresholds | None = None):
        self.kb = kb
        self.t = thresholds or Thresholds()
        self.ids: list[str] = []
        doc_words: list[list[str]] = []
        doc_entry: list[int] = []
        entry_words: list[list[str]] = []
        all_words: list[str] = []
        for ei, entry in enumerate(kb.entries):
            self.ids.append(entry.id)
            words_here: list[str] = []
            for text in entry.texts_for_matching():
                words = normalize_words(text)
                doc_words.append(words)
                doc_entry.append(ei)
                words_here.extend(words)
            for kw in entry.keywords:
                words_here.extend(normalize_words(kw))
            entry_words.append(words_here)
            all_words.extend(words_here)
        self.vocab = Vocabulary(all_words)
        self._person_model = intent_model.build(doc_words)
        root_words()  # load the real-word list now, not on the first question
        self.stem = make_stemmer(self.vocab.words)
        # every text and keyword list of the knowledge base, by entry: what the entry model is
        # taught besides the examples (kept so the bench can teach one without a set)
        self.entry_docs = [(self.ids[ei], ws) for ei, ws in zip(doc_entry, doc_words, strict=True)] + [
            (entry.id, normalize_words(kw)) for entry in kb.entries for kw in entry.keywords]
        self.entry_model = entry_model.build(self.ids, self.entry_docs, self.stem)
        entry_stems = [{self.stem(w) for w in ws} for ws in entry_words]
        self._doc_text = [" ".join(w) for w in doc_words]
        self._docs_with = {p: frozenset(di for di, ws in enumerate(doc_words) if p in ws)
                           for p in _POLAR}
        self._doc_entry = doc_entry
        self._entry_stems = entry_stems
        n_entries = len(kb.entries)
        stem_df: Counter = Counter()
        for stems in entry_stems:
            stem_df.update(stems)
        self._concept: list[frozenset[str]] = []  # the entry's specific case (may be empty)
        self._concept_cues: list[frozenset[str]] = []  # words that name it in a question
        for entry in kb.entries:
            asked = self._content_stems(normalize_words(entry.question.id))
            keyed = self._content_stems([w for kw in entry.keywords for w in normalize_words(kw)])
            rare = {s for s in asked | keyed if stem_df[s] <= self.t.concept_df}
            self._concept.append(frozenset(rare & asked & keyed))
            self._concept_cues.append(frozenset(rare))
        # the matter of an entry's group, named in a question (lexicon/domain.yaml `group_cues`)
        domain = _read_yaml("domain.yaml")
        cues = domain.get("group_cues") or {}
        self._groups = [e.group for e in kb.entries]
        self._group_cues = [frozenset(self.stem(w) for c in cues.get(e.group) or ()
                                      for w in normalize_words(str(c))) for e in kb.entries]
        # each group's overview entry (`group_overviews`): see the "likely" rules in _match_text
        overviews = set((domain.get("group_overviews") or {}).values())
        self._overview = [e.id in overviews for e in kb.entries]
        # the stems of the words naming a matter (`matter_words`): see `_matter_missed`
        self._matter = frozenset(self.stem(w) for c in domain.get("matter_words") or ()
                                 for w in normalize_words(str(c)))
        # A one-word question ("kloter?") is answered, not clarified, when the word is the whole
        # of one entry's canonical question ("Apa itu kloter?") and of no other canonical
        # question: that entry defines the term, every other entry merely uses it. Only when it
        # is typed as a question: a bare word without "?" may be a topic picked from a menu,
        # and the buttons stay. "pelimpahan?" stays a clarification: many canonical questions
        # ask about it, and none is only it.
        asked_df: Counter = Counter()
        asked_stems = []
        for entry in kb.entries:
            stems = self._content_stems(normalize_words(entry.question.id))
            asked_stems.append(stems)
            asked_df.update(stems)
        self._defines: dict[str, int] = {}
        for ei, stems in enumerate(asked_stems):
            if len(stems) == 1:
                (term,) = stems
                if asked_df[term] == 1 and term in self._concept[ei]:
                    self._defines[term] = ei
        self._stem_idf = {s: math.log((n_entries + 1) / (df + 0.5)) for s, df in stem_df.items()}
        self._stem_df = stem_df
        self._unknown_idf = math.log((n_entries + 1) / 0.5)
        # character n-gram TF-IDF over texts, as a sparse matrix by column: gram -> [(doc, weight)]
        keep_word_grams(self.vocab.words)
        grams_per_doc = [_ngrams(w) for w in doc_words]
        gram_df: Counter = Counter()
        for g in grams_per_doc:
            gram_df.update(g.keys())
        n_docs = len(doc_words)
        self._n_docs = n_docs
        self._gram_idf = {g: math.log((n_docs + 1) / (df + 1)) + 1.0 for g, df in gram_df.items()}
        postings: dict[str, list[tuple[int, float]]] = {}
        for di, grams in enumerate(grams_per_doc):
            vec = {g: (1.0 + math.log(c)) * self._gram_idf[g] for g, c in grams.items()}
            norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
            for g, v in vec.items():
                postings.setdefault(g, []).append((di, v / norm))
        self._grams = _Postings(postings)
        # a gram's column and IDF in one lookup
        self._gram_at = {g: (self._grams.col[g], idf) for g, idf in self._gram_idf.items()}
        # each column's weights times its IDF: a gram the question holds once (most) has the
        # value (1 + log 1) x IDF = IDF, so its products are these, computed once
        self._gram_idf_weights = [self._grams.weights_of[c] * idf
                                  for c, idf in sorted(self._gram_at.values())]
        self._word_columns = _WordColumns(self._grams, self._gram_at, self._gram_idf_weights,
                                          doc_words, n_docs)
        # texts are stored entry after entry: an entry's best text is one `maximum.reduceat`
        self._doc_entry_arr = np.array(doc_entry, dtype=np.intp)
        self._entry_start = np.searchsorted(self._doc_entry_arr, np.arange(n_entries))
        if n_docs == 0 or np.any(np.diff(self._doc_entry_arr) < 0) or len(
                set(doc_entry)) != n_entries:
            raise ValueError("every entry needs at least one text")
        self._entry_size = np.diff(np.append(self._entry_start, n_docs))
        # the factors of a question penalising no text (most): the signals skip multiplying by 1
        self._no_penalty = np.ones(n_docs)
        self._no_penalty.flags.writeable = False
        # polar words per text, as masks (a contradicting text is penalised)
        self._docs_with_mask = {p: np.isin(np.arange(n_docs), list(ds)) for p, ds in
                                self._docs_with.items()}
        # S3: entry x stem incidence by column (stem -> entries holding it)
        by_stem: dict[str, list[tuple[int, float]]] = {}
        for ei, stems in enumerate(entry_stems):
            for s in stems:
                by_stem.setdefault(s, []).append((ei, 1.0))
        self._stems = _Postings(by_stem)
        self._stem_has = {p: np.array([p in st for st in entry_stems]) for p in
                          {*_POLAR, *(w for pair in _PAIRED for w in pair)}}
        self._asked_has = asked_masks(entry_words, doc_words, doc_entry)  # "kapan" asked: see question_type.py
        # S1 (token_set_ratio): each text's distinct words, for set sizes and lengths without
        # splitting texts per question, and the words sorted and joined (what token_set_ratio
        # compares when a text shares no word with the question)
        doc_tokens = [set(t.split()) for t in self._doc_text]
        by_token: dict[str, list[tuple[int, float]]] = {}
        for di, toks in enumerate(doc_tokens):
            for tok in toks:
                by_token.setdefault(tok, []).append((di, float(len(tok))))
        self._tokens = _Postings(by_token)
        self._doc_ntok = np.array([len(t) for t in doc_tokens], dtype=np.float64)
        self._doc_empty = np.flatnonzero(self._doc_ntok == 0)
        self._doc_toklen = np.array([sum(map(len, t)) for t in doc_tokens], dtype=np.float64)
        self._doc_sorted = np.array([" ".join(sorted(t)) for t in doc_tokens], dtype=object)
        self._doc_sorted_len = np.array([len(t) for t in self._doc_sorted], dtype=np.float64)
        self._doc_len_values, self._doc_len_at = np.unique(self._doc_sorted_len,
                                                           return_inverse=True)
        # how far below the top the decision looks at other entries (`_case_not_named`,
        # `_only_distinctive`); entries further down only need to be known to be there
        self._reach = max(self.t.concept_gap, self.t.clear_margin)
        # ... and as code points, each word followed by a space, with the word each belongs to:
        # a text's words the question lacks are then a mask away (see `match_index.unshared_ratio`)
        # (each text ends in a NUL, which belongs to no word: the texts cut out come back
        # apart with one `str.split`)
        sorted_words = [sorted(t) for t in doc_tokens]
        if any("\0" in t for t in self._doc_text):
            raise ValueError("a text holds a NUL character")
        self._chars = np.frombuffer("".join("".join(w + " " for w in ws) + "\0"
                                            for ws in sorted_words).encode("utf-32-le"),
                                    dtype=np.uint32)
        no_word = len(self._tokens.col)
        self._char_word = np.repeat(
            np.array([c for ws in sorted_words for c in (*map(self._tokens.col.get, ws), no_word)],
                     dtype=np.intp),
            [n for ws in sorted_words for n in (*(len(w) + 1 for w in ws), 1)])
        self._doc_clen = np.array([sum(len(w) + 1 for w in ws) + 1 for ws in sorted_words],
                                  dtype=np.intp)
        self._doc_cstart = np.concatenate(([0], np.cumsum(self._doc_clen)[:-1])).astype(np.intp)

    def _content_stems(self, words: list[str]) -> set[str]:
        return {self.stem(w) for w in words if w not in FUNCTION_WORDS}

    # -- signals ------------------------------------------------------------------------------
    # Each returns one score per entry (a numpy array): the best over the entry's texts.
    def _doc_factors(self, words: list[str]) -> np.ndarray:
        """Per text: `_POLAR_DOC_PENALTY` where it holds the opposite of a polar word of the
        question (and not the word), else 1."""
        against = None
        for word, opposite in _POLAR.items():
            if word in words and opposite not in words:
                hit = self._docs_with_mask[opposite] & ~self._docs_with_mask[word]
                against = hit if against is None else against | hit
        if against is None or not against.any():
            return self._no_penalty
        factor = np.ones(self._n_docs)
        factor[against] = _POLAR_DOC_PENALTY
        return factor

    def _char_cosine(self, words: list[str], factor: np.ndarray) -> np.ndarray:
        grams = self._grams
        rows: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        # the kept words' own columns first (see `_WordColumns`): each counts its grams once
        kept = self._word_columns
        held: Counter = Counter()
        for w in dict.fromkeys(words):
            col = kept.columns.col.get(w)
            if col is not None:
                rows.append(kept.columns.rows_of[col])
                weights.append(kept.columns.weights_of[col])
                held.update(kept.grams_of[w])
        sq = 0.0
        # unknown grams still count in the query norm: text the KB never saw lowers similarity
        unknown = 0.0
        for g, c in _ngrams(words).items():
            at = self._gram_at.get(g)
            if at is None:
                unknown += ((1.0 + math.log(c)) * 3.0) ** 2
                continue
            col, idf = at
            coefficient = 1.0 if c == 1 else 1.0 + math.log(c)
            value = coefficient * idf
            sq += value * value
            rest = coefficient - held.get(g, 0)  # what the kept words' columns did not add
            if rest == 1.0:
                rows.append(grams.rows_of[col])
                weights.append(self._gram_idf_weights[col])
            elif rest != 0.0:
                rows.append(grams.rows_of[col])
                weights.append(grams.weights_of[col] * (rest * idf))
        norm = math.sqrt(sq + unknown) or 1.0
        if rows:
            per_doc = np.bincount(np.concatenate(rows), weights=np.concatenate(weights),
                                  minlength=self._n_docs)
        else:
            per_doc = np.zeros(self._n_docs)
        # Rounded to 12 decimals: the same grams added in another order (the same words in
        # another order) differ in the last bit, and two texts that say the same thing should
        # tie exactly - the knowledge base's order then ranks them, not rounding noise.
        per_doc /= norm
        if factor is not self._no_penalty:  # x 1 changes nothing
            per_doc *= factor
        return np.round(np.maximum.reduceat(per_doc, self._entry_start), 12)

    def _token_set(self, text: str, factor: np.ndarray) -> _TokenSet:
        return _TokenSet(self, text, factor)

    def _stem_share(self, words: list[str]) -> np.ndarray:
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
        cols: list[int] = []
        vals: list[float] = []
        for s, w in weights.items():
            c = self._stems.col.get(s)
            if c is not None:
                cols.append(c)
                vals.append(w)
        return self._stems.dot(cols, vals, len(self.ids)) / total

    # -- the decision ------------------------------------------------------------------------
    def _combine(self, words: list[str], s1: np.ndarray, s2: np.ndarray,
                 s3: np.ndarray, asking: tuple[str, ...] = ()) -> np.ndarray:
        combined = 0.3 * s1 + 0.35 * s2 + 0.35 * s3
        has = self._stem_has
        for word, opposite in _POLAR.items():
            if word in words and opposite not in words:
                combined[has[opposite] & ~has[word]] *= _POLAR_PENALTY
        for a, b in _PAIRED:
            asked = (a in words) + (b in words)
            if asked:
                held = has[a].astype(np.intp) + has[b]
                combined[(held > 0) & (held != asked)] *= _PAIRED_PENALTY
        apply_asked(asking, words, combined, self._asked_has)
        return combined

    def _signals(self, text: str, every_entry: bool = False, raw: list[str] | None = None,
                 context: np.ndarray | None = None
                 ) -> tuple[list[str], np.ndarray, float, dict[str, np.ndarray]]:
        """Words, combined scores, coverage and signals. With `every_entry`, every entry's
        scores are exact. Without, exact for every entry the decision can read - the candidates
        shown and all within `_reach` of the top - and S1 (so the combined score) a lower bound
        for the rest, which score below all of those: S1 costs the most, and most entries are
        nowhere near the top. `raw`: `normalize_words(text)` when the caller has it already.
        `context`: exact combined scores of the message `text` is part of, blended in at
        `story_weight` (a positive linear blend: the bounds below still hold)."""
        if raw is None:
            raw = normalize_words(text)
        words, content, covered = correct_words(raw, self.vocab)
        coverage = covered / content if content else 0.0
        joined = " ".join(words)
        factor = self._doc_factors(words)
        s1_of = self._token_set(joined, factor)
        s2 = self._char_cosine(words, factor)
        s3 = self._stem_share(words)
        asking = asked_words(text, words)  # "kapan" / "siapa": see question_type.py
        if every_entry:
            s1_of.settle(np.ones(len(self.ids), dtype=bool))
        # The combination only multiplies by positive factors, so bounds of S1 bound the
        # combined score. Settle every entry whose upper bound reaches the lower bound of the
        # last candidate shown (third) or `_reach` below the best one, until no unsettled entry
        # does: then every entry left unsettled is below the exact top candidates and below
        # every floor the decision uses, and the ranking above them is exact.
        while True:
            s1, s1_high = s1_of.bounds()
            combined = self._blend(self._combine(words, s1, s2, s3, asking), context)
            if s1_of.settled.all():
                break
            high = self._blend(self._combine(words, s1_high, s2, s3, asking), context)
            shown = min(len(combined), max(2, self.t.candidates))  # the buttons, the runner-up
            last_shown = np.partition(combined, -shown)[-shown]
            line = min(last_shown, combined.max() - self._reach) - 1e-9
            need = (high >= line) & ~s1_of.settled
            if not need.any():
                break
            fresh = need & ~s1_of.tightened
            if fresh.any():  # the cheap half first: tighter bounds may leave them out
                s1_of.tighten(fresh)
            else:
                s1_of.settle(need)
        return words, combined, coverage, {"s1": s1, "s2": s2, "s3": s3}

    def _blend(self, combined: np.ndarray, context: np.ndarray | None) -> np.ndarray:
        if context is None:
            return combined
        w = self.t.story_weight
        return (1.0 - w) * combined + w * context

    def scores(self, text: str, raw: list[str] | None = None
               ) -> tuple[list[str], list[float], float, dict]:
        """The normalised words, every entry's combined score, the coverage and the three
        signals per entry (lists, in the knowledge base's entry order), all exact. `raw`:
        `normalize_words(text)` when the caller has it already."""
        words, combined, coverage, sig = self._signals(text, every_entry=True, raw=raw)
        return words, combined.tolist(), coverage, {k: v.tolist() for k, v in sig.items()}

    def match(self, text: str) -> Match:
        raw = normalize_words(text)
        if not raw:
            return Match("handoff", None, 0.0, (), "empty")
        joined_raw = " ".join(raw)
        if asks_for_human(joined_raw):
            return Match("handoff", None, 0.0, (), "human_request", normalized=joined_raw)
        found = self.match_question(text, raw)
        if (found.decision == "clarify" or found.reason == "out_of_scope") and (
                intent_model.asks_for_person(self._person_model, raw)):
            # no answer, and worded like the requests for a person people send: offer one
            return Match("handoff", None, found.score, found.candidates, "human_request",
                         coverage=found.coverage, normalized=joined_raw)
        return found

    def match_question(self, text: str, raw: list[str]) -> Match:
        """`text` (normalised words `raw`, not empty) as a question, before any look for a
        request for a person: an answer, a menu, or out of scope."""
        if names_out_of_scope(raw) or asks_about_gap(text, raw):
            # haji furoda / umrah share "biaya", "daftar" with regular-hajj entries but none of
            # those answers is true for them; the hajj visa, credit cards: no entry answers them
            return Match("handoff", None, 0.0, (), "out_of_scope", normalized=" ".join(raw))
        found = self._match_text(text, raw)
        if len(raw) >= self.t.long_message:
            found = match_story(self, text, found, raw)
        return found

    def _match_text(self, text: str, raw: list[str] | None = None,
                    context: np.ndarray | None = None, told: list[str] = ()) -> Match:
        words, scored, coverage, sig = self._signals(text, raw=raw, context=context)
        # stable, like sorted(..., reverse=True): equal scores keep the entries' order
        order = np.argsort(-scored, kind="stable").tolist()
        combined = scored.tolist()
        top = order[0]
        best = combined[top]
        second = combined[order[1]] if len(order) > 1 else 0.0
        cands = self._menu(order, combined)
        normalized = " ".join(words)
        signals = {k: round(float(v[top]), 4) for k, v in sig.items()}
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
        likely = not sure and (best >= self.t.clear and coverage >= self.t.likely_coverage
                               and best - second >= self.t.likely_margin)
        if not sure and not likely and self._one_group(order[:3]) and (
                best >= max(self.t.clear, self.t.group_floor)
                and coverage >= self.t.likely_coverage) and (
                best - second >= self.t.group_margin or self._overview[top]) and (
                YEAR_TOKEN not in [*words, *told] or YEAR_TOKEN in self._entry_stems[top]):
            # the matter is sure (one group): the top one is the part asked about when it leads,
            # or the matter as a whole when it is the group's overview; unless a year is named
            # (in the question or its story) and the top entry names none: a death in March 2019
            # is decided by the date rule, which neither the overview nor who may receive says
            likely = True
        if not sure and not likely:
            # a menu, unless the entry model, taught by how people asked, is all but sure of its
            # first entry (two readings agree), or of another entry the matcher nearly ties
            chosen = entry_model.second_opinion(
                self.entry_model, [self.stem(w) for w in words], top, combined, self.t.agree,
                self.t.pick, self.t.pick_gap)
            if chosen is not None:
                likely = True
                if chosen != top:
                    top, best = chosen, combined[chosen]
                    order.remove(chosen)
                    order.insert(0, chosen)
                    cands = self._menu(order, combined)
                    common["signals"] = {k: round(float(v[top]), 4) for k, v in sig.items()}
        if not sure and not likely:
            return Match("clarify", self.ids[top], round(best, 4), cands, "ambiguous", **common)
        named = self._matter_missed(words, top, order, combined)
        if named is not None:  # the menu holds the entry that names the matter asked about
            cands = self._menu([top, named, *(i for i in order if i not in (top, named))],
                               combined)
            return Match("clarify", self.ids[top], round(best, 4), cands, "case_not_named",
                         **common)
        if self._case_not_named(words, top, order, combined) or self._group_not_named(
                [*words, *told], top):  # a part of a story: the telling names the matter too
            return Match("clarify", self.ids[top], round(best, 4), cands, "case_not_named",
                         **common)
        return Match("answer", self.ids[top], round(best, 4), cands,
                     "confident" if sure else "likely", **common)

    def _menu(self, order: list[int], combined: list[float]) -> tuple[Candidate, ...]:
        return tuple(Candidate(self.ids[i], round(combined[i], 4)) for i in order[: self.t.candidates])

    def _matter_missed(self, words: list[str], top: int, order: list[int],
                       combined: list[float]) -> int | None:
        """The first entry within `concept_gap` of the top one that holds a matter word of the
        question (lexicon/domain.yaml `matter_words`) the top entry lacks, if any: the top
        entry answers something else about the person's case, not the act asked about."""
        missing = ({self.stem(w) for w in words} & self._matter) - self._entry_stems[top]
        if not missing:
            return None
        floor = combined[top] - self.t.concept_gap
        for i in order[1:]:  # best first: once one is below the floor, all after it are
            if combined[i] < floor:
                return None
            if missing & self._entry_stems[i]:
                return i
        return None

    def _one_group(self, top: list[int]) -> bool:
        """Whether the top entries (at least three) all belong to one group."""
        return len(top) >= 3 and bool(self._groups[top[0]]) and len(
            {self._groups[i] for i in top}) == 1

    def _margin_needed(self, best: float) -> float:
        """The lead over the runner-up a score between `clear` and `confident` needs."""
        t = self.t
        if t.confident <= t.clear:
            return t.clear_margin
        share = min(1.0, max(0.0, (best - t.clear) / (t.confident - t.clear)))
        return t.clear_margin - (t.clear_margin - t.margin) * share

    def _case_not_named(self, words: list[str], top: int, order: list[int],
                        combined: list[float]) -> bool:
        """Whether the top entry is about a specific case the question never names while an
        entry whose case is named (or that has none) scores within `concept_gap` of it."""
        asked = self._content_stems(words)
        if not self._concept[top] or self._concept_cues[top] & asked:
            return False
        floor = combined[top] - self.t.concept_gap
        for i in order[1:]:
            if combined[i] < floor:
                return False
            if not self._concept[i] or self._concept_cues[i] & asked:
                return True
        return False

    def _group_not_named(self, words: list[str], top: int) -> bool:
        """Whether the top entry belongs to a group whose matter the question never names (a
        pelimpahan entry for a question with no transfer, death, illness or recipient in it:
        "buat nenek 90 thn masih boleh berangkat?" is not about a recipient's age), unless it
        names a word of the entry's own case (its canonical question and keywords both hold it)
        that no other entry holds ("tanggung jawab mutlak"; not "bank" or "perubahan", which
        other entries hold too, nor "arab saudi", a keyword only)."""
        cues = self._group_cues[top]
        if not cues:
            return False
        stems = {self.stem(w) for w in words}
        own = {s for s in self._concept[top] & stems if self._stem_df.get(s) == 1}
        return not (stems & cues) and not own

    def _only_distinctive(self, words: list[str], top: int, order: list[int],
                          combined: list[float]) -> bool:
        """Whether the top entry alone, among the entries scoring close to it, holds the
        question's distinctive words (stems few entries hold), and no close rival holds one
        the top entry lacks: the words that make an entry THAT entry point at one only."""
        rare = {s for s in (self.stem(w) for w in words if w not in FUNCTION_WORDS)
                if 0 < self._stem_df.get(s, 0) <= self.t.distinctive_df}
        if not rare:
            return False
        mine = rare & self._entry_stems[top]
        if not mine:
            return False
        floor = combined[top] - self.t.clear_margin
        for i in order[1:]:
            if combined[i] < floor:
                break
            theirs = rare & self._entry_stems[i]
            if not (mine - theirs) or (theirs - mine):
                return False
        return True
