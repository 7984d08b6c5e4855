"""Usługi prywatne (SPEC PAY-1…PAY-5, manual §9, §11.1, §11.2): the general price list (Cennik ogólny) in groups, the
payers — typed in by hand or imported from OSOZ — and each payer's price list, made of copies of general-list
services ("Nadpisz") that follow their base service whenever it changes (payers.services)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
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
