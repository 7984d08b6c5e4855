"""The connection monitor's banner (OSZ-10), shown on every staff page to those who administer the OSOZ connection."""

from django import template

from osoz_integration.selectors import connection_outage_alerted
from osoz_integration.views import PERMISSION

register = template.Library()


@register.inclusion_tag("osoz_integration/status_banner.html", takes_context=True)
def osoz_outage_banner(context) -> dict:
    """Since when OSOZ has been unreachable, for administrators once they were told of it; nothing for others (and
    no query for them)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_perm(PERMISSION):
        return {"since": None}
    return {"since": connection_outage_alerted()}
