"""A long message: a story asking in a sentence or two (issue 15, second and third rounds).

The story's words dilute every signal of the whole message, so `Matcher.match` hands a long
message that the whole did not settle to `match_story`: when every sentence that asks is, on its
own, about something the knowledge base does not hold, the message is out of scope whatever hajj
words its telling holds; otherwise the asking sentences, then the endings, are matched with the
story's scores blended in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from knowledge.match_index import (
    _tails,
    asking_sentences,
    leans_on_before,
    points_back,
    question_part,
)
from knowledge.match_result import Match
from knowledge.normalize import FUNCTION_WORDS, normalize_words
from knowledge.out_of_scope import hajj_words

# `m` below is the knowledge.matcher.Matcher that calls in here: named, not imported, so the
# two modules do not import each other
Matcher = Any


def match_story(m: Matcher, text: str, found: Match, told: list[str]) -> Match:
    """The match of a long message whose whole gave `found`; `told`: its normalised words."""
    focus = question_part(text)
    if focus is not None and all(asks_elsewhere(m, p) for p in asking_sentences(text)):
        # "how do I say thank you in arabic? my porsi was transferred from my late mother":
        # what is asked is out of scope, and the telling's hajj words answer nothing asked
        return Match("handoff", None, found.score, found.candidates, "out_of_scope",
                     coverage=found.coverage, normalized=found.normalized)
    if found.reason == "confident":
        return found
    # Try the asking sentences, then the endings, each with the story's scores blended in. An
    # ending needs three content words ("what happens to his porsi" is every death's question,
    # no move's); the asking sentences hold their context.
    n_words = len(text.split())
    parts = [p for p in ([focus] if focus else []) + _tails(text)
             if len(p.split()) < n_words  # "jadi bisa atau tidak ya" needs the one before
             and _weight(p, p is focus) >= (2 if p is focus or _one_question(p) else 3)
             # an ending that points back ("... dilimpahkan kepadanya, boleh?") is not read
             # without the sentence it points at ("adik saya baru berusia 11 tahun")
             and not (p is not focus and _one_question(p) and points_back(p))]
    story = np.asarray(m.scores(text, told)[1]) if parts else None  # exact, for the blend
    asked = None  # the asking sentences put first: an ending may not overrule it ...
    asked_sure = False  # ... unless they were unsure and the ending is one question, sure
    for part in parts:
        if part is not focus and focus is not None and not asking_sentences(part):
            # an ending that asks nothing while the message asks elsewhere ("... cancelled?
            # we found old papers after he died") is telling, not the question
            continue
        at = m._match_text(part, context=story, told=told)
        if found.decision == "answer" and at.entry_id != found.entry_id:
            continue  # the whole message's own "likely" answer stands against a part
        if asked is not None and at.entry_id != asked and not (
                not asked_sure and at.reason == "confident" and _one_question(part)):
            # an ending drops the context the asking sentences kept; but when they only gave
            # a menu, the last question on its own ("... takut nanti bermasalah waktu bikin
            # paspor. Bagaimana cara membetulkan datanya?") is what is asked
            continue
        if part is focus and at.decision != "handoff":
            asked = at.entry_id
            asked_sure = at.decision == "answer"
        if at.reason == "confident":
            return at
        # a story out of scope as a whole may still ask a hajj question, but a part's menu
        # replaces that verdict only on the part's clear evidence: an out-of-scope story always
        # shares a few words with some entry
        if (at.reason == "likely" and found.decision != "answer") or (
                found.reason == "out_of_scope" and at.decision == "clarify"
                and at.score >= m.t.clear):
            found = at
    return found


# In the sentence that asks, a word asking for one fact counts as a content word: "kira-kira
# bapak berangkat tahun berapa ya?" asks when (one content word and "kapan"), while "jadi bisa
# atau tidak ya" asks nothing of its own and needs the sentence before it.
_FACT_WORDS = frozenset({"kapan", "berapa", "dimana", "kemana", "siapa"})


def _weight(part: str, asking: bool) -> int:
    words = normalize_words(part)
    return sum(w not in FUNCTION_WORDS or (asking and w in _FACT_WORDS) for w in words)


def _one_question(part: str) -> bool:
    """Whether `part` is one sentence, and it asks."""
    return asking_sentences(part) == [part.strip()]


def asks_elsewhere(m: Matcher, sentence: str) -> bool:
    """Whether an asking sentence, on its own, is out of scope with most of its words unknown
    to the knowledge base and no hajj word among them."""
    raw = normalize_words(sentence)
    # a short question leans on the telling ("kami harus bagaimana?", "apa masih bisa?")
    short = leans_on_before(sentence)
    if (short and sum(w not in FUNCTION_WORDS for w in raw) < 2) or hajj_words() & set(raw):
        return False
    alone = m._match_text(sentence, raw)
    return alone.reason == "out_of_scope" and alone.coverage < m.t.coverage
