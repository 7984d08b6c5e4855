"""Sections the apps above scheduling add to an appointment's pages — the calendar's side panel (Płatnik, Usługi) and
the visit (the televisit; Usługi prywatne, Skierowania, the visit's documents) — without scheduling importing them.
They are named in settings, in the order they are shown, like the change listeners (core.changes): each is a callable
`(request, appointment) -> str`, the section's HTML (already escaped, rendered from a template) or "" when it has
nothing to show for this appointment."""

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString


def sections_render(setting: str, *, request, appointment) -> list[SafeString]:
    """The non-empty sections of `settings.<setting>` for this appointment."""
    rendered = (import_string(path)(request=request, appointment=appointment) for path in getattr(settings, setting))
    return [section for section in rendered if section]
