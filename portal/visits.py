"""The patient's own visit in the portal (POR-4…POR-6): when "Połącz" of a videoconsultation works and what it does,
the chat's unread counts, and his documents. The chat and the televisit themselves are televisit's; this module adds
only what the portal decides."""

from collections.abc import Collection
from datetime import datetime, timedelta

from django.conf import settings
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.time import warsaw
from scheduling.models import Appointment, AppointmentKind
from televisit.chat import visit_messages_unread
from televisit.models import MessageSide, VisitDocument, VisitDocumentKind
from televisit.services import televisit_patient_link, televisit_patient_ready


def visit_connect_opens_at(appointment: Appointment) -> datetime:
    """ "Połącz" works from PORTAL_CONNECT_MINUTES_BEFORE before the start ("około 5 minut", the seed text)."""
    return appointment.starts_at - timedelta(minutes=settings.PORTAL_CONNECT_MINUTES_BEFORE)


def visit_connect_closes_at(appointment: Appointment) -> datetime:
    """…until the patient's televisit window stops taking him: the visit's end plus the link's grace, as a doctor
    running late still calls (televisit.selectors.televisit_for_token)."""
    return appointment.ends_at + timedelta(minutes=settings.TELEVISIT_LINK_GRACE_MINUTES)


def visit_can_connect(appointment: Appointment, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return appointment.can_call_televisit() and visit_connect_opens_at(appointment) <= now <= visit_connect_closes_at(
        appointment
    )


def visit_connect(*, appointment: Appointment, now: datetime | None = None, request=None) -> str:
    """ "Połącz" (POR-5): the patient is recorded ready, the doctor told at once (televisit.services), and the patient
    gets his televisit window's link, where he waits for the call. DomainError, with nothing recorded, outside the
    window or for a visit that is no videoconsultation, or one cancelled or finished."""
    now = now or timezone.now()
    if appointment.kind != AppointmentKind.TELEVISIT:
        raise DomainError(_("Ta wizyta nie jest videokonsultacją."))
    if not appointment.can_call_televisit() or now > visit_connect_closes_at(appointment):
        raise DomainError(_("Ta videokonsultacja już się odbyła albo została odwołana."))
    if now < visit_connect_opens_at(appointment):
        raise DomainError(
            _("Przycisk „Połącz” zadziała od %(time)s, około %(minutes)s min przed wizytą.")
            % {
                "time": warsaw(visit_connect_opens_at(appointment)).strftime("%H:%M"),
                "minutes": settings.PORTAL_CONNECT_MINUTES_BEFORE,
            }
        )
    televisit_patient_ready(appointment=appointment, request=request)
    return televisit_patient_link(appointment=appointment)


def visits_unread(*, appointment_ids: Collection[int]) -> dict[int, int]:
    """The clinic's messages the patient has not read yet, per visit ("Moje wizyty" and the visit's "Czat")."""
    return visit_messages_unread(appointment_ids=appointment_ids, reader=MessageSide.PATIENT)


def visit_document_for_patient(*, appointment: Appointment, document_id: int) -> VisitDocument:
    """A file the patient sent in this visit's chat, for him to download again through his portal session; Http404
    for anything else (another visit's, the recording)."""
    document = VisitDocument.objects.filter(
        pk=document_id, appointment=appointment, kind=VisitDocumentKind.ATTACHMENT, complete=True
    ).first()
    if document is None:
        raise Http404
    return document
