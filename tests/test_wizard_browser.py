"""Manual §3.1, the product's part, in a browser: Ustawienia > OSOZ/LBK → "Kreator konfiguracji systemu OSOZ" →
the Provider Service (the sandbox, a separate process) → back with the entity id and credentials."""

import pytest

from clinic.selectors import clinic_get
from conftest import browser_login
from devtools.sandbox import SANDBOX_LOGIN
from osoz_integration.models import Connection
from osoz_integration.services import connection_get
from osoz_integration.tests.conftest import SANDBOX_ENTITY_ID

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_connects_the_clinic_through_the_wizard(page, alice, osoz_sandbox_server):
    connection = connection_get()
    connection.base_url = osoz_sandbox_server.url
    connection.save()

    browser_login(page, alice)
    page.get_by_role("button", name="Ustawienia").hover()
    page.get_by_role("navigation").get_by_role("link", name="OSOZ/LBK").click()
    page.get_by_role("link", name="Uruchom kreator konfiguracji").click()

    page.wait_for_url(f"{osoz_sandbox_server.url}/provider/**")
    page.get_by_label("Login").fill(SANDBOX_LOGIN[0])
    page.get_by_label("Hasło").fill(SANDBOX_LOGIN[1])
    page.get_by_role("button", name="Zaloguj").click()
    # .all() does not wait: collect the consents only once the confirmation page is the one shown.
    page.wait_for_url("**/provider/connect/potwierdzenie?**")
    consents = page.get_by_role("checkbox")
    consents.first.wait_for()
    for checkbox in consents.all():
        checkbox.check()
    page.get_by_role("button", name="Połącz z systemem OSOZ").click()

    page.wait_for_url("**/ustawienia/osoz/")
    assert SANDBOX_ENTITY_ID in page.inner_text("main")
    connection = Connection.objects.get()
    assert connection.client_id and connection.connected_at is not None
    assert clinic_get().osoz_entity_id == SANDBOX_ENTITY_ID
