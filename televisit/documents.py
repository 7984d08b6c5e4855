"""The visit's documents (manual §15.4.2, TV-6): the files the patient sends through the televisit's chat — checked by
their content, never by their name or the browser's word, and stored under MEDIA_ROOT — and how any document of a
visit, an attachment or a recording, is handed out: to the clinic's staff who may see the visit, and to the patient,
by his link, what he sent himself."""

import asyncio
import struct
import unicodedata
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.functional import lazy
from django.utils.http import content_disposition_header
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from PIL import Image

from core.errors import DomainError
from core.models import AuditCategory
from core.services import audit_record
from scheduling.models import Appointment
from scheduling.selectors import visit_appointment_for_user
from televisit.models import Televisit, VisitDocument, VisitDocumentKind
from televisit.services import PATIENT_ACTOR, room_notify

# The kept name's stem (without the extension) is cut to this; the field holds 200.
NAME_STEM_MAX_LENGTH = 100
# A name with nothing left after cleaning still needs one.
NAME_FALLBACK = "zalacznik"
# Characters no file system or browser's download takes in a name, besides the path separators.
NAME_FORBIDDEN = set('<>:"|?*')
# How much of a document a download reads at a time.
DOWNLOAD_CHUNK_BYTES = 256 * 1024
# Errors Pillow raises for a file that is no image of the kind it claims, or a broken one.
IMAGE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, Image.DecompressionBombError)


@dataclass(frozen=True)
class FileType:
    """A kind of file the chat takes: as stored and served, and as the audit names it."""

    content_type: str
    extension: str
    label: str


PDF = FileType("application/pdf", "pdf", "PDF")
JPEG = FileType("image/jpeg", "jpg", "JPEG")
PNG = FileType("image/png", "png", "PNG")
IMAGE_TYPES = {"JPEG": JPEG, "PNG": PNG}

_size_label = lazy(filesizeformat, str)


def attachment_type(upload: UploadedFile) -> FileType:
    """What the file is by its content: a PDF by its header, a JPEG or PNG if Pillow opens it as one and finds it
    whole (verify: PNG's checksums, the structure of either). DomainError for anything else, whatever its name."""
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        return PDF
    try:
        # Beyond Pillow's pixel limit (a decompression bomb) a warning only: refused like a broken file.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                found = IMAGE_TYPES.get(image.format)
                image.verify()
    except (*IMAGE_ERRORS, Image.DecompressionBombWarning):
        found = None
    finally:
        upload.seek(0)
    if found is None:
        raise DomainError(_("Można przesłać tylko plik PDF, JPEG lub PNG; ten plik nie jest żadnym z nich."))
    return found


def attachment_name(original: str, file_type: FileType) -> str:
    """The name the file is kept and shown under: the base name it came with, without a path, control or invisible
    characters (a right-to-left override could make "gpj.exe" read "exe.jpg") and characters no file system takes,
    cut to a sane length, with the extension of what it really is."""
    base = unicodedata.normalize("NFC", original.replace("\\", "/").rsplit("/", 1)[-1])
    kept = "".join(
        " " if char.isspace() else char
        for char in base
        if not unicodedata.category(char).startswith("C") and char not in NAME_FORBIDDEN
    )
    stem = kept.rsplit(".", 1)[0] if "." in kept else kept
    stem = " ".join(stem.split())[:NAME_STEM_MAX_LENGTH].strip(" .")
    return f"{stem or NAME_FALLBACK}.{file_type.extension}"


def attachment_receive(
    *, televisit: Televisit, upload: UploadedFile, request: HttpRequest | None = None
) -> VisitDocument:
    """One file the patient sent through the chat (§15.4.2): checked, stored as the visit's attachment, audited as
    received (its type and size; never its name, which may carry a PESEL) and announced to the doctor's open window.
    DomainError, with nothing stored, for an empty or too large file, one that is no PDF, JPEG or PNG, or once the
    televisit holds TELEVISIT_ATTACHMENT_MAX_COUNT files."""
    limit = settings.TELEVISIT_ATTACHMENT_MAX_BYTES
    if not upload.size:
        raise DomainError(_("Wybrany plik jest pusty."))
    if upload.size > limit:
        raise DomainError(
            format_lazy(_("Plik jest za duży: można przesłać plik o rozmiarze do {limit}."), limit=_size_label(limit))
        )
    file_type = attachment_type(upload)
    with transaction.atomic():
        # The televisit's row serialises its uploads, so two at once cannot both pass the count.
        televisit = Televisit.objects.select_for_update().select_related("appointment").get(pk=televisit.pk)
        appointment = televisit.appointment
        count = settings.TELEVISIT_ATTACHMENT_MAX_COUNT
        if appointment.documents.filter(kind=VisitDocumentKind.ATTACHMENT).count() >= count:
            raise DomainError(
                format_lazy(
                    _("Przesłano już największą dozwoloną liczbę plików dla tej telewizyty ({count})."), count=count
                )
            )
        document = VisitDocument(
            appointment=appointment,
            kind=VisitDocumentKind.ATTACHMENT,
            name=attachment_name(upload.name or "", file_type),
            content_type=file_type.content_type,
            size=upload.size,
            complete=True,
        )
        document.file.save(document.name, upload, save=False)
        try:
            document.save()
            audit_record(
                category=AuditCategory.TELEVISIT,
                action="televisit_file_received",
                message=format_lazy(
                    _("Pacjent przesłał plik przez czat telewizyty ({type}, {size})."),
                    type=file_type.label,
                    size=_size_label(document.size),
                ),
                actor_label=PATIENT_ACTOR,
                target=appointment,
                request=request,
            )
        except Exception:
            document.file.delete(save=False)
            raise
        # Once stored for good; a channel layer that is down costs the doctor the live line, not the patient his file:
        # the visit's Dokumenty wizyty lists it either way.
        transaction.on_commit(
            partial(
                room_notify,
                televisit_id=televisit.pk,
                message={
                    "type": "file",
                    "name": document.name,
                    "size": document.size,
                    "url": reverse("televisit:visit_document", kwargs={"document_id": document.pk}),
                },
                roles=("doctor",),
            ),
            robust=True,
        )
    return document


def visit_document_list(*, appointment: Appointment) -> list[VisitDocument]:
    """The visit's documents to list and hand out: attachments and recordings, a recording only once uploaded whole."""
    return list(appointment.documents.filter(complete=True))


def visit_document_for_user(*, user, document_id: int) -> VisitDocument:
    """A complete document of a visit this user may see by the visit's own rule; else Http404 or PermissionDenied."""
    document = get_object_or_404(VisitDocument, pk=document_id, complete=True)
    document.appointment = visit_appointment_for_user(user=user, appointment_id=document.appointment_id)
    return document


def patient_attachment(*, televisit: Televisit, document_id: int) -> VisitDocument:
    """A file the patient sent in this televisit, for him to download again by his link; Http404 for anything else."""
    document = VisitDocument.objects.filter(
        pk=document_id, appointment_id=televisit.appointment_id, kind=VisitDocumentKind.ATTACHMENT, complete=True
    ).first()
    if document is None:
        raise Http404
    return document


async def _chunks(file) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(file.read, DOWNLOAD_CHUNK_BYTES):
            yield chunk
    finally:
        await asyncio.to_thread(file.close)


def document_response(document: VisitDocument) -> StreamingHttpResponse:
    """The document as a download under its kept name and stored type: never shown inline, never sniffed into another
    type by the browser, and never kept by a cache (the patient's page has no login to make it no-store).

    Read in chunks by an asynchronous iterator: the product is served over ASGI, where Django would first read a file
    object's whole content into memory — a recording of hours, for each download."""
    file = document.file.open("rb")
    response = StreamingHttpResponse(_chunks(file), content_type=document.content_type)
    response["Content-Length"] = str(document.file.size)
    response["Content-Disposition"] = content_disposition_header(True, document.name)
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, no_store=True, private=True)
    return response
