"""The „Pobierz płatników z OSOZ” button (OSZ-9, manual §11.1), which the Płatnicy page of the payers app shows: the
payers app sits below the integration and cannot import it, so the integration lends the page its button."""

from django import template

from osoz_integration.payers_in import payers_fetch_refusal
from osoz_integration.views import PERMISSION

register = template.Library()


@register.inclusion_tag("osoz_integration/payers_fetch.html", takes_context=True)
def osoz_payers_fetch(context) -> dict:
    """The button for administrators, disabled with the reason while the integration cannot fetch; nothing for
    anyone else (and no query for them)."""
    request = context["request"]
    if not request.user.has_perm(PERMISSION):
        return {"allowed": False}
    return {
        "allowed": True,
        "reason": payers_fetch_refusal(),
        "csrf_token": context.get("csrf_token"),
    }
