"""Fixtures of the OSOZ integration tests: every request the client sends is checked against the contract, and a
clinic can be connected to the live sandbox through the real configuration wizard."""

from datetime import date, time
from types import SimpleNamespace

import httpx
import pytest
from django.urls import reverse

from clinic.tests.factories import CellFactory, EmployeeFactory, LocationFactory
from core.crypto import keypair_generate
from devtools.sandbox import wizard_code
from osoz_integration import client as osoz_client
from osoz_integration.selectors import connection_get
from osoz_integration.tests.contract import request_check
from scheduling.tests.factories import ScheduleFactory

SANDBOX_ENTITY_ID = "7350012345"


@pytest.fixture(autouse=True)
def sent(monkeypatch) -> list[httpx.Request]:
    """The requests the client sent in this test, each checked against the contract; no token from another test."""
    requests: list[httpx.Request] = []

    def check(request: httpx.Request) -> None:
        request_check(request)
        requests.append(request)

    monkeypatch.setattr(osoz_client, "REQUEST_HOOKS", [check])
    monkeypatch.setattr(osoz_client, "_tokens", {})
    return requests


@pytest.fixture(autouse=True)
def _fast_retries(settings):
    settings.OSOZ_BACKOFF_SECONDS = 0.01
    settings.OSOZ_TIMEOUT_SECONDS = 5


@pytest.fixture(scope="session")
def public_key_pem() -> str:
    return keypair_generate()[1]


def connect(client, server, *, switch_on: bool = True) -> None:
    """Connect the clinic through Ustawienia > OSOZ/LBK and the sandbox's Provider Service, as alice would."""
    connection = connection_get()
    connection.base_url = server.url
    connection.save()
    start = client.get(reverse("osoz_integration:connection_wizard"))
    assert start.status_code == 302 and start["Location"].startswith(f"{server.url}/provider/connect?")
    back = wizard_code(start["Location"])
    assert back.startswith("http://testserver/ustawienia/osoz/powrot/?")
    assert client.get(back.removeprefix("http://testserver")).status_code == 302
    if switch_on:
        client.post(reverse("osoz_integration:connection_switch"), {"enabled": "on"})


@pytest.fixture
def published_clinic(db, public_key_pem) -> SimpleNamespace:
    """One location visible in OSOZ with a cell, and a doctor in it with a private schedule shared with OSOZ:
    weekdays 08:00–12:00 in 20-minute visits."""
    location = LocationFactory(
        osoz_enabled=True, osoz_location_id="100245801", public_key_pem=public_key_pem, osoz_unit_number=1
    )
    cell = CellFactory(location=location, name="Poradnia internistyczna")
    doctor = EmployeeFactory(first_name="Jan", last_name="Kowalski", osoz_cells=[cell])
    schedule = ScheduleFactory(
        employee=doctor,
        cell=cell,
        is_nfz=False,
        osoz_online=True,
        valid_from=date(2026, 1, 1),
        blocks=[(weekday, time(8), time(12), 20) for weekday in range(5)],
    )
    return SimpleNamespace(location=location, cell=cell, doctor=doctor, schedule=schedule)
