"""The patient's visit in the portal (POR-4…POR-6): its page, as after a booking at the reception, and for a
videoconsultation "Połącz", "Czat" and the test connection; the chat's page; his own files. Every page reads the
visit through `appointment_for_account`, so another patient's visit is a 404 whatever its id."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError
from portal import visits
from portal.booking import portal_cancel_deadline, portal_visit_cancellable
from portal.selectors import appointment_for_account
from portal.sessions import patient_required
from scheduling.models import AppointmentKind
from televisit.chat import chat_open, visit_message_list, visit_message_send, visit_messages_read
from televisit.documents import document_response
from televisit.ice import ice_servers
from televisit.models import MESSAGE_MAX_LENGTH, MessageSide
from televisit.services import televisit_for_appointment
from televisit.views import MULTIPART_OVERHEAD_BYTES

# How often an open chat asks for new messages. The asking does not keep the portal session alive (portal.sessions).
CHAT_POLL_SECONDS = 15


def _appointment(request, appointment_id):
    return appointment_for_account(account=request.patient_account, appointment_id=appointment_id)


@patient_required
@never_cache
@require_GET
def visit(request, appointment_id):
    appointment = _appointment(request, appointment_id)
    televisit = appointment.kind == AppointmentKind.TELEVISIT
    context = {
        "appointment": appointment,
        "televisit": televisit,
        "cancellable": portal_visit_cancellable(appointment),
        "cancel_deadline": portal_cancel_deadline(appointment) if appointment.can_cancel() else None,
    }
    if televisit:
        now = timezone.now()
        can_connect = visits.visit_can_connect(appointment, now=now)
        opens_at = visits.visit_connect_opens_at(appointment)
        context |= {
            "can_connect": can_connect,
            # Still ahead: the button waits for its time (portal-visit.js enables it then; the server decides anyway),
            # counted by the server's clock, so a patient's clock that is off does not move it.
            "connect_ahead": appointment.can_call_televisit() and now < opens_at,
            "connect_opens_at": opens_at,
            "connect_opens_in": max(0, int((opens_at - now).total_seconds())),
            "connect_minutes": settings.PORTAL_CONNECT_MINUTES_BEFORE,
            "unread": visits.visits_unread(appointment_ids=[appointment.pk]).get(appointment.pk, 0),
        }
    return render(request, "portal/visit.html", context)


@patient_required
@never_cache
@require_POST
def visit_connect(request, appointment_id):
    """ "Połącz": into the televisit window, where the patient waits for the doctor's call."""
    appointment = _appointment(request, appointment_id)
    try:
        link = visits.visit_connect(appointment=appointment, request=request)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("portal:visit", appointment_id=appointment.pk)
    return redirect(link)


@patient_required
@never_cache
@require_GET
def visit_check(request, appointment_id):
    """What "Połączenie testowe" tries: the signalling socket of the call, and the ICE servers (STUN, TURN with
    short-lived credentials) its browser will use. Only while the call can still be made."""
    appointment = _appointment(request, appointment_id)
    if not appointment.can_call_televisit():
        return JsonResponse({"error": _("Ta videokonsultacja już się odbyła albo została odwołana.")}, status=404)
    televisit = televisit_for_appointment(appointment=appointment)
    return JsonResponse(
        {
            "socket": f"/ws/telewizyta/{televisit.pk}/",
            "iceServers": ice_servers(televisit_id=televisit.pk),
            "iceTransportPolicy": "relay" if settings.TELEVISIT_RELAY_ONLY else "all",
        }
    )


def _upload(request):
    """The one file sent with the message, or None; DomainError for more than one or an unreadable request."""
    try:
        uploads = request.FILES.getlist("file")
    except MultiPartParserError as error:
        raise DomainError(_("Nie udało się odczytać przesłanego pliku. Spróbuj ponownie.")) from error
    if len(uploads) > 1:
        raise DomainError(_("Jednorazowo można wysłać tylko jeden plik."))
    return uploads[0] if uploads else None


def _int(value) -> int:
    """A number from a request, 0 for anything else."""
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _content_length(request) -> int:
    return _int(request.META.get("CONTENT_LENGTH"))


@patient_required
@never_cache
@require_http_methods(["GET", "POST"])
def visit_chat(request, appointment_id):
    """ "Czat" (POR-6): the messages with the clinic, read now, and a new one with at most one file."""
    appointment = _appointment(request, appointment_id)
    if appointment.kind != AppointmentKind.TELEVISIT:
        return redirect("portal:visit", appointment_id=appointment.pk)
    error = None
    text = ""
    if request.method == "POST":
        try:
            # A request plainly larger than any accepted file is refused before its body is read.
            if _content_length(request) > settings.TELEVISIT_ATTACHMENT_MAX_BYTES + MULTIPART_OVERHEAD_BYTES:
                raise DomainError(_("Plik jest za duży."))
            text = request.POST.get("text", "")
            visit_message_send(appointment=appointment, side=MessageSide.PATIENT, text=text, upload=_upload(request))
        except DomainError as refused:
            error = refused.message
        else:
            messages.success(request, _("Wysłano wiadomość."))
            return redirect(reverse("portal:visit_chat", kwargs={"appointment_id": appointment.pk}) + "#nowa")
    chat_messages = visit_message_list(appointment=appointment)
    last_id = max((message.pk for message in chat_messages), default=0)
    # The open page asks every CHAT_POLL_SECONDS what came since the last message it shows: nothing, or the list.
    polled = bool(request.htmx)
    if polled and last_id <= _int(request.GET.get("po")):
        return HttpResponse(status=204)
    visit_messages_read(appointment=appointment, reader=MessageSide.PATIENT)
    context = {
        "appointment": appointment,
        "chat_messages": chat_messages,
        "last_id": last_id,
        "poll_seconds": CHAT_POLL_SECONDS,
    }
    if polled:
        return render(request, "portal/visit_chat_live.html", {**context, "announce": True})
    context |= {
        "chat_open": chat_open(appointment),
        "error": error,
        "text": text,
        "max_length": MESSAGE_MAX_LENGTH,
        "max_bytes": settings.TELEVISIT_ATTACHMENT_MAX_BYTES,
    }
    return render(request, "portal/visit_chat.html", context, status=400 if error else 200)


@patient_required
@never_cache
@require_GET
def visit_document(request, appointment_id, document_id):
    """A file the patient sent, downloaded again through his portal session."""
    appointment = _appointment(request, appointment_id)
    return document_response(visits.visit_document_for_patient(appointment=appointment, document_id=document_id))
