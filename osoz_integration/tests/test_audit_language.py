"""The integration's audit texts and stored errors are in the clinic's language (Polish) whatever language the
administrator who acted reads the UI in; what is said to the administrator himself is in his language."""

import socket

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from core.crypto import secret_encrypt
from core.models import AuditEvent
from osoz_integration import services
from osoz_integration.models import Connection
from osoz_integration.selectors import connection_get

pytestmark = pytest.mark.django_db


def test_a_connection_change_is_audited_in_polish_when_the_administrator_reads_english(alice):
    with translation.override("en"):
        services.connection_update(
            base_url="https://osoz.example.pl/", client_id="klient-1", client_secret="tajny", actor=alice
        )
        # The English catalogue has the text: it is Polish in the log because the log is written in Polish.
        assert translation.gettext("Zmieniono połączenie z OSOZ: {phrases}.") == "OSOZ connection changed: {phrases}."
    assert AuditEvent.objects.get(action="osoz_connection_changed").message == (
        "Zmieniono połączenie z OSOZ: adres platformy: http://127.0.0.1:8001 → https://osoz.example.pl; "
        "identyfikator klienta: (pusty) → klient-1; zmieniono sekret klienta."
    )


def test_a_failed_check_is_stored_in_polish_and_reported_in_the_administrators_language(client_for, alice):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    Connection.objects.filter(pk=connection_get().pk).update(
        base_url=dead, client_id="klient-1", client_secret_encrypted=secret_encrypt(b"tajny")
    )
    client = client_for(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.post(reverse("osoz_integration:connection_check"), follow=True).content.decode()
    assert f"OSOZ is not responding correctly: Cannot connect to OSOZ at {dead}." in page
    assert connection_get().last_error == f"Nie można połączyć się z OSOZ pod adresem {dead}."
    assert AuditEvent.objects.get(action="osoz_check_failed").message == (
        f"Sprawdzenie połączenia z OSOZ nie powiodło się: Nie można połączyć się z OSOZ pod adresem {dead}."
    )
