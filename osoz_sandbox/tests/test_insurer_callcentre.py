"""Infolinia ubezpieczyciela (SBX-5, manual §12.1, contract 1.4.0): an insurer's call centre books its insured patient
into a schedule the clinic shares with it, through the same booking_create as every channel, with the service of its
price list in force, the discount it covers and a referral; the clinic receives a Booking with `payer_order`, and the
insurer sees its bookings with the referrals both ways."""

import datetime
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from osoz_sandbox import bookings, selectors, services
from osoz_sandbox.bookings import BookingRefused, PayerOrderRequest, ReferralRequest
from osoz_sandbox.contract import validate
from osoz_sandbox.models import (
    Booking,
    BookingEvent,
    Cooperation,
    CooperationStatus,
    Entity,
    Insurer,
    Notification,
    PayerOrder,
    PriceListEntry,
    PriceListSubmission,
    Referral,
)
from osoz_sandbox.tests.conftest import (
    TESTS_NOW,
    doctor_payload,
    location_payload,
    schedule_payload,
    slot,
    slots_payload,
    tomorrow,
)
from osoz_sandbox.tests.test_bookings_api import request_for
from osoz_sandbox.tests.test_webhooks import receiver  # noqa: F401 (a fixture)

# The seeded catalogue (migration 0003).
MEDIKOR, WISLA = "800200", "800100"
MEDIKOR_NAME = "Medikor Towarzystwo Ubezpieczeń S.A."
CLOSED = f"Ta placówka nie przyjmuje obecnie rezerwacji on-line od ubezpieczyciela {MEDIKOR_NAME}."
PESEL = "44051401458"
OTHER_PESEL = "02070803628"
DERMATOLOGY, ECG, WISLA_SERVICE = "101", "201", "301"


def callcentre_url(osoz_id: str = MEDIKOR, **query) -> str:
    url = f"/ubezpieczyciel/{osoz_id}/rejestracja/"
    return f"{url}?{'&'.join(f'{name}={value}' for name, value in query.items())}" if query else url


def moment(hour: int, minute: int = 0) -> str:
    """The slot's start as the page's links carry it (SLOT_MOMENT_FORMAT, '+' escaped)."""
    starts = datetime.datetime.combine(tomorrow(), datetime.time(hour, minute), tzinfo=services.WARSAW)
    return starts.strftime("%Y%m%d-%H%M%z").replace("+", "%2B")


def slot_url(hour: int = 9, minute: int = 0, schedule_id: str = "s1") -> str:
    return callcentre_url(placowka="7350012345", harmonogram=schedule_id, termin=moment(hour, minute))


def price_lists_keep(entity: Entity, entries: list[tuple[str, str, str, str, str]], document_id="doc-1"):
    """A price-list document as the API would keep it after verifying its signature (test_price_lists covers that):
    entries of (payer, group id, group name, service id, name) at 100.00, 60.00, … in order."""
    now = timezone.now()
    submission = PriceListSubmission.objects.create(
        entity=entity,
        document_id=document_id,
        signed_xml=b"<PriceLists/>",
        signer="CN=Jan Kowalski",
        created_at=now,
        signed_at=now,
        received_at=now,
        payers_count=len({entry[0] for entry in entries}),
        services_count=len(entries),
    )
    prices = [Decimal("100.00"), Decimal("60.00"), Decimal("80.50"), Decimal("45.00")]
    for (payer, group_id, group_name, service_id, name), price in zip(entries, prices, strict=False):
        PriceListEntry.objects.create(
            submission=submission,
            payer_osoz_id=payer,
            payer_name=payer,
            group_id=group_id,
            group_name=group_name,
            service_id=service_id,
            base_service_id="1",
            name=name,
            price=price,
        )
    return submission


@pytest.fixture
def clinic(entity, api, public_key_pem) -> Entity:
    """The clinic cooperating with Medikor with Rejestracja on-line on for it; doctor d1 (Dostęp: Wszyscy) with s1
    shared with Medikor for the group „Konsultacje” (09:00, 09:20, 09:40 tomorrow) and s3 shared with nobody
    (11:00); Medikor's list in force: the consultation (group 10) and ECG (group 20); Wisła's a service of its own."""
    now = timezone.now()
    Entity.objects.filter(pk=entity.pk).update(
        nip="5260250274",
        insurance_data_confirmed_at=now,
        insurance_terms_accepted_at=now,
        insurers_online_registration=True,
    )
    entity.refresh_from_db()
    for osoz_id in (MEDIKOR, WISLA):
        Cooperation.objects.create(
            entity=entity,
            insurer=Insurer.objects.get(osoz_id=osoz_id),
            status=CooperationStatus.ACTIVE,
            started_at=now,
            online_registration=True,
        )
    assert api.put("/api/v1/locations/1", location_payload(public_key_pem)).status_code == 200
    assert api.put("/api/v1/doctors/d1", doctor_payload(access="all")).status_code == 200
    payers = [{"payer_id": MEDIKOR, "service_group_ids": ["10"]}]
    assert api.put("/api/v1/schedules/s1", schedule_payload(payers=payers)).status_code == 200
    assert api.put("/api/v1/schedules/s3", schedule_payload()).status_code == 200
    day = tomorrow()
    body = slots_payload(day, [slot("s1", day, 9), slot("s1", day, 9, 20), slot("s1", day, 9, 40), slot("s3", day, 11)])
    assert api.put("/api/v1/doctors/d1/slots", body).status_code == 200
    price_lists_keep(
        entity,
        [
            (MEDIKOR, "10", "Konsultacje", DERMATOLOGY, "Konsultacja lekarza dermatologa"),
            (MEDIKOR, "20", "Badania", ECG, "EKG spoczynkowe"),
            (WISLA, "10", "Konsultacje", WISLA_SERVICE, "Konsultacja Wisła"),
        ],
    )
    return entity


def form_data(**changes) -> dict:
    data = {
        "first_name": "Jan",
        "last_name": "Kowalski",
        "pesel": PESEL,
        "email": "jan.kowalski@example.com",
        "phone": "601 234 567",
        "service_id": DERMATOLOGY,
        "discount_percent": "50",
        "note": "",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


# Issued today (the tests' clock: 2026-12-01), valid for a month.
REFERRAL = {
    "referral_wanted": "on",
    "referral_issued_on": TESTS_NOW.date().isoformat(),
    "referral_valid_until": "2026-12-31",
    "referral_service_id": ECG,
    "referral_note": "EKG przed konsultacją.",
}


def order_request(entity: Entity, **changes) -> bookings.BookingRequest:
    order = {"payer_id": MEDIKOR, "service_id": DERMATOLOGY, "discount_percent": 50}
    order.update(changes.pop("order", {}))
    values = {"phone": "601234567", "channel": "insurer", "payer_order": PayerOrderRequest(**order)}
    return request_for(entity, **{**values, **changes})


def refused(entity: Entity, **changes) -> str:
    with pytest.raises(BookingRefused) as caught:
        bookings.booking_create(order_request(entity, **changes))
    assert not Booking.objects.exists() and not PayerOrder.objects.exists() and not Referral.objects.exists()
    return caught.value.message


# --- The page, step by step ------------------------------------------------------------------------------------------


def test_the_page_offers_the_clinics_the_schedules_shared_and_their_free_slots(clinic, client):
    html = client.get(callcentre_url()).content.decode()
    assert "Infolinia ubezpieczyciela Medikor Towarzystwo Ubezpieczeń S.A." in html
    assert "Przychodnia Testowa" in html and "?placowka=7350012345" in html

    html = client.get(callcentre_url(placowka="7350012345")).content.decode()
    assert "harmonogram=s1" in html and "harmonogram=s3" not in html

    html = client.get(callcentre_url(placowka="7350012345", harmonogram="s1")).content.decode()
    assert all(f"termin={moment(9, minute)}" in html for minute in (0, 20, 40))
    assert moment(11) not in html

    html = client.get(slot_url()).content.decode()
    assert 'name="pesel"' in html and 'name="referral_service_id"' in html
    # Only the schedule's groups of the insurer's list are offered for the visit; the referral takes the whole list.
    service_field = html.split('name="service_id"')[1].split("</select>")[0]
    assert "Konsultacja lekarza dermatologa – 100.00 zł" in service_field and "EKG" not in service_field
    referral_field = html.split('name="referral_service_id"')[1].split("</select>")[0]
    assert "EKG spoczynkowe" in referral_field and "Wisła" not in referral_field


def test_the_home_page_links_every_insurers_call_centre(db, client):
    html = client.get("/").content.decode()
    assert f"/ubezpieczyciel/{MEDIKOR}/rejestracja/" in html and f"/ubezpieczyciel/{WISLA}/rejestracja/" in html


def test_an_insurer_sees_only_clinics_that_take_its_bookings(clinic, client):
    assert "?placowka=7350012345" in client.get(callcentre_url()).content.decode()
    Cooperation.objects.filter(entity=clinic, insurer__osoz_id=MEDIKOR).update(online_registration=False)
    assert "?placowka=7350012345" not in client.get(callcentre_url()).content.decode()
    Cooperation.objects.filter(entity=clinic, insurer__osoz_id=MEDIKOR).update(online_registration=True)
    Entity.objects.filter(pk=clinic.pk).update(insurers_online_registration=False)
    html = client.get(callcentre_url()).content.decode()
    assert "?placowka=7350012345" not in html and "Żadna placówka nie przyjmuje" in html
    assert client.get("/ubezpieczyciel/999999/rejestracja/").status_code == 404


def test_booking_through_the_page_end_to_end(clinic, client, api):
    response = client.post(slot_url(), form_data(note="Pacjent prosi o kontakt SMS.", **REFERRAL))
    assert response.status_code == 302, response.content.decode()
    booking = Booking.objects.get()
    assert response["Location"] == f"/ubezpieczyciel/{MEDIKOR}/rezerwacje/#rezerwacja-{booking.booking_id}"
    page = client.get(response["Location"]).content.decode()
    assert "Zarezerwowano wizytę pacjenta Jan Kowalski. Rezerwacja czeka na potwierdzenie placówki." in page
    assert "Oczekuje na potwierdzenie placówki" in page and "wystawione przez ubezpieczyciela" in page
    assert "Konsultacja lekarza dermatologa: 100.0zł - zniżka: 50%; Pacjent prosi o kontakt SMS." in page
    # No approval receiver: the booking waits for the clinic, and the feed brings it with the order.
    assert (booking.status, booking.channel, booking.patient_name) == ("pending", "insurer", "Jan Kowalski")
    [event] = api.get("/api/v1/booking-events").json()["events"]
    document = event["booking"]
    validate("Booking", document)
    assert document["channel"] == "insurer"
    assert document["payer_order"] == {
        "payer_id": MEDIKOR,
        "service_id": DERMATOLOGY,
        "service_name": "Konsultacja lekarza dermatologa",
        "price": "100.00",
        "discount_percent": 50,
        "note": "Konsultacja lekarza dermatologa: 100.0zł - zniżka: 50%; Pacjent prosi o kontakt SMS.",
    }
    referral = Referral.objects.get()
    assert (referral.booking, referral.direction, referral.issued_by) == (
        booking,
        "received",
        "Medikor Towarzystwo Ubezpieczeń S.A.",
    )
    assert (referral.issued_on, referral.valid_until) == (datetime.date(2026, 12, 1), datetime.date(2026, 12, 31))
    assert (referral.service_id, referral.service_name, referral.note) == (
        ECG,
        "EKG spoczynkowe",
        REFERRAL["referral_note"],
    )
    # The slot is held, the patient is told, the clinic without the patient's card gets its copy.
    assert moment(9) not in client.get(callcentre_url(placowka="7350012345", harmonogram="s1")).content.decode()
    assert Notification.objects.filter(booking=booking, recipient="jan.kowalski@example.com").exists()
    assert Notification.objects.filter(booking=booking, channel="sms", recipient="601 234 567").exists()


def test_the_note_without_the_insurers_words_and_the_price_as_the_manual_prints_it(clinic):
    booking, _ = bookings.booking_create(order_request(clinic, order={"discount_percent": 100}))
    assert selectors.booking_document(booking)["payer_order"]["note"] == (
        "Konsultacja lekarza dermatologa: 100.0zł - zniżka: 100%;"
    )
    order = PayerOrder(service_name="EKG", price=Decimal("80.50"), discount_percent=0)
    assert order.note == "EKG: 80.5zł - zniżka: 0%;"


def test_patient_bookings_carry_no_payer_order(clinic):
    booking, _ = bookings.booking_create(request_for(clinic, schedule_id="s3", starts_at=at_tomorrow(11)))
    document = selectors.booking_document(booking)
    assert document["channel"] == "lekarzebezkolejki" and document["payer_order"] is None
    validate("Booking", document)


def at_tomorrow(hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(tomorrow(), datetime.time(hour, minute), tzinfo=services.WARSAW)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"pesel": "44051401459"}, "pesel", "Numer PESEL jest nieprawidłowy – sprawdź 11 cyfr."),
        ({"pesel": None}, "pesel", "Podaj numer PESEL ubezpieczonego."),
        ({"first_name": ""}, "first_name", "Podaj imię."),
        ({"last_name": None}, "last_name", "Podaj nazwisko."),
        ({"email": "jan@"}, "email", "Podaj poprawny adres e-mail."),
        ({"phone": "12"}, "phone", "Podaj numer telefonu: co najmniej 9 cyfr, np. 601 234 567."),
        ({"phone": None}, "phone", "Podaj numer telefonu pacjenta."),
        ({"service_id": ECG}, "service_id", "Wybierz usługę z cennika ubezpieczyciela."),
        ({"service_id": WISLA_SERVICE}, "service_id", "Wybierz usługę z cennika ubezpieczyciela."),
        ({"service_id": None}, "service_id", "Wybierz usługę z cennika ubezpieczyciela."),
        ({"discount_percent": "101"}, "discount_percent", "Zniżka musi mieścić się w zakresie 0–100%."),
        ({"discount_percent": "-1"}, "discount_percent", "Zniżka musi mieścić się w zakresie 0–100%."),
        ({"discount_percent": "pół"}, "discount_percent", "Zniżka musi być liczbą całkowitą."),
        ({"discount_percent": None}, "discount_percent", "Podaj zniżkę (0–100%)."),
        (
            {**REFERRAL, "referral_valid_until": "2026-11-30"},
            "referral_valid_until",
            "Data ważności nie może być wcześniejsza niż data wystawienia.",
        ),
        (
            {**REFERRAL, "referral_issued_on": "2026-12-02", "referral_valid_until": "2026-12-31"},
            "referral_issued_on",
            "Data wystawienia skierowania nie może być z przyszłości.",
        ),
        (
            {**REFERRAL, "referral_service_id": ""},
            "referral_service_id",
            "Wybierz usługę skierowania z cennika ubezpieczyciela.",
        ),
        (
            {**REFERRAL, "referral_service_id": WISLA_SERVICE},
            "referral_service_id",
            "Wybierz usługę skierowania z cennika ubezpieczyciela.",
        ),
        ({**REFERRAL, "referral_issued_on": "2026-13-01"}, "referral_issued_on", "Podaj datę w formacie RRRR-MM-DD."),
        ({**REFERRAL, "referral_valid_until": ""}, "referral_valid_until", "Podaj datę ważności skierowania."),
    ],
)
def test_bad_input_is_explained_and_nothing_is_booked(clinic, client, changes, field, message):
    response = client.post(slot_url(), form_data(**changes))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert not Booking.objects.exists() and not BookingEvent.objects.exists() and not Referral.objects.exists()
    assert not Notification.objects.exists()


def test_a_slot_booked_meanwhile_is_not_offered_to_the_form(clinic, client):
    bookings.booking_create(request_for(clinic, starts_at=at_tomorrow(9)))
    response = client.post(slot_url(), form_data(pesel=OTHER_PESEL))
    assert response.status_code == 409
    assert "Wybrany termin nie jest już dostępny" in response.content.decode()
    assert Booking.objects.count() == 1 and not PayerOrder.objects.exists()


def test_two_bookings_racing_for_one_slot_end_on_the_unique_constraint(clinic, monkeypatch):
    card = selectors.insurer_doctor(entity=clinic, doctor_id="d1", payer_id=MEDIKOR)
    stale = selectors.offered_slot(card, schedule_id="s1", starts_at=at_tomorrow(9))
    bookings.booking_create(order_request(clinic))
    # The second request checked the slot before the first one was stored: only the database can tell.
    monkeypatch.setattr(selectors, "offered_slot", lambda *args, **kwargs: stale)
    with pytest.raises(BookingRefused) as caught:
        bookings.booking_create(order_request(clinic, email="ewa@example.com", pesel=OTHER_PESEL))
    assert caught.value.message == bookings.SLOT_TAKEN
    assert Booking.objects.count() == 1 and PayerOrder.objects.count() == 1 and BookingEvent.objects.count() == 1


def test_a_schedule_not_shared_with_the_insurer_is_refused(clinic, client, api):
    assert refused(clinic, schedule_id="s3", starts_at=at_tomorrow(11)) == (
        "Placówka nie udostępnia tego harmonogramu ubezpieczycielowi Medikor Towarzystwo Ubezpieczeń S.A.."
    )
    # Shared with another insurer only, or for NFZ visits: refused the same.
    wisla = [{"payer_id": WISLA, "service_group_ids": ["10"]}]
    api.put("/api/v1/schedules/s1", schedule_payload(version=2, payers=wisla))
    assert refused(clinic).startswith("Placówka nie udostępnia tego harmonogramu")
    medikor = [{"payer_id": MEDIKOR, "service_group_ids": ["10"]}]
    api.put("/api/v1/schedules/s1", schedule_payload(version=3, payers=medikor, nfz=True))
    assert refused(clinic).startswith("Placówka nie udostępnia tego harmonogramu")
    # The page does not even offer it.
    assert client.get(slot_url(11, schedule_id="s3")).context.get("form") is None


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (
            lambda clinic: Cooperation.objects.filter(insurer__osoz_id=MEDIKOR).update(status=CooperationStatus.NONE),
            CLOSED,
        ),
        (
            lambda clinic: Cooperation.objects.filter(insurer__osoz_id=MEDIKOR).update(online_registration=False),
            CLOSED,
        ),
        (
            lambda clinic: Entity.objects.filter(pk=clinic.pk).update(insurers_online_registration=False),
            CLOSED,
        ),
    ],
)
def test_only_clinics_taking_the_insurers_bookings_are_booked(clinic, setup, message):
    setup(clinic)
    assert refused(clinic) == message


def test_the_doctors_access_decides_who_may_book(clinic, api):
    api.put("/api/v1/doctors/d1", doctor_payload(version=2, access="patient"))
    assert refused(clinic) == "Ten lekarz nie przyjmuje obecnie rejestracji on-line."
    api.put("/api/v1/doctors/d1", doctor_payload(version=3, access="insurer_callcenter"))
    bookings.booking_create(order_request(clinic))
    # Hidden from patients now: the patients' path refuses the doctor.
    with pytest.raises(BookingRefused):
        bookings.booking_create(request_for(clinic, starts_at=at_tomorrow(9, 20), pesel=OTHER_PESEL))


def test_the_order_is_checked_against_the_price_list_in_force(clinic):
    assert refused(clinic, order={"service_id": ECG}).startswith("Wybierz usługę z cennika ubezpieczyciela")
    assert refused(clinic, order={"discount_percent": 101}) == "Zniżka musi mieścić się w zakresie 0–100%."
    assert refused(clinic, pesel="").startswith("Podaj numer PESEL")
    assert refused(clinic, phone="") == "Podaj numer telefonu."
    referral = ReferralRequest(
        issued_on=datetime.date(2026, 12, 1), valid_until=datetime.date(2026, 11, 1), service_id=ECG
    )
    assert refused(clinic, order={"referral": referral}).startswith("Data ważności skierowania")
    # A newer document without the service replaces the list: the old service cannot be ordered any more.
    price_lists_keep(clinic, [(MEDIKOR, "10", "Konsultacje", "102", "Konsultacja dermatologa II")], "doc-2")
    assert refused(clinic).startswith("Wybierz usługę z cennika ubezpieczyciela")
    booking, _ = bookings.booking_create(order_request(clinic, order={"service_id": "102"}))
    assert booking.payer_order.service_name == "Konsultacja dermatologa II"


def test_the_clinics_decision_is_shown_to_the_insurer(clinic, client, credentials, receiver):  # noqa: F811
    clinic.booking_approval_url = receiver.url("/approval")
    clinic.save()
    reason = "Lekarz nie przyjmuje pacjentów z tym skierowaniem."
    receiver.answer(
        "/approval",
        (200, {"decision": "accepted", "reason": None, "appointment_ref": "APP-7"}),
        (200, {"decision": "rejected", "reason": reason, "appointment_ref": None}),
    )
    client.post(slot_url(), form_data())
    response = client.post(slot_url(9, 20), form_data(pesel=OTHER_PESEL, email="ewa@example.com"), follow=True)
    page = response.content.decode()
    assert "Placówka odrzuciła rezerwację." in page
    assert "Potwierdzona" in page and f"Odrzucona przez placówkę – {reason}" in page
    # The clinic was asked with the order in the Booking document.
    sent = [json.loads(request["body"]) for request in receiver.received("/approval")]
    assert [document["payer_order"]["payer_id"] for document in sent] == [MEDIKOR, MEDIKOR]
    for document in sent:
        validate("Booking", document)


def test_the_insurer_sees_only_its_own_bookings(clinic, client):
    bookings.booking_create(order_request(clinic))
    bookings.booking_create(request_for(clinic, schedule_id="s3", starts_at=at_tomorrow(11), pesel=OTHER_PESEL))
    assert "Jan Kowalski" in client.get(f"/ubezpieczyciel/{MEDIKOR}/rezerwacje/").content.decode()
    page = client.get(f"/ubezpieczyciel/{WISLA}/rezerwacje/").content.decode()
    assert "Jan Kowalski" not in page and "Infolinia nie umówiła jeszcze żadnej wizyty." in page


def test_a_pending_registration_keeps_the_order(clinic):
    request = order_request(
        clinic,
        order={
            "note": "Uwaga",
            "referral": ReferralRequest(
                issued_on=datetime.date(2026, 12, 1), valid_until=datetime.date(2026, 12, 2), service_id=ECG
            ),
        },
    )
    assert bookings.BookingRequest.from_json(json.loads(json.dumps(request.to_json()))) == request


@pytest.fixture
def anonymous() -> Client:
    return Client(enforce_csrf_checks=True)


def test_the_page_needs_no_login_but_a_csrf_token(clinic, anonymous):
    html = anonymous.get(slot_url()).content.decode()
    assert "csrfmiddlewaretoken" in html
    assert anonymous.post(slot_url(), form_data()).status_code == 403
    assert not Booking.objects.exists()
