"""What the simulated OSOZ platform stores: connected entities (clinics) with their Provider Service settings and
widgets, API credentials, and everything a clinic published through the contract."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class TelevisitMode(models.TextChoices):
    DEMO = "demo", "Wersja demo"
    PAID = "paid", "Usługa wykupiona"


class Entity(models.Model):
    """A clinic (podmiot) with its Provider Service settings (manual §3.1, Tabela 4)."""

    # The Tabela 4 settings: the Provider Service form edits these, GET /api/v1/entity reports them.
    SETTINGS = (
        "online_registration",
        "single_booking_per_specialist",
        "cancellation_reason_required",
        "group_by_clinic",
        "waiting_lists",
        "booking_without_card",
        "phone_required",
        "pesel_required",
        "multi_step_registration",
        "reply_email",
        "televisit",
        "insurers_online_registration",
        "insurers_auto_enable",
    )

    entity_id = models.CharField("Identyfikator podmiotu", max_length=32, unique=True)
    name = models.CharField("Nazwa podmiotu", max_length=200)
    address = models.CharField("Adres", max_length=300, blank=True)
    nip = models.CharField("NIP", max_length=13, blank=True)

    online_registration = models.BooleanField("Rejestracja on-line", default=True)
    single_booking_per_specialist = models.BooleanField(
        "Blokada wielokrotnej rejestracji do specjalisty", default=False
    )
    cancellation_reason_required = models.BooleanField(
        "Wymaganie podawania powodu anulowania wizyty przez pacjenta", default=False
    )
    group_by_clinic = models.BooleanField("Grupowanie lekarzy według poradni specjalistycznych", default=True)
    waiting_lists = models.BooleanField("Obsługa kolejek oczekujących", default=True)
    booking_without_card = models.BooleanField("Rejestracja bez karty pacjenta", default=True)
    phone_required = models.BooleanField("Numer telefonu", default=False)
    pesel_required = models.BooleanField("PESEL", default=True)
    multi_step_registration = models.BooleanField("Czy włączyć rejestrację wieloetapową?", default=False)
    reply_email = models.EmailField("E-mail zwrotny", blank=True)
    televisit = models.BooleanField("Telewizyta", default=False)
    insurers_online_registration = models.BooleanField("Rejestracja on-line (Ubezpieczyciele)", default=False)
    insurers_auto_enable = models.BooleanField(
        "Automatyczne włączanie Rejestracji on-line dla nowych Ubezpieczycieli", default=False
    )

    widget_domains = models.TextField(
        "Domeny widgetów", blank=True, help_text="Jedna domena w wierszu; widgety wyświetlają się tylko w nich."
    )
    webhook_url = models.URLField("Adres powiadomień (webhook)", max_length=2000, blank=True)
    booking_approval_url = models.URLField("Adres zatwierdzania rezerwacji", max_length=2000, blank=True)
    integration_version = models.PositiveBigIntegerField(default=0)
    # Ubezpieczenia > Regulamin (manual §10.1): the clinic's data confirmed, then the regulations accepted.
    insurance_data_confirmed_at = models.DateTimeField("Potwierdzono poprawność danych", null=True, blank=True)
    insurance_terms_accepted_at = models.DateTimeField(
        "Zaakceptowano regulamin usługi „Ubezpieczenia”", null=True, blank=True
    )
    # Telewizyta > Informacje (manual §14.1): the televisit service, bought for 12 months or switched on in demo mode
    # for 3; it ends on its own on the day after `televisit_active_until`.
    televisit_mode = models.CharField("Tryb usługi telewizyty", max_length=5, choices=TelevisitMode.choices, blank=True)
    televisit_active_until = models.DateField("Telewizyta aktywna do", null=True, blank=True)

    class Meta:
        verbose_name = "podmiot"
        verbose_name_plural = "podmioty"

    def __str__(self):
        return self.name

    @property
    def allowed_domains(self) -> list[str]:
        return [line.strip().lower() for line in self.widget_domains.splitlines() if line.strip()]

    @property
    def insurance_active(self) -> bool:
        """The service „Ubezpieczenia” is active once its regulations are accepted."""
        return self.insurance_terms_accepted_at is not None

    @property
    def televisit_service_active(self) -> bool:
        """The televisit service (Telewizyta > Informacje) is bought or in its demo period today."""
        return self.televisit_active_until is not None and self.televisit_active_until >= timezone.localdate()

    @property
    def televisit_offered(self) -> bool:
        """Patients may choose televisits of this clinic: Rejestracja on-line > Ustawienia „Telewizyta” is on and the
        service is active — when a demo period ends, the option stops working without anyone switching it off."""
        return self.televisit and self.televisit_service_active


class ProviderAccount(models.Model):
    """A login to the Provider Service ("Serwis Świadczeniodawcy OSOZ") of one entity."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_account")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="accounts")

    def __str__(self):
        return f"{self.user.username} ({self.entity})"


class ConnectCode(models.Model):
    """The one-time code of the configuration wizard's redirect; only its hash is kept."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="connect_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    return_url = models.URLField(max_length=2000)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Kod kreatora dla {self.entity}"


class ApiClient(models.Model):
    """OAuth2 client credentials issued by the wizard; a new exchange revokes the entity's earlier ones."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="api_clients")
    client_id = models.CharField(max_length=64, unique=True)
    secret_hash = models.CharField(max_length=64)
    # The sandbox signs webhooks with it, so it is kept as issued.
    webhook_secret = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.client_id


class AccessToken(models.Model):
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()

    def __str__(self):
        return f"Token klienta {self.client}"


class IdempotencyRecord(models.Model):
    """The stored outcome of a POST, replayed for a retry with the same Idempotency-Key (kept 24 hours)."""

    scope = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="osoz_sandbox_idempotency_unique")]

    def __str__(self):
        return f"{self.scope}: {self.key}"


class Versioned(models.Model):
    """A published resource: the highest applied version wins; `deleted` is a tombstone that keeps the version."""

    version = models.PositiveBigIntegerField(default=0)
    deleted = models.BooleanField(default=False)
    visible = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Location(Versioned):
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="locations")
    unit_number = models.PositiveSmallIntegerField("Numer jednostki")
    osoz_location_id = models.CharField("Identyfikator lokalizacji", max_length=32, blank=True)
    unit_name = models.CharField("Nazwa jednostki organizacyjnej", max_length=200, blank=True)
    street = models.CharField("Ulica i numer", max_length=200, blank=True)
    city = models.CharField("Miejscowość", max_length=100, blank=True)
    postcode = models.CharField("Kod pocztowy", max_length=6, blank=True)
    commune = models.CharField("Gmina", max_length=100, blank=True)
    phone = models.CharField("Telefon", max_length=40, blank=True)
    public_key_pem = models.TextField(blank=True)
    public_key_fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["entity", "unit_number"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "unit_number"], name="osoz_sandbox_location_unique"),
        ]

    def __str__(self):
        return self.unit_name or f"Jednostka {self.unit_number}"


class Cell(models.Model):
    """A cell (poradnia) of a location, replaced with every publication of its location."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="cells")
    cell_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["location", "cell_id"], name="osoz_sandbox_cell_unique")]

    def __str__(self):
        return self.name


class DoctorAccess(models.TextChoices):
    PATIENT = "patient", "Pacjent"
    INSURER_CALLCENTER = "insurer_callcenter", "Ubezpieczalnia, CallCenter"
    ALL = "all", "Wszyscy"


class Doctor(Versioned):
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="doctors")
    doctor_id = models.CharField(max_length=64)
    title = models.CharField(max_length=40, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    callcenter_description = models.TextField(blank=True)
    access = models.CharField(max_length=20, choices=DoctorAccess.choices, default=DoctorAccess.PATIENT)
    # Rejestracja on-line > Terminarz (manual §14.1 step 4): a Provider Service setting, not part of what the clinic
    # publishes, so a new version of the doctor keeps it.
    televisit_enabled = models.BooleanField("Umożliwia telewizytę", default=False)

    class Meta:
        ordering = ["last_name", "first_name", "doctor_id"]
        constraints = [models.UniqueConstraint(fields=["entity", "doctor_id"], name="osoz_sandbox_doctor_unique")]

    def __str__(self):
        return " ".join(part for part in (self.title, self.first_name, self.last_name) if part)


class DoctorSpecialisation(models.Model):
    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="specialisations")
    code = models.CharField(max_length=4)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class DoctorCell(models.Model):
    """A cell where the doctor is shown ("Komórki przekazywane do OSOZ")."""

    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="doctor_cells")
    cell_id = models.CharField(max_length=64)

    def __str__(self):
        return self.cell_id


class Schedule(Versioned):
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="schedules")
    schedule_id = models.CharField(max_length=64)
    doctor_id = models.CharField(max_length=64, blank=True)
    location_unit_number = models.PositiveSmallIntegerField(default=1)
    cell_id = models.CharField(max_length=64, blank=True)
    valid_from = models.DateField(null=True)
    valid_to = models.DateField(null=True)
    nfz = models.BooleanField("NFZ", default=False)
    requirement = models.TextField("Opis wymagania", blank=True)
    first_free_only = models.BooleanField("Wybieraj pierwszy wolny termin", default=False)
    children_sick = models.BooleanField("Dzieci chore", default=False)
    children_healthy = models.BooleanField("Dzieci zdrowe", default=False)
    televisit_possible = models.BooleanField("Możliwa telewizyta", default=False)
    televisit_only = models.BooleanField("Tylko telewizyta", default=False)
    znanylekarz_offer = models.BooleanField("Oferowany w ZnanyLekarz", default=False)
    payers = models.JSONField(default=list)

    ATTRIBUTE_NAMES = ("first_free_only", "children_sick", "children_healthy", "televisit_possible", "televisit_only")

    class Meta:
        ordering = ["doctor_id", "valid_from", "schedule_id"]
        constraints = [models.UniqueConstraint(fields=["entity", "schedule_id"], name="osoz_sandbox_schedule_unique")]

    def __str__(self):
        return f"Harmonogram {self.schedule_id}"

    @property
    def attribute_labels(self) -> list[str]:
        return [str(self._meta.get_field(name).verbose_name) for name in self.ATTRIBUTE_NAMES if getattr(self, name)]

    def payer_group_ids(self, payer_id: str) -> list[str] | None:
        """The price-list groups this schedule offers the payer (PayerOffer.service_group_ids), or None when the
        schedule is not shared with it."""
        for offer in self.payers:
            if offer.get("payer_id") == payer_id:
                return [str(group_id) for group_id in offer.get("service_group_ids", [])]
        return None


class SlotDay(models.Model):
    """One doctor-day of free slots and the version of the snapshot that last wrote it (the per-day guard)."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="slot_days")
    doctor_id = models.CharField(max_length=64)
    date = models.DateField()
    version = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "doctor_id", "date"], name="osoz_sandbox_slot_day_unique")
        ]

    def __str__(self):
        return f"{self.doctor_id} {self.date} (v{self.version})"


class Slot(models.Model):
    day = models.ForeignKey(SlotDay, on_delete=models.CASCADE, related_name="slots")
    schedule_id = models.CharField(max_length=64)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "schedule_id"]

    def __str__(self):
        return f"{self.starts_at:%Y-%m-%d %H:%M} ({self.schedule_id})"


class WidgetKind(models.TextChoices):
    """The doctor widgets of manual §3.3, Tabela 5."""

    ALL_DOCTORS = "all_doctors", "Wszyscy lekarze"
    DOCTOR_INFO = "doctor_info", "Lekarz – informacje"
    DOCTOR_TIMETABLE = "doctor_timetable", "Lekarz – informacje i terminarz"
    DOCTOR_NEXT_SLOT = "doctor_next_slot", "Lekarz – informacje i najbliższy termin"
    DOCTOR_BUTTON = "doctor_button", "Lekarz – przycisk"


class Widget(models.Model):
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="widgets")
    kind = models.CharField("Typ widgetu", max_length=20, choices=WidgetKind.choices)
    doctor_id = models.CharField("Lekarz", max_length=64, blank=True)
    days = models.PositiveSmallIntegerField("Liczba dni terminarza", default=7)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.get_kind_display()

    @property
    def needs_doctor(self) -> bool:
        return self.kind != WidgetKind.ALL_DOCTORS


# --- Bookings (part 2 of the contract) ---------------------------------------------------------------------------


class BookingStatus(models.TextChoices):
    """The contract's Booking.status."""

    PENDING = "pending", "Oczekuje na potwierdzenie placówki"
    ACCEPTED = "accepted", "Potwierdzona"
    REJECTED = "rejected", "Odrzucona przez placówkę"
    CANCELLED_BY_PATIENT = "cancelled_by_patient", "Odwołana przez pacjenta"
    CANCELLED_BY_CLINIC = "cancelled_by_clinic", "Odwołana przez placówkę"


# A booking in these states holds its slot.
ACTIVE_BOOKING_STATUSES = (BookingStatus.PENDING, BookingStatus.ACCEPTED)


class BookingChannel(models.TextChoices):
    LEKARZEBEZKOLEJKI = "lekarzebezkolejki", "LekarzeBezKolejki.pl"
    VISIMED = "visimed", "VisiMed"
    WIDGET = "widget", "Widget na stronie placówki"
    ZNANYLEKARZ = "znanylekarz", "ZnanyLekarz.pl"
    CALLCENTER = "callcenter", "CallCenter"
    INSURER = "insurer", "Ubezpieczyciel"


class BookingKind(models.TextChoices):
    VISIT = "visit", "Wizyta w placówce"
    TELEVISIT = "televisit", "Telewizyta"


class Booking(models.Model):
    """A patient's booking. What the clinic receives is the contract's Booking document, with the personal data only
    inside `personal_data`, sealed to the location's public key. The platform keeps its own copy of the contact data
    (it notifies the patient, SBX-7) and a hash that identifies the patient for the per-specialist block."""

    booking_id = models.UUIDField(unique=True)
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="bookings")
    channel = models.CharField(max_length=20, choices=BookingChannel.choices, default=BookingChannel.LEKARZEBEZKOLEJKI)
    doctor_id = models.CharField(max_length=64)
    schedule_id = models.CharField(max_length=64)
    location_unit_number = models.PositiveSmallIntegerField()
    cell_id = models.CharField(max_length=64)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    kind = models.CharField("Rodzaj wizyty", max_length=10, choices=BookingKind.choices, default=BookingKind.VISIT)
    nfz = models.BooleanField(default=False)
    patient_note = models.TextField("Dodatkowa informacja dla lekarza", blank=True)
    osoz_card_number = models.CharField("Numer karty OSOZ", max_length=18, blank=True)
    requirement_accepted = models.BooleanField(default=False)
    personal_data = models.JSONField(help_text="SealedEnvelope of the contract")
    patient_name = models.CharField("Pacjent", max_length=200)
    email = models.EmailField("E-mail")
    phone = models.CharField("Telefon", max_length=40, blank=True)
    patient_key = models.CharField(max_length=64, db_index=True)
    # Only the hash of the cancellation link's token is kept.
    cancel_token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=24, choices=BookingStatus.choices, default=BookingStatus.PENDING)
    appointment_ref = models.CharField(max_length=64, blank=True)
    reason = models.CharField("Powód", max_length=500, blank=True)
    # Contract 1.5.0: the patient's link to the televisit, handed over by the clinic with its acceptance (or a move).
    televisit_url = models.URLField("Link do telewizyty", max_length=2000, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One active booking per doctor and start: the sandbox's own guard against double booking.
            models.UniqueConstraint(
                fields=["entity", "doctor_id", "starts_at"],
                condition=models.Q(status__in=["pending", "accepted"]),
                name="osoz_sandbox_booking_slot_unique",
            ),
        ]

    def __str__(self):
        return f"{self.patient_name} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_BOOKING_STATUSES

    def televisit_url_change(self, televisit_url: str | None) -> dict:
        """The fields to change for the televisit link the clinic gives (contract 1.5.0): kept for a televisit only."""
        if self.kind != BookingKind.TELEVISIT or not televisit_url:
            return {}
        return {"televisit_url": televisit_url}


class BookingEventType(models.TextChoices):
    CREATED = "booking.created", "Nowa rezerwacja"
    CANCELLED_BY_PATIENT = "booking.cancelled_by_patient", "Odwołanie przez pacjenta"


class BookingEvent(models.Model):
    """The booking events feed (GET /api/v1/booking-events): the primary key is the feed's order, and `payload` is
    the Booking document as it was when the event happened."""

    event_id = models.UUIDField(unique=True)
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="booking_events")
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=40, choices=BookingEventType.choices)
    occurred_at = models.DateTimeField()
    payload = models.JSONField()

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.type} {self.booking_id}"


class PendingRegistration(models.Model):
    """Rejestracja wieloetapowa: the booking form's data waiting for the patient to open the e-mail's link. Nothing
    is booked until then; the slot stays free for others."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="pending_registrations")
    token_hash = models.CharField(max_length=64, unique=True)
    data = models.JSONField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Rejestracja oczekująca na potwierdzenie e-mail ({self.created_at:%Y-%m-%d %H:%M})"


class NotificationChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"


class Notification(models.Model):
    """SBX-7: an e-mail or SMS the platform would send a patient; the outbox page and tests read them."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="notifications")
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField("Kanał", max_length=5, choices=NotificationChannel.choices)
    recipient = models.CharField("Odbiorca", max_length=200)
    subject = models.CharField("Temat", max_length=200, blank=True)
    body = models.TextField("Treść")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_channel_display()} do {self.recipient}: {self.subject or self.body[:40]}"


class WebhookDelivery(models.Model):
    """A signed bookingEventsNudge waiting to reach the clinic; retried with backoff for up to 24 hours."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="webhook_deliveries")
    event_id = models.UUIDField(unique=True)
    url = models.URLField(max_length=2000)
    body = models.JSONField()
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Webhook {self.event_id} → {self.url}"


class FaultSettings(models.Model):
    """SBX-8: faults the sandbox injects, switchable at runtime (one row; read on every request)."""

    SINGLETON_ID = 1

    down = models.BooleanField("Niedostępny (API odpowiada 503, webhooki wstrzymane)", default=False)
    delay_ms = models.PositiveIntegerField("Opóźnienie odpowiedzi API (ms)", default=0)
    error_rate = models.PositiveSmallIntegerField("Odsetek odpowiedzi 500 (%)", default=0)
    duplicate_deliveries = models.BooleanField("Podwójne dostarczanie (zdarzenia, webhooki)", default=False)
    reorder_events = models.BooleanField("Zmieniona kolejność zdarzeń w stronie", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "symulacja awarii"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="osoz_sandbox_faults_singleton")]

    def __str__(self):
        return "Symulacja awarii"


# --- Insurers (manual §10, SBX-5) -----------------------------------------------------------------------------------


class Insurer(models.Model):
    """An insurer (płatnik OSOZ) of the platform's catalogue, offering clinics cooperation (Ubezpieczenia >
    Ubezpieczyciele). The catalogue is the platform's, the same for every clinic (seeded by migration 0003)."""

    osoz_id = models.CharField("Identyfikator płatnika w OSOZ", max_length=64, unique=True)
    name = models.CharField("Nazwa", max_length=200)
    short_name = models.CharField("Nazwa skrócona", max_length=40)
    nip = models.CharField("NIP", max_length=10)
    address = models.CharField("Adres", max_length=300)
    description = models.TextField("Oferta współpracy")
    terms = models.TextField("Regulamin współpracy")
    terms_version = models.CharField("Wersja regulaminu", max_length=40)
    # Some insurers identify the clinic's locations by codes they hand out (Identyfikatory lokalizacji).
    requires_location_codes = models.BooleanField("Wymaga identyfikatorów lokalizacji", default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "ubezpieczyciel"
        verbose_name_plural = "ubezpieczyciele"

    def __str__(self):
        return self.name


class CooperationStatus(models.TextChoices):
    NONE = "none", "Brak współpracy"
    ACTIVE = "active", "Współpraca aktywna"


class Cooperation(models.Model):
    """A clinic's cooperation with an insurer: begun by accepting the insurer's regulations („Nawiąż współpracę” /
    „Przystąp”), ended by „Zakończ współpracę”. One row per clinic and insurer, kept after the end."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="cooperations")
    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="cooperations")
    status = models.CharField(max_length=10, choices=CooperationStatus.choices, default=CooperationStatus.NONE)
    terms_version = models.CharField("Zaakceptowana wersja regulaminu", max_length=40, blank=True)
    started_at = models.DateTimeField("Współpraca od", null=True, blank=True)
    ended_at = models.DateTimeField("Współpraca zakończona", null=True, blank=True)
    # Rejestracja on-line for this insurer (Rysunek 10-15): switched on at the start when the clinic has
    # "Automatyczne włączanie Rejestracji on-line dla nowych Ubezpieczycieli", otherwise by „Włącz”.
    online_registration = models.BooleanField("Rejestracja on-line", default=False)

    class Meta:
        ordering = ["insurer__name"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "insurer"], name="osoz_sandbox_cooperation_unique"),
        ]

    def __str__(self):
        return f"{self.entity} – {self.insurer} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status == CooperationStatus.ACTIVE


class LocationCodeStatus(models.TextChoices):
    """Tabela 8: statuses of the location identifiers."""

    UNLINKED = "unlinked", "Brak powiązania"
    UNKNOWN = "unknown", "Kod nieznany"
    ACCEPTED = "accepted", "Zaakceptowano"


class LocationCode(models.Model):
    """Identyfikator lokalizacji: the code an insurer hands both the OSOZ operator and the clinic for one of the
    clinic's locations. The operator enters it first; the clinic's code is checked against the operator's when the
    clinic enters it, so a code entered before the operator's ends as „Kod nieznany” (the order matters)."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="location_codes")
    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="location_codes")
    unit_number = models.PositiveSmallIntegerField("Numer jednostki")
    operator_code = models.CharField("Kod wprowadzony przez operatora OSOZ", max_length=40, blank=True)
    clinic_code = models.CharField("Kod wprowadzony przez placówkę", max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=LocationCodeStatus.choices, default=LocationCodeStatus.UNLINKED)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["insurer__name", "unit_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "insurer", "unit_number"], name="osoz_sandbox_location_code_unique"
            ),
        ]

    def __str__(self):
        return f"{self.insurer.short_name}: jednostka {self.unit_number} ({self.get_status_display()})"


class PriceListSubmission(models.Model):
    """A signed document of the clinic's payers' price lists (SBX-6, manual §11.3), accepted after its qualified
    signature was verified (osoz_sandbox.signatures). Kept whole — the signed XML is the evidence — with who signed it
    and when; the newest one of a clinic is its price lists in force. One row per document Id: a repeat of the same
    document is answered from it."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="price_lists")
    document_id = models.CharField("Identyfikator dokumentu", max_length=100)
    signed_xml = models.BinaryField()
    signer = models.CharField("Podpisujący", max_length=500)
    signer_serial_number = models.CharField("Numer seryjny podpisującego", max_length=64, blank=True)
    created_at = models.DateTimeField("Utworzono")
    signed_at = models.DateTimeField("Podpisano")
    received_at = models.DateTimeField("Przyjęto")
    payers_count = models.PositiveIntegerField()
    services_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "cennik płatników"
        verbose_name_plural = "cenniki płatników"
        constraints = [
            models.UniqueConstraint(fields=["entity", "document_id"], name="osoz_sandbox_price_list_document_unique"),
        ]

    def __str__(self):
        return f"{self.entity} – {self.document_id}"


class PriceListEntry(models.Model):
    """One service of one payer's list in a submission: what the insurer's side shows of it."""

    submission = models.ForeignKey(PriceListSubmission, on_delete=models.CASCADE, related_name="entries")
    payer_osoz_id = models.CharField("Identyfikator płatnika", max_length=64, db_index=True)
    payer_name = models.CharField("Płatnik", max_length=200)
    group_id = models.CharField("Id grupy", max_length=20, blank=True)
    group_name = models.CharField("Grupa", max_length=200)
    service_id = models.CharField("Id usługi", max_length=20)
    base_service_id = models.CharField("Id usługi bazowej", max_length=20)
    name = models.CharField("Nazwa usługi", max_length=300)
    price = models.DecimalField("Cena brutto", max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["payer_name", "group_name", "name", "id"]

    def __str__(self):
        return self.name


# --- Insurer bookings and referrals (manual §12, contract 1.4.0) ----------------------------------------------------


class PayerOrder(models.Model):
    """What an insurer's call centre ordered with its booking (manual §12.1): one service of its price list in force,
    at the price the clinic signed, and the share of it the insurer covers („zniżka”)."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="payer_order")
    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="orders")
    service_id = models.CharField("Id usługi", max_length=20)
    service_name = models.CharField("Usługa", max_length=300)
    price = models.DecimalField("Cena brutto", max_digits=10, decimal_places=2)
    discount_percent = models.PositiveSmallIntegerField("Zniżka (%)")
    insurer_note = models.TextField("Uwagi ubezpieczyciela", blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discount_percent__lte=100), name="osoz_sandbox_payer_order_discount"
            ),
        ]

    def __str__(self):
        return f"{self.insurer.short_name}: {self.service_name}"

    @property
    def price_text(self) -> str:
        """The price as the visit's note shows it (manual §12.1, "100.0zł"): at least one decimal, no trailing
        zeros, the way Mediporta prints a price."""
        text = f"{self.price.normalize():f}"
        return text if "." in text else f"{text}.0"

    @property
    def note(self) -> str:
        """The note of the visit (manual §12.1): "Konsultacja lekarza dermatologa: 100.0zł - zniżka: 50%;", then the
        insurer's own words, if any."""
        note = f"{self.service_name}: {self.price_text}zł - zniżka: {self.discount_percent}%;"
        return f"{note} {self.insurer_note}" if self.insurer_note else note


class ReferralDirection(models.TextChoices):
    """As the clinic sees it (manual §12.2)."""

    RECEIVED = "received", "Skierowanie otrzymane"
    SENT = "sent", "Skierowanie wysyłane"


class Referral(models.Model):
    """A referral between an insurer and the clinic about an insurer booking (manual §12.2): received ones the
    insurer issues with its booking, the one sent the clinic issues for the visit (PUT /api/v1/referrals/{id})."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="referrals")
    referral_id = models.UUIDField(unique=True)
    direction = models.CharField(max_length=10, choices=ReferralDirection.choices)
    issued_on = models.DateField("Data wystawienia")
    valid_until = models.DateField("Data ważności")
    # Empty when the referral names no service (the contract's null).
    service_id = models.CharField("Id usługi", max_length=20, blank=True)
    service_name = models.CharField("Usługa", max_length=300, blank=True)
    note = models.TextField("Uwagi", blank=True)
    issued_by = models.CharField("Wystawił", max_length=200)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # "W widoku wizyty można dodać tylko jedno skierowanie wysyłane" (§12.2.1).
            models.UniqueConstraint(
                fields=["booking"], condition=models.Q(direction="sent"), name="osoz_sandbox_referral_one_sent"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("issued_on")), name="osoz_sandbox_referral_validity"
            ),
        ]

    def __str__(self):
        return f"{self.get_direction_display()} {self.referral_id}"


# --- Televisits (manual §14.1, §14.2, contract 1.5.0) --------------------------------------------------------------


class TelevisitTerms(models.Model):
    """„Zarejestruj dane placówki” (manual §14.1 step 3): the data of the entity running the clinic, from which the
    platform generates the televisit terms each patient accepts before booking a televisit."""

    entity = models.OneToOneField(Entity, on_delete=models.CASCADE, related_name="televisit_terms")
    operator_name = models.CharField("Nazwa podmiotu prowadzącego placówkę", max_length=200)
    address = models.CharField("Adres siedziby podmiotu", max_length=300)
    nip = models.CharField("NIP", max_length=10)
    regon = models.CharField("REGON", max_length=14)
    register_number = models.CharField(
        "Numer księgi rejestrowej w rejestrze podmiotów wykonujących działalność leczniczą", max_length=40
    )
    email = models.EmailField("Adres e-mail do kontaktu z pacjentami")
    phone = models.CharField("Telefon do kontaktu z pacjentami", max_length=40)
    authorised_person = models.CharField("Imię i nazwisko osoby wypełniającej formularz", max_length=200)
    registered_at = models.DateTimeField("Zarejestrowano")

    class Meta:
        verbose_name = "regulamin telewizyty"
        verbose_name_plural = "regulaminy telewizyty"

    def __str__(self):
        return f"Regulamin telewizyty – {self.operator_name}"


class TelevisitAccess(models.Model):
    """Access to the televisit service granted to the clinic's system for the Provider Service password (manual
    §14.2, POST /api/v1/televisit/access). Only the token's hash is kept; a new grant revokes the earlier ones."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="televisit_accesses")
    token_hash = models.CharField(max_length=64, unique=True)
    granted_to = models.CharField("Konto Serwisu Świadczeniodawcy", max_length=150)
    granted_at = models.DateTimeField("Przydzielono")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at", "-pk"]

    def __str__(self):
        return f"Dostęp do telewizyty dla {self.entity} ({self.granted_at:%Y-%m-%d %H:%M})"
