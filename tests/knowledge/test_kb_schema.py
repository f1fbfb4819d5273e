"""The knowledge base loads, every entry is sourced, and malformed content fails the check."""

from __future__ import annotations

import copy

import pytest
import yaml

from knowledge.kb_schema import KB_DIR, KBError, load_kb, parse_entries, read_dir

# Topics other features link to ("related entries"): renaming one is an interface change.
REQUIRED_IDS = {
    # every pelunasan edge case of seed 000
    "pelunasan-hasil-belum-diinput", "pelunasan-belum-di-siskohat", "pelunasan-porsi-ganda",
    "pelunasan-pendamping-lansia", "pelunasan-tempat-periksa-tutup",
    "pelunasan-istithaah-sementara", "pelunasan-jemaah-wafat",
    "pelunasan-tahap-1", "pelunasan-tahap-2", "pelunasan-siapa-boleh", "istithaah-kategori",
    "vaksin-meningitis", "spma", "tidak-laik-terbang", "lunas-tunda", "jemaah-cadangan",
    "penggabungan", "gagal-bayar", "usia-minimal",
    # pelimpahan: provisions, documents for both causes, procedure, office
    "pelimpahan-apa", "pelimpahan-penerima", "pelimpahan-batas-waktu", "pelimpahan-living-cost",
    "pelimpahan-tempat", "pelimpahan-sekali", "pelimpahan-porsi-ganda", "pelimpahan-prosedur",
    "pelimpahan-usia-penerima", "pelimpahan-bank", "pelimpahan-dokumen-wafat",
    "pelimpahan-dokumen-sakit-permanen", "pelimpahan-surat-kuasa", "pelimpahan-sptjm",
    "pelimpahan-aturan-baru",
    # registration, terms, status, services
    "daftar-syarat", "setoran-awal", "pas-foto", "siskohat", "siskohatkes", "nomor-porsi",
    "bps-bpih", "kloter", "dapih", "kanwil", "cek-status", "estimasi-keberangkatan",
    "daftar-tunggu", "kuota", "pembatalan", "lupa-nomor-porsi", "data-salah", "pindah-domisili",
    "lansia-prioritas", "pendamping-lansia-syarat", "jam-layanan", "hubungi-petugas",
}


@pytest.fixture(scope="module")
def raw_items():
    return read_dir(KB_DIR)


def _valid(raw_items, entry_id="siskohat"):
    return copy.deepcopy(dict(raw_items)[f"{entry_id}.yaml"])


def test_real_kb_loads_and_covers_the_required_topics():
    kb = load_kb()
    assert REQUIRED_IDS <= set(kb.ids())
    assert len(kb) >= 55


def test_every_entry_has_source_paraphrases_and_an_answer():
    for e in load_kb().entries:
        assert e.source, e.id
        assert len(e.paraphrases) >= 3, e.id
        assert e.answer.id.strip() and e.source_line(), e.id


def test_silent_sources_point_to_the_office_or_a_human():
    for e in load_kb().entries:
        if e.refers_to_office:
            assert "kankemenag" in e.answer.id.lower() or "/petugas" in e.answer.id, e.id


def test_later_rules_are_time_sensitive_and_confirmed():
    kb = load_kb()
    for e in kb.entries:
        if any(s.regulation == "Permen Haji dan Umrah 3/2025" for s in e.source):
            assert e.time_sensitive and e.needs_confirmation(), e.id


def test_callback_data_fits_telegram_limit():
    for entry_id in load_kb().ids():
        assert len(f"faq:pick:{entry_id}".encode()) <= 64


def test_paraphrases_do_not_copy_the_dev_set():
    import json
    import re

    from tests.conftest import shared_file

    def words(text: str) -> str:  # punctuation and spacing do not make a sentence new
        return " ".join(re.findall(r"\w+", text.lower()))

    dev = shared_file("eval/faq_dev.jsonl")
    questions = {words(json.loads(line)["q"]) for line in dev.open() if line.strip()}
    copied = [(e.id, text) for e in load_kb().entries for text in e.texts_for_matching()
              if words(text) in questions]
    assert copied == []


def test_unsourced_entry_fails(raw_items):
    bad = _valid(raw_items)
    bad["source"] = []
    with pytest.raises(KBError, match="source"):
        parse_entries([("siskohat.yaml", bad)])


def test_unknown_source_document_fails(raw_items):
    bad = _valid(raw_items)
    bad["source"] = [{"doc": "wikipedia.txt"}]
    with pytest.raises(KBError, match="unknown source document"):
        parse_entries([("siskohat.yaml", bad)])


def test_later_rule_without_confirm_fails(raw_items):
    bad = _valid(raw_items)
    bad["source"] = [{"regulation": "Permen Haji dan Umrah 3/2025"}]
    with pytest.raises(KBError, match="later rule"):
        parse_entries([("siskohat.yaml", bad)])


def test_confirm_requires_time_sensitive(raw_items):
    bad = _valid(raw_items)
    bad["source"] = [{"regulation": "Permen Haji dan Umrah 3/2025", "confirm": True}]
    bad["time_sensitive"] = False
    with pytest.raises(KBError, match="time_sensitive"):
        parse_entries([("siskohat.yaml", bad)])


def test_duplicate_ids_fail(raw_items):
    a = _valid(raw_items)
    with pytest.raises(KBError, match="duplicate id"):
        parse_entries([("a.yml.txt", a), ("b.yml.txt", copy.deepcopy(a))])


def test_related_id_must_exist(raw_items):
    bad = _valid(raw_items)
    bad["related"] = ["tidak-ada"]
    with pytest.raises(KBError, match="related id 'tidak-ada' does not exist"):
        parse_entries([("siskohat.yaml", bad)])


def test_missing_fields_and_extra_keys_fail(raw_items):
    bad = _valid(raw_items)
    del bad["answer"]
    bad["jawaban"] = "x"
    with pytest.raises(KBError) as exc:
        parse_entries([("siskohat.yaml", bad)])
    text = str(exc.value)
    assert "answer" in text and "jawaban" in text


def test_id_must_match_file_name(raw_items):
    with pytest.raises(KBError, match="differs from the file name"):
        parse_entries([("other.yaml", _valid(raw_items))])


def test_broken_yaml_file_is_reported(tmp_path, raw_items):
    (tmp_path / "siskohat.yaml").write_text(yaml.safe_dump(_valid(raw_items)), encoding="utf-8")
    (tmp_path / "rusak.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(KBError, match="rusak.yaml: YAML error"):
        load_kb(tmp_path)
