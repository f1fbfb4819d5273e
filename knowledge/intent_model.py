"""Whether a message the knowledge base cannot answer asks for a person, learnt from examples.

The patterns of `knowledge.human_request` catch the ways of asking for a person that were seen
and written down; people find more ("my mother lost in mina, nobody answering, please help",
"saya butuh penjelasan resmi dari pihak kemenag"). This model is a second opinion for the
messages the matcher would only answer with a menu or as out of scope: naive Bayes over the
message's normalised words and word pairs, taught by `lexicon/intent_examples.yaml` (the tuned
question sets' messages: requests for a person against small talk and everything else) and by
every text of the knowledge base (questions, which ask for an answer).

Leave-one-set-out on the tuned sets (the model taught by all sets but one, scored on that one;
`bench/bench_intent_model.py`, 26 sets), at `PERSON_THRESHOLD`: of 387 requests for a person,
277 are found with no pattern at all (304 get no answer from the matcher, and only those can be),
while no question and 2 small talk messages are taken for one (the bench leaves out the chat
words: in the product both, "are you a robot?" and "assalamualaikum min", are small talk before
the model is asked). `lexicon/written_intents/` adds
requests, hard negatives and small talk written by a writer who read no question set (without
them: 267 found, no small talk taken).

The same kind of model for small talk (118 of 173 found at -2, one request taken) is measured but
not used: tried in the matcher, it took an out-of-scope question of an untuned set for small
talk, and a question answered "thank you for your message" is worse than small talk told the
bot's scope, so small talk stays with the chat words.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

from knowledge.normalize import example_words
from knowledge.yaml_load import safe_load, yaml_files

_EXAMPLES = Path(__file__).with_name("lexicon") / "intent_examples.yaml"
# Messages written for the model by writers who read no question set (same kinds as above):
# more ways of asking for a person than the tuned sets hold.
_WRITTEN = Path(__file__).with_name("lexicon") / "written_intents"
# The log-odds a message needs. bench/bench_intent_model.py (8 Dec 2026, 26 tuned sets, 387
# requests, 304 of them left without an answer by the matcher), taught the written messages too:
# at -2, 284 found and 20 small talk (and 1 out of scope) taken; at 0, 281 and 3; at 1, 277 and
# 2; at 2, 275 and 1; no question at any of these. Without the written messages: 276 / 8,
# 272 / 1, 267 / 0, 264 / 0.
PERSON_THRESHOLD = 1.0
# the weight of a word's overall rate in its estimate for each kind (see `log_odds`)
SMOOTHING = 1.0


def features(words: list[str]) -> set[str]:
    return set(words) | {f"{a}_{b}" for a, b in pairwise(words)}


class WordModel:
    """Naive Bayes over word and word-pair presence: one kind of message against the rest."""

    def __init__(self, kind: Iterable[list[str]], rest: Iterable[list[str]]):
        self._pos: Counter = Counter()
        self._neg: Counter = Counter()
        n_pos = n_neg = 0
        for words in kind:
            self._pos.update(features(words))
            n_pos += 1
        for words in rest:
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
                # more "rest" examples, a fixed count would make a word seen once in a question
                # evidence of the kind ("senang sekali" in a thank-you story)
                prior = SMOOTHING * (pos + neg) / self._n
                score += (math.log(pos + prior) - self._log_pos) - (math.log(neg + prior)
                                                                    - self._log_neg)
        return score


def _read(files: list[Path]) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {kind: [] for kind in ("person", "small_talk", "other")}
    for f in files:
        with f.open(encoding="utf-8") as fh:
            data = safe_load(fh) or {}
        for kind, texts in out.items():
            texts.extend(list(example_words(t)) for t in data.get(kind) or ())
    return out


def read_examples(path: Path = _EXAMPLES, written: Path | None = _WRITTEN
                  ) -> dict[str, list[list[str]]]:
    """The examples' normalised words by kind: `person`, `small_talk` and `other`; those of
    `path` first, then the written ones (every YAML file of `written`; None leaves them out)."""
    return _read([path, *yaml_files(written)])


def read_written(written: Path = _WRITTEN) -> dict[str, list[list[str]]]:
    """The written messages alone, by kind (the bench teaches them to every fold)."""
    return _read(yaml_files(written))


def build(kb_words: list[list[str]], examples: Path = _EXAMPLES,
          written: Path | None = _WRITTEN) -> WordModel:
    """The request-for-a-person model, taught by the examples and the knowledge base's texts."""
    ex = read_examples(examples, written)
    return WordModel(ex["person"], [*ex["small_talk"], *ex["other"], *kb_words])


def asks_for_person(model: WordModel, words: list[str]) -> bool:
    return model.log_odds(words) > PERSON_THRESHOLD
