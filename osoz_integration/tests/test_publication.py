"""Publication against the live sandbox (OSZ-2, OSZ-3, SCH-5, CAL-5, STR-5, OSZ-11, OSZ-12): the clinic is
connected through the real wizard, changes go through the product's services into the outbox, the drain is called
directly, and what the sandbox holds is read back over its API and its patient site."""

import re
from datetime import datetime, time, timedelta

import httpx
import pytest
from django.utils import timezone

from clinic.services import employee_update, location_update
from core.changes import changes_record
from core.crypto import secret_decrypt
from core.models import AuditCategory, AuditEvent, AuditOutcome
from osoz_integration import client as osoz_client
from osoz_integration import outbox, publication, tasks
from osoz_integration.models import OutboxMessage
from osoz_integration.selectors import connection_get, outbox_pending
from osoz_integration.tests.conftest import SANDBOX_ENTITY_ID, connect
from patients.tests.factories import PatientFactory
from scheduling.changes import ScheduleChanged
from scheduling.models import AppointmentSource
from scheduling.selectors import free_slots, online_schedules
from scheduling.services import (
    BlockSpec,
    appointment_book,
    appointment_cancel,
    schedule_save,
    slot_remove,
    slot_restore,
)

pytestmark = pytest.mark.django_db


class Sandbox:
    """What the sandbox holds, read with the clinic's own credentials (API) or as a patient (the LBK site)."""

    def __init__(self, server):
        connection = connection_get()
        self.url = server.url
        token = httpx.post(
            f"{server.url}/api/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(connection.client_id, secret_decrypt(connection.client_secret_encrypted).decode()),
        ).json()["access_token"]
        self.http = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)

    def get(self, path: str, **params) -> dict:
        response = self.http.get(f"/api/v1{path}", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def slots(self, doctor) -> set[tuple[str, datetime]]:
        date_from, date_to = publication.publication_window(timezone.localdate())
        state = self.get(f"/doctors/{doctor.pk}/slots", date_from=date_from.isoformat(), date_to=date_to.isoformat())
        return _later({(slot["schedule_id"], datetime.fromisoformat(slot["starts_at"])) for slot in state["slots"]})

    def doctor_page(self, doctor) -> httpx.Response:
        return httpx.get(f"{self.url}/lbk/lekarz/{SANDBOX_ENTITY_ID}/{doctor.pk}/", timeout=10)


def _later(slots: set[tuple[str, datetime]]) -> set[tuple[str, datetime]]:
    """Slots from an hour on: the two sides are compared at slightly different moments."""
    limit = timezone.now() + timedelta(hours=1)
    return {slot for slot in slots if slot[1] > limit}


def engine_slots(doctor) -> set[tuple[str, datetime]]:
    date_from, date_to = publication.publication_window(timezone.localdate())
    found = free_slots(
        employee_ids=[doctor.pk],
        date_from=date_from,
        date_to=date_to,
        not_before=timezone.now(),
        schedules=online_schedules(employee_id=doctor.pk),
    )[doctor.pk]
    return _later({(str(slot.schedule_id), slot.starts_at) for slot in found})


def book(doctor, starts_at: datetime):
    return appointment_book(
        employee_id=doctor.pk, starts_at=starts_at, patient=PatientFactory(), source=AppointmentSource.CALENDAR
    )


def sent_puts(sent) -> list[str]:
    """The resources PUT since the list was last cleared, as paths under /api/v1/."""
    return [request.url.path.removeprefix("/api/v1/") for request in sent if request.method == "PUT"]


@pytest.fixture
def connected(published_clinic, osoz_sandbox_server, client_for, alice, sent):
    """The clinic connected through the wizard with the integration on, and its first publication delivered."""
    connect(client_for(alice), osoz_sandbox_server)
    result = outbox.outbox_drain()
    assert result.sent == 4 and not result.failed and not outbox_pending().exists()
    sent.clear()
    return Sandbox(osoz_sandbox_server)


def test_connecting_publishes_the_clinic_and_the_sandbox_offers_exactly_the_engines_free_slots(
    connected, published_clinic
):
    doctor = published_clinic.doctor
    expected = engine_slots(doctor)
    assert len(expected) > 100
    assert connected.slots(doctor) == expected
    location = connected.get(f"/locations/{published_clinic.location.osoz_unit_number}")
    assert location["visible"] and location["cells"] == [
        {"cell_id": str(published_clinic.cell.pk), "name": "Poradnia internistyczna"}
    ]
    assert location["public_key_pem"] == published_clinic.location.public_key_pem
    assert connected.get(f"/doctors/{doctor.pk}")["visible"]
    page = connected.doctor_page(doctor)
    assert page.status_code == 200 and "Kowalski" in page.text
    messages = list(
        AuditEvent.objects.filter(category=AuditCategory.INTEGRATION, action="osoz_published").values_list(
            "message", flat=True
        )
    )
    assert any(message.startswith("Opublikowano w OSOZ lokalizację „") for message in messages)
    assert f"Opublikowano w OSOZ lekarza {doctor} (komórki: Poradnia internistyczna)." in messages
    slots_message = next(message for message in messages if "wolne terminy" in message)
    assert slots_message.startswith(f"Opublikowano w OSOZ wolne terminy lekarza {doctor} (8 tygodni, ")
    assert slots_message.endswith(" terminów).") or slots_message.endswith(" terminy).")


def test_a_local_booking_takes_the_slot_off_the_sandbox_and_a_cancellation_brings_it_back(
    connected, published_clinic, sent
):
    doctor = published_clinic.doctor
    schedule_id, starts_at = min(engine_slots(doctor), key=lambda slot: slot[1])
    appointment = book(doctor, starts_at)
    assert list(outbox_pending().values_list("key", flat=True)) == [f"slots:{doctor.pk}"]
    outbox.outbox_drain()
    on_sandbox = connected.slots(doctor)
    assert (schedule_id, starts_at) not in on_sandbox and on_sandbox == engine_slots(doctor)
    appointment_cancel(appointment=appointment, source=AppointmentSource.CALENDAR, reason="Pacjent zrezygnował")
    outbox.outbox_drain()
    assert (schedule_id, starts_at) in connected.slots(doctor)
    assert sent_puts(sent) == [f"doctors/{doctor.pk}/slots"] * 2


def test_a_removed_slot_is_blocked_in_the_sandbox_and_restoring_it_offers_it_again(connected, published_clinic, alice):
    doctor = published_clinic.doctor
    schedule_id, starts_at = sorted(engine_slots(doctor), key=lambda slot: slot[1])[3]
    removed = slot_remove(employee_id=doctor.pk, starts_at=starts_at, actor=alice, reason="Szkolenie")
    outbox.outbox_drain()
    assert (schedule_id, starts_at) not in connected.slots(doctor)
    slot_restore(removed=removed)
    outbox.outbox_drain()
    assert (schedule_id, starts_at) in connected.slots(doctor)


def test_a_burst_of_changes_to_one_doctor_is_sent_as_one_message(connected, published_clinic, sent):
    doctor = published_clinic.doctor
    slots = sorted(engine_slots(doctor), key=lambda slot: slot[1])
    versions = []
    for _schedule_id, starts_at in slots[:5]:
        book(doctor, starts_at)
        versions.append(OutboxMessage.objects.get(key=f"slots:{doctor.pk}").version)
    assert versions == sorted(set(versions)), "every change raises the version"
    assert outbox_pending().count() == 1
    assert outbox.outbox_drain().sent == 1
    assert sent_puts(sent) == [f"doctors/{doctor.pk}/slots"]
    assert connected.slots(doctor) == engine_slots(doctor)


def test_a_burst_of_changes_asks_a_worker_for_one_drain_and_a_change_after_it_started_for_the_next(
    connected, published_clinic, monkeypatch, django_capture_on_commit_callbacks
):
    """Each change asks for a drain after its commit; however many there are, one drain task waits in the broker."""
    doctor = published_clinic.doctor
    requested = []
    monkeypatch.setattr(tasks.outbox_drain, "apply_async", lambda **options: requested.append(options))
    slots = sorted(engine_slots(doctor), key=lambda slot: slot[1])
    for _schedule_id, starts_at in slots[:20]:
        with django_capture_on_commit_callbacks(execute=True):
            book(doctor, starts_at)
    assert len(requested) == 1

    tasks.outbox_drain()  # as the worker runs the one it was given
    assert not outbox_pending().exists() and len(requested) == 1
    with django_capture_on_commit_callbacks(execute=True):
        book(doctor, slots[20][1])
    assert len(requested) == 2
    assert connected.slots(doctor) != engine_slots(doctor)


def test_a_change_made_while_its_message_is_being_sent_is_sent_again(connected, published_clinic, sent, monkeypatch):
    doctor = published_clinic.doctor
    first, second = sorted(engine_slots(doctor), key=lambda slot: slot[1])[:2]
    book(doctor, first[1])
    meanwhile = []

    def booking_meanwhile(request):
        # The document is already built when it is sent, so this booking is not in it.
        if request.method == "PUT" and not meanwhile:
            meanwhile.append(book(doctor, second[1]))

    monkeypatch.setattr(osoz_client, "REQUEST_HOOKS", [*osoz_client.REQUEST_HOOKS, booking_meanwhile])
    assert outbox.outbox_drain().sent == 1
    assert meanwhile and second in connected.slots(doctor)
    assert OutboxMessage.objects.get(key=f"slots:{doctor.pk}").is_pending
    assert outbox.outbox_drain().sent == 1
    assert not outbox_pending().exists()
    assert second not in connected.slots(doctor) and connected.slots(doctor) == engine_slots(doctor)


def test_saving_a_schedule_publishes_it_with_the_znanylekarz_flag_and_its_slots(connected, published_clinic, alice):
    schedule = published_clinic.schedule
    schedule.televisit_only = True
    schedule_save(
        schedule=schedule, blocks=[BlockSpec(weekday, time(8), time(11), 15) for weekday in range(5)], actor=alice
    )
    assert set(outbox_pending().values_list("key", flat=True)) == {
        f"schedule:{schedule.pk}",
        f"slots:{published_clinic.doctor.pk}",
    }
    outbox.outbox_drain()
    published = connected.get(f"/schedules/{schedule.pk}")
    assert published["attributes"]["televisit_only"] and published["znanylekarz_offer"] is False
    assert connected.slots(published_clinic.doctor) == engine_slots(published_clinic.doctor)
    schedule.televisit_only, schedule.televisit_possible = False, True
    schedule_save(schedule=schedule, blocks=[BlockSpec(0, time(8), time(11), 15)], actor=alice)
    outbox.outbox_drain()
    assert connected.get(f"/schedules/{schedule.pk}")["znanylekarz_offer"] is True
    assert AuditEvent.objects.filter(message__contains="oferowany w ZnanyLekarz").exists()


def test_hiding_the_doctor_then_the_location_withdraws_them_from_the_sandbox(connected, published_clinic, alice):
    doctor, location = published_clinic.doctor, published_clinic.location
    employee_update(
        employee=doctor,
        data={"osoz_enabled": False},
        specialisations=doctor.osoz_specialisations.all(),
        cells=[published_clinic.cell],
        osoz_cells=[published_clinic.cell],
        actor=alice,
    )
    outbox.outbox_drain()
    assert connected.get(f"/doctors/{doctor.pk}")["visible"] is False
    assert connected.get(f"/schedules/{published_clinic.schedule.pk}")["visible"] is False
    assert connected.doctor_page(doctor).status_code == 404
    assert AuditEvent.objects.filter(
        message=f"Wycofano z OSOZ lekarza {doctor} wraz z jego harmonogramami i wolnymi terminami."
    ).exists()
    # Once withdrawn, his bookings no longer concern OSOZ.
    book(doctor, min(engine_slots_all(doctor)))
    assert not outbox_pending().exists()

    location_update(location=location, data={"osoz_enabled": False}, actor=alice)
    outbox.outbox_drain()
    assert connected.get(f"/locations/{location.osoz_unit_number}")["visible"] is False
    assert AuditEvent.objects.filter(message__startswith=f"Wycofano z OSOZ lokalizację „{location.name}”").exists()


def engine_slots_all(doctor) -> list[datetime]:
    date_from, date_to = publication.publication_window(timezone.localdate())
    found = free_slots(employee_ids=[doctor.pk], date_from=date_from, date_to=date_to, not_before=timezone.now())
    return [slot.starts_at for slot in found[doctor.pk] if slot.starts_at > timezone.now() + timedelta(hours=1)]


def test_nothing_is_lost_while_the_sandbox_is_down_and_each_message_goes_once_when_it_is_back(
    connected, published_clinic, osoz_sandbox_server, alice, sent
):
    doctor, location = published_clinic.doctor, published_clinic.location
    slots = sorted(engine_slots(doctor), key=lambda slot: slot[1])
    osoz_sandbox_server.stop()
    try:
        for _schedule_id, starts_at in slots[:3]:
            book(doctor, starts_at)
        slot_remove(employee_id=doctor.pk, starts_at=slots[5][1], actor=alice)
        location_update(location=location, data={"phone": "61 000 00 00"}, actor=alice)
        pending = set(outbox_pending().values_list("key", flat=True))
        assert pending == {f"slots:{doctor.pk}", f"location:{location.pk}"}
        result = outbox.outbox_drain()
        assert result.unreachable and result.sent == 0
        assert set(outbox_pending().values_list("key", flat=True)) == pending
        failure = AuditEvent.objects.filter(outcome=AuditOutcome.FAILURE).latest("id")
        assert failure.message.startswith(f"Nie udało się opublikować w OSOZ lokalizacji „{location.name}”: ")
        assert "Ponowienie o " in failure.message
        assert connection_get().last_error.startswith("Nie można połączyć się z OSOZ")
        # More changes while OSOZ is still down join the same pending messages.
        book(doctor, slots[4][1])
        assert outbox_pending().count() == 2
    finally:
        osoz_sandbox_server.start()
    sent.clear()
    later = outbox.outbox_drain(now=timezone.now() + timedelta(hours=1))
    assert later.sent == 2 and not outbox_pending().exists()
    assert sorted(sent_puts(sent)) == [f"doctors/{doctor.pk}/slots", f"locations/{location.osoz_unit_number}"]
    assert outbox.outbox_drain(now=timezone.now() + timedelta(hours=1)).sent == 0
    assert connected.slots(doctor) == engine_slots(doctor)
    assert connected.get(f"/locations/{location.osoz_unit_number}")["address"]["phone"] == "61 000 00 00"


def test_a_document_osoz_refuses_is_parked_until_the_next_change(connected, published_clinic, alice):
    location = published_clinic.location
    # Valid by the contract's schema, refused by OSOZ's own check of the key.
    broken_key = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
    type(location).objects.filter(pk=location.pk).update(public_key_pem=broken_key)
    location_update(location=location, data={"phone": "61 111 11 11"}, actor=alice)
    result = outbox.outbox_drain()
    assert result.failed == 1 and result.sent == 0
    message = OutboxMessage.objects.get(key=f"location:{location.pk}")
    assert message.next_attempt_at is None and message.is_pending
    failure = AuditEvent.objects.get(action="osoz_publication_failed")
    assert failure.message.startswith(f"OSOZ odrzucił publikację lokalizacji „{location.name}”: ")
    assert outbox.outbox_drain(now=timezone.now() + timedelta(days=1)).failed == 0
    assert "klucz publiczny" in message.last_error.lower() or "PEM" in message.last_error
    type(location).objects.filter(pk=location.pk).update(public_key_pem=published_clinic.location.public_key_pem)
    location_update(location=location, data={"phone": "61 222 22 22"}, actor=alice)
    assert outbox.outbox_drain().sent == 1 and not outbox_pending().exists()


def test_nothing_is_queued_while_the_integration_is_off_or_for_doctors_osoz_does_not_show(
    published_clinic, osoz_sandbox_server, client_for, alice
):
    doctor = published_clinic.doctor
    connect(client_for(alice), osoz_sandbox_server, switch_on=False)
    book(doctor, min(engine_slots_all(doctor)))
    assert not OutboxMessage.objects.exists()
    client_for(alice).post("/ustawienia/osoz/integracja/", {"enabled": "on"})
    assert OutboxMessage.objects.count() == 4
    outbox.outbox_drain()
    online_schedules(employee_id=doctor.pk).update(osoz_online=False)
    hidden = published_clinic.schedule
    hidden.refresh_from_db()
    changes_record(ScheduleChanged(schedule_id=hidden.pk))
    outbox.outbox_drain()
    assert not outbox_pending().exists()
    book(doctor, min(engine_slots_all(doctor)))
    assert not outbox_pending().exists(), "a doctor without schedules in OSOZ is not republished on bookings"


def test_first_free_slot_schedules_show_one_slot_a_day_on_the_patient_site(connected, published_clinic, alice):
    schedule = published_clinic.schedule
    schedule.first_free_only = True
    schedule_save(
        schedule=schedule, blocks=[BlockSpec(weekday, time(8), time(12), 20) for weekday in range(5)], actor=alice
    )
    outbox.outbox_drain()
    assert connected.get(f"/schedules/{schedule.pk}")["attributes"]["first_free_only"] is True

    def offered_by_day() -> list[list[datetime]]:
        page = connected.doctor_page(published_clinic.doctor)
        assert page.status_code == 200
        days = page.text.split('<div class="day">')[1:]
        return [
            [datetime.fromisoformat(value) for value in re.findall(r'<time datetime="([^"]+)"', day)] for day in days
        ]

    offered = [slots for slots in offered_by_day() if slots]
    assert offered and all(len(slots) == 1 for slots in offered)
    # Once the first free slot of a day is booked, the next one of that day is offered: still one, and no gap.
    first = offered[0][0]
    book(published_clinic.doctor, first)
    outbox.outbox_drain()
    offered = [slots for slots in offered_by_day() if slots]
    assert all(len(slots) == 1 for slots in offered)
    assert first + timedelta(minutes=20) in [slots[0] for slots in offered]
    assert first not in [slots[0] for slots in offered]
