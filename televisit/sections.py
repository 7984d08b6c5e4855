"""The sections televisit adds to the visit (scheduling.sections): "Wykonaj telewizytę" (TV-2, manual §15.2) for a
televisit the user may conduct, which opens the televisit window in a tab of its own, so the visit stays open beside it
(TV-7); and "Dokumenty wizyty": the files the patient sent through the chat (§15.4.2) and the attached recording."""

from django.template.loader import render_to_string

from core.qr import qr_svg
from scheduling.models import AppointmentKind
from televisit.documents import visit_document_list
from televisit.services import televisit_patient_link


def visit_televisit(*, request, appointment) -> str:
    """The button, and the patient's link with its QR code for the staff to hand over (TV-8) — by e-mail, SMS or
    on paper — where OSOZ's booking e-mail has not carried it (a visit booked at the reception)."""
    # The visit's view has already applied the visit's access rule (scheduling.selectors.visit_appointment_for_user).
    if not appointment.can_call_televisit():
        return ""
    link = televisit_patient_link(appointment=appointment)
    context = {"appointment": appointment, "patient_link": link, "patient_link_qr": qr_svg(link)}
    return render_to_string("televisit/visit_televisit.html", context, request=request)


def visit_documents(*, request, appointment) -> str:
    # Listed for every visit that has any; a televisit also says, while it has none, where they will appear.
    documents = visit_document_list(appointment=appointment)
    if not documents and appointment.kind != AppointmentKind.TELEVISIT:
        return ""
    return render_to_string("televisit/visit_documents.html", {"documents": documents}, request=request)
