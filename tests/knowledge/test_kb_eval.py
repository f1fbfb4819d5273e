"""`hajibot kb eval` floors on the shared dev set and on our own sets.

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
The fourth blind set (faq_blind4.jsonl, second session) was written the same way, as elderly
pilgrims type (capitals, no punctuation, voice-to-text splits), with regional words, SMS
abbreviations, English and long stories before the question. Blind it scored 71.4% top-1 (1.4%
confident wrong, 87.5% out of scope, 85.7% human requests, 17.6% clarify); after general fixes
(regional -nya forms, words typed apart, English possessives, the question at the end of a long
message, other pilgrimages out of scope, regional ways to ask for a person) 85.7% top-1, 0%
confident wrong, 100% out of scope, 11.8% clarify; its misses are all clarifications (90.0%
after the fifth set's fixes).
The fifth blind set (faq_blind5.jsonl) was written the same way, aimed at precision on the edge
cases of seed 000 and the pelimpahan provisions, as pilgrims, their children, Kankemenag desk
officers and KBIH staff ask. Blind it scored 71.2% top-1 (1.5% confident wrong, 85.7% out of
scope, 23.8% clarify, mostly with the right entry as the first choice); after general fixes (one
sliding margin instead of two islands, a smaller lead when only the top entry holds the
question's distinctive words, answers that state their deciding fact first, other trips out of
scope) 97.0% top-1, 0% confident wrong, 100% out of scope, 2.5% clarify.
The sixth blind set (faq_blind6.jsonl) is "a random day of hotline traffic". Blind it scored
72.2% top-1 (1.4% confident wrong, 18.9% clarify); the answer line was then fitted on the other
sets, leave-one-set-out, with blind6 kept out of the fit (77.8% from the line alone), and after
content fixes from its failures 90.3% top-1; its one confident wrong answer asked for one
city's waiting list, which the knowledge base then gained from seed 003 (91.7%, 0%).
The seventh blind set (faq_blind7.jsonl) mirrors the dev set's spread with new situations and
neighbouring topics. It was scored once, after all the fixes above: 81.2% top-1, 0% confident
wrong, 100% out of scope, 71.4% human requests; the two missed requests for a person led to two
more phrasings of such requests (100% since). It was then tuned on like the others (96.9%).
The eighth blind set (faq_blind8.jsonl: older pilgrims, grandchildren, village officials, KBIH
staff; longer, several questions in one) first scored 67.2% top-1, 3.1% confident wrong, 77.8%
out of scope - the blind7 round had not moved it at all. After general fixes (pelimpahan answers
carrying their neighbour's deciding fact, services and religious rulings out of scope, English
negation) 93.8%, 0%, 100%.
The ninth blind set (faq_blind9.jsonl, the dev set's topic spread) was scored once, after all
of the above, and NOT tuned on: 81.2% top-1, 1.6% confident wrong (one question), 100% out of
scope and human requests, 11.2% clarify. Its floors guard that honest figure; keep it untuned.
The English set (faq_english_dev.jsonl, issue 15) is a TUNING set written to improve English
questions (diaspora children, spouses, officers): tuned on from its first score, so its floors
say nothing about unseen English; the untuned sets do.
Issue 15 (item 5) changed what "out of scope handled" means: told where to go (a service's
pointer or the bot's scope) with /petugas for a person on request, or a human offered for a
hajj matter the knowledge base lacks; see `bot/commands/kb.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.commands.kb import evaluate
from bot.settings import Settings
from tests.conftest import shared_file

HOLDOUT = Path(__file__).with_name("faq_holdout.jsonl")
BLIND = Path(__file__).with_name("faq_blind.jsonl")
BLIND2 = Path(__file__).with_name("faq_blind2.jsonl")
BLIND3 = Path(__file__).with_name("faq_blind3.jsonl")
BLIND4 = Path(__file__).with_name("faq_blind4.jsonl")
BLIND5 = Path(__file__).with_name("faq_blind5.jsonl")
BLIND6 = Path(__file__).with_name("faq_blind6.jsonl")
BLIND7 = Path(__file__).with_name("faq_blind7.jsonl")
BLIND8 = Path(__file__).with_name("faq_blind8.jsonl")
BLIND9 = Path(__file__).with_name("faq_blind9.jsonl")
ENGLISH_DEV = Path(__file__).with_name("faq_english_dev.jsonl")
ENGLISH_DEV2 = Path(__file__).with_name("faq_english_dev2.jsonl")
STORIES_DEV = Path(__file__).with_name("faq_stories_dev.jsonl")
ENGLISH_DEV3 = Path(__file__).with_name("faq_english_dev3.jsonl")
ENGLISH_DEV4 = Path(__file__).with_name("faq_english_dev4.jsonl")
INDO_DEV4 = Path(__file__).with_name("faq_indo_dev4.jsonl")
ELDERLY_DEV5 = Path(__file__).with_name("faq_elderly_dev5.jsonl")
MIXED_DEV5 = Path(__file__).with_name("faq_mixed_dev5.jsonl")
WA_DEV6 = Path(__file__).with_name("faq_wa_dev6.jsonl")
BLIND10 = Path(__file__).with_name("faq_blind10.jsonl")
BLIND11 = Path(__file__).with_name("faq_blind11.jsonl")
BLIND12 = Path(__file__).with_name("faq_blind12.jsonl")
ENSTORY_DEV6 = Path(__file__).with_name("faq_enstory_dev6.jsonl")
BLIND13 = Path(__file__).with_name("faq_blind13.jsonl")
EDGE_DEV7 = Path(__file__).with_name("faq_edge_dev7.jsonl")
BLIND14 = Path(__file__).with_name("faq_blind14.jsonl")
EDGE_DEV8 = Path(__file__).with_name("faq_edge_dev8.jsonl")
BLIND15 = Path(__file__).with_name("faq_blind15.jsonl")
COMMON_DEV9 = Path(__file__).with_name("faq_common_dev9.jsonl")
BLIND16 = Path(__file__).with_name("faq_blind16.jsonl")
FORMAL_DEV10 = Path(__file__).with_name("faq_formal_dev10.jsonl")
BLIND17 = Path(__file__).with_name("faq_blind17.jsonl")
REGIONAL_DEV11 = Path(__file__).with_name("faq_regional_dev11.jsonl")
SHORT_DEV12 = Path(__file__).with_name("faq_short_dev12.jsonl")
BLIND18 = Path(__file__).with_name("faq_blind18.jsonl")
BLIND19 = Path(__file__).with_name("faq_blind19.jsonl")
LEAD_DEV7 = Path(__file__).with_name("faq_lead_dev7.jsonl")


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


@dataclass(frozen=True)
class Floors:
    """What a set must still reach: a little below the current figures, so that a regression
    in generalisation fails, while the noise of one question more or less does not."""

    file: Path
    sizes: dict[str, int]  # in_scope / oos / escalate at least (the set is what we think)
    top1: float
    confident_wrong: float
    oos_handled: float = 1.0
    clarify: float = 1.0
    handoff_handled: float = 1.0
    chat_handled: float = 1.0


SETS = {
    # 98.0% top-1 now (76.5% when first scored); never tuned on directly. Since issue 15 it
    # also holds the commonest first questions (documents for pelunasan, this season's cost,
    # the schedule, a new phone number, living cost ...), out-of-scope services and requests
    # for a person phrased with a topic
    "holdout": Floors(HOLDOUT, {"in_scope": 45, "oos": 6, "escalate": 5}, top1=0.94,
                      confident_wrong=0.03, clarify=0.10),
    "blind": Floors(BLIND, {"in_scope": 55, "oos": 8, "escalate": 6}, top1=0.90,
                    confident_wrong=0.02, clarify=0.12),
    "blind2": Floors(BLIND2, {"in_scope": 55, "oos": 10, "escalate": 6}, top1=0.83,
                     confident_wrong=0.02, clarify=0.14),
    "blind3": Floors(BLIND3, {"in_scope": 60, "oos": 8, "escalate": 6}, top1=0.93,
                     confident_wrong=0.02, oos_handled=0.85, clarify=0.08),
    "blind4": Floors(BLIND4, {"in_scope": 65, "oos": 8, "escalate": 6}, top1=0.85,
                     confident_wrong=0.02, clarify=0.12),
    "blind5": Floors(BLIND5, {"in_scope": 60, "oos": 7, "escalate": 6}, top1=0.94,
                     confident_wrong=0.02, clarify=0.06),
    "blind6": Floors(BLIND6, {"in_scope": 70, "oos": 10, "escalate": 8}, top1=0.91,
                     confident_wrong=0.02, clarify=0.10),
    "blind7": Floors(BLIND7, {"in_scope": 60, "oos": 9, "escalate": 7}, top1=0.92,
                     confident_wrong=0.02, clarify=0.06),
    "blind8": Floors(BLIND8, {"in_scope": 60, "oos": 9, "escalate": 7}, top1=0.92,
                     confident_wrong=0.02, clarify=0.08),
    # untuned: a regression in generalisation shows here first
    "blind9": Floors(BLIND9, {"in_scope": 60, "oos": 9, "escalate": 7}, top1=0.86,
                     confident_wrong=0.03, clarify=0.15),
    # a TUNING set (English, as diaspora children, spouses and officers write), not a blind
    # one: first scored 67.2% top-1, 3.1% confident wrong, 71.4% human requests, 18.2%
    # clarify; after the English lexicon (lexicon/english.yaml) and answers with alternatives
    # 87.5%, 0%, 100%, 6.5%; after issue 15's second round 92.2%, 0%, 100%, 6.5%
    "english_dev": Floors(ENGLISH_DEV, {"in_scope": 60, "oos": 6, "escalate": 7}, top1=0.90,
                          confident_wrong=0.02, clarify=0.10),
    # TUNING sets of issue 15's second round, labelled with entry ids: English as Indonesians,
    # the diaspora and mixed writers type it (first scored 82.1% top-1, 2.4% confident wrong),
    # and families' long stories with the question inside (77.8%, 4.9%); after the English
    # suffix rule and lexicon, story words and matching a story's asking sentences with the
    # story blended in: 94.0% / 0% and 91.4% / 2.5%
    "english_dev2": Floors(ENGLISH_DEV2, {"in_scope": 80, "oos": 6, "escalate": 3}, top1=0.90,
                           confident_wrong=0.02, clarify=0.09),
    # (clarify 0.10 since the fifth round: a confident wrong answer became a choice)
    "stories_dev": Floors(STORIES_DEV, {"in_scope": 78, "oos": 5, "escalate": 2}, top1=0.87,
                          confident_wrong=0.04, clarify=0.10),
    # TUNING set of issue 15's third round: 150 English messages written by someone who never
    # saw the knowledge base (labelled with entry ids afterwards; small talk as "chat", matters
    # the knowledge base lacks as out of scope). First scored, untouched: 69.2% top-1, 13.2%
    # confident wrong, 73.5% out of scope, 86.7% human requests; after this round's general
    # fixes 78.0%, 2.2%, 94.1%, 100% (most misses are "did you mean" menus with the right entry)
    "english_dev3": Floors(ENGLISH_DEV3, {"in_scope": 90, "oos": 30, "escalate": 15, "chat": 10},
                           top1=0.75, confident_wrong=0.03, oos_handled=0.9, clarify=0.17),
    # TUNING sets of issue 15's fourth round, 140 messages each written blind by another helper
    # (English; Indonesian with regional words), labelled with entry ids (matters the knowledge
    # base lacks as out of scope; the status card accepted where a porsi is in the sentence).
    # First scored, untouched: English 49.3% top-1, 8.0% confident wrong, 62.5% out of scope,
    # 86.7% human requests, 90% small talk; Indonesian 61.5%, 10.3%, 56.8%, 86.7%, 90%. After
    # this round's general fixes: 68.0% / 1.3% / 90.0% / 100% / 100% and 76.9% / 1.3% / 89.2% /
    # 100% / 100%; after the fifth round's 84.0% / 1.3% / 90.0% and 78.2% / 1.3% / 94.6%
    # (oos 30 since issue 15's seventh round: five gaps got entries and were relabelled to them)
    "english_dev4": Floors(ENGLISH_DEV4, {"in_scope": 70, "oos": 30, "escalate": 15, "chat": 10},
                           top1=0.80, confident_wrong=0.03, oos_handled=0.85, clarify=0.16),
    # (oos 32 since issue 15's sixth round: three gaps got an entry and were relabelled to it;
    # 27 since the seventh: five more)
    "indo_dev4": Floors(INDO_DEV4, {"in_scope": 75, "oos": 27, "escalate": 15, "chat": 10},
                        top1=0.75, confident_wrong=0.03, oos_handled=0.88, clarify=0.20),
    # TUNING sets of issue 15's fifth round, 120 messages each written blind by other helpers
    # (elderly pilgrims typing, with regional words; a mix of English, Indonesian chat and
    # families abroad) and labelled by the lead. First scored, untouched: elderly 73.8% top-1,
    # 2.5% confident wrong, 75.0% out of scope, 83.3% human requests, 100% small talk; mixed
    # 69.9%, 1.4%, 66.7%, 91.7%, 62.5%. After this round's general fixes and paraphrases:
    # 82.5% / 1.3% / 85.0% / 100% / 100% and 76.7% / 1.4% / 66.7% / 100% / 100%
    # (oos 16 since issue 15's sixth round: two gaps got an entry and were relabelled to it)
    "elderly_dev5": Floors(ELDERLY_DEV5, {"in_scope": 75, "oos": 16, "escalate": 10, "chat": 6},
                           top1=0.80, confident_wrong=0.03, oos_handled=0.80, clarify=0.14),
    # (oos 24 since issue 15's sixth round: a gap got an entry and was relabelled to it; 22
    # since the seventh: two more)
    "mixed_dev5": Floors(MIXED_DEV5, {"in_scope": 70, "oos": 22, "escalate": 10, "chat": 6},
                         top1=0.74, confident_wrong=0.03, oos_handled=0.62, clarify=0.24),
    # Issue 15's sixth round: 170 chat messages written blind by another helper (regional words
    # of seven languages, voice-to-text slips, all-caps elders, migrant workers), labelled
    # against the knowledge base and split by hash in two halves. wa_dev6 is TUNED on (first
    # scored 66.7% top-1, 5.3% confident wrong, 88.9% out of scope, 88.9% human requests);
    # blind12 is NOT (first scored 71.4% top-1, 5.4% confident wrong, 90.9%, 83.3%): it says
    # what the round's general fixes do for unseen messages of the same kind
    "wa_dev6": Floors(WA_DEV6, {"in_scope": 55, "oos": 8, "escalate": 8, "chat": 4},
                      top1=0.68, confident_wrong=0.06, oos_handled=0.85, clarify=0.22),
    # The English-only and family-stories sets of item 7, NOT tuned on (first 70.4% / 83.3%
    # top-1); floors since the eighth round's entry model (81.5% / 87.0%, 7.4% confident wrong
    # each)
    "blind10": Floors(BLIND10, {"in_scope": 50}, top1=0.78, confident_wrong=0.08, clarify=0.1),
    "blind11": Floors(BLIND11, {"in_scope": 50}, top1=0.83, confident_wrong=0.08, clarify=0.08),
    "blind12": Floors(BLIND12, {"in_scope": 55, "oos": 10, "escalate": 6, "chat": 5},
                      top1=0.72, confident_wrong=0.075, oos_handled=0.85, clarify=0.25,
                      handoff_handled=0.8),
    # The same round's second writer: English of Indonesians abroad and long family stories
    # (170 messages, split the same way). enstory_dev6 is TUNED on (first scored 55.9% top-1,
    # 13.6% confident wrong, 100% out of scope and human requests); blind13 is NOT (68.5%,
    # 1.9%, 100%, 100%, small talk 83.3%)
    "enstory_dev6": Floors(ENSTORY_DEV6, {"in_scope": 55, "oos": 7, "escalate": 7, "chat": 4},
                           top1=0.58, confident_wrong=0.14, clarify=0.22),
    # (clarify 0.17 since issue 15's sixth round: with its new and extended entries the KB's
    # clarify rate here went 13.9% -> 16.5%, top-1 and confident wrong unchanged; not inspected)
    # (clarify 0.19 since issue 15's seventh round: with 134 more paraphrases and five entries
    # its menu rate went 16.5% -> 17.7% while top-1 rose 68.5% -> 70.4%; not inspected)
    "blind13": Floors(BLIND13, {"in_scope": 50, "oos": 10, "escalate": 6, "chat": 5},
                      top1=0.78, confident_wrong=0.06, clarify=0.19, chat_handled=0.8),
    # Issue 15's seventh round: two writers each wrote 200 messages blind about the edges
    # (requests for a person in every voice, other matters, small talk, hajj questions naming
    # an officer, a bank or a complaint), split by hash. edge_dev7 / edge_dev8 are TUNED on
    # (first: 80.0% / 58.3% top-1, human requests 81.8% / 86.7%, out of scope 86.1% / 89.3%,
    # small talk 90.9% / 94.1%); blind14 / blind15 are NOT (first: 56.5% / 61.9% top-1, human
    # requests 81.3% / 70.0%, out of scope 76.9% / 90.6%, small talk 84.2% / 94.4%; blind15's
    # first score came after this round's first request patterns).
    "edge_dev7": Floors(EDGE_DEV7, {"in_scope": 20, "oos": 30, "escalate": 30, "chat": 10},
                        top1=0.80, confident_wrong=0.05, oos_handled=0.93, clarify=0.12,
                        handoff_handled=0.96, chat_handled=0.9),
    "edge_dev8": Floors(EDGE_DEV8, {"in_scope": 20, "oos": 25, "escalate": 28, "chat": 15},
                        top1=0.58, confident_wrong=0.05, oos_handled=0.9, clarify=0.24,
                        handoff_handled=0.96, chat_handled=0.9),
    "blind14": Floors(BLIND14, {"in_scope": 20, "oos": 20, "escalate": 30, "chat": 17},
                      top1=0.47, confident_wrong=0.09, oos_handled=0.7, clarify=0.24,
                      handoff_handled=0.87, chat_handled=0.89),
    "blind15": Floors(BLIND15, {"in_scope": 19, "oos": 30, "escalate": 28, "chat": 16},
                      top1=0.8, confident_wrong=0.05, oos_handled=0.8, clarify=0.22,
                      handoff_handled=0.7, chat_handled=0.83),
    # TUNED: the lead's own phrasings of the same round (requests for a person in four batches,
    # other matters, small talk, plain English questions), each batch written before the
    # patterns it then led to
    # Issue 15's eighth round: two writers each wrote 200 messages blind, mostly hajj questions
    # (150 each): everyday chat typing (writer9) and formal Indonesian / careful English of
    # officers, KBIH staff and children abroad (writer10), split by hash. common_dev9 /
    # formal_dev10 are TUNED (first: 73.7% / 63.4% top-1); blind16 / blind17 are NOT (first,
    # with the entry model already in: 78.3% / 67.7% top-1, 7.2% / 9.2% confident wrong, out
    # of scope 78.6% / 100%)
    # (kbgaps9: two of common_dev9's out-of-scope gap questions have entries now and are
    # relabelled, so its out-of-scope count is 9)
    # (ninth round: the untuned sets' gap questions that the writers listed in their gaps files
    # and that an entry answers now were relabelled to it, line by line from the gaps files
    # without opening the rest: blind14 four, blind15 two, blind16 three, blind17 one)
    "common_dev9": Floors(COMMON_DEV9, {"in_scope": 70, "oos": 9, "escalate": 10, "chat": 6},
                          top1=0.7, confident_wrong=0.05, oos_handled=0.72, clarify=0.25,
                          handoff_handled=0.9, chat_handled=0.8),
    "formal_dev10": Floors(FORMAL_DEV10, {"in_scope": 75, "oos": 10, "escalate": 7, "chat": 3},
                           top1=0.64, confident_wrong=0.06, oos_handled=0.63, clarify=0.22,
                           handoff_handled=0.85),
    "blind16": Floors(BLIND16, {"in_scope": 60, "oos": 10, "escalate": 3, "chat": 7},
                      top1=0.74, confident_wrong=0.1, oos_handled=0.7, clarify=0.2,
                      chat_handled=0.85),
    "blind17": Floors(BLIND17, {"in_scope": 60, "oos": 10, "escalate": 6, "chat": 10},
                      top1=0.63, confident_wrong=0.12, oos_handled=0.9, clarify=0.14,
                      chat_handled=0.8),
    # Issue 15's ninth round: two writers each wrote 200 messages blind (150 hajj questions
    # each): regional-language mixes and voice typing (writer11) and short search-box queries
    # and one-liners (writer12), split by hash. regional_dev11 / short_dev12 are TUNED (first:
    # 71.0% / 80.0% top-1); blind18 / blind19 are NOT (first: 64.4% / 87.7% top-1, 4.1% / 3.1%
    # confident wrong, out of scope 50% / 53.3%; blind19's 15 out-of-scope items hold 7 gap
    # questions, blind18's 8 hold 4 - one since relabelled)
    "regional_dev11": Floors(REGIONAL_DEV11, {"in_scope": 65, "oos": 18, "escalate": 7, "chat": 7},
                             top1=0.84, confident_wrong=0.05, oos_handled=0.75, clarify=0.16,
                             handoff_handled=0.87, chat_handled=0.87),
    "short_dev12": Floors(SHORT_DEV12, {"in_scope": 70, "oos": 12, "escalate": 8, "chat": 9},
                          top1=0.83, confident_wrong=0.05, oos_handled=0.78, clarify=0.22,
                          handoff_handled=0.88, chat_handled=0.9),
    "blind18": Floors(BLIND18, {"in_scope": 70, "oos": 6, "escalate": 6, "chat": 6},
                      top1=0.66, confident_wrong=0.07, oos_handled=0.7, clarify=0.2,
                      handoff_handled=0.85, chat_handled=0.85),
    "blind19": Floors(BLIND19, {"in_scope": 60, "oos": 13, "escalate": 5, "chat": 4},
                      top1=0.78, confident_wrong=0.06, oos_handled=0.45, clarify=0.24,
                      handoff_handled=0.83, chat_handled=0.8),
    "lead_dev7": Floors(LEAD_DEV7, {"in_scope": 38, "oos": 65, "escalate": 125, "chat": 85},
                        top1=0.8, confident_wrong=0.08, oos_handled=0.95, clarify=0.19,
                        handoff_handled=0.97, chat_handled=0.97),
}


@pytest.mark.parametrize("name", SETS)
def test_own_set_floors(name, settings):
    floors = SETS[name]
    figures, _, _ = evaluate(floors.file, "ask", settings)
    for key, at_least in floors.sizes.items():
        assert figures[key] >= at_least, (key, figures)
    assert figures["top1_accuracy"] >= floors.top1, figures
    assert figures["confident_wrong_rate"] <= floors.confident_wrong, figures
    assert figures["oos_handled_rate"] >= floors.oos_handled, figures
    assert figures["handoff_handled_rate"] >= floors.handoff_handled, figures
    assert figures["clarify_rate"] <= floors.clarify, figures
    # small talk: no answer, no ticket
    assert figures["chat_handled_rate"] >= floors.chat_handled, figures


def test_matcher_path_agrees_on_dev():
    figures, _, _ = evaluate(shared_file("eval/faq_dev.jsonl"), "matcher")
    assert figures["top1_accuracy"] >= 0.90 and figures["confident_wrong_rate"] <= 0.03


def test_the_matcher_path_answers_each_question_in_its_own_language():
    # as the bot answers a new chat: English words get the English answer, else Indonesian
    from bot.commands.kb import run_matcher

    en, idn = run_matcher(["how much is the hajj fee this season", "biaya haji musim ini berapa"])
    assert en.topic == idn.topic == "biaya-haji"
    assert "Hajj cost" in en.text and "Biaya haji" in idn.text
    assert "Biaya haji" in run_matcher(["how much is the hajj fee this season"], "id")[0].text
