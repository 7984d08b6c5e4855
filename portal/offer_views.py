"""Ustawienia > Portal Pacjenta (POR-7) and its Regulamin Portalu Pacjenta, for administrators."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.models import PortalCell
from portal.offer import CELL_FLAGS, portal_offer, portal_offer_save
from portal.offer_forms import PortalOfferForm, PortalTermsForm
from portal.terms import terms_get, terms_save


@permission_required("portal.change_portalcell", raise_exception=True)
@require_http_methods(["GET", "POST"])
def portal_settings(request):
    form = PortalOfferForm(request.POST if request.method == "POST" else None, offer=portal_offer())
    if request.method == "POST" and form.is_valid():
        changed = portal_offer_save(cells=form.cells(), doctors=form.doctors(), actor=request.user, request=request)
        messages.success(request, _("Zapisano ustawienia.") if changed else _("Nic nie zmieniono."))
        return redirect("portal_staff:settings")
    columns = [PortalCell._meta.get_field(flag).verbose_name for flag in CELL_FLAGS]
    return render(request, "portal/portal_settings.html", {"form": form, "columns": columns})


@permission_required("portal.change_portalcell", raise_exception=True)
@require_http_methods(["GET", "POST"])
def portal_terms(request):
    terms = terms_get()
    form = PortalTermsForm(request.POST if request.method == "POST" else None, initial={"text": terms.text})
    if request.method == "POST" and form.is_valid():
        changed = terms_save(text=form.cleaned_data["text"], actor=request.user, request=request)
        messages.success(request, _("Zapisano ustawienia.") if changed else _("Nic nie zmieniono."))
        return redirect("portal_staff:terms")
    return render(request, "portal/portal_terms.html", {"form": form, "terms": terms})
