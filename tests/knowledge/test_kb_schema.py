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


def _alone(raw_items):
    """A valid entry that can be parsed on its own (no links to other entries)."""
    e = _valid(raw_items)
    e["related"] = []
    return e


def test_real_kb_loads_and_covers_the_required_topics():
    kb = load_kb()
    assert set(kb.ids()) >= REQUIRED_IDS
    assert len(kb) >= 55


def test_every_entry_has_source_paraphrases_and_an_answer():
    for e in load_kb().entries:
        assert e.source, e.id
        assert len(e.paraphrases) >= 3, e.id
        assert e.answer.id.strip() and e.source_line(), e.id


def test_every_entry_speaks_english_too():
    # an English question is answered in English, title and buttons included: no entry may
    # fall back to its Indonesian question
    for e in load_kb().entries:
        assert e.question.en and e.answer.en, e.id


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
    bad["source"] = [{"regulation": "Permen Haji dan Umrah 3/2025", "section": "Pasal 27",
                      "checked": "2026-12-06"}]
    with pytest.raises(KBError, match="later rule"):
        parse_entries([("siskohat.yaml", bad)])


def test_confirm_requires_time_sensitive(raw_items):
    bad = _valid(raw_items)
    bad["source"] = [{"regulation": "Permen Haji dan Umrah 3/2025", "section": "Pasal 27",
                      "checked": "2026-12-06", "confirm": True}]
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
    with pytest.raises(KBError, match=r"rusak\.yaml: YAML error"):
        load_kb(tmp_path)


# --- every source can be checked (issue 12, part 6) --------------------------------------------
def test_no_entry_cites_an_internal_summary_and_every_source_is_checkable():
    for e in load_kb().entries:
        for s in e.source:
            assert s.doc != "DOMAIN.md", e.id
            assert (s.doc and s.section) or (s.regulation and s.section) or s.url, (e.id, s)
            if not s.doc:
                assert s.checked is not None, (e.id, s)
        assert "Ringkasan aturan" not in e.source_line(), e.id


def test_domain_md_source_fails(raw_items):
    bad = _valid(raw_items)
    bad["source"] = [{"doc": "DOMAIN.md", "section": "Actors and systems"}]
    with pytest.raises(KBError, match="internal summary"):
        parse_entries([("siskohat.yaml", bad)])


@pytest.mark.parametrize("source, message", [
    ({"doc": "000_f1542f33e8ff6ddb.txt"}, "needs `section`"),
    ({"regulation": "UU 8/2019", "checked": "2026-12-06"}, "its article"),
    ({"regulation": "UU 8/2019", "section": "Pasal 5"}, "checked"),
    ({"url": "https://haji.go.id", "title": "Kementerian Haji dan Umrah"}, "checked"),
    ({"url": "https://haji.go.id", "checked": "2026-12-06"}, "needs `title`"),
    ({"url": "haji dot go dot id", "title": "x", "checked": "2026-12-06"}, "not a web address"),
    ({"section": "Pasal 5"}, "needs `doc`, `regulation` or `url`"),
    ({"url": "https://haji.go.id", "title": "x", "checked": "2999-01-01"}, "in the future"),
])
def test_uncheckable_source_fails(raw_items, source, message):
    bad = _valid(raw_items)
    bad["source"] = [source]
    with pytest.raises(KBError, match=message):
        parse_entries([("siskohat.yaml", bad)])


def test_checked_page_and_regulation_sources_pass(raw_items):
    ok = _alone(raw_items)
    ok["source"] = [
        {"url": "https://haji.go.id", "title": "Kementerian Haji dan Umrah", "checked": "2026-12-06"},
        {"regulation": "UU 8/2019", "section": "Pasal 5", "checked": "2026-12-06"},
        {"doc": "000_f1542f33e8ff6ddb.txt", "section": "Sinkronisasi Data Siskohat"},
    ]
    kb = parse_entries([("siskohat.yaml", ok)])
    line = kb["siskohat"].source_line()
    assert "https://haji.go.id" in line and "UU 8/2019 Pasal 5" in line and "(2018)" in line


# --- yearly figures carry their year and say they are the last known ----------------------------
def _with_answer(raw_items, id_text, en_text, **extra):
    e = _alone(raw_items)
    e["answer"] = {"id": id_text, "en": en_text}
    e.update(extra)
    return e


def test_unmarked_yearly_figure_fails(raw_items):
    bad = _with_answer(raw_items, "Kuota reguler 2025: 203.320 dari 221.000.",
                       "Regular quota 2025: 203,320 of 221,000.")
    with pytest.raises(KBError, match="yearly_figures"):
        parse_entries([("siskohat.yaml", bad)])


def test_yearly_figure_without_the_marker_fails(raw_items):
    bad = _with_answer(raw_items, "Kuota reguler 2025: 203.320.", "Regular quota 2025: 203,320.",
                       yearly_figures=True)
    with pytest.raises(KBError) as exc:
        parse_entries([("siskohat.yaml", bad)])
    assert "angka terakhir yang kami ketahui" in str(exc.value)
    assert "latest figure we know" in str(exc.value)


def test_figure_without_its_year_fails(raw_items):
    bad = _with_answer(raw_items, "Kuota reguler: 203.320.", "Regular quota: 203,320.")
    with pytest.raises(KBError, match="without the year"):
        parse_entries([("siskohat.yaml", bad)])


@pytest.mark.parametrize("text", [
    "Biaya haji 2025: Rp 55.431.750.", "Sekitar 5,46 juta jemaah menunggu (Oktober 2025).",
    "Prioritas lansia 1447 H: 5% dari kuota provinsi.",
])
def test_yearly_figure_kinds_are_found(raw_items, text):
    bad = _with_answer(raw_items, text, text)
    with pytest.raises(KBError, match="yearly figure"):
        parse_entries([("siskohat.yaml", bad)])


def test_marked_yearly_figure_and_non_figures_pass(raw_items):
    ok = _with_answer(
        raw_items,
        "Kuota reguler 1447 H/2026: 203.320 — angka terakhir yang kami ketahui; tanyakan angka "
        "musim ini di kantor.\n• Setoran awal minimal Rp 25 juta.\n• Meninggal pada/setelah "
        "29 April 2019 (UU 8/2019).",
        "Regular quota 1447 H/2026: 203,320 — the latest figure we know.", yearly_figures=True)
    parse_entries([("siskohat.yaml", ok)])
    plain = _with_answer(raw_items, "Setoran awal minimal Rp 25 juta; berlaku UU 8/2019.",
                         "At least Rp 25 million; see UU 8/2019.")
    parse_entries([("siskohat.yaml", plain)])


def test_yearly_flag_without_a_figure_fails(raw_items):
    bad = _valid(raw_items)
    bad["yearly_figures"] = True
    with pytest.raises(KBError, match="no answer names a figure"):
        parse_entries([("siskohat.yaml", bad)])


def test_real_kb_states_yearly_figures_as_last_known():
    kb = load_kb()
    assert kb["kuota"].yearly_figures and kb["daftar-tunggu"].yearly_figures
    assert "angka terakhir yang kami ketahui" in kb["kuota"].answer.id
    assert "203.320" in kb["kuota"].answer.id and "2026" in kb["kuota"].answer.id


# --- no repeated sentence, no caveat twice ------------------------------------------------------
def test_repeated_sentence_fails(raw_items):
    bad = _with_answer(raw_items,
                       "Siskohat adalah sistem haji.\n• Data dicatat di sana.\n• siskohat  ADALAH "
                       "sistem haji!", "Siskohat is the hajj system.")
    with pytest.raises(KBError, match="repeats the sentence"):
        parse_entries([("siskohat.yaml", bad)])


def test_caveat_twice_fails(raw_items):
    bad = _with_answer(raw_items,
                       "Aturan baru berlaku; pastikan dulu ke Kankemenag.\n• Jemaah melunasi pada "
                       "Tahap II.\n• Pastikan ke Kankemenag sebelum mengandalkannya.",
                       "A new rule applies.")
    with pytest.raises(KBError, match="caveat appears twice"):
        parse_entries([("siskohat.yaml", bad)])


def test_caveat_in_answer_and_template_fails(raw_items):
    bad = _with_answer(raw_items, "Jeda 18 tahun; pastikan dulu ke Kankemenag.", "An 18-year gap.",
                       time_sensitive=True)
    bad["source"] = [{"regulation": "Permen Haji dan Umrah 3/2025", "section": "Pasal 2",
                      "checked": "2026-12-06", "confirm": True}]
    with pytest.raises(KBError, match="template adds one"):
        parse_entries([("siskohat.yaml", bad)])


# --- facts fixed in issue 12 --------------------------------------------------------------------
def test_siskohat_daily_batch_is_never_told_as_how_it_works():
    kb = load_kb()
    for e in kb.entries:
        for text in (e.answer.id, e.answer.en or ""):
            low = text.lower()
            assert "membaca data kesehatan secara batch" not in low, e.id
            assert "reads health data in a daily batch" not in low, e.id
    integ = kb["siskohat-integrasi"].answer.id.lower()
    assert "usulan" in integ and "on-demand" in integ


def test_2024_change_is_the_order_not_a_new_requirement():
    for e in load_kb().entries:
        assert "sejak 2024 istithaah diwajibkan" not in e.answer.id.lower(), e.id
        assert "since 2024 istithaah is required" not in (e.answer.en or "").lower(), e.id


def test_no_answer_sends_people_to_the_kemenag_website():
    for e in load_kb().entries:
        for text in (e.answer.id, e.answer.en or ""):
            low = text.lower()
            assert "web kemenag" not in low and "situs kemenag" not in low, e.id
            assert "kemenag website" not in low and "pengumuman resmi kemenag" not in low, e.id


def test_ministry_entry_names_the_new_ministry_and_its_sources():
    e = load_kb()["kementerian-haji"]
    assert "Kementerian Haji dan Umrah" in e.answer.id and "haji.go.id" in e.answer.id
    regs = {s.regulation for s in e.source}
    assert {"UU 14/2025", "Perpres 92/2025"} <= regs
    assert e.refers_to_office
