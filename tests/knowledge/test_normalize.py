"""Normalisation: Unicode, chat spelling, the domain lexicon first, typos, masking."""

from __future__ import annotations

from knowledge.normalize import (
    LEXICON_DIR,
    Lexicon,
    _apply_phrases,
    default_lexicon,
    mask_personal,
    normalize,
    normalize_words,
)
from knowledge.out_of_scope import names_out_of_scope
from knowledge.spelling import Vocabulary, correct_words, join_split_words


def _corrected(text: str, vocab: Vocabulary) -> str:
    return " ".join(correct_words(normalize_words(text), vocab)[0])


def test_unicode_case_and_punctuation():
    assert normalize_words("ＰＯＲＳＩ Haji?!") == ["porsi", "haji"]


def test_reduplication_and_repeated_letters():
    assert normalize_words("anak2 saya") == ["anak", "anak", "saya"]
    assert normalize_words("syarat-syarat") == ["syarat", "syarat"]
    assert normalize_words("tolooong") == ["toloong"]  # the vocabulary step finishes the job
    assert _corrected("tolooong porsi", Vocabulary(["tolong", "porsi"])) == "tolong porsi"


def test_domain_lexicon_wins_over_chat_lexicon():
    # IndoCollex reads "kk" as "kakak"; in a hajj helpdesk it is the Kartu Keluarga
    assert default_lexicon().tokens["kk"] == "kartu keluarga"
    assert normalize_words("fotokopi kk") == ["fotokopi", "kartu", "keluarga"]
    assert normalize_words("alm bapak umroh sulsel ortu") == [
        "almarhum", "bapak", "umrah", "sulawesi", "selatan", "orang", "tua"]


def test_informal_words_become_formal_and_question_words_stay():
    assert normalize_words("gmn klo blm bs brp") == [
        "bagaimana", "kalau", "belum", "bisa", "berapa"]
    words = normalize_words("kapan sudah tidak belum berapa bagaimana")
    assert words == ["kapan", "sudah", "tidak", "belum", "berapa", "bagaimana"]


def test_indocollex_is_used_and_attributed():
    # a pair only IndoCollex has (not in our own lexicon files)
    assert default_lexicon().tokens.get("bnyk") == "banyak"
    licence = (LEXICON_DIR / "LICENSE-indocollex.txt").read_text(encoding="utf-8")
    assert "MIT License" in licence and "Haryo Akbarianto Wibowo" in licence
    assert "IndoCollex" in (LEXICON_DIR / "README.md").read_text(encoding="utf-8")


def test_min_is_minimal_before_a_number_and_dropped_as_a_vocative():
    assert normalize_words("usia min 12 tahun") == ["usia", "minimal", "12", "tahun"]
    assert normalize_words("min mau tanya") == ["mau", "tanya"]


def test_years_become_one_token():
    assert normalize_words("wafat 2015") == [*normalize_words("wafat 2021")[:1], "tahunangka"]


def test_typos_are_corrected_against_the_vocabulary_only():
    vocab = Vocabulary(["syarat", "surat", "pelimpahan", "almarhum", "porsi", "lagi"])
    words, content, covered = correct_words(["syrat", "pelimpahn", "almrhum", "porsinya"], vocab)
    assert words == ["syarat", "pelimpahan", "almarhum", "porsi"]
    assert (content, covered) == (4, 4)
    # short words are not "corrected" (lagu is not lagi), unknown words stay unknown
    words, content, covered = correct_words(["lagu", "instagram"], vocab)
    assert words == ["lagu", "instagram"] and covered == 0


def test_mask_personal_hides_digits_and_names():
    known = {"porsi", "meninggal", "syarat", "pelimpahan", "bisa", "dilimpahkan"}
    assert mask_personal("nama saya Budi Santoso porsi 1234567890", known) == (
        "nama saya *** *** porsi ##########")
    assert mask_personal("porsi alm Ahmad bisa dilimpahkan?", known) == (
        "porsi alm *** bisa dilimpahkan?")
    assert mask_personal("syarat pelimpahan bpk sutrisno", known) == "syarat pelimpahan bpk ***"
    assert mask_personal("ibu meninggal syarat pelimpahan", known) == (
        "ibu meninggal syarat pelimpahan")
    assert "@" not in mask_personal("email budi@contoh.id", known)


def test_real_words_are_not_corrected_into_kb_words():
    # kesempatan is not a typo of kesehatan, malam not of macam, bukan not of buka
    vocab = Vocabulary(["kesehatan", "macam", "buka", "syarat"])
    words, _content, covered = correct_words(["kesempatan", "malam", "bukan", "syrat"], vocab)
    assert words == ["kesempatan", "malam", "bukan", "syarat"]
    assert covered == 1  # only the typo counts as known to the knowledge base


def test_colloquial_in_verbs_reach_their_formal_form():
    vocab = Vocabulary(["batalkan", "dilimpahkan", "ajukan", "lunas"])
    words, _, covered = correct_words(["batalin", "dilimpahin", "ngajuin", "lunasinnya"], vocab)
    assert words == ["batalkan", "dilimpahkan", "ajukan", "lunas"]
    assert covered == 4


def test_yaml_boolean_looking_keys_stay_words():
    # unquoted `no:` / `y:` in YAML are booleans; the lexicon must still read them as words
    assert normalize_words("lupa no porsi") == ["lupa", "nomor", "porsi"]
    assert "false" not in default_lexicon().tokens and "true" not in default_lexicon().tokens


def test_bank_transfer_is_not_pelimpahan():
    assert normalize_words("transfer pelunasan gagal") == ["transfer", "pelunasan", "gagal"]
    assert normalize_words("porsi transfer documents")[:2] == ["pelimpahan", "porsi"]


def test_regional_words_become_indonesian():
    assert normalize("piye carane ngecek porsi, wis lunas opo durung") == (
        "bagaimana caranya cek porsi sudah lunas apa belum")
    assert normalize("kumaha carana daftar, kudu mawa naon wae") == (
        "bagaimana caranya daftar harus bawa apa saja")
    assert normalize("ambo nio tanyo, amak alah maningga") == "saya ingin tanya ibu sudah meninggal"
    # Javanese, Sundanese, Madurese, Minang and Banjar words of the ninth round
    assert normalize("bapak sing wis sedo") == "bapak yang sudah meninggal"
    assert normalize("pun bapa tos pupus") == "pun bapak sudah meninggal"
    assert normalize("engkok terro atanya, bileh mangkat ajji") == (
        "saya ingin tanya kapan berangkat haji")
    assert normalize("baa caronyo mambayia palunasan") == "bagaimana caranya bayar pelunasan"
    assert normalize("ulun handak batakun, umak ulun handak bahaji") == (
        "saya mau tanya ibu saya mau haji")


def test_particles_vocatives_and_greetings_are_dropped_but_never_the_whole_message():
    assert normalize("assalamualaikum bang, syaratnya apa sih teh") == "syaratnya apa"
    assert normalize("pak haji, kloter itu apa") == "kloter itu apa"
    assert normalize("bang") == "bang"
    assert normalize("pak haji") == "bapak haji"
    # a -nya form of a chat word is looked up without the -nya
    assert normalize("ngitungnya gimana") == "menghitung bagaimana"


def test_mask_personal_finds_lower_case_names_and_addresses():
    """People type in lower case: names and streets must not survive because of it."""
    known = {"porsi", "pelimpahan", "syarat", "ibu", "meninggal", "alamat"}
    masked = mask_personal("ibu siti aminah meninggal alamat jl melati no 5 syarat pelimpahan", known)
    for personal in ("siti", "aminah", "melati", "5"):
        assert personal not in masked.split(), masked
    assert masked.startswith("ibu *** *** meninggal alamat")
    assert "syarat pelimpahan" in masked
    # a common name that is also a dictionary word is still masked; KB words never are
    assert mask_personal("anak saya budi mau tanya porsi", known) == "anak saya *** mau tanya porsi"
    assert mask_personal("bapak joko santoso", known) == "bapak *** ***"


def test_numbers_written_as_words_become_digits():
    assert normalize("setoran dua puluh lima juta") == "setoran 25 juta"
    assert normalize("umur tujuh belas tahun") == "umur 17 tahun"
    assert normalize("sepuluh digit") == "10 digit"
    assert normalize("seratus dua puluh tiga") == "123"
    # a lone unit word is a number only before a counted thing; "tahap satu" stays a stage
    assert normalize("salah satu") == "salah satu"
    assert normalize("tahap satu dan tahap dua") == "tahapsatu dan tahapdua"


def test_place_names_do_not_count_against_coverage():
    vocab = Vocabulary(["pindah", "domisili", "porsi"])
    words, content, covered = correct_words(["pindah", "bekasi", "surabaya", "porsi"], vocab)
    assert words == ["pindah", "bekasi", "surabaya", "porsi"]
    assert (content, covered) == (2, 2)


def test_the_area_word_before_a_place_name_goes_with_the_place():
    vocab = Vocabulary(["kuota", "kabupaten", "kota", "berangkat"])
    words, content, covered = correct_words(
        ["kuota", "kabupaten", "bantul", "berangkat", "kota", "medan"], vocab)
    assert words == ["kuota", "bantul", "berangkat", "medan"]
    assert (content, covered) == (2, 2)
    # without a place after it, "kabupaten" is a word of the question like any other
    assert correct_words(["kuota", "kabupaten", "kota"], vocab)[0] == ["kuota", "kabupaten", "kota"]


def test_a_place_in_the_queue_is_the_porsi():
    assert normalize("can my place in the queue go to my daughter") == (
        "can saya porsi berangkat to saya anak")


def test_app_and_screenshot_words():
    assert normalize("ss dari app, cara benerinnya") == "dari aplikasi cara perbaiki"
    assert normalize("cek di web kemenag") == "cek di website kemenag"
    assert normalize("jumlah se-indonesia") == "jumlah seluruh indonesia"


def test_english_possessive_is_the_noun_not_a_plural():
    # "mother's" without its apostrophe would be "mothers", which IndoCollex reads as "ibu-ibu"
    assert normalize_words("my mother's porsi") == ["saya", "ibu", "porsi"]
    assert normalize_words("jama'ah") == ["jemaah"]  # an apostrophe inside a word stays a join


def test_words_typed_apart_are_joined_only_into_a_kb_word():
    vocab = Vocabulary(["diinput", "siskohatkes", "tahap", "dua", "lunas", "tunda", "data"])
    assert join_split_words(["data", "di", "input"], vocab) == ["data", "diinput"]
    assert join_split_words(["di", "siskohat", "kes"], vocab) == ["di", "siskohatkes"]
    assert join_split_words(["tahap", "dua"], vocab) == ["tahap", "dua"]
    assert join_split_words(["lunas", "tunda"], vocab) == ["lunas", "tunda"]
    assert _corrected("data di sis ko hat", Vocabulary(["data", "di", "siskohat"])) == (
        "data di siskohat")


def test_regional_forms_of_nya_reach_the_kb_word():
    vocab = Vocabulary(["porsi", "lunas", "cara", "pelunasan"])
    assert vocab.correct("porsine") == "porsi"  # Javanese -ne
    assert vocab.correct("pelunasane") == "pelunasan"  # Javanese -e
    assert vocab.correct("porsina") == "porsi"  # Sundanese -na
    assert vocab.correct("caronyo") == "cara"  # Minang -nyo, with o for a
    assert vocab.correct("caranye") == "cara"  # Betawi -nye


def test_regional_and_sms_words():
    assert normalize_words("nyarios sareng petugas") == ["bicara", "dengan", "petugas"]
    assert normalize_words("sampun kaji") == ["sudah", "sudahberhaji"]
    # intensifiers are not "sekali" (once), a word the pelimpahan entries use
    assert "sekali" not in normalize_words("ribet bgt urusannya")


def test_already_or_never_did_hajj_is_one_concept_word():
    assert normalize_words("blm pernah haji") == ["belum", "belumberhaji"]
    assert normalize_words("tidak pernah berhaji") == ["belum", "belumberhaji"]
    assert normalize_words("sudah pernah naik haji") == ["sudah", "sudahberhaji"]
    assert normalize_words("already did hajj") == ["sudah", "sudahberhaji"]


def test_a_phrase_whose_rewrite_keeps_it_is_rewritten_once():
    assert normalize_words("transferred again") == ["dilimpahkan", "lagi", "limpahulang"]
    assert normalize_words("dialihkan lagi") == ["dialihkan", "lagi", "limpahulang"]


def test_superlatives_and_english_phrases():
    assert normalize_words("paling lama") == ["terlama"]
    assert normalize_words("not yet paid") == ["belum", "lunas"]
    assert normalize_words("take over the seat") == ["ambil", "alih", "the", "porsi"]


def test_other_pilgrimages_are_named_out_of_scope():
    assert names_out_of_scope(normalize_words("biaya haji furoda"))
    assert names_out_of_scope(normalize_words("daftar haji plus"))
    assert names_out_of_scope(normalize_words("paket umroh"))
    assert not names_out_of_scope(normalize_words("Permen Haji dan Umrah 3/2025"))
    assert not names_out_of_scope(normalize_words("jadwal khusus pelimpahan"))


def test_a_month_before_a_year_goes_with_the_year():
    # "Maret 2019" narrows the date; alone ("bulan juni") a month stays an unknown word, so an
    # off-topic question about a month is not made to look covered
    assert normalize_words("wafat Agustus 2018") == ["meninggal", "tahunangka"]
    assert normalize_words("tanggal 3 juli 2021") == ["tanggal", "3", "tahunangka"]
    assert normalize_words("panas bulan juli") == ["panas", "bulan", "juli"]


def test_adoption_is_one_concept_word():
    # not "anak" + "angkat": a bare "angkat" in the KB vocabulary would become the stem of
    # every "berangkat" (see test_matcher)
    assert normalize_words("anak angkat saya") == ["anak", "anakangkat", "saya"]
    assert normalize_words("bapak angkatnya meninggal") == ["bapak", "anakangkat", "meninggal"]


def test_holding_several_porsi_numbers_is_one_concept_word():
    for text in ("punya tiga porsi", "ada 2 nomor porsi", "my father had two porsi numbers",
                 "terdaftar dua kali"):
        assert "porsiganda" in normalize_words(text), text
    assert "porsiganda" not in normalize_words("nomor porsi saya berapa digit")


def test_bank_names_are_banks():
    assert normalize_words("rekening di BRI atau BSI") == ["rekening", "di", "bank", "atau", "bank"]


def test_other_trips_and_bookings_are_out_of_scope_but_the_hajj_visa_is_not():
    for text in ("cara bikin visa turis ke saudi", "apply for a tourist visa",
                 "hotel dekat masjid nabawi", "tiket pesawat ke jeddah murah"):
        assert names_out_of_scope(normalize_words(text)), text
    assert not names_out_of_scope(normalize_words("visa haji reguler diurus siapa"))


def test_formal_and_english_ways_to_say_it():
    # a letter's "menunaikan ibadah haji" is "berhaji": one concept word with "sudah pernah"
    assert "sudahberhaji" in normalize("saya sudah pernah menunaikan ibadah haji tahun 2005")
    assert "sudahberhaji" in normalize("bapak pernah melaksanakan ibadah haji")
    words = normalize("is the health screening required, and who can receive it").split()
    assert {"pemeriksaan", "kesehatan", "menerima"} <= set(words)
    assert "mengajukan" in normalize("ngajuin pelimpahan di mana").split()


def test_english_negation_and_lookup_words_keep_their_meaning():
    words = normalize_words("the result is not clear")
    assert "hasil" in words and "tidak" in words
    assert "cek" in normalize_words("please look up this porsi")


def test_pocket_money_and_giving_back_are_said_as_the_rules_say_them():
    words = normalize_words("uang sakunya wajib dibalikin")
    assert words[:2] == ["living", "biaya"] and words[-1] == "dikembalikan"
    assert normalize_words("uang saku") == normalize_words("living cost")


def test_religious_rulings_and_other_services_are_out_of_scope_but_legal_basis_is_not():
    assert names_out_of_scope(normalize_words("apakah sah berhaji dengan uang hasil riba"))
    assert names_out_of_scope(normalize_words("fatwa ulama soal haji berulang"))
    assert names_out_of_scope(normalize_words("cara bayar iuran bpjs"))
    assert names_out_of_scope(normalize_words("bolehkah pakai dana talangan bank"))
    assert not names_out_of_scope(normalize_words("dasar hukumnya pelimpahan porsi apa"))
    assert not names_out_of_scope(normalize_words("ayah wafat di masjidil haram, porsinya bagaimana"))


def test_phrases_apply_in_order_including_words_a_rewrite_brings_in():
    lex = Lexicon(tokens={}, phrases=(
        (("x", "y"), ("never",)),          # before the rewrite that brings "x" in: not applied
        (("a", "b"), ("x", "y")),
        (("x", "y", "z"), ("q",)),         # after it: applied to what it brought in
        (("p",), ("p",)),                  # a phrase that changes nothing
    ))
    assert _apply_phrases(["a", "b", "z"], lex) == ["q"]
    assert _apply_phrases(["a", "b"], lex) == ["x", "y"]
    assert _apply_phrases(["x", "y", "z"], lex) == ["never", "z"]
    assert _apply_phrases(["p", "a", "b", "z", "a", "b", "z"], lex) == ["p", "q", "q"]


def test_no_lexicon_file_repeats_a_key():
    """A key written twice in one mapping is silently the later one: a second entry for a word
    (two helpers adding "spot" in one round) hides a disagreement until it bites."""
    import collections
    from pathlib import Path

    import yaml

    repeated: list[str] = []

    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        keys = [str(loader.construct_object(k, deep=True)) for k, _ in node.value]
        repeated.extend(f"{node.start_mark.name}: {k}" for k, n
                        in collections.Counter(keys).items() if n > 1)
        return loader.construct_mapping(node, deep)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    lexicon = Path(__file__).resolve().parents[2] / "knowledge" / "lexicon"
    files = sorted(lexicon.glob("*.yaml"))
    assert len(files) >= 5
    for path in files:
        with path.open(encoding="utf-8") as fh:
            yaml.load(fh, Loader=Strict)  # noqa: S506 - a SafeLoader subclass
    assert repeated == []
