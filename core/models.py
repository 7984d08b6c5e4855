"""The audit log: append-only, one row per security-relevant or integration event (AUD-1); and the background tasks
asked for and not yet started (`TaskRequest`)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.time import datetime_pl


class AuditCategory(models.TextChoices):
    SECURITY = "security", _("Bezpieczeństwo")
    RECORD_ACCESS = "record_access", _("Dostęp do kartoteki")
    CONFIGURATION = "configuration", _("Konfiguracja")
    INTEGRATION = "integration", _("Integracja OSOZ")
    EXPORT = "export", _("Eksport danych")
    EMERGENCY_ACCESS = "emergency_access", _("Dostęp w trybie awaryjnym")
    TELEVISIT = "televisit", _("Telewizyta")


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", _("Powodzenie")
    FAILURE = "failure", _("Niepowodzenie")


class AuditEventQuerySet(models.QuerySet):
    """Refuses bulk changes in Python; the database triggers of migration 0002 refuse the rest."""

    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only.")


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(_("kiedy"), default=timezone.now, db_index=True)
    # PROTECT: staff accounts that acted are deactivated, never deleted, so the trail keeps its actor.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("użytkownik"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who acted as text at the time: a staff member's name, "OSOZ", "System" or a username that failed to log in.
    actor_label = models.CharField(_("kto"), max_length=150)
    category = models.CharField(_("kategoria"), max_length=20, choices=AuditCategory.choices)
    action = models.CharField(_("zdarzenie"), max_length=60, db_index=True)
    message = models.TextField(_("opis"))
    object_type = models.CharField(_("typ obiektu"), max_length=100, blank=True)
    object_id = models.CharField(_("identyfikator obiektu"), max_length=64, blank=True)
    object_repr = models.CharField(_("obiekt"), max_length=200, blank=True)
    outcome = models.CharField(_("wynik"), max_length=10, choices=AuditOutcome.choices)
    ip_address = models.GenericIPAddressField(_("adres IP"), null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("zdarzenie audytu")
        verbose_name_plural = _("audyty")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["category", "-occurred_at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]
        default_permissions = ("view",)

    def __str__(self):
        return f"{datetime_pl(self.occurred_at)} {self.actor_label}: {self.message}"


class TaskRequest(models.Model):
    """A background task asked for and not yet started (core.services.task_request): while `requested_at` is set, a
    message for it already waits in the broker, so however many changes ask for it, one more is not queued."""

    task = models.CharField(max_length=200, primary_key=True)
    requested_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return self.task
