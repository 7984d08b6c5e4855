"""The sections payers adds to an appointment's pages (scheduling.sections): Płatnik and Usługi in the calendar's side
panel (CAL-6, manual §12.1); Usługi prywatne (PAY-8, §12.2.2) and Skierowania (otrzymane i wysyłane) (PAY-9, §12.2)
in the visit."""

from django.template.loader import render_to_string

from payers.forms import ReferralSentForm, VisitServiceAddForm, VisitServiceEditForm
from payers.models import PayerBooking, Referral, ReferralDirection, VisitService
from payers.referrals import referral_services
from payers.visits import visit_totals


def _payer_booking(appointment) -> PayerBooking | None:
    return PayerBooking.objects.filter(appointment=appointment).select_related("payer").first()


def appointment_panel(*, request, appointment) -> str:
    booking = _payer_booking(appointment)
    services = list(VisitService.objects.filter(appointment=appointment))
    if booking is None and not services:
        return ""
    return render_to_string("payers/panel_payer.html", {"booking": booking, "services": services}, request=request)


def visit_services(*, request, appointment) -> str:
    booking = _payer_booking(appointment)
    services = list(VisitService.objects.filter(appointment=appointment).select_related("payer"))
    editable = appointment.can_write_visit()
    rows = [
        (
            item,
            VisitServiceEditForm(
                initial={"quantity": item.quantity, "payer_share": item.payer_share}, auto_id=f"id_service_{item.pk}_%s"
            ),
        )
        for item in services
    ]
    context = {
        "appointment": appointment,
        "booking": booking,
        "rows": rows,
        "totals": visit_totals(services),
        "editable": editable,
        "add_form": VisitServiceAddForm(has_payer=booking is not None, auto_id="id_add_%s") if editable else None,
        "documents": list(appointment.sales_documents.all()),
    }
    return render_to_string("payers/visit_services.html", context, request=request)


def visit_referrals(*, request, appointment) -> str:
    booking = _payer_booking(appointment)
    if booking is None:
        return ""
    referrals = list(Referral.objects.filter(appointment=appointment))
    sent = next((item for item in referrals if item.direction == ReferralDirection.SENT), None)
    editable = appointment.can_write_visit()
    form = None
    if editable:
        initial = (
            {"issued_on": sent.issued_on, "valid_until": sent.valid_until, "payer_service": sent.payer_service_id}
            if sent
            else {}
        )
        form = ReferralSentForm(initial=initial, services=referral_services(appointment))
    context = {
        "appointment": appointment,
        "booking": booking,
        "received": [item for item in referrals if item.direction == ReferralDirection.RECEIVED],
        "sent": sent,
        "form": form,
    }
    return render_to_string("payers/visit_referrals.html", context, request=request)
