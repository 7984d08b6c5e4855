"""PESEL numbers: the birth date and sex they encode (python-stdnum checks the format and the checksum), and
valid numbers made from a birth date and sex for demo data and tests."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.pl import pesel as stdnum_pesel

# Sex codes as the patient record stores them (K = kobieta, M = mężczyzna).
FEMALE = "K"
MALE = "M"

# The month carries the century: 1800s +80, 1900s +0, 2000s +20, 2100s +40, 2200s +60.
_CENTURY_MONTH_OFFSET = {1800: 80, 1900: 0, 2000: 20, 2100: 40, 2200: 60}


def pesel_decode(number: str) -> tuple[date, str]:
    """The birth date and sex a PESEL encodes; a ValidationError in Polish says what is wrong with the number."""
    try:
        stdnum_pesel.validate(number)
    except (stdnum_errors.InvalidFormat, stdnum_errors.InvalidLength):
        raise ValidationError(_("PESEL składa się z 11 cyfr."), code="pesel_format") from None
    except stdnum_errors.InvalidChecksum:
        raise ValidationError(
            _("Nieprawidłowy numer PESEL: cyfra kontrolna się nie zgadza. Sprawdź, czy nie ma literówki."),
            code="pesel_checksum",
        ) from None
    except stdnum_errors.InvalidComponent:
        raise ValidationError(
            _("Nieprawidłowy numer PESEL: zakodowana w nim data urodzenia nie istnieje."), code="pesel_date"
        ) from None
    sex = FEMALE if stdnum_pesel.get_gender(number) == "F" else MALE
    return stdnum_pesel.get_birth_date(number), sex


def pesel_make(*, birth_date: date, sex: str, serial: int) -> str:
    """A valid PESEL for this birth date and sex; serial (0 to 999) tells apart people born on the same day."""
    century = birth_date.year // 100 * 100
    month = birth_date.month + _CENTURY_MONTH_OFFSET[century]
    # The tenth digit is even for women and odd for men; serial % 5 picks one of the five.
    sex_digit = 2 * (serial % 5) + (1 if sex == MALE else 0)
    body = f"{birth_date.year % 100:02d}{month:02d}{birth_date.day:02d}{serial % 1000:03d}{sex_digit}"
    return body + stdnum_pesel.calc_check_digit(body)
