"""CAL-3 under real concurrency: many HTTP requests race for one slot against a live server on PostgreSQL."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta

import httpx
import pytest
from django.conf import settings
from django.db import connection

from conftest import login_verified
from core.time import WARSAW
from patients.tests.factories import PatientFactory
from scheduling.models import OCCUPYING_STATUSES, Appointment, AppointmentSource
from scheduling.services import BookingRequest, SlotTakenError, appointments_book
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


def race(live_server, client, user, bodies: list[dict]) -> list[int]:
    """POST every body to the booking API at once, one thread each; the status codes in the bodies' order."""
    http = api_client(live_server, client, user)

    def attempt(body):
        body = {**body, "starts_at": body["starts_at"].isoformat()}
        return http.post("/api/v1/appointments/", json=body).status_code

    try:
        with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
            return list(pool.map(attempt, bodies))
    finally:
        http.close()  # ends the keep-alive connections, and with them the server's request threads


def test_fifty_concurrent_bookings_of_one_slot_give_exactly_one_success(live_server, client, bob):
    schedule = ScheduleFactory()
    starts_at = datetime.combine(date(2027, 1, 4), time(8), tzinfo=WARSAW)
    bodies = [
        {"employee": schedule.employee_id, "patient": patient.pk, "starts_at": starts_at}
        for patient in PatientFactory.create_batch(ATTEMPTS)
    ]

    statuses = race(live_server, client, bob, bodies)

    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == ATTEMPTS - 1, statuses
    assert Appointment.objects.filter(status__in=OCCUPYING_STATUSES).count() == 1


def test_bookings_racing_over_a_whole_block_answer_201_or_409_never_500(live_server, client, bob):
    """CAL-3 promises a clean 409, never a 500: fifty bookings of two doctors spread over the twelve slots of a block,
    each slot wanted by several at once, neighbours inserting into the no-overlap index side by side."""
    schedules = ScheduleFactory.create_batch(2)
    patients = PatientFactory.create_batch(ATTEMPTS)
    slots = [datetime.combine(date(2027, 1, 4), time(8), tzinfo=WARSAW) + timedelta(minutes=20 * n) for n in range(12)]

    def body(index):
        starts_at = slots[(index // 2 * 5) % len(slots)]
        return {"employee": schedules[index % 2].employee_id, "patient": patients[index].pk, "starts_at": starts_at}

    statuses = race(live_server, client, bob, [body(index) for index in range(ATTEMPTS)])

    assert set(statuses) <= {201, 409}, statuses
    assert statuses.count(201) == 2 * len(slots) == Appointment.objects.filter(status__in=OCCUPYING_STATUSES).count()


def test_staggered_bookings_overlapping_their_neighbours_never_answer_500(live_server, client, bob):
    """The security review's race: 15-minute visits asked for every 3 minutes over one doctor's block, so each
    overlaps its neighbours. Off the slot grid the booking door refuses them (422); on it, one per slot stands."""
    schedule = ScheduleFactory(blocks=[(0, time(8), time(12), 15)])
    patients = PatientFactory.create_batch(ATTEMPTS)
    start = datetime.combine(date(2027, 1, 4), time(8), tzinfo=WARSAW)
    bodies = [
        {"employee": schedule.employee_id, "patient": patient.pk, "starts_at": start + timedelta(minutes=3 * index)}
        for index, patient in enumerate(patients)
    ]

    statuses = race(live_server, client, bob, bodies)

    on_grid = [status for index, status in enumerate(statuses) if index % 5 == 0]
    assert on_grid == [201] * 10, statuses
    assert [status for index, status in enumerate(statuses) if index % 5] == [422] * 40, statuses
    assert Appointment.objects.filter(status__in=OCCUPYING_STATUSES).count() == 10


def test_two_batches_of_the_same_slots_in_opposite_orders_do_not_deadlock(seeded_specialisations):
    """Two pages of bookings (an OSOZ ingest, say) wanting a doctor's week in opposite orders: each insert would wait
    for the other's no-overlap check, a deadlock (it showed in about one race in three, hence three weeks). The
    doctor's lock taken first makes the later page wait and lose cleanly."""
    schedule = ScheduleFactory(blocks=[(weekday, time(7), time(19), 5) for weekday in range(5)])
    patients = PatientFactory.create_batch(2)
    barrier = threading.Barrier(2)

    def book(page):
        barrier.wait()
        try:
            return appointments_book(page, source=AppointmentSource.CALENDAR)
        finally:
            connection.close()

    for week in range(3):
        monday = datetime.combine(date(2027, 1, 4) + timedelta(weeks=week), time(7), tzinfo=WARSAW)
        times = [monday + timedelta(days=day, minutes=5 * n) for day in range(5) for n in range(144)]
        pages = [
            [BookingRequest(employee_id=schedule.employee_id, starts_at=at, patient=patient) for at in order]
            for order, patient in ((times, patients[0]), (times[::-1], patients[1]))
        ]
        with ThreadPoolExecutor(max_workers=2) as pool:
            first, second = pool.map(book, pages)
        assert all(isinstance(result, (Appointment, SlotTakenError)) for result in first + second)
        assert sum(isinstance(result, Appointment) for result in first + second) == len(times)
