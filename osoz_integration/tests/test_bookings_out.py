"""What OSOZ is told about its bookings (OSZ-5, OSZ-7, OSZ-8, CAL-4): accept, reject, and the clinic's cancellations
and moves of online bookings, through the outbox. OSOZ is an in-memory stand-in behind httpx.MockTransport that keeps
the booking states and the Idempotency-Key replays of the contract; every request is also checked against the
contract (conftest.sent)."""

import json
import random
import re
import socket
import uuid
from datetime import date, datetime, time, timedelta

import httpx
import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic.models import Location
from core.crypto import keypair_generate, seal, secret_encrypt
from core.models import AuditEvent, AuditOutcome
from core.time import WARSAW
from osoz_integration import bookings, feed, interface, outbox, services
from osoz_integration.bookings_out import CANCEL_REASON, MOVE_REASON, booking_enqueue
from osoz_integration.models import OsozBooking, OsozBookingPath, OsozBookingState, OutboxMessage, outbox_key
from osoz_integration.selectors import connection_get, outbox_pending
from osoz_integration.tests.conftest import SANDBOX_ENTITY_ID, connect
from osoz_integration.tests.osoz_bookings import connected, osoz_stand_in
from osoz_integration.tests.test_publication import engine_slots
from patients.models import Sex
from patients.pesel import pesel_make
from patients.tests.factories import PatientFactory
from scheduling.models import AppointmentSource, AppointmentStatus
from scheduling.services import appointment_book, appointment_cancel, appointment_move

pytestmark = pytest.mark.django_db

STATUS = reverse("osoz_integration:status")
SWITCH = reverse("osoz_integration:connection_switch")

SET1 = "Przepraszamy, ale nie możesz się umówić się na pierwszą wizytę NFZ samodzielnie. Prosimy o kontakt z placówką"
BOOKING_PATH = re.compile(r"^/api/v1/bookings/(?P<booking_id>[0-9a-f-]{36})/(?P<action>accept|reject|cancel|move)$")
# The states OSOZ allows each command from, and the state it leaves; a repeat in the target state is answered 200.
TRANSITIONS = {
    "accept": ({"pending"}, "accepted"),
    "reject": ({"pending"}, "rejected"),
    "cancel": ({"accepted"}, "cancelled_by_clinic"),
    "move": ({"accepted"}, "accepted"),
}


def _problem(status: int, code: str, detail: str) -> httpx.Response:
    body = {"type": f"urn:osoz:problem:{code}", "title": code, "status": status, "detail": detail, "code": code}
    return httpx.Response(status, json=body, headers={"Content-Type": "application/problem+json"})


def _conflict(booking: dict) -> httpx.Response:
    """409 booking-state-conflict with the booking as OSOZ holds it (contract 1.1)."""
    response = _problem(409, "booking-state-conflict", f"Rezerwacja ma już stan „{booking['status']}”.")
    return httpx.Response(409, json={**response.json(), "booking": dict(booking)}, headers=response.headers)


class FakeOsoz:
    """The booking commands of the contract: states, 409 booking-state-conflict with the booking as it holds it, and
    Idempotency-Key replays."""

    def __init__(self):
        self.bookings: dict[str, dict] = {}
        self.replies: dict[str, dict] = {}
        self.applied: list[tuple[str, str, dict, str]] = []  # (action, booking id, body, key) of each change made
        self.keys: list[str] = []  # the Idempotency-Key of every booking command received, retries included
        self.refuse: list[httpx.Response] = []  # answered, before any change, to the next commands
        self.lose_answers = 0  # that many changes are made but answered 503, as if the answer was lost

    def holds(self, booking: OsozBooking, status: str, clinic) -> None:
        """OSOZ has this booking (made in the clinic's published schedule) in that state."""
        personal = {"first_name": "Jan", "last_name": "Nowak", "email": "jan.nowak@example.com"}
        self.bookings[str(booking.booking_id)] = {
            "booking_id": str(booking.booking_id),
            "status": status,
            "channel": booking.channel,
            "doctor_id": str(clinic.doctor.pk),
            "schedule_id": str(clinic.schedule.pk),
            "location_unit_number": clinic.location.osoz_unit_number,
            "cell_id": str(clinic.cell.pk),
            "starts_at": booking.starts_at.astimezone(WARSAW).isoformat(),
            "ends_at": (booking.starts_at + timedelta(minutes=20)).astimezone(WARSAW).isoformat(),
            "kind": "visit",
            "nfz": False,
            "patient_note": "",
            "osoz_card_number": None,
            "personal_data": json.loads(
                seal(public_pem=clinic.location.public_key_pem, plaintext=json.dumps(personal).encode())
            ),
            "appointment_ref": None,
            "reason": None,
            "created_at": booking.received_at.astimezone(WARSAW).isoformat(),
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/oauth/token":
            token = {"access_token": "t", "token_type": "Bearer", "expires_in": 3600, "scope": "osoz.provider"}
            return httpx.Response(200, json=token)
        if request.method == "PUT":  # the doctor's slots, republished by the same changes
            return httpx.Response(200, json={"applied": True, "version": 1, "applied_days": 1, "ignored_days": 0})
        match = BOOKING_PATH.match(request.url.path)
        assert match and request.method == "POST", f"unexpected {request.method} {request.url.path}"
        key = request.headers["Idempotency-Key"]
        self.keys.append(key)
        if key in self.replies:
            return httpx.Response(200, json=self.replies[key], headers={"Idempotent-Replayed": "true"})
        if self.refuse:
            return self.refuse.pop(0)
        booking = self.bookings.get(match["booking_id"])
        if booking is None:
            return _problem(404, "not-found", "Nie ma takiej rezerwacji.")
        action, body = match["action"], json.loads(request.content)
        allowed, target = TRANSITIONS[action]
        if booking["status"] not in allowed | {target}:
            return _conflict(booking)
        booking["status"] = target
        booking.update(
            {name: body[name] for name in ("appointment_ref", "reason", "starts_at", "ends_at") if name in body}
        )
        self.applied.append((action, match["booking_id"], body, key))
        self.replies[key] = dict(booking)
        if self.lose_answers:
            self.lose_answers -= 1
            return _problem(503, "unavailable", "OSOZ jest chwilowo niedostępny.")
        return httpx.Response(200, json=booking)

    @property
    def actions(self) -> list[str]:
        return [action for action, *_rest in self.applied]


@pytest.fixture
def osoz(monkeypatch) -> FakeOsoz:
    """The clinic connected, with the integration on, to the stand-in OSOZ."""
    connected()
    fake = FakeOsoz()
    osoz_stand_in(monkeypatch, outbox, fake.handle)
    return fake


def at(days: int, hour: int, minute: int = 0) -> datetime:
    """A weekday that many days or more from today, at that time in Warsaw."""
    day = timezone.localdate() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), tzinfo=WARSAW)


def online_booking(clinic, *, state: str, osoz_state: str, starts_at: datetime | None = None) -> OsozBooking:
    """A booking OSOZ brought in and the product booked (or, when rejected, did not)."""
    starts_at = starts_at or at(2, 9)
    patient = PatientFactory(first_name="Jan", last_name="Nowak")
    appointment = None
    if state != OsozBookingState.REJECTED:
        appointment = appointment_book(
            employee_id=clinic.doctor.pk, starts_at=starts_at, patient=patient, source=AppointmentSource.OSOZ
        )
    return OsozBooking.objects.create(
        booking_id=uuid.uuid4(),
        appointment=appointment,
        patient=patient if appointment else None,
        state=state,
        reason=SET1 if state == OsozBookingState.REJECTED else "",
        channel="lekarzebezkolejki",
        starts_at=starts_at,
        osoz_state=osoz_state,
        osoz_starts_at=starts_at,
        path=OsozBookingPath.APPROVAL,
        received_at=timezone.now(),
    )


@pytest.fixture
def accepted(published_clinic, osoz) -> OsozBooking:
    """An online booking accepted at once through the approval call: OSOZ holds it as accepted."""
    booking = online_booking(published_clinic, state=OsozBookingState.ACCEPTED, osoz_state=OsozBookingState.ACCEPTED)
    osoz.holds(booking, "accepted", published_clinic)
    return booking


def drain(now: datetime | None = None) -> outbox.DrainResult:
    """Drain as the worker does: again at once while rows became due during the drain."""
    total = outbox.DrainResult()
    for _round in range(5):
        result = outbox.outbox_drain(now=now)
        total.sent += result.sent
        total.failed += result.failed
        total.unreachable = result.unreachable
        if not result.more:
            return total
    raise AssertionError("the outbox never settled")


def row(booking: OsozBooking) -> OutboxMessage:
    return OutboxMessage.objects.get(key=outbox_key("booking", booking.pk))


def when(moment: datetime) -> str:
    return moment.astimezone(WARSAW).strftime("%d.%m.%Y %H:%M")


def test_a_clinic_cancellation_of_an_online_booking_reaches_osoz_once_with_its_reason(accepted, osoz, alice):
    appointment = accepted.appointment
    appointment_cancel(
        appointment=appointment, source=AppointmentSource.CALENDAR, reason="Lekarz choruje.", actor=alice
    )
    accepted.refresh_from_db()
    assert (accepted.state, accepted.osoz_state) == (OsozBookingState.CANCELLED_BY_CLINIC, OsozBookingState.ACCEPTED)
    version = row(accepted).version
    assert row(accepted).is_pending

    drain()

    booking_id = str(accepted.booking_id)
    assert osoz.applied == [("cancel", booking_id, {"reason": "Lekarz choruje."}, f"{booking_id}:cancel:{version}")]
    assert osoz.bookings[booking_id]["status"] == "cancelled_by_clinic"
    accepted.refresh_from_db()
    assert accepted.osoz_state == OsozBookingState.CANCELLED_BY_CLINIC and not row(accepted).is_pending
    audit = AuditEvent.objects.get(action="osoz_booking_sent")
    assert audit.message == (
        f"Wysłano do OSOZ odwołanie wizyty Jan Nowak, {appointment.employee}, {when(appointment.starts_at)} "
        "z powodem „Lekarz choruje.”; pacjent zostanie powiadomiony."
    )
    assert audit.object_id == str(accepted.pk)
    # Nothing more to say: later drains send nothing.
    drain(now=timezone.now() + timedelta(hours=1))
    assert len(osoz.keys) == 1


def test_a_move_sends_the_new_time_with_the_publications_schedule_id_and_each_move_is_sent(
    accepted, osoz, published_clinic, alice
):
    appointment, booking_id = accepted.appointment, str(accepted.booking_id)
    first, second = appointment.starts_at + timedelta(minutes=60), appointment.starts_at + timedelta(minutes=100)
    appointment_move(appointment=appointment, starts_at=first, actor=alice)
    drain()
    appointment_move(appointment=appointment, starts_at=second, actor=alice)
    drain()

    assert osoz.actions == ["move", "move"]
    bodies = [body for _action, _id, body, _key in osoz.applied]
    assert bodies == [
        {
            "schedule_id": str(published_clinic.schedule.pk),
            "starts_at": moment.astimezone(WARSAW).isoformat(),
            "ends_at": (moment + timedelta(minutes=20)).astimezone(WARSAW).isoformat(),
            "reason": MOVE_REASON,
        }
        for moment in (first, second)
    ]
    assert bodies[0]["starts_at"].endswith("+01:00")
    keys = [key for *_rest, key in osoz.applied]
    assert len(set(keys)) == 2 and all(key.startswith(f"{booking_id}:move:") for key in keys)
    accepted.refresh_from_db()
    assert (accepted.state, accepted.osoz_state, accepted.osoz_starts_at) == ("accepted", "accepted", second)
    assert osoz.bookings[booking_id]["starts_at"] == second.astimezone(WARSAW).isoformat()
    messages = list(
        AuditEvent.objects.filter(action="osoz_booking_sent").order_by("id").values_list("message", flat=True)
    )
    assert messages[-1] == (
        f"Wysłano do OSOZ zmianę terminu wizyty Jan Nowak, {appointment.employee}, {when(first)} na {when(second)}; "
        "pacjent zostanie powiadomiony."
    )


def test_a_booking_settled_while_osoz_was_unreachable_is_accepted_then_cancelled_so_both_sides_agree(
    published_clinic, osoz, alice
):
    booking = online_booking(published_clinic, state=OsozBookingState.ACCEPTED, osoz_state=OsozBookingState.PENDING)
    osoz.holds(booking, "pending", published_clinic)
    with transaction.atomic():
        booking_enqueue(booking)
    # The receptionist cancels before the acceptance went out, giving the reason in the calendar form.
    appointment_cancel(appointment=booking.appointment, source=AppointmentSource.CALENDAR, reason="", actor=alice)

    drain()

    booking_id = str(booking.booking_id)
    assert osoz.actions == ["accept", "cancel"]
    assert osoz.applied[0][2] == {"appointment_ref": str(booking.appointment_id)}
    assert osoz.applied[1][2] == {"reason": CANCEL_REASON}
    booking.refresh_from_db()
    assert booking.state == booking.osoz_state == osoz.bookings[booking_id]["status"] == "cancelled_by_clinic"
    assert not row(booking).is_pending


def test_a_rejection_is_sent_with_the_exact_reason_the_patient_sees(published_clinic, osoz):
    booking = online_booking(published_clinic, state=OsozBookingState.REJECTED, osoz_state=OsozBookingState.PENDING)
    osoz.holds(booking, "pending", published_clinic)
    with transaction.atomic():
        booking_enqueue(booking)
    drain()
    assert [(action, body) for action, _id, body, _key in osoz.applied] == [("reject", {"reason": SET1})]
    booking.refresh_from_db()
    assert booking.osoz_state == OsozBookingState.REJECTED
    audit = AuditEvent.objects.get(action="osoz_booking_sent")
    assert audit.message.startswith(f"Wysłano do OSOZ odmowę przyjęcia rezerwacji na {when(booking.starts_at)} ")
    assert f"z powodem „{SET1}”" in audit.message


def test_a_patients_cancellation_made_in_osoz_is_not_sent_back(accepted, osoz):
    appointment_cancel(
        appointment=accepted.appointment, source=AppointmentSource.OSOZ, reason="Odwołana przez pacjenta w OSOZ"
    )
    assert not OutboxMessage.objects.filter(key=outbox_key("booking", accepted.pk)).exists()
    # The feed records the patient's cancellation as known to OSOZ; even if a row were queued, nothing is sent.
    OsozBooking.objects.filter(pk=accepted.pk).update(
        state=OsozBookingState.CANCELLED_BY_PATIENT, osoz_state=OsozBookingState.CANCELLED_BY_PATIENT
    )
    with transaction.atomic():
        booking_enqueue(accepted)
    drain()
    assert osoz.keys == [] and not row(accepted).is_pending
    assert not AuditEvent.objects.filter(action__startswith="osoz_booking").exists()


def test_a_lost_answer_is_retried_with_the_same_key_and_osoz_replays_it(accepted, osoz, alice):
    osoz.lose_answers = 1
    appointment_cancel(
        appointment=accepted.appointment, source=AppointmentSource.CALENDAR, reason="Urlop.", actor=alice
    )
    drain()
    assert len(osoz.keys) == 2 and osoz.keys[0] == osoz.keys[1]
    assert osoz.actions == ["cancel"]
    accepted.refresh_from_db()
    assert accepted.osoz_state == OsozBookingState.CANCELLED_BY_CLINIC


def test_osoz_down_keeps_the_command_and_the_retry_later_uses_the_same_key(accepted, osoz, alice, settings):
    osoz.refuse = [_problem(503, "unavailable", "OSOZ jest chwilowo niedostępny.")] * settings.OSOZ_MAX_ATTEMPTS
    appointment = accepted.appointment
    appointment_cancel(appointment=appointment, source=AppointmentSource.CALENDAR, reason="Urlop.", actor=alice)
    result = drain()
    assert result.unreachable and osoz.applied == []
    accepted.refresh_from_db()
    assert accepted.osoz_state == OsozBookingState.ACCEPTED
    message = row(accepted)
    assert message.is_pending and message.attempts == 1 and message.next_attempt_at is not None
    failure = AuditEvent.objects.get(action="osoz_booking_failed")
    assert failure.outcome == AuditOutcome.FAILURE
    assert failure.message.startswith(
        f"Nie udało się wysłać do OSOZ odwołania wizyty Jan Nowak, {appointment.employee}, "
        f"{when(appointment.starts_at)}: OSOZ jest chwilowo niedostępny. Ponowienie o "
    )

    drain(now=timezone.now() + timedelta(hours=1))
    assert osoz.actions == ["cancel"] and len(set(osoz.keys)) == 1
    accepted.refresh_from_db()
    assert accepted.osoz_state == OsozBookingState.CANCELLED_BY_CLINIC and not row(accepted).is_pending


def test_a_move_osoz_refuses_because_the_patient_cancelled_meanwhile_settles_with_what_osoz_holds(
    accepted, osoz, published_clinic, alice
):
    osoz.holds(accepted, "cancelled_by_patient", published_clinic)
    appointment = accepted.appointment
    new_start = appointment.starts_at + timedelta(minutes=60)
    appointment_move(appointment=appointment, starts_at=new_start, actor=alice)
    assert drain().failed == 0 and osoz.applied == []
    assert not row(accepted).is_pending
    accepted.refresh_from_db()
    assert (accepted.osoz_state, accepted.osoz_starts_at) == (OsozBookingState.CANCELLED_BY_PATIENT, accepted.starts_at)
    settled = AuditEvent.objects.get(action="osoz_booking_settled")
    assert settled.outcome == AuditOutcome.SUCCESS and settled.message == (
        f"OSOZ nie przyjął zmiany terminu wizyty Jan Nowak, {appointment.employee}, {when(accepted.starts_at)} na "
        f"{when(new_start)}, bo pacjent odwołał już tę rezerwację; jego odwołanie trafi do kalendarza ze strumienia "
        "zdarzeń OSOZ. Nic więcej nie trzeba wysyłać."
    )
    assert not AuditEvent.objects.filter(action="osoz_booking_failed").exists()
    drain(now=timezone.now() + timedelta(days=1))
    assert len(osoz.keys) == 1


def test_an_acceptance_overtaken_by_the_patients_cancellation_settles_and_the_feed_cancels_the_visit(
    published_clinic, osoz
):
    # Approved at once; the feed brought the booking again, so the acceptance is repeated (the approval's answer may
    # have been lost), and the patient cancels on OSOZ before it goes out.
    booking = online_booking(published_clinic, state=OsozBookingState.ACCEPTED, osoz_state=OsozBookingState.PENDING)
    osoz.holds(booking, "cancelled_by_patient", published_clinic)
    with transaction.atomic():
        booking_enqueue(booking)
    drain()
    assert osoz.applied == [] and len(osoz.keys) == 1 and not outbox_pending().exists()
    booking.refresh_from_db()
    assert (booking.state, booking.osoz_state) == (OsozBookingState.ACCEPTED, OsozBookingState.CANCELLED_BY_PATIENT)

    # The feed's event of the cancellation cancels the visit as OSOZ; nothing goes back.
    remote = {**osoz.bookings[str(booking.booking_id)], "reason": "Wyjazd."}
    bookings.booking_patient_cancel_apply(booking=interface.Booking.from_json(remote))
    booking.refresh_from_db()
    assert booking.state == booking.osoz_state == OsozBookingState.CANCELLED_BY_PATIENT
    appointment = booking.appointment
    assert (appointment.status, appointment.cancelled_by_label) == (AppointmentStatus.CANCELLED, "OSOZ")
    drain()
    assert len(osoz.keys) == 1 and not outbox_pending().exists()


def test_a_command_whose_outcome_osoz_already_holds_settles(published_clinic, osoz):
    booking = online_booking(published_clinic, state=OsozBookingState.ACCEPTED, osoz_state=OsozBookingState.PENDING)
    osoz.holds(booking, "accepted", published_clinic)
    osoz.refuse = [_conflict(osoz.bookings[str(booking.booking_id)])]
    with transaction.atomic():
        booking_enqueue(booking)
    drain()
    booking.refresh_from_db()
    assert booking.osoz_state == OsozBookingState.ACCEPTED and not row(booking).is_pending
    appointment = booking.appointment
    assert AuditEvent.objects.get(action="osoz_booking_settled").message == (
        f"OSOZ miał już potwierdzenie rezerwacji Jan Nowak, {appointment.employee}, {when(booking.starts_at)}; nic "
        "więcej nie trzeba wysyłać."
    )


def test_a_conflict_without_the_booking_osoz_holds_is_parked_and_audited(accepted, osoz, alice):
    osoz.refuse = [_problem(409, "booking-state-conflict", "Tej rezerwacji nie można już odwołać.")]
    appointment = accepted.appointment
    appointment_cancel(appointment=appointment, source=AppointmentSource.CALENDAR, reason="Urlop.", actor=alice)
    assert drain().failed == 1
    message = row(accepted)
    assert message.next_attempt_at is None and message.is_pending
    assert message.last_error == "Tej rezerwacji nie można już odwołać."
    failure = AuditEvent.objects.get(action="osoz_booking_failed")
    assert failure.message == (
        f"OSOZ odrzucił odwołanie wizyty Jan Nowak, {appointment.employee}, {when(appointment.starts_at)} z powodem "
        "„Urlop.”: Tej rezerwacji nie można już odwołać. Rezerwacja w OSOZ pozostaje bez zmian; wiadomość czeka na "
        "decyzję administratora w Ustawienia > OSOZ/LBK > Stan integracji (lub na następną zmianę tej wizyty)."
    )
    drain(now=timezone.now() + timedelta(days=1))
    assert len(osoz.keys) == 1


def test_a_conflict_the_patients_cancellation_makes_needless_stops_waiting_for_the_administrator(
    accepted, osoz, alice, client_for
):
    # The clinic cancels; OSOZ refuses without saying what it holds: parked on Stan integracji.
    osoz.refuse = [_problem(409, "booking-state-conflict", "Tej rezerwacji nie można już odwołać.")]
    appointment = accepted.appointment
    appointment_cancel(appointment=appointment, source=AppointmentSource.CALENDAR, reason="Urlop.", actor=alice)
    assert drain().failed == 1 and row(accepted).next_attempt_at is None
    assert 'id="odrzucone"' in client_for(alice).get(STATUS).content.decode()

    # The feed then brings what OSOZ had: the patient cancelled first. Nothing is left to say, so nothing waits.
    remote = {**osoz.bookings[str(accepted.booking_id)], "status": "cancelled_by_patient", "reason": "Wyjazd."}
    bookings.booking_patient_cancel_apply(booking=interface.Booking.from_json(remote))
    drain()
    assert not outbox_pending().exists() and len(osoz.keys) == 1
    assert 'id="odrzucone"' not in client_for(alice).get(STATUS).content.decode()


def test_a_real_conflict_waits_on_stan_integracji_where_the_administrator_sends_it_again_or_skips_it(
    published_clinic, osoz, monkeypatch, client_for, alice
):
    osoz_stand_in(monkeypatch, services, osoz.handle)
    first, second = (
        online_booking(
            published_clinic, state=OsozBookingState.ACCEPTED, osoz_state=OsozBookingState.PENDING, starts_at=moment
        )
        for moment in (at(2, 9), at(2, 10))
    )
    for booking in (first, second):
        osoz.holds(booking, "rejected", published_clinic)  # OSOZ gave up waiting for the clinic's decision
    with transaction.atomic():
        booking_enqueue(first, second)
    assert drain().failed == 2
    doctor = published_clinic.doctor
    client = client_for(alice)

    page = client.get(STATUS).content.decode()
    listed = page[page.index('<fieldset id="odrzucone">') :].split("</fieldset>")[0]
    assert listed.count("<td>Rezerwacja ma już stan „rejected”.</td>") == 2
    assert f"<td>potwierdzenia rezerwacji Jan Nowak, {doctor}, {when(first.starts_at)}</td>" in listed
    resend, skip = (reverse(f"osoz_integration:outbox_{name}", args=[row(first).pk]) for name in ("resend", "skip"))
    assert f'action="{resend}"' in listed and f'action="{skip}"' in listed
    assert client.get(resend).status_code == 405

    # With the locations withdrawn, only these keep the switch on: the refusal names them and links to the list.
    Location.objects.update(osoz_enabled=False)
    refused = client.post(SWITCH, follow=True).content.decode()
    assert (
        "Nie można jeszcze wyłączyć integracji: OSOZ odrzucił 2 wiadomości, o których musi zdecydować administrator "
        f"(wysłanie potwierdzenia rezerwacji Jan Nowak, {doctor}, {when(first.starts_at)}; potwierdzenia rezerwacji "
        f"Jan Nowak, {doctor}, {when(second.starts_at)}). Wyślij je ponownie albo pomiń w Stanie integracji."
    ) in refused
    assert f'<a href="{STATUS}#odrzucone">' in refused and connection_get().enabled

    # OSOZ is put right (the first booking waits for the decision again): sent again at once, under a new key.
    osoz.bookings[str(first.booking_id)]["status"] = "pending"
    version = row(first).version
    response = client.post(resend)
    assert (response.status_code, response["Location"]) == (302, f"{STATUS}#odrzucone")
    assert row(first).version > version and row(first).next_attempt_at is not None
    drain()
    assert osoz.actions == ["accept"] and osoz.applied[0][3] not in osoz.keys[:2]
    first.refresh_from_db()
    assert first.osoz_state == OsozBookingState.ACCEPTED and not row(first).is_pending

    # The second one is given up: OSOZ keeps what it holds.
    client.post(reverse("osoz_integration:outbox_skip", args=[row(second).pk]))
    second.refresh_from_db()
    assert second.osoz_state == OsozBookingState.PENDING and not row(second).is_pending
    audits = {event.action: event for event in AuditEvent.objects.filter(action__startswith="osoz_outbox_")}
    assert audits["osoz_outbox_resent"].actor == audits["osoz_outbox_skipped"].actor == alice
    assert audits["osoz_outbox_skipped"].message == (
        f"Pominięto wysłanie do OSOZ potwierdzenia rezerwacji Jan Nowak, {doctor}, {when(second.starts_at)}; w OSOZ "
        "nic się nie zmieniło. Wcześniej OSOZ odpowiedział: Rezerwacja ma już stan „rejected”."
    )
    assert audits["osoz_outbox_skipped"].object_id == str(second.pk)
    again = client.post(reverse("osoz_integration:outbox_skip", args=[row(second).pk]), follow=True)
    assert "Ta wiadomość nie czeka już na decyzję." in again.content.decode()
    assert AuditEvent.objects.filter(action="osoz_outbox_skipped").count() == 1

    assert 'id="odrzucone"' not in client.get(STATUS).content.decode()
    assert "Wyłączono integrację z OSOZ." in client.post(SWITCH, follow=True).content.decode()
    assert not connection_get().enabled


def test_a_command_osoz_is_still_processing_is_retried_later_not_parked(accepted, osoz, alice):
    osoz.refuse = [_problem(409, "idempotency-key-in-use", "Żądanie z tym kluczem jest jeszcze przetwarzane.")]
    appointment_cancel(
        appointment=accepted.appointment, source=AppointmentSource.CALENDAR, reason="Urlop.", actor=alice
    )
    assert drain().unreachable
    assert row(accepted).next_attempt_at is not None
    drain(now=timezone.now() + timedelta(hours=1))
    assert osoz.actions == ["cancel"] and len(set(osoz.keys)) == 1


def test_the_calendar_panel_shows_the_online_origin_and_a_cancellation_there_goes_to_osoz(
    accepted, osoz, bob, client_for
):
    client = client_for(bob)
    appointment = accepted.appointment
    panel = client.get(reverse("scheduling:calendar_appointment", args=[appointment.pk]))
    assert panel.status_code == 200
    page = panel.content.decode()
    assert "Pacjent umówił się w OSOZ; rezerwacja przyjęta." in page and str(accepted.booking_id) in page
    assert "OSOZ powiadomi pacjenta o odwołaniu e-mailem lub SMS-em" in page

    response = client.post(
        reverse("scheduling:calendar_cancel", args=[appointment.pk]),
        {"reason": "Awaria sprzętu."},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "rezerwacja odwołana przez placówkę." in response.content.decode()
    drain()
    assert [(action, body) for action, _id, body, _key in osoz.applied] == [("cancel", {"reason": "Awaria sprzętu."})]


def test_an_ordinary_appointment_is_never_sent_as_a_booking(published_clinic, osoz, alice):
    appointment = appointment_book(
        employee_id=published_clinic.doctor.pk,
        starts_at=at(2, 10),
        patient=PatientFactory(),
        source=AppointmentSource.CALENDAR,
        actor=alice,
    )
    appointment_move(appointment=appointment, starts_at=at(2, 11), actor=alice)
    appointment_cancel(appointment=appointment, source=AppointmentSource.CALENDAR, reason="Pomyłka.", actor=alice)
    assert not OutboxMessage.objects.filter(kind="booking").exists()
    drain()
    assert osoz.keys == []


def test_an_answer_that_breaks_the_contract_is_retried_not_taken_as_done(accepted, osoz, alice):
    osoz.refuse = [httpx.Response(200, json={"status": "cancelled_by_clinic"})]
    appointment_cancel(
        appointment=accepted.appointment, source=AppointmentSource.CALENDAR, reason="Urlop.", actor=alice
    )
    assert drain().unreachable
    accepted.refresh_from_db()
    assert accepted.osoz_state == OsozBookingState.ACCEPTED
    assert "niezgodny z kontraktem" in AuditEvent.objects.get(action="osoz_booking_failed").message
    drain(now=timezone.now() + timedelta(hours=1))
    accepted.refresh_from_db()
    assert accepted.osoz_state == OsozBookingState.CANCELLED_BY_CLINIC and osoz.actions == ["cancel"]


# --- Against the live sandbox ---------------------------------------------------------------------------------------

SANDBOX_BOOK = """
import datetime, json
from osoz_sandbox.bookings import BookingRefused, BookingRequest, booking_create
from osoz_sandbox.models import Entity
args = json.loads({args!r})
entity = Entity.objects.get(entity_id=args["entity_id"])
for starts_at in args["starts"]:
    request = BookingRequest(
        entity=entity, doctor_id=args["doctor_id"], schedule_id=args["schedule_id"],
        starts_at=datetime.datetime.fromisoformat(starts_at), kind="visit", first_name=args["first_name"],
        last_name=args["last_name"], email=args["email"], pesel=args["pesel"],
    )
    try:
        booking, _token = booking_create(request)
    except BookingRefused:
        continue  # held by a booking an earlier test made in this sandbox
    print(json.dumps({{"booking_id": str(booking.booking_id), "starts_at": starts_at}}))
    break
"""

SANDBOX_READ = """
import json
from osoz_sandbox.models import Booking, Notification
booking = Booking.objects.get(booking_id={booking_id!r})
notifications = Notification.objects.filter(booking=booking).order_by("id")
print(json.dumps({{
    "status": booking.status, "starts_at": booking.starts_at.isoformat(), "reason": booking.reason,
    "notifications": [f"{{item.subject}}\\n{{item.body}}" for item in notifications],
}}))
"""


def sandbox_book(server, clinic, starts: list[datetime], *, first_name: str, serial: int) -> dict:
    """A patient books on the sandbox the first of these times it still offers; returns its booking id and time."""
    args = {
        "entity_id": SANDBOX_ENTITY_ID,
        "doctor_id": str(clinic.doctor.pk),
        "schedule_id": str(clinic.schedule.pk),
        "starts": [moment.isoformat() for moment in starts],
        "first_name": first_name,
        "last_name": "Online",
        "email": f"{first_name.lower()}.online@example.com",
        "pesel": pesel_make(birth_date=date(1980, 5, 17), sex=Sex.MALE, serial=serial),
    }
    out = server.manage("shell", "-c", SANDBOX_BOOK.format(args=json.dumps(args))).strip()
    assert out, "the sandbox refused every one of these times"
    return json.loads(out.splitlines()[-1])


def sandbox_booking(server, booking_id: str) -> dict:
    return json.loads(server.manage("shell", "-c", SANDBOX_READ.format(booking_id=booking_id)).strip().splitlines()[-1])


def test_live_a_clinic_cancel_and_a_move_reach_the_sandbox_and_its_patients_are_notified(
    published_clinic, osoz_sandbox_server, client_for, alice, settings
):
    # The sandbox's synchronous approval call finds nobody listening, so the bookings wait as pending on OSOZ and
    # reach the product through the feed; the product then accepts them through the outbox before changing them.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.OSOZ_CALLBACK_BASE_URL = f"http://127.0.0.1:{probe.getsockname()[1]}"
    # The location's own key pair, so the product opens the personal data the sandbox seals to it.
    private_pem, public_pem = keypair_generate()
    type(published_clinic.location).objects.filter(pk=published_clinic.location.pk).update(
        private_key_encrypted=secret_encrypt(private_pem), public_key_pem=public_pem
    )
    connect(client_for(alice), osoz_sandbox_server)
    drain()
    free = sorted(engine_slots(published_clinic.doctor), key=lambda slot: slot[1])[-40:]
    random.shuffle(free)
    serial = random.randrange(900)
    first = sandbox_book(
        osoz_sandbox_server, published_clinic, [slot[1] for slot in free[:20]], first_name="Adam", serial=serial
    )
    second = sandbox_book(
        osoz_sandbox_server, published_clinic, [slot[1] for slot in free[20:]], first_name="Bartosz", serial=serial + 1
    )
    feed.booking_events_pull()
    cancelled = OsozBooking.objects.select_related("appointment").get(booking_id=first["booking_id"])
    moved = OsozBooking.objects.select_related("appointment").get(booking_id=second["booking_id"])
    assert cancelled.state == moved.state == OsozBookingState.ACCEPTED

    appointment_cancel(
        appointment=cancelled.appointment, source=AppointmentSource.CALENDAR, reason="Lekarz choruje.", actor=alice
    )
    new_start = next(
        moment
        for _schedule, moment in sorted(engine_slots(published_clinic.doctor), key=lambda slot: slot[1])
        if moment.date() != moved.appointment.starts_at.date()
    )
    appointment_move(appointment=moved.appointment, starts_at=new_start, actor=alice)
    drain()

    there = sandbox_booking(osoz_sandbox_server, first["booking_id"])
    assert (there["status"], there["reason"]) == ("cancelled_by_clinic", "Lekarz choruje.")
    assert any("odwołan" in text.lower() and "Lekarz choruje." in text for text in there["notifications"])
    there = sandbox_booking(osoz_sandbox_server, second["booking_id"])
    assert there["status"] == "accepted" and datetime.fromisoformat(there["starts_at"]) == new_start
    assert any("zmiana terminu" in text.lower() for text in there["notifications"])
    for booking in (cancelled, moved):
        booking.refresh_from_db()
    assert cancelled.osoz_state == OsozBookingState.CANCELLED_BY_CLINIC
    assert (moved.osoz_state, moved.osoz_starts_at) == (OsozBookingState.ACCEPTED, new_start)
    assert not OutboxMessage.objects.filter(key__in=[row(cancelled).key, row(moved).key], next_attempt_at=None).exists()
