"""The Regulamin Portalu Pacjenta: the administrator's text (PortalTerms), the product's draft until he writes his
own, every change a new version, audited; the patient accepts the current version at registration."""

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.models import AuditCategory
from core.services import audit_record
from portal.models import PortalTerms


def terms_get() -> PortalTerms:
    """The regulamin's single row; made with the draft (portal/terms_default.txt) on first use."""
    terms, _created = PortalTerms.objects.get_or_create(
        pk=PortalTerms.SINGLETON_ID, defaults={"text": render_to_string("portal/terms_default.txt").strip()}
    )
    return terms


@transaction.atomic
def terms_save(*, text: str, actor, request=None) -> bool:
    """A new version when the text changed, audited; whether it did."""
    terms = terms_get()
    terms = PortalTerms.objects.select_for_update().get(pk=terms.pk)
    text = text.strip()
    if text == terms.text:
        return False
    terms.text, terms.version, terms.updated_at = text, terms.version + 1, timezone.now()
    terms.save()
    audit_record(
        category=AuditCategory.CONFIGURATION,
        action="portal_terms_changed",
        message=format_lazy(_("Zmieniono regulamin Portalu Pacjenta (wersja {version})."), version=terms.version),
        actor=actor,
        target=terms,
        request=request,
    )
    return True
