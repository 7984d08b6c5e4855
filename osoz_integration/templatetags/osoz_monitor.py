"""The connection monitor's banner (OSZ-10), shown on every staff page to everyone who works with the calendar."""

from django import template

from osoz_integration.selectors import connection_outage_alerted
from osoz_integration.views import PERMISSION

register = template.Library()

# Reception and doctors: online bookings not arriving is what their day is planned on.
CALENDAR_PERMISSION = "scheduling.view_appointment"


@register.inclusion_tag("osoz_integration/status_banner.html", takes_context=True)
def osoz_outage_banner(context) -> dict:
    """Since when OSOZ has been unreachable, once administrators were told of it: for administrators with the way to
    Stan integracji, for the others who work with the calendar in their words; nothing for anyone else (and no
    query for them)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"since": None}
    administers = user.has_perm(PERMISSION)
    if not administers and not user.has_perm(CALENDAR_PERMISSION):
        return {"since": None}
    return {"since": connection_outage_alerted(), "administers": administers}
