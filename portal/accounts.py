"""Patients' accounts in the portal, services and selectors: registration with a confirmed e-mail, the login and its
lockout (the staff's rules, counted with core.ratelimit), a new password by e-mail, and linking an account to the
clinic's record only through proof — a one-time code sent to the e-mail or phone in that record, or the activation
code the reception prints. Codes and link tokens are stored only as keyed hashes (PortalCode)."""

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.errors import ConflictError, DomainError
from core.middleware import client_address
from core.models import AuditCategory, AuditOutcome
from core.ratelimit import ratelimit_clear, ratelimit_hit, ratelimit_wait
from core.services import audit_record, audit_record_coalesced
from patients.models import Patient
from patients.services import patient_create
from portal import sms
from portal.models import CodePurpose, PatientAccount, PortalCode
from portal.terms import terms_get

# Who made what the portal makes on its own (a patient record for a new patient), as the audit names it.
PORTAL_ACTOR = "Portal pacjenta"

VERIFY_LINK_VALID = timedelta(hours=48)
RESET_LINK_VALID = timedelta(hours=1)
LINK_CODE_VALID = timedelta(minutes=15)
LINK_CODE_ATTEMPTS = 5
ACTIVATION_CODE_VALID = timedelta(days=30)
# Letters and digits nobody confuses when copying from paper: no 0/O, 1/I/L.
ACTIVATION_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
ACTIVATION_GROUPS = 3

# What one client can make the portal send (e-mails, text messages) or create, per window: enough for a patient who
# mistyped, too little to flood a mailbox, a phone or the accounts table.
SENDS_WINDOW_SECONDS = 3600
REGISTRATIONS_PER_ADDRESS = 10
LINKS_PER_ADDRESS = 5
CODES_PER_ACCOUNT = 5

LINK_PURPOSES = (CodePurpose.LINK_EMAIL, CodePurpose.LINK_PHONE)


class Throttled(DomainError):
    """Too many attempts: refused with 429 and how long to wait (Retry-After)."""

    status_code = 429
    code = "throttled"

    def __init__(self, message, *, wait: int):
        super().__init__(message)
        self.wait = wait


# --- Small helpers -------------------------------------------------------------------------------------------------


def account_label(account: PatientAccount) -> str:
    """The account as the audit names the one who acted."""
    return f"{account.email} ({PORTAL_ACTOR})"


def email_normalise(email: str) -> str:
    """One spelling per mailbox: the accounts' e-mails are unique as typed in lower case."""
    return email.strip().lower()


def email_masked(email: str) -> str:
    """E.g. "j***@e***.pl": enough for the owner to recognise his address, too little for anyone else."""
    local, _at, domain = email.partition("@")
    name, _dot, tld = domain.rpartition(".")
    return f"{local[:1]}***@{name[:1]}***.{tld}" if name else f"{local[:1]}***@***"


def phone_masked(phone: str) -> str:
    """E.g. "*** *** 789": the last three digits only."""
    return f"*** *** {phone[-3:]}"


def _hash(code: str) -> str:
    # Keyed with SECRET_KEY: a stolen table of six-digit codes' hashes cannot be reversed by trying the million codes.
    return salted_hmac("portal.PortalCode", code, algorithm="sha256").hexdigest()


def activation_code_normalise(code: str) -> str:
    """As printed, XXXX-XXXX-XXXX, whatever spaces, dashes or case were typed."""
    compact = re.sub(r"[\s-]", "", code).upper()
    return "-".join(compact[start : start + 4] for start in range(0, len(compact), 4))


def _send_mail(*, to: str, subject: str | Promise, template: str, context: dict) -> None:
    """Rendered now, in the request's language; sent once the transaction has committed."""
    message = EmailMessage(subject=str(subject), body=render_to_string(template, context), to=[to])
    transaction.on_commit(message.send)


def _sends_count(name: str, *, limit: int, message: str | Promise) -> None:
    """Count one more send of `name`; refuse (Throttled) once `limit` were made in the window."""
    wait = ratelimit_wait(name, limit=limit, seconds=SENDS_WINDOW_SECONDS)
    if wait:
        raise Throttled(message, wait=wait)
    ratelimit_hit(name, seconds=SENDS_WINDOW_SECONDS)


def _too_many_sends() -> Promise:
    return _("Zbyt wiele prób w krótkim czasie. Spróbuj ponownie później.")


def _code_issue(
    *,
    purpose: CodePurpose,
    code: str,
    valid: timedelta,
    account: PatientAccount | None = None,
    patient: Patient | None = None,
    created_by_label: str = "",
    replaces: tuple[CodePurpose, ...] | None = None,
) -> PortalCode:
    """A new code for its owner; the owner's unused codes of the same purposes stop working (only the newest does)."""
    owner = {"account": account} if account is not None else {"patient": patient}
    PortalCode.objects.filter(purpose__in=replaces or (purpose,), used_at__isnull=True, **owner).delete()
    now = timezone.now()
    return PortalCode.objects.create(
        purpose=purpose,
        account=account,
        patient=patient,
        code_hash=_hash(code),
        created_at=now,
        expires_at=now + valid,
        created_by_label=created_by_label,
    )


def _token_valid(*, token: str, purpose: CodePurpose):
    return PortalCode.objects.filter(
        code_hash=_hash(token), purpose=purpose, used_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("account")


def token_account(*, token: str, purpose: CodePurpose) -> PatientAccount | None:
    """The account a link token (e-mail confirmation, new password) still works for; None for an expired, used or
    unknown one."""
    code = _token_valid(token=token, purpose=purpose).filter(account__is_active=True).first()
    return code.account if code is not None else None


def _token_claim(*, token: str, purpose: CodePurpose) -> PatientAccount | None:
    """Use a link token up: of two concurrent uses one gets the account, the other None."""
    code = _token_valid(token=token, purpose=purpose).filter(account__is_active=True).first()
    if code is None or not PortalCode.objects.filter(pk=code.pk, used_at__isnull=True).update(used_at=timezone.now()):
        return None
    return code.account


# --- Registration and the e-mail's confirmation -------------------------------------------------------------------


@transaction.atomic
def account_register(
    *, email: str, password: str, pesel: str, first_name: str, last_name: str, phone: str, request: HttpRequest
) -> None:
    """A new account, and an e-mail with the link that confirms its address. An address that has an account already
    gets an e-mail saying so, with the way to a new password, and the caller learns nothing of which it was (the
    page says the same either way), so nobody finds out who has an account."""
    _sends_count(
        f"portal_register:{client_address(request)}", limit=REGISTRATIONS_PER_ADDRESS, message=_too_many_sends()
    )
    email = email_normalise(email)
    account = PatientAccount(
        email=email,
        pesel=pesel,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
        terms_version=terms_get().version,  # the form's "Akceptuję regulamin" is required
        terms_accepted_at=timezone.now(),
    )
    account.set_password(password)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:
        _send_mail(
            to=email,
            subject=_("Portal Pacjenta: konto już istnieje"),
            template="portal/email/account_exists.txt",
            context={"reset_url": request.build_absolute_uri(reverse("portal:password_reset"))},
        )
        return
    _verification_send(account=account, request=request)


def _verification_send(*, account: PatientAccount, request: HttpRequest) -> None:
    token = secrets.token_urlsafe(32)
    _code_issue(purpose=CodePurpose.VERIFY_EMAIL, code=token, valid=VERIFY_LINK_VALID, account=account)
    _send_mail(
        to=account.email,
        subject=_("Portal Pacjenta: potwierdź adres e-mail"),
        template="portal/email/verify.txt",
        context={
            "url": request.build_absolute_uri(reverse("portal:verify", kwargs={"token": token})),
            "hours": int(VERIFY_LINK_VALID.total_seconds() // 3600),
        },
    )


@transaction.atomic
def account_verification_resend(*, email: str, request: HttpRequest) -> None:
    """A new confirmation link for an account still waiting for one; for any other address nothing is sent, and the
    caller cannot tell."""
    _sends_count(f"portal_links:{client_address(request)}", limit=LINKS_PER_ADDRESS, message=_too_many_sends())
    account = PatientAccount.objects.filter(
        email=email_normalise(email), is_active=True, email_verified_at__isnull=True
    ).first()
    if account is not None:
        _verification_send(account=account, request=request)


@transaction.atomic
def account_verify(*, token: str) -> PatientAccount:
    """The link from the e-mail was followed: the address is confirmed. An expired, used or unknown link refuses."""
    account = _token_claim(token=token, purpose=CodePurpose.VERIFY_EMAIL)
    if account is None:
        raise DomainError(_link_invalid())
    if account.email_verified_at is None:
        account.email_verified_at = timezone.now()
        account.save(update_fields=["email_verified_at"])
    return account


def _link_invalid() -> Promise:
    return _("Ten link jest nieważny: wygasł, został już użyty albo nie został skopiowany w całości.")


# --- Login and lockout ----------------------------------------------------------------------------------------------


def _cooloff_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def _address_failures(request: HttpRequest) -> str:
    return f"portal_login_failures:{client_address(request)}"


def _account_failures(*, email: str, account: PatientAccount | None, request: HttpRequest) -> str:
    # The password hash's tail is part of the key, so a new password (a reset) starts the count afresh: it unlocks.
    tail = account.password[-16:] if account is not None else ""
    return f"portal_login_failures:{email}:{tail}:{client_address(request)}"


def _locked_message() -> Promise:
    return _(
        "Po serii nieudanych prób logowanie na to konto zostało czasowo zablokowane. Spróbuj ponownie później "
        "albo ustaw nowe hasło."
    )


def account_authenticate(*, email: str, password: str, request: HttpRequest) -> PatientAccount:
    """The account whose e-mail and password these are; the lockout as for the staff: LOGIN_FAILURE_LIMIT failures of
    one e-mail from one address within LOGIN_COOLOFF_MINUTES lock that pair, LOGIN_ADDRESS_FAILURE_LIMIT from one
    address, whatever the e-mails, lock the address (Throttled, 429). An unknown e-mail and a wrong password are
    refused alike; a success clears the account's count."""
    seconds = _cooloff_seconds()
    email = email_normalise(email)
    wait = ratelimit_wait(_address_failures(request), limit=settings.LOGIN_ADDRESS_FAILURE_LIMIT, seconds=seconds)
    if wait:
        audit_record_coalesced(
            category=AuditCategory.SECURITY,
            action="portal_login_throttled",
            message=_("Logowanie do Portalu Pacjenta z tego adresu wstrzymane po serii nieudanych prób."),
            actor_label=email or "?",
            outcome=AuditOutcome.FAILURE,
            request=request,
        )
        raise Throttled(_locked_message(), wait=wait)
    account = PatientAccount.objects.filter(email=email, is_active=True).first()
    failures = _account_failures(email=email, account=account, request=request)
    wait = ratelimit_wait(failures, limit=settings.AXES_FAILURE_LIMIT, seconds=seconds)
    if wait is None:
        if account is None:
            make_password(password)  # as long as checking a real one: the answer's timing tells nothing either
        elif account.check_password(password):
            ratelimit_clear(failures, seconds=seconds)
            audit_record(
                category=AuditCategory.SECURITY,
                action="portal_login",
                message=_("Zalogowano do Portalu Pacjenta."),
                actor_label=account_label(account),
                target=account.patient,
                request=request,
            )
            return account
        _index, count = ratelimit_hit(failures, seconds=seconds)
        if count >= settings.AXES_FAILURE_LIMIT:
            wait = ratelimit_wait(failures, limit=settings.AXES_FAILURE_LIMIT, seconds=seconds)
    # Attempts at a locked account count toward the address's limit too, which ends a flood of them.
    ratelimit_hit(_address_failures(request), seconds=seconds)
    if wait is None:
        _login_failure_record(
            account=account,
            email=email,
            message=_("Nieudane logowanie do Portalu Pacjenta: błędny e-mail lub hasło."),
            request=request,
        )
        raise DomainError(_("Nieprawidłowy e-mail lub hasło."))
    _login_failure_record(
        account=account,
        email=email,
        message=_("Logowanie do Portalu Pacjenta zablokowane po serii nieudanych prób."),
        request=request,
    )
    raise Throttled(_locked_message(), wait=wait)


def _login_failure_record(*, account: PatientAccount | None, email: str, message: Promise, request) -> None:
    """An e-mail no account has is anyone's to make up: those failures are recorded once per window and address."""
    record = audit_record if account is not None else audit_record_coalesced
    record(
        category=AuditCategory.SECURITY,
        action="portal_login_failed",
        message=message,
        actor_label=account_label(account) if account is not None else (email or "?"),
        target=account.patient if account is not None else None,
        outcome=AuditOutcome.FAILURE,
        request=request,
    )


# --- A new password ----------------------------------------------------------------------------------------------


@transaction.atomic
def password_reset_request(*, email: str, request: HttpRequest) -> None:
    """An e-mail with a link to set a new password, if an account has this address; the caller cannot tell."""
    _sends_count(f"portal_links:{client_address(request)}", limit=LINKS_PER_ADDRESS, message=_too_many_sends())
    account = PatientAccount.objects.filter(email=email_normalise(email), is_active=True).first()
    if account is None:
        return
    token = secrets.token_urlsafe(32)
    _code_issue(purpose=CodePurpose.PASSWORD_RESET, code=token, valid=RESET_LINK_VALID, account=account)
    _send_mail(
        to=account.email,
        subject=_("Portal Pacjenta: nowe hasło"),
        template="portal/email/password_reset.txt",
        context={
            "url": request.build_absolute_uri(reverse("portal:password_reset_confirm", kwargs={"token": token})),
            "minutes": int(RESET_LINK_VALID.total_seconds() // 60),
        },
    )


@transaction.atomic
def password_reset_complete(*, token: str, password: str, request: HttpRequest) -> PatientAccount:
    """Set the new password. The account's sessions end (portal.sessions compares the password hash) and its login
    lockout with them; the link came to the account's address, so that address is confirmed too."""
    account = _token_claim(token=token, purpose=CodePurpose.PASSWORD_RESET)
    if account is None:
        raise DomainError(_link_invalid())
    account.set_password(password)
    account.email_verified_at = account.email_verified_at or timezone.now()
    account.save(update_fields=["password", "email_verified_at"])
    audit_record(
        category=AuditCategory.SECURITY,
        action="portal_password_reset",
        message=_("Ustawiono nowe hasło konta w Portalu Pacjenta (link z e-maila)."),
        actor_label=account_label(account),
        target=account.patient,
        request=request,
    )
    return account


# --- Linking the account to the clinic's record -------------------------------------------------------------------


@dataclass(frozen=True)
class LinkChoice:
    """What the patient may prove his record with: the record found by his PESEL (None: there is none, one will be
    made for him), the masked e-mail and phone of that record (empty: the record has none), and whether another
    account holds it already."""

    record: Patient | None
    email: str
    phone: str
    taken: bool


def link_choice(*, account: PatientAccount) -> LinkChoice:
    record = Patient.objects.filter(pesel=account.pesel).first() if account.pesel else None
    if record is None:
        return LinkChoice(record=None, email="", phone="", taken=False)
    return LinkChoice(
        record=record,
        email=email_masked(record.email) if record.email else "",
        phone=phone_masked(record.phone) if record.phone and sms.sms_available() else "",
        taken=PatientAccount.objects.filter(patient=record).exclude(pk=account.pk).exists(),
    )


def _record_taken() -> Promise:
    return _(
        "Ta kartoteka jest już połączona z innym kontem w Portalu Pacjenta. Jeśli to nie Ty je zakładałeś, "
        "zgłoś to w rejestracji."
    )


def _link_audit(*, account: PatientAccount, record: Patient | None, action: str, message, request, failed=False):
    audit_record(
        category=AuditCategory.SECURITY,
        action=action,
        message=message,
        actor_label=account_label(account),
        target=record,
        outcome=AuditOutcome.FAILURE if failed else AuditOutcome.SUCCESS,
        request=request,
    )


def link_code_send(*, account: PatientAccount, channel: CodePurpose, request: HttpRequest) -> None:
    """A six-digit code, valid LINK_CODE_VALID, to the e-mail (LINK_EMAIL) or the phone (LINK_PHONE) in the record
    that has the account's PESEL. A new code replaces the one sent before."""
    choice = link_choice(account=account)
    if choice.record is None or choice.taken:
        raise DomainError(_record_taken() if choice.taken else _("W kartotece nie ma pacjenta o Twoim numerze PESEL."))
    by_email = channel == CodePurpose.LINK_EMAIL
    if channel not in LINK_PURPOSES or not (choice.email if by_email else choice.phone):
        raise DomainError(_("Wybierz, dokąd wysłać kod: na e-mail albo na telefon z Twojej karty pacjenta."))
    _sends_count(f"portal_link_codes:{account.pk}", limit=CODES_PER_ACCOUNT, message=_too_many_sends())
    code = f"{secrets.randbelow(10**6):06d}"
    minutes = int(LINK_CODE_VALID.total_seconds() // 60)
    with transaction.atomic():
        _code_issue(
            purpose=channel,
            code=code,
            valid=LINK_CODE_VALID,
            account=account,
            patient=choice.record,
            replaces=LINK_PURPOSES,
        )
        if by_email:
            _send_mail(
                to=choice.record.email,
                subject=_("Portal Pacjenta: kod potwierdzający"),
                template="portal/email/link_code.txt",
                context={"code": code, "minutes": minutes},
            )
            sent = _("Wysłano kod połączenia konta Portalu Pacjenta na adres e-mail z kartoteki pacjenta.")
        else:
            body = format_lazy(
                _("Portal Pacjenta: Twój kod to {code}. Ważny {minutes} min. Nie podawaj go nikomu."),
                code=code,
                minutes=minutes,
            )
            phone = choice.record.phone
            transaction.on_commit(lambda: sms.sms_send(to=phone, body=str(body)))
            sent = _("Wysłano kod połączenia konta Portalu Pacjenta SMS-em na telefon z kartoteki pacjenta.")
        _link_audit(
            account=account, record=choice.record, action="portal_link_code_sent", message=sent, request=request
        )


def link_code_confirm(*, account: PatientAccount, code: str, request: HttpRequest) -> Patient:
    """Link the account to the record the code was sent for. At most LINK_CODE_ATTEMPTS tries per code; after that,
    or once it has expired, only a new code will do."""
    now = timezone.now()
    pending = (
        PortalCode.objects.filter(account=account, purpose__in=LINK_PURPOSES, used_at__isnull=True)
        .select_related("patient")
        .order_by("-created_at")
        .first()
    )
    refused = None
    if pending is None or pending.expires_at <= now:
        refused = _("Kod wygasł albo nie został wysłany. Wyślij nowy kod.")
    elif pending.attempts >= LINK_CODE_ATTEMPTS:
        refused = _("Wykorzystano wszystkie próby wpisania tego kodu. Wyślij nowy kod.")
    elif not constant_time_compare(_hash(code), pending.code_hash):
        # Counted by a conditional update, so concurrent guesses cannot get past the limit.
        counted = PortalCode.objects.filter(pk=pending.pk, attempts__lt=LINK_CODE_ATTEMPTS).update(
            attempts=F("attempts") + 1
        )
        left = LINK_CODE_ATTEMPTS - pending.attempts - counted
        if left > 0:
            refused = format_lazy(_("Nieprawidłowy kod. Pozostało prób: {left}."), left=left)
        else:
            refused = _("Nieprawidłowy kod. Wykorzystano wszystkie próby: wyślij nowy kod.")
    if refused is not None:
        _link_audit(
            account=account,
            record=pending.patient if pending is not None else None,
            action="portal_link_failed",
            message=_("Nieudane połączenie konta Portalu Pacjenta z kartoteką: błędny lub nieważny kod."),
            request=request,
            failed=True,
        )
        raise DomainError(refused)
    with transaction.atomic():
        if not PortalCode.objects.filter(pk=pending.pk, used_at__isnull=True).update(used_at=now):
            raise DomainError(_("Kod wygasł albo nie został wysłany. Wyślij nowy kod."))
        via = _("kod wysłany na e-mail") if pending.purpose == CodePurpose.LINK_EMAIL else _("kod wysłany SMS-em")
        return _link(account=account, record=pending.patient, proof=via, request=request)


def link_activation_confirm(*, account: PatientAccount, code: str, request: HttpRequest) -> Patient:
    """Link the account by the activation code the reception printed for a record: only the record whose PESEL is
    the account's. Wrong codes count toward the login's lockout rules (LOGIN_FAILURE_LIMIT per cool-off)."""
    seconds = _cooloff_seconds()
    failures = f"portal_activation_failures:{account.pk}"
    wait = ratelimit_wait(failures, limit=settings.AXES_FAILURE_LIMIT, seconds=seconds)
    if wait:
        raise Throttled(_too_many_sends(), wait=wait)
    now = timezone.now()
    with transaction.atomic():
        found = (
            PortalCode.objects.filter(
                code_hash=_hash(activation_code_normalise(code)),
                purpose=CodePurpose.ACTIVATION,
                used_at__isnull=True,
                expires_at__gt=now,
            )
            .select_related("patient")
            .first()
        )
        # Used up by a conditional update: of two accounts racing with one code, one gets it.
        if (
            found is not None
            and account.pesel
            and found.patient.pesel == account.pesel
            and PortalCode.objects.filter(pk=found.pk, used_at__isnull=True).update(used_at=now)
        ):
            return _link(
                account=account, record=found.patient, proof=_("kod aktywacyjny z rejestracji"), request=request
            )
    ratelimit_hit(failures, seconds=seconds)
    _link_audit(
        account=account,
        record=link_choice(account=account).record,
        action="portal_link_failed",
        message=_("Nieudane połączenie konta Portalu Pacjenta z kartoteką: błędny lub nieważny kod aktywacyjny."),
        request=request,
        failed=True,
    )
    raise DomainError(
        _(
            "Nieprawidłowy lub nieważny kod aktywacyjny. Sprawdź, czy został przepisany bez błędów, albo poproś "
            "w rejestracji o nowy."
        )
    )


@transaction.atomic
def link_record_create(*, account: PatientAccount, request: HttpRequest) -> Patient:
    """No record has the account's PESEL: a new one, from what the patient gave at registration, linked to him."""
    if link_choice(account=account).record is not None:
        raise ConflictError(_("W kartotece jest już pacjent o Twoim numerze PESEL: potwierdź, że to Ty, kodem."))
    try:
        record = patient_create(
            first_name=account.first_name,
            last_name=account.last_name,
            pesel=account.pesel,
            email=account.email,
            phone=account.phone,
            actor_label=PORTAL_ACTOR,
            request=request,
        )
    except ValidationError as error:
        raise DomainError(" ".join(error.messages)) from None
    return _link(account=account, record=record, proof=_("nowa kartoteka z danych rejestracji"), request=request)


def _link(*, account: PatientAccount, record: Patient, proof: Promise, request: HttpRequest) -> Patient:
    """Called inside the caller's transaction, which a refusal rolls back (the code stays unused)."""
    try:
        with transaction.atomic():
            linked = PatientAccount.objects.filter(pk=account.pk, patient__isnull=True).update(patient=record)
    except IntegrityError:
        linked = 0
    if not linked:
        raise ConflictError(_record_taken())
    account.patient = record
    _link_audit(
        account=account,
        record=record,
        action="portal_linked",
        message=format_lazy(
            _("Połączono konto Portalu Pacjenta z kartoteką pacjenta (potwierdzenie: {proof})."), proof=proof
        ),
        request=request,
    )
    return record


# --- The reception's activation code --------------------------------------------------------------------------------


@transaction.atomic
def activation_code_issue(*, patient: Patient, user, request: HttpRequest) -> tuple[str, PortalCode]:
    """A printed activation code for the patient's record, valid ACTIVATION_CODE_VALID; it replaces the record's
    unused one. Returns the code — shown once, only its hash is kept — and its row."""
    if PatientAccount.objects.filter(patient=patient).exists():
        raise ConflictError(_("Kartoteka jest już połączona z kontem w Portalu Pacjenta."))
    if not patient.pesel:
        raise DomainError(
            _("Kod aktywacyjny działa tylko dla kartoteki z numerem PESEL: pacjent podaje go przy rejestracji.")
        )
    length = 4 * ACTIVATION_GROUPS
    code = activation_code_normalise("".join(secrets.choice(ACTIVATION_ALPHABET) for _i in range(length)))
    row = _code_issue(
        purpose=CodePurpose.ACTIVATION,
        code=code,
        valid=ACTIVATION_CODE_VALID,
        patient=patient,
        created_by_label=user.audit_label,
    )
    audit_record(
        category=AuditCategory.SECURITY,
        action="portal_activation_code",
        message=_("Wydrukowano kod aktywacyjny Portalu Pacjenta (poprzedni niewykorzystany przestał działać)."),
        actor=user,
        target=patient,
        request=request,
    )
    return code, row
