"""The account pages under /portal/ and the reception's activation code on the patient's record: what a patient
types wrong is refused with a Polish message and creates nothing; every page works for the one it is for only."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from core.models import AuditEvent
from patients.models import Patient
from patients.tests.factories import PatientFactory
from portal.models import CodePurpose, PatientAccount, PortalCode
from portal.tests.account_factories import PORTAL_PASSWORD, PatientAccountFactory

pytestmark = pytest.mark.django_db

VALID = {
    "email": "anna@example.pl",
    "password": PORTAL_PASSWORD,
    "password_again": PORTAL_PASSWORD,
    "pesel": "44051401359",
    "first_name": "Anna",
    "last_name": "Nowak-Kowalska",
    "phone": "601 234 567",
    "consent": "on",
}


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """post(url, data): the client's POST, with what is sent after commit delivered."""

    def call(url, data=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {}, **kwargs)

    return call


def log_in(client, account, password=PORTAL_PASSWORD):
    response = client.post(reverse("portal:login"), {"email": account.email, "password": password})
    assert response.status_code == 302, response.content.decode()
    return response


def text(response) -> str:
    return response.content.decode()


# --- Registration ------------------------------------------------------------------------------------------------


def test_registration_sends_the_link_and_says_to_check_the_mailbox(client, post):
    assert client.get(reverse("portal:register")).status_code == 200

    response = post(reverse("portal:register"), VALID)

    assert response.status_code == 302 and response.url == reverse("portal:verify_pending")
    assert "Sprawdź skrzynkę e-mail" in text(client.get(response.url))
    account = PatientAccount.objects.get()
    assert (account.first_name, account.last_name, account.phone) == ("Anna", "Nowak-Kowalska", "601234567")
    assert len(mail.outbox) == 1


def test_an_email_already_registered_gets_the_same_answer(client, post):
    PatientAccountFactory(email="anna@example.pl")

    response = post(reverse("portal:register"), VALID)

    assert response.status_code == 302 and response.url == reverse("portal:verify_pending")
    assert PatientAccount.objects.count() == 1 and "już istnieje" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password": "krotkie", "password_again": "krotkie"}, "To hasło jest za krótkie."),
        ({"password": "123456789012345", "password_again": "123456789012345"}, "Hasło składa się wyłącznie z cyfr."),
        ({"password_again": "Inne-haslo-2026"}, "Hasła nie są takie same."),
        ({"pesel": "44051401358"}, "cyfra kontrolna się nie zgadza"),
        ({"pesel": "123"}, "PESEL składa się z 11 cyfr."),
        ({"first_name": '=HYPERLINK("http://zlo.example")'}, "Wpisz literami"),
        ({"last_name": "Nowak\x07"}, "Wpisz literami"),
        ({"last_name": "@SUM(A1)"}, "Wpisz literami"),
        ({"phone": "zadzwoń"}, "Wpisz numer telefonu cyframi"),
        ({"email": "nie-email"}, "Podaj poprawny adres e-mail."),
        ({"consent": ""}, "Zaznacz akceptację regulaminu Portalu Pacjenta."),
    ],
)
def test_bad_registration_data_is_refused_with_a_polish_message_and_nothing_is_created(post, changes, message):
    response = post(reverse("portal:register"), {**VALID, **changes})

    assert response.status_code == 200 and message in text(response)
    assert not PatientAccount.objects.exists() and not PortalCode.objects.exists() and not mail.outbox


def test_a_password_like_the_email_is_refused(post):
    data = {
        **VALID,
        "email": "zielonyogrodek@example.pl",
        "password": "zielonyogrodek",
        "password_again": "zielonyogrodek",
    }

    response = post(reverse("portal:register"), data)

    assert "Hasło jest zbyt podobne" in text(response) and not PatientAccount.objects.exists()


def test_registrations_from_one_address_answer_429_after_the_limit(post):
    for number in range(10):
        post(reverse("portal:register"), {**VALID, "email": f"osoba{number}@example.pl"})

    response = post(reverse("portal:register"), {**VALID, "email": "ktos@example.pl"})

    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Zbyt wiele prób" in text(response) and PatientAccount.objects.count() == 10


# --- Confirming the e-mail --------------------------------------------------------------------------------------------


def verification_url() -> str:
    return re.search(r"http://testserver(/portal/\S+)", mail.outbox[-1].body).group(1)


def test_the_link_asks_for_a_click_then_confirms_logs_in_and_goes_on_to_linking(client, post):
    post(reverse("portal:register"), VALID)
    url = verification_url()

    page = client.get(url)
    assert page.status_code == 200 and "Potwierdź adres e-mail" in text(page)
    assert not PatientAccount.objects.get().is_verified

    response = client.post(url)

    assert response.status_code == 302 and response.url == reverse("portal:link")
    assert PatientAccount.objects.get().is_verified
    assert "Połącz konto z kartą pacjenta" in text(client.get(response.url))


def test_a_used_or_unknown_link_shows_a_clear_page(client, post):
    post(reverse("portal:register"), VALID)
    url = verification_url()
    client.post(url)

    for link in (url, reverse("portal:verify", kwargs={"token": "zmyslony"})):
        for response in (client.get(link), client.post(link)):
            assert response.status_code == 404 and "Ten link jest nieważny" in text(response)


def test_a_new_link_can_be_asked_for(client, post):
    post(reverse("portal:register"), VALID)

    response = post(reverse("portal:verify_pending"), {"email": "anna@example.pl"}, follow=True)

    assert "wysłaliśmy na niego nowy link" in text(response) and len(mail.outbox) == 2


def test_new_links_from_one_address_are_limited(post):
    post(reverse("portal:register"), VALID)
    for _send in range(5):
        post(reverse("portal:verify_pending"), {"email": "anna@example.pl"})

    response = post(reverse("portal:verify_pending"), {"email": "anna@example.pl"})

    assert response.status_code == 429 and int(response["Retry-After"]) > 0 and "Zbyt wiele prób" in text(response)
    assert len(mail.outbox) == 6


def test_an_unconfirmed_account_logs_in_to_the_page_that_asks_for_the_link(client):
    account = PatientAccountFactory(email_verified_at=None)
    log_in(client, account)

    response = client.get(reverse("portal:link"))

    assert response.status_code == 302 and response.url == reverse("portal:verify_pending")


# --- Login and logout ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("next_url", "lands"),
    [
        ("", "/portal/"),
        ("/portal/polacz-z-karta/", "/portal/polacz-z-karta/"),
        ("https://zlo.example/portal/", "/portal/"),
        ("//zlo.example/portal/", "/portal/"),
        ("/pacjenci/", "/portal/"),
    ],
)
def test_login_goes_to_next_only_when_it_is_a_portal_page(client, next_url, lands):
    account = PatientAccountFactory()

    response = client.post(
        reverse("portal:login"), {"email": account.email, "password": PORTAL_PASSWORD, "next": next_url}
    )

    assert response.status_code == 302 and response.url == lands


def test_a_wrong_password_is_refused_with_the_same_message_as_an_unknown_email(client):
    account = PatientAccountFactory()
    answers = [
        client.post(reverse("portal:login"), {"email": email, "password": "Zle-haslo-123"})
        for email in (account.email, "nikt@example.pl")
    ]

    assert [response.status_code for response in answers] == [200, 200]
    assert all("Nieprawidłowy e-mail lub hasło." in text(response) for response in answers)


def test_a_locked_account_answers_429_with_retry_after(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    account = PatientAccountFactory()
    client.post(reverse("portal:login"), {"email": account.email, "password": "zle"})

    response = client.post(reverse("portal:login"), {"email": account.email, "password": "zle"})
    right = client.post(reverse("portal:login"), {"email": account.email, "password": PORTAL_PASSWORD})

    for answer in (response, right):
        assert answer.status_code == 429 and int(answer["Retry-After"]) > 0
        assert "czasowo zablokowane" in text(answer)


def test_logout_is_post_only_and_ends_the_session(client):
    account = PatientAccountFactory(patient=PatientFactory())
    log_in(client, account)

    assert client.get(reverse("portal:logout")).status_code == 405
    response = client.post(reverse("portal:logout"))

    assert response.status_code == 302 and response.url == reverse("portal:login")
    assert client.get(reverse("portal:link")).url.startswith(reverse("portal:login"))


# --- A new password -----------------------------------------------------------------------------------------------


def test_a_new_password_through_the_pages(client, post):
    account = PatientAccountFactory()
    sent = post(reverse("portal:password_reset"), {"email": account.email})
    assert sent.status_code == 200 and "Jeśli w Portalu Pacjenta jest konto o tym adresie" in text(sent)
    url = re.search(r"http://testserver(/portal/\S+)", mail.outbox[0].body).group(1)

    weak = client.post(url, {"password": "123", "password_again": "123"})
    assert "To hasło jest za krótkie." in text(weak)
    response = client.post(url, {"password": "Nowe-haslo-pacjenta-7", "password_again": "Nowe-haslo-pacjenta-7"})

    assert response.status_code == 302 and response.url == reverse("portal:login")
    log_in(client, account, password="Nowe-haslo-pacjenta-7")
    assert client.get(url).status_code == 404


def test_an_unknown_address_gets_the_same_page_and_no_mail(post):
    response = post(reverse("portal:password_reset"), {"email": "nikt@example.pl"})

    assert response.status_code == 200 and "Jeśli w Portalu Pacjenta jest konto" in text(response)
    assert not mail.outbox


# --- Linking ----------------------------------------------------------------------------------------------------


@pytest.fixture
def record():
    return PatientFactory(email="jan.kowalski@example.pl", phone="601234789")


@pytest.fixture
def account(record, client):
    account = PatientAccountFactory(pesel=record.pesel)
    log_in(client, account)
    return account


def test_anonymous_patients_are_sent_to_the_login(client):
    for name in ("link", "link_code"):
        response = client.get(reverse(f"portal:{name}"))
        assert response.status_code == 302
        assert response.url == f"{reverse('portal:login')}?next={reverse(f'portal:{name}').replace('/', '%2F')}"


def test_the_link_page_offers_the_records_email_and_phone_masked(client, account):
    page = text(client.get(reverse("portal:link")))

    assert "j***@e***.pl" in page and "*** *** 789" in page and "Mam kod aktywacyjny z rejestracji" in page
    assert "jan.kowalski@example.pl" not in page and "601234789" not in page


def test_linking_with_the_code_sent_by_sms(client, account, record, post, sms_outbox):
    response = post(reverse("portal:link"), {"action": "send", "channel": CodePurpose.LINK_PHONE})
    assert response.status_code == 302 and response.url == reverse("portal:link_code")
    code = re.search(r"\b(\d{6})\b", sms_outbox[0].body).group(1)

    wrong = post(reverse("portal:link_code"), {"code": f"{(int(code) + 1) % 10**6:06d}"})
    assert wrong.status_code == 422 and "Nieprawidłowy kod. Pozostało prób: 4." in text(wrong)
    malformed = post(reverse("portal:link_code"), {"code": "12ab"})
    assert "Kod to 6 cyfr." in text(malformed)
    response = post(reverse("portal:link_code"), {"code": code})

    assert response.status_code == 302 and response.url == reverse("portal:home")
    assert PatientAccount.objects.get(pk=account.pk).patient == record
    assert client.get(reverse("portal:link")).url == reverse("portal:home")


def test_a_record_without_email_or_phone_offers_only_the_activation_code(client):
    bare = PatientFactory(email="", phone="")
    log_in(client, PatientAccountFactory(pesel=bare.pesel))

    page = text(client.get(reverse("portal:link")))

    assert "Poproś w rejestracji o kod aktywacyjny" in page and 'value="send"' not in page
    assert "Połącz kodem aktywacyjnym" in page


def test_a_record_linked_to_another_account_is_explained(client, account, record, post):
    PatientAccountFactory(patient=record, pesel=record.pesel)

    page = text(client.get(reverse("portal:link")))
    response = post(reverse("portal:link"), {"action": "send", "channel": CodePurpose.LINK_EMAIL})

    assert "już połączona z innym kontem" in page
    assert response.status_code == 422 and "już połączona z innym kontem" in text(response)
    assert not mail.outbox and PatientAccount.objects.get(pk=account.pk).patient is None


def test_without_a_record_the_patient_makes_one_from_his_registration(client, post):
    account = PatientAccountFactory(first_name="Ewa", last_name="Zielińska")
    log_in(client, account)
    assert "Załóż kartę pacjenta" in text(client.get(reverse("portal:link")))

    response = post(reverse("portal:link"), {"action": "create"})

    assert response.status_code == 302 and response.url == reverse("portal:home")
    patient = PatientAccount.objects.get(pk=account.pk).patient
    assert (patient.last_name, patient.pesel) == ("Zielińska", account.pesel)


def test_a_wrong_activation_code_is_refused_and_links_nothing(client, account, post):
    for code, message in [
        ("AAAA-BBBB-CCCC", "Nieprawidłowy lub nieważny kod aktywacyjny"),
        ("AB", "Kod aktywacyjny ma 12"),
    ]:
        response = post(reverse("portal:link"), {"action": "activation", "activation_code": code})
        assert message in text(response)
    assert PatientAccount.objects.get(pk=account.pk).patient is None


def test_another_patients_activation_code_does_not_link(client, account, bob, client_for):
    other = PatientFactory()
    staff = client_for(bob)
    code = re.search(
        r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}",
        text(staff.post(reverse("portal_staff:activation_code", kwargs={"patient_id": other.pk}))),
    ).group(0)

    response = client.post(reverse("portal:link"), {"action": "activation", "activation_code": code})

    assert response.status_code == 422 and "Nieprawidłowy lub nieważny kod aktywacyjny" in text(response)
    assert PatientAccount.objects.get(pk=account.pk).patient is None
    assert PortalCode.objects.get(patient=other).used_at is None


# --- The reception's activation code ------------------------------------------------------------------------------


def activation_url(patient) -> str:
    return reverse("portal_staff:activation_code", kwargs={"patient_id": patient.pk})


def test_the_reception_prints_an_activation_code_from_the_record(client_for, bob, record):
    client = client_for(bob)
    detail = text(client.get(reverse("patients:patient_detail", kwargs={"patient_id": record.pk})))
    assert "Wydrukuj kod aktywacyjny Portalu Pacjenta" in detail

    response = client.post(activation_url(record))

    page = text(response)
    assert response.status_code == 200 and "http://testserver/portal/logowanie/" in page
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", page).group(0)
    stored = PortalCode.objects.get(patient=record, purpose=CodePurpose.ACTIVATION)
    assert code not in stored.code_hash and stored.created_by_label == bob.audit_label
    assert AuditEvent.objects.filter(action="portal_activation_code", actor=bob, object_id=str(record.pk)).exists()
    assert "no-store" in response["Cache-Control"]


def test_the_administrator_may_print_one_too_and_a_get_prints_nothing(client_for, alice, record):
    client = client_for(alice)

    assert client.get(activation_url(record)).status_code == 405
    assert client.post(activation_url(record)).status_code == 200
    assert PortalCode.objects.filter(patient=record).count() == 1


@pytest.mark.parametrize("persona", ["carol", "dave"])
def test_a_doctor_and_a_user_without_a_role_cannot_print_one(request, client_for, record, persona):
    client = client_for(request.getfixturevalue(persona))

    assert client.post(activation_url(record)).status_code == 403
    assert not PortalCode.objects.exists() and not AuditEvent.objects.filter(action="portal_activation_code").exists()


def test_a_linked_record_needs_no_code(client_for, bob, record):
    PatientAccountFactory(patient=record, pesel=record.pesel)

    response = client_for(bob).post(activation_url(record), follow=True)

    assert "Kartoteka jest już połączona z kontem w Portalu Pacjenta." in text(response)
    assert not PortalCode.objects.exists() and Patient.objects.count() == 1
