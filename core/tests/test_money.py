from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.money import money_input, money_parse, money_pl


@pytest.mark.parametrize(
    ("amount", "written"),
    [
        (Decimal("0"), "0,00\xa0zł"),
        (Decimal("5.5"), "5,50\xa0zł"),
        (Decimal("1234.50"), "1\xa0234,50\xa0zł"),
        (Decimal("99999999.99"), "99\xa0999\xa0999,99\xa0zł"),
        (Decimal("-1000"), "-1\xa0000,00\xa0zł"),
    ],
)
def test_amounts_are_written_the_polish_way(amount, written):
    assert money_pl(amount) == written


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("150", "150"),
        ("149,99", "149.99"),
        ("149.99", "149.99"),
        ("1 234,5", "1234.5"),
        ("1\u202f234,50 zł", "1234.50"),
        (",5", "0.5"),
    ],
)
def test_amounts_are_read_as_people_type_them(typed, amount):
    assert money_parse(typed) == Decimal(amount)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("1,005", "money_decimal_places"),
        ("-5", "money_negative"),
        ("abc", "money_not_a_number"),
        ("1e3", "money_not_a_number"),
        ("NaN", "money_not_a_number"),
        ("1,2,3", "money_not_a_number"),
        ("=1+1", "money_not_a_number"),
        ("100000000", "money_too_large"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason(typed, code):
    with pytest.raises(ValidationError) as refused:
        money_parse(typed)
    assert refused.value.code == code


def test_a_form_shows_an_amount_with_a_decimal_comma():
    assert money_input(Decimal("1234.5")) == "1234,50"
