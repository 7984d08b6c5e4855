"""Ustawienia > OSOZ/LBK (SET-3): who may open it, the connection settings with secrets encrypted at rest, the
configuration wizard with its state check (the full round trip runs against the live sandbox), the integration
switch and the connection status."""

import io
import socket
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from clinic import demo as clinic_demo
from clinic.models import Location
from clinic.selectors import clinic_get
from core.crypto import secret_decrypt
from core.menu import menu_for
from core.models import AuditCategory, AuditEvent, AuditOutcome
from osoz_integration.models import Connection, OutboxMessage
from osoz_integration.selectors import connection_get
from osoz_integration.tests.conftest import SANDBOX_ENTITY_ID, connect, wizard_code
from osoz_integration.views import WIZARD_STATE

pytestmark = pytest.mark.django_db

CONNECTION = reverse("osoz_integration:connection")
WIZARD = reverse("osoz_integration:connection_wizard")
CALLBACK = reverse("osoz_integration:connection_callback")
SWITCH = reverse("osoz_integration:connection_switch")
CHECK = reverse("osoz_integration:connection_check")


def test_only_administrators_open_ustawienia_osoz_lbk(client_for, alice, bob, carol, dave):
    page = client_for(alice).get(CONNECTION)
    assert page.status_code == 200
    text = page.content.decode()
    for label in ("Kreator konfiguracji systemu OSOZ", "Integracja z OSOZ", "Stan połączenia", "Adres platformy OSOZ"):
        assert label in text
    assert any(item["url"] == CONNECTION for section in menu_for(alice) for item in section["items"])
    for user in (bob, carol, dave):
        client = client_for(user)
        assert client.get(CONNECTION).status_code == 403
        assert client.get(WIZARD).status_code == 403
        for url in (CONNECTION, SWITCH, CHECK):
            assert client.post(url, {"enabled": "on", "base_url": "http://evil.example"}).status_code == 403
        assert client.get(f"{CALLBACK}?code=x&state=y").status_code == 403
        assert not any(item["url"] == CONNECTION for section in menu_for(user) for item in section["items"])
    assert not connection_get().enabled and connection_get().base_url == "http://127.0.0.1:8001"


def test_the_address_and_credentials_are_saved_with_secrets_encrypted_and_never_audited(client_for, alice):
    client = client_for(alice)
    response = client.post(
        CONNECTION,
        {
            "base_url": "https://osoz.example.pl/",
            "client_id": "klient-1",
            "client_secret": "tajny-sekret-klienta",
            "webhook_secret": "tajny-sekret-podpisu",
        },
    )
    assert response.status_code == 302
    connection = connection_get()
    assert connection.base_url == "https://osoz.example.pl"
    assert "tajny" not in connection.client_secret_encrypted + connection.webhook_secret_encrypted
    assert secret_decrypt(connection.client_secret_encrypted) == b"tajny-sekret-klienta"
    assert secret_decrypt(connection.webhook_secret_encrypted) == b"tajny-sekret-podpisu"
    event = AuditEvent.objects.get(action="osoz_connection_changed")
    assert event.actor == alice and "tajny" not in event.message
    assert "zmieniono sekret klienta" in event.message and "https://osoz.example.pl" in event.message
    # Empty secret fields keep the stored ones.
    client.post(CONNECTION, {"base_url": "https://osoz.example.pl", "client_id": "klient-1"})
    assert secret_decrypt(connection_get().client_secret_encrypted) == b"tajny-sekret-klienta"
    assert "tajny" not in client.get(CONNECTION).content.decode()


def test_the_wizard_sends_the_administrator_to_the_provider_service_with_a_session_bound_state(client_for, alice):
    client = client_for(alice)
    response = client.get(WIZARD)
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == "http://127.0.0.1:8001/provider/connect"
    query = parse_qs(target.query)
    assert query["return_url"] == ["http://testserver/ustawienia/osoz/powrot/"]
    assert query["state"] == [client.session[WIZARD_STATE]] and len(query["state"][0]) >= 32


def test_a_return_with_a_foreign_state_or_a_cancellation_changes_nothing(client_for, alice):
    client = client_for(alice)
    client.get(WIZARD)
    forged = client.get(f"{CALLBACK}?code=stolen&state=somebody-elses", follow=True)
    assert "Powrót z kreatora konfiguracji OSOZ jest nieważny" in forged.content.decode()
    client.get(WIZARD)
    state = client.session[WIZARD_STATE]
    cancelled = client.get(f"{CALLBACK}?error=access_denied&state={state}", follow=True)
    assert "przerwano" in cancelled.content.decode()
    assert not connection_get().has_credentials and not clinic_get().osoz_entity_id


def test_connecting_through_the_live_sandbox_stores_the_entity_id_and_credentials(
    client_for, alice, osoz_sandbox_server
):
    client = client_for(alice)
    # A feed position read from an earlier connection (another platform, or credentials since revoked).
    Connection.objects.filter(pk=connection_get().pk).update(booking_cursor="ZTo0Mg")
    connect(client, osoz_sandbox_server, switch_on=False)
    connection = connection_get()
    assert connection.has_credentials and connection.base_url == osoz_sandbox_server.url
    assert connection.booking_cursor == ""
    assert connection.entity_name and connection.connected_at and connection.last_success_at
    assert clinic_get().osoz_entity_id == SANDBOX_ENTITY_ID
    event = AuditEvent.objects.get(action="osoz_connected")
    assert event.category == AuditCategory.INTEGRATION and event.actor == alice
    assert f"(identyfikator podmiotu {SANDBOX_ENTITY_ID})" in event.message
    assert "Placówka jest połączona z OSOZ." in client.get(CONNECTION).content.decode()
    # The connection check proves the stored credentials work.
    checked = client.post(CHECK, follow=True).content.decode()
    assert "Połączenie z OSOZ działa" in checked
    assert AuditEvent.objects.filter(action="osoz_checked", outcome=AuditOutcome.SUCCESS).exists()


def test_the_demo_clinic_is_the_entity_the_sandbox_demo_connects_it_to(client_for, alice, osoz_sandbox_server):
    """`seed_demo` and the sandbox's `sandbox_seed` agree: the wizard brings back the Identyfikator podmiotu the demo
    already holds, which is also its main location's OSOZ id (manual §5.1)."""
    clinic_demo.seed(out=io.StringIO())
    connect(client_for(alice), osoz_sandbox_server, switch_on=False)
    main = Location.objects.get(osoz_unit_number=1)
    assert clinic_get().osoz_entity_id == main.osoz_location_id == clinic_demo.ENTITY_ID == SANDBOX_ENTITY_ID
    assert AuditEvent.objects.filter(action="clinic_entity_id_set").count() == 1  # the seed's: the wizard's is none


def test_a_code_osoz_refuses_is_reported_and_audited(client_for, alice, osoz_sandbox_server):
    client = client_for(alice)
    Connection.objects.filter(pk=connection_get().pk).update(base_url=osoz_sandbox_server.url)
    start = client.get(WIZARD)
    back = wizard_code(start["Location"])
    state = parse_qs(urlsplit(back).query)["state"][0]
    page = client.get(f"{CALLBACK}?code=not-the-code&state={state}", follow=True).content.decode()
    assert "Nie udało się połączyć z OSOZ" in page
    event = AuditEvent.objects.get(action="osoz_connect_failed")
    assert event.outcome == AuditOutcome.FAILURE and not connection_get().has_credentials


def test_the_switch_needs_a_connection_and_switching_off_needs_the_locations_withdrawn(
    client_for, alice, osoz_sandbox_server, published_clinic
):
    client = client_for(alice)
    refused = client.post(SWITCH, {"enabled": "on"}, follow=True).content.decode()
    assert "Najpierw połącz placówkę z OSOZ" in refused and not connection_get().enabled
    connect(client, osoz_sandbox_server)
    assert connection_get().enabled and OutboxMessage.objects.count() == 4
    assert AuditEvent.objects.filter(action="osoz_switched_on").exists()
    still_visible = client.post(SWITCH, follow=True).content.decode()
    assert "Nie można wyłączyć integracji, dopóki lokalizacje są widoczne w OSOZ" in still_visible
    assert published_clinic.location.name in still_visible and connection_get().enabled


def test_the_status_shows_the_backlog_and_recent_errors(client_for, alice, osoz_sandbox_server, published_clinic):
    client = client_for(alice)
    connect(client, osoz_sandbox_server)
    page = client.get(CONNECTION).content.decode()
    assert "Zmiany czekające na wysłanie" in page and "<dd>4 " in page
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    Connection.objects.filter(pk=connection_get().pk).update(base_url=dead)
    failed = client.post(CHECK, follow=True).content.decode()
    assert "OSOZ nie odpowiada poprawnie" in failed
    assert "Ostatnie błędy" in failed and f"Nie można połączyć się z OSOZ pod adresem {dead}." in failed
