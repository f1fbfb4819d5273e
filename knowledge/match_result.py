"""What the matcher decides about one message (shared by the matcher and its story reading)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Decision = Literal["answer", "clarify", "handoff"]


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float


@dataclass(frozen=True)
class Match:
    decision: Decision
    entry_id: str | None  # the answer (decision "answer") or the best guess
    score: float
    candidates: tuple[Candidate, ...] = ()
    # confident | likely (answered, with the runner-ups offered) | ambiguous | case_not_named |
    # one_word | defined_term | out_of_scope | human_request | empty
    reason: str = ""
    coverage: float = 0.0
    normalized: str = ""
    signals: dict[str, float] = field(default_factory=dict, compare=False, repr=False)
