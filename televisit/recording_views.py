"""The recording's upload to the visit (TV-6), for the doctor's televisit window (televisit-recording.js): start, the
numbered chunks, the end. JSON in and out; the rules are televisit.recordings'."""

import json

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from scheduling.selectors import booking_settings
from televisit import recordings
from televisit.models import VisitDocument, VisitDocumentKind
from televisit.selectors import televisit_appointment_for_user


def _answer(outcome: recordings.ChunkOutcome) -> JsonResponse:
    # 409: the browser sent a chunk ahead of the one expected (or ended too early) and resumes from `next`.
    return JsonResponse({"next": outcome.next}, status=200 if outcome.accepted else 409)


def _refusal(message, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": str(message)}, status=status)


def _recording_for_user(user, document_id: int) -> VisitDocument:
    """An unfinished or finished recording of a televisit this user may conduct; Http404 for anything else."""
    document = get_object_or_404(VisitDocument, pk=document_id, kind=VisitDocumentKind.RECORDING)
    televisit_appointment_for_user(user=user, appointment_id=document.appointment_id)
    return document


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_POST
def recording_start(request, appointment_id):
    appointment = televisit_appointment_for_user(user=request.user, appointment_id=appointment_id)
    if not appointment.can_call_televisit():
        raise Http404
    if not booking_settings().televisit_recordings_attached:
        raise PermissionDenied(_("Dołączanie nagrań telewizyt do wizyty jest wyłączone w ustawieniach."))
    document = recordings.recording_start(appointment=appointment, started=timezone.now(), actor=request.user)
    return JsonResponse(
        {
            "next": 0,
            "chunk_url": reverse("televisit:recording_chunk", kwargs={"document_id": document.pk, "index": 0}),
            "finish_url": reverse("televisit:recording_finish", kwargs={"document_id": document.pk}),
        },
        status=201,
    )


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_POST
def recording_chunk(request, document_id, index):
    document = _recording_for_user(request.user, document_id)
    try:
        data = request.body
    except RequestDataTooBig:
        return JsonResponse({"error": _("Fragment nagrania jest za duży.")}, status=413)
    if not data:
        return _refusal(_("Pusty fragment nagrania."))
    try:
        return _answer(recordings.recording_chunk(document_id=document.pk, index=index, data=data))
    except DomainError as error:
        return _refusal(error.message, status=error.status_code)


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_POST
def recording_finish(request, document_id):
    document = _recording_for_user(request.user, document_id)
    try:
        body = json.loads(request.body)
        chunks, seconds = int(body["chunks"]), int(body["seconds"])
    except (ValueError, TypeError, KeyError):
        return _refusal(_("Niepoprawne zakończenie nagrania."))
    outcome = recordings.recording_finish(document_id=document.pk, chunks=chunks, seconds=seconds, actor=request.user)
    return _answer(outcome)
