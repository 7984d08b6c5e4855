"""The patient portal's own data (SPEC POR): patients' accounts, kept apart from staff users, their one-time codes,
and what the administrator offers in the portal (POR-7)."""

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PatientAccount(models.Model):
    """A patient's login to the portal. Never a staff user: the portal has its own sessions (portal.sessions). Linked
    to the clinic's patient record only through proof (portal.services.linking)."""

    email = models.EmailField(_("E-mail"), unique=True)
    password = models.CharField(max_length=128)
    patient = models.OneToOneField(
        "patients.Patient",
        verbose_name=_("Pacjent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="portal_account",
    )
    email_verified_at = models.DateTimeField(_("Potwierdzono e-mail"), null=True, blank=True)
    # What the patient typed at registration, kept until the account is linked to a record (or one is created).
    pesel = models.CharField(_("PESEL"), max_length=11, blank=True)
    first_name = models.CharField(_("Imię"), max_length=100, blank=True)
    last_name = models.CharField(_("Nazwisko"), max_length=100, blank=True)
    phone = models.CharField(_("Telefon"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("Utworzono"), default=timezone.now, editable=False)
    last_login_at = models.DateTimeField(_("Ostatnie logowanie"), null=True, blank=True)
    is_active = models.BooleanField(_("Aktywne"), default=True)
    # The Regulamin Portalu Pacjenta (PortalTerms) the patient accepted at registration: its version and when.
    terms_version = models.PositiveIntegerField(_("Zaakceptowana wersja regulaminu"), null=True, blank=True)
    terms_accepted_at = models.DateTimeField(_("Zaakceptowano regulamin"), null=True, blank=True)

    class Meta:
        verbose_name = _("konto pacjenta")
        verbose_name_plural = _("konta pacjentów")
        ordering = ["email"]

    def __str__(self):
        return self.email

    def set_password(self, raw_password: str) -> None:
        self.password = make_password(raw_password)

    def check_password(self, raw_password: str) -> bool:
        def upgrade(raw):
            self.set_password(raw)
            self.save(update_fields=["password"])

        return check_password(raw_password, self.password, upgrade)

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None


class CodePurpose(models.TextChoices):
    VERIFY_EMAIL = "verify_email", _("Potwierdzenie adresu e-mail")
    PASSWORD_RESET = "password_reset", _("Nowe hasło")
    LINK_EMAIL = "link_email", _("Kod wysłany na e-mail z karty pacjenta")
    LINK_PHONE = "link_phone", _("Kod wysłany SMS-em na telefon z karty pacjenta")
    ACTIVATION = "activation", _("Kod aktywacyjny z rejestracji")


class PortalCode(models.Model):
    """A one-time code or link token, kept only as a hash: e-mail verification, a password reset, a proof that links
    an account to a patient record. An activation code is printed by the reception for a patient (`patient`, no
    account yet); the others belong to an account."""

    purpose = models.CharField(max_length=16, choices=CodePurpose.choices)
    account = models.ForeignKey(PatientAccount, on_delete=models.CASCADE, null=True, blank=True, related_name="codes")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, null=True, blank=True, related_name="portal_codes"
    )
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_by_label = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = _("kod portalu pacjenta")
        verbose_name_plural = _("kody portalu pacjenta")
        indexes = [models.Index(fields=["code_hash"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(account__isnull=False) | Q(patient__isnull=False), name="portal_code_has_owner"
            )
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} ({self.pk})"


class PortalCell(models.Model):
    """What a poradnia offers in the portal (POR-7): whether patients book it there at all, commercially and under
    NFZ, and whether it offers videoconsultations. NFZ bookings ask the referral question (POR-3)."""

    cell = models.OneToOneField(
        "clinic.Cell", verbose_name=_("Poradnia"), on_delete=models.CASCADE, related_name="portal"
    )
    commercial = models.BooleanField(_("Wizyty komercyjne w portalu"), default=False)
    nfz = models.BooleanField(_("Wizyty w ramach NFZ w portalu"), default=False)
    videoconsultation = models.BooleanField(_("Videokonsultacje"), default=False)
    referral_required = models.BooleanField(
        _("Wymaga skierowania (NFZ)"),
        default=False,
        help_text=_("Pacjent NFZ bez skierowania i nie kontynuujący leczenia nie umówi się w portalu."),
    )

    class Meta:
        verbose_name = _("poradnia w portalu pacjenta")
        verbose_name_plural = _("poradnie w portalu pacjenta")
        ordering = ["cell"]

    def __str__(self):
        return str(self.cell)


class PortalDoctor(models.Model):
    """A doctor of a poradnia who offers videoconsultations in the portal (POR-7: "nie wszyscy lekarze")."""

    cell = models.ForeignKey("clinic.Cell", on_delete=models.CASCADE, related_name="portal_doctors")
    employee = models.ForeignKey("clinic.Employee", on_delete=models.CASCADE, related_name="portal_cells")
    videoconsultation = models.BooleanField(_("Videokonsultacje"), default=False)

    class Meta:
        verbose_name = _("lekarz w portalu pacjenta")
        verbose_name_plural = _("lekarze w portalu pacjenta")
        constraints = [models.UniqueConstraint(fields=["cell", "employee"], name="portal_doctor_unique")]

    def __str__(self):
        return f"{self.employee} – {self.cell}"


class PortalTerms(models.Model):
    """The Regulamin Portalu Pacjenta, as the administrator writes it (portal.terms): a single row, made with the
    product's draft on first use. Each change is a new version; an account records the version it accepted."""

    SINGLETON_ID = 1

    text = models.TextField(_("Treść regulaminu"))
    version = models.PositiveIntegerField(_("Wersja"), default=1)
    updated_at = models.DateTimeField(_("Zmieniono"), default=timezone.now)

    class Meta:
        verbose_name = _("regulamin Portalu Pacjenta")
        verbose_name_plural = _("regulaminy Portalu Pacjenta")
        default_permissions = ()

    def __str__(self):
        return f"{self._meta.verbose_name} ({self.version})"
