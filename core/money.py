"""Money, one copy of each rule: złoty amounts are Decimal with two decimal places (never float), written the Polish
way — 1 234,50 zł, a no-break space between thousands — and read from what people type, a decimal comma and spaces
between thousands included. Every price the product keeps is gross."""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MONEY_MAX_DIGITS = 10
MONEY_DECIMAL_PLACES = 2
MONEY_MAX = Decimal("99999999.99")
NBSP = "\xa0"

# What may be typed: digits with a decimal comma or point; spaces (any kind) and a trailing "zł" are dropped first.
_TYPED = re.compile(r"-?(\d+([.,]\d*)?|[.,]\d+)")
_SPACES = re.compile(r"[\s\xa0\u202f]+")
NOT_A_NUMBER = _("Wpisz kwotę liczbą, np. 150 albo 149,99.")


def money_pl(amount: Decimal) -> str:
    """E.g. "1 234,50 zł" (with no-break spaces)."""
    whole, cents = f"{abs(amount):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    sign = "-" if amount < 0 else ""
    return f"{sign}{NBSP.join(groups)},{cents}{NBSP}zł"


def money_input(amount: Decimal) -> str:
    """The amount as a form shows it for editing: "1234,50"."""
    return f"{amount:.2f}".replace(".", ",")


def validate_money(amount: Decimal) -> None:
    """Not negative, at most two decimal places, at most MONEY_MAX."""
    if not amount.is_finite():
        raise ValidationError(NOT_A_NUMBER, code="money_not_a_number")
    if amount < 0:
        raise ValidationError(_("Kwota nie może być ujemna."), code="money_negative")
    if amount.as_tuple().exponent < -MONEY_DECIMAL_PLACES:
        raise ValidationError(_("Kwota może mieć najwyżej dwa miejsca po przecinku."), code="money_decimal_places")
    if amount > MONEY_MAX:
        raise ValidationError(
            _("Kwota może wynosić najwyżej %(max)s."), code="money_too_large", params={"max": money_pl(MONEY_MAX)}
        )


def money_parse(text: str) -> Decimal:
    """The amount typed ("1 234,50", "99.5", "150 zł"), validated by `validate_money`; ValidationError otherwise."""
    compact = _SPACES.sub("", text)
    if compact.casefold().endswith("zł"):
        compact = compact[:-2]
    if not _TYPED.fullmatch(compact):
        raise ValidationError(NOT_A_NUMBER, code="money_not_a_number")
    amount = Decimal(compact.replace(",", "."))  # the pattern admits only what Decimal reads
    validate_money(amount)
    return amount
