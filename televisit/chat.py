"""The chat of a videoconsultation before and after it (POR-6): the patient writes from the portal, with one file at a
time checked as the call's chat checks it (televisit.documents), and the clinic replies in the visit's "Czat z
pacjentem". Each side's unread messages are counted until the other side opens the chat. The portal and the staff
section are thin callers of these."""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from scheduling.models import Appointment, AppointmentKind
from televisit.documents import attachment_receive
from televisit.models import MessageSide, VisitMessage
from televisit.services import PATIENT_ACTOR, televisit_for_appointment


def chat_open(appointment: Appointment) -> bool:
    """Whether the chat takes new messages: a videoconsultation that was not cancelled, before, during and after it."""
    return appointment.kind == AppointmentKind.TELEVISIT and not appointment.is_cancelled


def _other(side: str) -> str:
    return MessageSide.STAFF if side == MessageSide.PATIENT else MessageSide.PATIENT


def _refusal(error: ValidationError) -> DomainError:
    return DomainError(" ".join(str(message) for message in error.messages))


def visit_message_send(
    *, appointment: Appointment, side: str, text: str, upload: UploadedFile | None = None, user=None
) -> VisitMessage:
    """One message from the patient (side PATIENT, optionally with a file) or from a staff member (side STAFF, `user`,
    text only). DomainError, with nothing stored, when the chat is closed, the text is empty or holds what the
    product refuses, or the file is refused by the call's chat rules."""
    if not chat_open(appointment):
        raise DomainError(_("Czat tej wizyty jest zamknięty: wizytę odwołano lub nie jest videokonsultacją."))
    if upload is not None and side != MessageSide.PATIENT:
        raise DomainError(_("Pliki przesyła pacjent."))
    text = text.strip()
    if not text and upload is None:
        raise DomainError(_("Napisz wiadomość albo dołącz plik."))
    label = (user.get_full_name() or user.username) if side == MessageSide.STAFF else PATIENT_ACTOR
    message = VisitMessage(appointment=appointment, side=side, author=user, author_label=label[:150], text=text)
    # The text is judged before any file is stored, so a refused text leaves no file behind.
    try:
        message.full_clean(exclude=["appointment", "author", "document"], validate_constraints=False)
    except ValidationError as error:
        raise _refusal(error) from error
    with transaction.atomic():
        if upload is not None:
            # The file's own checks, storage, audit and the live line to the doctor's open call window.
            message.document = attachment_receive(
                televisit=televisit_for_appointment(appointment=appointment), upload=upload
            )
        try:
            message.save()
        except Exception:
            if message.document is not None:
                message.document.file.delete(save=False)
            raise
    return message


def visit_message_list(*, appointment: Appointment) -> list[VisitMessage]:
    return list(appointment.messages.select_related("document"))


def visit_messages_read(*, appointment: Appointment, reader: str) -> int:
    """The reader's side opened the chat: the other side's messages are read now. How many became read."""
    return VisitMessage.objects.filter(appointment=appointment, side=_other(reader), read_at__isnull=True).update(
        read_at=timezone.now()
    )


def visit_messages_unread(*, appointment_ids, reader: str) -> dict[int, int]:
    """The reader's unread messages (written by the other side) per appointment, for those that have any."""
    rows = (
        VisitMessage.objects.filter(appointment_id__in=appointment_ids)
        .values("appointment_id")
        .annotate(unread=Count("pk", filter=Q(side=_other(reader), read_at__isnull=True)))
        .filter(unread__gt=0)
    )
    return {row["appointment_id"]: row["unread"] for row in rows}
