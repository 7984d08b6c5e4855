"""A burst of 2,000 changes, then an outage (OSZ-3, OSZ-4, OSZ-10), run as production runs it: the product under
uvicorn, a publication worker with the beat on the default queue and a worker of the live queue (config/celery.py),
on PostgreSQL and Redis. Every change asks for a drain; the bookings made on OSOZ and the connection monitor must not
wait behind them. Timings are `make bench`'s (benchmark 7); this checks that it all happens and ends in agreement.

Its workers consume the default queue, as tests/test_worker.py's does: the two share an xdist group, so neither takes
the other's drains."""

import os
from datetime import timedelta

import pytest
from django.db.models import F

from config.celery import LIVE_QUEUE, app
from core.models import AuditEvent
from osoz_integration import tasks
from osoz_integration.models import Connection, OsozBooking
from osoz_integration.selectors import outbox_pending
from osoz_integration.tests.test_publication import Sandbox, engine_slots
from patients.tests.factories import PatientFactory
from scheduling.models import Appointment, AppointmentSource, AppointmentStatus
from scheduling.services import appointment_book, appointment_cancel
from tests.loop import (
    assert_both_sides_agree,
    at,
    connected_loop,
    eventually,
    next_day,
    patient_books,
    patient_cancels,
    person,
)
from tests.test_worker import worker_start, worker_stop

pytestmark = [
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: real Celery workers on Redis"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_specialisations"),
    pytest.mark.xdist_group("celery-default-queue"),
]

BURST = 2_000  # changes: a booking and its cancellation are two


@pytest.fixture
def celery_worker(settings, tmp_path):
    """The two workers of docker-compose.yml, the beat inside the publication one (as `make demo` runs it), pulling
    the booking feed every second; stopped at the end, the queues they read emptied."""
    env = {"OSOZ_BOOKING_PULL_SECONDS": "1", "OSOZ_MAX_ATTEMPTS": "1", "OSOZ_OUTBOX_RETRY_SECONDS": "1"}
    beat = ("--beat", "--schedule", str(tmp_path / "celerybeat-schedule"))
    workers = [worker_start(settings, options=beat, **env), worker_start(settings, queues=LIVE_QUEUE, **env)]
    yield
    for worker in workers:
        worker_stop(worker)
    with app.connection_for_write() as connection:
        for queue in (app.conf.task_default_queue, LIVE_QUEUE):
            connection.default_channel.queue_purge(queue)


@pytest.fixture
def live_loop(settings, client_for, alice, sandbox_server, asgi_live_server):
    settings.OSOZ_MAX_ATTEMPTS = 1
    return connected_loop(settings, client_for, alice, sandbox_server, callback_url=asgi_live_server.url)


def test_after_a_burst_of_changes_a_patients_cancellation_and_an_outage_come_through(live_loop, celery_worker, bob):
    osoz, clinic = live_loop.osoz, live_loop.clinic
    monday = next_day(0)
    booked = patient_books(osoz, clinic.private, at(monday, 8), person("Anna", "Pośpieszna", female=True))
    online = OsozBooking.objects.get().appointment

    # The receptionist's burst: every slot of the private schedule but the patient's, booked and cancelled over and
    # over, each change committed on its own and asking for a drain.
    days = [monday + timedelta(days=day) for day in (0, 1, 2)]
    slots = [at(day, 8, 20) + timedelta(minutes=20 * n) for day in days for n in range(11)]
    patient = PatientFactory()
    for n in range(BURST // 2):
        appointment = appointment_book(
            employee_id=clinic.doctor.pk,
            starts_at=slots[n % len(slots)],
            patient=patient,
            source=AppointmentSource.CALENDAR,
            actor=bob,
        )
        appointment_cancel(appointment=appointment, source="calendar", reason="Pomyłka.", actor=bob)
    # Right after it, the patient cancels on LBK: the nudge's pull goes to the live queue.
    patient_cancels(osoz, booked.token, "Nie mogę przyjść.")
    eventually(
        lambda: Appointment.objects.filter(pk=online.pk, status=AppointmentStatus.CANCELLED).exists(),
        seconds=30,
        what="the patient's cancellation reaching the calendar",
    )

    # OSOZ goes down: the live worker's pulls notice it, and its connection monitor tells the administrators once the
    # outage is older than they allow (moved back here rather than waited for).
    osoz.faults(down=True)
    connection = Connection.objects.filter(pk=Connection.SINGLETON_ID)
    eventually(lambda: connection.filter(outage_since__isnull=False).exists(), seconds=30, what="noticing the outage")
    # A call that left before OSOZ went down may still come back successful and end the outage just noticed, and the
    # next failure starts it afresh: so the outage is moved back, and the monitor asked, until the notice is there.
    older = timedelta(minutes=connection.get().outage_alert_minutes, seconds=1)

    def told():
        if connection.filter(outage_since__isnull=False).update(outage_since=F("outage_since") - older):
            tasks.connection_monitor.apply_async()
        return AuditEvent.objects.filter(action="osoz_outage_alerted").exists()

    eventually(told, seconds=30, what="the notice", poll=1)

    # OSOZ is back: the outage ends, the backlog of the burst drains, and both sides agree.
    osoz.faults(down=False)
    eventually(lambda: connection.filter(outage_since__isnull=True).exists(), seconds=60, what="the end of the outage")
    eventually(lambda: not outbox_pending().exists(), seconds=60, what="the backlog draining")
    assert AuditEvent.objects.filter(action="osoz_outage_ended").exists()
    assert_both_sides_agree(osoz)
    assert Sandbox(osoz.server).slots(clinic.doctor) == engine_slots(clinic.doctor)
