"""Editable DOCX drafts for a pelimpahan: the three letters and the one-page summary.

The wording lives in templates (`pelimpahan_doc_<kind>.j2`) written in a small line markup;
`build_docx(blocks)` turns plain blocks into a python-docx document, so this module holds no
sentence of its own and takes plain data only (no telegram, no database).

Line markup (one block per line, blank lines ignored):
    !! text                  draft banner (bold, red, centred)
    # text                   title (bold, centred)
    ## text                  bold paragraph
    > text                   right-aligned line (place and date)
    - text                   bullet
    : label | value          a field line ("label : value")
    %% a | b | c @5          a bordered table with these headers and 5 empty rows
    || role ; name | ...     signature blocks side by side (role, room to sign, name)
    ~                        an empty line
    anything else            a justified paragraph
"""

from __future__ import annotations

import html
import io
import unicodedata
from dataclasses import dataclass

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt, RGBColor

from handlers.base import render

LETTERS = ("permohonan", "kuasa", "sktjm")
KINDS = (*LETTERS, "summary")
_DRAFT_RED = RGBColor(0xC0, 0x00, 0x00)


NAME_FIELDS = ("recipient_name", "pilgrim_name")  # typed by the person, put into the letters
MAX_NAME = 100
# Characters the line markup splits on: " | " between fields, table cells and signature blocks,
# ";" between a signature's role and name. In a name they would split or shift the blocks.
_MARKUP_SEPARATORS = frozenset("|;")


def clean_name(text: str | None) -> str:
    """A typed name made safe for the letters: control and invisible format characters and the
    markup's separators dropped (as spaces), whitespace collapsed to single spaces on one line,
    at most MAX_NAME characters (cut at a word where possible)."""
    chars = []
    for ch in str(text or ""):
        category = unicodedata.category(ch)
        if ch in _MARKUP_SEPARATORS or category in ("Cc", "Zl", "Zp"):
            chars.append(" ")  # a separator between words stays a word break
        elif category not in ("Cf", "Cs", "Co", "Cn"):  # zero-width, surrogates, unassigned
            chars.append(ch)
    name = " ".join("".join(chars).split())
    if len(name) > MAX_NAME:
        cut = name[:MAX_NAME + 1].rsplit(" ", 1)[0]
        name = (cut if len(cut) >= MAX_NAME // 2 else name[:MAX_NAME]).rstrip()
    return name


@dataclass(frozen=True, slots=True)
class Block:
    kind: str  # banner | title | bold | right | bullet | field | table | sign | blank | para
    parts: tuple[str, ...]
    rows: int = 0


def parse_markup(text: str) -> list[Block]:
    blocks: list[Block] = []
    for raw in text.splitlines():
        line = html.unescape(raw.strip())  # templates autoescape; a DOCX wants the characters
        if not line:
            continue
        if line == "~":
            blocks.append(Block("blank", ()))
        elif line.startswith("!! "):
            blocks.append(Block("banner", (line[3:],)))
        elif line.startswith("## "):
            blocks.append(Block("bold", (line[3:],)))
        elif line.startswith("# "):
            blocks.append(Block("title", (line[2:],)))
        elif line.startswith("> "):
            blocks.append(Block("right", (line[2:],)))
        elif line.startswith("- "):
            blocks.append(Block("bullet", (line[2:],)))
        elif line.startswith(": "):
            label, _, value = line[2:].partition(" | ")
            blocks.append(Block("field", (label.strip(), value.strip())))
        elif line.startswith("%% "):
            body, _, count = line[3:].rpartition(" @")
            if not body:
                body, count = line[3:], "0"
            blocks.append(Block("table", tuple(c.strip() for c in body.split(" | ")),
                                int(count or 0)))
        elif line.startswith("|| "):
            blocks.append(Block("sign", tuple(c.strip() for c in line[3:].split(" | "))))
        else:
            blocks.append(Block("para", (line,)))
    return blocks


def build_docx(blocks: list[Block]) -> bytes:
    doc = Document()
    for section in doc.sections:
        section.left_margin = section.right_margin = Cm(2.5)
        section.top_margin = section.bottom_margin = Cm(2)
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(12)
    style.paragraph_format.space_after = Pt(4)
    for block in blocks:
        _add(doc, block)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _add(doc, block: Block) -> None:
    kind, parts = block.kind, block.parts
    if kind == "banner":
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(parts[0])
        run.bold = True
        run.font.color.rgb = _DRAFT_RED
    elif kind == "title":
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(parts[0])
        run.bold = True
        run.font.size = Pt(13)
    elif kind == "bold":
        doc.add_paragraph().add_run(parts[0]).bold = True
    elif kind == "right":
        doc.add_paragraph(parts[0]).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    elif kind == "bullet":
        doc.add_paragraph(parts[0], style="List Bullet")
    elif kind == "field":
        p = doc.add_paragraph()
        p.paragraph_format.left_indent = Cm(0.5)
        p.paragraph_format.tab_stops.add_tab_stop(Cm(6))
        p.paragraph_format.space_after = Pt(0)
        p.add_run(f"{parts[0]}\t: {parts[1]}")
    elif kind == "table":
        table = doc.add_table(rows=1 + block.rows, cols=len(parts))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, parts, strict=True):
            cell.text = text
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for i, row in enumerate(table.rows[1:], start=1):
            row.cells[0].text = f"{i}."
            row.height = Cm(1.2)
        doc.add_paragraph()
    elif kind == "sign":
        table = doc.add_table(rows=1, cols=len(parts))
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(table.rows[0].cells, parts, strict=True):
            role, _, name = (t.strip() for t in text.partition(";"))
            cell.paragraphs[0].text = role
            for _ in range(3):  # room for the signature
                cell.add_paragraph()
            cell.add_paragraph(f"( {name or '.' * 25} )")
            for para in cell.paragraphs:
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        doc.add_paragraph()
    elif kind == "blank":
        doc.add_paragraph()
    else:
        doc.add_paragraph(parts[0]).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY


def render_document(kind: str, lang: str, **values) -> bytes:
    """One of KINDS as DOCX bytes; letters are Indonesian (they go to the Kankemenag)."""
    if kind not in KINDS:
        raise ValueError(f"unknown document {kind!r}")
    for field in NAME_FIELDS:  # whoever calls, a typed name cannot break the line markup
        if field in values:
            values[field] = clean_name(values[field])
    text = render("id" if kind in LETTERS else lang, f"pelimpahan_doc_{kind}.j2", **values)
    return build_docx(parse_markup(text))


def file_name(kind: str, lang: str = "id") -> str:
    return render(lang, "pelimpahan_label.j2", key=f"file_{kind}")
