"""`hajibot kb check | gaps | eval` command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.cli import main
from bot.db import repos_kb


def test_kb_check_ok(capsys):
    assert main(["kb", "check"]) == 0
    assert "entries OK" in capsys.readouterr().out


def test_kb_check_reports_problems(tmp_path, capsys):
    (tmp_path / "rusak.yaml").write_text("id: rusak\ngroup: lain\n", encoding="utf-8")
    assert main(["kb", "check", "--dir", str(tmp_path)]) == 1
    assert "rusak.yaml" in capsys.readouterr().err


def test_kb_gaps_by_frequency(db, sqlite_url, hajibot_env, capsys):
    hajibot_env(database_url=sqlite_url)
    t = datetime(2025, 3, 3, tzinfo=UTC)
    with db.session() as s:
        for i in range(3):
            repos_kb.record_gap(s, kind="unanswered", text="cuaca besok", normalized="cuaca besok",
                                at=t + timedelta(minutes=i))
        repos_kb.record_gap(s, kind="unhelpful", text="porsi ###", normalized="porsi",
                            entry_id="nomor-porsi", at=t)
    assert main(["kb", "gaps", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["text"], r["count"]) for r in rows] == [("cuaca besok", 3), ("porsi ###", 1)]
    assert rows[1]["entries"] == ["nomor-porsi"] and rows[1]["kinds"] == ["unhelpful"]
    assert main(["kb", "gaps", "--kind", "unhelpful"]) == 0
    out = capsys.readouterr().out
    assert "porsi ###" in out and "cuaca" not in out


def test_kb_eval_json(tmp_path, capsys):
    f = tmp_path / "set.jsonl"
    f.write_text("\n".join([
        json.dumps({"q": "apa itu siskohat", "all": [["sistem informasi"]]}),
        json.dumps({"q": "resep rendang", "oos": True}),
        json.dumps({"q": "sambungkan ke petugas", "escalate": True}),
    ]) + "\n", encoding="utf-8")
    assert main(["kb", "eval", str(f), "--json", "--via", "matcher"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["top1_accuracy"] == 1.0 and figures["oos_handled_rate"] == 1.0
    assert figures["handoff_handled_rate"] == 1.0 and figures["questions"] == 3
    assert figures["latency_ms_p99"] >= figures["latency_ms_p50"] >= 0
