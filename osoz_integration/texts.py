"""Messages quoted inside other texts of the integration.

What OSOZ shows the patient as it is (the reasons of refusals, cancellations and moves) and the errors stored for
Stan integracji are rendered in the clinic's language by core.text's `clinic_text`, as audit texts are. A message
quoted inside another sentence loses its closing full stop when the sentence is rendered (`phrase_lazy`), so the
audit renders both in its own language."""

from django.utils.functional import Promise, lazy


def _phrase(text: str | Promise) -> str:
    return str(text).rstrip(".")


# A message inside another sentence, without its closing full stop; rendered when the sentence is.
phrase_lazy = lazy(_phrase, str)
