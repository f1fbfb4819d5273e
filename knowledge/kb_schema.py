"""FAQ knowledge base: the entry schema, the loader and the whole-KB checks.

One YAML file per topic in `knowledge/kb/` (file name = entry id). Every entry names the source
its facts rest on; `load_kb()` (and so `hajibot kb check`) refuses a malformed or unsourced entry,
a duplicate id and a `related` id that does not exist, and also:

* **an uncheckable source.** A source is one a pilgrim or officer can look up: a seed document
  with its `section` (`doc` + `section`), a regulation with its article (`regulation` +
  `section`, e.g. "Pasal 27"), or a public page (`url` + `title`). The project's own summary
  (DOMAIN.md) is not a source. Every non-seed source (a regulation or a page) carries
  `checked: YYYY-MM-DD`, the day someone read it and found the fact there (never in the future).
* **an unmarked yearly figure.** A sentence holds a *yearly figure* when it names a year
  (19xx/20xx, or 14xx H) and a figure: a number with thousands separators (203.320, 5.457.648),
  a rupiah amount (Rp ...), a count in juta/ribu/million/thousand, or a percentage. An answer
  with one must set `yearly_figures: true`, and such an entry must say in each language that the
  figure is the last one known (`YEARLY_MARKERS`: "angka terakhir yang kami ketahui" /
  "latest figure we know"), so "kuota reguler 2025: 203.320" is never read as this season's.
  A number with thousands separators in an answer that names no year at all also fails: a
  quota, cost or count must carry its year. Fixed amounts written without separators
  ("Rp 25 juta" setoran awal) and dates ("29 April 2019") are not yearly figures.
* **a repeated sentence.** Each answer (per language) is split into sentences at line breaks,
  bullets and . ! ? ; a sentence of three words or more that appears twice once normalised
  (case, punctuation, spacing) fails.
* **a caveat said twice.** A caveat is a sentence asking the person to confirm before relying on
  the answer (`CAVEAT_RE`: "pastikan", "konfirmasi", "sebelum diandalkan" / "confirm",
  "before relying"). At most one per answer, and none when the entry cites a rule to confirm
  (`confirm: true`): the answer template then adds its own caveat.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from knowledge.yaml_load import safe_load

KB_DIR = Path(__file__).with_name("kb")

# What an answer may rest on: the two seed documents (title, year, section), the regulations below
# (number, article) and public pages (URL). Anything else, the project's own DOMAIN.md included, is
# an unsourced fact.
SEED_DOCS = {
    "000_f1542f33e8ff6ddb.txt": "Paparan Kemenag: Evaluasi Integrasi Siskohat–Siskohatkes (2018)",
    "003_07e25880a1c89b4c.txt": "Skripsi UIN FAS Bengkulu tentang Siskohat dan pelimpahan porsi (2022)",
}
INTERNAL_DOCS = {"DOMAIN.md"}  # summaries no pilgrim can look up: never a source
REGULATIONS = {
    "UU 8/2019": "Undang-Undang Nomor 8 Tahun 2019 tentang Penyelenggaraan Ibadah Haji dan Umrah",
    "UU 14/2025": "Undang-Undang Nomor 14 Tahun 2025 (perubahan ketiga atas UU 8/2019)",
    "UU 34/2014": "Undang-Undang Nomor 34 Tahun 2014 tentang Pengelolaan Keuangan Haji",
    "Perpres 92/2025": "Peraturan Presiden Nomor 92 Tahun 2025 tentang Kementerian Haji dan Umrah",
    "Kepdirjen PHU 130/2020": "Keputusan Dirjen PHU Nomor 130 Tahun 2020 (pelimpahan nomor porsi)",
    "Permenkes 15/2016": "Peraturan Menteri Kesehatan Nomor 15 Tahun 2016 (istithaah kesehatan)",
    "KMK HK.01.07/MENKES/2118/2023": "Keputusan Menkes tentang standar teknis pemeriksaan "
                                     "kesehatan untuk penetapan status istithaah",
    "SE Menkes HK.02.01/MENKES/33/2020": "Surat Edaran Menkes tentang kategori sakit permanen",
    "Permen Haji dan Umrah 3/2025": "Peraturan Menteri Haji dan Umrah Nomor 3 Tahun 2025",
}
# Later rules DOMAIN.md marks "confirm before relying on them": an entry citing one is time-sensitive.
LATER_RULES = {"Permen Haji dan Umrah 3/2025"}

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class KBError(ValueError):
    """The knowledge base is malformed; `problems` lists every finding (file: message)."""

    def __init__(self, problems: list[str]):
        super().__init__("knowledge base invalid:\n- " + "\n- ".join(problems))
        self.problems = problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Texts(_Strict):
    id: str = Field(min_length=3)
    en: str | None = None


class Source(_Strict):
    doc: str | None = None  # a seed file name (SEED_DOCS)
    regulation: str | None = None  # a key of REGULATIONS
    section: str | None = None  # where in it: the seed's section, the regulation's article
    url: str | None = None  # a public page (with `title`), or where the regulation can be read
    title: str | None = None  # the page's title (url sources)
    checked: date | None = None  # when a non-seed source was read and found to say this
    confirm: bool = False  # "confirm before relying on it" (later rules)

    @model_validator(mode="after")
    def _checkable(self) -> Source:
        if self.doc in INTERNAL_DOCS:
            raise ValueError(f"{self.doc} is an internal summary no pilgrim can look up: cite the "
                             "seed document, regulation or page behind it")
        if not (self.doc or self.regulation or self.url):
            raise ValueError("a source needs `doc`, `regulation` or `url`")
        if self.doc and (self.regulation or self.url):
            raise ValueError("a seed source is `doc` + `section` alone")
        if self.doc and self.doc not in SEED_DOCS:
            raise ValueError(f"unknown source document {self.doc!r} (known: {sorted(SEED_DOCS)})")
        if self.doc and not self.section:
            raise ValueError(f"uncheckable source: seed {self.doc} needs `section`")
        if self.regulation and self.regulation not in REGULATIONS:
            raise ValueError(f"unknown regulation {self.regulation!r} (known: {sorted(REGULATIONS)})")
        if self.regulation and not self.section:
            raise ValueError(f"uncheckable source: {self.regulation} needs `section` (its article)")
        if self.url and not re.match(r"^https?://[^\s/]+\.[^\s]+$", self.url):
            raise ValueError(f"uncheckable source: {self.url!r} is not a web address")
        if self.url and not self.regulation and not self.title:
            raise ValueError("a page source needs `title`")
        if not self.doc and self.checked is None:
            raise ValueError("a regulation or page source needs `checked: YYYY-MM-DD` "
                             "(the day it was read)")
        if self.checked and self.checked > date.today():
            raise ValueError(f"`checked` {self.checked} is in the future")
        if self.regulation in LATER_RULES and not self.confirm:
            raise ValueError(f"{self.regulation} is a later rule: set `confirm: true`")
        return self

    def label(self) -> str:
        """What a pilgrim reads on the source line (the document's title, not its file name)."""
        if self.regulation:
            return f"{self.regulation} {self.section}"
        if self.url:
            return f"{self.title}, {self.url}"
        return f"{SEED_DOCS[self.doc or '']}: {self.section}"


class Entry(_Strict):
    id: str
    group: Literal[
        "pelunasan", "kesehatan", "pelimpahan", "pendaftaran", "istilah", "status",
        "layanan",
    ]
    question: Texts
    paraphrases: tuple[str, ...] = Field(min_length=3)
    keywords: tuple[str, ...] = Field(min_length=1)
    answer: Texts
    source: tuple[Source, ...] = Field(min_length=1)
    related: tuple[str, ...] = ()
    time_sensitive: bool = False
    # where the sources are silent: the answer points to the Kankemenag / a human instead
    refers_to_office: bool = False
    # the answer states a figure of one year (quota, cost, schedule, waiting-list count): it says
    # its year and that it is the last figure known (see the module docstring)
    yearly_figures: bool = False

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError(f"id {v!r} must be lower-case words joined by '-'")
        return v

    @field_validator("paraphrases", "keywords")
    @classmethod
    def _non_empty_items(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if any(not s.strip() for s in v):
            raise ValueError("empty string in list")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Entry:
        if any(s.confirm for s in self.source) and not self.time_sensitive:
            raise ValueError("cites a rule to confirm before relying on it: set time_sensitive")
        if self.id in self.related:
            raise ValueError("an entry cannot be related to itself")
        return self

    def source_line(self) -> str:
        return "; ".join(s.label() for s in self.source)

    def needs_confirmation(self) -> bool:
        return any(s.confirm for s in self.source)

    def texts_for_matching(self) -> list[str]:
        texts = [self.question.id, *self.paraphrases]
        if self.question.en:
            texts.append(self.question.en)
        return texts


# --- content checks (module docstring) -----------------------------------------------------------
YEARLY_MARKERS = {"id": "angka terakhir yang kami ketahui", "en": "latest figure we know"}
_YEAR_RE = re.compile(r"(?<![\d.,/])(?:19|20)\d{2}(?![\d.,]\d)|\b14\d{2}\s?H\b")
_SEPARATED_RE = re.compile(r"(?<![\d.,])\d{1,3}(?:[.,]\d{3})+(?![.,]?\d)")
_FIGURE_RE = re.compile(
    r"(?<![\d.,])\d{1,3}(?:[.,]\d{3})+(?![.,]?\d)"  # 203.320 / 5,457,648
    r"|\bRp\s?\d"  # a rupiah amount
    r"|\d+(?:[.,]\d+)?\s?(?:juta|ribu|million|thousand)\b"  # 5,46 juta
    r"|\d+(?:[.,]\d+)?\s?(?:%|persen\b|percent\b)",
    re.IGNORECASE)
CAVEAT_RE = re.compile(
    r"\bpastikan\b|\bkonfirmasi\b|sebelum (?:di|meng)andalkan|\bconfirm\b|before relying",
    re.IGNORECASE)
_SPLIT_RE = re.compile(r"\n+|\s*•\s*|(?<=[.!?;])\s+(?=[A-Z0-9(\"“])")


def sentences(text: str) -> list[str]:
    """An answer's sentences: split at line breaks, bullets and . ! ? ; before a capital."""
    return [s.strip() for s in _SPLIT_RE.split(text or "") if s and s.strip()]


def _norm(sentence: str) -> str:
    return " ".join(re.findall(r"\w+", sentence.casefold()))


def yearly_figure_sentences(text: str) -> list[str]:
    """Sentences naming a year and a figure (quota, cost, count, share): yearly figures."""
    return [s for s in sentences(text) if _YEAR_RE.search(s) and _FIGURE_RE.search(s)]


def content_problems(entry: Entry, caveat_added: bool | None = None) -> list[str]:
    """What `kb check` finds wrong in an entry's answers beyond the schema (module docstring)."""
    problems: list[str] = []
    if caveat_added is None:
        caveat_added = entry.needs_confirmation()
    texts = {"id": entry.answer.id, "en": entry.answer.en or ""}
    has_yearly = False
    for lang, text in texts.items():
        if not text:
            continue
        seen: dict[str, str] = {}
        caveats: list[str] = []
        for s in sentences(text):
            key = _norm(s)
            if len(key.split()) >= 3 and key in seen:
                problems.append(f"answer.{lang}: repeats the sentence {s!r}")
            seen.setdefault(key, s)
            if CAVEAT_RE.search(s):
                caveats.append(s)
        if len(caveats) + (1 if caveat_added else 0) > 1:
            where = " (the answer template adds one for a rule to confirm)" if caveat_added else ""
            problems.append(f"answer.{lang}: caveat appears twice{where}: {caveats!r}")
        figures = yearly_figure_sentences(text)
        if figures:
            has_yearly = True
            if not entry.yearly_figures:
                problems.append(f"answer.{lang}: yearly figure {figures[0]!r} without "
                                "`yearly_figures: true`")
        if _SEPARATED_RE.search(text) and not _YEAR_RE.search(text):
            problems.append(f"answer.{lang}: figure {_SEPARATED_RE.search(text).group(0)!r} "
                            "without the year it belongs to")
        if entry.yearly_figures and YEARLY_MARKERS[lang] not in text.casefold():
            problems.append(f"answer.{lang}: yearly figures need the marker "
                            f"{YEARLY_MARKERS[lang]!r}")
    if entry.yearly_figures and not has_yearly:
        problems.append("yearly_figures is set but no answer names a figure with its year")
    return problems


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[Entry, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {e.id: e for e in self.entries})

    def get(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)  # type: ignore[attr-defined]

    def __getitem__(self, entry_id: str) -> Entry:
        return self._by_id[entry_id]  # type: ignore[attr-defined]

    def __len__(self) -> int:
        return len(self.entries)

    def ids(self) -> list[str]:
        return [e.id for e in self.entries]


def parse_entries(items: Iterable[tuple[str, dict]]) -> KnowledgeBase:
    """Validate (origin, raw mapping) pairs into a KnowledgeBase; raise KBError listing problems."""
    problems: list[str] = []
    entries: list[Entry] = []
    origins: dict[str, str] = {}
    for origin, raw in items:
        if isinstance(raw, dict) and "__yaml_error__" in raw:
            problems.append(f"{origin}: YAML error: {raw['__yaml_error__']}")
            continue
        if not isinstance(raw, dict):
            problems.append(f"{origin}: not a mapping")
            continue
        try:
            entry = Entry.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"]) or "(entry)"
                problems.append(f"{origin}: {loc}: {err['msg']}")
            continue
        stem = Path(origin).stem
        if origin.endswith((".yaml", ".yml")) and stem != entry.id:
            problems.append(f"{origin}: id {entry.id!r} differs from the file name")
        if entry.id in origins:
            problems.append(f"{origin}: duplicate id {entry.id!r} (also in {origins[entry.id]})")
            continue
        origins[entry.id] = origin
        entries.append(entry)
        problems.extend(f"{origin}: {p}" for p in content_problems(entry))
    known = set(origins)
    for e in entries:
        for rel in e.related:
            if rel not in known:
                problems.append(f"{origins[e.id]}: related id {rel!r} does not exist")
    if problems:
        raise KBError(problems)
    return KnowledgeBase(tuple(sorted(entries, key=lambda e: e.id)))


def read_dir(path: Path = KB_DIR) -> list[tuple[str, dict]]:
    items = []
    for f in sorted(path.glob("*.y*ml")):
        with open(f, encoding="utf-8") as fh:
            try:
                items.append((f.name, safe_load(fh)))
            except yaml.YAMLError as exc:
                items.append((f.name, {"__yaml_error__": str(exc)}))
    return items


def load_kb(path: Path | str | None = None) -> KnowledgeBase:
    """Load and check every entry under `path` (default: knowledge/kb/)."""
    return parse_entries(read_dir(Path(path) if path else KB_DIR))


@cache
def default_kb() -> KnowledgeBase:
    return load_kb()
