"""The televisit window (TV-2…TV-8, manual §15.2–§15.4.3): the medical employee's, opened from the visit in a tab of
its own, and the patient's, opened from the link without an account. Both are one page whose call televisit.js runs;
the signalling is televisit.consumers'. And the visit's documents (§15.4.2): the file the patient sends through the
chat, and their downloads — for the staff who may see the visit, and for the patient, by his link, his own files.
And what the portal's patient (POR-5, POR-6) brings to the staff: the notice that he is ready, and the reply to his
chat."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from patients.services import patients_viewed_record
from scheduling.selectors import booking_settings, visit_appointment_for_user
from televisit import documents
from televisit.chat import visit_message_send
from televisit.models import MessageSide, Televisit, VisitDocumentKind
from televisit.selectors import (
    televisit_appointment_for_user,
    televisit_for_token,
    televisit_notice,
    televisits_waiting_for_user,
)
from televisit.services import televisit_for_appointment

# What a multipart request carrying one file of the largest size adds around it (boundaries, headers, the name).
MULTIPART_OVERHEAD_BYTES = 64 * 1024


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_GET
def televisit(request, appointment_id):
    """The doctor's window. Opening it makes the televisit (and the patient's link) if the visit has none yet; the
    call itself starts from the window, over the socket."""
    appointment = televisit_appointment_for_user(user=request.user, appointment_id=appointment_id)
    context = {"appointment": appointment, "role": "doctor"}
    if appointment.can_call_televisit():
        notice = televisit_notice(appointment=appointment)
        context |= {
            "televisit": televisit_for_appointment(appointment=appointment),
            "notice": notice,
            "autostart": not notice,
            "answer_seconds": settings.TELEVISIT_ANSWER_SECONDS,
            "recordings_attached": booking_settings().televisit_recordings_attached,
        }
    return render(request, "televisit/televisit.html", context)


@login_not_required
@never_cache  # the link's token and the visit's time: no cache keeps them (staff pages get no-store by their login)
@require_GET
def televisit_patient(request, token):
    """The patient's window, from the link (TV-8). A link that is not (or no longer) valid gets one page whatever
    the reason — it names neither the visit nor why."""
    televisit = televisit_for_token(token=token)
    if televisit is None:
        return render(request, "televisit/televisit_refused.html", status=404)
    appointment = televisit.appointment
    context = {
        "appointment": appointment,
        "role": "patient",
        "televisit": televisit,
        "token": token,
        "notice": televisit_notice(appointment=appointment),
        "autostart": False,
        "answer_seconds": settings.TELEVISIT_ANSWER_SECONDS,
    }
    return render(request, "televisit/televisit_patient.html", context)


def _refused(request):
    return render(request, "televisit/televisit_refused.html", status=404)


def _attachment_refusal(message, status: int = 400) -> JsonResponse:
    # The chat's script shows the message as it is.
    return JsonResponse({"error": str(message)}, status=status)


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@login_not_required
@never_cache
@require_POST
def televisit_patient_attachments(request, token):
    """Dodaj załącznik, then Wyślij (§15.4.2): one file from the patient's window, answered in JSON for the chat. A
    link that is not valid gets the window's refusal; a request plainly too large is refused before it is read."""
    televisit = televisit_for_token(token=token)
    if televisit is None:
        return _refused(request)
    if _content_length(request) > settings.TELEVISIT_ATTACHMENT_MAX_BYTES + MULTIPART_OVERHEAD_BYTES:
        return _attachment_refusal(_("Plik jest za duży."), status=413)
    try:
        uploads = [upload for field in request.FILES for upload in request.FILES.getlist(field)]
    except MultiPartParserError:
        return _attachment_refusal(_("Nie udało się odczytać przesłanego pliku. Spróbuj ponownie."))
    if not uploads:
        return _attachment_refusal(_("Wybierz plik do wysłania."))
    if len(uploads) > 1:
        return _attachment_refusal(_("Jednorazowo można wysłać tylko jeden plik."))
    try:
        document = documents.attachment_receive(televisit=televisit, upload=uploads[0], request=request)
    except DomainError as error:
        return _attachment_refusal(error.message, status=error.status_code)
    url = reverse("televisit:televisit_patient_attachment", kwargs={"token": token, "document_id": document.pk})
    return JsonResponse({"name": document.name, "url": url}, status=201)


@login_not_required
@never_cache
@require_GET
def televisit_patient_attachment(request, token, document_id):
    """A file the patient sent, downloaded again from his window while his link is valid."""
    televisit = televisit_for_token(token=token)
    if televisit is None:
        return _refused(request)
    return documents.document_response(documents.patient_attachment(televisit=televisit, document_id=document_id))


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_GET
def visit_document(request, document_id):
    """A document of the visit (the patient's file, the televisit's recording), for whoever may see the visit; each
    download is recorded as a view of the patient's data, naming the document but not its name."""
    document = documents.visit_document_for_user(user=request.user, document_id=document_id)
    patients_viewed_record(
        patients=[document.appointment.patient],
        message=format_lazy(
            gettext_lazy("Pobrano dokument wizyty pacjenta: {kind} (id {id})."),
            kind=VisitDocumentKind(document.kind).label,
            id=document.pk,
        ),
        request=request,
    )
    return documents.document_response(document)


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_GET
def televisit_ready(request, appointment_id):
    """The notice that the patient is ready (POR-5), which calendar.js and televisit-ready.js fetch when the calendar's
    socket says so; empty once it no longer holds (the doctor called meanwhile). No patient's name: no audit."""
    appointment = televisit_appointment_for_user(user=request.user, appointment_id=appointment_id)
    televisit = Televisit.objects.filter(appointment=appointment).first()
    if televisit is None or not televisit.patient_waiting() or not appointment.can_call_televisit():
        return HttpResponse("")
    context = {"appointment": appointment, "in_visit": "in_visit" in request.GET}
    return render(request, "televisit/televisit_ready.html", context)


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_GET
def televisit_ready_list(request):
    """The patients waiting now, for a calendar just opened: the live notices only reach calendars already open."""
    televisits = televisits_waiting_for_user(user=request.user)
    return render(request, "televisit/televisit_ready_list.html", {"televisits": televisits})


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_POST
def visit_chat(request, appointment_id):
    """The staff's reply in "Czat z pacjentem" (POR-6), by whoever may handle the visit; back to the visit's chat."""
    appointment = visit_appointment_for_user(user=request.user, appointment_id=appointment_id)
    try:
        visit_message_send(
            appointment=appointment, side=MessageSide.STAFF, text=request.POST.get("text", ""), user=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Wysłano wiadomość do pacjenta."))
    return redirect(reverse("scheduling:visit", kwargs={"pk": appointment.pk}) + "#czat")
