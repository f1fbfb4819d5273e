"""What the tests of the two learnt models share: the script that writes their examples, and the
tuned sets' messages (the only ones the examples may hold)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def script():
    spec = importlib.util.spec_from_file_location(
        "intent_examples", ROOT / "scripts" / "intent_examples.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def tuned_messages() -> set[str]:
    """Every message of a tuned set, spaces folded (the untuned sets are never read)."""
    return {" ".join(item["q"].split()) for item in script().tuned_items()}
