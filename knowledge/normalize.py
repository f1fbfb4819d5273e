"""Text normalisation for FAQ matching: Unicode, chat spelling, domain words.

Pure functions over data files in `knowledge/lexicon/` (read once, cached). The order matters:
NFKC + lower case -> `kata2` expansion -> repeated letters -> domain lexicon -> informal lexicon
(own additions, then IndoCollex) -> multi-word phrases (also tried on the words as typed,
before the token lexicon). Joining words typed apart and typo correction against the
knowledge base's own vocabulary follow in `knowledge.spelling`.
Question words (berapa, bagaimana, kapan, tidak, belum, sudah, ...) are never dropped.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from heapq import heappop, heappush
from pathlib import Path

from knowledge.yaml_load import safe_load

LEXICON_DIR = Path(__file__).with_name("lexicon")

_APOSTROPHES = re.compile(r"[’'`´‘]")
# English possessive: "mother's" is "mother" (dropping only the apostrophe gives "mothers",
# which the general lexicon reads as a plural, "ibu-ibu"). Indonesian uses the apostrophe
# inside words (jama'ah, istitha'ah, Jum'at), never as a final "'s".
_POSSESSIVE = re.compile(r"(?<=[a-z])[’'`´‘]s\b")
_REDUP = re.compile(r"\b([^\W\d_]{2,})2\b")  # kata2 -> kata kata (digit 2 after letters only)
_DASH_REDUP = re.compile(r"\b([^\W\d_]{2,})-\1\b")  # kata-kata -> kata kata
_LONG_RUN = re.compile(r"([^\W\d_])\1{2,}")  # tolooong -> toloong (then vocab decides)
_NON_WORD = re.compile(r"[^0-9a-z]+")

# Function words: kept for matching, but they say nothing about whether the KB covers a question.
# The last line: who asks for whom ("tetangga", "warga", "perangkat desa") and hearsay
# ("katanya") frame a question without changing which answer it needs.
FUNCTION_WORDS = frozenset(
    """
    apa apakah yang di ke dari dan atau itu ini ada adalah saya aku kami kita anda kamu dia
    mau ingin bisa boleh dapat harus perlu akan sudah belum tidak bukan juga saja lagi masih
    bagaimana berapa kapan mana siapa kenapa mengapa gimana cara untuk dengan pada dalam oleh
    ya iya dong sih deh nih tuh kok kah lah pun tolong mohon tanya bertanya mas mbak bapak ibu
    kak terima kasih sama jika kalau kalo agar supaya sebelum sesudah setelah tersebut the a an
    is are what how when who which can do does i my to of for in on with it be we you please
    will would should could did was were has have am your our their at by from this that
    menanyakan ditanyakan nanyain kemarin tadi barusan terus
    tetangga warga perangkat kata
    kira mungkin kayak seperti sebentar namun walau sebuah tentang sebagai daripada
    """.split()
)


@cache
def root_words() -> frozenset[str]:
    """Indonesian root words (PySastrawi's `kata-dasar.txt`, MIT): real words, not typos.

    A word the knowledge base does not use but that is (an affixed form of) a real Indonesian
    word must not be "corrected" into a KB word: kesempatan is not kesehatan, malam is not macam.
    """
    try:
        from importlib.resources import files

        text = files("Sastrawi.Stemmer").joinpath("data/kata-dasar.txt").read_text("utf-8")
    except (ImportError, FileNotFoundError, ModuleNotFoundError):  # pragma: no cover
        return frozenset()
    extra = _read_yaml("informal.yaml").get("real_words") or ()
    return frozenset(w.strip() for w in text.split() if w.strip()) | {str(w) for w in extra}


def is_real_word(word: str) -> bool:
    """Whether `word` is, or is an affixed form of, a known Indonesian word (or a function word)."""
    if word in FUNCTION_WORDS:
        return True
    roots = root_words()
    return any(v in roots for v in affix_variants(word) if len(v) >= 4 or v == word)


_NASAL = (("ny", "s"), ("ng", "k"), ("ng", ""), ("n", "t"), ("m", "p"))


def colloquial_variants(word: str) -> list[str]:
    """Formal forms a Jakarta-style colloquial verb may stand for, most likely first.

    -in for -kan/-i (batalin -> batalkan, batal), nge-/ng-/ny-/n-/m- for the nasal prefix of a
    bare root (ngajuin -> ajukan, nyerahin -> serahkan, nerusin -> teruskan, ngecek -> cek).
    """
    if word.endswith("nya") and len(word) > 8:
        word = word[:-3]  # lunasinnya -> lunasin
    stems = [word]
    if word.endswith("in") and len(word) > 5:
        b = word[:-2]
        stems = [b + "kan", b, b + "i"]
    out: list[str] = []
    for s in stems:
        out.append(s)
        if s.startswith("nge") and len(s) > 5 and s[3] not in "aiueo":
            out.append(s[3:])
        for pre, root_start in _NASAL:
            if s.startswith(pre) and len(s) > len(pre) + 2 and s[len(pre)] in "aiueo":
                out.append(root_start + s[len(pre):])
    return [v for v in dict.fromkeys(out) if v != word]


@dataclass(frozen=True)
class Lexicon:
    tokens: Mapping[str, str]  # one typed token -> replacement words
    phrases: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]  # word sequence -> replacement
    # particles, vocatives and greetings that carry no topic ("teh", "bang", "sih",
    # "assalamualaikum"): dropped, unless the message holds nothing else
    drop: frozenset[str] = frozenset()
    # the project's own word lists (english.yaml, domain.yaml), without the general informal
    # lexicons: what an English inflected form ("registering") is looked up in by its base
    own: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def phrase_index(self) -> dict[str, tuple[int, ...]]:
        """First word -> the numbers of the phrases starting with it, ascending; phrases that
        cannot change anything left out."""
        index: dict[str, list[int]] = {}
        for j, (src, dst) in enumerate(self.phrases):
            if src and src != dst:
                index.setdefault(src[0], []).append(j)
        return {w: tuple(js) for w, js in index.items()}


def _read_yaml(name: str) -> dict:
    with open(LEXICON_DIR / name, encoding="utf-8") as fh:
        return safe_load(fh) or {}


# English function words (lexicon/english.yaml): an English question's "and", "been", "there"
# say no more about its topic than "dan", "sudah", "ada" do
FUNCTION_WORDS = FUNCTION_WORDS | frozenset(
    str(w).lower() for w in _read_yaml("english.yaml").get("function_words") or ())
# ... and the words that frame a family's story (lexicon/informal.yaml `story_words`)
FUNCTION_WORDS = FUNCTION_WORDS | frozenset(
    w for item in _read_yaml("informal.yaml").get("story_words") or ()
    for w in str(item).lower().split())


@cache
def default_lexicon() -> Lexicon:
    domain = _read_yaml("domain.yaml")
    informal = _read_yaml("informal.yaml")
    ignore = set(informal.get("ignore") or ())
    tokens: dict[str, str] = {}
    with open(LEXICON_DIR / "indocollex_informal_formal.txt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        next(reader, None)  # header: informal, formal
        for row in reader:
            if len(row) != 2:
                continue
            informal_word, formal = row[0].strip().lower(), row[1].strip().lower()
            if not informal_word or not formal or informal_word in ignore or " " in informal_word:
                continue
            tokens[informal_word] = formal
    # later updates win: our informal additions, English words, then the domain lexicon over
    # everything
    english = _read_yaml("english.yaml")
    tokens.update({str(k).lower(): str(v).lower() for k, v in (informal.get("tokens") or {}).items()})
    tokens.update({str(k).lower(): str(v).lower() for k, v in (english.get("tokens") or {}).items()})
    tokens.update({str(k).lower(): str(v).lower() for k, v in (domain.get("tokens") or {}).items()})
    phrases = tuple(
        (tuple(_basic_words(str(k))), tuple(_basic_words(str(v))))
        for source in (domain, english) for k, v in (source.get("phrases") or {}).items()
    )
    drop = frozenset(str(w).lower() for w in (informal.get("drop") or ()))
    own = {str(k).lower(): str(v).lower() for source in (english, domain)
           for k, v in (source.get("tokens") or {}).items()}
    return Lexicon(tokens=tokens, phrases=phrases, drop=drop, own=own)


# English inflections, longest first: (ending, what the base ends with instead)
_ENGLISH_ENDINGS = (("ies", "y"), ("ied", "y"), ("ing", "e"), ("ing", ""), ("ed", "e"),
                    ("ed", ""), ("es", ""), ("s", ""), ("ly", ""))


def english_base(word: str, own: Mapping[str, str]) -> str | None:
    """The replacement of an inflected English word whose base the project's lexicons map:
    "registering" -> "register" -> "daftar", "combined" -> "combine", "stopped" -> "stop".

    English questions inflect every verb and noun, and listing each form is a list that is
    never complete. Only for a word no lexicon holds that is not a real Indonesian word
    ("masing" is not "mas" + -ing, "lunas" is not "luna" + -s), and only towards the project's
    own lists, never the general informal lexicon's.
    """
    if len(word) < 5 or not word.isalpha():
        return None
    for ending, base_end in _ENGLISH_ENDINGS:
        if not word.endswith(ending):
            continue
        base = word[: -len(ending)]
        for form in (base + base_end, base[:-1] if len(base) > 3 and base[-1] == base[-2]
                     else ""):
            if len(form) >= 3 and form in own:
                return None if is_real_word(word) else own[form]
    return None


def _basic_words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _POSSESSIVE.sub("", text)
    text = _APOSTROPHES.sub("", text)
    text = _DASH_REDUP.sub(r"\1 \1", text)
    text = _REDUP.sub(r"\1 \1", text)
    text = _LONG_RUN.sub(r"\1\1", text)
    return [w for w in _NON_WORD.split(text) if w]


_YEAR = re.compile(r"^(19|20)\d\d$")
YEAR_TOKEN = "tahunangka"  # noqa: S105 - a word, not a secret; any 4-digit year: what matters to matching is that a year was given
# A month right before a year only narrows the date ("Maret 2019"): it goes with the year. Alone
# ("bulan juni") it stays a word the knowledge base does not know.
_MONTHS = frozenset(
    """januari februari pebruari maret april mei juni juli agustus september oktober november
    nopember desember jan feb mar apr jun jul agu agt agus sep sept okt nov nop des january
    february march may june july august october december""".split()
)


def _apply_tokens(words: list[str], lex: Lexicon) -> list[str]:
    if lex.drop and any(w not in lex.drop for w in words):
        words = [w for w in words if w not in lex.drop]
    out: list[str] = []
    for i, w in enumerate(words):
        if _YEAR.match(w):
            out.append(YEAR_TOKEN)
            continue
        if w in _MONTHS and i + 1 < len(words) and _YEAR.match(words[i + 1]):
            continue
        if w == "min":
            # "min 12 tahun" is "minimal"; "min, ..." addresses the admin (a vocative, dropped)
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if nxt[:1].isdigit():
                out.append("minimal")
            elif len(words) == 1:
                out.append("admin")
            continue
        rep = lex.tokens.get(w)
        if rep is None and len(w) > 2 and w[-1] == w[-2]:
            rep = lex.tokens.get(w[:-1])  # "bisaa", "dongg"
        if rep is None and len(w) > 6 and w.endswith("nya"):
            rep = lex.tokens.get(w[:-3])  # "ngitungnya" -> "menghitung" (the -nya adds nothing)
        if rep is None and lex.own:
            rep = english_base(w, lex.own)
        out.extend(rep.split() if rep else [w])
    return out


def _apply_phrases(words: list[str], lex: Lexicon) -> list[str]:
    """The phrases applied in their order, each over the whole message. Only phrases whose first
    word the message holds (or a rewrite has brought in) are tried: a heap of their numbers, so
    the cost follows the message, not the size of the lexicon."""
    index = lex.phrase_index
    present = set(words)
    queued = {j for w in present for j in index.get(w, ())}
    heap = sorted(queued)
    while heap:
        j = heappop(heap)
        src, dst = lex.phrases[j]
        n = len(src)
        first = src[0]
        i = 0
        while True:
            # both cases below start at the phrase's first word: jump to where it is next
            try:
                i = words.index(first, i)
            except ValueError:
                break
            if i + n > len(words):
                break
            if tuple(words[i:i + len(dst)]) == dst and dst[:n] == src:
                i += len(dst)  # already rewritten by the first pass ("... lagi limpahulang")
            elif tuple(words[i:i + n]) == src and (dst or len(words) > n):  # never empty a message
                words[i:i + n] = list(dst)
                for w in dst:
                    if w not in present:
                        present.add(w)
                        # a later phrase may start with a word this one brought in
                        for k in index.get(w, ()):
                            if k > j and k not in queued:
                                queued.add(k)
                                heappush(heap, k)
                i += len(dst)
            else:
                i += 1
    return words


_UNIT_WORDS = {"satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
               "delapan": 8, "sembilan": 9}
# the tens and teens written as one word: after hundreds ("seratus sebelas") they add up
_TEENS = {"sepuluh": 10, "sebelas": 11,
          # Javanese teens ("adhik kulo umur sewelas taun": a child's age is what the
          # recipient-age entry turns on), and Sundanese "sabelas"
          "sewelas": 11, "rolas": 12, "telulas": 13, "patbelas": 14, "limolas": 15,
          "nembelas": 16, "pitulas": 17, "wolulas": 18, "sangalas": 19, "sabelas": 11}
_SE_WORDS = {**_TEENS, "seratus": 100}
# a bare unit word is a number only before a counted thing ("tujuh tahun", "lima juta");
# elsewhere "satu" stays a word ("salah satu", "satu kali")
_COUNTED = frozenset("tahun thn th juta jt ribu rb lembar bulan hari minggu digit angka".split())


def _read_number(words: list[str], i: int) -> tuple[int, int]:
    """(value, words used) of an Indonesian number below 1000 written out from `words[i]`."""
    n, start, value = len(words), i, 0

    def unit(j: int) -> int | None:
        return _UNIT_WORDS.get(words[j]) if j < n else None

    if i < n and words[i] == "seratus":
        value, i = 100, i + 1
    elif unit(i) is not None and i + 1 < n and words[i + 1] == "ratus":
        value, i = unit(i) * 100, i + 2
    if i < n and words[i] in _TEENS:
        value, i = value + _TEENS[words[i]], i + 1
    elif unit(i) is not None and i + 1 < n and words[i + 1] == "belas":
        value, i = value + 10 + unit(i), i + 2
    elif unit(i) is not None and i + 1 < n and words[i + 1] == "puluh":
        value, i = value + unit(i) * 10, i + 2
        if unit(i) is not None:
            value, i = value + unit(i), i + 1
    elif unit(i) is not None:
        value, i = value + unit(i), i + 1
    return value, i - start


def _read_year(words: list[str], i: int) -> tuple[int, int]:
    """(year, words used) of a year written out from `words[i]` ("dua ribu dua belas" ->
    2012, "seribu sembilan ratus delapan puluh" -> 1980), or (0, 0). Only a thousand with
    more after it in the years people register and die in: "dua ribu" alone is an amount."""
    if i < len(words) and words[i] == "seribu":
        thousands, j = 1, i + 1
    elif i + 1 < len(words) and words[i] in ("satu", "dua") and words[i + 1] == "ribu":
        thousands, j = _UNIT_WORDS[words[i]], i + 2
    else:
        return 0, 0
    rest, used = _read_number(words, j)
    year = thousands * 1000 + rest
    return (year, j + used - i) if used and 1900 <= year <= 2099 else (0, 0)


def _apply_numbers(words: list[str]) -> list[str]:
    """Numbers written out as words become digits: "dua puluh lima juta" -> "25 juta".

    Pilgrims write ages and amounts either way; the knowledge base writes them in digits.
    """
    out: list[str] = []
    i = 0
    while i < len(words):
        year, used = _read_year(words, i)
        if used:
            out.append(str(year))
            i += used
            continue
        value, used = _read_number(words, i)
        nxt = words[i + used] if i + used < len(words) else ""
        if used > 1 or (used == 1 and (words[i] in _SE_WORDS or nxt in _COUNTED)):
            out.append(str(value))
            i += used
        else:
            out.append(words[i])
            i += 1
    return out


@lru_cache(maxsize=16384)
def example_words(text: str) -> tuple[str, ...]:
    """`normalize_words` of a learnt model's example, cached: every matcher built (the bot's,
    and the tests' and benches' with other thresholds) teaches its models the same few thousand
    examples, and normalising them was most of the cost."""
    return tuple(normalize_words(text))


def normalize_words(text: str, lexicon: Lexicon | None = None) -> list[str]:
    """Normalised words of `text`, without vocabulary-based typo correction."""
    lex = lexicon or default_lexicon()
    # Phrases first on the words as typed too: the token lexicon rewrites single words that a
    # phrase needs ("pay off": "off" would become "of" -> "dari"; "my" -> "milikku").
    words = _apply_numbers(_apply_phrases(_basic_words(text), lex))
    return _apply_phrases(_apply_tokens(words, lex), lex)


_PREFIXES = ("meny", "meng", "mem", "men", "me", "peny", "peng", "pem", "pen", "per", "pe",
             "ber", "be", "ter", "di", "ke", "se")
_AFFIX_SUFFIXES = ("nya", "kan", "lah", "kah", "an", "i")


def affix_variants(word: str) -> list[str]:
    """`word`, then its forms without a suffix and/or up to two prefixes (longest first)."""
    bases = [word]
    for suf in _AFFIX_SUFFIXES:
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            bases.append(word[: -len(suf)])
    out: list[str] = []
    for b in bases:
        out.append(b)
        frontier = [b]
        for _ in range(2):
            nxt = []
            for w in frontier:
                for pre in _PREFIXES:
                    if w.startswith(pre) and len(w) - len(pre) >= 3:
                        nxt.append(w[len(pre):])
            out.extend(nxt)
            frontier = nxt
    return out


def normalize(text: str) -> str:
    """The normalised words of `text` joined by single spaces (no typo correction)."""
    return " ".join(normalize_words(text))


# --- masking personal data before a question is stored ------------------------------------
_NAME_CUES = frozenset(
    "nama bapak ibu pak bu bpk sdr sdri saudara saudari almarhum almarhumah alm almh hj haji "
    "h mr mrs ms kakak adik anak istri suami ayah "
    # address cues: the word after them is a street, housing estate or hamlet name
    "jl jln jalan gg gang blok perum perumahan komplek kompleks dusun dsn".split()
)
_MASK = "***"
_TOKEN = re.compile(r"\S+")
_EMAIL = re.compile(r"\S+@\S+")


@cache
def personal_names() -> frozenset[str]:
    """Common Indonesian names and name parts (lexicon/names.txt), for masking only."""
    text = (LEXICON_DIR / "names.txt").read_text("utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


@cache
def _lexicon_words() -> frozenset[str]:
    lex = default_lexicon()
    return frozenset(lex.tokens) | lex.drop


def mask_personal(text: str, known_words: frozenset[str] | set[str] = frozenset()) -> str:
    """`text` with digits as '#' and anything that may be a name replaced by '***'.

    Most people type in lower case, so capitals cannot be what finds a name. A word is kept
    only when it is known: a word of the knowledge base (`known_words`), a function word, a
    chat or domain lexicon entry, or a real Indonesian word; and even a real word is masked
    when it is a common personal name (budi, indah) the knowledge base does not use, when it
    is capitalised, or when it follows a name cue ("nama", "bapak", "alm", ...). Unknown words
    (most surnames, street names, typos) are masked too: a stored question loses a little
    detail, never a name.
    """
    text = _EMAIL.sub(_MASK, text)
    text = re.sub(r"\d", "#", text)
    names = personal_names()
    lexicon = _lexicon_words()
    out: list[str] = []
    prev_cue = False
    for match in _TOKEN.finditer(text):
        tok = match.group(0)
        core = re.sub(r"[^\w]", "", tok)
        lower = core.casefold()
        if not core or not core.strip("#"):
            out.append(tok)
            prev_cue = False
            continue
        ordinary = (lower in FUNCTION_WORDS or lower in _NAME_CUES or lower in lexicon
                    or is_real_word(lower))
        masked = lower not in known_words and (
            not ordinary or lower in names or core[0].isupper()
            or (prev_cue and lower not in FUNCTION_WORDS and lower not in _NAME_CUES))
        if masked:
            tok = tok.replace(core, _MASK)
        out.append(tok)
        prev_cue = lower in _NAME_CUES
    return " ".join(out)
