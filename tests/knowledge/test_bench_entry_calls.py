"""bench/bench_entry_calls.py scores recorded menus with `entry_model.decide` on probabilities
it computed itself: `decide` must decide as `entry_model.second_opinion` does, or the bench's
figures mean nothing."""

from __future__ import annotations

import itertools

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
        assert entry_model.decide(p, top, scores, *lines) == entry_model.second_opinion(
            model, stems, top, scores, *lines), (stems, top, scores, lines)


def test_the_bench_scores_recorded_menus_with_the_decision_rule(tmp_path, monkeypatch):
    import json

    import numpy as np

    from bench.bench_entry_calls import evaluate

    # one held-out set, one question, one menu: answering entry 0 is right, entry 1 wrong
    record = tmp_path / "calls.json"
    record.write_text(json.dumps({"sets": {"s": ["q"]}, "items": [
        ["s", 0, [[["kata"], 0, [0.6, 0.58]]], 0, {"0 0": 1, "0 1": -1}]]}), "utf-8")
    p = [np.array([0.98, 0.02])]
    got = evaluate(lambda held, stems: p, settings=[(0.97, 2.0, 0.0), (0.99, 2.0, 0.0)],
                   path=record)
    assert got == {(0.97, 2.0, 0.0): (1, 0), (0.99, 2.0, 0.0): (0, 0)}
    # the bench holds no rule of its own: a different rule changes its figures
    monkeypatch.setattr(entry_model, "decide", lambda *a: 1)
    assert evaluate(lambda held, stems: p, settings=[(0.97, 2.0, 0.0)],
                    path=record) == {(0.97, 2.0, 0.0): (0, 1)}
