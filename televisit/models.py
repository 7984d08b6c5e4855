"""A televisit (TV-2…TV-8): the call of one televisit appointment, the patient's link to it and what became of it."""

from uuid import uuid4

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.validators import validate_multiline_text

# A chat message's text at most, in the call's chat (televisit.consumers) and before and after it (VisitMessage).
MESSAGE_MAX_LENGTH = 2000


class Televisit(models.Model):
    """One per televisit appointment, made when its call or its patient link is first needed.

    The patient's token is never stored, only its SHA-256 (televisit.tokens): the link is derived again from the
    appointment, the start it was issued for and `token_salt` when it has to be handed out once more. The
    timestamps describe the latest call: a doctor who calls again after ending starts a new one."""

    appointment = models.OneToOneField(
        "scheduling.Appointment", verbose_name=_("Umówienie"), on_delete=models.PROTECT, related_name="televisit"
    )
    token_salt = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    # The link works only while the appointment still starts here: moving the visit retires it.
    issued_for = models.DateTimeField(_("Termin, na który wydano link"))
    issued_at = models.DateTimeField(_("Wydano link"), auto_now_add=True)
    started_at = models.DateTimeField(_("Rozpoczęto"), null=True, blank=True)
    connected_at = models.DateTimeField(_("Połączono"), null=True, blank=True)
    ended_at = models.DateTimeField(_("Zakończono"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_by_label = models.CharField(_("Zakończył"), max_length=150, blank=True)
    # "Połącz" in the patient portal (POR-5): the patient is at his computer, waiting for the doctor's call.
    patient_ready_at = models.DateTimeField(_("Pacjent gotowy"), null=True, blank=True)

    class Meta:
        verbose_name = _("telewizyta")
        verbose_name_plural = _("telewizyty")

    def __str__(self):
        return str(self.appointment)

    def patient_waiting(self) -> bool:
        """The patient said he is ready and no call has started since: the doctor is to call him."""
        if self.patient_ready_at is None:
            return False
        return self.started_at is None or self.started_at < self.patient_ready_at


class VisitDocumentKind(models.TextChoices):
    ATTACHMENT = "attachment", _("Załącznik od pacjenta")
    RECORDING = "recording", _("Nagranie telewizyty")


def _document_path(instance, filename):
    # Never the name the file came with: that is kept, as shown, in `name`.
    return f"wizyty/{instance.appointment_id}/{uuid4().hex}"


class VisitDocument(models.Model):
    """A file of a visit: what the patient sent through the televisit's chat (§15.4.2), or the televisit's recording
    the doctor's browser uploaded (TV-6) — the latter arrives in chunks and is `complete` only after its last. Stored
    under MEDIA_ROOT, which no URL serves."""

    appointment = models.ForeignKey(
        "scheduling.Appointment", verbose_name=_("Umówienie"), on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(_("Rodzaj"), max_length=20, choices=VisitDocumentKind.choices)
    name = models.CharField(_("Nazwa pliku"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("Rozmiar"), default=0)
    file = models.FileField(upload_to=_document_path, max_length=200)
    complete = models.BooleanField(default=True)
    # A recording's chunks received so far (televisit.recordings); 0 for an attachment, which comes whole.
    chunks = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("Dodano"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("dokument wizyty")
        verbose_name_plural = _("dokumenty wizyty")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.name


class MessageSide(models.TextChoices):
    PATIENT = "patient", _("Pacjent")
    STAFF = "staff", _("Placówka")


class VisitMessage(models.Model):
    """A message of the chat between the patient and the clinic about one videoconsultation, before and after it
    (POR-6): the patient writes in the portal, optionally with one file, the staff reply in the visit. Read by the
    other side when it opens the chat (`read_at`)."""

    appointment = models.ForeignKey(
        "scheduling.Appointment", verbose_name=_("Umówienie"), on_delete=models.PROTECT, related_name="messages"
    )
    side = models.CharField(_("Autor"), max_length=10, choices=MessageSide.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The name the other side sees: the staff member's, or "Pacjent".
    author_label = models.CharField(_("Autor"), max_length=150)
    text = models.TextField(
        _("Wiadomość"),
        max_length=MESSAGE_MAX_LENGTH,
        blank=True,
        # A TextField's max_length binds only forms; the services' full_clean needs the validator too.
        validators=[validate_multiline_text, MaxLengthValidator(MESSAGE_MAX_LENGTH)],
    )
    document = models.OneToOneField(
        VisitDocument,
        verbose_name=_("Plik"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="message",
    )
    created_at = models.DateTimeField(_("Wysłano"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("Przeczytano"), null=True, blank=True)

    class Meta:
        verbose_name = _("wiadomość czatu wizyty")
        verbose_name_plural = _("wiadomości czatu wizyty")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["appointment", "side", "read_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(text="") | models.Q(document__isnull=False), name="televisit_message_not_empty"
            )
        ]

    def __str__(self):
        return f"{self.author_label}, {self.created_at:%Y-%m-%d %H:%M}"
