"""A new patient in the Portal Pacjenta, in the browser: registers, follows the link from the e-mail, proves the
clinic's record is his — with a code sent to the record's e-mail, or with the activation code the reception printed
from his record — and lands on "Moje wizyty". Every portal page on the way passes axe-core (WCAG 2.1 AA), on a
phone-sized screen as well."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from conftest import browser_login
from patients.tests.factories import PatientFactory
from portal import sms
from portal.models import PatientAccount
from portal.tests.account_factories import PORTAL_PASSWORD
from tests.axe import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    settings.SMS_BACKEND = "portal.sms.LocmemBackend"
    sms.outbox.clear()
    return sms.outbox


@pytest.fixture
def record(db):
    return PatientFactory(
        first_name="Zofia", last_name="Wiśniewska", sex="K", email="zofia.w@example.pl", phone="601234789"
    )


def register_and_verify(page, record, email="zofia@example.pl"):
    page.goto("/portal/logowanie/")
    assert_accessible(page)
    page.get_by_role("link", name="Załóż konto").click()
    expect(page.get_by_role("heading", name="Załóż konto w Portalu Pacjenta")).to_be_visible()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label(re.compile(r"^Hasło")).fill(PORTAL_PASSWORD)
    page.get_by_label("Powtórz hasło").fill(PORTAL_PASSWORD)
    page.get_by_label("PESEL").fill(record.pesel)
    page.get_by_label("Imię").fill("Zofia")
    page.get_by_label("Nazwisko").fill("Wiśniewska")
    page.get_by_role("button", name="Załóż konto").click()
    expect(page.get_by_role("alert")).to_have_text("Zaznacz akceptację regulaminu Portalu Pacjenta.")
    assert_accessible(page)
    page.get_by_label(re.compile(r"^Hasło")).fill(PORTAL_PASSWORD)
    page.get_by_label("Powtórz hasło").fill(PORTAL_PASSWORD)
    page.get_by_label("Akceptuję regulamin Portalu Pacjenta").check()
    page.get_by_role("button", name="Załóż konto").click()

    expect(page.get_by_role("heading", name="Sprawdź skrzynkę e-mail")).to_be_visible()
    assert_accessible(page)
    [message] = [sent for sent in mail.outbox if sent.to == [email]]
    page.goto(re.search(r"https?://\S+/portal/potwierdz-email/\S+", message.body).group(0))
    assert_accessible(page)
    page.get_by_role("button", name="Potwierdź adres e-mail").click()
    expect(page.get_by_role("heading", name="Połącz konto z kartą pacjenta")).to_be_visible()
    assert_accessible(page)


def test_a_new_patient_registers_verifies_and_links_his_record_with_a_code_sent_to_its_email(page, record):
    page.set_viewport_size(PHONE)
    register_and_verify(page, record)

    page.get_by_label("e-mailem na adres z***@e***.pl").check()
    page.get_by_role("button", name="Wyślij kod").click()
    expect(page.get_by_role("heading", name="Wpisz kod")).to_be_visible()
    assert_accessible(page)
    [message] = [sent for sent in mail.outbox if sent.to == ["zofia.w@example.pl"]]
    page.get_by_label("Kod z wiadomości").fill(re.search(r"\b\d{6}\b", message.body).group(0))
    page.get_by_role("button", name="Potwierdź").click()

    page.wait_for_url("**/portal/")
    expect(page.get_by_role("heading", name="Moje wizyty")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Konto połączone z Twoją kartą pacjenta.")
    assert PatientAccount.objects.get(email="zofia@example.pl").patient == record


def test_a_patient_links_his_record_with_the_activation_code_the_reception_printed(page, chromium, live_server, bob):
    record = PatientFactory(first_name="Zofia", last_name="Wiśniewska", sex="K", email="", phone="")
    browser_login(page, bob)
    page.goto(f"/pacjenci/{record.pk}/")
    page.get_by_role("button", name="Wydrukuj kod aktywacyjny Portalu Pacjenta").click()
    expect(page.get_by_role("heading", name="Portal Pacjenta: kod aktywacyjny")).to_be_visible()
    expect(page.get_by_text(f"{live_server.url}/portal/logowanie/")).to_be_visible()
    code = page.locator(".activation-code").inner_text()

    # The patient, at home: a browser of his own.
    context = chromium.new_context(base_url=live_server.url, locale="pl-PL", timezone_id="Europe/Warsaw")
    patient = context.new_page()
    patient.set_default_timeout(10_000)
    register_and_verify(patient, record)
    expect(patient.get_by_text("Poproś w rejestracji o kod aktywacyjny")).to_be_visible()
    patient.get_by_role("textbox", name="Kod aktywacyjny").fill("ABCD-EFGH-JKMN")
    patient.get_by_role("button", name="Połącz kodem aktywacyjnym").click()
    expect(patient.get_by_role("alert")).to_contain_text("Nieprawidłowy lub nieważny kod aktywacyjny")
    assert_accessible(patient)
    patient.get_by_role("textbox", name="Kod aktywacyjny").fill(code.lower())
    patient.get_by_role("button", name="Połącz kodem aktywacyjnym").click()

    patient.wait_for_url("**/portal/")
    expect(patient.get_by_role("heading", name="Moje wizyty")).to_be_visible()
    assert PatientAccount.objects.get(email="zofia@example.pl").patient == record
    context.close()


def test_the_new_password_pages_pass_the_accessibility_check_on_a_phone(page, record):
    page.set_viewport_size(PHONE)
    page.goto("/portal/logowanie/")
    page.get_by_role("link", name="Nie pamiętasz hasła?").click()
    expect(page.get_by_role("heading", name="Nowe hasło")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("E-mail").fill("nikt@example.pl")
    page.get_by_role("button", name="Wyślij link").click()
    expect(page.get_by_role("heading", name="Sprawdź skrzynkę e-mail")).to_be_visible()
    assert_accessible(page)
    page.goto("/portal/nowe-haslo/nieznany/")
    expect(page.get_by_role("alert")).to_contain_text("Ten link jest nieważny")
    assert_accessible(page)


def test_the_pages_open_to_anybody_videoporady_and_the_regulamin(page):
    """From the login: the instructions (and their PDF) and the regulamin, at a desk and on a phone."""
    page.goto("/portal/logowanie/")
    page.get_by_role("link", name="Videoporady: jak umówić i odbyć videokonsultację").click()
    expect(page.get_by_role("heading", name="Videoporady", exact=True)).to_be_visible()
    pdf = page.request.get(page.get_by_role("link", name="Pobierz instrukcję (PDF)").get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    for size in (None, PHONE):
        if size:
            page.set_viewport_size(size)
        assert_accessible(page)
    page.goto("/portal/rejestracja/")
    with page.expect_popup() as opened:
        page.get_by_role("link", name="Przeczytaj regulamin Portalu Pacjenta (w nowej karcie)").click()
    terms = opened.value
    expect(terms.get_by_role("heading", name="Regulamin Portalu Pacjenta")).to_be_visible()
    for size in ({"width": 1280, "height": 800}, PHONE):
        terms.set_viewport_size(size)
        assert_accessible(terms)
