"""FAQ knowledge base: the entry schema, the loader and the whole-KB checks.

One YAML file per topic in `knowledge/kb/` (file name = entry id). Every entry names the source
its facts rest on (a seed document or a regulation named in DOMAIN.md); `load_kb()` refuses a
malformed or unsourced entry, a duplicate id and a `related` id that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

KB_DIR = Path(__file__).with_name("kb")

# What an answer may rest on: the two seed documents, the domain brief that distils them, and the
# regulations DOMAIN.md names. Anything else is an unsourced fact.
SEED_DOCS = {
    "000_f1542f33e8ff6ddb.txt": "Paparan Kemenag: Evaluasi Integrasi Siskohat–Siskohatkes (2018)",
    "003_07e25880a1c89b4c.txt": "Skripsi UIN FAS Bengkulu tentang Siskohat dan pelimpahan porsi (2022)",
    "DOMAIN.md": "Ringkasan aturan hajibot",
}
REGULATIONS = {
    "UU 8/2019": "Undang-Undang Nomor 8 Tahun 2019 tentang Penyelenggaraan Ibadah Haji dan Umrah",
    "Kepdirjen PHU 130/2020": "Keputusan Dirjen PHU Nomor 130 Tahun 2020 (pelimpahan nomor porsi)",
    "Permenkes 15/2016": "Peraturan Menteri Kesehatan Nomor 15 Tahun 2016 (istithaah kesehatan)",
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
    doc: str | None = None  # a seed file name or DOMAIN.md
    regulation: str | None = None  # a key of REGULATIONS
    section: str | None = None  # where in it (free text)
    confirm: bool = False  # "confirm before relying on it" (later rules, DOMAIN.md)

    @model_validator(mode="after")
    def _known(self) -> Source:
        if not self.doc and not self.regulation:
            raise ValueError("a source needs `doc` or `regulation`")
        if self.doc and self.doc not in SEED_DOCS:
            raise ValueError(f"unknown source document {self.doc!r} (known: {sorted(SEED_DOCS)})")
        if self.regulation and self.regulation not in REGULATIONS:
            raise ValueError(f"unknown regulation {self.regulation!r} (known: {sorted(REGULATIONS)})")
        if self.regulation in LATER_RULES and not self.confirm:
            raise ValueError(f"{self.regulation} is a later rule: set `confirm: true`")
        return self

    def label(self) -> str:
        """What a pilgrim reads on the source line (the document's title, not its file name)."""
        if self.regulation:
            return f"{self.regulation} ({self.section})" if self.section else self.regulation
        title = SEED_DOCS[self.doc or ""]
        if self.doc == "DOMAIN.md":
            return title
        return f"{title}: {self.section}" if self.section else title


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
        # the project's own summary only shows when nothing more specific is cited
        specific = [s for s in self.source if s.doc != "DOMAIN.md" or s.regulation]
        return "; ".join(s.label() for s in (specific or self.source))

    def needs_confirmation(self) -> bool:
        return any(s.confirm for s in self.source)

    def texts_for_matching(self) -> list[str]:
        texts = [self.question.id, *self.paraphrases]
        if self.question.en:
            texts.append(self.question.en)
        return texts


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
                items.append((f.name, yaml.safe_load(fh)))
            except yaml.YAMLError as exc:
                items.append((f.name, {"__yaml_error__": str(exc)}))
    return items


def load_kb(path: Path | str | None = None) -> KnowledgeBase:
    """Load and check every entry under `path` (default: knowledge/kb/)."""
    return parse_entries(read_dir(Path(path) if path else KB_DIR))


@cache
def default_kb() -> KnowledgeBase:
    return load_kb()
