import pytest

from knowledge.masking import mask_name


@pytest.mark.parametrize(
    "name, masked",
    [
        ("Siti Aminah", "S*** A*****"),
        ("SITI AMINAH BINTI ABDULLAH", "S*** A***** B**** A*******"),
        ("  Siti    Aminah  ", "S*** A*****"),
        ("H. Ahmad Dahlan", "H. A**** D*****"),
        ("Hj. Siti Aminah", "Hj. S*** A*****"),
        ("Dr. Budi", "Dr. B***"),
        ("A", "A"),
        ("A B", "A B"),
        ("Abdul-Rahman", "A****-******"),
        ("Ahmad, S.Pd.", "A****, S.**."),
        ("Nur'aini", "N**'****"),
        ("Ölçer Ñandú", "Ö**** Ñ****"),
        ("Zul\u200bkifli", "Z*******"),  # a zero-width space cannot hide letters
        ("Siti\tAminah\nBinti", "S*** A***** B****"),  # control characters break words
        ("Budi_Santoso 2nd", "B*********** 2**"),  # an underscore is part of a word; digits
        ("Ahmad\u2028Dahlan", "A**** D*****"),  # a line separator is a break, not a letter
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_mask_keeps_no_letter_but_the_first_of_each_word():
    masked = mask_name("Muhammad Yusuf Kalla")
    assert [w[0] for w in masked.split()] == ["M", "Y", "K"]
    assert set("".join(w[1:] for w in masked.split())) == {"*"}


def test_combining_accents_are_one_letter():
    # "e" + combining acute is normalised to one letter, so the length matches what people see
    assert mask_name("Rene\u0301") == "R***"


def test_non_string_is_not_a_crash():
    assert mask_name(12345) == "1****"
