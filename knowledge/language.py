"""Which language a free-text question is written in: Indonesian or English (issue 15, item 4).

A cheap word-list vote on the words as typed (before normalisation, which turns English words
into Indonesian ones): English function and question words against Indonesian ones, the chat
and regional words of `lexicon/informal.yaml` (piye, kumaha, ambo ...: regional words stay
Indonesian) and the Indonesian root-word list. Hajj terms both languages use (porsi, pelunasan,
Siskohat, hajj ...) vote for neither. A message with too little evidence either way ("ok",
"pelimpahan?", "status porsi") returns None: the reply keeps the chat's language (/bahasa or
the Telegram client's), which is only a default.
"""

from __future__ import annotations

import re
from functools import cache

from knowledge.normalize import _read_yaml, root_words

ENGLISH = frozenset(
    """
    a an the is are was were be been am do does did done have has had will would can could
    should shall may might must i me my mine we us our you your he him his she her it its they
    them their this that these those there here what which who whom whose when where why how
    and or but not no yes if then than so because about after before until while with without
    for from into of on in at by to up out off over again still also only just please thanks
    thank hello hi dear sir madam want need get got pay paid paying go going gone come take
    give keep know tell say said find check change changed make many much long old new any
    some all every each other another next last first second year years month months day days
    number phone money cost costs fee fees price document documents papers bring register
    registered registration queue wait waiting list died dead passed away father mother son
    daughter husband wife parent parents brother sister child children family late elderly
    health result results stage allowed eligible transfer transferred cancel refund receive
    received person someone people officer agent staff help office living mean means meaning
    does doesn isn aren don didn won wasn weren cannot can't don't i'm it's what's near nearest
    closest cheap cheapest best
    talk speak call contact connect send show ask answer reply write read see look hear think
    try use work live stay leave arrive return start stop open close book buy lose lost forget
    forgot remember understand explain follow human real man woman men women time today
    tomorrow yesterday week date birth place city country home house customer service support
    team question information detail details account name address email login app website site
    link page letter certificate proof card passport flight ticket hotel trip journey
    pilgrimage pilgrim pilgrims government ministry religious affairs savings deposit balance
    payment installment loan interest cash sick ill healthy permanent free full ready available
    able possible sure right wrong true early young grandfather grandmother uncle aunt cousin
    grandson granddaughter hey morning afternoon evening night
    okay thx sorry yet already done ever never always soon later
    """.split()
)
INDONESIAN = frozenset(
    """
    apa apakah yang yg di ke dari dan atau itu ini ada adalah saya sy aku kami kita anda kamu
    dia beliau bisa bs boleh dapat harus perlu akan sudah udah udh sdh belum blm tidak tdk tak
    gak ga nggak enggak ngga bukan juga jg saja aja lagi masih bagaimana gimana gmn bgmn kapan
    berapa brp mana dimana siapa kenapa knp mengapa cara untuk utk buat dengan dgn pada dalam
    oleh ya iya dong sih deh nih tuh kok kah lah pun tolong mohon tanya bertanya mas mbak bapak
    bpk ibu bu pak kak terima kasih makasih sama jika kalau kalo klo agar supaya sebelum sesudah
    setelah tersebut mau ingin pengen nya punya biar karena karna krn tapi tetapi namun nanti
    sekarang skrg tahun thn bulan hari orang tua ortu anak suami istri ayah adik kakak nenek
    kakek almarhum alm meninggal wafat daftar bayar lunas berangkat umur usia syarat dokumen
    berkas biaya uang jadwal ganti nomor apa2 gimana2 assalamualaikum
    """.split()
)
# Terms both languages use for the same thing: evidence for neither.
SHARED = frozenset(
    """
    haji hajj hajji porsi pelunasan pelimpahan siskohat siskohatkes istithaah istitaah bpih bipih
    kankemenag kemenag kanwil embarkasi kloter lansia tahap setoran awal lunas tunda spma dapih
    bps ok oke status online bank data visa admin wa whatsapp helpdesk menu pdf nik ktp kk
    living cost update form limit problem
    """.split()
)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


@cache
def _indonesian_extra() -> frozenset[str]:
    """Chat, regional and particle words of the informal lexicon (its keys and drop list)."""
    data = _read_yaml("informal.yaml")
    words = {str(k).lower() for k in (data.get("tokens") or {})}
    words |= {str(w).lower() for w in (data.get("drop") or ())}
    return frozenset(w for w in words if w.isalpha() and w not in ENGLISH)


@cache
def _english_extra() -> frozenset[str]:
    """The English words of `lexicon/english.yaml`: its keys, the first word of its phrases and
    its function words ("hospital", "deposit" and "letter" are also in the Indonesian lists)."""
    data = _read_yaml("english.yaml")
    words = {str(k).lower() for k in (data.get("tokens") or {})}
    words |= {str(k).lower().split()[0] for k in (data.get("phrases") or {})}
    words |= {str(w).lower() for w in (data.get("function_words") or ())}
    return frozenset(w for w in words if w.isalpha() and w not in INDONESIAN)


@cache
def _english_all() -> frozenset[str]:
    # built once: the union of a few thousand words was made again for every message
    return ENGLISH | _english_extra()


def votes(text: str) -> tuple[int, int]:
    """(English votes, Indonesian votes) of the words of `text`."""
    en = idn = 0
    roots = root_words()
    extra = _indonesian_extra()
    english = _english_all()
    for word in _WORD.findall(text.casefold().replace("’", "'")):
        if word in SHARED:
            continue
        if word in english:
            en += 1
        elif word in INDONESIAN or word in extra or (len(word) > 2 and word in roots):
            idn += 1
    return en, idn


def detect(text: str, min_votes: int = 2) -> str | None:
    """"en" or "id" when the words say so clearly, else None (keep the chat's language).

    Clearly: the winner has at least `min_votes` votes and more than the other side; with
    both sides voting, it needs twice the other's ("anak saya 13 tahun, can he register?" is
    mixed: the chat's language decides).
    """
    en, idn = votes(text)
    if en >= min_votes and en > idn and (idn == 0 or en >= 2 * idn):
        return "en"
    if idn >= min_votes and idn > en and (en == 0 or idn >= 2 * en):
        return "id"
    return None
