"""The sections televisit adds to the visit (scheduling.sections): "Wykonaj telewizytę" (TV-2, manual §15.2) for a
televisit the user may conduct, which opens the televisit window in a tab of its own, so the visit stays open beside it
(TV-7), with the notice that the patient is ready (POR-5); "Czat z pacjentem", the chat of a videoconsultation before
and after it (POR-6); and "Dokumenty wizyty": the files the patient sent through the chat (§15.4.2) and the attached
recording."""

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from core.qr import qr_svg
from patients.services import patients_viewed_record
from scheduling.models import AppointmentKind
from televisit.chat import chat_open, visit_message_list, visit_messages_read, visit_messages_unread
from televisit.documents import visit_document_list
from televisit.models import MESSAGE_MAX_LENGTH, MessageSide, Televisit
from televisit.services import televisit_patient_link


def visit_televisit(*, request, appointment) -> str:
    """The button, and the patient's link with its QR code for the staff to hand over (TV-8) — by e-mail, SMS or
    on paper — where OSOZ's booking e-mail has not carried it (a visit booked at the reception)."""
    # The visit's view has already applied the visit's access rule (scheduling.selectors.visit_appointment_for_user).
    if not appointment.can_call_televisit():
        return ""
    link = televisit_patient_link(appointment=appointment)
    televisit = Televisit.objects.get(appointment=appointment)
    context = {
        "appointment": appointment,
        "patient_link": link,
        "patient_link_qr": qr_svg(link),
        "waiting": televisit.patient_waiting(),
    }
    return render_to_string("televisit/visit_televisit.html", context, request=request)


def visit_chat(*, request, appointment) -> str:
    """Shown for every videoconsultation, and for any visit that has messages. Opening it reads the patient's
    messages, which is recorded as a view of his data, like a download of his documents."""
    messages = visit_message_list(appointment=appointment)
    if not messages and appointment.kind != AppointmentKind.TELEVISIT:
        return ""
    unread = visit_messages_unread(appointment_ids=[appointment.pk], reader=MessageSide.STAFF).get(appointment.pk, 0)
    if messages:
        visit_messages_read(appointment=appointment, reader=MessageSide.STAFF)
        patients_viewed_record(
            patients=[appointment.patient],
            message=_("Wyświetlono czat z pacjentem na stronie wizyty."),
            request=request,
        )
    context = {
        "appointment": appointment,
        "chat_messages": messages,
        "unread": unread,
        "open": chat_open(appointment),
        "max_length": MESSAGE_MAX_LENGTH,
    }
    return render_to_string("televisit/visit_chat.html", context, request=request)


def visit_documents(*, request, appointment) -> str:
    # Listed for every visit that has any; a televisit also says, while it has none, where they will appear.
    documents = visit_document_list(appointment=appointment)
    if not documents and appointment.kind != AppointmentKind.TELEVISIT:
        return ""
    return render_to_string("televisit/visit_documents.html", {"documents": documents}, request=request)
