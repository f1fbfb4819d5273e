import pytest

from knowledge.porsi import (
    NumberKind,
    PorsiProblem,
    find_porsi,
    looks_like_porsi_attempt,
    parse_porsi,
    parse_porsi_text,
    scan_numbers,
)


@pytest.mark.parametrize(
    "text",
    [
        "1300477219",
        " 1300477219 ",
        "1300 477 219",
        "1300.477.219",
        "1300-477-219",
        "13-00-47-72-19",
        "porsi 1300477219",
        "No. porsi: 1300477219",
        "nomor porsi saya 1300477219",
        "1300477219.",
        "“1300477219”",
        "１３００４７７２１９",  # full-width digits from some keyboards
        "١٣٠٠٤٧٧٢١٩",  # Arabic-Indic digits
    ],
)
def test_valid_porsi_forms(text):
    assert parse_porsi_text(text) == "1300477219"
    assert not looks_like_porsi_attempt(text)


@pytest.mark.parametrize(
    "text, problem, digits",
    [
        ("130047721", PorsiProblem.LENGTH, 9),
        ("13004772190", PorsiProblem.LENGTH, 11),
        ("1300 477 21", PorsiProblem.LENGTH, 9),
        ("abc", PorsiProblem.LETTERS, 0),
        ("13004772l9", PorsiProblem.LETTERS, 9),
        ("", PorsiProblem.EMPTY, 0),
        ("   ", PorsiProblem.EMPTY, 0),
        (None, PorsiProblem.EMPTY, 0),
    ],
)
def test_invalid_porsi_says_why(text, problem, digits):
    result = parse_porsi(text)
    assert result.porsi is None and not result.ok
    assert result.problem is problem
    assert result.digits == digits
    assert parse_porsi_text(text) is None


@pytest.mark.parametrize("text", ["130047721", "13004772190", "13004772l9", "1300-477-21", "123456"])
def test_wrong_length_numbers_look_like_attempts(text):
    assert looks_like_porsi_attempt(text)


@pytest.mark.parametrize(
    "text",
    ["", "12", "2", "kapan saya berangkat", "biaya 2025 berapa", "halo", None, "12345",
     "saya daftar tahun 2012 nomor 1300477219 kapan"],
)
def test_ordinary_text_is_no_porsi(text):
    assert parse_porsi_text(text) is None
    assert not looks_like_porsi_attempt(text)


def test_number_inside_a_sentence_is_not_taken_as_a_lookup():
    # a bare number only: a 10-digit figure in a question (a phone number, an amount) is not
    # silently turned into a status lookup
    assert parse_porsi_text("transfer 1300477219 ke rekening") is None


# --- a porsi inside a sentence (issue 15): scan_numbers / find_porsi -------------------------

A, B = "3509412276", "3309381154"

SENTENCES = [
    # Indonesian
    f"porsi saya {A} pak",
    f"assalamualaikum pak, porsi ibu saya {A}, kapan berangkat ya",
    f"tolong cek {A} kapan berangkat",
    f"nomor porsi saya {A}",
    f"no porsi {A} mohon dicek",
    f"cek porsi {A}",
    f"ini nomor porsi bapak saya: {A}",
    f"pak mau tanya, porsi {A} berangkat tahun berapa?",
    f"{A} itu porsi ibu saya, sudah bisa lunas belum",
    f"mohon info status porsi {A} terima kasih",
    f"selamat siang, saya mau cek nomor {A}",
    f"porsi almarhum ayah {A} bisa dilimpahkan?",
    f"daftar tahun 2012, porsi {A}, kapan berangkat",
    "porsi saya 3509 412 276 pak",
    "porsi saya 3509-412-276",
    "porsi: 3509.412.276 mohon dicek",
    "nomer porsi 35 09 41 22 76 ya pak",
    f"no.{A}",
    f"porsi:{A}",
    f"(porsi {A})",
    f"cek \u201c{A}\u201d",
    "porsi saya ３５０９４１２２７６",  # full-width digits
    f"Porsi Saya {A} Atas Nama Ibu Siti",
    f"umur ibu 65 tahun, porsi {A}, setoran awal 25 juta",
    # English
    f"when will I depart? my number {A}",
    f"my porsi number is {A}",
    f"please check {A}",
    f"check status {A} please",
    f"hi, my mother's porsi is {A}, when does she leave?",
    f"what is the status of {A}?",
    "porsi number: 3509 412 276",
    f"can you look up {A} for me",
    f"my registration number {A}, registered in 2012",
    f"{A} is my father's porsi",
]


@pytest.mark.parametrize("text", SENTENCES)
def test_a_porsi_anywhere_in_a_sentence(text):
    assert find_porsi(text) == [A]


def test_at_least_thirty_phrasings_in_both_languages():
    assert len(SENTENCES) >= 30


@pytest.mark.parametrize(
    "text",
    [
        f"{A} {B}",
        f"{A}, {B}",
        f"{A}\n{B}",
        f"{A} dan {B}",
        f"punya bapak {A} dan ibu {B}",
        "3509 412 276 3309 381 154",
        "3509-412-276 3309-381-154",
        f"porsi bapak {A}, porsi ibu {B}, kapan berangkat?",
        f"my parents: {A} and {B}",
        f"{A} {B} {A}",  # the same porsi twice is looked up once
    ],
)
def test_several_porsi_in_one_message_are_each_found_never_one_long_number(text):
    assert find_porsi(text) == [A, B]


def test_many_porsi_in_order():
    numbers = [f"35094122{i:02d}" for i in range(5)]
    assert find_porsi(" ".join(numbers)) == numbers


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("02-08-1953", NumberKind.DATE),
        ("2/8/1953", NumberKind.DATE),
        ("14/3/78", NumberKind.DATE),
        ("14 maret 1978", NumberKind.DATE),
        ("tanggal lahir ibu 02-08-1953", NumberKind.DATE),
        ("born 14 March 1978", NumberKind.DATE),
        ("02081953", NumberKind.DATE),
        ("081234567890", NumberKind.PHONE),
        ("0812-3456-7890", NumberKind.PHONE),
        ("0812 3456 7890", NumberKind.PHONE),
        ("+62 812-3456-7890", NumberKind.PHONE),
        ("+6281234567890", NumberKind.PHONE),
        ("6281234567890", NumberKind.PHONE),
        ("no hp saya 0812345678", NumberKind.PHONE),  # 10 digits from 08: a phone by its words
        ("wa 0812345678", NumberKind.PHONE),
        ("3509123456780001", NumberKind.NIK),
        ("nik saya 3509 1234 5678 0001", NumberKind.NIK),
        ("350912 345678 0001", NumberKind.NIK),
        ("transfer 1300477219 ke rekening", NumberKind.ACCOUNT),
        ("no rekening 1300477219", NumberKind.ACCOUNT),
        ("biaya Rp 2500000000", NumberKind.AMOUNT),
        ("setoran 2.500.000.000", NumberKind.AMOUNT),
        ("setoran awal 25.000.000", NumberKind.AMOUNT),
    ],
)
def test_dates_phones_nik_and_money_are_never_a_porsi(text, kind):
    scan = scan_numbers(text)
    assert scan.porsi == []
    assert [n.kind for n in scan.numbers] == [kind]


@pytest.mark.parametrize(
    "text",
    ["setoran awal 25 juta", "tahun 2025", "umur 65", "biaya haji tahun 2026 berapa",
     "saya daftar 2012 umur 45, kapan berangkat", "kuota 221000 jemaah", "1447 H / 2026 M",
     "pelunasan tahap 1 tanggal 14 maret", "antrean 35 tahun"],
)
def test_questions_with_other_numbers_hold_no_porsi(text):
    scan = scan_numbers(text)
    assert scan.porsi == [] and scan.porsi_attempt is None
    assert not scan.of(NumberKind.PHONE, NumberKind.NIK)


def test_a_date_and_a_porsi_in_one_sentence():
    scan = scan_numbers(f"porsi {A}, ibu lahir 02-08-1953, hp 081234567890")
    assert scan.porsi == [A]
    assert [n.kind for n in scan.numbers] == [NumberKind.PORSI, NumberKind.DATE, NumberKind.PHONE]


def test_a_year_next_to_a_porsi_is_not_part_of_it():
    assert find_porsi(f"2012 {A}") == [A]
    assert find_porsi(f"{A} 2") == [A]


def test_a_wrong_length_number_after_the_word_porsi_is_an_attempt():
    attempt = scan_numbers("porsi saya 350941227 pak").porsi_attempt
    assert attempt is not None and attempt.digits == "350941227"
    assert scan_numbers("kuota 350941227 orang").porsi_attempt is None


def test_words_outside_the_numbers_are_counted():
    assert scan_numbers(f"porsi saya {A} pak").words == 3
    assert scan_numbers("02-08-1953").words == 0
    assert scan_numbers(None).numbers == ()
