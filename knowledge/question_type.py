"""What kind of fact a question asks for, against what an entry answers.

"lunas tahap 2 kapan" asks WHEN; "Siapa saja yang melunasi pada Tahap II?" answers WHO, and
shared the words "lunas tahap 2" with it so closely that it outscored the schedule entry. A
question word that asks for one kind of fact ("kapan") is held by nearly every entry that
answers it: on the tuned sets, 62 of the 67 labelled questions holding "kapan" have a right
entry whose texts (canonical question, paraphrases, keywords) hold it too, and the other five
are English "when" as a conjunction ("what documents to bring when doing pelunasan"), where
every rival lacks it as well. So an entry none of whose texts asks that is scored down a little
for such a question: a tie-breaker between close entries, not a veto.
"""

from __future__ import annotations

import re

import numpy as np

# Question words that ask for one kind of fact. "berapa" (how much / how many / which stage)
# and "mana" (where / which) are not here: each asks for several kinds of fact.
ASKED = ("kapan", "siapa")
ASKED_PENALTY = 0.9


def asked_masks(entry_words: list[list[str]], doc_words: list[list[str]],
                doc_entry: list[int]) -> dict[str, np.ndarray]:
    """Per question word of `ASKED`: which entries' words (texts and keywords) hold it; and
    `_STAGE`: which entries have a text asking which payment stage ("lunasnya tahap berapa")."""
    masks = {w: np.array([w in ws for ws in entry_words], dtype=bool) for w in ASKED}
    stage = np.zeros(len(entry_words), dtype=bool)
    for ws, ei in zip(doc_words, doc_entry, strict=True):
        if "tahap" in ws and ("berapa" in ws or "mana" in ws):
            stage[ei] = True
    masks[_STAGE] = stage
    return masks


# A question asking when to pay that names no stage ("sudah pernah haji, lunasnya kapan?") is
# answered by the stage: the entries that say which stage a case pays in answer "kapan" too.
# One that names the stage ("lunas tahap 2 kapan") asks for that stage's dates.
_STAGE = "_stage"
_STAGES = ("tahapsatu", "tahapdua")


# English "when" and "who" are also conjunctions and relative pronouns ("who registered in
# 2011", "we will know when she is told to pay"), which the normaliser turns into "kapan" and
# "siapa" all the same: on the tuned sets those were the rule's only wrong moves (a right
# answer lost, a wrong one made). So a question word counts only when the message holds more of
# it than English ones inside a sentence; an English one opening a sentence asks ("When do I
# go???", which the rule then answered right).
_ENGLISH = {"kapan": frozenset({"when"}), "siapa": frozenset({"who", "whom", "whose"})}
_TYPED = re.compile(r"[^\W\d_]+")
_SENTENCES = re.compile(r"[.?!\n]+")


def asked_words(text: str, words: list[str]) -> tuple[str, ...]:
    """The words of `ASKED` that the message (`text`, normalised `words`) asks, in Indonesian."""
    found = [w for w in ASKED if w in words]
    if not found:
        return ()
    typed = [t for sentence in _SENTENCES.split(text.casefold())
             for t in _TYPED.findall(sentence)[1:]]
    return tuple(w for w in found
                 if words.count(w) > sum(t in _ENGLISH[w] for t in typed))


def apply_asked(asked: tuple[str, ...], words: list[str], combined: np.ndarray,
                masks: dict[str, np.ndarray]) -> None:
    """Scores down, in place, the entries that never ask what the question asks (`asked`, of
    `asked_words`; `words`, the question's normalised words)."""
    for w in asked:
        has = masks[w]
        if w == "kapan" and not any(s in words for s in _STAGES):
            has = has | masks[_STAGE]
        combined[~has] *= ASKED_PENALTY
