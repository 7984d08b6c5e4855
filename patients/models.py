"""Patient records (kartoteka pacjenta) and their OSOZ cards, SPEC PAT-1 and PAT-2."""

import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.text import polish_sort_key
from core.time import datetime_pl
from core.validators import validate_text
from patients import pesel

OSOZ_CARD_LENGTH = 18


def search_fold(text: str) -> str:
    """Lower case without Polish diacritics, so "wisniewska" finds "Wiśniewska" on SQLite as on PostgreSQL
    (SQLite's LIKE and LOWER fold ASCII letters only)."""
    text = text.casefold().replace("ł", "l")
    return "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))


def phone_normalise(value: str) -> str:
    """Digits only; Polish numbers without +48, foreign ones with their + and country code."""
    compact = re.sub(r"[\s()./-]", "", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not re.fullmatch(r"\+?\d{7,15}", compact):
        raise ValidationError(
            _("Wpisz numer telefonu cyframi, np. 601 234 567 lub +48 601 234 567."), code="phone_format"
        )
    if compact.startswith("+48") and len(compact) == 12:
        compact = compact[3:]
    return compact


def osoz_card_number_normalise(value: str) -> str:
    """Card numbers are typed or scanned with spaces between groups; they are kept without them, upper-case."""
    return "".join(value.split()).upper()


def validate_osoz_card_number(value: str) -> None:
    if len(value) != OSOZ_CARD_LENGTH:
        raise ValidationError(
            _("Numer karty OSOZ ma 18 znaków (nie licząc spacji), a wpisano %(count)s."),
            code="osoz_card_length",
            params={"count": len(value)},
        )
    if not (value.isascii() and value.isalnum()):
        raise ValidationError(_("Numer karty OSOZ składa się z cyfr i liter."), code="osoz_card_characters")


class Sex(models.TextChoices):
    FEMALE = pesel.FEMALE, _("Kobieta")
    MALE = pesel.MALE, _("Mężczyzna")


class DocumentType(models.TextChoices):
    ID_CARD = "id_card", _("Dowód osobisty")
    PASSPORT = "passport", _("Paszport")
    OTHER = "other", _("Inny dokument")


class Patient(models.Model):
    first_name = models.CharField(_("Imię"), max_length=100, validators=[validate_text])
    last_name = models.CharField(_("Nazwisko"), max_length=100, validators=[validate_text])
    # Empty for people without a PESEL, who are identified by a document instead.
    pesel = models.CharField(_("PESEL"), max_length=11, blank=True, db_index=True)
    document_type = models.CharField(
        _("Rodzaj dokumentu tożsamości"), max_length=20, choices=DocumentType.choices, blank=True
    )
    document_number = models.CharField(
        _("Numer dokumentu tożsamości"), max_length=30, blank=True, validators=[validate_text]
    )
    # blank: clean() reads both from the PESEL when they are left empty, and requires them otherwise.
    birth_date = models.DateField(_("Data urodzenia"), blank=True)
    sex = models.CharField(_("Płeć"), max_length=1, choices=Sex.choices, blank=True)
    email = models.EmailField(_("E-mail"), blank=True)
    phone = models.CharField(_("Telefon"), max_length=20, blank=True, db_index=True)
    street = models.CharField(_("Ulica i numer"), max_length=150, blank=True, validators=[validate_text])
    postal_code = models.CharField(
        _("Kod pocztowy"),
        max_length=6,
        blank=True,
        validators=[RegexValidator(r"^\d{2}-\d{3}\Z", _("Kod pocztowy ma postać NN-NNN, np. 31-042."))],
    )
    city = models.CharField(_("Miejscowość"), max_length=100, blank=True, validators=[validate_text])
    # Search keys of search_fold(); the surname one serves Pacjenci > Lista and "Znajdź pacjenta".
    last_name_folded = models.CharField(max_length=100, editable=False, db_index=True)
    first_name_folded = models.CharField(max_length=100, editable=False)
    # Polish alphabetical order of surname and first name (core.text), the order of Pacjenci > Lista.
    sort_name = models.CharField(max_length=410, editable=False, db_index=True, default="")
    created_at = models.DateTimeField(_("Dodano"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("pacjent")
        verbose_name_plural = _("pacjenci")
        default_permissions = ("view", "add", "change")
        # Reception and administrators read every record; a doctor those of his own patients (selectors).
        permissions = [("view_all_patients", _("Widzi kartoteki wszystkich pacjentów"))]
        constraints = [
            models.UniqueConstraint(
                fields=["pesel"],
                condition=~Q(pesel=""),
                name="patients_patient_pesel_unique",
                violation_error_message=_("W kartotece jest już pacjent o tym numerze PESEL."),
            ),
            models.CheckConstraint(
                condition=~Q(pesel="") | (~Q(document_type="") & ~Q(document_number="")),
                name="patients_patient_pesel_or_document",
                violation_error_message=_("Pacjent bez numeru PESEL musi mieć dokument tożsamości."),
            ),
            models.CheckConstraint(condition=Q(sex__in=Sex.values), name="patients_patient_sex_known"),
        ]

    def __str__(self):
        # Audit entries name the patient with this: never the PESEL or other identifiers.
        return f"{self.last_name} {self.first_name}"

    @property
    def phone_display(self) -> str:
        if len(self.phone) == 9 and self.phone.isdigit():
            return f"{self.phone[:3]} {self.phone[3:6]} {self.phone[6:]}"
        return self.phone

    def clean(self):
        self.first_name = self.first_name.strip()
        self.last_name = self.last_name.strip()
        self.first_name_folded = search_fold(self.first_name)
        self.last_name_folded = search_fold(self.last_name)
        self.sort_name = polish_sort_key(self.last_name, self.first_name)
        self.document_number = self.document_number.strip().upper()
        errors: dict[str, ValidationError] = {}
        if self.phone:
            try:
                self.phone = phone_normalise(self.phone)
            except ValidationError as error:
                errors["phone"] = error
        if self.pesel:
            self._clean_against_pesel(errors)
        else:
            self._clean_without_pesel(errors)
        if self.birth_date and self.birth_date > timezone.localdate():
            errors.setdefault(
                "birth_date", ValidationError(_("Data urodzenia nie może być późniejsza niż dzisiejsza."))
            )
        if self.document_number and not self.document_type:
            errors["document_type"] = ValidationError(_("Wybierz rodzaj dokumentu o podanym numerze."))
        if errors:
            raise ValidationError(errors)

    def _clean_against_pesel(self, errors):
        try:
            encoded_birth_date, encoded_sex = pesel.pesel_decode(self.pesel)
        except ValidationError as error:
            errors["pesel"] = error
            if self.birth_date is None:
                errors["birth_date"] = ValidationError(_("Podaj datę urodzenia."))
            if not self.sex:
                errors["sex"] = ValidationError(_("Wybierz płeć."))
            return
        if self.birth_date is None:
            self.birth_date = encoded_birth_date
        elif self.birth_date != encoded_birth_date:
            errors["birth_date"] = ValidationError(
                _("Data urodzenia nie zgadza się z numerem PESEL, z którego wynika %(date)s."),
                code="pesel_birth_date",
                params={"date": date_format(encoded_birth_date, "d.m.Y")},
            )
        if not self.sex:
            self.sex = encoded_sex
        elif self.sex != encoded_sex:
            errors["sex"] = ValidationError(
                _("Płeć nie zgadza się z numerem PESEL, z którego wynika: %(sex)s."),
                code="pesel_sex",
                params={"sex": Sex(encoded_sex).label.lower()},
            )

    def _clean_without_pesel(self, errors):
        if not self.document_type:
            errors["document_type"] = ValidationError(
                _("Podaj rodzaj dokumentu tożsamości pacjenta, który nie ma numeru PESEL."), code="document"
            )
        if not self.document_number:
            errors["document_number"] = ValidationError(
                _("Podaj numer dokumentu tożsamości pacjenta, który nie ma numeru PESEL."), code="document"
            )
        if self.birth_date is None:
            errors["birth_date"] = ValidationError(_("Podaj datę urodzenia pacjenta bez numeru PESEL."))
        if not self.sex:
            errors["sex"] = ValidationError(_("Wybierz płeć pacjenta bez numeru PESEL."))


class OsozCardStatus(models.TextChoices):
    ACTIVE = "active", _("Aktywna")
    INACTIVE = "inactive", _("Nieaktywna")


class OsozCardSource(models.TextChoices):
    MANUAL = "manual", _("ręcznie")
    ONLINE = "online", _("z rejestracją online")


class OsozCard(models.Model):
    """An OSOZ card (Karta Zdrowia Pacjenta) in a patient's record. Never the patient's identifier (PAT-3)."""

    patient = models.ForeignKey(Patient, verbose_name=_("pacjent"), on_delete=models.CASCADE, related_name="osoz_cards")
    number = models.CharField(
        _("Numer karty OSOZ"), max_length=OSOZ_CARD_LENGTH, validators=[validate_osoz_card_number]
    )
    status = models.CharField(
        _("Status"), max_length=10, choices=OsozCardStatus.choices, default=OsozCardStatus.INACTIVE
    )
    source = models.CharField(_("Sposób dodania"), max_length=10, choices=OsozCardSource.choices)
    added_at = models.DateTimeField(_("Dodano"), default=timezone.now)
    # Empty for cards that arrived with an online booking.
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dodał(a)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("karta OSOZ")
        verbose_name_plural = _("karty OSOZ")
        default_permissions = ("view", "add", "change")
        indexes = [
            # The card search of the booking window (CAL-2) looks up Aktywna cards only.
            models.Index(
                fields=["number"], condition=Q(status=OsozCardStatus.ACTIVE), name="patients_card_active_number"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status=OsozCardStatus.ACTIVE),
                name="patients_osozcard_one_active",
                violation_error_message=_("Tylko jedna karta OSOZ pacjenta może mieć status Aktywna."),
            ),
            models.UniqueConstraint(
                fields=["patient", "number"],
                name="patients_osozcard_number_unique",
                violation_error_message=_("Ta karta OSOZ jest już w kartotece pacjenta."),
            ),
            models.CheckConstraint(
                condition=Exact(Length("number"), OSOZ_CARD_LENGTH), name="patients_osozcard_number_length"
            ),
            models.CheckConstraint(
                condition=Q(status__in=OsozCardStatus.values), name="patients_osozcard_status_known"
            ),
        ]

    def __str__(self):
        return self.number


class EmergencyAccess(models.Model):
    """A doctor's "break the glass": he opened the record of someone who is not his patient, giving a reason (kept
    in the audit entry written with it), and the record stays open to him until `expires_at`."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="emergency_accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("dostęp w trybie awaryjnym")
        verbose_name_plural = _("dostępy w trybie awaryjnym")
        default_permissions = ()
        indexes = [models.Index(fields=["user", "expires_at"], name="patients_emergency_user_expiry")]

    def __str__(self):
        return f"{self.user} – {self.patient}, {datetime_pl(self.granted_at)}"
