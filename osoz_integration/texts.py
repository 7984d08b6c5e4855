"""Texts of the integration that do not follow the request's language, and messages quoted inside other texts.

What OSOZ shows the patient as it is (the reasons of refusals, cancellations and moves) and the errors stored for
Stan integracji are in the clinic's language whatever the language of the request that caused them (`clinic_text`),
as audit texts are (core.services.audit_event). A message quoted inside another sentence loses its closing full
stop when the sentence is rendered (`phrase_lazy`), so the audit renders both in its own language."""

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise, lazy


def clinic_text(text: str | Promise) -> str:
    """The text rendered in the clinic's language (settings.LANGUAGE_CODE)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def _phrase(text: str | Promise) -> str:
    return str(text).rstrip(".")


# A message inside another sentence, without its closing full stop; rendered when the sentence is.
phrase_lazy = lazy(_phrase, str)
