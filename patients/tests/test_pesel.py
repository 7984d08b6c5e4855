from datetime import date

import pytest
from django.core.exceptions import ValidationError
from stdnum.pl import pesel as stdnum_pesel

from patients.pesel import FEMALE, MALE, pesel_decode, pesel_make


def test_decode_reads_birth_date_and_sex_of_both_centuries():
    assert pesel_decode("44051401359") == (date(1944, 5, 14), MALE)
    # Born in 2002: the month is stored +20.
    assert pesel_decode("02211307589") == (date(2002, 1, 13), FEMALE)


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("4405140135", "PESEL składa się z 11 cyfr."),
        ("4405140135X", "PESEL składa się z 11 cyfr."),
        ("44051401358", "cyfra kontrolna się nie zgadza"),
        ("02381307589", "data urodzenia nie istnieje"),
    ],
)
def test_decode_explains_what_is_wrong_in_polish(number, message):
    with pytest.raises(ValidationError) as error:
        pesel_decode(number)
    assert message in error.value.messages[0]


@pytest.mark.parametrize("birth_date", [date(1899, 12, 31), date(1950, 2, 28), date(2000, 1, 1), date(2024, 2, 29)])
@pytest.mark.parametrize("sex", [FEMALE, MALE])
def test_made_numbers_are_valid_and_encode_what_they_were_made_from(birth_date, sex):
    number = pesel_make(birth_date=birth_date, sex=sex, serial=417)
    assert stdnum_pesel.is_valid(number)
    assert pesel_decode(number) == (birth_date, sex)
