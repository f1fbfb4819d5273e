"""The vectorised matcher scores and decides exactly as the loop it replaced (issue 15, item 6).

The old scoring is kept in `reference_matcher.py`. For every question of our labelled sets and
the shared dev set: the same normalised words and coverage, every entry's three signals and
combined score equal to within 1e-9, the same ranking of entries (up to exact ties), and the
same `Match` - decision, entry, reason, candidates with their scores, signals of the top entry.
`scores()` is exact for every entry; `match()` computes S1 exactly only where the decision can
read it, so both are compared. A knowledge base replicated with perturbed texts (as the bench's
`--kb-scale` builds it) checks the same on near-duplicate entries, where the bounds that spare
most of the work are the tightest.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from knowledge.kb_schema import default_kb
from knowledge.matcher import Matcher
from tests.conftest import shared_file
from tests.knowledge.reference_matcher import ReferenceMatcher

HERE = Path(__file__).parent
TOL = 1e-9


def _questions(path: Path) -> list[str]:
    return [json.loads(line)["q"] for line in path.open(encoding="utf-8") if line.strip()]


def _bench():
    path = HERE.parent.parent / "bench" / "bench_matcher.py"
    spec = importlib.util.spec_from_file_location("bench_matcher", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pair() -> tuple[Matcher, ReferenceMatcher]:
    kb = default_kb()
    return Matcher(kb), ReferenceMatcher(kb)


def _same_order(new: list[float], old: list[float]) -> None:
    new_order = sorted(range(len(new)), key=lambda i: new[i], reverse=True)
    old_order = sorted(range(len(old)), key=lambda i: old[i], reverse=True)
    for a, b in zip(new_order, old_order, strict=True):
        assert a == b or abs(old[a] - old[b]) <= TOL, (a, b, old[a], old[b])


def _assert_same(new: Matcher, old: ReferenceMatcher, question: str) -> None:
    w_new, c_new, cov_new, sig_new = new.scores(question)
    w_old, c_old, cov_old, sig_old = old.scores(question)
    assert (w_new, cov_new) == (w_old, cov_old), question
    for name in ("s1", "s2", "s3"):
        worst = max(abs(a - b) for a, b in zip(sig_new[name], sig_old[name], strict=True))
        assert worst <= TOL, (question, name, worst)
    worst = max(abs(a - b) for a, b in zip(c_new, c_old, strict=True))
    assert worst <= TOL, (question, worst)
    _same_order(c_new, c_old)
    m_new, m_old = new.match(question), old.match(question)
    assert m_new == m_old, question
    assert m_new.signals.keys() == m_old.signals.keys()
    for key, value in m_old.signals.items():
        assert abs(m_new.signals[key] - value) <= TOL, (question, key)


@pytest.mark.parametrize("path", sorted(HERE.glob("*.jsonl")), ids=lambda p: p.stem)
def test_same_scores_and_decisions_on_our_sets(pair, path):
    new, old = pair
    questions = _questions(path)
    assert questions
    for question in questions:
        _assert_same(new, old, question)


def test_same_scores_and_decisions_on_the_dev_set(pair):
    new, old = pair
    for question in _questions(shared_file("eval/faq_dev.jsonl")):
        _assert_same(new, old, question)


def test_same_on_a_knowledge_base_of_near_duplicates():
    kb = _bench().scale_kb(default_kb(), 3)
    new, old = Matcher(kb), ReferenceMatcher(kb)
    # every eighth question of our sets: about 460, each through both matchers at three times
    # the knowledge base (the reference's token set ratio over every text is most of the time)
    questions = [q for p in sorted(HERE.glob("*.jsonl")) for q in _questions(p)]
    for question in questions[::8]:
        _assert_same(new, old, question)


@pytest.mark.parametrize("text", ["", "   ", "?", "123", "zzzz qqqq", "apa", "haji haji haji",
                                  "sudah belum tahap 1 tahap 2", "a " * 200])
def test_same_on_edge_cases(pair, text):
    new, old = pair
    _assert_same(new, old, text)


@pytest.mark.parametrize("size", [39, 40, 41, 61, 62, 63, 90])
def test_same_on_questions_of_many_distinct_words(pair, size):
    # up to 62 distinct words, which of them a text holds is one int64 bit key; beyond, it is
    # keyed from the postings 40 words at a time
    new, old = pair
    words = list(dict.fromkeys(w for e in default_kb().entries
                               for w in (e.question.id + " " + " ".join(e.paraphrases)).split()))
    for start in (0, 100, 300):
        _assert_same(new, old, " ".join(words[start:start + size]))


def test_word_columns_are_the_commonest_words_within_the_memory_of_the_gram_columns(pair):
    # `_WordColumns` keeps whole-word products for the words most texts hold, as long as the
    # gram columns are long at most: the matcher's memory for them at most doubles
    new, _ = pair
    kept = new._word_columns
    assert {"saya", "haji", "porsi"} <= set(kept.grams_of)
    longest = int(kept.columns.len.max())
    assert kept.columns.row.size <= new._grams.row.size + longest
    # each kept column is exactly its grams' columns added up (IDF-weighted)
    col = kept.columns.col["porsi"]
    grams = [new._gram_at[g] for g in kept.grams_of["porsi"]]
    dense = sum(np.bincount(new._grams.rows_of[c], weights=new._grams.weights_of[c] * idf,
                            minlength=new._n_docs) for c, idf in grams)
    assert np.allclose(dense[kept.columns.rows_of[col]], kept.columns.weights_of[col])
    assert np.count_nonzero(dense) == kept.columns.rows_of[col].size


def test_the_word_caches_keep_only_the_knowledge_bases_words():
    """A word someone typed (a name, a detail) is not kept in the matcher's word caches: they
    would hold people's words in memory and grow with every new one."""
    from knowledge import match_index

    m = Matcher(default_kb())
    assert "pelunasan" in match_index._WORD_GRAMS  # the knowledge base's words are kept
    typed = "zulkarnainiwati"
    got = m.match(f"pak saya {typed} mau tanya pelunasan tahap dua kapan")
    assert typed in got.normalized.split()  # read as itself: both caches were asked
    assert typed not in match_index._WORD_GRAMS
    stem_cache = next(c.cell_contents for c in m.stem.__closure__
                      if isinstance(c.cell_contents, dict))
    assert typed not in stem_cache and "pelunasan" in stem_cache


def test_the_references_fast_signals_are_the_old_loops(pair):
    # the reference computes two signals with numpy and cdist for speed; the old loops must
    # agree with them
    _, old = pair
    questions = [q for p in sorted(HERE.glob("*.jsonl")) for q in _questions(p)][::30]
    assert len(questions) > 100
    for question in [*questions, "", "zzzz qqqq", "haji haji haji"]:
        words = old.scores(question)[0]
        against = old._contradicting_docs(words)
        fast, loop = old._char_cosine(words, against), old._char_cosine_loop(words, against)
        assert max((abs(a - b) for a, b in zip(fast, loop, strict=True)), default=0) <= 1e-12
        joined = " ".join(words)
        fast, loop = old._token_set(joined, against), old._token_set_loop(joined, against)
        assert max((abs(a - b) for a, b in zip(fast, loop, strict=True)), default=0) <= 1e-12
