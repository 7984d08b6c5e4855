"""The translation catalogues: the English one is complete and safe to format, the Polish one only adds plural forms.

The UI's source language is Polish, so the msgids are the Polish text; locale/en translates them into English, and
locale/pl exists only because a msgid/msgid_plural pair carries two of the three Polish plural forms (1 / 2–4 / 5+).
"""

import io
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import trans_real

LOCALE = Path(settings.BASE_DIR) / "locale"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
PL_PO = LOCALE / "pl" / "LC_MESSAGES" / "django.po"

# %(name)s, %s, %d … and {name} / {0} / {} – but not the escaped "%%".
CONVERSION = r"[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]"
PLACEHOLDER = re.compile(rf"%\([^)]+\){CONVERSION}|%{CONVERSION}|\{{[^{{}}]*\}}")


def read_catalog(path):
    with path.open("rb") as po_file:
        return read_po(po_file)


def messages(catalog):
    return [message for message in catalog if message.id]


def placeholders(text):
    return set(PLACEHOLDER.findall(text.replace("%%", "")))


def forms(message):
    return list(message.string) if message.pluralizable else [message.string]


def source_placeholders(message):
    ids = message.id if message.pluralizable else (message.id,)
    return set().union(*(placeholders(text) for text in ids))


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues():
    """Compile the .po files (the .mo files are git-ignored) unless `make test` already did, then reload them.

    Compiling only when a .mo is missing or older than its .po keeps parallel workers from rewriting a .mo that
    another worker may be reading."""
    stale = [
        po
        for po in LOCALE.glob("*/LC_MESSAGES/*.po")
        if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        call_command("translations_compile", verbosity=0)
    trans_real._translations = {}
    trans_real._default = None
    yield
    trans_real._translations = {}
    trans_real._default = None


def test_english_catalogue_is_complete_and_not_fuzzy():
    catalog = read_catalog(EN_PO)
    entries = messages(catalog)
    assert entries
    assert not catalog.fuzzy, "the header is marked fuzzy"
    untranslated = [message.id for message in entries if not all(form.strip() for form in forms(message))]
    fuzzy = [message.id for message in entries if message.fuzzy]
    assert not untranslated, f"untranslated entries: {untranslated}"
    assert not fuzzy, f"fuzzy entries: {fuzzy}"


def test_english_translations_keep_the_placeholders():
    catalog = read_catalog(EN_PO)
    mismatched = [
        (message.id, form)
        for message in messages(catalog)
        for form in forms(message)
        if placeholders(form) != source_placeholders(message)
    ]
    assert not mismatched, f"placeholders differ from the msgid: {mismatched}"


def test_english_plural_entries_have_both_forms():
    catalog = read_catalog(EN_PO)
    plural = [message for message in messages(catalog) if message.pluralizable]
    assert plural
    assert catalog.num_plurals == 2
    assert all(len(message.string) == 2 for message in plural)


def test_polish_catalogue_holds_only_plural_entries_with_three_forms():
    catalog = read_catalog(PL_PO)
    entries = messages(catalog)
    assert entries
    assert str(catalog.locale) == "pl"
    assert catalog.num_plurals == 3
    assert not catalog.fuzzy
    assert all(message.pluralizable for message in entries), "the pl catalogue must hold plural entries only"
    for message in entries:
        assert not message.fuzzy, message.id
        assert len(message.string) == 3 and all(form.strip() for form in message.string), message.id
        assert all(placeholders(form) == source_placeholders(message) for form in message.string), message.id


def test_polish_catalogue_covers_exactly_the_english_plural_entries():
    english_plural = {message.id for message in messages(read_catalog(EN_PO)) if message.pluralizable}
    polish = {message.id for message in messages(read_catalog(PL_PO))}
    assert polish == english_plural


EVENTS = (
    "Strona %(number)s z %(total)s (%(counter)s zdarzenie)",
    "Strona %(number)s z %(total)s (%(counter)s zdarzeń)",
)


@pytest.mark.parametrize(
    ("count", "word"),
    [
        (1, "zdarzenie"),
        (2, "zdarzenia"),
        (4, "zdarzenia"),
        (5, "zdarzeń"),
        (12, "zdarzeń"),
        (22, "zdarzenia"),
        (25, "zdarzeń"),
    ],
)
def test_polish_uses_three_plural_forms(count, word):
    with translation.override("pl"):
        text = translation.ngettext(*EVENTS, count) % {"number": 1, "total": 1, "counter": count}
    assert text == f"Strona 1 z 1 ({count} {word})"


def test_english_translates_the_polish_source():
    with translation.override("en"):
        assert translation.gettext("Kalendarz") == "Calendar"
        assert translation.gettext("Kolejka oczekujących") == "Waiting list"
        assert translation.ngettext(*EVENTS, 1) == "Page %(number)s of %(total)s (%(counter)s event)"
        assert translation.ngettext(*EVENTS, 5) == "Page %(number)s of %(total)s (%(counter)s events)"


def test_polish_singular_strings_stay_the_source_text():
    with translation.override("pl"):
        assert translation.gettext("Kalendarz") == "Kalendarz"


# The product's Django apps, whose Python code and templates carry the UI's msgids (the sandbox has no catalogue).
SOURCE_DIRS = (
    "accounts",
    "clinic",
    "config",
    "core",
    "osoz_integration",
    "patients",
    "payers",
    "portal",
    "scheduling",
    "televisit",
    "templates",
)
KEYWORDS = {"_": None, "gettext": None, "gettext_lazy": None, "ngettext": (1, 2), "ngettext_lazy": (1, 2)}
KEYWORDS |= {"pgettext": ((1, "c"), 2), "pgettext_lazy": ((1, "c"), 2)}


def source_msgids():
    """Every msgid marked in the product's Python code and templates (Django's own template-to-gettext conversion,
    the one `makemessages` uses), skipping tests and migrations."""
    from babel.messages.extract import extract_python
    from django.utils.translation.template import templatize

    found = {}
    for directory in SOURCE_DIRS:
        for path in sorted((Path(settings.BASE_DIR) / directory).rglob("*")):
            if {"tests", "migrations"} & set(path.parts) or path.suffix not in {".py", ".html", ".txt"}:
                continue
            code = path.read_text(encoding="utf-8")
            if path.suffix != ".py":
                # Indentation means nothing there and would trip the Python tokenizer.
                code = "\n".join(line.lstrip() for line in templatize(code, origin=str(path)).splitlines())
            for _line, _function, message, _comments in extract_python(
                io.BytesIO(code.encode("utf-8")), KEYWORDS, [], {"encoding": "utf-8"}
            ):
                msgid = message[0] if isinstance(message, tuple) else message
                if msgid:
                    found.setdefault(msgid, path.relative_to(settings.BASE_DIR))
    return found


def test_every_msgid_in_the_code_is_in_the_english_catalogue():
    catalogued = {message.id[0] if message.pluralizable else message.id for message in messages(read_catalog(EN_PO))}
    missing = {msgid: str(path) for msgid, path in source_msgids().items() if msgid not in catalogued}
    assert not missing, f"msgids missing from locale/en: {missing}"


def test_every_english_entry_is_used_in_the_code():
    used = set(source_msgids())
    unused = [
        message.id
        for message in messages(read_catalog(EN_PO))
        if (message.id[0] if message.pluralizable else message.id) not in used
    ]
    assert not unused, f"entries no code or template uses: {unused}"
