"""Whether a message the knowledge base cannot answer asks for a person, learnt from examples.

The patterns of `knowledge.human_request` catch the ways of asking for a person that were seen
and written down; people find more ("my mother lost in mina, nobody answering, please help",
"tanggal lahir bapak keliru, siapa yang bisa benerin"). This is a second opinion for the messages
the matcher would only answer with a menu or as out of scope: a naive Bayes model over the
message's normalised words and word pairs, taught by `lexicon/escalation_examples.yaml` (the
tuned question sets' messages: those asking for a person against all the others) and by every
text of the knowledge base (questions, which ask for an answer, not a person).

Leave-one-set-out on the tuned sets (the model taught by all sets but one, scored on that one,
`bench/bench_escalation.py`), at `THRESHOLD`: of the 220 requests for a person, 164 are found
with no pattern at all; no question, 1 small talk and 1 out-of-scope message are taken for one.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

import yaml

from knowledge.normalize import normalize_words

_EXAMPLES = Path(__file__).with_name("lexicon") / "escalation_examples.yaml"
# the log-odds a message needs (bench/bench_escalation.py: at -2, 170 found and 6 small talk
# taken; at 0, 167 and 2; at 1, 164 and 1 (and 1 out of scope); at 2, 162 and 1), and the weight
# of the overall rate in each word's estimate
THRESHOLD = 1.0
SMOOTHING = 1.0


def features(words: list[str]) -> set[str]:
    return set(words) | {f"{a}_{b}" for a, b in pairwise(words)}


class EscalationModel:
    def __init__(self, person: Iterable[list[str]], other: Iterable[list[str]]):
        self._pos: Counter = Counter()
        self._neg: Counter = Counter()
        n_pos = n_neg = 0
        for words in person:
            self._pos.update(features(words))
            n_pos += 1
        for words in other:
            self._neg.update(features(words))
            n_neg += 1
        self._prior = math.log(n_pos / n_neg) if n_pos and n_neg else -math.inf
        self._n = n_pos + n_neg
        self._log_pos = math.log(n_pos + SMOOTHING)
        self._log_neg = math.log(n_neg + SMOOTHING)

    def log_odds(self, words: list[str]) -> float:
        score = self._prior
        for f in features(words):
            pos, neg = self._pos.get(f, 0), self._neg.get(f, 0)
            if pos or neg:  # a word never seen says nothing either way
                # smoothed towards the feature's overall rate, not a fixed count: with ten times
                # more "other" examples, a fixed count would make a word seen once in a question
                # evidence of a request ("senang sekali" in a thank-you story)
                prior = SMOOTHING * (pos + neg) / self._n
                score += (math.log(pos + prior) - self._log_pos) - (math.log(neg + prior)
                                                                    - self._log_neg)
        return score

    def asks_for_person(self, words: list[str]) -> bool:
        return self.log_odds(words) > THRESHOLD


def build(kb_words: Iterable[list[str]], examples: Path = _EXAMPLES) -> EscalationModel:
    """The model taught by the examples and by the knowledge base's texts (normalised words)."""
    with examples.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    person = [normalize_words(t) for t in data.get("person") or ()]
    other = [*(normalize_words(t) for t in data.get("other") or ()), *kb_words]
    return EscalationModel(person, other)
