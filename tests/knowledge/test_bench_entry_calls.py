"""bench/bench_entry_calls.py scores recorded menus with the second opinion's rules: its copy of
the rules must decide as `entry_model.second_opinion` does, or its figures mean nothing."""

from __future__ import annotations

import itertools

from bench.bench_entry_calls import _decide
from knowledge import entry_model
from knowledge.intent_model import features


def test_the_bench_decides_as_the_second_opinion_does():
    ids = ["a", "b", "c"]
    model = entry_model.build(ids, [("a", ["alpha"]), ("b", ["beta"]), ("c", ["gamma"])], str,
                              {"b": ["beta kata", "kata beta", "beta beta kata"],
                               "a": ["alpha kata"]})
    for stems, top, scores, lines in itertools.product(
            (["beta", "kata"], ["alpha", "kata"], ["kata"], ["qwzx"]), (0, 1, 2),
            ([0.6, 0.58, 0.1], [0.6, 0.5, 0.55], [0.5, 0.6, 0.59]),
            ((0.95, 2.0, 0.0), (0.95, 0.95, 0.06), (0.5, 0.6, 0.1), (2.0, 0.5, 0.03))):
        p = model.probabilities(features(stems))
        assert _decide(p, top, scores, *lines) == entry_model.second_opinion(
            model, stems, top, scores, *lines), (stems, top, scores, lines)
