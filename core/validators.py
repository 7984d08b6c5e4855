"""What text may hold wherever it enters — the forms, the API, OSOZ's documents: no control characters and no code
points that are not characters at all. They break the .xlsx export, terminals reading logs and PostgreSQL (NUL), so
the models' text fields refuse them with one message, and `text_printable` cleans what was stored before."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# C0 and C1 controls, DEL, lone surrogates and the non-characters (U+FDD0…U+FDEF and the last two of every plane).
_NONCHARACTERS = r"\ufdd0-\ufdef" + "".join(rf"\U{plane:04x}fffe\U{plane:04x}ffff" for plane in range(17))
_FORBIDDEN = re.compile(rf"[\x00-\x1f\x7f-\x9f\ud800-\udfff{_NONCHARACTERS}]")
# Text of several lines keeps its line breaks (a browser sends a textarea's as CR LF) and tabs.
_FORBIDDEN_MULTILINE = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff{_NONCHARACTERS}]")

CONTROL_CHARACTERS = _("Pole zawiera niedozwolone znaki sterujące.")


def validate_text(value: str) -> None:
    """One line of text: a name, an address, a reason."""
    if _FORBIDDEN.search(value):
        raise ValidationError(CONTROL_CHARACTERS, code="control_characters")


def validate_multiline_text(value: str) -> None:
    """Text of several lines: notes, descriptions."""
    if _FORBIDDEN_MULTILINE.search(value):
        raise ValidationError(CONTROL_CHARACTERS, code="control_characters")


def text_printable(value: str) -> str:
    """The text with every character the validators refuse (line breaks and tabs aside) replaced by U+FFFD, for
    writing out what was stored before they refused it."""
    return _FORBIDDEN_MULTILINE.sub("\ufffd", value)
