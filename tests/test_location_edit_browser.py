import pytest

from clinic.tests.factories import CellFactory, LocationFactory
from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_administrator_configures_the_osoz_section_with_address_from_a_cell(page, alice):
    location = LocationFactory(
        name="Przychodnia Centrum", osoz_unit_number=1, street="", city="", postcode="", phone="", commune=""
    )
    CellFactory(
        location=location,
        name="Poradnia Kardiologiczna",
        street="ul. Święty Marcin 45",
        city="Poznań",
        postcode="61-806",
        phone="61 852 40 15",
        commune="Poznań",
    )
    browser_login(page, alice)
    page.get_by_role("button", name="Struktura").hover()
    page.get_by_role("navigation").get_by_role("link", name="Lokalizacja").click()
    page.get_by_role("link", name="Przychodnia Centrum").click()
    assert page.get_by_role("group", name="Rejestracja online (OSOZ)").is_visible()
    assert page.get_by_label("Numer jednostki w systemie OSOZ").input_value() == "1"
    assert not page.get_by_label("Klucz publiczny").is_editable()

    page.get_by_label("Identyfikator lokalizacji w systemie OSOZ").fill("100245871")
    page.get_by_label("Rejestracja on-line w systemie OSOZ").check()
    page.get_by_label("Nazwa jednostki organizacyjnej").fill("Przychodnia Poradnia – Centrum")
    page.get_by_label("Adres z komórki").select_option(label="Poradnia Kardiologiczna")
    street = page.get_by_label("Ulica i numer")
    street.and_(page.locator("[value='ul. Święty Marcin 45']")).wait_for()
    assert page.get_by_label("Kod pocztowy").input_value() == "61-806"
    assert page.get_by_label("Miejscowość").input_value() == "Poznań"
    assert page.get_by_label("Telefon").input_value() == "61 852 40 15"
    assert page.get_by_label("Gmina").input_value() == "Poznań"
    # Still editable after the fill.
    street.fill("ul. Święty Marcin 45/2")

    page.get_by_role("button", name="Zapisz").click()
    page.get_by_text("Wygenerowano klucz publiczny lokalizacji.").wait_for()
    assert page.get_by_label("Klucz publiczny").input_value().startswith("-----BEGIN PUBLIC KEY-----")
    assert page.get_by_label("Ulica i numer").input_value() == "ul. Święty Marcin 45/2"
    assert page.get_by_label("Rejestracja on-line w systemie OSOZ").is_checked()
