"""Patients racing for one slot through the portal's pages against a live server on PostgreSQL: one holds and books
it, every other one reads "Ten termin jest już zajęty", nobody gets a 5xx."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.conf import settings
from django.db import connection

from portal.tests.booking_setup import account_make, at, offer_make, portal_client, slot_value
from scheduling.models import Appointment, AppointmentSource, SlotHold

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_specialisations"),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the race is run against PostgreSQL (CI sets DATABASE_URL)"
    ),
]

PATIENTS = 12
COMMERCIAL = "/portal/umow/komercyjna/"


def http_for(live_server, account) -> httpx.Client:
    """An HTTP client with the account's portal session and a CSRF token."""
    cookie = portal_client(account).cookies[settings.PORTAL_SESSION_COOKIE_NAME].value
    http = httpx.Client(base_url=live_server.url, timeout=60, follow_redirects=True)
    http.cookies.set(settings.PORTAL_SESSION_COOKIE_NAME, cookie)
    csrf = http.get(COMMERCIAL).cookies.get(settings.CSRF_COOKIE_NAME) or http.cookies[settings.CSRF_COOKIE_NAME]
    http.headers.update({"X-CSRFToken": csrf})
    return http


def test_patients_racing_for_one_slot_give_one_booking(live_server):
    offer = offer_make()
    accounts = [account_make(f"pacjent{n}@example.com") for n in range(PATIENTS)]
    clients = [http_for(live_server, account) for account in accounts]
    slot = slot_value(offer.clinic_doctor, at(10))

    def attempt(http):
        held = http.post(
            "/portal/umow/termin/", data={"slot": slot, "kind": "visit", "tryb": "komercyjna", "back": COMMERCIAL}
        )
        if held.url.path != "/portal/umow/potwierdz/":
            return held
        return http.post("/portal/umow/potwierdz/")

    try:
        with ThreadPoolExecutor(max_workers=PATIENTS) as pool:
            responses = list(pool.map(attempt, clients))
    finally:
        for http in clients:
            http.close()

    assert [response.status_code for response in responses] == [200] * PATIENTS
    booked = [response for response in responses if response.url.path == "/portal/"]
    taken = [response for response in responses if "Ten termin jest już zajęty" in response.text]
    assert len(booked) == 1
    assert len(taken) == PATIENTS - 1
    appointment = Appointment.objects.get()
    assert (appointment.starts_at, appointment.source) == (at(10), AppointmentSource.PORTAL)
    assert not SlotHold.objects.exists()
