"""Text helpers: texts rendered in the clinic's language whatever the request's (`clinic_text`), phrases joined lazily
(`join_lazy`), and Polish alphabetical order for lists of people (Pacjenci >
Lista, Struktura > Pracownicy), the same on SQLite and PostgreSQL whatever collation the database was created with.

`polish_sort_key` writes a name as two digits a character, numbered in the order of the Polish alphabet (a ą b c ć
… z ź ż), so plain comparison of the keys — which every collation does the same way for digits — is Polish order:
Baran before Bąk, Lis before Łukasiewicz before Mazur, case and other languages' accents ignored (Müller as
Muller), spaces and hyphens before any letter."""

import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise, lazy

ALPHABET = "0123456789aąbcćdeęfghijklłmnńoópqrsśtuvwxyzźż"
SEPARATOR = "00"  # a space, a hyphen, an apostrophe: before every digit and letter
CODES = {char: f"{index + 1:02d}" for index, char in enumerate(ALPHABET)}


def _code(char: str) -> str:
    if char in CODES:
        return CODES[char]
    base = unicodedata.normalize("NFKD", char)[:1]  # é → e, ü → u; letters outside the alphabet keep their base
    return CODES.get(base, SEPARATOR)


def polish_sort_key(*names: str) -> str:
    """The key of a person's names in order of significance (surname, then first name)."""
    return SEPARATOR.join("".join(_code(char) for char in name.strip().casefold()) for name in names)


def sort_names_fill(model) -> None:
    """Write the key of every record of a model with last_name and first_name into its sort_name, as the data
    migrations that add the column do (`model` is the migration's historical model)."""
    records = list(model.objects.only("last_name", "first_name"))
    for record in records:
        record.sort_name = polish_sort_key(record.last_name, record.first_name)
    model.objects.bulk_update(records, ["sort_name"], batch_size=500)


def _join(separator: str, items: tuple) -> str:
    return separator.join(str(item) for item in items)


_join_lazy = lazy(_join, str)


def join_lazy(separator: str, items: Iterable[str | Promise]) -> Promise:
    """Phrases joined when the text is rendered, each in the language active then (the audit's, for audit texts)."""
    return _join_lazy(separator, tuple(items))


def clinic_text(text: str | Promise) -> str:
    """The text rendered in the clinic's language (settings.LANGUAGE_CODE), for what is stored or sent on: audit
    texts, labels kept with a record, what OSOZ shows the patient."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)
