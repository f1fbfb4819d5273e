import pytest

from knowledge.porsi import PorsiProblem, looks_like_porsi_attempt, parse_porsi, parse_porsi_text


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
