"""Usługi prywatne (SPEC PAY-1…PAY-5, manual §9, §11.1, §11.2): the general price list (Cennik ogólny) in groups, the
payers — typed in by hand or imported from OSOZ — and each payer's price list, made of copies of general-list
services ("Nadpisz") that follow their base service whenever it changes (payers.services)."""

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.pl import nip as stdnum_nip

from core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, validate_money
from core.validators import validate_text


def nip_normalise(value: str) -> str:
    """NIP is written with dashes or spaces ("526-025-02-74"); it is kept as its ten digits."""
    return stdnum_nip.compact(value)


def validate_nip(value: str) -> None:
    try:
        stdnum_nip.validate(value)
    except stdnum_errors.ValidationError as error:
        raise ValidationError(
            _("NIP to 10 cyfr z poprawną cyfrą kontrolną, np. 526-025-02-74."), code="nip_invalid"
        ) from error


def _price_field() -> models.DecimalField:
    return models.DecimalField(
        _("Cena brutto"),
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        validators=[validate_money],
    )


class ServiceGroup(models.Model):
    """A group of the general price list (grupa cennika): what payers' lists and schedule blocks (SCH-4) offer."""

    name = models.CharField(_("Nazwa grupy"), max_length=200, validators=[validate_text])
    position = models.PositiveIntegerField(
        _("Kolejność"), default=0, help_text=_("Grupy są wyświetlane od najmniejszej liczby.")
    )

    class Meta:
        verbose_name = _("grupa cennika")
        verbose_name_plural = _("grupy cennika")
        ordering = ["position", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                name="payers_servicegroup_name_unique",
                violation_error_message=_("Cennik ma już grupę o tej nazwie."),
            )
        ]

    def __str__(self):
        return self.name


class Service(models.Model):
    """A service of Cennik ogólny with its gross price (PAY-1), the base of every payer's copy of it."""

    group = models.ForeignKey(
        ServiceGroup, verbose_name=_("Grupa cennika"), on_delete=models.PROTECT, related_name="services"
    )
    name = models.CharField(_("Nazwa usługi"), max_length=300, validators=[validate_text])
    price = _price_field()
    active = models.BooleanField(_("Aktywna"), default=True)

    class Meta:
        verbose_name = _("usługa")
        verbose_name_plural = _("usługi")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "name"],
                name="payers_service_name_unique",
                violation_error_message=_("W tej grupie cennika jest już usługa o tej nazwie."),
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="payers_service_price_not_negative"),
        ]

    def __str__(self):
        return self.name


class Payer(models.Model):
    """Płatnik (PAY-2): typed in by hand, or imported from OSOZ (OSZ-9), where its osoz_id names it. A payer OSOZ no
    longer lists is deleted by the import, unless its price list or bookings still refer to it: then it is kept and
    marked with the moment it was found gone."""

    name = models.CharField(_("Nazwa płatnika"), max_length=200, validators=[validate_text])
    nip = models.CharField(_("NIP"), max_length=10, blank=True, validators=[validate_nip])
    osoz_id = models.CharField(_("Identyfikator płatnika w OSOZ"), max_length=64, blank=True, editable=False)
    imported_from_osoz = models.BooleanField(_("Import z OSOZ"), default=False, editable=False)
    removed_on_osoz_at = models.DateTimeField(_("Usunięty z OSOZ"), null=True, blank=True, editable=False)
    # The payer's price list changed (a copy added, undone, or following its base service) at list_changed_at and
    # was last sent to OSOZ at list_sent_at (PAY-6): the reminder of §11.2 until it is sent again.
    list_changed_at = models.DateTimeField(_("Cennik zmieniony"), null=True, blank=True, editable=False)
    list_sent_at = models.DateTimeField(_("Cennik wysłany do OSOZ"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("płatnik")
        verbose_name_plural = _("płatnicy")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["osoz_id"],
                condition=~Q(osoz_id=""),
                name="payers_payer_osoz_id_unique",
                violation_error_message=_("Jest już płatnik o tym identyfikatorze OSOZ."),
            ),
            models.CheckConstraint(
                condition=Q(imported_from_osoz=False) | ~Q(osoz_id=""), name="payers_payer_imported_has_osoz_id"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def list_changed_since_sent(self) -> bool:
        """The reminder „zmieniony od ostatniej wysyłki”: the list changed after it was last sent, or was never sent."""
        if self.list_changed_at is None:
            return False
        return self.list_sent_at is None or self.list_changed_at > self.list_sent_at

    @property
    def nip_display(self) -> str:
        """NIP as people write it: 526-025-02-74."""
        return stdnum_nip.format(self.nip) if self.nip else ""

    @property
    def is_editable(self) -> bool:
        """An imported payer's data are OSOZ's: the next import would overwrite a change made here."""
        return not self.imported_from_osoz

    @property
    def is_removable(self) -> bool:
        """By hand: a payer typed in, or an imported one OSOZ no longer lists."""
        return not self.imported_from_osoz or self.removed_on_osoz_at is not None


class PayerService(models.Model):
    """A general-list service overridden into a payer's price list ("usługa nadpisana", PAY-3). Its name, price and
    being active are copies of the base service's, kept equal to them by payers.services in the transaction that
    changes the base: they are what the payer's list says, sent to OSOZ and exported."""

    payer = models.ForeignKey(Payer, verbose_name=_("Płatnik"), on_delete=models.PROTECT, related_name="services")
    service = models.ForeignKey(
        Service, verbose_name=_("Usługa bazowa"), on_delete=models.PROTECT, related_name="overrides"
    )
    name = models.CharField(_("Nazwa usługi"), max_length=300)
    price = _price_field()
    active = models.BooleanField(_("Aktywna"), default=True)
    created_at = models.DateTimeField(_("Nadpisano"), auto_now_add=True)

    class Meta:
        verbose_name = _("usługa nadpisana")
        verbose_name_plural = _("usługi nadpisane")
        ordering = ["name", "id"]
        default_permissions = ("view", "add", "delete")
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "service"],
                name="payers_payerservice_unique",
                violation_error_message=_("Ta usługa jest już nadpisana do cennika płatnika."),
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="payers_payerservice_price_not_negative"),
        ]

    def __str__(self):
        return self.name


class ScheduleOffer(models.Model):
    """A private schedule's payer settings (SCH-4, manual §11.4): the OSOZ payers it is shared with (Płatnicy) and the
    price-list groups it offers them (Usługi). Published with the schedule; each payer is offered the chosen groups
    in which its price list holds an overridden service (PAY-4)."""

    schedule = models.OneToOneField(
        "scheduling.Schedule", verbose_name=_("Harmonogram"), on_delete=models.CASCADE, related_name="payer_offer"
    )
    payers = models.ManyToManyField(Payer, verbose_name=_("Płatnicy"), related_name="schedule_offers")
    groups = models.ManyToManyField(ServiceGroup, verbose_name=_("Usługi"), related_name="schedule_offers")

    class Meta:
        verbose_name = _("ustawienia płatników harmonogramu")
        verbose_name_plural = _("ustawienia płatników harmonogramów")

    def __str__(self):
        return str(self.schedule)


PERCENT_VALIDATORS = [MinValueValidator(0), MaxValueValidator(100)]


class PayerBooking(models.Model):
    """An appointment an OSOZ payer booked for its insured patient (PAY-7, manual §12.1): the payer whose icon,
    name and referrals the calendar and the visit show. The service it ordered is the visit's first private
    service."""

    appointment = models.OneToOneField(
        "scheduling.Appointment", verbose_name=_("Umówienie"), on_delete=models.CASCADE, related_name="payer_booking"
    )
    payer = models.ForeignKey(Payer, verbose_name=_("Płatnik"), on_delete=models.PROTECT, related_name="bookings")
    discount_percent = models.PositiveSmallIntegerField(_("Zniżka (%)"), validators=PERCENT_VALIDATORS)

    class Meta:
        verbose_name = _("umówienie płatnika")
        verbose_name_plural = _("umówienia płatników")

    def __str__(self):
        return f"{self.payer} – {self.appointment_id}"


class VisitService(models.Model):
    """A private service of a visit (Usługi prywatne, PAY-8, manual §12.2.2): ordered by an OSOZ payer with its
    booking, or added at the clinic. The payer covers `payer_share` percent of it (Udział), the patient the rest;
    name and price are what the service was when it was added, so a later price change does not alter a visit."""

    appointment = models.ForeignKey(
        "scheduling.Appointment",
        verbose_name=_("Umówienie"),
        on_delete=models.CASCADE,
        related_name="private_services",
    )
    service = models.ForeignKey(Service, verbose_name=_("Usługa"), on_delete=models.PROTECT, related_name="visit_uses")
    payer = models.ForeignKey(
        Payer,
        verbose_name=_("Płatnik"),
        on_delete=models.PROTECT,
        related_name="visit_services",
        null=True,
        blank=True,
    )
    name = models.CharField(_("Nazwa usługi"), max_length=300)
    price = _price_field()
    quantity = models.PositiveSmallIntegerField(
        _("Ilość"), default=1, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    payer_share = models.PositiveSmallIntegerField(_("Udział płatnika (%)"), default=0, validators=PERCENT_VALIDATORS)
    added_at = models.DateTimeField(_("Dodano"), auto_now_add=True)

    class Meta:
        verbose_name = _("usługa prywatna wizyty")
        verbose_name_plural = _("usługi prywatne wizyty")
        ordering = ["added_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(payer_share__lte=100), name="payers_visitservice_share_percent"),
            models.CheckConstraint(
                condition=Q(payer__isnull=False) | Q(payer_share=0), name="payers_visitservice_share_needs_payer"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="payers_visitservice_price_not_negative"),
        ]

    def __str__(self):
        return self.name

    # The one statement of who pays what (Udział): the payer its share of the total, rounded to the grosz, the
    # patient the rest, so that the two always add up to the total.

    @property
    def total(self) -> Decimal:
        return self.price * self.quantity

    @property
    def payer_amount(self) -> Decimal:
        return (self.total * self.payer_share / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def patient_amount(self) -> Decimal:
        return self.total - self.payer_amount

    @property
    def share_display(self) -> str:
        """Udział as §12.2.2 shows it: 100% of one side, or each side's percent."""
        if self.payer_share == 0:
            return _("100% pacjent")
        if self.payer_share == 100:
            return _("100% płatnik")
        return _("płatnik %(payer)s%%, pacjent %(patient)s%%") % {
            "payer": self.payer_share,
            "patient": 100 - self.payer_share,
        }


class SalesDocument(models.Model):
    """A printable sales document (dokument sprzedaży) of the patient's part of a visit's private services: numbered
    per year, its lines fixed when it is issued."""

    appointment = models.ForeignKey(
        "scheduling.Appointment", verbose_name=_("Umówienie"), on_delete=models.PROTECT, related_name="sales_documents"
    )
    year = models.PositiveSmallIntegerField(_("Rok"))
    sequence = models.PositiveIntegerField(_("Numer w roku"))
    issued_at = models.DateTimeField(_("Wystawiono"))
    issued_by_label = models.CharField(_("Wystawił"), max_length=150)
    lines = models.JSONField(_("Pozycje"))
    total = _price_field()

    class Meta:
        verbose_name = _("dokument sprzedaży")
        verbose_name_plural = _("dokumenty sprzedaży")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="payers_salesdocument_number_unique"),
        ]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"DS/{self.sequence}/{self.year}"


class ReferralDirection(models.TextChoices):
    RECEIVED = "received", _("Skierowanie otrzymane")
    SENT = "sent", _("Skierowanie wysyłane")


class Referral(models.Model):
    """Skierowania otrzymane i wysyłane (PAY-9, manual §12.2): received ones are read from OSOZ once an OSOZ payer's
    booking is applied; a visit has at most one sent one, with one service from the payer's list, which goes to OSOZ
    when it is saved (osoz_integration.referrals_out)."""

    appointment = models.ForeignKey(
        "scheduling.Appointment", verbose_name=_("Umówienie"), on_delete=models.CASCADE, related_name="referrals"
    )
    referral_id = models.UUIDField(_("Identyfikator skierowania"), unique=True)
    direction = models.CharField(_("Rodzaj"), max_length=8, choices=ReferralDirection.choices)
    payer = models.ForeignKey(Payer, verbose_name=_("Płatnik"), on_delete=models.PROTECT, related_name="referrals")
    issued_on = models.DateField(_("Data wystawienia"))
    valid_until = models.DateField(_("Data ważności"))
    payer_service = models.ForeignKey(
        PayerService,
        verbose_name=_("Usługa"),
        on_delete=models.SET_NULL,
        related_name="referrals",
        null=True,
        blank=True,
    )
    service_name = models.CharField(_("Usługa"), max_length=300, blank=True)
    note = models.TextField(_("Uwagi"), max_length=2000, blank=True)
    issued_by = models.CharField(_("Wystawił"), max_length=200)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("skierowanie")
        verbose_name_plural = _("skierowania")
        ordering = ["direction", "issued_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(direction="sent"),
                name="payers_referral_one_sent_per_visit",
                violation_error_message=_("Wizyta ma już skierowanie wysyłane."),
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("issued_on")), name="payers_referral_valid_after_issue"
            ),
        ]

    def __str__(self):
        return f"{self.get_direction_display()} {self.service_name}"
