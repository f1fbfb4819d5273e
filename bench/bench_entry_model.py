"""How much `knowledge.entry_model` helps on questions it was never taught.

    .venv/bin/python bench/bench_entry_model.py

Leave-one-set-out over the tuned question sets: for each set, the matcher's entry model is
taught by the knowledge base's texts and the other sets' questions only, then the held-out set
is scored end to end (`hajibot kb eval`'s scoring: the FAQ reply, right or not) at each
agreement line (the menu's first entry answered when the model gives it at least that), then
with the model's own choice answered too (`pick`, `pick_gap`), against the matcher with no
second opinion at all. Prints, per setting, the in-scope questions answered right and answered
wrong (confident wrong, which counts likely answers too) over all held-out sets. The untuned
sets (faq_blind9 and later) are never read.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._machine import machine  # noqa: E402 - after ROOT is on the path

UNTUNED = re.compile(r"faq_blind(9|1\d)\.jsonl$")
NEVER = 2.0  # a probability never reaches it: the matcher without the model
# (agree, pick, pick_gap)
SETTINGS = ((NEVER, NEVER, 0.0), (0.9, NEVER, 0.0), (0.97, NEVER, 0.0), (0.99, NEVER, 0.0),
            (0.999, NEVER, 0.0), (0.97, 0.97, 0.06), (0.97, 0.99, 0.03), (0.97, 0.99, 0.06),
            (0.97, 0.99, 0.1), (0.97, 0.999, 0.2), (0.95, 0.95, 0.06))


def main() -> None:
    from bot.commands.kb import load_items, run_matcher, score
    from handlers.faq import matcher
    from knowledge import entry_model

    m = matcher()
    examples = entry_model.read_examples()
    written = entry_model.read_written()  # once: every fold is taught them
    keep = m.t
    totals: dict[tuple, list[int]] = {setting: [0, 0] for setting in SETTINGS}
    in_scope = 0
    t0 = time.perf_counter()
    try:
        for path in sorted((ROOT / "tests" / "knowledge").glob("faq_*.jsonl")):
            if UNTUNED.search(path.name):
                continue
            items = load_items(path)
            held_out = {" ".join(i["q"].split()) for i in items}
            m.entry_model = entry_model.build(m.ids, m.entry_docs, m.stem, examples, written=written,
                                              leave_out=held_out.__contains__)
            for agree, pick, gap in totals:
                m.t = replace(keep, agree=agree, pick=pick, pick_gap=gap)
                f = score(items, run_matcher([i["q"] for i in items]))
                totals[agree, pick, gap][0] += round(f["top1_accuracy"] * f["in_scope"])
                totals[agree, pick, gap][1] += round(f["confident_wrong_rate"] * f["in_scope"])
            in_scope += sum(1 for i in items
                            if not (i.get("oos") or i.get("escalate") or i.get("chat")))
    finally:
        m.t = keep
        m.entry_model = entry_model.build(m.ids, m.entry_docs, m.stem, examples, written=written)
    print(f"machine   {machine()}")
    print(f"held-out in-scope questions: {in_scope} ({time.perf_counter() - t0:.0f} s)")
    base_right, base_wrong = totals[NEVER, NEVER, 0.0]
    print(f"{'agree':>6} {'pick':>6} {'gap':>5} {'right':>6} {'wrong':>6} {'+right':>7} {'+wrong':>7}")
    for (agree, pick, gap), (right, wrong) in totals.items():
        a, p = ("-" if x == NEVER else f"{x:g}" for x in (agree, pick))
        g = f"{gap:g}" if pick != NEVER else "-"
        print(f"{a:>6} {p:>6} {g:>5} {right:6d} {wrong:6d} {right - base_right:+7d} "
              f"{wrong - base_wrong:+7d}")


if __name__ == "__main__":
    main()
