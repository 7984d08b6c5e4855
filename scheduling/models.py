"""Schedules, appointments, removed slots, the waiting queue and the booking settings (SPEC SCH, CAL, SET-1, SET-2)."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.time import WARSAW, datetime_pl
from core.validators import validate_multiline_text, validate_text

# The one limit of "Notatki związane z wizytą", whichever channel writes them (OSOZ's contract allows as much).
NOTES_MAX_LENGTH = 2000


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Poniedziałek")
    TUESDAY = 1, _("Wtorek")
    WEDNESDAY = 2, _("Środa")
    THURSDAY = 3, _("Czwartek")
    FRIDAY = 4, _("Piątek")
    SATURDAY = 5, _("Sobota")
    SUNDAY = 6, _("Niedziela")


class Schedule(models.Model):
    """A doctor's working pattern in one cell over a date range, with its OSOZ settings (SCH-1, SCH-2)."""

    employee = models.ForeignKey(
        "clinic.Employee", verbose_name=_("Pracownik"), on_delete=models.PROTECT, related_name="schedules"
    )
    cell = models.ForeignKey(
        "clinic.Cell", verbose_name=_("Komórka"), on_delete=models.PROTECT, related_name="schedules"
    )
    valid_from = models.DateField(_("Obowiązuje od"))
    valid_to = models.DateField(_("Obowiązuje do"), null=True, blank=True, help_text=_("Puste – bezterminowo."))
    is_nfz = models.BooleanField(_("NFZ"), default=False, help_text=_("Odznaczone – wizyty prywatne."))
    osoz_online = models.BooleanField(_("Rejestracja on-line (OSOZ)"), default=False)
    osoz_requirement = models.TextField(
        _("Opis wymagania"),
        blank=True,
        help_text=_("Warunek, który pacjent zaakceptuje przy umawianiu on-line, np. dostarczenie skierowania."),
        validators=[validate_multiline_text],
    )
    first_free_only = models.BooleanField(_("Wybieraj pierwszy wolny termin"), default=False)
    children_sick = models.BooleanField(_("Dzieci chore"), default=False)
    children_healthy = models.BooleanField(_("Dzieci zdrowe"), default=False)
    televisit_possible = models.BooleanField(_("Możliwa telewizyta"), default=False)
    televisit_only = models.BooleanField(_("Tylko telewizyta"), default=False)
    updated_at = models.DateTimeField(_("zmieniono"), auto_now=True)

    class Meta:
        verbose_name = _("harmonogram")
        verbose_name_plural = _("harmonogramy")
        ordering = ["employee", "valid_from", "id"]
        indexes = [models.Index(fields=["employee", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="scheduling_schedule_dates_ordered",
            ),
            models.CheckConstraint(
                condition=~(Q(televisit_possible=True) & Q(televisit_only=True)),
                name="scheduling_schedule_televisit_exclusive",
            ),
            models.CheckConstraint(
                condition=Q(osoz_online=True) | (Q(televisit_possible=False) & Q(televisit_only=False)),
                name="scheduling_schedule_televisit_needs_osoz",
            ),
        ]

    def __str__(self):
        until = f"{self.valid_to:%d.%m.%Y}" if self.valid_to else "…"
        return f"{self.employee} – {self.cell} ({self.valid_from:%d.%m.%Y}–{until})"

    @property
    def attribute_labels(self) -> list[str]:
        names = ("first_free_only", "children_sick", "children_healthy", "televisit_possible", "televisit_only")
        return [str(self._meta.get_field(name).verbose_name) for name in names if getattr(self, name)]


class ScheduleBlock(models.Model):
    """One weekday time range of a schedule's weekly layout, cut into visits of equal length."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="blocks")
    weekday = models.PositiveSmallIntegerField(_("Dzień tygodnia"), choices=Weekday.choices)
    start_time = models.TimeField(_("Od"))
    end_time = models.TimeField(_("Do"))
    visit_minutes = models.PositiveSmallIntegerField(_("Długość wizyty (min)"))

    class Meta:
        verbose_name = _("blok harmonogramu")
        verbose_name_plural = _("bloki harmonogramu")
        ordering = ["weekday", "start_time"]
        constraints = [
            # A block never crosses midnight: a night duty is two blocks on two weekdays.
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="scheduling_block_times_ordered"),
            models.CheckConstraint(
                condition=Q(visit_minutes__gte=5) & Q(visit_minutes__lte=480), name="scheduling_block_visit_length"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="scheduling_block_weekday"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M} ({self.visit_minutes} min)"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Umówiona")
    CONFIRMED = "confirmed", _("Potwierdzona – pacjent przybył")
    IN_VISIT = "in_visit", _("Wizyta otwarta")
    DONE = "done", _("Zakończona")
    CANCELLED = "cancelled", _("Odwołana")


# Statuses that hold the doctor's time; the no-overlap rule (migration 0002) applies to these.
OCCUPYING_STATUSES = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.IN_VISIT,
    AppointmentStatus.DONE,
)


class AppointmentSource(models.TextChoices):
    CALENDAR = "calendar", _("Kalendarz")
    OSOZ = "osoz", _("OSOZ")
    PAYER = "payer", _("Płatnik OSOZ")
    PORTAL = "portal", _("Portal Pacjenta")
    API = "api", _("API")


class AppointmentKind(models.TextChoices):
    VISIT = "visit", _("Wizyta")
    TELEVISIT = "televisit", _("Telewizyta")


class Appointment(models.Model):
    """An umówienie: one patient in one doctor's time (CAL-3, CAL-4)."""

    employee = models.ForeignKey(
        "clinic.Employee", verbose_name=_("Lekarz"), on_delete=models.PROTECT, related_name="appointments"
    )
    cell = models.ForeignKey(
        "clinic.Cell", verbose_name=_("Komórka"), on_delete=models.PROTECT, related_name="appointments"
    )
    schedule = models.ForeignKey(
        Schedule, verbose_name=_("Harmonogram"), on_delete=models.PROTECT, related_name="appointments"
    )
    patient = models.ForeignKey(
        "patients.Patient", verbose_name=_("Pacjent"), on_delete=models.PROTECT, related_name="appointments"
    )
    starts_at = models.DateTimeField(_("Początek"))
    ends_at = models.DateTimeField(_("Koniec"))
    status = models.CharField(
        _("Status"), max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    source = models.CharField(_("Źródło"), max_length=10, choices=AppointmentSource.choices)
    kind = models.CharField(_("Rodzaj"), max_length=10, choices=AppointmentKind.choices, default=AppointmentKind.VISIT)
    is_nfz = models.BooleanField(_("NFZ"))
    notes = models.TextField(
        _("Notatki związane z wizytą"),
        max_length=NOTES_MAX_LENGTH,
        blank=True,
        validators=[validate_multiline_text],
    )
    # "Kto i kiedy umówił": the staff member, or the channel ("OSOZ") when a patient booked online.
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    booked_by_label = models.CharField(_("Pracownik umawiający"), max_length=150)
    booked_at = models.DateTimeField(_("Umówiono"), auto_now_add=True)
    # "Kto i kiedy odwołał".
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_by_label = models.CharField(_("Pracownik odwołujący"), max_length=150, blank=True)
    cancelled_at = models.DateTimeField(_("Odwołano"), null=True, blank=True)
    cancel_reason = models.CharField(_("Powód odwołania"), max_length=300, blank=True, validators=[validate_text])
    cancel_source = models.CharField(
        _("Źródło odwołania"), max_length=10, choices=AppointmentSource.choices, blank=True
    )
    confirmed_at = models.DateTimeField(_("Potwierdzono przybycie"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("umówienie")
        verbose_name_plural = _("umówienia")
        ordering = ["starts_at", "id"]
        permissions = [
            # Reception and administrators see every doctor's calendar; a doctor only his own.
            ("view_all_calendars", _("Widzi kalendarze wszystkich lekarzy")),
            ("conduct_visit", _("Prowadzi wizyty")),
        ]
        indexes = [
            models.Index(fields=["employee", "starts_at"]),
            models.Index(fields=["starts_at"]),
            models.Index(fields=["cancelled_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="scheduling_appointment_times_ordered"
            ),
            models.CheckConstraint(
                condition=Q(status=AppointmentStatus.CANCELLED, cancelled_at__isnull=False)
                | (~Q(status=AppointmentStatus.CANCELLED) & Q(cancelled_at__isnull=True)),
                name="scheduling_appointment_cancel_consistent",
            ),
        ]

    def __str__(self):
        return f"{self.patient} – {self.employee}, {datetime_pl(self.starts_at)}"

    # What may be done with an appointment: the one statement of each rule, used by the services that do it, the
    # views and templates that offer it and the API alike.

    @property
    def is_cancelled(self) -> bool:
        return self.status == AppointmentStatus.CANCELLED

    def can_move(self) -> bool:
        """Przesuń: booked, the patient not yet arrived (the new time is judged by bookings_check)."""
        return self.status == AppointmentStatus.BOOKED

    def can_cancel(self) -> bool:
        return self.status in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)

    def can_confirm(self, now=None) -> bool:
        """Potwierdź przybycie: booked, and only on the day of the visit (Warsaw)."""
        today = timezone.localdate(now or timezone.now(), WARSAW)
        return self.status == AppointmentStatus.BOOKED and timezone.localdate(self.starts_at, WARSAW) == today

    def can_open_visit(self) -> bool:
        """Otwórz wizytę: once the patient has arrived; an open or finished visit is shown again."""
        return self.status in (AppointmentStatus.CONFIRMED, AppointmentStatus.IN_VISIT, AppointmentStatus.DONE)

    def can_write_visit(self) -> bool:
        """The visit's notes are written while it is open, and may be corrected after it ended."""
        return self.status in (AppointmentStatus.IN_VISIT, AppointmentStatus.DONE)

    def can_finish_visit(self) -> bool:
        return self.status == AppointmentStatus.IN_VISIT

    def can_call_televisit(self) -> bool:
        """Wykonaj telewizytę (TV-2): a televisit not cancelled nor finished, on its day or ahead of it (TV-3)."""
        return self.kind == AppointmentKind.TELEVISIT and self.status in (
            AppointmentStatus.BOOKED,
            AppointmentStatus.CONFIRMED,
            AppointmentStatus.IN_VISIT,
        )


class RemovedSlot(models.Model):
    """A free slot taken out of a schedule (CAL-5): neither the calendar nor OSOZ offers it until it is restored."""

    employee = models.ForeignKey("clinic.Employee", on_delete=models.PROTECT, related_name="removed_slots")
    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="removed_slots")
    starts_at = models.DateTimeField(_("Początek"))
    ends_at = models.DateTimeField(_("Koniec"))
    reason = models.CharField(_("Powód"), max_length=300, blank=True, validators=[validate_text])
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    removed_at = models.DateTimeField(_("Usunięto"), auto_now_add=True)

    class Meta:
        verbose_name = _("usunięty wolny termin")
        verbose_name_plural = _("usunięte wolne terminy")
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["employee", "starts_at"], name="scheduling_removedslot_unique"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="scheduling_removedslot_times_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.employee}, {datetime_pl(self.starts_at)}"


class WaitingCategory(models.TextChoices):
    STABLE = "stable", _("Przypadek stabilny")
    URGENT = "urgent", _("Przypadek pilny")


class WaitingListEntry(models.Model):
    """A patient in a cell's NFZ waiting queue (kolejka oczekujących), with the first free date assigned (SET-1)."""

    cell = models.ForeignKey("clinic.Cell", verbose_name=_("Komórka"), on_delete=models.PROTECT, related_name="queue")
    patient = models.ForeignKey(
        "patients.Patient", verbose_name=_("Pacjent"), on_delete=models.PROTECT, related_name="queue_entries"
    )
    category = models.CharField(_("Kategoria"), max_length=10, choices=WaitingCategory.choices)
    entered_at = models.DateTimeField(_("Data wpisu"), auto_now_add=True)
    first_free_date = models.DateTimeField(_("Pierwszy wolny termin"), null=True, blank=True)
    appointment = models.OneToOneField(
        Appointment,
        verbose_name=_("Umówienie"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="queue_entry",
    )
    added_by_label = models.CharField(_("Wpisał"), max_length=150)

    class Meta:
        verbose_name = _("wpis w kolejce oczekujących")
        verbose_name_plural = _("kolejka oczekujących")
        ordering = ["cell", "category", "entered_at"]

    def __str__(self):
        return f"{self.patient} – {self.cell} ({self.get_category_display()})"


class BookingSettings(models.Model):
    """Clinic-wide booking settings: Ustawienia > Ogólne (SET-1) and Ustawienia > Kalendarz (SET-2). One row."""

    SINGLETON_ID = 1

    nfz_first_time_online = models.BooleanField(
        _("Możliwość umawiania przez Internet wizyt w ramach NFZ dla pacjentów pierwszorazowych"), default=False
    )
    osoz_cards_enabled = models.BooleanField(_("Obsługa kart OSOZ"), default=False)
    televisit_recordings_attached = models.BooleanField(_("Dołączaj nagrania telewizyt do wizyty"), default=False)
    portal_cancel_hours = models.PositiveSmallIntegerField(
        _("Odwołanie w Portalu Pacjenta najpóźniej (godz. przed wizytą)"),
        default=24,
        validators=[MaxValueValidator(24 * 30)],
    )

    class Meta:
        verbose_name = _("ustawienia umawiania")
        verbose_name_plural = _("ustawienia umawiania")
        default_permissions = ("view", "change")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="scheduling_bookingsettings_singleton")]

    def __str__(self):
        return str(self._meta.verbose_name)


class SlotHold(models.Model):
    """A slot kept for one holder for a few minutes while he confirms it (the patient portal's "Potwierdź wizytę").
    While it lives (`expires_at` after now) the slot is taken for everybody but its holder: the calendar, the booking
    rules and the OSOZ publication all read it as busy. An expired hold counts nowhere even before the sweep
    (scheduling.tasks.slot_holds_expire) deletes it; booking by the holder consumes it."""

    employee = models.ForeignKey("clinic.Employee", on_delete=models.CASCADE, related_name="slot_holds")
    # The schedule whose slot it is, as an appointment's: the calendar of a poradnia draws only its own.
    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="slot_holds")
    starts_at = models.DateTimeField(_("Początek"))
    ends_at = models.DateTimeField(_("Koniec"))
    kind = models.CharField(_("Rodzaj"), max_length=10, choices=AppointmentKind.choices, default=AppointmentKind.VISIT)
    # Who holds it, e.g. "portal:<account id>": one live hold per holder.
    holder = models.CharField(max_length=64)
    expires_at = models.DateTimeField(_("Ważna do"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("rezerwacja terminu")
        verbose_name_plural = _("rezerwacje terminów")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["employee", "starts_at"]), models.Index(fields=["expires_at"])]
        constraints = [
            models.UniqueConstraint(fields=["holder"], name="scheduling_slothold_one_per_holder"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="scheduling_slothold_times_ordered"),
        ]

    def __str__(self):
        return f"{self.employee}, {datetime_pl(self.starts_at)} ({self.holder})"
