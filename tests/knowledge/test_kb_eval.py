"""`hajibot kb eval` floors on the shared dev set and on our own held-out set.

Both run through the real Application (the `hajibot ask` path), one fresh chat per question.
The held-out set (faq_holdout.jsonl) was written before looking at matcher output and is never
used to write knowledge-base text; its floors are lower on purpose.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.commands.kb import evaluate
from bot.settings import Settings

DEV = Path("/work/shared/eval/faq_dev.jsonl")
HOLDOUT = Path(__file__).with_name("faq_holdout.jsonl")


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path}/kb.sqlite3", embedded_simulator=False)


def test_dev_set_floors(settings):
    if not DEV.exists():
        pytest.skip("shared dev set not available")
    figures, _, _ = evaluate(DEV, "ask", settings)
    assert figures["via"] == "ask"
    assert figures["top1_accuracy"] >= 0.90, figures
    assert figures["confident_wrong_rate"] <= 0.03, figures
    assert figures["oos_handled_rate"] == 1.0, figures
    assert figures["handoff_handled_rate"] == 1.0, figures


def test_holdout_floors(settings):
    figures, _, _ = evaluate(HOLDOUT, "ask", settings)
    assert figures["in_scope"] >= 30
    assert figures["top1_accuracy"] >= 0.70, figures
    assert figures["confident_wrong_rate"] <= 0.05, figures
    assert figures["oos_handled_rate"] == 1.0, figures
    assert figures["handoff_handled_rate"] == 1.0, figures


def test_matcher_path_agrees_on_dev():
    if not DEV.exists():
        pytest.skip("shared dev set not available")
    figures, _, _ = evaluate(DEV, "matcher")
    assert figures["top1_accuracy"] >= 0.90 and figures["confident_wrong_rate"] <= 0.03
