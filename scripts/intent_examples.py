"""Write knowledge/lexicon/intent_examples.yaml and entry_examples.yaml from the TUNED sets.

The examples teach `knowledge.intent_model` how people ask for a person and how they chat:
every message of a tuned set labelled `escalate` is an example of asking for a person, every one
labelled `chat` an example of small talk, every other message (a question the knowledge base
answers, one it does not) an example of neither. The untuned sets (faq_blind9 and later) are
never read: they measure how the models do on messages they never saw.

The entry examples teach `knowledge.entry_model` which entry a question is about: every
question of a tuned set, under each entry whose answer passes it (the entries it is labelled
with, holding the words it asks for). A question more than `MAX_ENTRIES` entries pass names no
entry in particular and teaches nothing.

    .venv/bin/python scripts/intent_examples.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "tests" / "knowledge"
OUT = ROOT / "knowledge" / "lexicon" / "intent_examples.yaml"
ENTRIES_OUT = ROOT / "knowledge" / "lexicon" / "entry_examples.yaml"
UNTUNED = re.compile(r"faq_blind(9|1\d)\.jsonl$")
MAX_ENTRIES = 5


def tuned_items() -> list[dict]:
    """Every message of the tuned sets (the untuned ones are never read)."""
    items = []
    for path in sorted(SETS.glob("faq_*.jsonl")):
        if not UNTUNED.search(path.name):
            items += [json.loads(line) for line in path.read_text("utf-8").splitlines()
                      if line.strip()]
    return items


def write_entries(out: Path = ENTRIES_OUT) -> None:
    sys.path.insert(0, str(ROOT))
    from bot.commands.kb import Reply, passes
    from handlers.faq import answer_text
    from knowledge.kb_schema import default_kb

    entries = default_kb().entries
    full = {e.id: answer_text(e, "id") + " " + answer_text(e, "en") for e in entries}
    by_entry: dict[str, set[str]] = {e.id: set() for e in entries}
    for item in tuned_items():
        if item.get("oos") or item.get("escalate") or item.get("chat"):
            continue
        right = [eid for eid, text in full.items() if passes(item, Reply(text, eid, False))]
        if 0 < len(right) <= MAX_ENTRIES:
            for eid in right:
                by_entry[eid].add(" ".join(item["q"].split()))
    header = (
        "# Examples for knowledge/entry_model.py, written by scripts/intent_examples.py from the\n"
        "# tuned question sets (never the untuned faq_blind9 and later): each entry's questions,\n"
        "# the ones its answer passes. Regenerate, do not edit.\n")
    out.write_text(header + "".join(
        f"{eid}:\n" + "".join(f"  - {json.dumps(q, ensure_ascii=False)}\n" for q in sorted(qs))
        for eid, qs in by_entry.items() if qs), "utf-8")
    print(f"{out.name}: {sum(map(len, by_entry.values()))} questions under "
          f"{sum(1 for qs in by_entry.values() if qs)} entries")


def main(out: Path = OUT) -> None:
    kinds: dict[str, set[str]] = {"person": set(), "small_talk": set(), "other": set()}
    for item in tuned_items():
        kind = "person" if item.get("escalate") else "small_talk" if item.get("chat") else "other"
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
    write_entries()
