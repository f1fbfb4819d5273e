"""Write knowledge/lexicon/intent_examples.yaml from the TUNED question sets.

The examples teach `knowledge.intent_model` how people ask for a person and how they chat:
every message of a tuned set labelled `escalate` is an example of asking for a person, every one
labelled `chat` an example of small talk, every other message (a question the knowledge base
answers, one it does not) an example of neither. The untuned sets (faq_blind9 and later) are
never read: they measure how the models do on messages they never saw.

    .venv/bin/python scripts/intent_examples.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "tests" / "knowledge"
OUT = ROOT / "knowledge" / "lexicon" / "intent_examples.yaml"
UNTUNED = re.compile(r"faq_blind(9|1\d)\.jsonl$")


def main(out: Path = OUT) -> None:
    kinds: dict[str, set[str]] = {"person": set(), "small_talk": set(), "other": set()}
    for path in sorted(SETS.glob("faq_*.jsonl")):
        if UNTUNED.search(path.name):
            continue
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                kind = ("person" if item.get("escalate") else
                        "small_talk" if item.get("chat") else "other")
                kinds[kind].add(" ".join(item["q"].split()))
    # a message labelled two ways by two writers teaches neither kind
    both = (kinds["person"] & kinds["small_talk"]) | (
        (kinds["person"] | kinds["small_talk"]) & kinds["other"])
    header = (
        "# Examples for knowledge/intent_model.py, written by scripts/intent_examples.py from the\n"
        "# tuned question sets (never the untuned faq_blind9 and later). `person`: messages\n"
        "# asking for a person (an officer, a call back, a complaint, the bot failing them);\n"
        "# `small_talk`: greetings, thanks, wishes, jokes; `other`: everything else (questions,\n"
        "# out of scope). Regenerate, do not edit.\n")
    out.write_text(header + "\n".join(
        f"{kind}:\n" + "".join(f"  - {json.dumps(t, ensure_ascii=False)}\n"
                               for t in sorted(texts - both))
        for kind, texts in kinds.items()), "utf-8")
    print(f"{out.name}: " + ", ".join(f"{len(t - both)} {k}" for k, t in kinds.items()))


if __name__ == "__main__":
    main()
