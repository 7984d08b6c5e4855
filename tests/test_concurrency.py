"""CAL-3 under real concurrency: many HTTP requests race for one slot against a live server on PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time

import httpx
import pytest
from django.conf import settings
from django.db import connection

from conftest import login_verified
from core.time import WARSAW
from patients.tests.factories import PatientFactory
from scheduling.models import OCCUPYING_STATUSES, Appointment
from scheduling.tests.factories import ScheduleFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_specialisations"),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the race is run against PostgreSQL (CI sets DATABASE_URL)"
    ),
]

ATTEMPTS = 50


def api_client(live_server, client, user) -> httpx.Client:
    """An HTTP client carrying a session that passed both factors, and the CSRF token DRF asks for."""
    login_verified(client, user)
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
    http = httpx.Client(base_url=live_server.url, cookies=cookies, timeout=30)
    csrf = http.get("/").cookies[settings.CSRF_COOKIE_NAME]
    http.cookies.set(settings.CSRF_COOKIE_NAME, csrf)
    http.headers.update({"X-CSRFToken": csrf, "Referer": live_server.url})
    return http


def test_fifty_concurrent_bookings_of_one_slot_give_exactly_one_success(live_server, client, bob):
    schedule = ScheduleFactory()
    patients = PatientFactory.create_batch(ATTEMPTS)
    starts_at = datetime.combine(date(2027, 1, 4), time(8), tzinfo=WARSAW).isoformat()
    http = api_client(live_server, client, bob)

    def attempt(patient):
        body = {"employee": schedule.employee_id, "patient": patient.pk, "starts_at": starts_at}
        return http.post("/api/v1/appointments/", json=body).status_code

    try:
        with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
            statuses = list(pool.map(attempt, patients))
    finally:
        http.close()  # ends the keep-alive connections, and with them the server's request threads

    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == ATTEMPTS - 1, statuses
    assert Appointment.objects.filter(status__in=OCCUPYING_STATUSES).count() == 1
