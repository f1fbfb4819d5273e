"""How well `knowledge.intent_model` finds requests for a person it was never taught (and how
well the same kind of model would find small talk).

    .venv/bin/python bench/bench_intent_model.py

Leave-one-set-out over the tuned question sets: for each set, each model is taught by the
other sets' messages (those of its kind against all the rest) and the knowledge base's texts,
then scores the held-out set's messages, as the matcher uses it: only a message the
matcher, without its request patterns, would answer with a menu or as out of scope can be taken
for a request (a request the matcher answers is out of the model's reach). Prints, per threshold, the held-out requests found without any pattern and
the other messages taken for one. The untuned sets (faq_blind9 and later) are never read.

The messages of `knowledge/lexicon/written_intents/` belong to no set: they are never held out,
and in the second run ("with written") every fold's model is taught them by kind
(`intent_model.read_written`, read as the product reads them); the first run leaves them out,
so both figures come from one run.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._machine import machine  # noqa: E402 - after ROOT is on the path

UNTUNED = re.compile(r"faq_blind(9|1\d)\.jsonl$")
THRESHOLDS = (-4.0, -2.0, 0.0, 1.0, 2.0, 4.0)


def _without_patterns(m, text: str) -> bool:
    """Whether the matcher, with no request pattern and no model, would leave `text` without an
    answer (a menu or out of scope): where the model is asked."""
    from knowledge.normalize import normalize_words

    raw = normalize_words(text)
    if not raw:
        return False
    found = m.match_question(text, raw)
    return found.decision == "clarify" or found.reason == "out_of_scope"


def main() -> None:
    from bot.commands.kb import load_items
    from handlers.faq import matcher
    from knowledge import intent_model
    from knowledge.normalize import normalize_words

    m = matcher()
    kb_words = [normalize_words(t) for e in m.kb.entries for t in e.texts_for_matching()]
    sets: dict[str, list[tuple[str, list[str], bool]]] = {}
    for path in sorted((ROOT / "tests" / "knowledge").glob("faq_*.jsonl")):
        if UNTUNED.search(path.name):
            continue
        rows = []
        for item in load_items(path):
            kind = ("person" if item.get("escalate") else "chat" if item.get("chat")
                    else "oos" if item.get("oos") else "question")
            reached = _without_patterns(m, item["q"])
            rows.append((kind, normalize_words(item["q"]), reached))
        sets[path.stem] = rows
    written = intent_model.read_written()
    print(f"machine   {machine()}")
    print(f"sets      {len(sets)} tuned sets, leave-one-set-out")
    print("written   " + ", ".join(f"{k} {len(v)}" for k, v in written.items()))
    for with_written in (False, True):
        print(f"--- {'with' if with_written else 'without'} the written messages")
        _run(sets, kb_words, written if with_written else None, intent_model)


def _run(sets, kb_words, written, intent_model) -> None:
    # the written messages' kinds in the bench's names ("other" is neither of the measured kinds)
    extra = {"person": (written or {}).get("person", []),
             "chat": (written or {}).get("small_talk", []),
             "other": (written or {}).get("other", [])}
    # small talk is measured too, though no model of it is used (knowledge/intent_model.py says why)
    for kind, label, used in (("person", "requests for a person", intent_model.PERSON_THRESHOLD),
                              ("chat", "small talk", "none (not used)")):
        counts = {t: Counter() for t in THRESHOLDS}
        for held in sets:
            model = intent_model.WordModel(
                [*(w for name, rows in sets.items() if name != held for k, w, _ in rows
                   if k == kind), *extra[kind]],
                [*(w for name, rows in sets.items() if name != held for k, w, _ in rows
                   if k != kind), *(w for k, ws in extra.items() if k != kind for w in ws),
                 *kb_words])
            for k, words, reached in sets[held]:
                score = model.log_odds(words)
                for t in THRESHOLDS:
                    counts[t][(k, reached and score > t)] += 1
        reach = sum(1 for rows in sets.values() for k, _, r in rows if k == kind and r)
        total = sum(1 for rows in sets.values() for k, _, r in rows if k == kind)
        print(f"{label}: threshold in use {used}; {reach} of {total} get no answer from the "
              f"matcher alone (only those can be found)")
        for t in THRESHOLDS:
            c = counts[t]
            others = ", ".join(f"{name} {c[(k, True)]}" for k, name in (
                ("question", "questions"), ("person", "requests"), ("chat", "small talk"),
                ("oos", "out of scope")) if k != kind)
            print(f"  t={t:>4}  found {c[(kind, True)]} of {total}; taken for one: {others}")


if __name__ == "__main__":
    main()
