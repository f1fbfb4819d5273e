"""Matcher decisions: answer, clarify, hand off; typo tolerance; human requests."""

from __future__ import annotations

import pytest

from knowledge.kb_schema import default_kb
from knowledge.matcher import Matcher, Thresholds, asks_for_human
from knowledge.normalize import normalize


@pytest.fixture(scope="module")
def m() -> Matcher:
    return Matcher(default_kb())


@pytest.mark.parametrize("text", [
    "saya mau bicara dengan petugas", "sambungkan ke admin dong", "minta cs", "operator",
    "mau ngomong sama orang", "saya mau komplain", "can i talk to a human please",
    "petugas", "ada petugas yang bisa bantu saya", "mau ngobrol sama orang bukan robot",
    "bisa sambungin ke orang beneran?",
    "mohon dihubungkan ke petugas haji", "ada admin yang bisa saya telepon?",
    "saya perlu konsultasi langsung soal porsi bapak",
    # Sundanese "nyarios" (speak), an agent who is a person, being called back
    "abdi hoyong nyarios sareng petugas", "ada operator manusia?", "please call me back",
])
def test_requests_for_a_human_hand_off(m, text):
    r = m.match(text)
    assert r.decision == "handoff" and r.reason == "human_request"


@pytest.mark.parametrize("text", [
    "porsi orang tua saya bisa dilimpahkan?", "petugas kemenag memverifikasi berkas apa",
])
def test_ordinary_questions_are_not_human_requests(text):
    assert not asks_for_human(normalize(text))


@pytest.mark.parametrize("text, entry", [
    ("berkas limpah porsi almarhum apa aja", "pelimpahan-dokumen-wafat"),
    ("brp kali porsi bs dilimpahkan", "pelimpahan-sekali"),
    ("vaksin meningitis wajib ga", "vaksin-meningitis"),
    ("ukuran pas foto buat daftar haji", "pas-foto"),
    ("kepanjangan bps bpih apa", "bps-bpih"),
    ("kenapa estimasi keberangkatan berubah", "estimasi-keberangkatan"),
])
def test_confident_answers(m, text, entry):
    r = m.match(text)
    assert (r.decision, r.entry_id) == ("answer", entry), r


def test_typos_still_find_the_entry(m):
    r = m.match("persyaratn pelimphan porsi jemaah meningal")
    assert r.entry_id == "pelimpahan-dokumen-wafat"


def test_one_word_questions_always_clarify(m):
    r = m.match("pelimpahan")
    assert r.decision == "clarify" and r.reason == "one_word"
    assert 1 <= len(r.candidates) <= 3
    assert any(c.entry_id.startswith("pelimpahan") for c in r.candidates)


@pytest.mark.parametrize("text", ["dapih?", "Kloter??"])
def test_one_word_question_that_one_entry_defines_is_answered(m, text):
    # the word is the whole of one canonical question ("Apa itu ...?") and of no other
    r = m.match(text)
    assert r.decision == "answer" and r.reason == "defined_term"


@pytest.mark.parametrize("text", ["siskohat?", "porsi?", "lunas", "vaksin?", "kloter", "dapih"])
def test_one_word_that_many_entries_ask_about_still_clarifies(m, text):
    r = m.match(text)
    assert r.decision == "clarify" and r.reason == "one_word"


def test_a_regency_named_in_the_question_does_not_pull_towards_quota(m):
    with_area = m.match("udah nunggu lama, kapan saya berangkat? saya dari kabupaten bantul")
    without = m.match("udah nunggu lama, kapan saya berangkat? saya dari bantul")
    assert with_area.normalized == without.normalized
    assert "kabupaten" not in with_area.normalized


@pytest.mark.parametrize("text, entry", [
    ("surat kematian untuk berkas pelimpahan diterbitkan kantor dinas apa", "pelimpahan-dokumen-wafat"),
    ("porsi dari pelimpahan bapak, boleh saya alihkan lagi ke istri?", "pelimpahan-sekali"),
    ("apa arti lunas tunda, masuk tahap yang mana", "lunas-tunda"),
])
def test_distinctive_words_of_pelimpahan_and_payoff_entries(m, text, entry):
    r = m.match(text)
    assert (r.decision, r.entry_id) == ("answer", entry), r


@pytest.mark.parametrize("text", [
    "resep nasi goreng enak", "jadwal pertandingan bola malam ini", "harga tiket pesawat ke bali",
])
def test_out_of_scope_hands_off_without_topic(m, text):
    r = m.match(text)
    assert r.decision == "handoff" and r.reason == "out_of_scope" and r.coverage < 1.0


def test_empty_text(m):
    assert m.match("  ?? ").reason == "empty"


def test_sudah_vs_belum_changes_the_answer(m):
    assert m.match("sudah pernah haji mau haji lagi boleh?").entry_id == "haji-ulang"


def test_a_text_saying_the_opposite_does_not_carry_its_entry(m):
    # tahap-1's paraphrase "belum pernah haji ... tahap berapa" shares every other word
    r = m.match("saya sudah pernah berhaji, pelunasannya masuk tahap yang mana")
    assert r.entry_id != "pelunasan-tahap-1"
    assert not (r.decision == "answer" and r.entry_id == "pelunasan-tahap-1")


def test_a_clear_winner_is_answered_below_the_confident_score(m):
    # informal wording shares few words with any text, but only one entry is close
    r = m.match("almarhum udah terima uang living cost, terus uangnya diapakan")
    assert (r.decision, r.entry_id) == ("answer", "pelimpahan-living-cost"), r


def test_real_words_outside_the_kb_lower_coverage(m):
    r = m.match("skor bola tadi malem brp")
    assert r.decision == "handoff" and r.reason == "out_of_scope"


def test_match_result_shape(m):
    r = m.match("apa itu siskohat")
    assert r.decision == "answer" and r.entry_id == "siskohat"
    assert 0.0 < r.score <= 1.0
    assert r.candidates[0].entry_id == "siskohat"
    assert r.candidates[0].score >= r.candidates[-1].score


# Misses found in the first user test (QA.md): each went to a wrong entry, confidently, or to
# "out of scope".
@pytest.mark.parametrize(("text", "entry_id"), [
    ("ibu saya meninggal, porsinya bisa dialihkan ke saya?", "pelimpahan-penerima"),
    ("how do i pay off my hajj", "biaya-haji"),
    ("when will i go to mecca", "cek-status"),
    ("kk itu apa", "kartu-keluarga"),
    ("berapa biaya haji 2027", "biaya-haji"),
])
def test_user_test_misses_are_answered(m, text, entry_id):
    r = m.match(text)
    assert (r.decision, r.entry_id) == ("answer", entry_id), r


def test_english_phrases_survive_the_token_lexicon():
    # "off" alone would become "of" -> "dari", "my" -> "milikku" before the phrase is seen
    assert normalize("how do i pay off my hajj") == "bagaimana do i pelunasan saya haji"
    assert normalize("when will i go to mecca") == "kapan will i berangkat to haji"


def test_half_known_words_and_a_weak_score_is_out_of_scope(m):
    # "harga" and "tahun" are KB words, the topic (a sacrifice animal's price) is not
    r = m.match("harga sapi kurban tahun ini berapa")
    assert r.decision == "handoff" and r.reason == "out_of_scope"


def test_a_bare_number_does_not_lower_coverage(m):
    r = m.match("ibu saya sudah 85 apa ada prioritas lansia")
    assert r.decision == "answer" and r.entry_id == "lansia-prioritas"
    assert r.coverage == 1.0


def test_comparing_the_two_stages_is_not_one_stage(m):
    both = m.match("bedanya pelunasan tahap 1 sama tahap 2")
    assert both.decision == "answer" and both.entry_id == "pelunasan-tahap-beda"
    one = m.match("pelunasan tahap dua untuk siapa")
    assert one.decision == "answer" and one.entry_id == "pelunasan-tahap-2"


def test_a_question_the_best_entry_barely_explains_is_out_of_scope(m):
    # the rule: the best entry's share of the question's weighted words must reach `explained`
    text = "bapak saya lupa nomor porsinya"
    assert m.match(text).decision == "answer"
    strict = Matcher(default_kb(), Thresholds(explained=1.01))
    r = strict.match(text)
    assert r.decision == "handoff" and r.reason == "out_of_scope"


@pytest.mark.parametrize("text", [
    "berapa biaya haji plus sekarang", "syarat daftar haji furoda apa saja",
    "paket umroh ramadhan mulai berapa",
])
def test_other_pilgrimages_hand_off_even_with_regular_hajj_words(m, text):
    r = m.match(text)
    assert r.decision == "handoff" and r.reason == "out_of_scope" and r.entry_id is None


def test_a_regulation_named_haji_dan_umrah_is_in_scope(m):
    assert m.match("permen haji dan umrah 2025 ada aturan baru pelimpahan?").decision == "answer"


def test_a_long_story_is_answered_from_the_question_at_its_end(m):
    text = ("selamat pagi, saya dari kampung di jawa timur, anak saya yang bantu mengetik pesan "
            "ini karena mata saya sudah kurang awas. kami sekeluarga sudah lama menabung dan "
            "suami dulu bekerja sebagai sopir angkot. yang mau saya tanya, kalau mau daftar haji "
            "syaratnya apa saja")
    r = m.match(text)
    assert r.decision == "answer" and r.entry_id == "daftar-syarat"
    # the same story with an off-topic ending is still not answered
    off = text.rsplit(".", 1)[0] + ". resep rendang yang enak bagaimana"
    assert m.match(off).decision != "answer"


def test_voice_to_text_split_words_find_the_entry(m):
    r = m.match("data pemeriksaan saya belum di input ke siskohat kes")
    assert r.decision == "answer" and r.entry_id == "pelunasan-hasil-belum-diinput"


def test_passing_a_porsi_on_again_is_not_a_who_may_receive_question(m):
    r = m.match("porsi yang saya terima dari almarhum ayah bisa saya alihkan lagi ke anak saya?")
    # "who may receive" words are there too (ayah, anak, terima): never a confident wrong answer
    assert "pelimpahan-sekali" in [c.entry_id for c in r.candidates]
    assert not (r.decision == "answer" and r.entry_id != "pelimpahan-sekali")


def test_the_margin_asked_for_shrinks_as_the_score_rises(m):
    t = m.t
    assert m._margin_needed(t.clear) == pytest.approx(t.clear_margin)
    assert m._margin_needed(t.confident) == pytest.approx(t.margin)
    mid = m._margin_needed((t.clear + t.confident) / 2)
    assert t.margin < mid < t.clear_margin
    # degenerate thresholds (clear == confident) fall back to the clear margin
    flat = Matcher(default_kb(), Thresholds(clear=0.6, confident=0.6))
    assert flat._margin_needed(0.6) == pytest.approx(flat.t.clear_margin)


def test_a_small_lead_is_enough_when_only_the_top_entry_holds_the_rare_words(m):
    # "gabung" and "suami" are words of the merging entry and at most three others; the
    # runner-up (Tahap II) holds "gabung" too but no rare word of the question the merging
    # entry lacks
    # (scored 0.515: the floor of the rule as first fitted, 0.50; the fourth round's re-fit
    # raised it to 0.53, where this question is offered rather than answered)
    text = "saya ingin digabung dengan suami yang porsinya beda, lunasnya ikut tahap apa"
    rule = Matcher(default_kb(), Thresholds(distinct_floor=0.50))
    r = rule.match(text)
    assert (r.decision, r.entry_id) == ("answer", "penggabungan"), r
    assert r.score - r.candidates[1].score < rule._margin_needed(r.score)  # the rare-word rule
    # without the rule (and without the entry model's second opinion, which may agree with the
    # menu's first entry on its own) the question is offered, not answered
    without = Matcher(default_kb(), Thresholds(distinct_floor=0.50, distinct_margin=1.0,
                                               agree=2.0, pick=2.0))
    assert without.match(text).decision == "clarify"


def test_a_rival_holding_its_own_rare_word_keeps_the_question_ambiguous(m):
    # "saudara" points at who may receive, "permanen" at the illness documents
    words = m.scores("boleh saudara saya ambil alih porsi ibu yang sakit permanen")[0]
    top = m.ids.index("pelimpahan-penerima")
    rival = m.ids.index("pelimpahan-dokumen-sakit-permanen")
    combined = [0.0] * len(m.ids)
    combined[top], combined[rival] = 0.6, 0.58
    order = [top, rival] + [i for i in range(len(m.ids)) if i not in (top, rival)]
    assert not m._only_distinctive(words, top, order, combined)


def test_adoption_does_not_make_angkat_the_root_of_berangkat(m):
    assert "angkat" not in m.vocab
    assert m.stem("berangkat") != "angkat"
    r = m.match("anak angkat boleh menggantikan porsi ibu angkatnya yang wafat?")
    assert (r.decision, r.entry_id) == ("answer", "pelimpahan-penerima"), r


@pytest.mark.parametrize(("text", "entry_id"), [
    # the words that make each entry THAT entry, not its neighbour
    ("nenek wafat bulan Januari 2018, porsinya masih bisa dialihkan?", "pelimpahan-batas-waktu"),
    ("almarhum sudah terima uang living cost lalu wafat di embarkasi, porsinya gimana",
     "pelimpahan-living-cost"),
    ("ayah lumpuh dan kata dokter tidak bisa sembuh, porsinya bisa buat kakak saya?",
     "pelimpahan-dokumen-sakit-permanen"),
    ("rekening almarhumah di BNI, penerima mau buka tabungan di bank lain boleh?",
     "pelimpahan-bank"),
    ("penerima limpahan baru 15 tahun, kapan bisa berangkat?", "pelimpahan-usia-penerima"),
    ("suami punya tiga nomor porsi dan sudah wafat, bisa dilimpahkan semua?",
     "pelimpahan-porsi-ganda"),
    ("ibu saya punya 2 porsi, waktu pelunasan pakai yang mana?", "pelunasan-porsi-ganda"),
])
def test_distinctive_words_pick_the_entry(m, text, entry_id):
    r = m.match(text)
    assert (r.decision, r.entry_id) == ("answer", entry_id), r


def test_while_still_temporarily_not_istithaah_the_answer_says_not_yet(m):
    r = m.match("status istithaah ibu masih sementara, boleh setor lunas sekarang?")
    assert (r.decision, r.entry_id) == ("answer", "pelunasan-istithaah-sementara"), r
    first_line = m.kb["pelunasan-istithaah-sementara"].answer.id.splitlines()[0]
    assert "belum dapat" in first_line and "sebelum pelunasan" in first_line


@pytest.mark.parametrize("text", [
    "bikin visa turis ke arab saudi di mana", "hotel murah dekat masjid nabawi berapa semalam",
    "tiket pesawat jakarta madinah berapa", "how to get a saudi tourist visa",
])
def test_other_trips_and_bookings_hand_off(m, text):
    r = m.match(text)
    assert r.decision == "handoff" and r.reason == "out_of_scope" and r.entry_id is None


def test_the_fitted_line_answers_a_clear_lead_at_a_modest_score(m):
    # A score between `clear` and `confident` with a lead above the sliding margin: answered.
    # The line was lowered on data (see Thresholds); the old one (clear 0.50) asked instead.
    text = "estimasi bisa lebih cepat kalau kuota bertambah ya"
    r = m.match(text)
    assert (r.decision, r.entry_id) == ("answer", "estimasi-keberangkatan"), r
    assert m.t.clear <= r.score < 0.52 and r.score - r.candidates[1].score < m.t.clear_margin
    # a line at the old height (just above this score; word weights move it a little as the
    # knowledge base grows), without the later "likely" answers, asks instead
    old = Matcher(default_kb(), Thresholds(clear=0.52, likely_margin=1.0, agree=2.0, pick=2.0))
    assert old.match(text).decision == "clarify"


def test_distinctive_words_need_a_mid_score_and_most_words_known(m):
    t = m.t
    assert t.distinct_floor > t.clear and t.distinct_coverage >= t.clear_coverage
    # a lead of any size is enough for the rare-word rule, never a lead for the runner-up
    assert t.distinct_margin >= 0


def test_a_bare_number_no_entry_holds_does_not_hide_the_topic(m):
    # the position shown by the lookup is the person's own detail, not a topic word
    r = m.match("posisi porsi saya 52.310 artinya apa")
    assert r.decision != "handoff", r
    assert r.candidates[0].entry_id == "cek-status", r


@pytest.mark.parametrize(("text", "entry_id"), [
    ("cek porsi", "cek-status"),  # two words that ask how to check, not a lost number
    ("landasan hukum pelimpahan porsi itu apa", "pelimpahan-apa"),
    ("siskohatkes milik kementerian mana", "siskohatkes"),
    ("hasil istithaah masuk ke siskohat secara real time atau batch?", "siskohat-integrasi"),
])
def test_short_and_topic_questions_answer_their_entry(m, text, entry_id):
    r = m.match(text)
    assert (r.decision, r.entry_id) == ("answer", entry_id), r


@pytest.mark.parametrize("text", [
    "kapan saya bisa bayar pelunasan, daftar dari 2011",
    "sy daftar thn 2009, kapan bisa bayar pelunasan?",
])
def test_an_entry_about_a_specific_case_is_not_answered_when_the_case_is_not_named(m, text):
    # "kapan ... lunas" is all the question shares with "jemaah cadangan ... kapan melunasi";
    # it never says cadangan, and the generic pelunasan entry is close
    r = m.match(text)
    ids = [c.entry_id for c in r.candidates]
    assert (r.decision, r.entry_id) == ("answer", "pelunasan-siapa-boleh") or (
        r.decision == "clarify" and "pelunasan-siapa-boleh" in ids), r


def test_the_case_guard_is_what_keeps_the_specific_entry_out(m):
    # the generic entry now holds most ways of asking when to pay off ("kapan melunasi haji"
    # ranks it first even unguarded); this one still needs the guard (each paraphrase round
    # moves which short wording does: "kapan bisa melunasi" did until the eighth)
    text = "kapan saya melunasi"
    r = m.match(text)
    assert (r.decision, r.reason) == ("clarify", "case_not_named"), r
    unguarded = Matcher(default_kb(), Thresholds(concept_gap=0.0)).match(text)
    assert (unguarded.decision, unguarded.entry_id) == ("answer", "jemaah-cadangan"), unguarded


@pytest.mark.parametrize(("text", "entry_id"), [
    ("kalau jadi jemaah cadangan, lunasnya kapan", "jemaah-cadangan"),
    ("status saya lunas tunda, maksudnya apa", "lunas-tunda"),
    ("pembayaran pelunasan gagal terus, gimana", "gagal-bayar"),
    ("uang living cost almarhum harus dikembalikan?", "pelimpahan-living-cost"),
])
def test_a_question_naming_the_case_still_gets_the_specific_entry(m, text, entry_id):
    r = m.match(text)
    assert (r.decision, r.entry_id) == ("answer", entry_id), r


def test_the_case_of_an_entry_is_its_rare_words_in_both_question_and_keywords(m):
    concept = dict(zip(m.ids, m._concept, strict=True))
    assert concept["jemaah-cadangan"] == {"cadangan"}
    assert concept["lunas-tunda"] == {"tunda"}
    assert not concept["pelunasan-siapa-boleh"]  # a generic entry has no case to miss


def test_a_near_tie_is_not_answered_on_distinctive_words_alone(m):
    # Two entries about one case (the exam result not yet in Siskohat) a lead of 0.02 apart: with
    # "any lead" allowed the distinctive words alone would answer one of them.
    # (the margin is pinned at 0.03 here: as the knowledge base grew the two entries' lead on
    # this text drifted to the default 0.02 itself, a tie on either side of the line; the
    # entry model's agreement is left out: this is about the distinctive-word rule alone)
    text = ("bapak udah periksa kesehatan tadi pagi tapi pas di bank katanya data istithaahnya "
            "belum masuk siskohat")
    strict = Matcher(default_kb(), Thresholds(distinct_margin=0.03, agree=2.0, pick=2.0))
    got = strict.match(text)
    assert got.decision == "clarify", got
    assert got.candidates[0].score - got.candidates[1].score < strict.t.distinct_margin
    loose = Matcher(default_kb(), Thresholds(distinct_margin=0.0, distinct_floor=0.50))
    tie = loose.match(text)
    assert tie.decision == "answer" and tie.entry_id == got.entry_id  # the tie the margin guards


@pytest.mark.parametrize("text", [
    "naik haji dengan uang utang, hukumnya bagaimana",
    "apakah asuransi jiwa menanggung jemaah yang sakit",
])
def test_rulings_and_other_services_get_a_human_not_buttons(m, text):
    r = m.match(text)
    assert r.decision == "handoff" and r.reason == "out_of_scope" and r.entry_id is None


def test_close_pelimpahan_entries_each_carry_their_neighbours_deciding_fact(m):
    # a "who may receive" question about a permanently ill pilgrim lands on either entry: both
    # must name the six relations and the government hospital letter
    for entry_id in ("pelimpahan-penerima", "pelimpahan-dokumen-sakit-permanen"):
        entry = next(e for e in m.kb.entries if e.id == entry_id)
        for text in (entry.answer.id.lower(), entry.answer.en.lower()):
            assert "rumah sakit pemerintah" in text or "government hospital" in text
            assert "saudara kandung" in text or "sibling" in text


@pytest.mark.parametrize(("text", "entry_id"), [
    ("warga kami bertanya, boleh tidak pelimpahan diurus di hari minggu", "pelimpahan-tempat"),
    ("almarhumah sudah diberi uang saku sebelum wafat, wajib dibalikin?", "pelimpahan-living-cost"),
    ("map plastik buat daftar haji warnanya bebas?", "daftar-syarat"),
    ("tulisan nama saya di data haji keliru hurufnya", "data-salah"),
])
def test_distinctive_words_of_close_neighbours_pick_the_entry(m, text, entry_id):
    r = m.match(text)
    assert (r.decision, r.entry_id) == ("answer", entry_id), r
