"""Manual §11.2 and §11.2.1 walked in the browser: Usługi prywatne > Płatnicy, the payer's price list, a group's tab
Usługi nienadpisane, the service's preview with „Nadpisz”, the service in the tab Usługi nadpisane, and the export."""

from decimal import Decimal

import pytest

from conftest import browser_login
from payers.tests.factories import PayerFactory, ServiceFactory, ServiceGroupFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_administrator_overrides_a_service_into_a_payers_list_and_exports_it(page, alice):
    group = ServiceGroupFactory(name="Konsultacje specjalistyczne")
    ServiceFactory(group=group, name="Konsultacja kardiologiczna", price=Decimal("250.00"))
    ServiceFactory(group=group, name="Konsultacja dermatologiczna", price=Decimal("1230.00"))
    PayerFactory(name="Wisła Ubezpieczenia Zdrowotne S.A.", osoz_id="800100")
    browser_login(page, alice)

    page.get_by_role("button", name="Usługi prywatne").hover()
    page.get_by_role("navigation").get_by_role("link", name="Płatnicy").click()
    row = page.get_by_role("row", name="Wisła Ubezpieczenia Zdrowotne S.A.")
    assert row.get_by_role("cell", name="Tak", exact=True).is_visible()  # Import z OSOZ
    row.get_by_role("link", name="Cennik płatnika").click()
    page.get_by_role("link", name="Konsultacje specjalistyczne").click()

    tabs = page.get_by_role("navigation", name="Zakładki")
    assert tabs.get_by_role("link", name="Usługi nienadpisane").get_attribute("aria-current") == "page"
    page.get_by_role("row", name="Konsultacja dermatologiczna").get_by_role("link", name="Podgląd").click()
    assert page.get_by_text("1\xa0230,00\xa0zł").is_visible()
    page.get_by_role("button", name="Nadpisz").click()

    page.get_by_text("jest teraz w zakładce Usługi nadpisane").wait_for()
    assert tabs.get_by_role("link", name="Usługi nadpisane", exact=True).get_attribute("aria-current") == "page"
    assert page.get_by_role("row", name="Konsultacja dermatologiczna").is_visible()
    tabs.get_by_role("link", name="Usługi nienadpisane").click()  # htmx swaps the tab in place
    page.get_by_role("row", name="Konsultacja kardiologiczna").wait_for()
    assert page.get_by_role("row", name="Konsultacja dermatologiczna").count() == 0

    page.get_by_role("link", name="Wisła Ubezpieczenia Zdrowotne S.A.").click()
    assert page.get_by_text("Cennik płatnika zmienił się od ostatniej wysyłki do OSOZ").is_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Eksportuj do pliku Excel (.xlsx)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
