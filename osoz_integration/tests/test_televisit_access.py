"""Ustawienia > OSOZ/LBK, Konfiguracja dostępu do telewizyty (SET-3, TV-1, manual §14.2) against the live sandbox: the
Provider Service password typed once obtains access; only OSOZ's token is kept, encrypted; the password reaches no
database row, audit or log record; OSOZ's refusals are shown in its words and OSOZ down is said plainly, and neither
changes anything. A fresh sandbox per test (tests.loop), so each starts with the televisit service off."""

import calendar
import logging
import socket
from datetime import date

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from core.crypto import secret_decrypt
from core.models import AuditCategory, AuditEvent, AuditOutcome
from devtools.sandbox import SANDBOX_LOGIN, ProviderService
from osoz_integration.selectors import connection_get
from osoz_integration.tests.conftest import connect
from tests.loop import sandbox_server, sandbox_template  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

CONNECTION = reverse("osoz_integration:connection")
TELEVISIT = reverse("osoz_integration:televisit_access")
PASSWORD = SANDBOX_LOGIN[1]


def months_later(day: date, months: int) -> date:
    """The sandbox's demo end (osoz_sandbox.televisits.months_later), computed here as the product sees it."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def televisit_state() -> tuple:
    connection = connection_get()
    return (
        connection.televisit_token_encrypted,
        connection.televisit_mode,
        connection.televisit_active_until,
        connection.televisit_configured_at,
    )


def password_nowhere(caplog) -> None:
    """Not in any row of any table of the product, nor in any log record."""
    for model in apps.get_models():
        for row in model.objects.values():
            assert PASSWORD not in repr(row), f"the password is stored in {model._meta.label}"
    for record in caplog.records:
        assert PASSWORD not in record.getMessage() and PASSWORD not in repr(record.args)


@pytest.fixture
def admin(client_for, alice, sandbox_server):  # noqa: F811
    client = client_for(alice)
    connect(client, sandbox_server, switch_on=False)
    return client


def test_only_administrators_configure_televisit_access(client_for, bob, carol, dave):
    for user in (bob, carol, dave):
        assert client_for(user).post(TELEVISIT, {"password": "x"}).status_code == 403
    assert connection_get().televisit_token_encrypted == ""


def test_the_password_obtains_access_and_only_the_token_is_kept(admin, sandbox_server, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    page = admin.get(CONNECTION).content.decode()
    assert "Konfiguracja dostępu do telewizyty" in page and "Dostęp do telewizyty nie jest skonfigurowany." in page
    with ProviderService(sandbox_server.url) as provider:
        provider.televisit_enable()

    saved = admin.post(TELEVISIT, {"password": PASSWORD})
    assert saved.status_code == 302 and saved["Location"] == f"{CONNECTION}#telewizyta"
    until = months_later(timezone.localdate(), 3)  # the sandbox's demo, on the real clock of both processes
    page = admin.get(CONNECTION).content.decode()
    assert f"Skonfigurowano dostęp do telewizyty. Telewizyta aktywna do {until:%d.%m.%Y}." in page
    assert f"<strong>Telewizyta aktywna do {until:%d.%m.%Y}</strong>" in page and "wersja demo" in page
    connection = connection_get()
    assert (connection.televisit_mode, connection.televisit_active_until) == ("demo", until)
    assert connection.televisit_access_active
    token = secret_decrypt(connection.televisit_token_encrypted).decode()
    assert len(token) >= 20 and token not in connection.televisit_token_encrypted
    event = AuditEvent.objects.get(action="osoz_televisit_access_configured")
    assert event.message == (
        f"Skonfigurowano dostęp do telewizyty: OSOZ przydzielił dostęp do usługi telewizyty (wersja demo) aktywnej do "
        f"{until:%d.%m.%Y}. Hasło do Serwisu Świadczeniodawcy OSOZ nie zostało zapisane."
    )
    assert PASSWORD not in page and token not in page
    password_nowhere(caplog)


def test_a_wrong_password_shows_osozs_reason_and_changes_nothing(admin, sandbox_server, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    with ProviderService(sandbox_server.url) as provider:
        provider.televisit_enable()
    before = televisit_state()
    refused = admin.post(TELEVISIT, {"password": "Nie-to-haslo-2026"})
    assert refused.status_code == 422
    text = refused.content.decode()
    assert (
        "Nie udało się skonfigurować dostępu do telewizyty: Hasło nie pasuje do żadnego konta Serwisu "
        "Świadczeniodawcy OSOZ tej placówki." in text
    )
    assert "Nie-to-haslo-2026" not in text
    assert televisit_state() == before
    event = AuditEvent.objects.get(action="osoz_televisit_access_failed")
    assert event.outcome == AuditOutcome.FAILURE and "Hasło nie pasuje" in event.message
    assert event.category == AuditCategory.CONFIGURATION  # not a connection error of Stan połączenia
    assert "Nie-to-haslo-2026" not in event.message


def test_an_inactive_service_is_osozs_reason(admin):
    refused = admin.post(TELEVISIT, {"password": PASSWORD}).content.decode()
    assert "Usługa telewizyty nie jest aktywna w Serwisie Świadczeniodawcy OSOZ." in refused
    assert connection_get().televisit_token_encrypted == ""


def test_osoz_down_is_said_plainly_and_nothing_changes(admin, caplog):
    caplog.set_level(logging.DEBUG)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    connection = connection_get()
    connection.base_url = closed
    connection.save()
    before = televisit_state()
    refused = admin.post(TELEVISIT, {"password": PASSWORD})
    assert refused.status_code == 422
    assert (
        f"Nie udało się skonfigurować dostępu do telewizyty: Nie można połączyć się z OSOZ pod adresem {closed}."
        in refused.content.decode()
    )
    assert televisit_state() == before
    event = AuditEvent.objects.get(action="osoz_televisit_access_failed")
    assert (event.category, event.outcome) == (AuditCategory.INTEGRATION, AuditOutcome.FAILURE)
    password_nowhere(caplog)


def test_an_empty_password_is_asked_for(admin):
    answer = admin.post(TELEVISIT, {"password": ""})
    assert answer.status_code == 422
    assert "Wprowadź hasło do Serwisu Świadczeniodawcy OSOZ." in answer.content.decode()
