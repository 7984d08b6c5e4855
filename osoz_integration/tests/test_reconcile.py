"""Reconciliation against a live sandbox of its own per test: the clinic publishes, the sandbox's copy is broken behind
the product's back (through the API with the clinic's credentials, or in the sandbox's own database), and a run finds
each difference, repairs it through the outbox and finds nothing the second time."""

import sqlite3
import uuid
from contextlib import closing
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.tests.factories import EmployeeFactory
from core.models import AuditEvent, AuditOutcome
from core.time import WARSAW
from osoz_integration import reconcile
from osoz_integration.models import OsozBooking, OsozBookingState, OutboxMessage, ReconciliationRun
from osoz_integration.selectors import outbox_pending
from osoz_integration.tests.conftest import connect
from osoz_integration.tests.osoz_bookings import keyed_clinic
from osoz_integration.tests.test_publication import Sandbox
from scheduling.models import AppointmentSource
from scheduling.services import appointment_cancel
from tests import loop
from tests.loop import (
    Osoz,
    at,
    drain,
    free_port,
    next_day,
    patient_books,
    person,
    pull_all,
)

# A sandbox of its own for each test (the loop tests' fixtures): what one test breaks no other sees.
sandbox_template = loop.sandbox_template
sandbox_server = loop.sandbox_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(published_clinic, sandbox_server, client_for, alice, settings):
    """The clinic connected to a fresh sandbox, everything published and nothing left to reconcile."""
    settings.OSOZ_CALLBACK_BASE_URL = f"http://127.0.0.1:{free_port()}"  # nobody answers: bookings start pending
    connect(client_for(alice), sandbox_server)
    drain()
    first = reconcile.reconciliation_run()
    assert (first.found, first.error) == (0, ""), first.differences
    return Sandbox(sandbox_server)


def _write(server, sql: str, *params) -> None:
    """Change the sandbox's own database, as OSOZ's staff or a restore from backup would."""
    with closing(sqlite3.connect(server.folder / "sandbox.sqlite3", timeout=20)) as db, db:
        assert db.execute(sql, params).rowcount >= 1


def _healed() -> ReconciliationRun:
    """Deliver the repairs; a second run finds nothing left."""
    drain()
    assert not outbox_pending().exists()
    again = reconcile.reconciliation_run()
    assert (again.found, again.repaired, again.error) == (0, 0, ""), again.differences
    return again


def test_an_extra_doctor_on_osoz_is_withdrawn(published, published_clinic):
    hidden = EmployeeFactory(first_name="Ewa", last_name="Zielińska", osoz_enabled=False)
    document = {
        "version": 1,
        "first_name": "Ewa",
        "last_name": "Zielińska",
        "specialisations": [],
        "access": "patient",
        "cell_ids": [str(published_clinic.cell.pk)],
        "visible": True,
    }
    assert published.http.put(f"/api/v1/doctors/{hidden.pk}", json=document).status_code == 200
    stranger = {**document, "first_name": "Obcy"}
    assert published.http.put("/api/v1/doctors/999999999", json=stranger).status_code == 200

    run = reconcile.reconciliation_run()
    assert (run.found, run.repaired) == (2, 1)
    assert run.differences == [
        {
            "kind": "doctor",
            "text": f"Lekarz {hidden}: OSOZ pokazuje pacjentom, choć Poradnia nie publikuje.",
            "repaired": True,
        },
        {
            "kind": "doctor",
            "text": "Lekarz o identyfikatorze 999999999: OSOZ pokazuje pacjentom, a w Poradni nie istnieje. Nie "
            "naprawiono automatycznie: usuń w Serwisie Świadczeniodawcy OSOZ.",
            "repaired": False,
        },
    ]
    assert set(outbox_pending().values_list("key", flat=True)) == {f"doctor:{hidden.pk}"}
    drain()
    assert published.get(f"/doctors/{hidden.pk}")["visible"] is False
    # What the product cannot repair is reported again, and nothing else.
    again = reconcile.reconciliation_run()
    assert (again.found, again.repaired) == (1, 0)


def test_a_missing_schedule_and_altered_free_slots_are_sent_again(published, published_clinic, sandbox_server):
    doctor, schedule = published_clinic.doctor, published_clinic.schedule
    _write(sandbox_server, "DELETE FROM osoz_sandbox_schedule WHERE schedule_id = ?", str(schedule.pk))
    # Three slots more on a day in the middle of the window, written with a newer version than the product's.
    day = next_day(2)
    held = published.get(
        f"/doctors/{doctor.pk}/slots", date_from=day.date().isoformat(), date_to=day.date().isoformat()
    )
    version = held["days"][0]["version"] + 1
    extra = [
        {
            "schedule_id": str(schedule.pk),
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(minutes=20)).isoformat(),
        }
        for start in (at(day, 18), at(day, 18, 20), at(day, 18, 40))
    ]
    snapshot = {"date_from": day.date().isoformat(), "date_to": day.date().isoformat(), "version": version}
    snapshot["slots"] = held["slots"] + extra
    assert published.http.put(f"/api/v1/doctors/{doctor.pk}/slots", json=snapshot).json()["applied"]

    run = reconcile.reconciliation_run()
    assert (run.found, run.repaired) == (2, 2)
    texts = [difference["text"] for difference in run.differences]
    assert texts[0] == f"Harmonogram {schedule}: brak w OSOZ, choć Poradnia publikuje."
    assert texts[1].startswith(f"Wolne terminy lekarza {doctor}: w OSOZ ")
    there, here = (int(part.split()[-1].rstrip(".")) for part in texts[1].split(": ")[1].split(", "))
    assert there == here + 3
    assert set(outbox_pending().values_list("key", flat=True)) == {f"schedule:{schedule.pk}", f"slots:{doctor.pk}"}
    _healed()
    assert published.get(f"/schedules/{schedule.pk}")["visible"] is True
    # Audited when something differed; a periodic run that found nothing is shown on Stan integracji only.
    [audit] = AuditEvent.objects.filter(action="osoz_reconciled")
    assert audit.message == "Uzgodniono dane z OSOZ: różnic 2, przekazanych do naprawy 2."


def test_a_booking_osoz_shows_as_booked_though_the_clinic_cancelled_it_is_cancelled_again(
    sandbox_server,
    client_for,
    alice,
    bob,
    settings,
):
    clinic = keyed_clinic()
    settings.OSOZ_CALLBACK_BASE_URL = f"http://127.0.0.1:{free_port()}"
    connect(client_for(alice), sandbox_server)
    drain()
    osoz = Osoz(sandbox_server)
    starts_at = at(next_day(0), 9)
    patient_books(osoz, clinic.private, starts_at, person("Jan", "Wiśniewski"))
    pull_all()
    drain()
    booking = OsozBooking.objects.get()
    assert booking.osoz_state == OsozBookingState.ACCEPTED
    appointment_cancel(appointment=booking.appointment, source=AppointmentSource.CALENDAR, reason="", actor=bob)
    drain()
    assert osoz.bookings()[booking.booking_id]["status"] == "cancelled_by_clinic"
    _write(
        sandbox_server,
        "UPDATE osoz_sandbox_booking SET status = 'accepted' WHERE booking_id = ?",
        uuid.UUID(str(booking.booking_id)).hex,
    )

    run = reconcile.reconciliation_run()
    assert (run.found, run.repaired) == (1, 1), run.differences
    (booking_text,) = [difference["text"] for difference in run.differences]
    assert booking_text.startswith("Wizyta na ")
    assert "w OSOZ „przyjęta” na " in booking_text and "w Poradni „odwołana przez placówkę” na " in booking_text
    booking.refresh_from_db()
    assert booking.osoz_state == OsozBookingState.ACCEPTED and booking.state == OsozBookingState.CANCELLED_BY_CLINIC
    _healed()
    assert osoz.bookings()[booking.booking_id]["status"] == "cancelled_by_clinic"


def test_an_unreachable_osoz_is_recorded_and_nothing_changes(published, sandbox_server):
    rows = list(OutboxMessage.objects.order_by("pk").values())
    sandbox_server.stop()
    run = reconcile.reconciliation_run()
    assert run.error.startswith("Nie można połączyć się z OSOZ") and run.finished_at
    assert (run.found, run.repaired, run.differences) == (0, 0, [])
    assert list(OutboxMessage.objects.order_by("pk").values()) == rows
    failure = AuditEvent.objects.get(action="osoz_reconciliation_failed")
    assert failure.outcome == AuditOutcome.FAILURE
    assert failure.message.startswith("Nie udało się uzgodnić danych z OSOZ: Nie można połączyć się z OSOZ")
    assert failure.message.endswith(". Niczego nie zmieniono.")


def test_nothing_runs_while_the_integration_is_off(published_clinic, sandbox_server, client_for, alice):
    connect(client_for(alice), sandbox_server, switch_on=False)
    assert reconcile.reconciliation_run() is None
    response = client_for(alice).post(reverse("osoz_integration:reconciliation_start"), follow=True)
    assert "integracja jest wyłączona" in response.content.decode()
    assert not ReconciliationRun.objects.exists()


def test_a_run_under_way_keeps_another_from_starting_until_it_is_stale(published):
    running = ReconciliationRun.objects.create(started_at=timezone.now() - timedelta(minutes=1))
    assert reconcile.reconciliation_run() is None
    ReconciliationRun.objects.filter(pk=running.pk).update(started_at=timezone.now() - timedelta(hours=1))
    assert reconcile.reconciliation_run().found == 0
    running.refresh_from_db()
    assert running.finished_at and running.error.startswith("Przerwane")


def test_an_administrator_reconciles_now_from_stan_integracji(published, client_for, alice):
    page = client_for(alice)
    response = page.post(reverse("osoz_integration:reconciliation_start"), follow=True)
    content = response.content.decode()
    assert "Uzgodniono dane z OSOZ: różnic 0, przekazanych do naprawy 0." in content
    assert "Uzgodnij teraz" in content and "Następne uzgodnienie" in content
    run = ReconciliationRun.objects.latest("started_at")
    expected = (run.started_at + timedelta(minutes=15)).astimezone(WARSAW)
    assert expected.strftime("%d.%m.%Y %H:%M") in content
    audit = AuditEvent.objects.filter(action="osoz_reconciled").latest("pk")
    assert audit.actor_id == alice.pk


def test_runs_older_than_a_month_are_forgotten_as_a_new_one_starts(published):
    now = timezone.now()
    old, kept = (
        ReconciliationRun.objects.create(started_at=now - age, finished_at=now - age)
        for age in (reconcile.RUNS_KEPT + timedelta(hours=1), reconcile.RUNS_KEPT - timedelta(hours=1))
    )
    run = reconcile.reconciliation_run()
    assert set(ReconciliationRun.objects.values_list("pk", flat=True)) >= {kept.pk, run.pk}
    assert not ReconciliationRun.objects.filter(pk=old.pk).exists()
