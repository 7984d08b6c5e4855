"""TV-8 through OSOZ (contract 1.5.0): accepting a televisit booking hands OSOZ the patient's link — in the approval
call's BookingDecision and in the accept command of a booking that came through the feed — and a move hands it the
new one; a visit carries none. The link is the televisit app's (televisit_patient_link). Every request is checked
against the contract (conftest.sent)."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from core.time import WARSAW
from osoz_integration import bookings, interface
from osoz_integration.bookings_out import booking_enqueue
from osoz_integration.models import OsozBooking, OsozBookingPath, OsozBookingState
from osoz_integration.tests.osoz_bookings import booking_document, connected, keyed_clinic, next_weekday, signed_headers
from osoz_integration.tests.test_bookings_out import FakeOsoz, at, drain, online_booking, osoz  # noqa: F401
from scheduling.models import Appointment, AppointmentKind
from scheduling.services import appointment_move
from televisit.services import televisit_patient_link

pytestmark = pytest.mark.django_db

APPROVAL = reverse("osoz_booking_approval")


@pytest.fixture
def clinic():
    clinic = keyed_clinic()
    clinic.private.televisit_possible = True
    clinic.private.save(update_fields=["televisit_possible"])
    return clinic


def approve(client, document: dict):
    body = json.dumps(document).encode()
    return client.post(APPROVAL, body, content_type="application/json", **signed_headers(body))


def test_the_approval_answer_to_a_televisit_carries_the_patients_link(client, clinic):
    connected()
    answer = approve(client, booking_document(clinic, starts_at=next_weekday(0, 9), kind="televisit"))
    assert answer.status_code == 200, answer.content
    decision = answer.json()
    interface.contract_check("BookingDecision", decision)
    appointment = Appointment.objects.get()
    assert appointment.kind == AppointmentKind.TELEVISIT
    assert decision == {
        "decision": "accepted",
        "reason": None,
        "appointment_ref": str(appointment.pk),
        "televisit_url": televisit_patient_link(appointment=appointment),
    }
    assert decision["televisit_url"].startswith("http://127.0.0.1:8000/")  # PORADNIA_PUBLIC_URL


def test_a_visits_approval_and_a_refusal_carry_no_link(client, clinic):
    connected()
    visit = approve(client, booking_document(clinic, starts_at=next_weekday(0, 9))).json()
    assert visit["decision"] == "accepted" and "televisit_url" not in visit
    taken = approve(client, booking_document(clinic, starts_at=next_weekday(0, 9), kind="televisit")).json()
    assert taken["decision"] == "rejected" and "televisit_url" not in taken
    interface.contract_check("BookingDecision", taken)


def test_a_repeated_approval_gets_the_same_link(clinic):
    connected()
    document = booking_document(clinic, starts_at=next_weekday(1, 10), kind="televisit")
    booking = interface.Booking.from_json(document)
    first = bookings.booking_apply(booking=booking, path=OsozBookingPath.APPROVAL)
    again = bookings.booking_apply(booking=booking, path=OsozBookingPath.APPROVAL)
    assert first == again and first.televisit_url


def televisit_booking(clinic, *, state: str, osoz_state: str) -> OsozBooking:
    clinic.schedule.televisit_possible = True
    clinic.schedule.save(update_fields=["televisit_possible"])
    record = online_booking(clinic, state=state, osoz_state=osoz_state, starts_at=at(2, 9))
    Appointment.objects.filter(pk=record.appointment_id).update(kind=AppointmentKind.TELEVISIT)
    record.refresh_from_db()
    return record


def test_the_accept_command_of_a_feed_booking_carries_the_link(published_clinic, osoz):  # noqa: F811
    televisit = televisit_booking(published_clinic, state=OsozBookingState.ACCEPTED, osoz_state="pending")
    visit = online_booking(published_clinic, state=OsozBookingState.ACCEPTED, osoz_state="pending", starts_at=at(2, 10))
    for record in (televisit, visit):
        osoz.holds(record, "pending", published_clinic)
    booking_enqueue(televisit, visit)
    drain()
    bodies = {booking_id: body for action, booking_id, body, _key in osoz.applied if action == "accept"}
    link = televisit_patient_link(appointment=televisit.appointment)
    assert bodies[str(televisit.booking_id)] == {
        "appointment_ref": str(televisit.appointment_id),
        "televisit_url": link,
    }
    assert bodies[str(visit.booking_id)] == {"appointment_ref": str(visit.appointment_id)}


def test_a_moved_televisit_hands_osoz_its_new_link(published_clinic, osoz, alice):  # noqa: F811
    record = televisit_booking(published_clinic, state=OsozBookingState.ACCEPTED, osoz_state="accepted")
    osoz.holds(record, "accepted", published_clinic)
    old_link = televisit_patient_link(appointment=record.appointment)
    moved = appointment_move(
        appointment=record.appointment, starts_at=record.appointment.starts_at + timedelta(minutes=60), actor=alice
    )
    drain()
    ((action, _id, body, _key),) = osoz.applied
    assert action == "move"
    assert body["starts_at"] == moved.starts_at.astimezone(WARSAW).isoformat()
    assert body["televisit_url"] == televisit_patient_link(appointment=moved) != old_link
