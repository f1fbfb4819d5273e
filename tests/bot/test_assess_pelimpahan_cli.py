"""`hajibot assess pelimpahan`: a good case (argument and stdin), every bad input -> exit 2 naming
the field, and filling from the local mirror when a porsi is given."""

from __future__ import annotations

import argparse
import io
import json
from datetime import UTC, datetime

import pytest

from bot.commands import assess_pelimpahan
from db import migrate
from db.engine import Database
from knowledge.records import History, Identity, PilgrimRecord, WaitingList
from knowledge.values import PilgrimStatus

TODAY = "2025-06-01"
GOOD = {"cause": "wafat", "event_date": "29-04-2019", "before_departure": True,
        "relation": "anak", "recipient_birth_date": "1990-01-01"}


def run(argv: list[str], capsys, stdin: str | None = None, monkeypatch=None):
    parser = argparse.ArgumentParser(prog="hajibot")
    sub = parser.add_subparsers(dest="command")
    assess = sub.add_parser("assess").add_subparsers(dest="what")
    assess_pelimpahan.register(assess)
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    args = parser.parse_args(["assess", "pelimpahan", "--today", TODAY, *argv])
    code = args.func(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_good_case_as_argument(capsys):
    code, out, _ = run(["--json", json.dumps(GOOD), "--no-mirror"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["eligible"] is True and data["reasons"] == []
    assert set(data) >= {"eligible", "reasons", "documents", "steps", "office", "text"}
    assert [d["mark"] for d in data["documents"]][:4] == ["salinan", "asli", "asli", "asli"]
    assert len(data["steps"]) == 4
    assert data["office"] == "Kankemenag kabupaten/kota tempat jemaah terdaftar"
    assert "dapat diajukan untuk dilimpahkan" in data["text"] and "<b>" not in data["text"]


def test_case_on_stdin_in_english(capsys, monkeypatch):
    case = dict(GOOD, event_date="28 April 2019", relation="cucu")
    code, out, _ = run(["--lang", "en", "--no-mirror"], capsys, json.dumps(case), monkeypatch)
    data = json.loads(out)
    assert code == 0 and data["eligible"] is False
    assert data["reasons"] == ["died_before_cutoff", "relation_not_allowed"]
    assert "cannot be transferred yet" in data["text"]


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("{not json", "case"),
        ("[1, 2]", "case"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "relation"}), "relation"),
        (json.dumps(dict(GOOD, cause="hilang")), "cause"),
        (json.dumps(dict(GOOD, event_date="31-02-2020")), "event_date"),
        (json.dumps(dict(GOOD, event_date="2030-01-01")), "event_date"),
        (json.dumps(dict(GOOD, recipient_birth_date="kemarin")), "recipient_birth_date"),
        (json.dumps(dict(GOOD, before_departure="maybe")), "before_departure"),
        (json.dumps(dict(GOOD, porsi="123")), "porsi"),
    ],
)
def test_bad_input_exits_2_naming_the_field(capsys, case, field):
    code, out, err = run(["--json", case], capsys)
    assert code == 2
    assert err.startswith(f"error: {field} ")
    assert json.loads(out)["error"]["field"] == field


def test_porsi_fills_from_the_mirror(capsys, hajibot_env, tmp_path):
    url = f"sqlite:///{tmp_path}/mirror.sqlite3"
    migrate.upgrade(url)
    from integration import mirror

    record = PilgrimRecord(
        porsi="0100123456",
        identity=Identity(name="X", status=PilgrimStatus.AKTIF),
        waiting=WaitingList(province_code="17", province="BENGKULU", regency_code="1771",
                            regency="KOTA BENGKULU"),
        history=History(transferred_in=True, related_porsi=("0100999999",)),
        updated_at=datetime(2025, 5, 1, tzinfo=UTC),
    )
    db = Database(url)
    with db.session() as session:
        mirror.upsert_records(session, [record], source="batch")
    db.dispose()
    hajibot_env(database_url=url)
    case = dict(GOOD, porsi="0100123456")
    code, out, _ = run(["--json", json.dumps(case)], capsys)
    data = json.loads(out)
    assert code == 0 and data["mirror"]["found"] is True
    assert data["reasons"] == ["already_transferred"]  # asal_pelimpahan Y
    assert "other_porsi_cancelled" in data["warnings"]  # porsi_terkait
    assert data["office"] == "Kankemenag KOTA BENGKULU"


# --- relation words (issue 12 item 4) ---------------------------------------------------------


@pytest.mark.parametrize("relation", [
    "istri sah", "suami sah", "saudari kandung", "anak kandung perempuan", "adik bungsu",
    "kakak tertua", "putra sulung", "bokap", "nyokap", "istri kedua", "istri pertama",
    "suami saya", "bapak kandung", "emak", "mamak", "ayahanda", "abah", "abang kandung",
    "adik kandung laki-laki", "kakak kandung perempuan", "anak ke-2", "my wife",
    "my eldest son", "older sister", "istri sy"])
def test_relation_words_as_people_write_them_are_eligible(capsys, relation):
    code, out, _ = run(["--json", json.dumps(dict(GOOD, relation=relation)), "--no-mirror"], capsys)
    data = json.loads(out)
    assert code == 0 and data["eligible"] is True and data["reasons"] == []
    assert data["questions"] == [] and data["relation"]["status"] == "allowed"


@pytest.mark.parametrize(("relation", "code_", "lang", "words"), [
    ("saudara", "sibling_kind", "id", "seayah"),
    ("sodara", "sibling_kind", "en", "half-sibling"),
    ("mas", "sibling_or_husband", "id", "suami"),
    ("teteh", "sibling_or_wife", "id", "istri"),
    ("ortu", "parent_which", "en", "father or mother"),
])
def test_an_ambiguous_relation_gives_eligible_null_and_the_question(capsys, relation, code_,
                                                                   lang, words):
    case = dict(GOOD, relation=relation)
    code, out, _ = run(["--json", json.dumps(case), "--no-mirror", "--lang", lang], capsys)
    data = json.loads(out)
    assert code == 0 and data["eligible"] is None and data["reasons"] == []
    assert set(data) >= {"eligible", "reasons", "warnings", "details", "relation", "documents",
                         "steps", "office", "policy_version", "questions", "text"}
    [question] = data["questions"]
    assert question["field"] == "relation" and question["code"] == code_
    assert words in question["text"] and len(question["options"]) >= 2
    assert data["relation"]["status"] == "ambiguous" and data["relation"]["question"] == code_
    assert question["text"] in data["text"] and "<b>" not in data["text"]
    assert "dapat diajukan" not in data["text"] and "belum dapat dilimpahkan" not in data["text"]


def test_sibling_question_matches_the_issue(capsys):
    _code, out, _ = run(["--json", json.dumps(dict(GOOD, relation="saudara")), "--no-mirror"],
                       capsys)
    question = json.loads(out)["questions"][0]
    assert {k: question[k] for k in ("field", "code", "text")} == {
        "field": "relation", "code": "sibling_kind",
        "text": "Saudara kandung (seayah dan seibu), saudara seayah, atau saudara seibu?"}
    assert [(o["relation"], o["status"]) for o in question["options"]] == [
        ("saudara kandung", "allowed"), ("saudara seayah", "not_allowed"),
        ("saudara seibu", "not_allowed")]


def test_an_ambiguous_relation_with_another_refusal_is_refused_for_that_reason(capsys):
    case = dict(GOOD, relation="saudara", before_departure=False)
    code, out, _ = run(["--json", json.dumps(case), "--no-mirror"], capsys)
    data = json.loads(out)
    assert code == 0 and data["eligible"] is False and data["reasons"] == ["after_departure"]
    assert [q["code"] for q in data["questions"]] == ["sibling_kind"]


@pytest.mark.parametrize("relation", ["menantu", "anak angkat", "cucu saya", "saudara seayah",
                                      "kakak ipar"])
def test_excluded_relations_stay_refused(capsys, relation):
    code, out, _ = run(["--json", json.dumps(dict(GOOD, relation=relation)), "--no-mirror"], capsys)
    data = json.loads(out)
    assert code == 0 and data["eligible"] is False and data["reasons"] == ["relation_not_allowed"]
    assert data["questions"] == []
    assert "UU 8/2019" in data["text"]


@pytest.mark.parametrize("relation", ["", "   ", "\t\n"])
def test_an_empty_relation_is_a_clear_error(capsys, relation):
    code, out, err = run(["--json", json.dumps(dict(GOOD, relation=relation))], capsys)
    assert code == 2 and err.startswith("error: relation is missing")
    assert json.loads(out)["error"] == {"field": "relation", "reason": "missing",
                                        "message": "relation is missing"}
    assert "Traceback" not in err
