"""„Wyślij cenniki do OSOZ” (PAY-6, manual §11.3) on the Płatnicy page of the payers app, with what OSOZ answered to
the last sending: the payers app sits below the integration and cannot import it, so the integration lends the page
its button, as it does „Pobierz płatników z OSOZ” (osoz_payers)."""

from django import template

from osoz_integration.pricelists_out import pricelists_send_refusal, pricelists_state
from osoz_integration.views import PERMISSION

register = template.Library()


@register.inclusion_tag("osoz_integration/pricelists_send_button.html", takes_context=True)
def osoz_pricelists_send(context) -> dict:
    """For administrators: the button, disabled with the reason while the lists cannot be sent, and the state of the
    last sending (waiting, with OSOZ's last error; accepted; refused, with OSOZ's detail). Nothing for anyone else."""
    request = context["request"]
    if not request.user.has_perm(PERMISSION):
        return {"allowed": False}
    return {"allowed": True, "reason": pricelists_send_refusal(), **pricelists_state()}
