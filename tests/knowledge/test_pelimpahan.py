"""Pelimpahan assessor: every blocking reason and warning, the boundaries, relations, versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import yaml

from knowledge.pelimpahan import (
    Case,
    CaseError,
    assess_pelimpahan,
    case_from_dict,
    load_policy,
    resolve_relation,
    result_to_dict,
)
from knowledge.policy_loader import POLICY_DIR

TODAY = date(2025, 6, 1)


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def good_case(**changes) -> Case:
    base = Case(
        cause="wafat",
        event_date=date(2023, 3, 10),
        before_departure=True,
        relation="anak_kandung",
        recipient_birth_date=date(1990, 1, 1),
        submission_date=TODAY,
    )
    return replace(base, **changes)


def test_good_case_is_eligible_with_documents_steps_and_generic_office(policy):
    r = assess_pelimpahan(good_case(), policy)
    assert r.eligible and r.reasons == () and r.warnings == ()
    assert [d.key for d in r.documents] == [
        "akta_kematian", "bukti_setoran", "surat_kuasa", "sktjm",
        "identitas_keluarga", "bukti_hubungan_lain"]
    marks = {d.key: d.mark for d in r.documents}
    assert marks["akta_kematian"] == "salinan" and marks["bukti_setoran"] == "asli"
    assert marks["surat_kuasa"] == "asli" and marks["sktjm"] == "asli"
    assert marks["identitas_keluarga"] == "salinan"
    assert len(r.steps) == 4 and "rekomendasi" in r.steps[1]["id"]
    assert r.office is None
    assert r.office_text("id") == "Kankemenag kabupaten/kota tempat jemaah terdaftar"


def test_sakit_permanen_documents_start_with_government_hospital_letter(policy):
    r = assess_pelimpahan(good_case(cause="sakit_permanen"), policy)
    assert r.eligible
    first = r.documents[0]
    assert first.mark == "asli" and "rumah sakit pemerintah" in first.text_id
    assert "HK.02.01/MENKES/33/2020" in first.text_id
    assert "akta_kematian" not in [d.key for d in r.documents]


def test_office_from_regency(policy):
    r = assess_pelimpahan(good_case(regency="Kota Bengkulu"), policy)
    assert r.office == "Kankemenag Kota Bengkulu"


@pytest.mark.parametrize(
    ("died", "blocked"),
    [(date(2019, 4, 28), True), (date(2019, 4, 29), False), (date(2019, 4, 30), False)],
)
def test_death_cutoff_boundary(policy, died, blocked):
    r = assess_pelimpahan(good_case(event_date=died), policy)
    assert ("died_before_cutoff" in r.codes()) is blocked
    assert r.eligible is not blocked


def test_cutoff_applies_to_death_only(policy):
    # The seed's cut-off speaks of death; a hospital letter from 2018 is not blocked by it.
    r = assess_pelimpahan(good_case(cause="sakit_permanen", event_date=date(2018, 1, 5)), policy)
    assert r.eligible


def test_cause_not_allowed(policy):
    r = assess_pelimpahan(good_case(cause="tidak_istithaah"), policy)
    assert r.codes() == ["cause_not_allowed"]
    assert r.documents == ()


def test_after_departure(policy):
    r = assess_pelimpahan(good_case(before_departure=False), policy)
    assert r.codes() == ["after_departure"] and not r.eligible
    r = assess_pelimpahan(good_case(cause="sakit_permanen", before_departure=False), policy)
    assert r.codes() == ["after_departure"]


def test_recipient_age_boundary(policy):
    # Exactly 12 on the submission day -> allowed; one day short -> blocked.
    exactly = assess_pelimpahan(good_case(recipient_birth_date=date(2013, 6, 1)), policy)
    assert exactly.eligible and exactly.recipient_age == 12
    short = assess_pelimpahan(good_case(recipient_birth_date=date(2013, 6, 2)), policy)
    assert short.codes() == ["recipient_under_12"]
    assert short.reasons[0].detail["from_date"] == "2025-06-02"


def test_departure_needs_18_or_married_warning(policy):
    r = assess_pelimpahan(good_case(recipient_birth_date=date(2010, 1, 1)), policy)
    assert r.eligible and [w.code for w in r.warnings] == ["departure_needs_18_or_married"]
    adult = assess_pelimpahan(good_case(recipient_birth_date=date(2007, 6, 1)), policy)
    assert adult.warnings == ()


def test_already_transferred(policy):
    r = assess_pelimpahan(good_case(already_transferred=True), policy)
    assert r.codes() == ["already_transferred"]
    assert assess_pelimpahan(good_case(already_transferred=False), policy).eligible


def test_living_cost_warning_only_for_death(policy):
    r = assess_pelimpahan(good_case(received_living_cost=True), policy)
    assert r.eligible and [w.code for w in r.warnings] == ["return_living_cost"]
    assert assess_pelimpahan(good_case(received_living_cost=False), policy).warnings == ()


def test_other_porsi_cancelled_warning(policy):
    r = assess_pelimpahan(good_case(porsi_count=2), policy)
    assert [w.code for w in r.warnings] == ["other_porsi_cancelled"]
    assert assess_pelimpahan(good_case(porsi_count=1), policy).warnings == ()


def test_all_reasons_reported_together(policy):
    r = assess_pelimpahan(good_case(
        event_date=date(2019, 1, 1), before_departure=False, relation="cucu",
        recipient_birth_date=date(2020, 1, 1), already_transferred=True), policy)
    assert r.codes() == ["died_before_cutoff", "after_departure", "relation_not_allowed",
                         "recipient_under_12", "already_transferred"]


@pytest.mark.parametrize(
    ("word", "key"),
    [("suami", "suami"), ("istri saya", "istri"), ("Bapak", "ayah"), ("mama", "ibu"),
     ("anak", "anak_kandung"), ("anakku", "anak_kandung"), ("Kakak kandung", "saudara_kandung"),
     ("adik", "saudara_kandung"), ("adik laki-laki", "saudara_kandung"), ("daughter", "anak_kandung"),
     ("almarhum suami", "suami")],
)
def test_relation_synonyms(policy, word, key):
    rel = resolve_relation(word, policy)
    assert (rel.key, rel.status) == (key, "allowed")
    assert assess_pelimpahan(good_case(relation=word), policy).eligible


@pytest.mark.parametrize(
    "word", ["menantu", "cucu", "keponakan", "anak angkat", "saudara tiri", "kakak ipar",
             "ibu mertua", "anak tiri", "saudara seayah", "paman"])
def test_excluded_relations(policy, word):
    rel = resolve_relation(word, policy)
    assert rel.key is None and rel.status == "not_allowed"
    r = assess_pelimpahan(good_case(relation=word), policy)
    assert r.codes() == ["relation_not_allowed"]


@pytest.mark.parametrize("word", ["sahabat lama", "tetangga sebelah rumah", "xyz", ""])
def test_unknown_relation_words_are_refused(policy, word):
    r = assess_pelimpahan(good_case(relation=word), policy)
    assert "relation_not_allowed" in r.codes()
    assert r.reasons[0].detail["status"] in ("unknown", "not_allowed")


@pytest.mark.parametrize(("word", "code"), [("saudara", "sibling_kind"),
                                            ("mas", "sibling_or_husband"),
                                            ("ortu", "parent_which")])
def test_ambiguous_relation_words_are_asked_not_refused(policy, word, code):
    r = assess_pelimpahan(good_case(relation=word), policy)
    assert r.eligible is None and r.codes() == [] and r.questions == (code,)
    assert r.relation.status == "ambiguous" and r.relation.question == code
    out = result_to_dict(r, policy)
    assert out["eligible"] is None and [q["code"] for q in out["questions"]] == [code]
    # another reason still refuses: the question is listed, the verdict is no
    late = assess_pelimpahan(good_case(relation=word, before_departure=False), policy)
    assert late.eligible is False and late.codes() == ["after_departure"]


def test_every_rule_cites_a_source(policy):
    r = assess_pelimpahan(good_case(
        cause="wafat", event_date=date(2019, 1, 1), before_departure=False, relation="cucu",
        recipient_birth_date=date(2020, 1, 1), already_transferred=True,
        received_living_cost=True, porsi_count=3), policy)
    for f in (*r.reasons, *r.warnings):
        assert f.source and all(s in policy["sources"] for s in f.source)
    out = result_to_dict(r, policy)
    assert set(out["warnings"]) == {"return_living_cost", "other_porsi_cancelled",
                                    "departure_needs_18_or_married"}
    assert all(d["source"] for d in out["details"])


def test_new_regulation_is_a_data_change(policy, tmp_path: Path):
    """A second policy version adding saudara seayah/seibu makes them eligible, no code change."""
    data = yaml.safe_load((POLICY_DIR / "pelimpahan_2020.yaml").read_text(encoding="utf-8"))
    data["version"] = "2025"
    data["sources"]["permen_3_2025"] = {"id": "Permen Haji dan Umrah 3/2025 Pasal 27"}
    data["relations"]["allowed"]["saudara_seayah"] = {
        "id": "saudara seayah", "en": "half-sibling (same father)",
        "words": ["saudara seayah", "kakak seayah", "adik seayah"]}
    data["relations"]["not_allowed_words"].remove("seayah")
    data["relations"]["source"].append("permen_3_2025")
    (tmp_path / "pelimpahan_2020.yaml").write_text(
        (POLICY_DIR / "pelimpahan_2020.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "pelimpahan_2025.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")

    newest = load_policy(directory=tmp_path)
    assert newest["version"] == "2025"
    old = load_policy("2020", directory=tmp_path)
    case = good_case(relation="adik seayah")
    assert assess_pelimpahan(case, old).codes() == ["relation_not_allowed"]
    verdict = assess_pelimpahan(case, newest)
    assert verdict.eligible and verdict.relation.key == "saudara_seayah"
    assert verdict.policy_version == "2025"


# --- case_from_dict: what the CLI and the wizard feed in -------------------------------------

GOOD = {"cause": "wafat", "event_date": "29-04-2019", "before_departure": True,
        "relation": "istri", "recipient_birth_date": "1970-01-31"}


def test_case_from_dict_defaults_submission_to_today(policy):
    case = case_from_dict(dict(GOOD), TODAY, policy)
    assert case.submission_date == TODAY and case.event_date == date(2019, 4, 29)
    assert assess_pelimpahan(case, policy).eligible


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"cause": None}, "cause", "missing"),
        ({"cause": "hilang"}, "cause", "unknown"),
        ({"event_date": "31-02-2020"}, "event_date", "impossible"),
        ({"event_date": "2030-01-01"}, "event_date", "future"),
        ({"event_date": "kemarin"}, "event_date", "unparseable"),
        ({"recipient_birth_date": "2026-01-01"}, "recipient_birth_date", "future"),
        ({"recipient_birth_date": None}, "recipient_birth_date", "missing"),
        ({"before_departure": "mungkin"}, "before_departure", "not_a_boolean"),
        ({"relation": ""}, "relation", "missing"),
        ({"porsi": "12345"}, "porsi", "not_10_digits"),
        ({"porsi_count": 0}, "porsi_count", "not_a_positive_integer"),
        ({"submission_date": "2019-01-01"}, "event_date", "after_submission"),
    ],
)
def test_case_from_dict_names_the_field(policy, changes, field, reason):
    data = dict(GOOD)
    data.update(changes)
    with pytest.raises(CaseError) as err:
        case_from_dict(data, TODAY, policy)
    assert (err.value.field, err.value.reason) == (field, reason)


def test_case_from_dict_rejects_non_object(policy):
    with pytest.raises(CaseError) as err:
        case_from_dict([1, 2], TODAY, policy)
    assert err.value.field == "case"


def test_alternative_documents_are_one_checklist_item():
    from knowledge.pelimpahan import checklist_items, documents_for

    policy = load_policy()
    for cause in ("wafat", "sakit_permanen"):
        docs = documents_for(cause, policy)
        items = checklist_items(docs, policy)
        assert len(docs) == 6 and len(items) == 5
        proof = items[-1]
        assert proof.alternative and proof.key == "relationship_proof"
        assert [d.key for d in proof.documents] == ["identitas_keluarga", "bukti_hubungan_lain"]
        assert proof.label("id") == "Bukti hubungan keluarga"
        assert {"identitas_keluarga", "bukti_hubungan_lain"} <= proof.keys()


def test_decided_reasons_from_partial_answers(policy):
    from knowledge.pelimpahan import assess_answers, decided_reasons

    def codes(**fields):
        return [f.code for f in decided_reasons(fields, policy)]

    assert codes(cause="wafat") == []
    assert codes(cause="wafat", event_date=date(2018, 6, 15)) == ["died_before_cutoff"]
    assert codes(cause="wafat", event_date=date(2019, 4, 29)) == []
    # the cut-off is for deaths only
    assert codes(cause="sakit_permanen", event_date=date(2018, 6, 15)) == []
    assert codes(cause="lainnya") == ["cause_not_allowed"]
    assert codes(cause="wafat", event_date=date(2020, 1, 1), before_departure=False) == [
        "after_departure"]
    assert codes(before_departure=True, relation="menantu") == ["relation_not_allowed"]
    assert codes(recipient_birth_date=date(2014, 3, 2), submission_date=TODAY) == [
        "recipient_under_12"]
    assert codes(already_transferred=True) == ["already_transferred"]
    assert codes(already_transferred=None, porsi_count=3) == []

    early = assess_answers({"cause": "wafat", "event_date": date(2018, 6, 15),
                            "submission_date": TODAY, "regency": "Kota Bengkulu"}, policy)
    assert not early.eligible and early.codes() == ["died_before_cutoff"]
    assert early.reasons[0].source and early.office == "Kankemenag Kota Bengkulu"
    full = {name: getattr(good_case(), name) for name in Case.__dataclass_fields__}
    assert assess_answers(full, policy) == assess_pelimpahan(good_case(), policy)


def test_transfer_history_unknown_is_flagged(policy):
    assert not assess_pelimpahan(good_case(), policy).transfers_checked
    assert assess_pelimpahan(good_case(already_transferred=False, porsi_count=1),
                             policy).transfers_checked
    # other porsi unknown (public level): the rule is still stated
    assert not assess_pelimpahan(good_case(already_transferred=False), policy).transfers_checked


def test_public_facts_hold_what_decides_eligibility_not_other_porsi():
    from knowledge.pelimpahan import facts_from_record
    from knowledge.records import History, Identity, PilgrimRecord, WaitingList
    from knowledge.values import PilgrimStatus

    record = PilgrimRecord(porsi="0100123456", identity=Identity(status=PilgrimStatus.AKTIF),
                           waiting=WaitingList(regency="Kota Bengkulu"),
                           history=History(transferred_in=True, related_porsi=("0100999999",)))
    public = facts_from_record(record, public_only=True)
    assert public["regency"] == "Kota Bengkulu" and "porsi_count" not in public
    assert public["already_transferred"] is True and public["transferred_in"] is True
    full = facts_from_record(record)
    assert full["already_transferred"] is True and full["porsi_count"] == 2


def test_english_relation_labels_read_as_running_text(policy):
    from knowledge.pelimpahan import relation_label

    labels = [relation_label(k, policy, "en") for k in policy["relations"]["allowed"]]
    assert "full sibling" in labels and not any("(" in label for label in labels)


@pytest.mark.parametrize("kw,what", [
    ({"cause": "tidak_istithaah"}, "cause"),
    ({"cause": "batas_usia_saudi"}, "cause"),
    ({"relation": "saudara seayah"}, "relation"),
    ({"relation": "adik seibu"}, "relation"),
])
def test_where_the_2025_rule_differs_both_are_said(policy, kw, what):
    from handlers.pelimpahan.view import verdict_text

    r = assess_pelimpahan(good_case(**kw), policy)
    assert r.eligible is False  # this file's rule decides ...
    later = [w for w in r.warnings if w.code == "later_rule_differs"]
    assert len(later) == 1 and later[0].detail["what"] == what  # ... and the later one is said
    assert later[0].source == ("permen_hu_3_2025",)
    text = verdict_text(r, policy, "id")
    assert "Permen Haji dan Umrah 3/2025 Pasal 27" in text and "pastikan" in text
    assert "UU 8/2019" in text


@pytest.mark.parametrize("kw", [{"relation": "menantu"}, {"relation": "cucu"}, {}])
def test_no_later_rule_note_where_the_rules_agree(policy, kw):
    r = assess_pelimpahan(good_case(**kw), policy)
    assert not [w for w in r.warnings if w.code == "later_rule_differs"]
