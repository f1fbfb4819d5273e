"""Which entry a question is about, learnt from examples: a second opinion on the matcher's menus.

The matcher scores a question against the knowledge base's own texts. When its top entry is
ahead but not by enough to answer, it shows a "did you mean" menu, and on the labelled sets the
first button of that menu is the right entry about two times in three. This model is taught
by how people actually asked (`lexicon/entry_examples.yaml`: the tuned question sets' questions,
each under the entries that answer it; `lexicon/written_examples/`: 14 questions per entry in
many styles, written from the entries by writers who read no question set, at a lower weight)
as well as by every text of the knowledge base, and it
reads a question differently from the matcher: naive Bayes over its stems and stem pairs,
against all entries at once. When it is all but sure of the same entry the matcher put first,
the two readings agree and the entry is answered, with the runner-ups beside it ("Bukan ini?"),
like any likely answer; when it is all but sure of another entry the matcher scores almost as
high, that near tie is broken its way (`second_opinion`; the lines are `Thresholds.agree`,
`pick` and `pick_gap`).

`bench/bench_entry_model.py` measures it leave-one-set-out: each tuned set scored by a matcher
whose model never saw that set's questions.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from knowledge.intent_model import features  # words and word pairs, as both models read
from knowledge.normalize import example_words
from knowledge.yaml_load import safe_load, yaml_files

_EXAMPLES = Path(__file__).with_name("lexicon") / "entry_examples.yaml"
# Questions written for the model from the entries' answers alone, by writers who read no
# question set: more ways of asking than the tuned sets hold, which is what unseen wording needs.
_WRITTEN = Path(__file__).with_name("lexicon") / "written_examples"
# What each written question counts for beside a tuned set's question (1). Leave-one-set-out
# (bench_entry_model.py, 8 Dec 2026): without them 1,653 right / 6 wrong; at 0.2, 1,655 / 6.
# bench_entry_calls.py over the weights, product row: 0.1 +88/-1, 0.2 +89/-2, 0.3 +86/-2,
# 0.5 +86/-2, 1 +85/+1 (without +87/-2). At full weight they crowd the tuned examples' words.
WRITTEN_WEIGHT = 0.2
# add-alpha smoothing of the counts. Leave-one-set-out (see Thresholds.agree), 0.05, 0.1 and 0.2
# score within three questions of each other.
ALPHA = 0.1


class EntryModel:
    """Multinomial naive Bayes over feature presence, one class per entry. Kept sparse: for each
    feature only the entries whose examples hold it (a dense table would hold a number for every
    feature and entry, 260 MB for a knowledge base ten times today's)."""

    def __init__(self, ids: list[str], docs: Iterable[tuple[str, set[str], float]]):
        column = {eid: i for i, eid in enumerate(ids)}
        counts: dict[str, Counter] = defaultdict(Counter)
        totals = np.zeros(len(ids))
        for eid, feats, weight in docs:
            c = column[eid]
            for f in feats:
                counts[f][c] += weight
            totals[c] += weight * len(feats)
        # log P(f | entry) = log(count + ALPHA) - denom: log(ALPHA) - denom for every entry
        # (`_base`), plus log(count + ALPHA) - log(ALPHA) for the entries that hold f
        denom = np.log(totals + ALPHA * max(1, len(counts)))
        self._base = math.log(ALPHA) - denom
        self._held: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for f, by_entry in counts.items():
            cols = np.fromiter(by_entry, dtype=np.intp, count=len(by_entry))
            n = np.fromiter(by_entry.values(), dtype=np.float64, count=len(by_entry))
            self._held[f] = (cols, np.log(n + ALPHA) - math.log(ALPHA))
        self._ids = ids

    def probabilities(self, feats: set[str]) -> np.ndarray:
        """P(entry | features), one per entry in the matcher's order (unknown features left
        out: a word no example holds says nothing)."""
        held = [self._held[f] for f in feats if f in self._held]
        if not held:
            return np.full(len(self._ids), 1.0 / len(self._ids))
        score = len(held) * self._base + np.bincount(
            np.concatenate([c for c, _ in held]), np.concatenate([v for _, v in held]),
            minlength=len(self._ids))
        score = np.exp(score - score.max())
        return score / score.sum()


def read_examples(path: Path = _EXAMPLES) -> dict[str, list[str]]:
    """Entry id -> the questions of the tuned sets it answers."""
    with path.open(encoding="utf-8") as fh:
        return {eid: list(qs or ()) for eid, qs in (safe_load(fh) or {}).items()}


def read_written(folder: Path = _WRITTEN) -> dict[str, list[str]]:
    """Entry id -> the written questions it answers, from every YAML file of `folder`."""
    out: dict[str, list[str]] = defaultdict(list)
    for f in yaml_files(folder):
        with f.open(encoding="utf-8") as fh:
            for eid, qs in (safe_load(fh) or {}).items():
                out[eid].extend(qs or ())
    return dict(out)


def build(ids: list[str], kb_docs: Iterable[tuple[str, list[str]]],
          stem: Callable[[str], str], examples: dict[str, list[str]] | None = None,
          leave_out: Callable[[str], bool] = lambda q: False,
          written: dict[str, list[str]] | None = None,
          written_weight: float | None = None) -> EntryModel:
    """The model taught by the knowledge base's texts (entry id, normalised words), by the
    examples and by the written questions (at `written_weight` each); a question listed under
    k entries counts 1/k for each. `leave_out` drops examples (the bench leaves one set out)."""
    if examples is None:
        examples = read_examples()
    if written is None:
        written = read_written()
    if written_weight is None:
        written_weight = WRITTEN_WEIGHT
    known = set(ids)
    listed = Counter(q for eid, qs in examples.items() if eid in known for q in qs)
    listed_w = Counter(q for eid, qs in written.items() if eid in known for q in qs)

    def feats(words: list[str]) -> set[str]:
        return features([stem(w) for w in words])

    docs = [(eid, feats(words), 1.0) for eid, words in kb_docs]
    docs += [(eid, feats(list(example_words(q))), 1.0 / listed[q])
             for eid, qs in examples.items() if eid in known
             for q in qs if not leave_out(q)]
    if written_weight > 0:
        docs += [(eid, feats(list(example_words(q))), written_weight / listed_w[q])
                 for eid, qs in written.items() if eid in known for q in qs]
    return EntryModel(ids, docs)


def second_opinion(model: EntryModel, stems: list[str], top: int, scores: list[float],
                   agree: float, pick: float, pick_gap: float) -> int | None:
    """Which entry to answer (as likely) where the matcher alone would show a menu: its first
    entry, number `top`, when the model gives it at least `agree`; else the model's own first
    choice when the model gives that at least `pick` and the matcher's score for it (`scores`,
    in entry order) is within `pick_gap` of its first entry's. None: the menu stays. Lines
    above 1 switch a rule off."""
    if agree > 1.0 and pick > 1.0:
        return None
    return decide(model.probabilities(features(stems)), top, scores, agree, pick, pick_gap)


def decide(p: np.ndarray, top: int, scores: list[float], agree: float, pick: float,
           pick_gap: float) -> int | None:
    """`second_opinion`'s rule on the model's probabilities `p` (one per entry), apart so that
    bench/bench_entry_calls.py scores recorded menus with this very rule."""
    if p[top] >= agree:
        return top
    choice = int(p.argmax())
    if p[choice] >= pick and scores[top] - scores[choice] <= pick_gap:
        return choice
    return None
