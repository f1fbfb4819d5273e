"""Leave-one-set-out for the entry model in seconds: the matcher's menus recorded once.

    .venv/bin/python bench/bench_entry_calls.py [--record]

`bench/bench_entry_model.py` scores every held-out set end to end at every setting (3-5 min for
ten settings), which is too slow to compare many models or to sweep their lines. But the model
acts only where the matcher consults it (`entry_model.second_opinion`, once per menu); all
before that call is the same whatever the model says, and what follows depends only on which
entry it returns (or none). So `--record` runs each tuned set once with the model silent,
keeping each call's stems and the matcher's first entry and scores, and then, for every entry
the rules could return there (the first one, and any the matcher scores within `MAX_GAP` of
it), the in-scope question's end-to-end outcome with that entry returned: right, wrong or
neither (`hajibot kb eval`'s scoring). Any model is then scored at any (agree, pick, pick_gap)
from its probabilities alone: built per held-out set as the full bench builds it, each call
decided, the outcome looked up. The record is kept in bench/out/ (35-80 s to make; about
10 s to score the naive Bayes over 300 settings).

An approximation in one way: a long message may consult the model more than once (the whole,
then its parts); the first call the model decides is taken, the calls after it as with the
model silent. On the main of 7 Dec (naive Bayes) it gives, against the full bench (right /
wrong gained): at the product row +87 / -2 (full bench +90 / -2), agree 0.97 alone +60 / -3
(+61 / -3), pick 0.97 gap 0.06 +89 / -2 (+92 / -2), pick 0.99 gap 0.03 +80 / -3 (+83 / -3),
gap 0.1 +85 / 0 (+88 / 0): the same order, a few right answers short.

Used in the lr12 round to try discriminative models as the entry model (scikit-learn, not a
dependency of the project; see that branch's report): logistic regression (multinomial, saga,
C 10-1000) on the same stems and stem pairs (tf-idf), with character 3-5-grams of the stems
(char_wb), and LinearSVC (softmax of its margins at temperatures 1-0.05), alone and as
average or geometric-mean ensembles with the naive Bayes. Best number right at each number
wrong here, naive Bayes alone: -3 wrong +83 right, -2 +92, 0 +94. Logistic regression alone
never reached the naive Bayes (words, C 100: -1 +76; words and character n-grams: -1 +53);
ensembles matched it within 1-4 questions (LinearSVC C 1 x naive Bayes, geometric mean at
temperature 0.25: -3 +86, -2 +92). That ensemble in the full bench: 1,658 right / 6 wrong at
agree 0.8, pick 0.9, gap 0.06, against the naive Bayes' 1,653 / 6 at the product row (1,655 /
6 at its best row), with a fit of about 1 s and 2 s of imports per matcher today, and 53 s
(LinearSVC) or 47 s (logistic regression) and a dense 393 MB coefficient table at ten times
the knowledge base (bench_matcher's --kb-scale 10; naive Bayes 2 s): not taken.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RECORD = ROOT / "bench" / "out" / "entry_calls.json"
UNTUNED = re.compile(r"faq_blind(9|1\d)\.jsonl$")  # never read
MAX_GAP = 0.1  # the widest pick_gap a record can score
NEVER = 2.0
# (agree, pick, pick_gap): bench_entry_model's rows, then a grid for the best at each count wrong
ROWS = ((0.97, NEVER, 0.0), (0.97, 0.97, 0.06), (0.97, 0.99, 0.03), (0.97, 0.99, 0.06),
        (0.97, 0.99, 0.1), (0.95, 0.95, 0.06))
LINES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99, NEVER)
GRID = tuple((a, p, g) for a in LINES for p in LINES
             for g in ((0.03, 0.06, 0.1) if p < NEVER else (0.0,)))


def _outcome(item: dict, reply) -> int:
    from bot.commands.kb import passes

    if passes(item, reply):
        return 1
    return -1 if reply.topic and not reply.handoff else 0


def record(path: Path = RECORD) -> None:
    """Each in-scope question that reaches the model: its calls, and per (call, entry returned)
    the outcome."""
    from bot.commands.kb import load_items, run_matcher
    from handlers.faq import matcher
    from knowledge import entry_model

    m = matcher()
    keep, real = m.t, entry_model.second_opinion
    m.t = replace(keep, agree=0.5, pick=0.5)  # consulted: `forced` below answers for the model
    state: dict = {}

    def forced(model, stems, top, scores, *lines):
        k = state["k"]
        state["k"] += 1
        if state["log"] is not None:
            state["log"].append([list(stems), top, [float(s) for s in scores]])
        return state["force"][1] if state["force"] and state["force"][0] == k else None

    def run(item: dict, force=None, log=None) -> int:
        state.update(k=0, force=force, log=log)
        return _outcome(item, run_matcher([item["q"]], m=m)[0])

    entry_model.second_opinion = forced
    out: dict = {"ids": m.ids, "sets": {}, "items": []}
    try:
        for f in sorted((ROOT / "tests" / "knowledge").glob("faq_*.jsonl")):
            if UNTUNED.search(f.name):
                continue
            items = load_items(f)
            out["sets"][f.name] = [" ".join(i["q"].split()) for i in items]
            for n, item in enumerate(items):
                if item.get("oos") or item.get("escalate") or item.get("chat"):
                    continue
                calls: list = []
                base = run(item, log=calls)
                outcomes = {f"{k} {c}": run(item, force=(k, c))
                            for k, (_, top, scores) in enumerate(calls)
                            for c in range(len(scores))
                            if c == top or scores[top] - scores[c] <= MAX_GAP}
                if calls:
                    out["items"].append([f.name, n, calls, base, outcomes])
    finally:
        entry_model.second_opinion = real
        m.t = keep
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out), "utf-8")


def evaluate(probabilities: Callable[[set[str], list[list[str]]], list[np.ndarray]],
             settings=GRID, path: Path = RECORD) -> dict[tuple, tuple[int, int]]:
    """Right and wrong answers gained over the model-less matcher, per setting.
    `probabilities(held_out, stems_list)`: a model taught without the held-out set's questions,
    applied to each call's stems."""
    from knowledge import entry_model

    data = json.loads(path.read_text("utf-8"))
    by_set = defaultdict(list)
    for item in data["items"]:
        by_set[item[0]].append(item)
    totals = {s: [0, 0] for s in settings}
    for name, questions in data["sets"].items():
        items = by_set[name]
        if not items:
            continue
        flat = probabilities(set(questions), [c[0] for it in items for c in it[2]])
        probs = iter(flat)
        per_item = [[next(probs) for _ in it[2]] for it in items]
        for s in settings:
            for (_, _, calls, base, outcomes), ps in zip(items, per_item, strict=True):
                now = base
                for k, ((_, top, scores), p) in enumerate(zip(calls, ps, strict=True)):
                    choice = entry_model.decide(p, top, scores, *s)
                    if choice is not None:
                        now = outcomes[f"{k} {choice}"]
                        break
                totals[s][0] += (now == 1) - (base == 1)
                totals[s][1] += (now == -1) - (base == -1)
    return {s: (r, w) for s, (r, w) in totals.items()}


def naive_bayes() -> Callable[[set[str], list[list[str]]], list[np.ndarray]]:
    """The project's entry model, built as bench_entry_model builds it."""
    from handlers.faq import matcher
    from knowledge import entry_model

    m = matcher()
    examples = entry_model.read_examples()
    written = entry_model.read_written()  # once: every fold is taught them

    def probabilities(held_out: set[str], stems_list: list[list[str]]) -> list[np.ndarray]:
        model = entry_model.build(m.ids, m.entry_docs, m.stem, examples, written=written,
                                  leave_out=held_out.__contains__)
        return [model.probabilities(entry_model.features(s)) for s in stems_list]
    return probabilities


def _line(x: float) -> str:
    return "-" if x == NEVER else f"{x:g}"


def report(totals: dict[tuple, tuple[int, int]]) -> None:
    print(f"{'agree':>6} {'pick':>6} {'gap':>5} {'+right':>7} {'+wrong':>7}")
    for s in ROWS:
        if s in totals:
            r, w = totals[s]
            print(f"{_line(s[0]):>6} {_line(s[1]):>6} {s[2]:5g} {r:+7d} {w:+7d}")
    best: dict[int, tuple[int, tuple]] = {}
    for s, (r, w) in totals.items():
        if w not in best or r > best[w][0]:
            best[w] = (r, s)
    print("most right at each count of wrong (the grid):")
    top = -10**6
    for w in sorted(best):
        r, s = best[w]
        if r > top:
            top = r
            print(f"{_line(s[0]):>6} {_line(s[1]):>6} {s[2]:5g} {r:+7d} {w:+7d}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--record", action="store_true", help="record the menus again")
    args = ap.parse_args()
    if args.record or not RECORD.exists():
        t0 = time.perf_counter()
        record()
        print(f"recorded in {time.perf_counter() - t0:.0f} s: {RECORD}")
    t0 = time.perf_counter()
    totals = evaluate(naive_bayes(), settings=tuple(dict.fromkeys(ROWS + GRID)))
    print(f"naive Bayes, leave-one-set-out over the recorded menus ({time.perf_counter() - t0:.0f} s)")
    report(totals)


if __name__ == "__main__":
    main()
