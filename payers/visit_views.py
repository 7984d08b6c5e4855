"""The writes of the visit's sections payers adds (payers.sections): Usługi prywatne with the sales document, and the
sent referral. Each answers with the visit page, its message saying what was done or why nothing was; the access rule
is the visit's own (scheduling.selectors.visit_appointment_for_user)."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from patients.services import patients_viewed_record
from payers import referrals, visits
from payers.forms import ReferralSentForm, VisitServiceAddForm, VisitServiceEditForm
from payers.models import PayerBooking, SalesDocument, VisitService
from payers.sales_pdf import sales_document_pdf
from scheduling.selectors import visit_appointment_for_user


def _back(appointment, anchor: str):
    return redirect(reverse("scheduling:visit", kwargs={"pk": appointment.pk}) + f"#{anchor}")


def _form_errors(form) -> str:
    """The form's refusals as one message: each field's label with its errors."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return " ".join(parts)


def _written(request, write, *, success: str) -> None:
    try:
        write()
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_POST
def visit_service_add(request, pk):
    appointment = visit_appointment_for_user(user=request.user, appointment_id=pk)
    has_payer = PayerBooking.objects.filter(appointment=appointment).exists()
    form = VisitServiceAddForm(request.POST, has_payer=has_payer)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        _written(
            request,
            lambda: visits.visit_service_add(
                appointment=appointment,
                service=form.cleaned_data["service"],
                quantity=form.cleaned_data["quantity"],
                payer_share=form.cleaned_data.get("payer_share") or 0,
            ),
            success=_("Dodano usługę prywatną do wizyty."),
        )
    return _back(appointment, "uslugi-prywatne")


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_POST
def visit_service_edit(request, pk, service_pk):
    appointment = visit_appointment_for_user(user=request.user, appointment_id=pk)
    item = get_object_or_404(VisitService, pk=service_pk, appointment=appointment)
    form = VisitServiceEditForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        _written(
            request,
            lambda: visits.visit_service_edit(
                visit_service=item, quantity=form.cleaned_data["quantity"], payer_share=form.cleaned_data["payer_share"]
            ),
            success=_("Zapisano usługę prywatną „%(name)s”.") % {"name": item.name},
        )
    return _back(appointment, "uslugi-prywatne")


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_POST
def visit_service_remove(request, pk, service_pk):
    appointment = visit_appointment_for_user(user=request.user, appointment_id=pk)
    item = get_object_or_404(VisitService, pk=service_pk, appointment=appointment)
    _written(
        request,
        lambda: visits.visit_service_remove(visit_service=item),
        success=_("Usunięto usługę prywatną „%(name)s” z wizyty.") % {"name": item.name},
    )
    return _back(appointment, "uslugi-prywatne")


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_POST
def sales_document_issue(request, pk):
    appointment = visit_appointment_for_user(user=request.user, appointment_id=pk)
    try:
        document = visits.sales_document_issue(appointment=appointment, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Wystawiono dokument sprzedaży %(number)s.") % {"number": document.number})
    return _back(appointment, "uslugi-prywatne")


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_GET
def sales_document(request, pk, document_pk):
    """The printable PDF; it names the patient, so showing it is audited (PAT-4)."""
    appointment = visit_appointment_for_user(user=request.user, appointment_id=pk)
    document = get_object_or_404(SalesDocument, pk=document_pk, appointment=appointment)
    patients_viewed_record(
        patients=[appointment.patient],
        message=gettext_lazy("Wyświetlono dokument sprzedaży pacjenta."),
        request=request,
    )
    response = HttpResponse(sales_document_pdf(document), content_type="application/pdf")
    filename = document.number.replace("/", "-")
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_POST
def referral_sent_save(request, pk):
    appointment = visit_appointment_for_user(user=request.user, appointment_id=pk)
    form = ReferralSentForm(request.POST, services=referrals.referral_services(appointment))
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        _written(
            request,
            lambda: referrals.referral_sent_save(appointment=appointment, **form.cleaned_data),
            success=_("Zapisano skierowanie wysyłane; zostanie wysłane do OSOZ i płatnika OSOZ."),
        )
    return _back(appointment, "skierowania")
