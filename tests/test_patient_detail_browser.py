import pytest
from playwright.sync_api import expect

from conftest import browser_login
from core.models import AuditCategory, AuditEvent
from patients.models import OsozCardStatus
from patients.tests.factories import PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_receptionist_adds_an_osoz_card_and_confirms_it_as_active(page, bob):
    patient = PatientFactory(last_name="Wiśniewska", first_name="Zofia", sex="K")
    browser_login(page, bob)

    page.get_by_role("button", name="Pacjenci").hover()
    page.get_by_role("navigation").get_by_role("link", name="Lista").click()
    page.get_by_label("Szukaj").fill("wisniew")
    page.get_by_role("link", name="Wiśniewska Zofia").click()
    expect(page.get_by_role("heading", name="Rejestracja online (OSOZ)")).to_be_visible()

    add_card = page.locator("form.add-card")
    add_card.get_by_label("Numer karty OSOZ").fill("1234 5678 9012 3456 78")
    add_card.get_by_label("Status").select_option(label="Nieaktywna")
    add_card.get_by_role("button", name="Dodaj").click()
    row = page.get_by_role("row").filter(has_text="123456789012345678")
    expect(row.locator(".badge")).to_have_text("Nieaktywna")

    row.get_by_label("Status karty 123456789012345678").select_option(label="Aktywna")
    row.get_by_role("button", name="Zapisz status").click()
    expect(page.get_by_role("status")).to_have_text("Zapisano status karty OSOZ.")
    expect(row.locator(".badge")).to_have_text("Aktywna")

    card = patient.osoz_cards.get()
    assert card.status == OsozCardStatus.ACTIVE and card.added_by == bob


def test_a_doctor_breaks_the_glass_to_read_a_record_that_is_not_her_patients(page, carol):
    patient = PatientFactory(last_name="Obca", first_name="Zofia", sex="K")
    browser_login(page, carol)

    page.goto(f"/pacjenci/{patient.pk}/")
    expect(page.get_by_role("heading", name="Dostęp w trybie awaryjnym", exact=True)).to_be_visible()
    expect(page.get_by_text(patient.pesel)).to_have_count(0)
    page.get_by_role("button", name="Otwórz kartotekę w trybie awaryjnym").click()
    expect(page.get_by_role("alert")).to_have_text("To pole jest wymagane.")
    page.get_by_label("Podaj powód dostępu").fill("Pacjentka trafiła do mnie w nagłym przypadku.")
    page.get_by_role("button", name="Otwórz kartotekę w trybie awaryjnym").click()

    expect(page.get_by_role("heading", name="Kartoteka pacjenta: Obca Zofia")).to_be_visible()
    expect(page.get_by_text(patient.pesel)).to_be_visible()
    event = AuditEvent.objects.get(category=AuditCategory.EMERGENCY_ACCESS)
    assert event.actor == carol and event.message.endswith("Powód: Pacjentka trafiła do mnie w nagłym przypadku.")
