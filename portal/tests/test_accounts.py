"""portal.accounts: registration, the e-mail's confirmation, the login's lockout, a new password, linking an account
to a record by a code (e-mail, SMS, the reception's activation code) or by a new record. Each refusal says why in
Polish and changes nothing it should not; tokens and codes are stored only as hashes, and never reach the audit."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import RequestFactory

from core.errors import DomainError
from core.models import AuditCategory, AuditEvent, AuditOutcome
from patients.models import Patient
from patients.tests.factories import PatientFactory
from portal import accounts, sms
from portal.models import CodePurpose, PatientAccount, PortalCode
from portal.tests.account_factories import PORTAL_PASSWORD, PatientAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """sent(service, **kwargs): call a service and deliver what it sends after commit."""

    def call(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return call


def request_from(address="192.0.2.10"):
    return RequestFactory().post("/portal/", REMOTE_ADDR=address)


def link_in(message) -> str:
    return re.search(r"http://testserver(/portal/\S+)", message.body).group(1)


def token_of(message) -> str:
    return link_in(message).rstrip("/").rsplit("/", 1)[1]


def register(sent, email="anna@example.pl", pesel="44051401359", request=None):
    sent(
        accounts.account_register,
        email=email,
        password=PORTAL_PASSWORD,
        pesel=pesel,
        first_name="Anna",
        last_name="Nowak",
        phone="",
        request=request or request_from(),
    )


# --- Registration and confirmation ----------------------------------------------------------------------------------


def test_registration_stores_a_hashed_password_and_mails_a_link_whose_token_only_a_hash_keeps(sent):
    register(sent, email=" Anna@Example.PL ")

    account = PatientAccount.objects.get()
    assert account.email == "anna@example.pl" and not account.is_verified
    assert account.password != PORTAL_PASSWORD and account.check_password(PORTAL_PASSWORD)
    [message] = mail.outbox
    assert message.to == ["anna@example.pl"] and "/portal/potwierdz-email/" in message.body
    token = token_of(message)
    code = PortalCode.objects.get(account=account, purpose=CodePurpose.VERIFY_EMAIL)
    assert token not in code.code_hash and code.expires_at - code.created_at == timedelta(hours=48)


def test_an_address_with_an_account_gets_the_way_to_a_new_password_and_nothing_is_created(sent):
    PatientAccountFactory(email="anna@example.pl")

    register(sent, email="ANNA@example.pl")

    assert PatientAccount.objects.count() == 1 and not PortalCode.objects.exists()
    [message] = mail.outbox
    assert "takie konto już istnieje" in message.body and "/portal/nowe-haslo/" in message.body


def test_registrations_from_one_address_are_limited(sent):
    for number in range(accounts.REGISTRATIONS_PER_ADDRESS):
        register(sent, email=f"osoba{number}@example.pl")

    with pytest.raises(accounts.Throttled) as refused:
        register(sent, email="jeszcze@example.pl")

    assert refused.value.wait > 0 and "Zbyt wiele prób" in str(refused.value.message)
    assert PatientAccount.objects.count() == accounts.REGISTRATIONS_PER_ADDRESS
    register(sent, email="inny-komputer@example.pl", request=request_from("192.0.2.99"))


def test_the_link_confirms_the_address_once(sent):
    register(sent)
    token = token_of(mail.outbox[0])

    account = accounts.account_verify(token=token)

    assert account.is_verified and PatientAccount.objects.get().is_verified
    with pytest.raises(DomainError, match="Ten link jest nieważny"):
        accounts.account_verify(token=token)


def test_an_expired_or_unknown_link_confirms_nothing(sent, clock):
    register(sent)
    token = token_of(mail.outbox[0])
    clock.shift(timedelta(hours=48, minutes=1))

    for attempt in (token, "nieznany-token"):
        with pytest.raises(DomainError, match="wygasł, został już użyty"):
            accounts.account_verify(token=attempt)
    assert not PatientAccount.objects.get().is_verified


def test_a_new_link_replaces_the_previous_one_and_others_get_nothing(sent):
    register(sent)
    first = token_of(mail.outbox[0])

    sent(accounts.account_verification_resend, email="anna@example.pl", request=request_from())
    sent(accounts.account_verification_resend, email="nikt@example.pl", request=request_from())

    assert len(mail.outbox) == 2
    with pytest.raises(DomainError):
        accounts.account_verify(token=first)
    assert accounts.account_verify(token=token_of(mail.outbox[1])).is_verified


# --- Login and lockout ---------------------------------------------------------------------------------------------


def test_a_right_password_logs_in_and_is_audited():
    account = PatientAccountFactory(email="jan@example.pl")

    assert accounts.account_authenticate(email="JAN@example.pl", password=PORTAL_PASSWORD, request=request_from())

    event = AuditEvent.objects.get(action="portal_login")
    assert event.category == AuditCategory.SECURITY and event.actor is None and account.email in event.actor_label


def test_a_wrong_password_and_an_unknown_email_are_refused_alike_and_audited_without_the_password():
    PatientAccountFactory(email="jan@example.pl")

    for email in ("jan@example.pl", "nikt@example.pl"):
        with pytest.raises(DomainError) as refused:
            accounts.account_authenticate(email=email, password="Zle-haslo-12345", request=request_from())
        assert str(refused.value.message) == "Nieprawidłowy e-mail lub hasło."

    events = AuditEvent.objects.filter(action="portal_login_failed")
    assert events.count() == 2 and {event.outcome for event in events} == {AuditOutcome.FAILURE}
    assert not any("Zle-haslo" in event.message + event.actor_label for event in events)


def test_after_the_failure_limit_the_account_is_locked_even_for_the_right_password(settings):
    settings.AXES_FAILURE_LIMIT = 3
    PatientAccountFactory(email="jan@example.pl")
    for _attempt in range(2):
        with pytest.raises(DomainError):
            accounts.account_authenticate(email="jan@example.pl", password="zle", request=request_from())

    with pytest.raises(accounts.Throttled) as locked:
        accounts.account_authenticate(email="jan@example.pl", password="zle", request=request_from())
    assert "czasowo zablokowane" in str(locked.value.message) and locked.value.wait > 0
    with pytest.raises(accounts.Throttled):
        accounts.account_authenticate(email="jan@example.pl", password=PORTAL_PASSWORD, request=request_from())
    # Another computer is not locked out of the account.
    assert accounts.account_authenticate(email="jan@example.pl", password=PORTAL_PASSWORD, request=request_from("::1"))
    assert AuditEvent.objects.filter(action="portal_login_failed", message__contains="zablokowane").exists()


def test_a_success_resets_the_accounts_count(settings):
    settings.AXES_FAILURE_LIMIT = 3
    PatientAccountFactory(email="jan@example.pl")
    for _round in range(2):
        for _attempt in range(2):
            with pytest.raises(DomainError) as refused:
                accounts.account_authenticate(email="jan@example.pl", password="zle", request=request_from())
            assert not isinstance(refused.value, accounts.Throttled)
        accounts.account_authenticate(email="jan@example.pl", password=PORTAL_PASSWORD, request=request_from())


def test_an_unknown_email_is_locked_like_a_real_one(settings):
    settings.AXES_FAILURE_LIMIT = 2
    with pytest.raises(DomainError):
        accounts.account_authenticate(email="nikt@example.pl", password="zle", request=request_from())
    with pytest.raises(accounts.Throttled):
        accounts.account_authenticate(email="nikt@example.pl", password="zle", request=request_from())


def test_many_emails_tried_from_one_address_lock_the_address(settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    PatientAccountFactory(email="jan@example.pl")
    for number in range(3):
        with pytest.raises(DomainError):
            accounts.account_authenticate(email=f"osoba{number}@example.pl", password="zle", request=request_from())

    with pytest.raises(accounts.Throttled):
        accounts.account_authenticate(email="jan@example.pl", password=PORTAL_PASSWORD, request=request_from())
    assert AuditEvent.objects.filter(action="portal_login_throttled").count() == 1


# --- A new password ------------------------------------------------------------------------------------------------


def test_a_new_password_by_email_works_once_within_an_hour_and_unlocks(sent, settings):
    settings.AXES_FAILURE_LIMIT = 2
    account = PatientAccountFactory(email="jan@example.pl")
    for _attempt in range(2):
        with pytest.raises(DomainError):
            accounts.account_authenticate(email="jan@example.pl", password="zle", request=request_from())
    sent(accounts.password_reset_request, email="jan@example.pl", request=request_from())
    sent(accounts.password_reset_request, email="nikt@example.pl", request=request_from())
    [message] = mail.outbox
    token = token_of(message)
    assert accounts.token_account(token=token, purpose=CodePurpose.PASSWORD_RESET) == account

    accounts.password_reset_complete(token=token, password="Nowe-haslo-pacjenta-1", request=request_from())

    assert accounts.account_authenticate(
        email="jan@example.pl", password="Nowe-haslo-pacjenta-1", request=request_from()
    )
    with pytest.raises(DomainError, match="Ten link jest nieważny"):
        accounts.password_reset_complete(token=token, password="Inne-haslo-pacjenta-2", request=request_from())
    assert AuditEvent.objects.filter(action="portal_password_reset").count() == 1


def test_a_reset_link_expires_after_an_hour(sent, clock):
    account = PatientAccountFactory(email="jan@example.pl")
    sent(accounts.password_reset_request, email="jan@example.pl", request=request_from())
    clock.shift(timedelta(hours=1, seconds=1))
    password = account.password

    with pytest.raises(DomainError):
        accounts.password_reset_complete(
            token=token_of(mail.outbox[0]), password="Nowe-haslo-1", request=request_from()
        )
    account.refresh_from_db()
    assert account.password == password


# --- Linking -------------------------------------------------------------------------------------------------------


@pytest.fixture
def record():
    return PatientFactory(email="jan.kowalski@example.pl", phone="601234789")


@pytest.fixture
def account(record):
    return PatientAccountFactory(email="konto@example.pl", pesel=record.pesel)


def test_the_choice_shows_the_records_email_and_phone_masked(account, record):
    choice = accounts.link_choice(account=account)

    assert choice.record == record and not choice.taken
    assert (choice.email, choice.phone) == ("j***@e***.pl", "*** *** 789")


def test_a_code_sent_to_the_records_email_links_the_account(sent, account, record):
    sent(accounts.link_code_send, account=account, channel=CodePurpose.LINK_EMAIL, request=request_from())
    [message] = mail.outbox
    assert message.to == ["jan.kowalski@example.pl"]
    code = re.search(r"\b(\d{6})\b", message.body).group(1)

    assert accounts.link_code_confirm(account=account, code=code, request=request_from()) == record

    account.refresh_from_db()
    assert account.patient == record
    events = AuditEvent.objects.filter(object_id=str(record.pk), object_type="patients.patient")
    assert {"portal_link_code_sent", "portal_linked"} <= set(events.values_list("action", flat=True))
    assert not any(code in event.message or record.pesel in event.message for event in AuditEvent.objects.all())


def test_a_code_sent_by_sms_goes_to_the_records_phone(sent, account, record, sms_outbox):
    sent(accounts.link_code_send, account=account, channel=CodePurpose.LINK_PHONE, request=request_from())

    [message] = sms_outbox
    assert message.to == "601234789"
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    accounts.link_code_confirm(account=account, code=code, request=request_from())
    assert PatientAccount.objects.get(pk=account.pk).patient == record


def test_without_an_sms_backend_no_phone_is_offered_nor_texted(sent, account, sms_outbox, settings):
    settings.SMS_BACKEND = ""  # production's default until a gateway is configured

    assert accounts.link_choice(account=account).phone == ""
    with pytest.raises(DomainError, match="Wybierz, dokąd wysłać kod"):
        sent(accounts.link_code_send, account=account, channel=CodePurpose.LINK_PHONE, request=request_from())
    assert not PortalCode.objects.exists() and sms_outbox == []


def wrong_code(right: str) -> str:
    return f"{(int(right) + 1) % 10**6:06d}"


def test_five_wrong_codes_use_the_code_up(sent, account):
    sent(accounts.link_code_send, account=account, channel=CodePurpose.LINK_EMAIL, request=request_from())
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)

    for left in (4, 3, 2, 1):
        with pytest.raises(DomainError, match=f"Pozostało prób: {left}"):
            accounts.link_code_confirm(account=account, code=wrong_code(code), request=request_from())
    with pytest.raises(DomainError, match="Wykorzystano wszystkie próby"):
        accounts.link_code_confirm(account=account, code=wrong_code(code), request=request_from())
    with pytest.raises(DomainError, match="Wyślij nowy kod"):
        accounts.link_code_confirm(account=account, code=code, request=request_from())

    assert PatientAccount.objects.get(pk=account.pk).patient is None
    assert AuditEvent.objects.filter(action="portal_link_failed", outcome=AuditOutcome.FAILURE).count() == 6


def test_an_expired_code_links_nothing(sent, account, clock):
    sent(accounts.link_code_send, account=account, channel=CodePurpose.LINK_EMAIL, request=request_from())
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)
    clock.shift(timedelta(minutes=15, seconds=1))

    with pytest.raises(DomainError, match="Kod wygasł"):
        accounts.link_code_confirm(account=account, code=code, request=request_from())
    assert PatientAccount.objects.get(pk=account.pk).patient is None


def test_a_new_code_replaces_the_previous_one(sent, account):
    sent(accounts.link_code_send, account=account, channel=CodePurpose.LINK_EMAIL, request=request_from())
    sent(accounts.link_code_send, account=account, channel=CodePurpose.LINK_PHONE, request=request_from())
    first = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)

    assert PortalCode.objects.filter(account=account).count() == 1
    if first != re.search(r"\b(\d{6})\b", sms.outbox[0].body).group(1):
        with pytest.raises(DomainError):
            accounts.link_code_confirm(account=account, code=first, request=request_from())


def test_codes_sent_to_one_account_are_limited(sent, account):
    for _send in range(accounts.CODES_PER_ACCOUNT):
        sent(accounts.link_code_send, account=account, channel=CodePurpose.LINK_PHONE, request=request_from())

    with pytest.raises(accounts.Throttled):
        sent(accounts.link_code_send, account=account, channel=CodePurpose.LINK_PHONE, request=request_from())
    assert len(sms.outbox) == accounts.CODES_PER_ACCOUNT


def test_another_patient_cannot_use_a_code_sent_for_someone_elses_account(sent, account):
    sent(accounts.link_code_send, account=account, channel=CodePurpose.LINK_EMAIL, request=request_from())
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)
    intruder = PatientAccountFactory(email="intruz@example.pl")

    with pytest.raises(DomainError, match="Kod wygasł albo nie został wysłany"):
        accounts.link_code_confirm(account=intruder, code=code, request=request_from())
    assert PatientAccount.objects.filter(patient__isnull=False).count() == 0


def test_a_record_linked_to_another_account_cannot_be_linked_again(sent, account, record):
    PatientAccountFactory(email="pierwszy@example.pl", patient=record)

    assert accounts.link_choice(account=account).taken
    with pytest.raises(DomainError, match="już połączona z innym kontem"):
        sent(accounts.link_code_send, account=account, channel=CodePurpose.LINK_EMAIL, request=request_from())
    assert not mail.outbox and not PortalCode.objects.exists()


def test_a_record_taken_meanwhile_refuses_the_code_and_leaves_it_unused(sent, account, record):
    sent(accounts.link_code_send, account=account, channel=CodePurpose.LINK_EMAIL, request=request_from())
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)
    PatientAccountFactory(email="pierwszy@example.pl", patient=record)

    with pytest.raises(DomainError, match="już połączona z innym kontem"):
        accounts.link_code_confirm(account=account, code=code, request=request_from())
    assert PortalCode.objects.get(account=account).used_at is None
    assert PatientAccount.objects.get(pk=account.pk).patient is None


def test_a_record_without_email_or_phone_offers_no_code(sent):
    bare = PatientFactory(email="", phone="")
    account = PatientAccountFactory(pesel=bare.pesel)

    choice = accounts.link_choice(account=account)
    assert (choice.email, choice.phone) == ("", "")
    with pytest.raises(DomainError, match="Wybierz, dokąd wysłać kod"):
        sent(accounts.link_code_send, account=account, channel=CodePurpose.LINK_EMAIL, request=request_from())
    assert not PortalCode.objects.exists()


def test_without_a_record_of_that_pesel_a_new_one_is_made_from_the_registration(sent):
    account = PatientAccountFactory(email="nowy@example.pl", first_name="Ewa", last_name="Zielińska", phone="501502503")

    patient = accounts.link_record_create(account=account, request=request_from())

    assert (patient.first_name, patient.last_name, patient.pesel) == ("Ewa", "Zielińska", account.pesel)
    assert (patient.email, patient.phone) == ("nowy@example.pl", "501502503")
    assert PatientAccount.objects.get(pk=account.pk).patient == patient
    created = AuditEvent.objects.get(action="patient_created")
    assert created.actor_label == accounts.PORTAL_ACTOR and created.actor is None


def test_a_new_record_is_refused_when_one_has_the_pesel(account):
    with pytest.raises(DomainError, match="potwierdź, że to Ty"):
        accounts.link_record_create(account=account, request=request_from())
    assert Patient.objects.count() == 1 and PatientAccount.objects.get(pk=account.pk).patient is None


# --- The reception's activation code ------------------------------------------------------------------------------


def test_an_activation_code_links_only_the_account_with_the_records_pesel(bob, account, record):
    code, row = accounts.activation_code_issue(patient=record, user=bob, request=None)
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}", code)
    assert code not in row.code_hash and row.expires_at - row.created_at == timedelta(days=30)
    intruder = PatientAccountFactory(email="intruz@example.pl")

    with pytest.raises(DomainError, match="Nieprawidłowy lub nieważny kod aktywacyjny"):
        accounts.link_activation_confirm(account=intruder, code=code, request=request_from())
    assert PatientAccount.objects.get(pk=intruder.pk).patient is None

    assert accounts.link_activation_confirm(
        account=account, code=code.lower().replace("-", " "), request=request_from()
    )
    assert PatientAccount.objects.get(pk=account.pk).patient == record
    event = AuditEvent.objects.get(action="portal_activation_code")
    assert event.actor == bob and code not in event.message


def test_a_new_activation_code_replaces_the_unused_one_and_expires_in_30_days(bob, account, record, clock):
    first, _row = accounts.activation_code_issue(patient=record, user=bob, request=None)
    second, _row = accounts.activation_code_issue(patient=record, user=bob, request=None)

    with pytest.raises(DomainError):
        accounts.link_activation_confirm(account=account, code=first, request=request_from())
    clock.shift(timedelta(days=30, seconds=1))
    with pytest.raises(DomainError):
        accounts.link_activation_confirm(account=account, code=second, request=request_from())
    assert PatientAccount.objects.get(pk=account.pk).patient is None


def test_wrong_activation_codes_are_limited(settings, account):
    settings.AXES_FAILURE_LIMIT = 2
    for _attempt in range(2):
        with pytest.raises(DomainError):
            accounts.link_activation_confirm(account=account, code="AAAA-BBBB-CCCC", request=request_from())

    with pytest.raises(accounts.Throttled):
        accounts.link_activation_confirm(account=account, code="AAAA-BBBB-CCCC", request=request_from())


def test_no_activation_code_for_a_linked_record_or_one_without_pesel(bob, record):
    PatientAccountFactory(patient=record, pesel=record.pesel)
    without_pesel = PatientFactory(pesel="", document_type="passport", document_number="ZZ123456")

    with pytest.raises(DomainError, match="już połączona"):
        accounts.activation_code_issue(patient=record, user=bob, request=None)
    with pytest.raises(DomainError, match="numerem PESEL"):
        accounts.activation_code_issue(patient=without_pesel, user=bob, request=None)
    assert not PortalCode.objects.exists()
