"""The DOCX drafts: each opens with python-docx, carries the draft mark, the names and the porsi
entered, the signature places; the markup parser and the summary's checklist."""

from __future__ import annotations

import io
from datetime import date

import docx
import pytest

from handlers.pelimpahan.docs import (
    KINDS,
    LETTERS,
    Block,
    build_docx,
    clean_name,
    parse_markup,
    render_document,
)
from handlers.pelimpahan.view import checklist_context, verdict_context
from knowledge.pelimpahan import Case, assess_pelimpahan, load_policy

DRAFT = "DRAF — periksa kembali dengan format Kankemenag setempat"


def text_of(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    cells = [c.text for t in d.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


@pytest.fixture(scope="module")
def values():
    policy = load_policy()
    result = assess_pelimpahan(Case(
        cause="wafat", event_date=date(2023, 3, 10), before_departure=True,
        relation="istri", recipient_birth_date=date(1970, 5, 2),
        submission_date=date(2025, 6, 1), regency="Kab. Rejang Lebong"), policy)
    ctx = verdict_context(result, policy, "id")
    return dict(
        today="1 Juni 2025", regency="Kab. Rejang Lebong", recipient_name="Siti O'Brien & <Putri>",
        pilgrim_name="H. Ahmad Dahlan", recipient_birth_date="2 Mei 1970", relation="istri",
        porsi="0700123456", cause="wafat", event_date="10 Maret 2023",
        documents=ctx["documents"],
        allowed_relations=", ".join(ctx["allowed_relations"]),
    )


@pytest.mark.parametrize("kind", LETTERS)
def test_letters_open_and_carry_names_porsi_and_draft_mark(values, kind):
    text = text_of(render_document(kind, "id", **values))
    assert DRAFT in text
    assert "Siti O'Brien & <Putri>" in text  # unescaped, literally
    assert "H. Ahmad Dahlan" in text and "0700123456" in text
    assert "istri" in text


def test_permohonan_goes_to_the_kankemenag_of_registration_and_lists_documents(values):
    text = text_of(render_document("permohonan", "id", **values))
    assert "Kepala Kantor Kementerian Haji dan Umrah Kab. Rejang Lebong" in text
    assert "Akta kematian" in text and "Meninggal dunia pada tanggal 10 Maret 2023" in text


def test_kuasa_has_family_signatures_and_rt_rw_lurah(values):
    d = docx.Document(io.BytesIO(render_document("kuasa", "id", **values)))
    headers = [c.text for c in d.tables[0].rows[0].cells]
    assert headers == ["No", "Nama", "Hubungan dengan jemaah", "Tanda tangan"]
    assert len(d.tables[0].rows) == 6  # header + 5 family members
    text = text_of(render_document("kuasa", "id", **values))
    for who in ("Ketua RT", "Ketua RW", "Lurah/Kepala Desa", "Penerima kuasa"):
        assert who in text
    assert "MENINGGAL DUNIA" in text


def test_sakit_permanen_letters_name_the_hospital_letter(values):
    v = dict(values, cause="sakit_permanen")
    assert "SAKIT PERMANEN" in text_of(render_document("kuasa", "id", **v))
    text = text_of(render_document("sktjm", "id", **v))
    assert "living cost" not in text  # that rule is about deaths
    assert "living cost" in text_of(render_document("sktjm", "id", **values))


def test_unknown_names_leave_dotted_blanks(values):
    v = dict(values, recipient_name="", pilgrim_name="", porsi="")
    text = text_of(render_document("sktjm", "id", **v))
    assert "Nama jemaah\t: ......" in text and "Nomor porsi\t: ......" in text


def test_summary_shows_checklist_progress():
    docs = [{"key": "a", "options": [{"text": "Akta kematian", "mark": "salinan"}]},
            {"key": "b", "options": [{"text": "Bukti setoran", "mark": "asli"}]}]
    values = dict(today="1 Juni 2025", porsi="0700123456", cause="wafat", eligible=True,
                  office="Kankemenag Kota Bengkulu", verdict_lines=["Langkah 1"],
                  **checklist_context(docs, {"a": True}))
    text = text_of(render_document("summary", "id", **values))
    assert "1 dari 2 dokumen siap" in text
    assert "☑ Akta kematian" in text and "☐ Bukti setoran" in text
    assert "Kankemenag Kota Bengkulu" in text and "0700123456" in text
    en = text_of(render_document("summary", "en", **values))
    assert "1 of 2 documents ready" in en


def test_summary_of_a_refusal_lists_no_documents():
    docs = [{"key": "a", "options": [{"text": "Akta kematian", "mark": "salinan"}]}]
    values = dict(today="1 Juni 2025", porsi="", cause="wafat", eligible=False,
                  office="Kankemenag kabupaten/kota", verdict_lines=["Jemaah wafat 2018"],
                  **checklist_context(docs, {}))
    for lang in ("id", "en"):
        text = text_of(render_document("summary", lang, **values))
        assert "Jemaah wafat 2018" in text and "Akta kematian" not in text


def test_markup_parser():
    blocks = parse_markup("!! D\n# T\n## B\n> R\n- x\n: a | b\n%% h1 | h2 @3\n|| r ; n | s ;\n~\np")
    assert [b.kind for b in blocks] == ["banner", "title", "bold", "right", "bullet", "field",
                                        "table", "sign", "blank", "para"]
    assert blocks[5].parts == ("a", "b") and blocks[6].rows == 3
    data = build_docx([Block("para", ("halo",))])
    assert "halo" in text_of(data)


def test_unknown_kind():
    with pytest.raises(ValueError):
        render_document("surat_cinta", "id")
    assert set(KINDS) == {"permohonan", "kuasa", "sktjm", "summary"}


def test_clean_name_drops_separators_controls_and_caps_the_length():
    assert clean_name("  Siti | Aminah ;\tbinti\x00 Ahmad\u200b\n") == "Siti Aminah binti Ahmad"
    assert clean_name("Siti\u2028Aminah\x1f") == "Siti Aminah"
    assert clean_name("Siti O'Brien & <Putri>") == "Siti O'Brien & <Putri>"  # kept: escaped later
    long = clean_name("Abdurrahman " * 20)
    assert len(long) <= 100 and long.endswith("Abdurrahman")  # cut at a word
    assert clean_name(None) == "" and clean_name(" | ; ") == ""


@pytest.mark.parametrize("kind", LETTERS)
def test_separators_in_a_typed_name_do_not_split_the_signature_block(values, kind):
    v = dict(values, recipient_name="Nur Aisyah | Ketua RT ; Palsu\nX", pilgrim_name="H. A|B")
    d = docx.Document(io.BytesIO(render_document(kind, "id", **v)))
    signs = [t for t in d.tables if "( " in t.rows[0].cells[0].text
             and "Nur Aisyah" in t.rows[0].cells[0].text]
    assert len(signs) == 1
    assert len(signs[0].rows[0].cells) == 1  # one signature block, not split in two
    assert "( Nur Aisyah Ketua RT Palsu X )" in signs[0].rows[0].cells[0].text
    text = text_of(render_document(kind, "id", **v))
    assert "|" not in text and "H. A B" in text
