"""`hajibot kb eval` floors on the shared dev set and on our own held-out set.

Both run through the real Application (the `hajibot ask` path), one fresh chat per question.
The held-out set (faq_holdout.jsonl) was written before looking at matcher output and is never
used to write knowledge-base text; its floors are lower on purpose.
The blind set (faq_blind.jsonl) was written by a second engineer from DOMAIN.md and the issue's
coverage list before reading the knowledge base or the matcher; knowledge-base paraphrases added
after it are worded differently from its questions. Its floors sit a little below what the
matcher reached (93% top-1, 0% confident wrong), so a regression in generalisation fails here.
The second blind set (faq_blind2.jsonl) was written the same way, aimed at regional chat
(Javanese, Sundanese, Minang, Betawi particles), voice-to-text run-ons, capitals, typos, mixed
English and questions with personal context or two intents. Blind it scored 74.6% top-1 (0%
confident wrong, 90% out of scope handled); the lexicon and matcher fixes made after it are
general, but its figures are no longer blind, so its floors sit a little below what was reached
(86.4% top-1, 0% confident wrong, 10.7% clarify). Its one-word question ("pelimpahan") always clarifies.
The third blind set (faq_blind3.jsonl) was written the same way, as pilgrims' children and
grandchildren type (app and web words, English mixed in, screenshots) and as Kankemenag officers
paraphrase, with statements, negations, comparisons and numbers in words. Blind it scored 74.2%
top-1 (3.2% confident wrong, 75% out of scope handled, 21% clarify); after general fixes
(number words, place names, app/tech lexicon, a Tahap I vs II entry, an "explains too little"
out-of-scope rule) 98.4% top-1, 0% confident wrong, 87.5% out of scope handled, 2.6% clarify.
Its floors sit a little below that.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.commands.kb import evaluate
from bot.settings import Settings
from tests.conftest import shared_file

HOLDOUT = Path(__file__).with_name("faq_holdout.jsonl")
BLIND = Path(__file__).with_name("faq_blind.jsonl")
BLIND2 = Path(__file__).with_name("faq_blind2.jsonl")
BLIND3 = Path(__file__).with_name("faq_blind3.jsonl")


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path}/kb.sqlite3", embedded_simulator=False)


def test_dev_set_floors(settings):
    figures, _, _ = evaluate(shared_file("eval/faq_dev.jsonl"), "ask", settings)
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
    figures, _, _ = evaluate(shared_file("eval/faq_dev.jsonl"), "matcher")
    assert figures["top1_accuracy"] >= 0.90 and figures["confident_wrong_rate"] <= 0.03


def test_blind_set_floors(settings):
    figures, items, _ = evaluate(BLIND, "ask", settings)
    assert figures["in_scope"] >= 55 and figures["oos"] >= 8 and figures["escalate"] >= 6
    assert figures["top1_accuracy"] >= 0.88, figures
    assert figures["confident_wrong_rate"] <= 0.02, figures
    assert figures["oos_handled_rate"] == 1.0, figures
    assert figures["handoff_handled_rate"] == 1.0, figures
    assert figures["clarify_rate"] <= 0.12, figures


def test_blind2_set_floors(settings):
    figures, _, _ = evaluate(BLIND2, "ask", settings)
    assert figures["in_scope"] >= 55 and figures["oos"] >= 10 and figures["escalate"] >= 6
    assert figures["top1_accuracy"] >= 0.83, figures
    assert figures["confident_wrong_rate"] <= 0.02, figures
    assert figures["oos_handled_rate"] == 1.0, figures
    assert figures["handoff_handled_rate"] == 1.0, figures
    assert figures["clarify_rate"] <= 0.14, figures


def test_blind3_set_floors(settings):
    figures, _, _ = evaluate(BLIND3, "ask", settings)
    assert figures["in_scope"] >= 60 and figures["oos"] >= 8 and figures["escalate"] >= 6
    assert figures["top1_accuracy"] >= 0.93, figures
    assert figures["confident_wrong_rate"] <= 0.02, figures
    assert figures["oos_handled_rate"] >= 0.85, figures
    assert figures["handoff_handled_rate"] == 1.0, figures
    assert figures["clarify_rate"] <= 0.08, figures
