"""Faults on the whole loop (OSZ-4, OSZ-8, OSZ-10, SBX-8): OSOZ down or gone for a while, duplicated and reordered
deliveries, and a Celery worker killed in the middle of a batch. After recovery both sides agree: every booking the
sandbox holds is known to the product once and in the same state, nothing lost, nothing doubled."""

import os
import signal
import subprocess
import uuid
from datetime import time as clock
from datetime import timedelta
from types import SimpleNamespace

import pytest

from clinic.tests.factories import CellFactory, EmployeeFactory
from core.models import AuditEvent, AuditOutcome
from osoz_integration import feed, tasks
from osoz_integration.models import Connection, InboundEvent, OsozBooking, OsozBookingState
from osoz_integration.selectors import outbox_pending
from osoz_integration.services import integration_endpoints_send
from osoz_integration.tests.osoz_bookings import keyed_location
from scheduling.models import Appointment, AppointmentSource, AppointmentStatus
from scheduling.services import appointment_cancel
from scheduling.tests.factories import ScheduleFactory
from tests.loop import (
    assert_both_sides_agree,
    at,
    connected_loop,
    drain,
    drained,
    eventually,
    free_port,
    next_day,
    patient_books,
    patient_cancels,
    person,
    pull_all,
)
from tests.test_worker import worker_start, worker_stop

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_specialisations"),
    pytest.mark.other_process,
]


PENDING = "Rezerwacja przyjęta"
ACCEPTED = "Wizyta została umówiona"


@pytest.fixture
def live_loop(settings, client_for, alice, sandbox_server, asgi_live_server):
    # One attempt per call: the sandbox's 503 asks for Retry-After 5 s, which the client would otherwise wait out.
    settings.OSOZ_MAX_ATTEMPTS = 1
    # A change OSOZ could not take is retried within a second or two of recovery, not after the default 10 s.
    settings.OSOZ_OUTBOX_RETRY_SECONDS = 1
    return connected_loop(settings, client_for, alice, sandbox_server, callback_url=asgi_live_server.url)


def test_osoz_down_and_then_gone_loses_nothing_in_either_direction(live_loop, sandbox_server, bob):
    osoz, clinic = live_loop.osoz, live_loop.clinic
    monday = next_day(0)
    anna = person("Anna", "Przedawaryjna", female=True)
    before = patient_books(osoz, clinic.private, at(monday, 8), anna)
    assert before.heading == ACCEPTED
    first = OsozBooking.objects.get()

    # OSOZ's API and webhooks are down: patients still book on the site, but nothing reaches the product.
    osoz.faults(down=True)
    waiting = [
        patient_books(osoz, clinic.private, at(monday, 8, 20), person("Bartosz", "Awaryjny")),
        patient_books(osoz, clinic.private, at(monday, 8, 40), person("Cecylia", "Awaryjna", female=True)),
    ]
    assert [page.heading for page in waiting] == [PENDING, PENDING]
    assert feed.booking_events_pull().failed
    connection = Connection.objects.get()
    assert connection.last_error and connection.outage_since is not None
    failure = AuditEvent.objects.get(action="osoz_pull_failed")
    assert failure.outcome == AuditOutcome.FAILURE and "rezerwacje nie przepadną" in failure.message
    assert list(OsozBooking.objects.all()) == [first]
    # The receptionist cancels the booking made before the outage; OSOZ cannot be told yet.
    appointment_cancel(appointment=first.appointment, source="calendar", reason="Awaria aparatu RTG.", actor=bob)
    drain()
    assert outbox_pending().filter(key=f"booking:{first.pk}").exists()

    # OSOZ answers again, then its process is gone for a while.
    osoz.faults(down=False)
    sandbox_server.stop()
    assert feed.booking_events_pull().failed
    drain()
    assert outbox_pending().filter(key=f"booking:{first.pk}").exists()
    assert osoz.bookings()[first.booking_id]["status"] == "accepted"  # its database is there, untouched

    sandbox_server.start()
    result = pull_all()
    # Three events new to the product (the first booking's too, known from its approval), two new bookings.
    assert (result.applied, result.failed, OsozBooking.objects.count()) == (3, False, 3)
    eventually(drained, what="the outbox draining after OSOZ came back")
    assert Connection.objects.get().outage_since is None
    there = osoz.bookings()
    assert (there[first.booking_id]["status"], there[first.booking_id]["reason"]) == (
        "cancelled_by_clinic",
        "Awaria aparatu RTG.",
    )
    assert sorted(row["status"] for row in there.values()) == ["accepted", "accepted", "cancelled_by_clinic"]
    assert Appointment.objects.filter(source=AppointmentSource.OSOZ, status=AppointmentStatus.BOOKED).count() == 2
    # Pulling again changes nothing.
    assert pull_all().applied == 0
    assert_both_sides_agree(osoz)


def test_duplicated_and_reordered_deliveries_apply_each_booking_and_cancellation_once(live_loop, settings):
    osoz, clinic = live_loop.osoz, live_loop.clinic
    osoz.faults(duplicate_deliveries=True, reorder_events=True)
    monday = next_day(0)
    # Approved synchronously, each approval request delivered twice.
    early = [
        patient_books(osoz, clinic.private, at(monday, 8) + timedelta(minutes=20 * n), person("Piotr", f"Podwójny{n}"))
        for n in range(3)
    ]
    assert [page.heading for page in early] == [ACCEPTED] * 3
    assert OsozBooking.objects.count() == Appointment.objects.count() == 3

    # Nobody answers the approval any more: the next bookings wait in the feed, some cancelled by their patients
    # before the product has seen them, one cancelled after it had been accepted.
    settings.OSOZ_CALLBACK_BASE_URL = f"http://127.0.0.1:{free_port()}"
    assert integration_endpoints_send()
    late = [
        patient_books(osoz, clinic.private, at(monday, 9) + timedelta(minutes=20 * n), person("Quentin", f"Późny{n}"))
        for n in range(5)
    ]
    assert [page.heading for page in late] == [PENDING] * 5
    for page in (late[0], late[1], late[4], early[0]):
        patient_cancels(osoz, page.token, "Zmiana planów.")

    result = pull_all()
    assert (result.applied, result.duplicates) == (12, 12)  # 8 bookings and 4 cancellations, each delivered twice
    # Reversed pages bring a cancellation before its booking: remembered, so the booking is never made.
    assert AuditEvent.objects.filter(action="osoz_booking_cancelled_early").count() == 3
    drain()
    assert pull_all().applied == 0
    here = assert_both_sides_agree(osoz)
    states = sorted(record.state for record in here.values())
    assert states == sorted([OsozBookingState.ACCEPTED] * 4 + [OsozBookingState.CANCELLED_BY_PATIENT] * 4), (
        "two early bookings and two late ones stay, four were cancelled by their patients"
    )
    cancelled = here[osoz.booking_of(early[0].token)[0]].appointment
    assert (cancelled.status, cancelled.cancelled_by_label) == (AppointmentStatus.CANCELLED, "OSOZ")
    assert InboundEvent.objects.filter(source="feed").count() == 12


# --- A real worker on Redis, SIGKILLed in the middle of a backlog ------------------------------------------------

BACKLOG = 1_500


@pytest.fixture
def killable_workers(settings):
    """Start Celery workers of the product (PostgreSQL and Redis only) that consume a queue of this test's own, so
    no other test's worker takes its pulls; each can be SIGKILLed. Stopped at the end."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL: a real Celery worker on Redis")
    queue = f"osoz-loop-{uuid.uuid4().hex[:8]}"
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        started.append(worker_start(settings, queues=queue))
        return started[-1]

    def pull() -> None:
        tasks.booking_events_pull.apply_async(queue=queue)

    yield SimpleNamespace(start=start, pull=pull)
    for worker in started:
        worker_stop(worker)


def _cursor() -> tuple[str, object]:
    connection = Connection.objects.get()
    return connection.booking_cursor, connection.last_pull_at


def test_a_worker_killed_mid_backlog_leaves_nothing_half_applied_and_the_next_one_finishes_it(
    killable_workers, settings, client_for, alice, sandbox_server
):
    # Two doctors, weekdays 07:00–19:00 in 15-minute visits: some 3,800 free slots over the published 8 weeks.
    location = keyed_location()
    cell = CellFactory(location=location, name="Poradnia internistyczna")
    for surname in ("Nowak", "Wiśniewski"):
        doctor = EmployeeFactory(title="lek.", last_name=surname, osoz_cells=[cell])
        ScheduleFactory(
            employee=doctor,
            cell=cell,
            is_nfz=False,
            osoz_online=True,
            blocks=[(d, clock(7), clock(19), 15) for d in range(5)],
        )
    # Nobody answers OSOZ's approval calls or nudges: the whole backlog waits in the feed.
    loop = connected_loop(
        settings,
        client_for,
        alice,
        sandbox_server,
        callback_url=f"http://127.0.0.1:{free_port()}",
        clinic=SimpleNamespace(location=location, cell=cell),
    )
    # Setting the backlog up is not what is tested: it may take minutes on a busy machine (it took over 120 s once).
    sandbox_server.manage("sandbox_bookings_generate", "--count", str(BACKLOG), timeout=600)
    assert len(loop.osoz.bookings()) == BACKLOG

    first = killable_workers.start()
    killable_workers.pull()
    eventually(lambda: _cursor()[0] != "", seconds=60, what="the first page of the backlog being committed")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    applied = OsozBooking.objects.count()
    assert 0 < applied < BACKLOG, f"the worker was killed after {applied} of {BACKLOG} bookings"
    # Whole pages only: what the killed transaction had done is gone, and the cursor is where it was committed.
    assert applied % feed.page_limit() == 0
    assert InboundEvent.objects.count() == applied
    assert Appointment.objects.filter(source=AppointmentSource.OSOZ).count() == applied

    killable_workers.start()
    killable_workers.pull()
    eventually(lambda: OsozBooking.objects.count() == BACKLOG, seconds=90, what="the rest of the backlog arriving")
    # Pulls until the cursor stops moving: one more pull finds nothing new.
    cursor, pulled_at = _cursor()
    killable_workers.pull()
    eventually(lambda: _cursor()[1] != pulled_at, seconds=30, what="another pull")
    assert _cursor()[0] == cursor
    assert OsozBooking.objects.filter(state=OsozBookingState.ACCEPTED).count() == BACKLOG

    # The backlog now arrives faster than the accepts go out: up to 1,500 of them may still be waiting.
    drain(seconds=300)
    assert not outbox_pending().exists()
    here = assert_both_sides_agree(loop.osoz)
    assert {row["status"] for row in loop.osoz.bookings().values()} == {"accepted"}
    assert len(here) == len({record.appointment_id for record in here.values()}) == BACKLOG
