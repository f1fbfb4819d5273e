"""Write knowledge/lexicon/escalation_examples.yaml from the TUNED question sets.

The examples teach `knowledge.escalation` how people ask for a person: every message of a tuned
set labelled `escalate` is an example of asking for one, every other message (a question the
knowledge base answers, one it does not, small talk) an example of not asking. The untuned sets
(faq_blind9 and later) are never read: they measure how the model does on messages it never saw.

    .venv/bin/python scripts/escalation_examples.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "tests" / "knowledge"
OUT = ROOT / "knowledge" / "lexicon" / "escalation_examples.yaml"
UNTUNED = re.compile(r"faq_blind(9|1\d)\.jsonl$")


def main(out: Path = OUT) -> None:
    person: list[str] = []
    other: list[str] = []
    for path in sorted(SETS.glob("faq_*.jsonl")):
        if UNTUNED.search(path.name):
            continue
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                (person if item.get("escalate") else other).append(" ".join(item["q"].split()))
    header = (
        "# Examples for knowledge/escalation.py, written by scripts/escalation_examples.py from the\n"
        "# tuned question sets (never the untuned faq_blind9 and later). `person`: messages asking\n"
        "# for a person (an officer, a call back, a complaint, the bot failing them); `other`:\n"
        "# everything else (questions, out of scope, small talk). Regenerate, do not edit.\n")
    body = {"person": sorted(set(person)), "other": sorted(set(other) - set(person))}
    out.write_text(header + "\n".join(
        f"{key}:\n" + "".join(f"  - {json.dumps(t, ensure_ascii=False)}\n" for t in texts)
        for key, texts in body.items()), "utf-8")
    print(f"{out.name}: {len(body['person'])} person, {len(body['other'])} other")


if __name__ == "__main__":
    main()
