"""Chat words: the short messages that mean menu, cancel, back, yes, no, a greeting, thanks or
"I want to ask".

Pure: the words live in `lexicon/chat_words.yaml` (data, not code), read once at import.
"""

from __future__ import annotations

import re
from pathlib import Path

from knowledge.yaml_load import safe_load

_FILE = Path(__file__).with_name("lexicon") / "chat_words.yaml"


def _read() -> dict[str, frozenset[str]]:
    with _FILE.open(encoding="utf-8") as fh:
        data = safe_load(fh)
    return {str(kind): frozenset(str(word) for word in words) for kind, words in data.items()}


_WORDS = _read()
MENU_WORDS = _WORDS["menu"]
CANCEL_WORDS = _WORDS["cancel"]
BACK_WORDS = _WORDS["back"]
YES_WORDS = _WORDS["yes"]
NO_WORDS = _WORDS["no"]
GREETINGS = _WORDS["greetings"]
THANKS = _WORDS["thanks"]
ASK_INTRO = _WORDS["ask_intro"]


def squash(text: str) -> str:
    """Repeated letters once ("makasihhh" -> "makasih"; "aamiin" -> "amin")."""
    return re.sub(r"(\w)\1+", r"\1", text)


_ACK_WORDS = frozenset(squash(w) for w in _WORDS["ack_words"])
_ACK_CORE = frozenset(squash(w) for w in _WORDS["ack_core"])


def acknowledges(words: list[str]) -> bool:
    """Whether a short reply (case-folded, letters only) only acknowledges ("baik pak, nanti
    saya coba", "oh begitu, siap", "amin, semoga sehat selalu")."""
    said = {squash(w) for w in words}
    return 0 < len(words) <= 12 and said <= _ACK_WORDS and bool(said & _ACK_CORE)

# "are you a bot?", "ini bot ya?", "kamu manusia atau robot?": small talk about the bot itself,
# answered like a greeting (which says it is a bot and how to reach a person), never a ticket
_BOT_QUESTION = re.compile(
    r"^(?:(?:hi|hello|hey|halo|hai|pak|bu|min|kak|mas|mbak),? )*"
    r"(?:are you|r u|is this|is it|apakah (?:ini|kamu|anda)|apa (?:ini|kamu|anda)|ini|kamu|anda"
    r"|yang jawab|yg jawab)"
    r"(?: (?:a|an|cuma|hanya|itu))? (?:bot|robot|chatbot|machine|mesin|ai|human|manusia|orang)"
    r"(?: (?:ya|kah|ini|pak|bu|min|kak|mas|mbak|bang|atau (?:manusia|orang(?: beneran| asli)?|bot"
    r"|robot)|or (?:a )?(?:human|person|bot|robot))){0,3}"
    r"[\s?!.]*$")


# ... also as the one question of a longer message ("maaf, sebelum cerita panjang, ini yang
# balas orang beneran atau robot ya? soalnya dulu tidak dibalas"): who answers, a person or a bot
_WHO_ANSWERS = re.compile(
    r"\b(?:ini|yang (?:balas|bales|jawab)|yg (?:balas|bales|jawab)|is this|am i talking to)"
    r"(?: (?:a|an|dengan|sama))? (?:orang beneran|orang asli|manusia|bot|robot|human|real person"
    r"|person)\b(?: (?:atau|or)(?: a| an)? (?:robot|bot|mesin|manusia|orang(?: beneran| asli)?"
    r"|human|machine|person))(?: (?:ya|kah|sih))?[\s?!.,]*$")


# ... or asks the bot about itself ("kamu udah pernah haji belum bot?", "bot, umur kamu
# berapa?"): the bot named, spoken to ("kamu", "you"), a word about its own life, and nothing of
# the person's own matter (no "saya"/"my") nor a request ("cek", "tolong") nor a question of
# fact put to it ("bot, kamu tahu orang yang pernah haji bisa daftar lagi?" asks the FAQ). The
# matcher answered the first with haji-ulang (it shares "pernah haji belum").
_BOT_NAMES = frozenset("bot robot chatbot bott".split())
_YOU = frozenset("kamu km kmu anda kau engkau lu lo elu you u".split())
_ME = frozenset("saya sy aku ak gue gw gua kami kita i my me we our mine".split())
_NOT_ABOUT_ITSELF = frozenset("tahu tau tw know ngerti paham cek cekin check bantu bantuin help "
                              "tolong jelaskan jelasin jawab explain info".split())
_ITS_LIFE = frozenset("pernah ever umur umurmu usia usiamu nama namamu name capek cape lelah "
                      "tired tidur sleep makan eat menikah nikah married ngaji sholat shalat "
                      "asli".split())


def _asks_about_itself(words: list[str]) -> bool:
    said = set(words)
    return (len(words) <= 12 and bool(said & _BOT_NAMES) and bool(said & _YOU)
            and bool(said & _ITS_LIFE) and not said & (_ME | _NOT_ABOUT_ITSELF))


def asks_if_bot(text: str) -> bool:
    """Whether a message only asks whether the bot is a bot (or a person), or asks the bot
    about itself."""
    # emoji and other signs around the words ("halo, ini bot ya? 😅") say nothing here
    plain = " ".join(re.sub(r"[^\w\s?!.,]", " ", text.casefold()).split())
    if _BOT_QUESTION.match(plain) or _asks_about_itself(re.findall(r"[^\W\d_]+", plain)):
        return True
    if plain.count("?") != 1 or len(plain.split()) > 40:
        return False  # several questions: the others are what the message is about
    asked = plain.split("?")[0]
    return bool(_WHO_ANSWERS.search(asked + "?"))


# "hapus data saya", "tolong hapus semua data pribadi saya", "delete my data": a request to
# erase what the bot holds about the person (answered with the erasure confirmation). A
# message that names Siskohat, the porsi or a registration asks about the hajj record (a data
# correction or a cancellation), which the bot cannot erase: that one goes to the FAQ.
_ERASE_VERBS = frozenset("hapus hapuskan dihapus dihapuskan menghapus hapusin delete deleted "
                         "erase erased remove removed hilangkan dihilangkan".split())
_ERASE_OBJECTS = frozenset("data datanya akun account informasi info riwayat history chat "
                           "percakapan pesan".split())
_OWNERS = frozenset("saya sy aku ku gue gw kami my me mine".split())
_HAJJ_RECORD = frozenset("siskohat porsi haji hajj kemenag kementerian jemaah bank ktp kk "
                         "pendaftaran registration pelimpahan pelunasan".split())


def asks_erasure(text: str) -> bool:
    """Whether a short message asks the bot to erase the person's own data."""
    words = re.sub(r"[^\w]+", " ", text.casefold().replace("-ku", " ku")).split()
    if not words or len(words) > 14 or _HAJJ_RECORD.intersection(words):
        return False
    said = set(words)
    if {"forget", "me"} <= said or {"lupakan", "saya"} <= said:
        return True
    return bool(_ERASE_VERBS & said and _ERASE_OBJECTS & said and _OWNERS & said)
