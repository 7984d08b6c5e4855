"""A televisit (TV-2…TV-8): the call of one televisit appointment, the patient's link to it and what became of it."""

from uuid import uuid4

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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

    class Meta:
        verbose_name = _("telewizyta")
        verbose_name_plural = _("telewizyty")

    def __str__(self):
        return str(self.appointment)


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
