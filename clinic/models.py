"""Clinic structure (SPEC STR-1…STR-5): the clinic, its locations and cells, employees and the OSOZ dictionary of
specialisations, with the settings that decide what is visible in OSOZ."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedSecretField
from core.text import polish_sort_key
from core.validators import validate_multiline_text, validate_text

postcode_validator = RegexValidator(
    r"^\d{2}-\d{3}\Z", _("Podaj kod pocztowy w formacie NN-NNN, np. 61-806."), code="postcode"
)
phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 ()-]{5,18}[0-9]\Z", _("Podaj numer telefonu, np. 61 852 40 10."), code="phone"
)
osoz_identifier_validator = RegexValidator(
    # The contract's format (osoz_contract/openapi.yaml): a number as OSOZ issues it.
    r"^[0-9]{6,20}\Z",
    _("Identyfikator OSOZ to numer z 6–20 cyfr, np. 100245871."),
    code="osoz_id",
)

REQUIRED_FOR_OSOZ = _("To pole jest wymagane, gdy zaznaczono „Rejestracja on-line w systemie OSOZ”.")


class Clinic(models.Model):
    """The clinic as one entity (podmiot) in OSOZ: a single row, made on first use."""

    SINGLETON_ID = 1

    osoz_entity_id = models.CharField(
        _("Identyfikator podmiotu"), max_length=32, blank=True, validators=[osoz_identifier_validator]
    )

    class Meta:
        verbose_name = _("placówka")
        verbose_name_plural = _("placówki")
        default_permissions = ()
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="clinic_clinic_singleton")]

    def __str__(self):
        return self.osoz_entity_id or str(_("placówka"))


class Address(models.Model):
    """The address parts OSOZ publishes; a cell's address can be copied into its location's ("Adres z komórki")."""

    street = models.CharField(_("Ulica i numer"), max_length=200, blank=True, validators=[validate_text])
    city = models.CharField(_("Miejscowość"), max_length=100, blank=True, validators=[validate_text])
    postcode = models.CharField(_("Kod pocztowy"), max_length=6, blank=True, validators=[postcode_validator])
    phone = models.CharField(_("Telefon"), max_length=30, blank=True, validators=[phone_validator])
    commune = models.CharField(_("Gmina"), max_length=100, blank=True, validators=[validate_text])

    ADDRESS_FIELDS = ("street", "city", "postcode", "phone", "commune")

    class Meta:
        abstract = True

    @property
    def address_line(self) -> str:
        return ", ".join(part for part in (self.street, f"{self.postcode} {self.city}".strip()) if part)


class Location(Address):
    name = models.CharField(_("Nazwa lokalizacji"), max_length=200, unique=True, validators=[validate_text])
    # Assigned once at creation and never changed: the main location is 1 and its address is the clinic's.
    osoz_unit_number = models.PositiveSmallIntegerField(
        _("Numer jednostki w systemie OSOZ"), unique=True, editable=False
    )
    # NULL rather than "" when empty, so that the unique constraint applies only to locations that have one.
    osoz_location_id = models.CharField(
        _("Identyfikator lokalizacji w systemie OSOZ"),
        max_length=32,
        unique=True,
        null=True,
        blank=True,
        validators=[osoz_identifier_validator],
        error_messages={
            "unique": _(
                "Ten identyfikator lokalizacji w systemie OSOZ ma już inna lokalizacja. "
                "Każda lokalizacja musi mieć własny identyfikator."
            )
        },
    )
    osoz_enabled = models.BooleanField(_("Rejestracja on-line w systemie OSOZ"), default=False)
    osoz_unit_name = models.CharField(
        _("Nazwa jednostki organizacyjnej"), max_length=200, blank=True, validators=[validate_text]
    )
    public_key_pem = models.TextField(_("Klucz publiczny"), blank=True, editable=False)
    # Fernet token of the PKCS#8 private key (core.crypto.secret_encrypt); it never leaves the server.
    private_key_encrypted = EncryptedSecretField()
    updated_at = models.DateTimeField(_("zmieniono"), auto_now=True)

    class Meta:
        verbose_name = _("lokalizacja")
        verbose_name_plural = _("lokalizacje")
        ordering = ["osoz_unit_number"]
        default_permissions = ("view", "add", "change")

    def __str__(self):
        return self.name

    @property
    def is_main(self) -> bool:
        return self.osoz_unit_number == 1

    def clean(self):
        if self.osoz_enabled:
            required = ("osoz_location_id", "osoz_unit_name", "street", "city", "postcode")
            missing = {name: REQUIRED_FOR_OSOZ for name in required if not getattr(self, name)}
            if missing:
                raise ValidationError(missing)


class Cell(Address):
    """A komórka: an organisational unit (poradnia, gabinet) of one location, where employees work."""

    location = models.ForeignKey(
        Location, verbose_name=_("Lokalizacja"), on_delete=models.PROTECT, related_name="cells"
    )
    name = models.CharField(_("Nazwa komórki"), max_length=200, validators=[validate_text])

    class Meta:
        verbose_name = _("komórka")
        verbose_name_plural = _("komórki")
        ordering = ["location__osoz_unit_number", "name"]
        default_permissions = ("view", "add", "change")
        constraints = [
            models.UniqueConstraint(
                fields=["location", "name"],
                name="clinic_cell_unique_name_per_location",
                violation_error_message=_("Ta lokalizacja ma już komórkę o tej nazwie."),
            )
        ]

    def __str__(self):
        return self.name

    @property
    def missing_address_labels(self) -> list[str]:
        return [str(self._meta.get_field(name).verbose_name) for name in self.ADDRESS_FIELDS if not getattr(self, name)]


class Specialisation(models.Model):
    """An entry of the OSOZ specialisation dictionary, shipped with the product (migration 0002)."""

    code = models.CharField(_("Kod"), max_length=8, unique=True)
    name = models.CharField(_("Nazwa"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("specjalizacja (słownik OSOZ)")
        verbose_name_plural = _("specjalizacje (słownik OSOZ)")
        ordering = ["name"]
        default_permissions = ()

    def __str__(self):
        return self.name


class OsozAccess(models.TextChoices):
    """Who may book the employee online in OSOZ ("Dostęp rejestracji on-line tylko dla")."""

    PATIENT = "patient", _("Pacjent")
    INSURER = "insurer", _("Ubezpieczalnia, CallCenter")
    ALL = "all", _("Wszyscy")


class Employee(models.Model):
    title = models.CharField(
        _("Tytuł"), max_length=40, blank=True, help_text=_("np. lek., dr n. med."), validators=[validate_text]
    )
    first_name = models.CharField(_("Imię"), max_length=100, validators=[validate_text])
    last_name = models.CharField(_("Nazwisko"), max_length=100, validators=[validate_text])
    is_medical = models.BooleanField(_("Pracownik medyczny"), default=True)
    specialisations_text = models.CharField(
        _("Specjalizacje"),
        max_length=300,
        blank=True,
        help_text=_("Specjalizacje pracownika w systemie, np. specjalista chorób wewnętrznych."),
        validators=[validate_text],
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Konto w systemie"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="employee",
        error_messages={"unique": _("To konto jest już powiązane z innym pracownikiem.")},
    )
    cells = models.ManyToManyField(Cell, through="EmployeeCell", related_name="employees", verbose_name=_("Komórki"))
    osoz_enabled = models.BooleanField(_("Rejestracja online w systemie OSOZ"), default=False)
    osoz_access = models.CharField(
        _("Dostęp rejestracji on-line tylko dla"), max_length=10, choices=OsozAccess.choices, default=OsozAccess.PATIENT
    )
    osoz_description = models.TextField(
        _("Opis pracownika wyświetlany na stronach systemu OSOZ"), blank=True, validators=[validate_multiline_text]
    )
    osoz_callcenter_description = models.TextField(
        _("Opis dodatkowy (dla CallCenter)"), blank=True, validators=[validate_multiline_text]
    )
    osoz_specialisations = models.ManyToManyField(
        Specialisation, verbose_name=_("Specjalizacja"), related_name="employees", blank=True
    )
    updated_at = models.DateTimeField(_("zmieniono"), auto_now=True)
    # Polish alphabetical order of surname and first name (core.text), the order of every list of employees.
    sort_name = models.CharField(max_length=410, editable=False, db_index=True, default="")

    class Meta:
        verbose_name = _("pracownik")
        verbose_name_plural = _("pracownicy")
        ordering = ["sort_name", "id"]
        default_permissions = ("view", "add", "change")

    def __str__(self):
        return " ".join(part for part in (self.title, self.first_name, self.last_name) if part)

    def clean(self):
        self.sort_name = polish_sort_key(self.last_name, self.first_name)
        if self.osoz_enabled and not self.is_medical:
            raise ValidationError(
                {"osoz_enabled": _("W OSOZ może być widoczny tylko pracownik medyczny.")}, code="not_medical"
            )


class EmployeeCell(models.Model):
    """A cell an employee works in, and whether OSOZ shows him there ("Komórki przekazywane do OSOZ")."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="employee_cells")
    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="employee_cells")
    osoz_published = models.BooleanField(_("Komórki przekazywane do OSOZ"), default=False)

    class Meta:
        verbose_name = _("komórka pracownika")
        verbose_name_plural = _("komórki pracowników")
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["employee", "cell"], name="clinic_employeecell_unique")]

    def __str__(self):
        return f"{self.employee} – {self.cell}"
