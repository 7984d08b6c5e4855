"""Bookings on the sandbox (contract part 2): the patient's booking and cancellation under the Tabela 4 settings, the
sealed personal data, the events feed and the clinic's accept/reject/cancel/move commands."""

import base64
import datetime
import json
import uuid

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.utils import timezone

from osoz_sandbox import bookings, notifications, selectors, services
from osoz_sandbox.bookings import BookingRefused, BookingRequest
from osoz_sandbox.contract import validate
from osoz_sandbox.models import Booking, BookingEvent, Entity, Notification
from osoz_sandbox.tests.conftest import (
    RETURN_URL,
    ApiClient,
    doctor_payload,
    location_payload,
    schedule_payload,
    slot,
    slots_payload,
    televisit_on,
    tomorrow,
)

PESEL = "44051401359"
OTHER_PESEL = "02070803628"
SET1 = "Przepraszamy, ale nie możesz się umówić się na pierwszą wizytę NFZ samodzielnie. Prosimy o kontakt z placówką"


@pytest.fixture(scope="session")
def private_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def unseal(private_key, envelope: dict) -> dict:
    """The product's side of OSZ-6, written from the contract."""
    validate("SealedEnvelope", envelope)
    header = {"v": envelope["v"], "alg": envelope["alg"], "kid": envelope["kid"]}
    associated = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    content_key = private_key.decrypt(base64.b64decode(envelope["ek"]), oaep)
    plaintext = AESGCM(content_key).decrypt(
        base64.b64decode(envelope["iv"]), base64.b64decode(envelope["ct"]), associated
    )
    return json.loads(plaintext)


def at(hour: int, minute: int = 0, day: datetime.date | None = None) -> datetime.datetime:
    return datetime.datetime.combine(day or tomorrow(), datetime.time(hour, minute), tzinfo=services.WARSAW)


@pytest.fixture
def site(api, private_key) -> datetime.date:
    """Location 1 sealed to `private_key`, doctor d1 with private schedule s1 (09:00, 09:20, 09:40 tomorrow) and
    doctor d2 with NFZ schedule s2 (10:00 tomorrow)."""
    public_pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    assert api.put("/api/v1/locations/1", location_payload(public_pem)).status_code == 200
    assert api.put("/api/v1/doctors/d1", doctor_payload()).status_code == 200
    assert api.put("/api/v1/doctors/d2", doctor_payload(first_name="Jan", last_name="Nowak")).status_code == 200
    assert api.put("/api/v1/schedules/s1", schedule_payload()).status_code == 200
    assert api.put("/api/v1/schedules/s2", schedule_payload("d2", nfz=True)).status_code == 200
    day = tomorrow()
    d1_slots = [slot("s1", day, 9), slot("s1", day, 9, 20), slot("s1", day, 9, 40)]
    assert api.put("/api/v1/doctors/d1/slots", slots_payload(day, d1_slots)).status_code == 200
    assert api.put("/api/v1/doctors/d2/slots", slots_payload(day, [slot("s2", day, 10)])).status_code == 200
    return day


def request_for(entity: Entity, **changes) -> BookingRequest:
    values = {
        "entity": entity,
        "doctor_id": "d1",
        "schedule_id": "s1",
        "starts_at": at(9),
        "kind": "visit",
        "first_name": "Jan",
        "last_name": "Kowalski",
        "email": "jan.kowalski@example.com",
        "pesel": PESEL,
    }
    return BookingRequest(**{**values, **changes})


def refused(entity: Entity, **changes) -> str:
    with pytest.raises(BookingRefused) as caught:
        bookings.booking_create(request_for(entity, **changes))
    return caught.value.message


def free_times(entity: Entity, doctor_id: str = "d1") -> list[str]:
    card = selectors.patient_doctor(entity_id=entity.entity_id, doctor_id=doctor_id)
    day = selectors.doctor_timetable(card, date_from=tomorrow(), days=1)[0]
    return [f"{offered.starts_at:%H:%M}" for offered in day.slots]


# --- Booking -----------------------------------------------------------------------------------------------------


def test_booking_without_approval_receiver_is_pending_sealed_and_in_the_feed(site, entity, api, private_key):
    booking, token = bookings.booking_create(
        request_for(
            entity,
            phone="600 100 200",
            osoz_card_number="1234 5678 9abc defg hi",
            patient_note="Proszę o wcześniejszy kontakt.",
            birth_date=datetime.date(1944, 5, 14),
        )
    )
    assert booking.status == "pending"
    assert booking.osoz_card_number == "123456789ABCDEFGHI"
    assert bookings.booking_for_token(token) == booking
    assert bookings.booking_for_token("not-a-token") is None
    assert token not in booking.cancel_token_hash

    document = selectors.booking_document(booking)
    validate("Booking", document)
    assert document["starts_at"] == at(9).isoformat()
    assert document["ends_at"] == at(9, 20).isoformat()
    assert (document["location_unit_number"], document["cell_id"], document["nfz"]) == (1, "c1", False)
    assert document["patient_note"] == "Proszę o wcześniejszy kontakt."
    assert "Kowalski" not in json.dumps(document) and PESEL not in json.dumps(document)
    personal = unseal(private_key, document["personal_data"])
    validate("PersonalData", personal)
    assert personal == {
        "first_name": "Jan",
        "last_name": "Kowalski",
        "email": "jan.kowalski@example.com",
        "phone": "600 100 200",
        "pesel": PESEL,
        "birth_date": "1944-05-14",
    }

    page = api.get("/api/v1/booking-events").json()
    validate("BookingEventPage", page)
    [event] = page["events"]
    assert event["type"] == "booking.created"
    assert event["booking"] == document

    email = Notification.objects.get(booking=booking, channel="email", recipient="jan.kowalski@example.com")
    assert email.subject == "Rezerwacja wizyty czeka na potwierdzenie placówki"
    assert "Placówka potwierdzi wizytę" in email.body
    assert "Lekarz: lek. Anna Kowalska." in email.body
    assert f"/lbk/rezerwacja/{token}/" in email.body
    assert "E-mail zwrotny: rejestracja@przychodnia.pl" in email.body
    sms = Notification.objects.get(booking=booking, channel="sms")
    assert sms.recipient == "600 100 200" and "lek. Anna Kowalska" in sms.body
    # The patient has a card, so the clinic's reply address gets no copy.
    assert not Notification.objects.filter(recipient="rejestracja@przychodnia.pl").exists()


def test_booking_without_card_is_copied_to_the_reply_email(site, entity):
    booking, _ = bookings.booking_create(request_for(entity))
    copy = Notification.objects.get(recipient="rejestracja@przychodnia.pl")
    assert copy.booking == booking and "Jan Kowalski" in copy.body
    assert not Notification.objects.filter(booking=booking, channel="sms").exists()  # no phone, no SMS


def test_a_held_slot_is_no_longer_offered_and_cannot_be_booked_twice(site, entity):
    assert free_times(entity) == ["09:00", "09:20", "09:40"]
    bookings.booking_create(request_for(entity))
    assert free_times(entity) == ["09:20", "09:40"]
    message = refused(entity, email="anna@example.com", pesel=OTHER_PESEL)
    assert message == "Wybrany termin nie jest już dostępny. Prosimy wybrać inny."
    assert Booking.objects.count() == 1


def test_unpublished_or_hidden_slots_are_refused(site, entity, api):
    assert refused(entity, starts_at=at(9, 10)) == "Wybrany termin nie jest już dostępny. Prosimy wybrać inny."
    assert refused(entity, schedule_id="s2") == "Wybrany termin nie jest już dostępny. Prosimy wybrać inny."
    api.put("/api/v1/schedules/s1", schedule_payload(version=2, visible=False))
    assert refused(entity) == "Wybrany termin nie jest już dostępny. Prosimy wybrać inny."
    api.put("/api/v1/doctors/d1", doctor_payload(version=2, visible=False))
    assert refused(entity) == "Ten lekarz nie przyjmuje obecnie rejestracji on-line."
    entity.online_registration = False
    entity.save()
    assert refused(entity) == "Ta placówka nie prowadzi obecnie rejestracji on-line."
    assert not Booking.objects.exists()


def test_nfz_slots_only_with_waiting_lists(site, entity):
    entity.waiting_lists = False
    entity.save()
    assert refused(entity, doctor_id="d2", schedule_id="s2", starts_at=at(10)).startswith("Wybrany termin nie jest")
    entity.waiting_lists = True
    entity.save()
    booking, _ = bookings.booking_create(request_for(entity, doctor_id="d2", schedule_id="s2", starts_at=at(10)))
    assert booking.nfz is True


def test_the_schedules_requirement_must_be_accepted(site, entity, api):
    api.put("/api/v1/schedules/s1", schedule_payload(version=2, requirement="Proszę zabrać skierowanie."))
    assert refused(entity) == "Aby umówić wizytę, zaakceptuj warunki wizyt podane przez placówkę."
    booking, _ = bookings.booking_create(request_for(entity, requirement_accepted=True))
    assert selectors.booking_document(booking)["requirement_accepted"] is True


def test_required_data_follow_the_provider_settings(site, entity):
    assert refused(entity, first_name=" ") == "Podaj imię i nazwisko."
    assert refused(entity, email="jan.kowalski") == "Podaj poprawny adres e-mail."
    assert refused(entity, pesel="") == "Podaj numer PESEL."
    assert refused(entity, pesel="44051401358") == "Numer PESEL jest nieprawidłowy."
    assert refused(entity, phone="12") == "Numer telefonu jest nieprawidłowy."
    entity.phone_required = True
    entity.booking_without_card = False
    entity.save()
    assert refused(entity) == "Podaj numer telefonu."
    assert refused(entity, phone="600100200") == (
        "Ta placówka przyjmuje rezerwacje on-line tylko od pacjentów z Kartą Zdrowia Pacjenta."
    )
    assert refused(entity, phone="600100200", osoz_card_number="12345") == (
        "Numer Karty Zdrowia Pacjenta (karty OSOZ) ma 18 znaków: cyfry i litery."
    )
    entity.pesel_required = False
    entity.save()
    booking, _ = bookings.booking_create(
        request_for(entity, pesel="", phone="600100200", osoz_card_number="123456789ABCDEFGHI")
    )
    assert booking.phone == "600100200"
    assert selectors.booking_document(booking)["osoz_card_number"] == "123456789ABCDEFGHI"


def test_televisit_only_where_the_schedule_and_the_entity_allow(site, entity, api):
    assert refused(entity, kind="televisit") == "Ten termin jest dostępny tylko jako wizyta w placówce."
    api.put("/api/v1/schedules/s1", schedule_payload(version=2, attributes={"televisit_possible": True}))
    assert refused(entity, kind="televisit") == "Ten termin jest dostępny tylko jako wizyta w placówce."
    televisit_on(entity)  # the clinic, but not the doctor
    assert refused(entity, kind="televisit") == "Ten termin jest dostępny tylko jako wizyta w placówce."
    televisit_on(entity, "d1")
    chosen, _ = bookings.booking_create(request_for(entity, kind="televisit"))
    assert chosen.kind == "televisit"
    api.put(
        "/api/v1/schedules/s1",
        schedule_payload(version=3, znanylekarz_offer=False, attributes={"televisit_only": True}),
    )
    forced, _ = bookings.booking_create(request_for(entity, kind="visit", starts_at=at(9, 20), pesel=OTHER_PESEL))
    assert forced.kind == "televisit"
    email = Notification.objects.get(booking=forced, recipient="jan.kowalski@example.com")
    assert "Telewizyta – lekarz połączy się z Tobą w wyznaczonym terminie." in email.body


def test_single_booking_per_specialist(site, entity):
    bookings.booking_create(request_for(entity))
    # Off: the same patient may hold two bookings with one doctor.
    second, _ = bookings.booking_create(request_for(entity, starts_at=at(9, 20)))
    bookings.booking_cancel_by_patient(booking=second, reason="")
    entity.single_booking_per_specialist = True
    entity.save()
    message = refused(entity, starts_at=at(9, 20), email="inny@example.com")
    assert message.startswith("Masz już zarezerwowaną wizytę u tego specjalisty w tej placówce.")
    # Another doctor, or another patient, is fine.
    bookings.booking_create(request_for(entity, doctor_id="d2", schedule_id="s2", starts_at=at(10)))
    bookings.booking_create(request_for(entity, starts_at=at(9, 20), pesel=OTHER_PESEL))


def test_single_booking_identifies_patients_without_pesel_by_card_then_email(site, entity):
    entity.single_booking_per_specialist = True
    entity.pesel_required = False
    entity.save()
    bookings.booking_create(request_for(entity, pesel="", osoz_card_number="123456789ABCDEFGHI"))
    assert refused(entity, pesel="", osoz_card_number="123456789abcdefghi", starts_at=at(9, 20)).startswith("Masz")
    bookings.booking_create(request_for(entity, pesel="", email="Ola@Example.com", starts_at=at(9, 20)))
    assert refused(entity, pesel="", email="ola@example.com", starts_at=at(9, 40)).startswith("Masz")


def test_request_survives_json_round_trip(site, entity):
    original = request_for(entity, birth_date=datetime.date(1944, 5, 14), requirement_accepted=True)
    stored = json.loads(json.dumps(original.to_json()))
    assert stored["entity_id"] == entity.entity_id
    assert BookingRequest.from_json(stored) == original


# --- The patient cancels --------------------------------------------------------------------------------------------


def test_patient_cancellation_frees_the_slot_and_is_an_event(site, entity, api):
    booking, token = bookings.booking_create(request_for(entity, phone="600100200"))
    entity.cancellation_reason_required = True
    entity.save()
    with pytest.raises(BookingRefused, match="Podaj powód odwołania wizyty"):
        bookings.booking_cancel_by_patient(booking=booking, reason="  ")
    cancelled = bookings.booking_cancel_by_patient(booking=bookings.booking_for_token(token), reason="Wyjazd")
    assert (cancelled.status, cancelled.reason) == ("cancelled_by_patient", "Wyjazd")
    assert free_times(entity) == ["09:00", "09:20", "09:40"]
    with pytest.raises(BookingRefused, match="nie można już odwołać"):
        bookings.booking_cancel_by_patient(booking=cancelled, reason="Wyjazd")

    events = api.get("/api/v1/booking-events").json()["events"]
    assert [event["type"] for event in events] == ["booking.created", "booking.cancelled_by_patient"]
    assert events[1]["booking"]["status"] == "cancelled_by_patient"
    assert events[1]["booking"]["reason"] == "Wyjazd"
    email = Notification.objects.filter(booking=booking, channel="email", subject="Wizyta odwołana").get()
    assert "zgodnie z Twoją prośbą odwołaliśmy wizytę" in email.body and "Powód: Wyjazd" in email.body


def test_a_started_visit_cannot_be_cancelled(site, entity):
    booking, _ = bookings.booking_create(request_for(entity))
    Booking.objects.filter(pk=booking.pk).update(starts_at=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(BookingRefused, match="jej termin już minął"):
        bookings.booking_cancel_by_patient(booking=booking, reason="")


# --- The events feed ----------------------------------------------------------------------------------------------


@pytest.fixture
def other_api(db) -> ApiClient:
    other = Entity.objects.create(entity_id="7350099999", name="Inna Przychodnia")
    code = services.connect_code_issue(entity=other, return_url=RETURN_URL)
    credentials = services.connect_token_exchange(code=code, return_url=RETURN_URL, api_base_url="http://testserver")
    issued = services.access_token_issue(client_id=credentials["client_id"], client_secret=credentials["client_secret"])
    return ApiClient(issued["access_token"])


def test_feed_pages_with_an_opaque_cursor(site, entity, api, other_api):
    made = [
        bookings.booking_create(request_for(entity, starts_at=at(9, minute), pesel=pesel))[0]
        for minute, pesel in ((0, PESEL), (20, OTHER_PESEL), (40, "85010112345"))
    ]
    first = api.get("/api/v1/booking-events", limit=2).json()
    validate("BookingEventPage", first)
    assert [e["booking"]["booking_id"] for e in first["events"]] == [str(b.booking_id) for b in made[:2]]
    assert first["has_more"] is True
    second = api.get("/api/v1/booking-events", after=first["next_cursor"], limit=2).json()
    assert [e["booking"]["booking_id"] for e in second["events"]] == [str(made[2].booking_id)]
    assert second["has_more"] is False
    empty = api.get("/api/v1/booking-events", after=second["next_cursor"]).json()
    assert empty == {"events": [], "next_cursor": second["next_cursor"], "has_more": False}
    # Repeating a page (a cursor that was not stored) returns the same events again.
    again = api.get("/api/v1/booking-events", after=first["next_cursor"], limit=2).json()
    assert again["events"] == second["events"]
    # Another entity sees none of them.
    assert other_api.get("/api/v1/booking-events").json()["events"] == []


@pytest.mark.parametrize(
    "params",
    [{"after": "not-a-cursor"}, {"after": base64.urlsafe_b64encode(b"x:1").decode()}, {"limit": "0"}, {"limit": "501"}],
)
def test_feed_refuses_bad_parameters(api, params):
    response = api.get("/api/v1/booking-events", **params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "bad-request"


def test_feed_needs_a_token(db):
    from django.test import Client

    assert Client().get("/api/v1/booking-events").status_code == 401


# --- The clinic's commands -----------------------------------------------------------------------------------------


def command(api, booking, action, body, *, key=None):
    return api.post(f"/api/v1/bookings/{booking.booking_id}/{action}", body, key=key or str(uuid.uuid4()))


def test_accept_settles_a_pending_booking_once(site, entity, api):
    booking, _ = bookings.booking_create(request_for(entity, phone="600100200"))
    response = command(api, booking, "accept", {"appointment_ref": "appt-41"}, key="accept-1")
    assert response.status_code == 200
    validate("Booking", response.json())
    assert response.json()["status"] == "accepted" and response.json()["appointment_ref"] == "appt-41"
    email = Notification.objects.get(booking=booking, channel="email", subject="Wizyta umówiona")
    assert "Twoja wizyta została umówiona." in email.body

    replay = command(api, booking, "accept", {"appointment_ref": "appt-41"}, key="accept-1")
    assert replay["Idempotent-Replayed"] == "true" and replay.content == response.content
    again = command(api, booking, "accept", {"appointment_ref": "appt-41"})
    assert again.status_code == 200 and again.json() == response.json()
    assert Notification.objects.filter(booking=booking, subject="Wizyta umówiona").count() == 1

    conflict = command(api, booking, "reject", {"reason": "Termin zajęty."})
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "booking-state-conflict"
    validate("Problem", {k: v for k, v in conflict.json().items() if k != "errors"})
    booking.refresh_from_db()
    assert booking.status == "accepted"


def test_reject_tells_the_patient_the_reason_and_frees_the_slot(site, entity, api):
    booking, _ = bookings.booking_create(request_for(entity, phone="600100200"))
    response = command(api, booking, "reject", {"reason": SET1})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reason"]) == ("rejected", SET1)
    assert command(api, booking, "reject", {"reason": SET1}).status_code == 200
    assert command(api, booking, "accept", {"appointment_ref": "a1"}).status_code == 409
    assert command(api, booking, "cancel", {"reason": "Odwołana"}).status_code == 409
    email = Notification.objects.get(booking=booking, channel="email", subject="Rezerwacja wizyty odrzucona")
    assert f"Powód: {SET1}" in email.body
    sms = Notification.objects.filter(booking=booking, channel="sms").order_by("pk").last()
    assert SET1 in sms.body
    assert free_times(entity) == ["09:00", "09:20", "09:40"]


def test_clinic_cancellation_notifies_the_patient(site, entity, api):
    booking, _ = bookings.booking_create(request_for(entity, phone="600100200"))
    command(api, booking, "accept", {"appointment_ref": "appt-1"})
    response = command(api, booking, "cancel", {"reason": "Lekarz jest chory."})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reason"]) == ("cancelled_by_clinic", "Lekarz jest chory.")
    again = command(api, booking, "cancel", {"reason": "Inny powód"})
    assert again.status_code == 200 and again.json() == response.json()
    email = Notification.objects.get(booking=booking, channel="email", subject="Wizyta odwołana")
    assert "placówka odwołała Twoją wizytę." in email.body and "Powód: Lekarz jest chory." in email.body
    assert "Lekarz: lek. Anna Kowalska." in email.body
    sms = Notification.objects.filter(booking=booking, channel="sms").order_by("pk").last()
    assert sms.body.startswith("Przychodnia Testowa: Wizyta odwołana przez placówkę – lek. Anna Kowalska")
    # The patient can no longer cancel it, and the clinic's cancellation is no feed event.
    with pytest.raises(BookingRefused):
        bookings.booking_cancel_by_patient(booking=booking, reason="")
    assert BookingEvent.objects.filter(booking=booking).count() == 1


def test_cancelling_a_booking_the_patient_cancelled_changes_nothing(site, entity, api):
    booking, _ = bookings.booking_create(request_for(entity))
    bookings.booking_cancel_by_patient(booking=booking, reason="Wyjazd")
    response = command(api, booking, "cancel", {"reason": "Lekarz jest chory."})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reason"]) == ("cancelled_by_patient", "Wyjazd")
    assert command(api, booking, "move", move_body(at(11))).status_code == 409


def test_a_refused_command_carries_the_booking_as_the_platform_holds_it(site, entity, api):
    booking, _ = bookings.booking_create(request_for(entity))
    bookings.booking_cancel_by_patient(booking=booking, reason="Wyjazd")
    conflict = command(api, booking, "accept", {"appointment_ref": "appt-1"})
    assert conflict.status_code == 409
    problem = conflict.json()
    validate("Problem", problem)
    assert (problem["code"], problem["booking"]["booking_id"]) == ("booking-state-conflict", str(booking.booking_id))
    assert (problem["booking"]["status"], problem["booking"]["reason"]) == ("cancelled_by_patient", "Wyjazd")
    # A move to a taken time leaves the booking where it was, and says so.
    bookings.booking_create(request_for(entity, pesel=OTHER_PESEL))
    second, _ = bookings.booking_create(request_for(entity, starts_at=at(9, 20), pesel=OTHER_PESEL))
    occupied = command(api, second, "move", move_body(at(9))).json()
    validate("Problem", occupied)
    assert (occupied["booking"]["status"], occupied["booking"]["starts_at"]) == ("pending", at(9, 20).isoformat())


def move_body(starts_at: datetime.datetime, schedule_id="s1", minutes=20) -> dict:
    return {
        "schedule_id": schedule_id,
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + datetime.timedelta(minutes=minutes)).isoformat(),
        "reason": "Zmiana grafiku lekarza.",
    }


def test_move_records_the_new_time_and_notifies_the_patient(site, entity, api):
    booking, _ = bookings.booking_create(request_for(entity, phone="600100200"))
    command(api, booking, "accept", {"appointment_ref": "appt-1"})
    new_day = tomorrow() + datetime.timedelta(days=1)
    response = command(api, booking, "move", move_body(at(12, 30, new_day)))
    assert response.status_code == 200
    moved = response.json()
    validate("Booking", moved)
    assert moved["starts_at"] == at(12, 30, new_day).isoformat()
    assert moved["ends_at"] == at(12, 50, new_day).isoformat()
    assert (moved["status"], moved["reason"]) == ("accepted", "Zmiana grafiku lekarza.")
    email = Notification.objects.get(booking=booking, channel="email", subject="Zmiana terminu wizyty")
    assert f"Poprzedni termin: {notifications.when_text(at(9))}." in email.body
    assert f"Nowy termin: {notifications.when_text(at(12, 30, new_day))}." in email.body
    assert "Powód: Zmiana grafiku lekarza." in email.body
    sms = Notification.objects.filter(booking=booking, channel="sms").order_by("pk").last()
    assert "Zmiana terminu wizyty" in sms.body and "12:30" in sms.body
    # The same move again changes nothing and notifies nobody; the old slot is free again.
    assert command(api, booking, "move", move_body(at(12, 30, new_day))).json() == moved
    assert Notification.objects.filter(booking=booking, subject="Zmiana terminu wizyty").count() == 1
    assert free_times(entity) == ["09:00", "09:20", "09:40"]


def test_move_to_another_doctors_schedule_follows_the_schedule(site, entity, api):
    booking, _ = bookings.booking_create(request_for(entity))
    response = command(api, booking, "move", move_body(at(13), schedule_id="s2"))
    assert response.status_code == 200
    assert (response.json()["doctor_id"], response.json()["nfz"]) == ("d2", True)


def test_move_refuses_bad_input_and_an_occupied_time(site, entity, api):
    first, _ = bookings.booking_create(request_for(entity))
    second, _ = bookings.booking_create(request_for(entity, starts_at=at(9, 20), pesel=OTHER_PESEL))
    unknown = command(api, first, "move", move_body(at(13), schedule_id="nope"))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "schedule_id"
    backwards = {**move_body(at(13)), "ends_at": at(12).isoformat()}
    assert command(api, first, "move", backwards).status_code == 422
    occupied = command(api, second, "move", move_body(at(9)))
    assert occupied.status_code == 409 and occupied.json()["code"] == "booking-state-conflict"
    second.refresh_from_db()
    assert second.starts_at == at(9, 20)


def test_commands_validate_against_the_contract(site, entity, api):
    booking, _ = bookings.booking_create(request_for(entity))
    invalid = command(api, booking, "accept", {"appointment_ref": ""})
    assert invalid.status_code == 422
    assert invalid.json()["errors"] == [{"field": "appointment_ref", "detail": "To pole nie może być puste."}]
    naive = {**move_body(at(13)), "starts_at": "2026-12-01T10:00:00"}
    assert command(api, booking, "move", naive).status_code == 422
    assert command(api, booking, "reject", {}).status_code == 422
    missing = api.post(f"/api/v1/bookings/{uuid.uuid4()}/accept", {"appointment_ref": "a"}, key="k-404")
    assert missing.status_code == 404
    assert api.post("/api/v1/bookings/123/accept", {"appointment_ref": "a"}, key="k-400").status_code == 400
    no_key = api.client.post(
        f"/api/v1/bookings/{booking.booking_id}/accept", {"appointment_ref": "a"}, content_type="application/json"
    )
    assert no_key.status_code == 400 and no_key.json()["code"] == "idempotency-key-missing"
    booking.refresh_from_db()
    assert booking.status == "pending"


def test_commands_reach_only_the_clients_own_bookings(site, entity, other_api):
    booking, _ = bookings.booking_create(request_for(entity))
    assert command(other_api, booking, "cancel", {"reason": "Nie nasza"}).status_code == 404
    booking.refresh_from_db()
    assert booking.status == "pending"
