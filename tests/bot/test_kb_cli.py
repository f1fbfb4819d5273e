"""`hajibot kb check | gaps | eval` command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.cli import main
from db import repos_kb


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


def _entry_yaml(source: str, answer_id: str, extra: str = "") -> str:
    return (
        "id: contoh\ngroup: istilah\nquestion:\n  id: Apa itu contoh?\n"
        "paraphrases: [contoh satu, contoh dua, contoh tiga]\nkeywords: [contoh]\n"
        f"answer:\n  id: |\n    {answer_id}\nsource:\n{source}{extra}"
    )


def test_kb_check_fails_on_uncheckable_source(tmp_path, capsys):
    (tmp_path / "contoh.yaml").write_text(_entry_yaml(
        "  - doc: DOMAIN.md\n    section: Actors and systems\n", "Contoh adalah contoh."),
        encoding="utf-8")
    assert main(["kb", "check", "--dir", str(tmp_path)]) == 1
    assert "internal summary" in capsys.readouterr().err


def test_kb_check_fails_on_page_without_check_date(tmp_path, capsys):
    (tmp_path / "contoh.yaml").write_text(_entry_yaml(
        "  - url: https://haji.go.id\n    title: Kementerian Haji dan Umrah\n",
        "Contoh adalah contoh."), encoding="utf-8")
    assert main(["kb", "check", "--dir", str(tmp_path)]) == 1
    assert "checked" in capsys.readouterr().err


def test_kb_check_fails_on_unmarked_yearly_figure(tmp_path, capsys):
    (tmp_path / "contoh.yaml").write_text(_entry_yaml(
        "  - doc: 000_f1542f33e8ff6ddb.txt\n    section: Tahapan Pelunasan\n",
        "Kuota reguler 2025: 203.320."), encoding="utf-8")
    assert main(["kb", "check", "--dir", str(tmp_path)]) == 1
    assert "yearly figure" in capsys.readouterr().err


def test_kb_check_fails_on_repeated_sentence(tmp_path, capsys):
    (tmp_path / "contoh.yaml").write_text(_entry_yaml(
        "  - doc: 000_f1542f33e8ff6ddb.txt\n    section: Tahapan Pelunasan\n",
        "Contoh adalah contoh yang baik. Contoh adalah contoh yang baik."), encoding="utf-8")
    assert main(["kb", "check", "--dir", str(tmp_path)]) == 1
    assert "repeats the sentence" in capsys.readouterr().err
