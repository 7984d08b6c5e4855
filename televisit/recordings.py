"""The televisit's recording (TV-6, manual §15.4.1): the doctor's browser records the call and saves it as a file; where
the clinic enables it (Ustawienia > Ogólne, "Dołączaj nagrania telewizyt do wizyty") it also uploads the recording to
the visit while recording, chunk by chunk, so that a lost connection costs a retry rather than the recording.

The upload is resumable and idempotent: chunks are numbered from 0 and appended only in order; a chunk the product
already has is acknowledged again, a chunk ahead of the next expected one is refused with the number the browser must
resume from. The recording is `complete` — listed among the visit's documents — only once the browser says how many
chunks there were and the product has them all."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import dateformat
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.models import AuditCategory
from core.services import audit_record
from core.time import warsaw
from scheduling.models import Appointment
from televisit.models import Televisit, VisitDocument, VisitDocumentKind
from televisit.services import duration_label

RECORDING_CONTENT_TYPE = "video/webm"
# A WebM file begins with the EBML header's id; the first chunk MediaRecorder gives must too.
EBML_MAGIC = b"\x1a\x45\xdf\xa3"


@dataclass(frozen=True)
class ChunkOutcome:
    """What became of a chunk: `next` is the number of the chunk the product expects now; `accepted` is False for a
    chunk ahead of it (the browser resumes from `next`)."""

    accepted: bool
    next: int


def recording_name(*, started: datetime) -> str:
    """The recording's file name: no patient's name in it, the visit's Warsaw date and time instead."""
    return f"telewizyta-{dateformat.format(warsaw(started), 'Y-m-d-Hi')}.webm"


def recording_start(*, appointment: Appointment, started: datetime, actor) -> VisitDocument:
    """An empty recording of this televisit's call, filled by recording_chunk(); the caller has checked that the
    clinic attaches recordings and that the user may conduct the televisit."""
    document = VisitDocument(
        appointment=appointment,
        kind=VisitDocumentKind.RECORDING,
        name=recording_name(started=started),
        content_type=RECORDING_CONTENT_TYPE,
        complete=False,
    )
    document.file.save(document.name, ContentFile(b""), save=False)
    document.save()
    return document


def recording_chunk(*, document_id: int, index: int, data: bytes) -> ChunkOutcome:
    """Append chunk `index` of an unfinished recording. DomainError for a recording that is finished or would grow
    past TELEVISIT_RECORDING_MAX_BYTES, and for a first chunk that is no WebM."""
    with transaction.atomic():
        document = VisitDocument.objects.select_for_update().get(pk=document_id, kind=VisitDocumentKind.RECORDING)
        expected = document.chunks
        if document.complete:
            raise DomainError(_("To nagranie zostało już zakończone."))
        if index < expected:
            return ChunkOutcome(accepted=True, next=expected)
        if index > expected:
            return ChunkOutcome(accepted=False, next=expected)
        if index == 0 and not data.startswith(EBML_MAGIC):
            raise DomainError(_("Przesłane dane nie są nagraniem WebM."))
        if document.size + len(data) > settings.TELEVISIT_RECORDING_MAX_BYTES:
            raise DomainError(_("Nagranie przekroczyło największy dopuszczalny rozmiar i nie będzie dalej przesyłane."))
        with open(document.file.path, "ab") as file:
            file.write(data)
        document.size += len(data)
        document.chunks = expected + 1
        document.save(update_fields=["size", "chunks"])
        return ChunkOutcome(accepted=True, next=document.chunks)


def recording_finish(*, document_id: int, chunks: int, seconds: int, actor) -> ChunkOutcome:
    """The browser sent its last chunk: with all `chunks` here the recording is complete, audited as attached to the
    visit; otherwise `accepted` is False and `next` says which chunk is missing."""
    with transaction.atomic():
        document = (
            VisitDocument.objects.select_for_update()
            .select_related("appointment")
            .get(pk=document_id, kind=VisitDocumentKind.RECORDING)
        )
        if document.complete:
            return ChunkOutcome(accepted=True, next=document.chunks)
        if chunks != document.chunks or chunks == 0:
            return ChunkOutcome(accepted=False, next=document.chunks)
        document.complete = True
        document.save(update_fields=["complete"])
        audit_record(
            category=AuditCategory.TELEVISIT,
            action="televisit_recording_attached",
            message=format_lazy(
                _("Dołączono nagranie telewizyty do wizyty (czas nagrania {duration}, {size} MB)."),
                duration=duration_label(timedelta(seconds=max(seconds, 0))),
                size=f"{document.size / 1_000_000:.1f}",
            ),
            actor=actor,
            target=document.appointment,
        )
    return ChunkOutcome(accepted=True, next=document.chunks)


def televisit_recording_saved(*, televisit_id: int, seconds: int, user) -> None:
    """The doctor's browser saved the recording as a file (TV-6): audited, without anything of its content."""
    televisit = Televisit.objects.select_related("appointment").get(pk=televisit_id)
    audit_record(
        category=AuditCategory.TELEVISIT,
        action="televisit_recording_saved",
        message=format_lazy(
            _("Zapisano nagranie telewizyty w przeglądarce pracownika medycznego (czas nagrania {duration})."),
            duration=duration_label(timedelta(seconds=max(seconds, 0))),
        ),
        actor=user,
        target=televisit.appointment,
    )
