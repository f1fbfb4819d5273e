"""What this helpdesk does not cover: other pilgrimages, and services another body handles.

Reads lexicon/out_of_scope.yaml (see lexicon/README.md) over normalised words: the matcher
hands a question naming another pilgrimage (haji furoda, haji plus, umrah) over before
matching; the FAQ handler points a question about another service (SIM, BPJS, zakat) where it
belongs. Moved out of `knowledge.normalize`, whose reading of text it uses.
"""

from __future__ import annotations

from functools import cache

from knowledge.match_index import asking_sentences
from knowledge.normalize import _read_yaml, normalize_words

# A term is a phrase (normalised words), or a word family: parts that must all be in the
# message, anywhere and in any order, each part one of its alternatives. Written in the YAML as
# "paspor + perpanjang|renew|expired": a topic is named by two words that need not stand
# together ("my indonesian passport expires next month"), and listing every phrase that puts
# them side by side would memorise sentences. A last part after " - " names what must NOT be
# there ("buku tabungan + hilang - nomor porsi": a lost savings book, unless the porsi number is
# what is being looked for, which an entry answers).
Term = tuple
_UNLESS = ("-",)  # first element of a family's part that must not be held


def _term(item) -> Term:
    """A YAML term as a phrase tuple, or (for "a + b|c - d") a tuple of parts, each a tuple of
    phrase tuples (an "unless" part led by `_UNLESS`); () when nothing is left."""
    text = str(item)
    if " + " not in text:
        return tuple(normalize_words(text))
    text, _, unless = text.partition(" - ")

    def alternatives(part: str) -> tuple[tuple[str, ...], ...]:
        return tuple(a for a in (tuple(normalize_words(alt)) for alt in part.split("|")) if a)

    parts = tuple(alternatives(part) for part in text.split(" + "))
    if not parts or not all(parts):
        return ()
    return (*parts, (_UNLESS, *alternatives(unless))) if unless.strip() else parts


def _terms(items) -> tuple[Term, ...]:
    return tuple(t for t in (_term(i) for i in items or ()) if t)


def _holds(words: list[str], term: Term) -> bool:
    """Whether normalised `words` hold `term` (a phrase, or every part of a word family and
    none of its "unless" part)."""
    if isinstance(term[0], str):
        return _has_phrase(words, term) >= 0
    for part in term:
        if part[0] == _UNLESS:
            if any(_has_phrase(words, alt) >= 0 for alt in part[1:]):
                return False
        elif not any(_has_phrase(words, alt) >= 0 for alt in part):
            return False
    return True


@cache
def _first_words(term: Term) -> frozenset[str]:
    """The words one of which a message must hold to hold `term` (the first of its phrase, or
    of any alternative of its first part)."""
    if isinstance(term[0], str):
        return frozenset((term[0],))
    return frozenset(alt[0] for alt in term[0])


@cache
def out_of_scope_terms() -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]]:
    """(terms, protected phrases) of lexicon/out_of_scope.yaml, as normalised word tuples."""
    data = _read_yaml("out_of_scope.yaml")

    def norm(items) -> tuple[tuple[str, ...], ...]:
        return tuple(t for t in (tuple(normalize_words(str(i))) for i in items or ()) if t)

    service_terms = [t for group in data.get("services") or () if not group.get("unless_hajj")
                     for t in group.get("terms") or ()]
    return _terms([*(data.get("terms") or ()), *service_terms]), norm(data.get("protected"))


@cache
def soft_terms() -> tuple[tuple[str, ...], ...]:
    """Terms of the `unless_hajj` service groups: out of scope only in a message holding no hajj
    word ("hotel" alone is a booking; "biaya haji sudah termasuk hotel?" is the hajj cost)."""
    return tuple(t for group in _read_yaml("out_of_scope.yaml").get("services") or ()
                 if group.get("unless_hajj") for t in _terms(group.get("terms")))


@cache
def out_of_scope_services() -> tuple[tuple[tuple[Term, ...], dict[str, str], bool], ...]:
    """(terms, pointer per language, unless_hajj) of the `services` groups of
    lexicon/out_of_scope.yaml: which service handles a question this helpdesk does not cover
    (SIM -> Korlantas, zakat -> BAZNAS)."""
    groups = []
    for group in _read_yaml("out_of_scope.yaml").get("services") or ():
        pointer = {str(k): str(v).strip() for k, v in (group.get("pointer") or {}).items()}
        groups.append((_terms(group.get("terms")), pointer, bool(group.get("unless_hajj"))))
    return tuple(groups)


def _unprotected(words: list[str]) -> list[str]:
    words = list(words)
    for phrase in out_of_scope_terms()[1]:
        while (i := _has_phrase(words, phrase)) >= 0:
            words[i:i + len(phrase)] = ["|"]
    return words


@cache
def hajj_words() -> frozenset[str]:
    """`hajj_words` of lexicon/out_of_scope.yaml (normalised): a question holding one is about
    the hajj, even when the knowledge base cannot answer it."""
    data = _read_yaml("out_of_scope.yaml")
    return frozenset(w for item in data.get("hajj_words") or () for w in normalize_words(str(item)))


@cache
def person_words() -> frozenset[str]:
    """`person_words` of lexicon/out_of_scope.yaml (normalised): "petugas", "operator", ..."""
    data = _read_yaml("out_of_scope.yaml")
    return frozenset(w for item in data.get("person_words") or ()
                     for w in normalize_words(str(item)))


def out_of_scope_pointer(words: list[str]) -> dict[str, str] | None:
    """Where to go instead, per language, when normalised `words` name a service another body
    handles (the first group whose term they hold, outside the protected phrases); else None."""
    words = _unprotected(words)
    # a group out of scope only without a hajj word points no hajj matter the knowledge base
    # lacks (a `gaps` term beside a hajj word) elsewhere: "aplikasi haji pintar tidak bisa
    # login" is not for a bank's customer service, a helpdesk is offered instead. Other hajj
    # questions out of scope keep the pointer ("hotel di mekkah dekat masjidil haram": "mekkah"
    # reads as a hajj word, the hotel is still booked elsewhere)
    present = set(words)
    hajj_gap = bool(hajj_words() & present) and any(
        _first_words(t) & present and _holds(words, t) for t in gap_terms())
    for terms, pointer, unless_hajj in out_of_scope_services():
        if not (unless_hajj and hajj_gap) and any(_holds(words, t) for t in terms):
            return pointer
    return None


def _has_phrase(words: list[str], phrase: tuple[str, ...]) -> int:
    """Index of the first occurrence of `phrase` in `words`, or -1."""
    n = len(phrase)
    return next((i for i in range(len(words) - n + 1) if tuple(words[i:i + n]) == phrase), -1)


def names_out_of_scope(words: list[str]) -> bool:
    """Whether normalised `words` name a pilgrimage this helpdesk does not cover (haji furoda,
    haji plus/khusus, umrah), outside the protected phrases ("Permen Haji dan Umrah")."""
    terms, protected = out_of_scope_terms()
    words = list(words)
    # a phrase whose first word is absent cannot be there: skip it without a scan (this runs
    # on every message, over every term)
    present = set(words)
    for phrase in protected:
        if phrase and phrase[0] not in present:
            continue
        while (i := _has_phrase(words, phrase)) >= 0:
            words[i:i + len(phrase)] = ["|"]
    present = set(words)
    by_first = _by_first_word(terms)
    if not hajj_words() & present:
        soft = _by_first_word(soft_terms())
        if any(_holds(words, t) for t in _candidates(soft, present)):
            return True
    return any(_holds(words, t) for t in _candidates(by_first, present))


def _candidates(index: dict[str, tuple[Term, ...]], present: set[str]) -> set[Term]:
    """The terms of `index` a message holding the words `present` can hold."""
    return {t for w in present for t in index.get(w, ())}


@cache
def _by_first_word(terms: tuple[Term, ...]) -> dict[str, tuple[Term, ...]]:
    """The terms by their first word(s): a message is checked only for the terms it can hold."""
    index: dict[str, list[Term]] = {}
    for t in terms:
        for w in _first_words(t):
            index.setdefault(w, []).append(t)
    return {w: tuple(ts) for w, ts in index.items()}


@cache
def gap_terms() -> tuple[Term, ...]:
    """`gaps` of lexicon/out_of_scope.yaml: hajj matters the knowledge base has no entry for."""
    return _terms(_read_yaml("out_of_scope.yaml").get("gaps"))


def asks_about_gap(text: str, words: list[str] | None = None) -> bool:
    """Whether a sentence of `text` that asks something names a matter the knowledge base has no
    entry for (the hajj visa, paying in instalments): a mention in the story's telling does not
    count. A word family counts anywhere in the message: its parts together are the matter, and
    the story is where one of them is told ("almarhumah ibu mau dilimpahkan ke kakak, tapi kakak
    juga sudah punya porsi sendiri. Bisa?" asks only "Bisa?"). `words`: the whole text's
    normalised words, when the caller has them (a message that names no such matter at all is
    not split into sentences)."""
    terms = gap_terms()
    if words is None:
        words = normalize_words(text)
    present = set(words)
    held = [t for t in terms if _first_words(t) & present and _holds(words, t)]
    if not held:
        return False  # nowhere in the message: no sentence of it names one either
    if any(not isinstance(t[0], str) for t in held):
        return True
    # a message in which no sentence is marked as asking ("paspor haji diurus sendiri atau
    # dari kemenag") is its own question: people type questions as statements
    for sentence in asking_sentences(text) or [text]:
        words = normalize_words(sentence)
        present = set(words)
        if any(_first_words(t) & present and _holds(words, t) for t in held):
            return True
    return False
