"""The connection to OSOZ (one row, SET-3), the outbox of what OSOZ must be told (OSZ-3, OSZ-8) and the bookings
received from it (OSZ-4)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedSecretField
from core.time import datetime_pl


def default_base_url() -> str:
    return settings.OSOZ_BASE_URL


class TelevisitMode(models.TextChoices):
    """How OSOZ runs the clinic's televisit service (Telewizyta > Informacje of the Provider Service)."""

    DEMO = "demo", _("wersja demo")
    PAID = "paid", _("usługa wykupiona")


class Connection(models.Model):
    """Ustawienia > OSOZ/LBK: where OSOZ is, the credentials it issued, the integration switch and its status."""

    SINGLETON_ID = 1

    base_url = models.URLField(_("Adres platformy OSOZ"), max_length=2000, default=default_base_url)
    client_id = models.CharField(_("Identyfikator klienta (client_id)"), max_length=100, blank=True)
    # Fernet tokens (core.crypto.secret_encrypt); the plain secrets exist only in memory while calling OSOZ.
    client_secret_encrypted = EncryptedSecretField()
    webhook_secret_encrypted = EncryptedSecretField()
    entity_name = models.CharField(_("Nazwa podmiotu w OSOZ"), max_length=200, blank=True, editable=False)
    enabled = models.BooleanField(_("Integracja z OSOZ włączona"), default=False)
    connected_at = models.DateTimeField(_("Połączono kreatorem"), null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(_("Ostatnia udana wymiana"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("Ostatni błąd"), blank=True, editable=False)
    last_error_at = models.DateTimeField(_("Kiedy wystąpił ostatni błąd"), null=True, blank=True, editable=False)
    # The booking events feed (OSZ-4): the cursor after the last applied page, stored with that page's events.
    booking_cursor = models.CharField(max_length=200, blank=True, editable=False)
    last_pull_at = models.DateTimeField(_("Ostatnie pobranie rezerwacji"), null=True, blank=True, editable=False)
    # The connection monitor (OSZ-10): since when every exchange has failed, and whether administrators were told.
    outage_alert_minutes = models.PositiveSmallIntegerField(
        _("Powiadom administratorów po (minutach) braku połączenia"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
    )
    outage_since = models.DateTimeField(_("Brak połączenia od"), null=True, blank=True, editable=False)
    outage_alerted_at = models.DateTimeField(
        _("Powiadomiono o braku połączenia"), null=True, blank=True, editable=False
    )
    # Konfiguracja dostępu do telewizyty (SET-3, manual §14.2): only the token OSOZ granted for the Provider Service
    # password, encrypted; the password itself is never stored.
    televisit_token_encrypted = EncryptedSecretField()
    televisit_mode = models.CharField(
        _("Tryb usługi telewizyty"), max_length=5, choices=TelevisitMode.choices, blank=True, editable=False
    )
    televisit_active_until = models.DateField(_("Telewizyta aktywna do"), null=True, blank=True, editable=False)
    televisit_configured_at = models.DateTimeField(
        _("Skonfigurowano dostęp do telewizyty"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("połączenie z OSOZ")
        verbose_name_plural = _("połączenie z OSOZ")
        default_permissions = ("view", "change")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="osoz_integration_connection_singleton")]

    def __str__(self):
        return self.base_url

    @property
    def has_credentials(self) -> bool:
        return bool(self.client_id and self.client_secret_encrypted)

    @property
    def is_active(self) -> bool:
        """Publishing happens only with the switch on and credentials from OSOZ."""
        return self.enabled and self.has_credentials

    @property
    def televisit_access_active(self) -> bool:
        """TV-1: access to the televisit service was obtained and its period has not ended."""
        return (
            bool(self.televisit_token_encrypted)
            and self.televisit_active_until is not None
            and self.televisit_active_until >= timezone.localdate()
        )


class OutboxKind(models.TextChoices):
    LOCATION = "location", _("lokalizacja")
    DOCTOR = "doctor", _("lekarz")
    SCHEDULE = "schedule", _("harmonogram")
    SLOTS = "slots", _("wolne terminy lekarza")
    BOOKING = "booking", _("rezerwacja online")
    PRICE_LISTS = "pricelists", _("cenniki płatników")
    REFERRALS = "referrals", _("skierowania wizyty płatnika")


# Delivery order inside one drain: places first, then who works there, then when. OSOZ accepts any order, but
# patients then never see a doctor before his location.
KIND_PRIORITY = {
    OutboxKind.LOCATION: 0,
    OutboxKind.DOCTOR: 1,
    OutboxKind.SCHEDULE: 2,
    OutboxKind.SLOTS: 3,
    OutboxKind.BOOKING: 4,
    OutboxKind.PRICE_LISTS: 5,
    OutboxKind.REFERRALS: 6,
}


class OutboxMessage(models.Model):
    """One row per published resource ("slots:12"), kept for good. A change raises `version`; the row is pending
    while `version` is above `sent_version`, so a burst of changes leaves one pending message (coalescing) and a
    change made while the message was being sent makes it pending again. The document itself is built at send
    time from the database (snapshot), never stored here."""

    key = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=10, choices=OutboxKind.choices)
    object_id = models.PositiveBigIntegerField()
    priority = models.PositiveSmallIntegerField()
    # The contract's monotonic version of the resource: microseconds since the epoch at the change, or one more
    # than the previous version, so versions keep growing even if the product's database is restored.
    version = models.PositiveBigIntegerField()
    sent_version = models.PositiveBigIntegerField(default=0)
    # Whether the last document OSOZ accepted showed the resource; a withdrawal is sent only for what was shown.
    visible_sent = models.BooleanField(default=False)
    changed_at = models.DateTimeField()
    # Null: parked after a permanent error (a 4xx) until the resource changes again.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # A drain holds the row until then; a worker that died mid-send releases it by letting the lease run out.
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("wiadomość do OSOZ")
        verbose_name_plural = _("wiadomości do OSOZ")
        default_permissions = ()
        indexes = [models.Index(fields=["next_attempt_at", "priority"], name="osoz_outbox_due")]

    def __str__(self):
        return f"{self.key} v{self.version}"

    @property
    def is_pending(self) -> bool:
        return self.version > self.sent_version


def outbox_key(kind: str, object_id: int) -> str:
    return f"{kind}:{object_id}"


class OsozBookingState(models.TextChoices):
    """A booking's state in the contract's words (Booking.status)."""

    PENDING = "pending", _("oczekuje na decyzję")
    ACCEPTED = "accepted", _("przyjęta")
    REJECTED = "rejected", _("odrzucona")
    CANCELLED_BY_PATIENT = "cancelled_by_patient", _("odwołana przez pacjenta")
    CANCELLED_BY_CLINIC = "cancelled_by_clinic", _("odwołana przez placówkę")


class OsozBookingPath(models.TextChoices):
    APPROVAL = "approval", _("zatwierdzenie w chwili rezerwacji")
    FEED = "feed", _("strumień zdarzeń")


class OsozBooking(models.Model):
    """A booking made on OSOZ, recorded once by its booking id, whichever path brought it first (OSZ-4).

    `state` is what the product decided and what happened since; `osoz_state` and `osoz_starts_at` are what OSOZ was
    last told. The outbox row "booking:<pk>" sends the difference (accept, reject, cancel or move), built at send
    time like every other document, so a retry or a later change never sends a stale command."""

    booking_id = models.UUIDField(unique=True)
    appointment = models.OneToOneField(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="osoz_booking"
    )
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="osoz_bookings"
    )
    state = models.CharField(max_length=24, choices=OsozBookingState.choices)
    reason = models.CharField(_("Powód"), max_length=500, blank=True)
    channel = models.CharField(max_length=20)
    starts_at = models.DateTimeField(_("Termin z OSOZ"))
    osoz_state = models.CharField(max_length=24, choices=OsozBookingState.choices)
    osoz_starts_at = models.DateTimeField()
    path = models.CharField(max_length=10, choices=OsozBookingPath.choices)
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = _("rezerwacja z OSOZ")
        verbose_name_plural = _("rezerwacje z OSOZ")
        default_permissions = ()

    def __str__(self):
        return str(self.booking_id)


class InboundEventSource(models.TextChoices):
    FEED = "feed", _("strumień zdarzeń")
    WEBHOOK = "webhook", _("webhook")


class InboundEvent(models.Model):
    """An event id OSOZ sent — a feed event, or a webhook delivery's X-OSOZ-Event-Id — recorded in the transaction
    that handles it, so a duplicate or replayed delivery is recognised and skipped."""

    event_id = models.UUIDField(unique=True)
    source = models.CharField(max_length=10, choices=InboundEventSource.choices)
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.source} {self.event_id}"


class ReconciliationRun(models.Model):
    """One comparison of what OSOZ shows with what the product holds (reconcile.py): when it ran, what differed, what
    was handed to the outbox to repair, or why it could not compare."""

    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    found = models.PositiveIntegerField(default=0)
    repaired = models.PositiveIntegerField(default=0)
    # One entry per difference: {"kind": OutboxKind or "", "text": the clinic's words, "repaired": bool}.
    differences = models.JSONField(default=list)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("uzgodnienie z OSOZ")
        verbose_name_plural = _("uzgodnienia z OSOZ")
        default_permissions = ()

    def __str__(self):
        return datetime_pl(self.started_at)


class PriceListSendingStatus(models.TextChoices):
    PENDING = "pending", _("czeka na wysłanie")
    ACCEPTED = "accepted", _("przyjęte przez OSOZ")
    REFUSED = "refused", _("odrzucone przez OSOZ")
    SUPERSEDED = "superseded", _("zastąpione nowszą wysyłką")


class PriceListSending(models.Model):
    """One signed document of the payers' price lists handed to the outbox (PAY-6, manual §11.3). The signature cannot
    be made again at send time — the administrator's key is gone — so, unlike the other outbox documents, the signed
    XML is kept; it holds no secret. The counts are what the audit of OSOZ's acceptance reports."""

    document_id = models.CharField(max_length=100, unique=True)
    signed_xml = models.BinaryField()
    signer = models.CharField(_("Podpisujący"), max_length=500)
    built_at = models.DateTimeField(_("Stan cenników z"))
    payer_ids = models.JSONField(default=list)
    services_count = models.PositiveIntegerField()
    # [{"name": group name, "count": services}] in the document's order.
    group_counts = models.JSONField(default=list)
    status = models.CharField(
        max_length=12, choices=PriceListSendingStatus.choices, default=PriceListSendingStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    # OSOZ's refusal: its problem code and its Polish detail, shown to the administrator.
    refusal_code = models.CharField(max_length=40, blank=True)
    refusal_detail = models.TextField(blank=True)

    class Meta:
        verbose_name = _("wysyłka cenników do OSOZ")
        verbose_name_plural = _("wysyłki cenników do OSOZ")
        default_permissions = ()

    def __str__(self):
        return self.document_id
