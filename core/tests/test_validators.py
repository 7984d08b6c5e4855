import pytest
from django.core.exceptions import ValidationError

from core.validators import text_printable, validate_multiline_text, validate_text

REFUSED = ["Pacjent\u0001 odwołał", "\x1b[31mczerwony", "Kowal\u0085ska", "nul\x00", "del\x7f", "\ud800", "\ufffe"]
REFUSED += ["\U0010ffff", "\ufdd0"]
ACCEPTED = ["Zażółć gęślą jaźń", "=1+1", "<script>alert(1)</script>", "O'Brien-Łęcka", "🙂", "\u00a0nbsp", "\ufffd"]


@pytest.mark.parametrize("value", REFUSED)
@pytest.mark.parametrize("validate", [validate_text, validate_multiline_text])
def test_control_characters_and_non_characters_are_refused_with_one_polish_message(validate, value):
    with pytest.raises(ValidationError) as refused:
        validate(value)
    assert refused.value.messages == ["Pole zawiera niedozwolone znaki sterujące."]
    assert refused.value.code == "control_characters"


@pytest.mark.parametrize("value", ACCEPTED)
@pytest.mark.parametrize("validate", [validate_text, validate_multiline_text])
def test_any_printable_text_passes(validate, value):
    validate(value)


def test_only_text_of_several_lines_keeps_line_breaks_and_tabs():
    validate_multiline_text("Pierwsza linia\r\ndruga\n\ttrzecia")
    for value in ("imię\nnazwisko", "imię\tnazwisko", "imię\rnazwisko"):
        with pytest.raises(ValidationError):
            validate_text(value)


def test_what_was_stored_before_is_written_out_printable():
    assert text_printable("Kowal\x01ski\u0085 \ud800\nnotatka\t") == "Kowal\ufffdski\ufffd \ufffd\nnotatka\t"
    assert text_printable("=HYPERLINK(1)") == "=HYPERLINK(1)"
